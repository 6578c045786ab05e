package org.quadralib.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.quadralib.core.memory.MemoryTracker;
import org.quadralib.core.testing.Golden;
import org.quadralib.core.testing.GradCheck;

/**
 * The engine: accumulation, shared subgraphs, broadcast reduction, detach and no-grad, error messages on misuse,
 * retained and freed graphs, custom functions and the saved-tensor registry.
 */
class AutogradEngineTest {

    /**
     * Saved bytes reported to the registry's listener for nodes recorded while this probe is open, identified by a
     * module path of their own: graphs of other tests that the collector reclaims meanwhile do not count.
     */
    private static final class SavedProbe implements AutoCloseable {
        private final String owner;
        private final MemoryTracker.AutoCloseableOwner scope;
        private final List<Long> events = new ArrayList<>();
        private final SavedTensors.Listener listener;

        SavedProbe(String owner) {
            this.owner = owner;
            this.listener = (bytes, op, who) -> {
                if (who.equals(owner)) {
                    events.add(bytes);
                }
            };
            SavedTensors.addListener(listener);
            scope = MemoryTracker.withOwner(owner);
        }

        long live() {
            return events.stream().mapToLong(Long::longValue).sum();
        }

        List<Long> events() {
            return events;
        }

        @Override
        public void close() {
            scope.close();
            SavedTensors.removeListener(listener);
        }
    }

    private static Tensor leaf(float... values) {
        return Tensor.of(values, values.length).requiresGrad(true);
    }

    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        Tensor x = leaf(1, 2, 3);
        x.mul(x).sum().backward();
        Tensor first = x.grad();
        x.mul(3f).sum().backward();
        // d(x²)/dx + d(3x)/dx, accumulated into the same buffer.
        assertArrayEquals(new float[] {5, 7, 9}, x.grad().toFloatArray());
        assertSame(first, x.grad(), "accumulation reuses the leaf's gradient buffer");
    }

    @Test
    void aTensorUsedTwiceReceivesBothContributions() {
        Tensor x = leaf(0.5f, -1f, 2f);
        Tensor a = x.mul(3f);
        // Diamond: a feeds tanh and a product; both paths meet again in the sum.
        a.tanh().add(a.mul(a)).sum().backward();
        float[] xs = {0.5f, -1f, 2f};
        float[] expected = new float[3];
        for (int i = 0; i < 3; i++) {
            double t = Math.tanh(3 * xs[i]);
            expected[i] = (float) (3 * (1 - t * t) + 18 * xs[i]);
        }
        assertArrayEquals(expected, x.grad().toFloatArray(), 1e-5f);
        assertNull(a.grad(), "intermediate tensors keep no gradient");
        GradCheck.check("diamond", in -> {
            Tensor b = in[0].mul(3f);
            return b.tanh().add(b.mul(b));
        }, leaf(0.5f, -1f, 2f));
    }

    @Test
    void broadcastGradientsAreSummedBackToEachInputShape() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3, 1).requiresGrad(true);
        Tensor y = leaf(10, 20, 30, 40);
        Tensor s = leaf(2);
        x.add(y).mul(s).sum().backward();
        assertArrayEquals(new int[] {3, 1}, x.grad().shape());
        assertArrayEquals(new float[] {8, 8, 8}, x.grad().toFloatArray(), "x [3, 1] gets 4 columns × s");
        assertArrayEquals(new float[] {6, 6, 6, 6}, y.grad().toFloatArray(), "y [4] gets 3 rows × s");
        // d/ds Σ (x_i + y_j) s = Σ_ij (x_i + y_j) = 4·6 + 3·100.
        assertArrayEquals(new float[] {324}, s.grad().toFloatArray());
    }

    @Test
    void detachCutsTheGraphButSharesTheData() {
        Tensor x = leaf(1, 2, 3);
        Tensor d = x.detach();
        assertFalse(d.requiresGrad());
        assertSame(x.storage(), d.storage());
        x.mul(d).sum().backward();
        assertArrayEquals(new float[] {1, 2, 3}, x.grad().toFloatArray(), "the detached factor is a constant: d(x·c)/dx = c");
    }

    @Test
    void noGradScopeRecordsNothing() {
        Tensor x = leaf(1, 2, 3);
        Tensor h = x.mul(1f);
        try (SavedProbe probe = new SavedProbe("no-grad"); GradMode.Scope s = GradMode.noGrad()) {
            assertFalse(GradMode.isEnabled());
            Tensor y = h.mul(h).exp();
            assertNull(y.gradFn());
            assertFalse(y.requiresGrad());
            assertEquals(List.of(), probe.events(), "nothing is saved for backward");
            try (GradMode.Scope e = GradMode.enableGrad()) {
                assertNotNull(x.mul(2f).gradFn(), "enableGrad switches recording back on inside noGrad");
            }
            assertFalse(GradMode.isEnabled(), "closing the inner scope restores no-grad");
        }
        assertTrue(GradMode.isEnabled());
    }

    @Test
    void nodesListTheirInputsIncludingAbsentOptionalOnes() {
        Tensor x = Tensor.randn(new Rng(8), 4, 3).requiresGrad(true);
        Tensor y = F.batchNorm(x, null, null, null, null, true, 0.1f, 1e-5f);
        assertEquals("batch_norm", y.gradFn().op());
        List<Tensor> inputs = y.gradFn().inputs();
        assertEquals(3, inputs.size());
        assertSame(x, inputs.get(0));
        assertNull(inputs.get(1), "no weight");
        assertNull(inputs.get(2), "no bias");
    }

    @Test
    void backwardWithoutRequiresGradNamesTheShape() {
        Tensor t = Tensor.ones(2, 3).mul(2f);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.backward(Tensor.ones(2, 3)));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("does not require a gradient"), e.getMessage());
    }

    @Test
    void secondBackwardThroughAFreedGraphNamesTheOp() {
        Tensor x = leaf(1, 2);
        Tensor y = x.exp().mul(x);
        y.backward(Tensor.ones(2));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> y.backward(Tensor.ones(2)));
        assertTrue(e.getMessage().contains("'mul'") && e.getMessage().contains("backward(seed, true)"), e.getMessage());
    }

    @Test
    void retainGraphAllowsASecondBackward() {
        Tensor x = leaf(0.5f, -1f);
        Tensor y;
        try (SavedProbe probe = new SavedProbe("retain")) {
            Tensor h = x.mul(1f);
            y = h.exp().mul(h).sum();
            // exp keeps its output, mul keeps both operands: h and exp(h), 8 bytes each.
            assertEquals(16, probe.live());
            y.backward(Tensor.scalar(1f), true);
            assertEquals(16, probe.live(), "a retained graph keeps its saved tensors");
            y.backward();
            assertEquals(0, probe.live(), "the last backward frees them");
        }
        float[] g = x.grad().toFloatArray();
        for (int i = 0; i < 2; i++) {
            float v = i == 0 ? 0.5f : -1f;
            assertEquals(2 * Math.exp(v) * (1 + v), g[i], 1e-5, "two backward passes, two contributions");
        }
        assertThrows(IllegalStateException.class, y::backward);
    }

    /** tanh(x)·σ(x), keeping both factors for backward. */
    static final class GatedTanhSaving extends Function {
        @Override
        protected Tensor forward(Context ctx, Tensor... in) {
            Tensor t = in[0].tanh();
            Tensor s = in[0].sigmoid();
            ctx.save(t);
            ctx.save(s);
            return t.mul(s);
        }

        @Override
        protected Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {g.mul(gatedDerivative(ctx.saved(0), ctx.saved(1)))};
        }
    }

    /** The same function, keeping only x and recomputing both factors in backward. */
    static final class GatedTanhRecompute extends Function {
        @Override
        protected String name() {
            return "gated_tanh_recompute";
        }

        @Override
        protected Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0]);
            return in[0].tanh().mul(in[0].sigmoid());
        }

        @Override
        protected Tensor[] backward(Context ctx, Tensor g) {
            Tensor x = ctx.saved(0);
            return new Tensor[] {g.mul(gatedDerivative(x.tanh(), x.sigmoid()))};
        }
    }

    /** d/dx tanh(x)σ(x) = (1 − t²)·s + t·s·(1 − s). */
    private static Tensor gatedDerivative(Tensor t, Tensor s) {
        Tensor one = Tensor.scalar(1f);
        return one.sub(t.mul(t)).mul(s).add(t.mul(s).mul(one.sub(s)));
    }

    @Test
    void customFunctionsSaveWhatTheyChooseAndTheRegistryShowsIt() {
        int n = 256;
        Tensor x = Tensor.randn(new Rng(3), n).requiresGrad(true);
        // Each function gets its own non-leaf input (a leaf would not be counted), so each graph is freed on its own.
        Tensor h1 = x.mul(1f);
        Tensor h2 = x.mul(1f);
        Tensor saving;
        Tensor recompute;
        long savingBytes;
        long recomputeBytes;
        try (SavedProbe a = new SavedProbe("saving")) {
            saving = new GatedTanhSaving().apply(h1);
            savingBytes = a.live();
        }
        try (SavedProbe b = new SavedProbe("recompute")) {
            recompute = new GatedTanhRecompute().apply(h2);
            recomputeBytes = b.live();
        }
        assertEquals(2L * 4 * n, savingBytes, "two saved factors");
        assertEquals(4L * n, recomputeBytes, "only the input");
        assertEquals("GatedTanhSaving", saving.gradFn().op());
        assertEquals("gated_tanh_recompute", recompute.gradFn().op());
        Golden.assertClose("same forward", saving, recompute, 0f, 0f);

        try (SavedProbe released = new SavedProbe("released")) {
            saving.sum().backward();
            float[] viaSaved = x.grad().toFloatArray();
            x.setGrad(null);
            recompute.sum().backward();
            assertArrayEquals(viaSaved, x.grad().toFloatArray(), 1e-6f);
            assertEquals(0, released.live());
        }
        assertTrue(saving.gradFn().isFreed() && recompute.gradFn().isFreed(), "backward released what both functions saved");
        GradCheck.check("gated tanh (recompute)", in -> new GatedTanhRecompute().apply(in[0]),
                Tensor.randn(new Rng(4), 5).requiresGrad(true));
    }

    @Test
    void customFunctionSeesWhichInputsNeedGradients() {
        Function scale = new Function() {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                ctx.put("needs", new boolean[] {ctx.needsInputGrad(0), ctx.needsInputGrad(1)});
                ctx.save(in[1]);
                return in[0].mul(in[1]);
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                boolean[] needs = ctx.get("needs");
                assertArrayEquals(new boolean[] {true, false}, needs);
                return new Tensor[] {g.mul(ctx.saved(0)), null};
            }
        };
        Tensor x = leaf(1, 2);
        Tensor c = Tensor.of(new float[] {3, 4}, 2);
        scale.apply(x, c).sum().backward();
        assertArrayEquals(new float[] {3, 4}, x.grad().toFloatArray());
        assertNull(c.grad());
    }

    @Test
    void customFunctionSeesWhetherItIsRecorded() {
        List<Boolean> seen = new ArrayList<>();
        Function identity = new Function() {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                seen.add(ctx.recordsGraph());
                return in[0].copy();
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                return new Tensor[] {g};
            }
        };
        Tensor x = leaf(1, 2);
        identity.apply(x);
        identity.apply(Tensor.of(new float[] {1, 2}, 2));
        try (GradMode.Scope s = GradMode.noGrad()) {
            identity.apply(x);
        }
        assertEquals(List.of(true, false, false), seen,
                "recorded with an input that requires a gradient; not without one, nor under no-grad");
    }

    @Test
    void savedBytesCountOncePerStorageAndAreReleasedAfterBackward() {
        try (SavedProbe probe = new SavedProbe("once-per-storage")) {
            Tensor x = Tensor.randn(new Rng(5), 1000).requiresGrad(true);
            x.mul(x);
            assertEquals(List.of(), probe.events(), "leaves that require a gradient live anyway and are not counted");
            Tensor h = x.mul(2f);
            // mul saves both operands: one storage. The reshaped views share it too.
            Tensor y1 = h.mul(h);
            Tensor y2 = h.reshape(10, 100).mul(h.reshape(10, 100));
            assertEquals(List.of(4000L), probe.events(), "one event when the storage is first saved");
            y1.sum().add(y2.sum()).backward();
            assertEquals(List.of(4000L, -4000L), probe.events(), "one event when the last node holding it is freed");
        }
    }

    @Test
    void aGraphDroppedWithoutBackwardStopsCountingOnceCollected() throws InterruptedException {
        Tensor x = Tensor.randn(new Rng(6), 4096).requiresGrad(true);
        try (SavedProbe probe = new SavedProbe("dropped")) {
            forwardOnly(x);
            assertEquals(2 * 4 * 4096, probe.live(), "h and exp(h) are held while the graph may still be used");
            // Releases of collected graphs are applied at the next save on any thread; keep saving until it shows.
            for (int attempt = 0; attempt < 100 && probe.live() != 0; attempt++) {
                System.gc();
                Thread.sleep(10);
                try (MemoryTracker.AutoCloseableOwner other = MemoryTracker.withOwner("dropped-trigger")) {
                    x.mul(1f).exp().sum().backward();
                }
            }
            assertEquals(0, probe.live(), "the registry must not keep a discarded graph's activations alive");
            assertEquals(-2 * 4 * 4096, probe.events().stream().filter(b -> b < 0).mapToLong(Long::longValue).sum());
        }
    }

    /** Builds a graph that saves two buffers and drops it. */
    private static void forwardOnly(Tensor x) {
        Tensor h = x.mul(1f);
        h.exp().mul(h);
    }
}
