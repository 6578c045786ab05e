package org.quadralib.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.quadralib.core.GradMode;
import org.quadralib.core.InferenceMode;
import org.quadralib.core.Parallel;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.memory.MemoryTracker;
import org.quadralib.layers.HybridBackpropTest.Shape;
import org.quadralib.layers.QuadraticOptions.BackpropMode;

/**
 * Layers inside an {@link InferenceMode} scope, whose ops and quadratic layers read cached weight layouts: the outputs
 * must be those of a forward pass under no-grad alone, bit for bit, for every neuron type and geometry.
 */
class InferenceModeLayersTest {

    static Stream<Arguments> cases() {
        return HybridBackpropTest.cases().flatMap(a -> Stream.of(BackpropMode.values())
                .map(m -> Arguments.of(a.get()[0], a.get()[1], a.get()[2], a.get()[3], m)));
    }

    private static float[] forward(Module m, Tensor x, boolean scope) {
        if (scope) {
            try (InferenceMode s = InferenceMode.enter()) {
                float[] first = m.forward(x).toFloatArray();
                assertArrayEquals(first, m.forward(x).toFloatArray(), "second call, from the cache");
                return first;
            }
        }
        try (GradMode.Scope g = GradMode.noGrad()) {
            return m.forward(x).toFloatArray();
        }
    }

    @ParameterizedTest(name = "{0} {1} norm={2} masked={3} {4}")
    @MethodSource("cases")
    void quadraticLayersGiveTheNoGradOutput(Shape shape, NeuronType type, boolean norm, boolean masked,
                                            BackpropMode mode) {
        Init.manualSeed(21);
        QuadraticLayer layer = HybridBackpropTest.layer(shape, type,
                QuadraticOptions.DEFAULT.withBranchNorm(norm).withMode(mode));
        layer.quadraticTermMasked(masked);
        layer.eval();
        Tensor x = HybridBackpropTest.input(shape, new Rng(22));
        assertArrayEquals(forward(layer, x, false), forward(layer, x, true));
    }

    /**
     * Channels enough for the Winograd forward (16 in, 3 × 16 stacked out), a batch large enough for the chunked
     * forward, and a linear layer wide enough for the threads to split its product; two threads.
     */
    @Test
    void largerLayersOnTwoThreadsGiveTheNoGradOutput() {
        int saved = Parallel.threads();
        Parallel.setThreads(2);
        try {
            for (BackpropMode mode : BackpropMode.values()) {
                Init.manualSeed(23);
                QuadraticOptions o = QuadraticOptions.DEFAULT.withMode(mode);
                Module conv = new Sequential(new QuadraticConv2d(16, 16, 3, 1, 1, 1, 1, NeuronType.PROPOSED, o),
                        new ReLU(), new Conv2d(16, 16, 3, 1, 1), new BatchNorm2d(16));
                conv.eval();
                Tensor images = Tensor.randn(new Rng(24), 40, 16, 12, 12);
                assertArrayEquals(forward(conv, images, false), forward(conv, images, true), mode + " convolution");
                Module mlp = new Sequential(new QuadraticLinear(300, 200, NeuronType.PROPOSED, o), new ReLU(),
                        new Linear(200, 10));
                mlp.eval();
                Tensor rows = Tensor.randn(new Rng(25), 128, 300);
                assertArrayEquals(forward(mlp, rows, false), forward(mlp, rows, true), mode + " linear");
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void loadingAStateDictionaryInsideTheScopeThrowsAndCopiesNothing() {
        Init.manualSeed(28);
        Linear source = new Linear(5, 3);
        Init.manualSeed(29);
        Linear target = new Linear(5, 3);
        float[] before = target.stateDict().get("weight").toFloatArray();
        try (InferenceMode m = InferenceMode.enter()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> target.loadStateDict(source.stateDict(), true));
            assertTrue(e.getMessage().contains("loadStateDict"), e.getMessage());
        }
        assertArrayEquals(before, target.stateDict().get("weight").toFloatArray());
        target.loadStateDict(source.stateDict(), true);
        assertArrayEquals(source.stateDict().get("weight").toFloatArray(), target.stateDict().get("weight").toFloatArray());
    }

    @Test
    void theCachedLayoutsAreReleasedWhenTheScopeCloses() {
        Init.manualSeed(26);
        Module mlp = new Sequential(new QuadraticLinear(64, 32, NeuronType.PROPOSED, QuadraticOptions.DEFAULT),
                new Linear(32, 4));
        mlp.eval();
        Tensor x = Tensor.randn(new Rng(27), 16, 64);
        forward(mlp, x, true);
        long before = MemoryTracker.current(MemoryCategory.WORKSPACE);
        forward(mlp, x, true);
        assertEquals(before, MemoryTracker.current(MemoryCategory.WORKSPACE));
    }
}
