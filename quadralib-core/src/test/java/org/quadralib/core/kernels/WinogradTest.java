package org.quadralib.core.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.quadralib.core.Parallel;

/** The F(2×2, 3×3) forward path of {@link ConvKernels} against a direct double-precision convolution. */
class WinogradTest {

    /** n, c, h, w, cout, ph, pw: all 3×3, stride 1, dilation 1, one group. */
    private static final int[][] GEOMETRIES = {
        {2, 16, 8, 8, 16, 1, 1},      // VGG-style "same" convolution
        {3, 17, 9, 7, 20, 1, 1},      // odd sizes: the last tile row and column are cut
        {2, 16, 7, 10, 18, 0, 0},     // "valid" convolution
        {1, 16, 5, 6, 16, 2, 2},      // "full" convolution: the input gradient has no padding
        {2, 16, 6, 9, 17, 2, 0},      // padding differs by axis
        {4, 32, 16, 16, 48, 1, 1},    // several tile blocks, split between threads
        {5, 40, 3, 3, 24, 1, 1},      // tiny images: one block spans several of them
        {2, 64, 6, 6, 130, 1, 1},     // 8320 filters: transformed and packed by several threads
    };

    private static ConvKernels.Geometry geo(int[] s) {
        return new ConvKernels.Geometry(s[0], s[1], s[2], s[3], s[4], 3, 3, 1, 1, s[5], s[6], 1, 1, 1);
    }

    private static float[] random(Random r, long size) {
        float[] a = new float[(int) size];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextFloat() * 2 - 1;
        }
        return a;
    }

    private static float[] nan(long size) {
        float[] a = new float[(int) size];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    /**
     * Each result within a few units of rounding, relative to the sum of the magnitudes of its terms: the
     * transforms' sums of up to nine terms with coefficients ±½, ±1 add a factor of about 10 to a direct sum's
     * bound. A wrong transform entry errs by the size of a term.
     */
    private static void assertClose(String what, double[] ref, double[] mag, float[] got, int depth) {
        for (int i = 0; i < ref.length; i++) {
            double tol = 10 * (depth + 3) * 1.2e-7 * mag[i] + 1e-30;
            if (!(Math.abs(got[i] - ref[i]) <= tol)) {
                fail(what + "[" + i + "] = " + got[i] + ", expected " + ref[i] + " +- " + tol);
            }
        }
    }

    @Test
    void forwardMatchesDirectConvolutionForEveryThreadCount() {
        int saved = Parallel.threads();
        try {
            long seed = 3;
            for (int[] s : GEOMETRIES) {
                ConvKernels.Geometry g = geo(s);
                assertTrue(Winograd.applies(g), g.toString());
                Random r = new Random(seed++);
                float[] x = random(r, g.inputSize());
                float[] w = random(r, g.weightSize());
                float[] bias = random(r, g.cout());
                int oh = g.outH();
                int ow = g.outW();
                double[] y = new double[(int) g.outputSize()];
                double[] yMag = new double[y.length];
                for (int b = 0; b < g.n(); b++) {
                    for (int o = 0; o < g.cout(); o++) {
                        for (int i = 0; i < oh; i++) {
                            for (int j = 0; j < ow; j++) {
                                int yi = ((b * g.cout() + o) * oh + i) * ow + j;
                                y[yi] += bias[o];
                                yMag[yi] += Math.abs(bias[o]);
                                for (int c = 0; c < g.c(); c++) {
                                    for (int p = 0; p < 3; p++) {
                                        for (int q = 0; q < 3; q++) {
                                            int iy = i - g.ph() + p;
                                            int ix = j - g.pw() + q;
                                            if (iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w()) {
                                                continue;
                                            }
                                            int xi = ((b * g.c() + c) * g.h() + iy) * g.w() + ix;
                                            int wi = ((o * g.c() + c) * 3 + p) * 3 + q;
                                            y[yi] += (double) w[wi] * x[xi];
                                            yMag[yi] += Math.abs((double) w[wi] * x[xi]);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                float[] first = null;
                for (int threads : new int[] {1, 2}) {
                    Parallel.setThreads(threads);
                    float[] got = nan(g.outputSize());
                    ConvKernels.forward(g, x, w, bias, got);
                    assertClose(g + " forward, " + threads + " threads", y, yMag, got, g.patch());
                    if (first == null) {
                        first = got;
                    } else {
                        assertArrayEquals(first, got, g + ": forward depends on the thread count");
                    }
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void onlyWideStrideOneThreeByThreeConvolutionsTakeThePath() {
        assertFalse(Winograd.applies(new ConvKernels.Geometry(2, 3, 8, 8, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1)));
        assertFalse(Winograd.applies(new ConvKernels.Geometry(2, 32, 8, 8, 15, 3, 3, 1, 1, 1, 1, 1, 1, 1)));
        assertFalse(Winograd.applies(new ConvKernels.Geometry(2, 32, 8, 8, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1)));
        assertFalse(Winograd.applies(new ConvKernels.Geometry(2, 32, 8, 8, 32, 3, 3, 1, 1, 2, 2, 2, 2, 1)));
        assertFalse(Winograd.applies(new ConvKernels.Geometry(2, 32, 8, 8, 32, 3, 3, 1, 1, 1, 1, 1, 1, 2)));
        assertFalse(Winograd.applies(new ConvKernels.Geometry(2, 32, 8, 8, 32, 3, 3, 1, 1, 3, 3, 1, 1, 1)));
        assertFalse(Winograd.applies(new ConvKernels.Geometry(2, 32, 8, 8, 32, 5, 5, 1, 1, 2, 2, 1, 1, 1)));
        assertTrue(Winograd.applies(new ConvKernels.Geometry(2, 16, 8, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1)));
    }

    @Test
    void switchingThePathOffGivesTheIm2colResultsWithinRounding() {
        ConvKernels.Geometry g = geo(GEOMETRIES[1]);
        Random r = new Random(17);
        float[] x = random(r, g.inputSize());
        float[] w = random(r, g.weightSize());
        float[] wino = new float[(int) g.outputSize()];
        float[] direct = new float[(int) g.outputSize()];
        ConvKernels.forward(g, x, w, null, wino);
        try {
            ConvKernels.setWinograd(false);
            assertFalse(ConvKernels.winogradEnabled());
            ConvKernels.forward(g, x, w, null, direct);
        } finally {
            ConvKernels.setWinograd(true);
        }
        boolean differs = false;
        for (int i = 0; i < wino.length; i++) {
            if (Math.abs(wino[i] - direct[i]) > 1e-4f * (1 + Math.abs(direct[i]))) {
                fail("output " + i + ": Winograd " + wino[i] + ", im2col " + direct[i]);
            }
            differs |= wino[i] != direct[i];
        }
        assertTrue(differs, "the two paths rounded identically everywhere: the switch had no effect");
    }

    /** Weights prepared once for a batch in chunks give exactly what a call computes when it prepares its own. */
    @Test
    void preparedWeightsGiveTheSameResultsForAnyChunk() {
        ConvKernels.Geometry whole = geo(GEOMETRIES[5]);
        ConvKernels.Geometry chunk = new ConvKernels.Geometry(1, whole.c(), whole.h(), whole.w(), whole.cout(), 3, 3,
                1, 1, 1, 1, 1, 1, 1);
        Random r = new Random(29);
        float[] x = random(r, whole.inputSize());
        float[] w = random(r, whole.weightSize());
        ConvKernels.PackedWeight f = ConvKernels.packWeight(chunk, false, w,
                new float[ConvKernels.packedWeightSize(chunk, false)]);
        ConvKernels.PackedWeight b = ConvKernels.packWeight(chunk, true, w,
                new float[ConvKernels.packedWeightSize(chunk, true)]);
        assertTrue(f.winograd() && !f.transposed(), "forward weights take the Winograd path");
        assertTrue(!b.winograd() && b.transposed(), "input-gradient weights are packed for im2col's GEMM");
        float[] y = new float[(int) whole.outputSize()];
        ConvKernels.forward(whole, x, w, null, y);
        float[] y2 = new float[y.length];
        ConvKernels.forward(whole, x, w, f, null, y2);
        assertArrayEquals(y, y2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConvKernels.forward(whole, x, w, b, null, y2));
        assertTrue(e.getMessage().contains("conv2d") && e.getMessage().contains("packed weights"), e.getMessage());
        // the prepared filters do not depend on the image size, only on the channels and the kernel
        ConvKernels.Geometry taller = new ConvKernels.Geometry(2, whole.c(), whole.h() + 3, whole.w(), whole.cout(),
                3, 3, 1, 1, 1, 1, 1, 1, 1);
        float[] xt = random(r, taller.inputSize());
        float[] yt = new float[(int) taller.outputSize()];
        float[] yt2 = new float[yt.length];
        ConvKernels.forward(taller, xt, w, null, yt);
        ConvKernels.forward(taller, xt, w, f, null, yt2);
        assertArrayEquals(yt, yt2);
        ConvKernels.Geometry fewer = new ConvKernels.Geometry(1, whole.c(), whole.h(), whole.w(), whole.cout() - 1, 3,
                3, 1, 1, 1, 1, 1, 1, 1);
        assertThrows(IllegalArgumentException.class, () -> ConvKernels.forward(fewer, new float[(int) fewer.inputSize()],
                w, f, null, new float[(int) fewer.outputSize()]));
    }

    /** The Vector API input transform computes exactly what the plain loop (the path without the module) computes. */
    @Test
    void vectorInputTransformMatchesThePlainLoopBitForBit() {
        assertTrue(Simd.vectorApi(), "tests run with --add-modules=jdk.incubator.vector");
        Random r = new Random(31);
        for (int len = 0; len <= 21; len++) {
            int span = len + 3;
            float[] rows = random(r, 8L * span);
            int plane = len + 5;
            float[] plain = nan(16L * plane);
            float[] vector = nan(16L * plane);
            Winograd.inputRunScalar(rows, span, 1, 1 + len, plain, 2, plane);
            VectorWinograd.inputRun(rows, span, 1, 1 + len, vector, 2, plane);
            assertArrayEquals(plain, vector, "input transform of " + len + " tiles");
        }
    }

    /** The Vector API output transform computes exactly what the plain loop computes, bias included. */
    @Test
    void vectorOutputTransformMatchesThePlainLoopBitForBit() {
        assertTrue(Simd.vectorApi(), "tests run with --add-modules=jdk.incubator.vector");
        Random r = new Random(37);
        for (int len = 0; len <= 21; len++) {
            int plane = len + 5;
            float[] m = random(r, 16L * plane);
            int stride = len + 2;
            float[] plain = nan(4L * stride);
            float[] vector = nan(4L * stride);
            float bias = r.nextFloat() - 0.5f;
            Winograd.outputRunScalar(m, 2, plane, 1, 1 + len, bias, plain, stride);
            VectorWinograd.outputRun(m, 2, plane, 1, 1 + len, bias, vector, stride);
            assertArrayEquals(plain, vector, "output transform of " + len + " tiles");
        }
    }
}
