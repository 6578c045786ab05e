package org.quadralib.core.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quadralib.core.F;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.io.SafeTensors;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.testing.Golden;

/**
 * SGD (momentum, Nesterov, weight decay), Adam and AdamW trajectories, parameter groups, gradient clipping and
 * the learning-rate schedules against torch.optim; state-dict round trips through a safetensors file.
 */
class OptimizerTest {

    private static final float ATOL = 1e-5f;
    private static final float RTOL = 1e-5f;

    private static Tensor param(Tensor init) {
        return init.copyAs(MemoryCategory.PARAMETER).requiresGrad(true);
    }

    /** Row {@code i} of a stacked [steps, ...] tensor, as a contiguous gradient. */
    private static Tensor row(Tensor stacked, int i) {
        Tensor r = stacked.narrow(0, i, 1);
        return r.reshape(java.util.Arrays.copyOfRange(r.shape(), 1, r.dim())).copyAs(MemoryCategory.GRADIENT);
    }

    /** Runs the optimizer over the golden gradient sequence; returns the parameter after each step, stacked. */
    private static Tensor trajectory(Function<List<Tensor>, Optimizer> make) {
        Golden g = Golden.load("optim_trajectories");
        Tensor p = param(g.tensor("param0"));
        Optimizer opt = make.apply(List.of(p));
        Tensor grads = g.tensor("grads");
        List<Tensor> after = new ArrayList<>();
        for (int i = 0; i < grads.size(0); i++) {
            p.setGrad(row(grads, i));
            opt.step();
            after.add(p.detach().copy());
        }
        return F.stack(0, after.toArray(new Tensor[0]));
    }

    private static void assertTrajectory(String key, Function<List<Tensor>, Optimizer> make) {
        Golden.assertClose(key, Golden.load("optim_trajectories").tensor(key), trajectory(make), ATOL, RTOL);
    }

    private static List<ParamGroup> group(List<Tensor> ps, float lr, float wd) {
        return List.of(new ParamGroup("default", ps, lr, wd));
    }

    @Test
    void sgdMatchesPyTorch() {
        assertTrajectory("sgd", ps -> new SGD(group(ps, 0.1f, 0f), 0f, false));
        assertTrajectory("sgd_wd", ps -> new SGD(group(ps, 0.1f, 1e-2f), 0f, false));
        assertTrajectory("sgd_momentum", ps -> new SGD(group(ps, 0.1f, 1e-2f), 0.9f, false));
        assertTrajectory("sgd_nesterov", ps -> new SGD(group(ps, 0.1f, 1e-2f), 0.9f, true));
    }

    @Test
    void adamAndAdamWMatchPyTorch() {
        assertTrajectory("adam", ps -> Adam.adam(ps, 0.01f));
        assertTrajectory("adam_wd", ps -> new Adam(group(ps, 0.01f, 1e-2f), 0.9f, 0.999f, 1e-8f, false));
        assertTrajectory("adamw", ps -> Adam.adamW(ps, 0.01f, 1e-2f));
    }

    @Test
    void parameterGroupsKeepTheirOwnRateAndDecay() {
        Golden g = Golden.load("optim_param_groups");
        for (String opt : new String[] {"sgd", "adam"}) {
            Tensor a = param(g.tensor("a0"));
            Tensor b = param(g.tensor("b0"));
            List<ParamGroup> groups = List.of(new ParamGroup("fast", List.of(a), 0.1f, 0f),
                    new ParamGroup("slow", List.of(b), 0.01f, 0.1f));
            Optimizer o = opt.equals("sgd") ? new SGD(groups, 0.9f, false) : new Adam(groups, 0.9f, 0.999f, 1e-8f, false);
            List<Tensor> ta = new ArrayList<>();
            List<Tensor> tb = new ArrayList<>();
            for (int i = 0; i < g.tensor("grads_a").size(0); i++) {
                a.setGrad(row(g.tensor("grads_a"), i));
                b.setGrad(row(g.tensor("grads_b"), i));
                o.step();
                ta.add(a.detach().copy());
                tb.add(b.detach().copy());
            }
            Golden.assertClose(opt + " group 'fast'", g.tensor(opt + "_a"), F.stack(0, ta.toArray(new Tensor[0])), ATOL, RTOL);
            Golden.assertClose(opt + " group 'slow'", g.tensor(opt + "_b"), F.stack(0, tb.toArray(new Tensor[0])), ATOL, RTOL);
        }
    }

    @Test
    void aParameterInTwoGroupsIsRejected() {
        Tensor p = param(Tensor.zeros(2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SGD(
                List.of(new ParamGroup("linear", List.of(p), 0.1f, 0f), new ParamGroup("quadratic", List.of(p), 0.1f, 0f)), 0f, false));
        assertTrue(e.getMessage().contains("'linear'") && e.getMessage().contains("'quadratic'"), e.getMessage());
    }

    @Test
    void clipGradNormMatchesPyTorch() {
        Golden g = Golden.load("clip_grad_norm");
        for (String tag : new String[] {"clipped", "unclipped"}) {
            float maxNorm = g.params().get(tag).getAsFloat();
            Tensor p0 = param(Tensor.zeros(2, 3));
            Tensor p1 = param(Tensor.zeros(4));
            p0.setGrad(g.tensor(tag + ".grad_in.0").copyAs(MemoryCategory.GRADIENT));
            p1.setGrad(g.tensor(tag + ".grad_in.1").copyAs(MemoryCategory.GRADIENT));
            float total = GradClip.clipGradNorm(List.of(p0, p1), maxNorm);
            assertEquals(g.tensor(tag + ".total_norm").item(), total, 1e-5f, tag + " total norm");
            Golden.assertClose(tag + " grad 0", g.tensor(tag + ".grad_out.0"), p0.grad(), 1e-6f, 1e-5f);
            Golden.assertClose(tag + " grad 1", g.tensor(tag + ".grad_out.1"), p1.grad(), 1e-6f, 1e-5f);
        }
    }

    /** The learning rate of group 0 before each of {@code n} scheduler steps. */
    private static Tensor rates(LrScheduler s, Optimizer o, int n) {
        float[] r = new float[n];
        for (int i = 0; i < n; i++) {
            r[i] = o.groups().get(0).lr();
            s.step();
        }
        return Tensor.of(r, n);
    }

    @Test
    void schedulersMatchPyTorch() {
        Golden g = Golden.load("lr_schedulers");
        SGD a = new SGD(group(List.of(param(Tensor.zeros(1))), 0.1f, 0f), 0f, false);
        Golden.assertClose("StepLR", g.tensor("step_lr"), rates(LrScheduler.stepLr(a, 3, 0.5), a, 10), 1e-7f, 1e-6f);
        // Without warm-up, the cosine schedule is CosineAnnealingLR with eta_min = minFactor · base.
        SGD b = new SGD(group(List.of(param(Tensor.zeros(1))), 0.1f, 0f), 0f, false);
        Golden.assertClose("cosine", g.tensor("cosine"), rates(LrScheduler.cosineWithWarmup(b, 0, 8, 0.1), b, 9), 1e-7f, 1e-5f);
    }

    @Test
    void warmupRisesToTheBaseRateThenDecaysToTheFloor() {
        SGD o = new SGD(group(List.of(param(Tensor.zeros(1))), 0.2f, 0f), 0f, false);
        float[] r = rates(LrScheduler.cosineWithWarmup(o, 4, 12, 0.05), o, 16).toFloatArray();
        for (int i = 1; i <= 4; i++) {
            assertTrue(r[i] > r[i - 1], "warm-up rises at step " + i);
        }
        assertEquals(0.2f, r[4], 1e-7f, "the base rate at the end of warm-up");
        for (int i = 5; i <= 12; i++) {
            assertTrue(r[i] < r[i - 1], "cosine decays at step " + i);
        }
        for (int i = 12; i < 16; i++) {
            assertEquals(0.2f * 0.05f, r[i], 1e-7f, "the floor after the last step, step " + i);
        }
    }

    @Test
    void schedulersScaleEveryGroupFromItsOwnBaseRate() {
        Tensor a = param(Tensor.zeros(1));
        Tensor b = param(Tensor.zeros(1));
        SGD o = new SGD(List.of(new ParamGroup("linear", List.of(a), 0.1f, 0f), new ParamGroup("quadratic", List.of(b), 0.001f, 0f)),
                0f, false);
        LrScheduler s = LrScheduler.stepLr(o, 2, 0.1);
        s.step();
        s.step();
        assertEquals(0.01f, o.groups().get(0).lr(), 1e-9f);
        assertEquals(0.0001f, o.groups().get(1).lr(), 1e-10f);
        s.setStep(0);
        assertEquals(0.1f, o.groups().get(0).lr(), 0f, "setStep jumps back to the base rate");
    }

    /** Steps {@code o} with fresh gradients drawn from {@code rng}. */
    private static void steps(Optimizer o, Tensor p, Rng rng, int n) {
        for (int i = 0; i < n; i++) {
            p.setGrad(Tensor.randn(rng, p.shape()).copyAs(MemoryCategory.GRADIENT));
            o.step();
        }
    }

    private static void assertRoundTripContinuesTheTrajectory(Path dir, Function<Tensor, Optimizer> make) throws IOException {
        Rng init = new Rng(3);
        Tensor p = param(Tensor.randn(init, 3, 2));
        Optimizer original = make.apply(p);
        steps(original, p, new Rng(5), 3);
        Path file = dir.resolve("optimizer.safetensors");
        SafeTensors.write(file, original.stateDict());
        Map<String, Tensor> restored = SafeTensors.read(file);

        Tensor q = param(p);
        Optimizer resumed = make.apply(q);
        resumed.loadStateDict(restored);
        assertEquals(original.steps(), resumed.steps());
        Rng rest = new Rng(9);
        Rng same = new Rng(9);
        steps(original, p, rest, 2);
        steps(resumed, q, same, 2);
        assertArrayEquals(p.toFloatArray(), q.toFloatArray(), "resumed optimizer continues the same trajectory");
    }

    @Test
    void stateDictRoundTripResumesExactly(@TempDir Path dir) throws IOException {
        assertRoundTripContinuesTheTrajectory(dir, p -> new SGD(group(List.of(p), 0.1f, 1e-2f), 0.9f, true));
        assertRoundTripContinuesTheTrajectory(dir, p -> Adam.adamW(List.of(p), 0.01f, 1e-2f));
    }

    @Test
    void loadStateDictNamesEveryMismatch() {
        Tensor p = param(Tensor.zeros(2, 2));
        Adam o = Adam.adam(List.of(p), 0.01f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> o.loadStateDict(Map.of(
                "default.0.exp_avg", Tensor.zeros(3), "other.0.exp_avg", Tensor.zeros(2, 2))));
        assertTrue(e.getMessage().contains("default.0.exp_avg (shape [3], parameter [2, 2])"), e.getMessage());
        assertTrue(e.getMessage().contains("other.0.exp_avg (no such group or parameter)"), e.getMessage());
    }

    @Test
    void aStridedGradientIsAppliedElementForElement() {
        Tensor p = param(Tensor.zeros(2, 3));
        Tensor g = Tensor.arange(6).reshape(3, 2).t();
        p.setGrad(g);
        new SGD(List.of(p), 1f, 0f).step();
        assertArrayEquals(new float[] {0, -2, -4, -1, -3, -5}, p.toFloatArray());
        Tensor q = param(Tensor.zeros(2, 3));
        q.setGrad(Tensor.of(new float[] {3, 4, 0}, 3).expand(2, 3));
        GradClip.clipGradNorm(List.of(q), 1f);
        // Norm of [[3, 4, 0], [3, 4, 0]] is √50.
        float s = (float) (1 / (Math.sqrt(50) + 1e-6));
        assertArrayEquals(new float[] {3 * s, 4 * s, 0, 3 * s, 4 * s, 0}, q.grad().toFloatArray(), 1e-7f);
    }

    @Test
    void zeroGradKeepsTheBufferAndZeroesIt() {
        Tensor p = param(Tensor.ones(3));
        SGD o = new SGD(List.of(p), 0.1f, 0f);
        p.mul(2f).sum().backward();
        Tensor g = p.grad();
        o.zeroGrad();
        assertSame(g, p.grad(), "the same gradient buffer");
        assertArrayEquals(new float[3], p.grad().toFloatArray());
    }
}
