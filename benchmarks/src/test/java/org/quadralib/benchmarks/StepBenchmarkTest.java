package org.quadralib.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.quadralib.core.memory.MemoryCategory;

/** The step benchmark's workloads, command line and memory figures. */
class StepBenchmarkTest {

    /**
     * Parameter counts of the PyTorch definitions in {@code benchmarks/peers/torch_step.py} (printed by
     * {@code sum(p.numel() for p in build(w, q)[0].parameters())}): both sides train the same networks.
     */
    @Test
    void workloadsHaveThePeersParameterCounts() {
        long[][] torch = {{269_322, 806_922}, {61_706, 184_646}, {308_394, 922_474}};
        for (StepWorkload w : StepWorkload.values()) {
            for (StepWorkload.Variant v : StepWorkload.Variant.values()) {
                long expected = torch[w.ordinal()][v == StepWorkload.Variant.FIRST_ORDER ? 0 : 1];
                assertEquals(expected, w.build(v.factory()).parameterCount(), w + " " + v.label());
            }
        }
        assertArrayEquals(new int[] {64, 1, 28, 28}, StepWorkload.W2.inputShape());
    }

    @Test
    void optionsAreCheckedAndNamed() {
        StepBenchmark.Options o = StepBenchmark.Options.parse(new String[] {"--workload", "w3", "--variant", "quadratic-hybrid"});
        assertEquals(StepWorkload.W3, o.workload());
        assertEquals(StepWorkload.Variant.QUADRATIC_HYBRID, o.variant());
        assertEquals(30, o.steps());
        assertEquals(2, o.threads());
        assertEquals(1e-4f, o.lr());
        assertEquals(10.0, o.warmupSeconds());
        IllegalArgumentException few = assertThrows(IllegalArgumentException.class,
                () -> StepBenchmark.Options.parse(new String[] {"--workload", "W1", "--steps", "19"}));
        assertTrue(few.getMessage().contains("--steps") && few.getMessage().contains("19"), few.getMessage());
        IllegalArgumentException variant = assertThrows(IllegalArgumentException.class,
                () -> StepBenchmark.Options.parse(new String[] {"--workload", "W1", "--variant", "quadratic"}));
        assertTrue(variant.getMessage().contains("'quadratic'"), variant.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StepBenchmark.Options.parse(new String[] {"--variant", "first-order"}));
        assertThrows(IllegalArgumentException.class, () -> StepBenchmark.Options.parse(new String[] {"--workload", "W4"}));
        assertThrows(IllegalArgumentException.class, () -> StepBenchmark.Options.parse(new String[] {"--workload", "W1", "--lr", "-1"}));
        assertThrows(IllegalArgumentException.class, () -> StepBenchmark.Options.parse(new String[] {"--workload"}));
    }

    /**
     * A pooled steady-state step allocates no fresh pool arrays and little heap (after enough warm-up steps for C2
     * to compile the Vector API kernels: interpreted or C1-compiled, every vector operation allocates; C2 compiles in
     * the background, and 40 steps, 0.1 s on a fast machine, were sometimes over before it had), and backward hands consumed
     * gradients back to the pool, so fewer activation-gradient bytes are live at once than a step hands out.
     */
    @Test
    void aSteadyStepReusesItsBuffers() {
        StepBenchmark.Result r = StepBenchmark.run(
                StepBenchmark.Options.parse(new String[] {"--workload", "W1", "--steps", "20", "--warmup", "300", "--warmup-seconds", "0",
                    "--threads", "1"}));
        assertTrue(Float.isFinite(r.finalLoss()), "loss " + r.finalLoss());
        assertEquals(0, r.freshPoolBytesLastStep(), "the pool serves every array of a repeated step");
        long activation = r.bytesPerStepByCategory()[MemoryCategory.ACTIVATION.ordinal()];
        long gradients = r.bytesPerStepByCategory()[MemoryCategory.ACTIVATION_GRADIENT.ordinal()];
        assertTrue(r.heapBytesPerStep() < activation / 10, r.heapBytesPerStep() + " heap bytes per step, activations " + activation);
        long livePeak = r.peakByCategory().get(MemoryCategory.ACTIVATION_GRADIENT);
        assertTrue(livePeak < gradients, "activation gradients live at once " + livePeak + ", handed out per step " + gradients);
        assertEquals(r.trainMs().length, 20);
        assertTrue(StepBenchmark.median(r.trainMs()) > 0 && StepBenchmark.median(r.inferMs()) > 0);
        assertEquals(20, r.inferNoGradMs().length);
        assertTrue(StepBenchmark.median(r.inferNoGradMs()) > 0);
        assertTrue(r.toJson().contains("\"infer_nograd_ms\": "), r.toJson());
        assertTrue(r.toJson().endsWith("\"java\": \"" + System.getProperty("java.version") + "\", \"java_vm\": \""
                + System.getProperty("java.vm.version") + "\"}"), r.toJson());
    }

    @Test
    void quantilesInterpolateLikeNumpy() {
        double[] v = {4, 1, 3, 2};
        assertEquals(2.5, StepBenchmark.median(v), 1e-12);
        assertEquals(1.75, StepBenchmark.quantile(v, 0.25), 1e-12);
        assertEquals(4, StepBenchmark.quantile(v, 1), 1e-12);
    }
}
