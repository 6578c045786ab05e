package org.quadralib.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.quadralib.core.F;
import org.quadralib.core.GradMode;
import org.quadralib.core.Parallel;
import org.quadralib.core.Rng;
import org.quadralib.core.SavedTensors;
import org.quadralib.core.Tensor;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.memory.MemoryTracker;
import org.quadralib.core.optim.GradClip;
import org.quadralib.core.optim.SGD;
import org.quadralib.core.testing.Golden;
import org.quadralib.layers.QuadraticOptions.BackpropMode;

/**
 * Hybrid back-propagation against standard mode: same outputs and gradients for every neuron type and geometry,
 * with and without branch norm and masking; and the memory it exists for, measured through {@link SavedTensors}.
 */
class HybridBackpropTest {

    /** Geometries: a linear layer, a padded convolution, stride 2 with dilation, two groups, depthwise. */
    enum Shape { LINEAR, CONV, STRIDED, GROUPED, DEPTHWISE }

    static QuadraticLayer layer(Shape shape, NeuronType type, QuadraticOptions o) {
        return switch (shape) {
            case LINEAR -> new QuadraticLinear(6, 5, type, o);
            case CONV -> new QuadraticConv2d(3, 4, 3, 1, 1, 1, 1, type, o);
            case STRIDED -> new QuadraticConv2d(3, 4, 3, 2, 2, 2, 1, type, o);
            case GROUPED -> new QuadraticConv2d(4, 6, 3, 1, 1, 1, 2, type, o);
            case DEPTHWISE -> new QuadraticConv2d(3, 6, 3, 1, 0, 1, 3, type, o);
        };
    }

    static Tensor input(Shape shape, Rng rng) {
        return switch (shape) {
            case LINEAR -> Tensor.randn(rng, 7, 6);
            case CONV, STRIDED -> Tensor.randn(rng, 3, 3, 7, 6);
            case GROUPED -> Tensor.randn(rng, 2, 4, 5, 5);
            case DEPTHWISE -> Tensor.randn(rng, 2, 3, 6, 5);
        };
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Shape s : Shape.values()) {
            for (NeuronType t : NeuronType.values()) {
                out.add(Arguments.of(s, t, false, false));
                out.add(Arguments.of(s, t, false, true));
                if (t.supportsBranchNorm()) {
                    out.add(Arguments.of(s, t, true, false));
                }
            }
        }
        return out.stream();
    }

    /** Runs forward and backward with a seeded output gradient; returns the output, the input gradient and the parameters' gradients. */
    private static List<Tensor> run(QuadraticLayer layer, Tensor x0, long seed) {
        Tensor x = x0.copy().requiresGrad(true);
        Tensor y = layer.forward(x);
        y.backward(Tensor.randn(new Rng(seed), y.shape()));
        List<Tensor> out = new ArrayList<>();
        out.add(y.detach());
        out.add(x.grad());
        for (Map.Entry<String, Parameter> e : layer.namedParameters().entrySet()) {
            out.add(e.getValue().tensor().grad());
        }
        return out;
    }

    @ParameterizedTest(name = "{0} {1} norm={2} masked={3}")
    @MethodSource("cases")
    void hybridEqualsStandard(Shape shape, NeuronType type, boolean norm, boolean masked) {
        Init.manualSeed(11);
        QuadraticOptions o = QuadraticOptions.DEFAULT.withBranchNorm(norm);
        QuadraticLayer hybrid = layer(shape, type, o);
        QuadraticLayer standard = layer(shape, type, o.withMode(BackpropMode.STANDARD));
        standard.loadStateDict(hybrid.stateDict(), true);
        hybrid.quadraticTermMasked(masked);
        standard.quadraticTermMasked(masked);
        Tensor x = input(shape, new Rng(5));
        List<Tensor> h = run(hybrid, x, 9);
        List<Tensor> s = run(standard, x, 9);
        List<String> names = new ArrayList<>(hybrid.namedParameters().keySet());
        for (int i = 0; i < h.size(); i++) {
            String what = i == 0 ? "output" : i == 1 ? "input gradient" : "gradient of " + names.get(i - 2);
            if (s.get(i) == null) {
                assertEquals(null, h.get(i), "standard has no " + what + ", hybrid has one");
                continue;
            }
            assertNotNull(h.get(i), "hybrid " + what);
            Golden.assertClose(shape + " " + type + " " + what, s.get(i), h.get(i), 1e-5f, 1e-4f);
        }
        for (Map.Entry<String, Tensor> e : standard.stateDict().entrySet()) {
            Golden.assertClose(shape + " " + type + " state " + e.getKey(), e.getValue(), hybrid.stateDict().get(e.getKey()), 1e-6f, 1e-5f);
        }
    }

    /** Under no-grad a standard layer without branch norms runs the fused forward: the output must not change. */
    @ParameterizedTest(name = "{0} {1} norm={2} masked={3}")
    @MethodSource("cases")
    void standardForwardWithoutRecordingEqualsTheRecordedOne(Shape shape, NeuronType type, boolean norm, boolean masked) {
        Init.manualSeed(13);
        QuadraticLayer standard = layer(shape, type, QuadraticOptions.DEFAULT.withBranchNorm(norm).withMode(BackpropMode.STANDARD));
        standard.quadraticTermMasked(masked);
        standard.eval();
        Tensor x = input(shape, new Rng(7));
        Tensor recorded = standard.forward(x.copy().requiresGrad(true));
        assertNotNull(recorded.gradFn(), "recorded forward has a graph");
        Tensor plain;
        try (GradMode.Scope g = GradMode.noGrad()) {
            plain = standard.forward(x);
        }
        assertEquals(null, plain.gradFn(), "no graph under no-grad");
        Golden.assertClose(shape + " " + type + " output", recorded.detach(), plain, 1e-6f, 1e-5f);
    }

    @Test
    void branchNormInEvaluationUsesRunningStatisticsInBothModes() {
        for (NeuronType t : new NeuronType[] {NeuronType.T3, NeuronType.T2_4, NeuronType.QRES}) {
            Init.manualSeed(3);
            QuadraticLayer hybrid = layer(Shape.CONV, t, QuadraticOptions.DEFAULT.withBranchNorm(true));
            QuadraticLayer standard = layer(Shape.CONV, t, QuadraticOptions.DEFAULT.withBranchNorm(true).withMode(BackpropMode.STANDARD));
            Rng rng = new Rng(8);
            for (BatchNorm b : hybrid.branchNorms()) {
                b.runningMean().copyFrom(Tensor.randn(rng, 4));
                b.runningVar().copyFrom(Tensor.rand(rng, 4).add(0.5f));
            }
            standard.loadStateDict(hybrid.stateDict(), true);
            hybrid.eval();
            standard.eval();
            Tensor x = input(Shape.CONV, new Rng(6));
            List<Tensor> h = run(hybrid, x, 2);
            List<Tensor> s = run(standard, x, 2);
            for (int i = 0; i < h.size(); i++) {
                Golden.assertClose(t + " eval #" + i, s.get(i), h.get(i), 1e-5f, 1e-4f);
            }
        }
    }

    @Test
    void quadraticFormInSeveralChunksEqualsOneChunk() {
        for (Shape shape : new Shape[] {Shape.LINEAR, Shape.GROUPED}) {
            for (NeuronType t : new NeuronType[] {NeuronType.T1, NeuronType.T1_2}) {
                Init.manualSeed(4);
                QuadraticLayer whole = layer(shape, t, QuadraticOptions.DEFAULT);
                QuadraticLayer chunked = layer(shape, t, QuadraticOptions.DEFAULT);
                chunked.loadStateDict(whole.stateDict(), true);
                chunked.formChunkFloats = 1;
                Tensor x = input(shape, new Rng(12));
                List<Tensor> a = run(whole, x, 3);
                List<Tensor> b = run(chunked, x, 3);
                for (int i = 0; i < a.size(); i++) {
                    Golden.assertClose(shape + " " + t + " chunked #" + i, a.get(i), b.get(i), 1e-5f, 1e-4f);
                }
            }
        }
    }

    /**
     * Without batch statistics, forward and backward run the branch values in chunks of items; with one item per
     * chunk (one thread, a one-float budget) every result equals the whole-batch computation. Covers every type
     * with stacked branches, training mode without branch norm and evaluation mode with it, and masking.
     */
    @Test
    void branchesInSeveralChunksEqualOneChunk() {
        int threads = Parallel.threads();
        Parallel.setThreads(1);
        try {
            for (Shape shape : new Shape[] {Shape.LINEAR, Shape.CONV, Shape.GROUPED, Shape.DEPTHWISE}) {
                for (NeuronType t : NeuronType.values()) {
                    if (t.hasQuadraticForm()) {
                        continue;
                    }
                    for (boolean norm : new boolean[] {false, true}) {
                        for (boolean mask : new boolean[] {false, true}) {
                            QuadraticOptions o = QuadraticOptions.DEFAULT.withBranchNorm(norm && t.supportsBranchNorm())
                                    .withLinearStart(false);
                            Init.manualSeed(9);
                            QuadraticLayer whole = layer(shape, t, o);
                            QuadraticLayer chunked = layer(shape, t, o);
                            chunked.loadStateDict(whole.stateDict(), true);
                            chunked.branchChunkFloats = 1;
                            if (norm) {
                                // Branch norms use running statistics in evaluation mode: no batch sums.
                                whole.eval();
                                chunked.eval();
                            }
                            whole.quadraticTermMasked(mask);
                            chunked.quadraticTermMasked(mask);
                            Tensor x = input(shape, new Rng(13));
                            List<Tensor> a = run(whole, x, 3);
                            List<Tensor> b = run(chunked, x, 3);
                            String what = shape + " " + t + (norm ? " eval, branch norm" : " train") + (mask ? " masked" : "");
                            assertEquals(a.size(), b.size(), what);
                            for (int i = 0; i < a.size(); i++) {
                                if (a.get(i) == null) {
                                    assertEquals(null, b.get(i), what + " #" + i + ": only the chunked run has a gradient");
                                } else {
                                    Golden.assertClose(what + " #" + i, a.get(i), b.get(i), 1e-5f, 1e-4f);
                                }
                            }
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(threads);
        }
    }

    /**
     * A forward that no backward will follow (no-grad) projects {@link QuadraticEngine#INFERENCE_CHUNK_FACTOR} times
     * as many items per chunk as a recorded one, seen as the largest activation buffer the layer asks for, and
     * computes the same output.
     */
    @Test
    void forwardWithoutGraphUsesLargerChunksWithTheSameOutput() {
        int threads = Parallel.threads();
        Parallel.setThreads(1);
        try {
            Init.manualSeed(21);
            QuadraticLayer layer = layer(Shape.CONV, NeuronType.PROPOSED, QuadraticOptions.DEFAULT);
            Tensor x = Tensor.randn(new Rng(22), 8, 3, 7, 6);
            int perItem = 3 * 4 * 7 * 6; // three stacked branches of 4 channels, 7 × 6 positions
            layer.branchChunkFloats = perItem;
            long[] largest = new long[1];
            MemoryTracker.Listener watch = (category, bytes, owner) -> {
                if (category == MemoryCategory.ACTIVATION) {
                    largest[0] = Math.max(largest[0], bytes);
                }
            };
            MemoryTracker.addListener(watch);
            try {
                Tensor recorded = layer.forward(x.copy().requiresGrad(true)).detach();
                long recordedLargest = largest[0];
                largest[0] = 0;
                Tensor free;
                try (GradMode.Scope s = GradMode.noGrad()) {
                    free = layer.forward(x);
                }
                long inferenceChunkBytes = (long) QuadraticEngine.INFERENCE_CHUNK_FACTOR * perItem * Float.BYTES;
                // The output (8 items × 4 channels) is the largest buffer of the recorded forward, whose chunks hold
                // one item; without a graph the chunks of four items are larger than it.
                assertTrue(recordedLargest < inferenceChunkBytes,
                        "largest activation buffer of a recorded forward: " + recordedLargest + " bytes");
                assertEquals(inferenceChunkBytes, largest[0],
                        "largest activation buffer of a forward without graph");
                Golden.assertClose("output without graph", recorded, free, 1e-6f, 1e-6f);
            } finally {
                MemoryTracker.removeListener(watch);
            }
        } finally {
            Parallel.setThreads(threads);
        }
    }

    /**
     * Chunk sizes: the whole batch when it fits the budget, else never above the budget, and a multiple of the
     * thread count whenever larger than it, so each thread gets as many images of every chunk.
     */
    @Test
    void chunksStayWithinTheBudgetAndSplitEvenlyAmongThreads() {
        for (int threads = 1; threads <= 4; threads++) {
            for (int items = 1; items <= 64; items++) {
                for (int max = threads; max <= items + 2; max++) {
                    int c = QuadraticEngine.evenChunk(items, max, threads);
                    String what = items + " items, at most " + max + " a chunk, " + threads + " threads: " + c;
                    if (max >= items) {
                        assertEquals(items, c, what);
                        continue;
                    }
                    assertTrue(c >= 1 && c <= max, what);
                    if (c > threads) {
                        assertEquals(0, c % threads, what);
                    }
                }
            }
        }
        // The CIFAR VGG's 16-pixel layers: 32 images in chunks of 4, not 5+5+5+5+5+5+2; at 8 pixels 4 × 8, not 10+10+10+2.
        assertEquals(4, QuadraticEngine.evenChunk(32, 5, 2));
        assertEquals(8, QuadraticEngine.evenChunk(32, 10, 2));
        assertEquals(2, QuadraticEngine.evenChunk(32, 2, 2));
    }

    @Test
    void onlyParametersGetGradientsWhenTheInputNeedsNone() {
        Init.manualSeed(2);
        QuadraticLayer hybrid = layer(Shape.CONV, NeuronType.PROPOSED, QuadraticOptions.DEFAULT);
        QuadraticLayer standard = layer(Shape.CONV, NeuronType.PROPOSED, QuadraticOptions.DEFAULT.withMode(BackpropMode.STANDARD));
        standard.loadStateDict(hybrid.stateDict(), true);
        Tensor x = input(Shape.CONV, new Rng(1));
        hybrid.forward(x).sum().backward();
        standard.forward(x).sum().backward();
        for (String name : hybrid.namedParameters().keySet()) {
            Golden.assertClose(name, standard.namedParameters().get(name).tensor().grad(), hybrid.namedParameters().get(name).tensor().grad(),
                    1e-5f, 1e-4f);
        }
    }

    private static Sequential smallModel(BackpropMode mode) {
        QuadraticOptions o = QuadraticOptions.DEFAULT.withMode(mode).withLinearStart(true);
        return new Sequential(new QuadraticConv2d(2, 4, 3, 1, 1, 1, 1, NeuronType.PROPOSED, o.withBranchNorm(false)), new ReLU(),
                new QuadraticConv2d(4, 4, 3, 2, 1, 1, 4, NeuronType.T2_4, o), new Flatten(),
                new QuadraticLinear(36, 3, NeuronType.QRES, o.withBranchNorm(true).withLinearStart(false)));
    }

    @Test
    void hybridAndStandardModelsTrainAlongTheSameTrajectory() {
        Init.manualSeed(21);
        Sequential hybrid = smallModel(BackpropMode.HYBRID);
        Sequential standard = smallModel(BackpropMode.STANDARD);
        standard.loadStateDict(hybrid.stateDict(), true);
        Rng rng = new Rng(30);
        Tensor x = Tensor.randn(rng, 6, 2, 6, 6);
        int[] labels = {0, 1, 2, 0, 1, 2};
        SGD optH = QuadraticOptimizers.sgd(hybrid, 0.1f, 0.9f, 0.1f);
        SGD optS = QuadraticOptimizers.sgd(standard, 0.1f, 0.9f, 0.1f);
        float first = Float.NaN;
        float last = Float.NaN;
        for (int step = 0; step < 5; step++) {
            float[] losses = new float[2];
            Sequential[] models = {hybrid, standard};
            SGD[] opts = {optH, optS};
            for (int m = 0; m < 2; m++) {
                opts[m].zeroGrad();
                Tensor loss = F.crossEntropy(models[m].forward(x), labels);
                loss.backward();
                GradClip.clipGradNorm(models[m].parameters(), QuadraticOptimizers.REFERENCE_MAX_GRAD_NORM);
                opts[m].step();
                losses[m] = loss.item();
            }
            assertEquals(losses[1], losses[0], 1e-5f * Math.max(1f, Math.abs(losses[1])), "loss at step " + step);
            first = step == 0 ? losses[0] : first;
            last = losses[0];
        }
        assertTrue(last < first, "training lowers the loss: " + first + " -> " + last);
        for (Map.Entry<String, Tensor> e : standard.stateDict().entrySet()) {
            Golden.assertClose("after training: " + e.getKey(), e.getValue(), hybrid.stateDict().get(e.getKey()), 1e-5f, 1e-4f);
        }
    }

    /** Runs its one child, registered under a name that tags everything the child saves for backward. */
    private static final class Tagged extends Module {
        private final Module child;

        Tagged(String tag, Module child) {
            this.child = registerModule(tag, child);
        }

        @Override
        protected Tensor compute(Tensor x) {
            return child.forward(x);
        }
    }

    /**
     * Bytes that ops run under module path {@code tag} save for backward during {@code forward}, and the bytes
     * released by the backward pass that follows. Counted through a {@link SavedTensors.Listener} filtered by the
     * tag rather than by {@link SavedTensors#liveBytes()} differences: graphs that earlier tests dropped are
     * released when the collector reclaims them, at any later save, which would blur a global difference.
     */
    private static long[] savedBytes(String tag, Supplier<Tensor> forward) {
        long[] saved = new long[1];
        long[] released = new long[1];
        SavedTensors.Listener l = (bytes, op, owner) -> {
            if (owner.equals(tag) || owner.startsWith(tag + ".")) {
                (bytes > 0 ? saved : released)[0] += bytes;
            }
        };
        SavedTensors.addListener(l);
        try {
            Tensor y = forward.get();
            long atForward = saved[0];
            y.sum().backward();
            return new long[] {atForward, -released[0]};
        } finally {
            SavedTensors.removeListener(l);
        }
    }

    @Test
    void hybridConvSavesWhatAFirstOrderConvSavesAndStandardKeepsTheBranches() {
        int n = 4;
        int c = 16;
        int h = 16;
        int w = 16;
        Rng rng = new Rng(7);
        Tensor x = Tensor.randn(rng, n, c, h, w);
        Init.manualSeed(1);
        Tagged firstOrder = new Tagged("firstOrder", new Conv2d(c, c, 3, 1, 1));
        Tagged hybrid = new Tagged("hybrid", new QuadraticConv2d(c, c, 3, 1, 1, NeuronType.PROPOSED));
        Tagged standard = new Tagged("standard", new QuadraticConv2d(c, c, 3, 1, 1, 1, 1, NeuronType.PROPOSED,
                QuadraticOptions.DEFAULT.withMode(BackpropMode.STANDARD)));
        long[] first = savedBytes("firstOrder", () -> firstOrder.forward(x));
        long[] hyb = savedBytes("hybrid", () -> hybrid.forward(x));
        long[] std = savedBytes("standard", () -> standard.forward(x));
        long branch = 4L * n * c * h * w;
        assertEquals(4L * x.numel(), first[0], "the first-order convolution saves its input");
        assertTrue(hyb[0] <= 1.1 * first[0], "hybrid saved " + hyb[0] + " bytes, first-order conv " + first[0]);
        assertTrue(std[0] >= first[0] + 2 * branch,
                "standard saved " + std[0] + " bytes, expected at least " + first[0] + " + 2 branches of " + branch);
        assertEquals(first[0], first[1], "backward releases what the first-order conv saved");
        assertEquals(hyb[0], hyb[1], "backward releases what hybrid saved");
        assertEquals(std[0], std[1], "backward releases what standard saved");
    }
}
