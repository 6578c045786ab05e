package org.quadralib.core.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.quadralib.core.Parallel;

class ConvKernelsTest {

    /** n, c, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups. */
    private static final int[][] GEOMETRIES = {
        {2, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1},      // VGG-style 3x3 pad 1
        {3, 4, 9, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1},      // stride 2, odd sizes
        {2, 4, 10, 11, 4, 3, 3, 1, 1, 2, 2, 2, 2, 1},    // dilation 2
        {3, 6, 7, 7, 4, 3, 2, 1, 2, 1, 0, 1, 1, 2},      // groups 2, non-square kernel, mixed strides
        {2, 6, 8, 8, 6, 3, 3, 1, 1, 1, 1, 1, 1, 6},      // depthwise
        {2, 3, 9, 8, 6, 3, 3, 2, 1, 1, 1, 1, 2, 3},      // depthwise with multiplier 2, stride, dilation
        {3, 5, 6, 7, 7, 1, 1, 1, 1, 0, 0, 1, 1, 1},      // pointwise (no im2col)
        {2, 4, 6, 6, 6, 1, 1, 1, 1, 0, 0, 1, 1, 2},      // grouped pointwise
        {2, 4, 7, 7, 3, 1, 1, 2, 2, 0, 0, 1, 1, 1},      // 1x1 with stride: im2col path
        {1, 2, 5, 5, 3, 5, 5, 1, 1, 0, 0, 1, 1, 1},      // kernel covers the image: one output pixel
        {2, 3, 2, 3, 2, 3, 3, 1, 1, 2, 1, 1, 1, 1},      // padding larger than the image
        {1, 8, 17, 5, 9, 2, 4, 3, 1, 0, 2, 2, 1, 1},     // odd everything
        {5, 16, 6, 6, 20, 3, 3, 1, 1, 1, 1, 1, 1, 4},    // more images than threads, groups 4
        {2, 2, 3, 2, 3, 3, 5, 1, 1, 1, 2, 1, 1, 1},      // same-size output with kernel columns wholly in the padding
        {2, 8, 6, 6, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1},     // more than 4096 weights: the packed weight-gradient GEMM
        {3, 6, 9, 7, 80, 3, 3, 2, 1, 0, 1, 1, 1, 1},     // the same with stride 2 and no vertical padding
        {16, 3, 10, 10, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1},   // eight images per thread, accumulated into one transposed dW
        {6, 5, 4, 3, 7, 1, 1, 1, 1, 0, 0, 1, 1, 1},      // the same for a pointwise convolution
    };

    private static ConvKernels.Geometry geo(int[] s) {
        return new ConvKernels.Geometry(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11],
                s[12], s[13]);
    }

    private static float[] random(Random r, long size) {
        float[] a = new float[(int) size];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextFloat() * 2 - 1;
        }
        return a;
    }

    /** Calls {@code visit(b, o, oy, ox, ci, iy, ix, widx)} for every (output, input, weight) triple. */
    private interface Visitor {
        void visit(int b, int o, int oy, int ox, int ci, int iy, int ix, int widx);
    }

    private static void forEachTap(ConvKernels.Geometry g, Visitor v) {
        int cinG = g.cinPerGroup();
        int coutG = g.coutPerGroup();
        for (int b = 0; b < g.n(); b++) {
            for (int o = 0; o < g.cout(); o++) {
                int grp = o / coutG;
                for (int oy = 0; oy < g.outH(); oy++) {
                    for (int ox = 0; ox < g.outW(); ox++) {
                        for (int c = 0; c < cinG; c++) {
                            for (int p = 0; p < g.kh(); p++) {
                                for (int q = 0; q < g.kw(); q++) {
                                    int iy = oy * g.sh() - g.ph() + p * g.dh();
                                    int ix = ox * g.sw() - g.pw() + q * g.dw();
                                    if (iy >= 0 && iy < g.h() && ix >= 0 && ix < g.w()) {
                                        v.visit(b, o, oy, ox, grp * cinG + c, iy, ix,
                                                ((o * cinG + c) * g.kh() + p) * g.kw() + q);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static int outIdx(ConvKernels.Geometry g, int b, int o, int oy, int ox) {
        return ((b * g.cout() + o) * g.outH() + oy) * g.outW() + ox;
    }

    private static int inIdx(ConvKernels.Geometry g, int b, int c, int y, int x) {
        return ((b * g.c() + c) * g.h() + y) * g.w() + x;
    }

    private static void assertClose(String what, double[] ref, double[] mag, float[] got, int depth) {
        for (int i = 0; i < ref.length; i++) {
            double tol = (depth + 3) * 1.2e-7 * mag[i] + 1e-30;
            if (!(Math.abs(got[i] - ref[i]) <= tol)) {
                fail(what + "[" + i + "] = " + got[i] + ", expected " + ref[i] + " +- " + tol);
            }
        }
    }

    @Test
    void forwardAndBackwardMatchNaiveConvolution() {
        long seed = 11;
        for (int[] s : GEOMETRIES) {
            matchesNaiveConvolution(geo(s), seed++);
        }
    }

    /**
     * With three threads the weight gradient sums three slices of images, and a weight gradient of more than 32 K
     * floats is reduced and transposed by several threads (grouped too).
     */
    @Test
    void weightGradientsReducedByThreeThreadsMatchNaiveConvolution() {
        int saved = Parallel.threads();
        Parallel.setThreads(3);
        try {
            matchesNaiveConvolution(geo(new int[] {4, 64, 6, 6, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1}), 41);
            matchesNaiveConvolution(geo(new int[] {3, 128, 5, 5, 64, 3, 3, 1, 1, 1, 1, 1, 1, 2}), 42);
            matchesNaiveConvolution(geo(new int[] {7, 6, 7, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1}), 43);
        } finally {
            Parallel.setThreads(saved);
        }
    }

    private static void matchesNaiveConvolution(ConvKernels.Geometry g, long seed) {
        Random r = new Random(seed);
        float[] x = random(r, g.inputSize());
        float[] w = random(r, g.weightSize());
        float[] bias = random(r, g.cout());
        float[] gy = random(r, g.outputSize());

        double[] yRef = new double[(int) g.outputSize()];
        double[] yMag = new double[yRef.length];
        double[] gxRef = new double[(int) g.inputSize()];
        double[] gxMag = new double[gxRef.length];
        double[] gwRef = new double[(int) g.weightSize()];
        double[] gwMag = new double[gwRef.length];
        forEachTap(g, (b, o, oy, ox, ci, iy, ix, widx) -> {
            int yi = outIdx(g, b, o, oy, ox);
            int xi = inIdx(g, b, ci, iy, ix);
            yRef[yi] += (double) w[widx] * x[xi];
            yMag[yi] += Math.abs((double) w[widx] * x[xi]);
            gxRef[xi] += (double) w[widx] * gy[yi];
            gxMag[xi] += Math.abs((double) w[widx] * gy[yi]);
            gwRef[widx] += (double) gy[yi] * x[xi];
            gwMag[widx] += Math.abs((double) gy[yi] * x[xi]);
        });
        double[] gbRef = new double[g.cout()];
        double[] gbMag = new double[g.cout()];
        int plane = g.outH() * g.outW();
        for (int i = 0; i < gy.length; i++) {
            int o = i / plane % g.cout();
            gbRef[o] += gy[i];
            gbMag[o] += Math.abs(gy[i]);
        }
        for (int i = 0; i < yRef.length; i++) {
            yRef[i] += bias[i / plane % g.cout()];
            yMag[i] += Math.abs(bias[i / plane % g.cout()]);
        }

        float[] y = filled(g.outputSize());
        ConvKernels.forward(g, x, w, bias, y);
        assertClose(g + " forward", yRef, yMag, y, g.patch());

        float[] gx = filled(g.inputSize());
        ConvKernels.backwardInput(g, gy, w, gx);
        assertClose(g + " input gradient", gxRef, gxMag, gx, g.cout() * g.kh() * g.kw());

        float[] gw = filled(g.weightSize());
        float[] gb = filled(g.cout());
        ConvKernels.backwardWeight(g, gy, x, gw, gb);
        assertClose(g + " weight gradient", gwRef, gwMag, gw, g.n() * plane);
        assertClose(g + " bias gradient", gbRef, gbMag, gb, g.n() * plane);
    }

    /** Outputs start as NaN: the kernels must overwrite, not accumulate. */
    private static float[] filled(long size) {
        float[] a = new float[(int) size];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    @Test
    void optionalOutputsAndLongFormAgree() {
        ConvKernels.Geometry g = geo(GEOMETRIES[1]);
        Random r = new Random(5);
        float[] x = random(r, g.inputSize());
        float[] w = random(r, g.weightSize());
        float[] gy = random(r, g.outputSize());
        float[] y1 = new float[(int) g.outputSize()];
        float[] y2 = new float[(int) g.outputSize()];
        ConvKernels.forward(g, x, w, null, y1);
        ConvKernels.forward(x, g.n(), g.c(), g.h(), g.w(), w, g.cout(), g.kh(), g.kw(), null, g.sh(), g.sw(), g.ph(),
                g.pw(), g.dh(), g.dw(), g.groups(), y2);
        assertArrayEquals(y1, y2);

        float[] gb = new float[g.cout()];
        ConvKernels.backwardWeight(g, gy, null, null, gb);
        float[] gw = new float[(int) g.weightSize()];
        float[] gb2 = new float[g.cout()];
        ConvKernels.backwardWeight(gy, x, g.n(), g.c(), g.h(), g.w(), g.cout(), g.kh(), g.kw(), g.sh(), g.sw(), g.ph(),
                g.pw(), g.dh(), g.dw(), g.groups(), gw, gb2);
        assertArrayEquals(gb, gb2);
        float[] gx1 = new float[(int) g.inputSize()];
        float[] gx2 = new float[(int) g.inputSize()];
        ConvKernels.backwardInput(g, gy, w, gx1);
        ConvKernels.backwardInput(gy, g.n(), g.c(), g.h(), g.w(), w, g.cout(), g.kh(), g.kw(), g.sh(), g.sw(), g.ph(),
                g.pw(), g.dh(), g.dw(), g.groups(), gx2);
        assertArrayEquals(gx1, gx2);
    }

    @Test
    void emptyBatchZeroesWeightGradients() {
        ConvKernels.Geometry g = new ConvKernels.Geometry(0, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        float[] gw = filled(g.weightSize());
        float[] gb = filled(g.cout());
        ConvKernels.backwardWeight(g, new float[0], new float[0], gw, gb);
        assertArrayEquals(new float[gw.length], gw);
        assertArrayEquals(new float[gb.length], gb);
    }

    /** Weights packed once by the caller give exactly what the convolution computes when it packs them itself. */
    @Test
    void prePackedWeightsGiveTheSameResults() {
        ConvKernels.Geometry g = new ConvKernels.Geometry(3, 8, 10, 10, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        Random r = new Random(21);
        float[] x = random(r, g.inputSize());
        float[] w = random(r, g.weightSize());
        float[] gy = random(r, g.outputSize());
        float[] y1 = new float[(int) g.outputSize()];
        float[] y2 = new float[(int) g.outputSize()];
        ConvKernels.forward(g, x, w, null, y1);
        ConvKernels.PackedWeight pf = ConvKernels.packWeight(g, false, w,
                new float[ConvKernels.packedWeightSize(g, false)]);
        ConvKernels.forward(g, x, w, pf, null, y2);
        assertArrayEquals(y1, y2);
        float[] gx1 = new float[(int) g.inputSize()];
        float[] gx2 = new float[(int) g.inputSize()];
        ConvKernels.backwardInput(g, gy, w, gx1);
        ConvKernels.PackedWeight pb = ConvKernels.packWeight(g, true, w,
                new float[ConvKernels.packedWeightSize(g, true)]);
        ConvKernels.backwardInput(g, gy, w, pb, gx2);
        assertArrayEquals(gx1, gx2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConvKernels.forward(g, x, w, pb, null, y2));
        assertTrue(e.getMessage().contains("conv2d") && e.getMessage().contains("packed weights"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ConvKernels.packWeight(g, false, w, new float[ConvKernels.packedWeightSize(g, false) - 1]));
        ConvKernels.Geometry grouped = new ConvKernels.Geometry(1, 8, 6, 6, 8, 3, 3, 1, 1, 1, 1, 1, 1, 2);
        assertEquals(0, ConvKernels.packedWeightSize(grouped, false));
    }

    @Test
    void repeatedRunsAreBitIdenticalAndForwardIgnoresThreadCount() {
        int saved = Parallel.threads();
        try {
            for (int[] s : new int[][] {{6, 16, 12, 12, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1},
                {1, 32, 16, 16, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1}, {4, 8, 10, 10, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8}}) {
                ConvKernels.Geometry g = geo(s);
                Random r = new Random(9);
                float[] x = random(r, g.inputSize());
                float[] w = random(r, g.weightSize());
                float[] gy = random(r, g.outputSize());
                Parallel.setThreads(1);
                float[][] one = all(g, x, w, gy);
                Parallel.setThreads(2);
                float[][] two = all(g, x, w, gy);
                float[][] again = all(g, x, w, gy);
                for (int i = 0; i < two.length; i++) {
                    assertArrayEquals(two[i], again[i], g + ": output " + i + " differs between runs");
                }
                assertArrayEquals(one[0], two[0], g + ": forward depends on the thread count");
                assertArrayEquals(one[1], two[1], g + ": input gradient depends on the thread count");
                assertArrayEquals(one[3], two[3], g + ": bias gradient depends on the thread count");
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    private static float[][] all(ConvKernels.Geometry g, float[] x, float[] w, float[] gy) {
        float[] y = new float[(int) g.outputSize()];
        float[] gx = new float[(int) g.inputSize()];
        float[] gw = new float[(int) g.weightSize()];
        float[] gb = new float[g.cout()];
        ConvKernels.forward(g, x, w, null, y);
        ConvKernels.backwardInput(g, gy, w, gx);
        ConvKernels.backwardWeight(g, gy, x, gw, gb);
        return new float[][] {y, gx, gw, gb};
    }

    @Test
    void badGeometryNamesConv2dAndTheShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ConvKernels.Geometry(2, 6, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4));
        assertTrue(e.getMessage().contains("conv2d") && e.getMessage().contains("groups 4")
                && e.getMessage().contains("[2, 6, 8, 8]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new ConvKernels.Geometry(1, 3, 4, 4, 8, 7, 7, 1, 1, 1, 1, 1, 1, 1));
        assertTrue(e.getMessage().contains("conv2d") && e.getMessage().contains("7x7")
                && e.getMessage().contains("6x6"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new ConvKernels.Geometry(1, 3, 8, 8, 8, 3, 3, 0, 1, 1, 1, 1, 1, 1));
        assertTrue(e.getMessage().contains("conv2d") && e.getMessage().contains("stride (0, 1)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ConvKernels.Geometry(1, 0, 8, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new ConvKernels.Geometry(1, 3, 8, 8, 8, 3, 3, 1, 1, -1, 1, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new ConvKernels.Geometry(1, 3, 8, 8, 8, 3, 3, 1, 1, 1, 1, 1, 0, 1));

        ConvKernels.Geometry g = new ConvKernels.Geometry(2, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        e = assertThrows(IllegalArgumentException.class,
                () -> ConvKernels.forward(g, new float[10], new float[(int) g.weightSize()], null, new float[(int) g.outputSize()]));
        assertTrue(e.getMessage().contains("conv2d") && e.getMessage().contains("input")
                && e.getMessage().contains("384"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ConvKernels.forward(g, new float[(int) g.inputSize()], new float[(int) g.weightSize()], new float[2],
                        new float[(int) g.outputSize()]));
        assertThrows(IllegalArgumentException.class,
                () -> ConvKernels.backwardWeight(g, new float[(int) g.outputSize()], null, new float[(int) g.weightSize()], null));
    }

    @Test
    void geometryDerivedSizes() {
        ConvKernels.Geometry g = new ConvKernels.Geometry(32, 64, 16, 16, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        assertEquals(16, g.outH());
        assertEquals(16, g.outW());
        assertEquals(576, g.patch());
        assertEquals(2L * 32 * 64 * 256 * 576, g.flops());
        ConvKernels.Geometry s = new ConvKernels.Geometry(1, 4, 9, 10, 4, 3, 3, 2, 3, 1, 0, 2, 1, 2);
        assertEquals((9 + 2 - 2 * 2 - 1) / 2 + 1, s.outH());
        assertEquals((10 - 2 - 1) / 3 + 1, s.outW());
    }
}
