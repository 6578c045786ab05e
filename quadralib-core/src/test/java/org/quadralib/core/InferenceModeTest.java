package org.quadralib.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.quadralib.core.kernels.ConvKernels;
import org.quadralib.core.kernels.Gemm;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.memory.MemoryTracker;
import org.quadralib.core.optim.SGD;

class InferenceModeTest {

    private int savedThreads;

    @BeforeEach
    void twoThreads() {
        savedThreads = Parallel.threads();
        Parallel.setThreads(2);
    }

    @AfterEach
    void restore() {
        Parallel.setThreads(savedThreads);
    }

    private static Tensor parameter(Rng rng, int... shape) {
        return Tensor.randn(rng, shape).requiresGrad(true);
    }

    /**
     * batch, out, in: dot products of rows (the first two), one thread, columns split between threads (12 rows, two
     * slivers), rows split between threads sharing the packed B (128 rows).
     */
    @ParameterizedTest
    @CsvSource({"1, 70, 300", "3, 70, 300", "40, 70, 300", "12, 512, 400", "128, 256, 784"})
    void linearInsideTheScopeIsBitIdenticalToNoGrad(int batch, int out, int in) {
        Rng rng = new Rng(7);
        Tensor w = parameter(rng, out, in);
        Tensor b = parameter(rng, out);
        Tensor x = Tensor.randn(rng, batch, in);
        float[] expected;
        try (GradMode.Scope g = GradMode.noGrad()) {
            expected = F.linear(x, w, b).toFloatArray();
        }
        try (InferenceMode m = InferenceMode.enter()) {
            assertArrayEquals(expected, F.linear(x, w, b).toFloatArray());
            // the second call reads the cached layout
            assertArrayEquals(expected, F.linear(x, w, b).toFloatArray());
        }
    }

    @Test
    void theCachedLayoutIsMadeOncePerScopeAndReleasedOnClose() {
        Rng rng = new Rng(8);
        Tensor w = parameter(rng, 64, 100);
        long before = MemoryTracker.current(MemoryCategory.WORKSPACE);
        try (InferenceMode m = InferenceMode.enter()) {
            Gemm.PackedB first = InferenceMode.transposedWeight(w);
            assertNotNull(first);
            assertEquals(100, first.depth());
            assertEquals(64, first.columns());
            assertTrue(first.transposed());
            long held = MemoryTracker.current(MemoryCategory.WORKSPACE) - before;
            assertEquals(4L * Gemm.packedSizeB(100, 64), held);
            assertSame(first, InferenceMode.transposedWeight(w));
            assertEquals(held, MemoryTracker.current(MemoryCategory.WORKSPACE) - before);
        }
        assertEquals(before, MemoryTracker.current(MemoryCategory.WORKSPACE));
        assertNull(InferenceMode.transposedWeight(w), "no scope, no cache");
    }

    @Test
    void onlyContiguousParametersAreCached() {
        Rng rng = new Rng(9);
        try (InferenceMode m = InferenceMode.enter()) {
            assertNull(InferenceMode.transposedWeight(Tensor.randn(rng, 4, 5)), "does not require a gradient");
            Tensor p = parameter(rng, 5, 4);
            assertNull(InferenceMode.transposedWeight(p.transpose(0, 1)), "a view, not a leaf");
            assertNotNull(InferenceMode.transposedWeight(parameter(rng, 4, 5)));
        }
    }

    @Test
    void stackedWeightsMultiplyAsOneMatrix() {
        Rng rng = new Rng(10);
        Tensor a = parameter(rng, 30, 50);
        Tensor b = parameter(rng, 20, 50);
        Tensor x = Tensor.randn(rng, 64, 50);
        float[] expected;
        try (GradMode.Scope g = GradMode.noGrad()) {
            expected = F.linear(x, F.cat(0, a, b), null).toFloatArray();
        }
        float[] got = new float[64 * 50];
        try (InferenceMode m = InferenceMode.enter()) {
            Gemm.PackedB packed = InferenceMode.transposedWeights(List.of(a, b));
            Gemm.sgemm(false, 64, 1f, x.contiguous().data(), x.contiguous().offset(), 50, packed, 0f, got, 0, 50);
        }
        assertArrayEquals(expected, got);
    }

    @Test
    void mismatchedWeightsNameTheirShapes() {
        Rng rng = new Rng(11);
        try (InferenceMode m = InferenceMode.enter()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> InferenceMode.transposedWeights(List.of(parameter(rng, 3, 4), parameter(rng, 3, 5))));
            assertTrue(e.getMessage().contains("[3, 4], [3, 5]"), e.getMessage());
            ConvKernels.Geometry g = new ConvKernels.Geometry(1, 4, 8, 8, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1);
            e = assertThrows(IllegalArgumentException.class,
                    () -> InferenceMode.convWeights(g, List.of(parameter(rng, 5, 4, 3, 3))));
            assertTrue(e.getMessage().contains("5 output channels") && e.getMessage().contains("6"), e.getMessage());
        }
    }

    /** 32 channels: the Winograd forward; 3 input channels and a stride of 2: im2col + GEMM. */
    @ParameterizedTest
    @CsvSource({"32, 32, 1", "3, 16, 1", "16, 24, 2"})
    void convolutionInsideTheScopeIsBitIdenticalToNoGrad(int cin, int cout, int stride) {
        Rng rng = new Rng(12);
        Tensor w = parameter(rng, cout, cin, 3, 3);
        Tensor b = parameter(rng, cout);
        Tensor x = Tensor.randn(rng, 5, cin, 12, 12);
        int[] s = {stride, stride};
        int[] pad = {1, 1};
        int[] dil = {1, 1};
        float[] expected;
        try (GradMode.Scope g = GradMode.noGrad()) {
            expected = F.conv2d(x, w, b, s, pad, dil, 1).toFloatArray();
        }
        try (InferenceMode m = InferenceMode.enter()) {
            assertArrayEquals(expected, F.conv2d(x, w, b, s, pad, dil, 1).toFloatArray());
            assertArrayEquals(expected, F.conv2d(x, w, b, s, pad, dil, 1).toFloatArray());
        }
    }

    @Test
    void groupedConvolutionsAreNotCachedAndStillCorrect() {
        Rng rng = new Rng(13);
        Tensor w = parameter(rng, 8, 2, 3, 3);
        Tensor x = Tensor.randn(rng, 2, 8, 6, 6);
        int[] one = {1, 1};
        float[] expected;
        try (GradMode.Scope g = GradMode.noGrad()) {
            expected = F.conv2d(x, w, null, one, one, one, 4).toFloatArray();
        }
        try (InferenceMode m = InferenceMode.enter()) {
            ConvKernels.Geometry g = new ConvKernels.Geometry(2, 8, 6, 6, 8, 3, 3, 1, 1, 1, 1, 1, 1, 4);
            assertNull(InferenceMode.convWeights(g, List.of(w)));
            assertArrayEquals(expected, F.conv2d(x, w, null, one, one, one, 4).toFloatArray());
        }
    }

    @Test
    void theScopeRecordsNoGraphAndRestoresTheGradMode() {
        Rng rng = new Rng(14);
        Tensor w = parameter(rng, 3, 4);
        assertTrue(GradMode.isEnabled());
        try (InferenceMode m = InferenceMode.enter()) {
            assertFalse(GradMode.isEnabled());
            assertTrue(InferenceMode.isActive());
            assertFalse(F.linear(Tensor.randn(rng, 2, 4), w, null).requiresGrad());
        }
        assertTrue(GradMode.isEnabled());
        assertFalse(InferenceMode.isActive());
    }

    @Test
    void anOptimizerStepInsideTheScopeThrows() {
        Rng rng = new Rng(15);
        Tensor w = parameter(rng, 3, 4);
        F.linear(Tensor.randn(rng, 2, 4), w, null).sum().backward();
        SGD sgd = new SGD(List.of(w), 0.1f, 0f);
        float[] before = w.toFloatArray();
        try (InferenceMode m = InferenceMode.enter()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, sgd::step);
            assertTrue(e.getMessage().contains("SGD.step()") && e.getMessage().contains("InferenceMode"),
                    e.getMessage());
        }
        assertArrayEquals(before, w.toFloatArray(), "the weights were not touched");
        sgd.step();
        assertFalse(Arrays.equals(before, w.toFloatArray()), "outside the scope the step runs");
    }

    @Test
    void weightsChangedAfterCloseAreReadAfresh() {
        Rng rng = new Rng(16);
        Tensor w = parameter(rng, 6, 40);
        Tensor x = Tensor.randn(rng, 16, 40);
        float[] first;
        try (InferenceMode m = InferenceMode.enter()) {
            first = F.linear(x, w, null).toFloatArray();
        }
        w.data()[w.offset()] += 1f;
        try (InferenceMode m = InferenceMode.enter()) {
            float[] second = F.linear(x, w, null).toFloatArray();
            assertFalse(Arrays.equals(first, second));
            try (GradMode.Scope g = GradMode.noGrad()) {
                assertArrayEquals(F.linear(x, w, null).toFloatArray(), second);
            }
        }
    }

    @Test
    void scopesNestAndMustBeClosedInOrder() {
        Rng rng = new Rng(17);
        Tensor w = parameter(rng, 6, 8);
        InferenceMode outer = InferenceMode.enter();
        Gemm.PackedB fromOuter = InferenceMode.transposedWeight(w);
        InferenceMode inner = InferenceMode.enter();
        IllegalStateException e = assertThrows(IllegalStateException.class, outer::close);
        assertTrue(e.getMessage().contains("still open"), e.getMessage());
        Gemm.PackedB fromInner = InferenceMode.transposedWeight(w);
        assertNotNull(fromInner);
        assertFalse(fromInner == fromOuter, "each scope caches for itself");
        inner.close();
        inner.close();
        assertSame(fromOuter, InferenceMode.transposedWeight(w));
        outer.close();
        assertFalse(InferenceMode.isActive());
        assertTrue(GradMode.isEnabled());
    }
}
