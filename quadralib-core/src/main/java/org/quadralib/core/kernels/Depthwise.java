package org.quadralib.core.kernels;

import java.util.Arrays;
import org.quadralib.core.Parallel;

/**
 * Direct kernels for convolutions with one input channel per group ({@code groups == c}; output channel
 * {@code o} reads input channel {@code o / (cout/c)}). Each kernel offset is an axpy of an input row segment
 * into an output row segment over the valid column interval, a loop C2 vectorises for stride 1.
 *
 * <p>Work is split by output planes (forward, weight gradient) or input planes (input gradient), never inside
 * a sum, so results do not depend on the thread count.
 */
final class Depthwise {

    /** Planes smaller than this many multiply-adds are grouped so a thread gets enough work. */
    private static final int GRAIN_MACS = 1 << 15;

    private Depthwise() {
    }

    private static int grain(ConvKernels.Geometry g) {
        long macs = (long) g.outH() * g.outW() * g.kh() * g.kw();
        return (int) Math.max(1, GRAIN_MACS / Math.max(1, macs));
    }

    static void forward(ConvKernels.Geometry g, float[] x, float[] weight, float[] bias, float[] out) {
        int plane = g.outH() * g.outW();
        int mult = g.coutPerGroup();
        int inPlane = g.h() * g.w();
        Parallel.forRange(g.n() * g.cout(), grain(g), (p0, p1) -> {
            for (int bo = p0; bo < p1; bo++) {
                int b = bo / g.cout();
                int o = bo % g.cout();
                int dst = bo * plane;
                Arrays.fill(out, dst, dst + plane, bias == null ? 0f : bias[o]);
                addTaps(g, weight, o, x, (b * g.c() + o / mult) * inPlane, out, dst, false);
            }
        });
    }

    static void backwardInput(ConvKernels.Geometry g, float[] gradOut, float[] weight, float[] gradX) {
        int plane = g.outH() * g.outW();
        int mult = g.coutPerGroup();
        int inPlane = g.h() * g.w();
        Parallel.forRange(g.n() * g.c(), Math.max(1, grain(g) / mult), (p0, p1) -> {
            for (int bc = p0; bc < p1; bc++) {
                int b = bc / g.c();
                int ci = bc % g.c();
                int dst = bc * inPlane;
                Arrays.fill(gradX, dst, dst + inPlane, 0f);
                for (int m = 0; m < mult; m++) {
                    int o = ci * mult + m;
                    addTaps(g, weight, o, gradOut, (b * g.cout() + o) * plane, gradX, dst, true);
                }
            }
        });
    }

    /**
     * Adds output channel {@code o}'s taps between one input plane and one output plane, tap by tap and row by
     * row: the forward pass ({@code out[oy, ox] += w[ky, kx] · x[iy, ix]}, reading the input plane at {@code inOff}
     * of {@code in}, writing the output plane at {@code outOff} of {@code out}), or, {@code transposed}, the input
     * gradient ({@code gx[iy, ix] += w[ky, kx] · g[oy, ox]}, reading the output gradient's plane at {@code inOff} of
     * {@code in}, writing the input gradient's plane at {@code outOff} of {@code out}).
     */
    private static void addTaps(ConvKernels.Geometry g, float[] weight, int o, float[] in, int inOff, float[] out, int outOff,
            boolean transposed) {
        int oh = g.outH();
        int ow = g.outW();
        int khw = g.kh() * g.kw();
        int sw = g.sw();
        for (int ky = 0; ky < g.kh(); ky++) {
            int yShift = ky * g.dh() - g.ph();
            for (int kx = 0; kx < g.kw(); kx++) {
                float wv = weight[o * khw + ky * g.kw() + kx];
                int xShift = kx * g.dw() - g.pw();
                int ox0 = Im2Col.firstValid(xShift, sw, ow);
                int ox1 = Im2Col.endValid(xShift, sw, g.w(), ow, ox0);
                for (int oy = 0; oy < oh; oy++) {
                    int iy = oy * g.sh() + yShift;
                    if (iy < 0 || iy >= g.h()) {
                        continue;
                    }
                    int outRow = oy * ow;
                    int inRow = iy * g.w() + xShift;
                    if (!transposed) {
                        int d = outOff + outRow;
                        int s = inOff + inRow;
                        if (sw == 1) {
                            for (int ox = ox0; ox < ox1; ox++) {
                                out[d + ox] = Math.fma(wv, in[s + ox], out[d + ox]);
                            }
                        } else {
                            for (int ox = ox0; ox < ox1; ox++) {
                                out[d + ox] = Math.fma(wv, in[s + ox * sw], out[d + ox]);
                            }
                        }
                    } else {
                        int s = inOff + outRow;
                        int d = outOff + inRow;
                        if (sw == 1) {
                            for (int ox = ox0; ox < ox1; ox++) {
                                out[d + ox] = Math.fma(wv, in[s + ox], out[d + ox]);
                            }
                        } else {
                            for (int ox = ox0; ox < ox1; ox++) {
                                out[d + ox * sw] = Math.fma(wv, in[s + ox], out[d + ox * sw]);
                            }
                        }
                    }
                }
            }
        }
    }

    static void backwardWeight(ConvKernels.Geometry g, float[] gradOut, float[] x, float[] gradW) {
        int oh = g.outH();
        int ow = g.outW();
        int plane = oh * ow;
        int mult = g.coutPerGroup();
        int khw = g.kh() * g.kw();
        int inPlane = g.h() * g.w();
        Parallel.forRange(g.cout(), Math.max(1, grain(g) / Math.max(1, g.n())), (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                for (int ky = 0; ky < g.kh(); ky++) {
                    int yShift = ky * g.dh() - g.ph();
                    for (int kx = 0; kx < g.kw(); kx++) {
                        int xShift = kx * g.dw() - g.pw();
                        int ox0 = Im2Col.firstValid(xShift, g.sw(), ow);
                        int ox1 = Im2Col.endValid(xShift, g.sw(), g.w(), ow, ox0);
                        float acc = 0f;
                        for (int b = 0; b < g.n(); b++) {
                            int go = (b * g.cout() + o) * plane;
                            int src = (b * g.c() + o / mult) * inPlane;
                            for (int oy = 0; oy < oh; oy++) {
                                int iy = oy * g.sh() + yShift;
                                if (iy < 0 || iy >= g.h()) {
                                    continue;
                                }
                                int s = go + oy * ow;
                                int xs = src + iy * g.w() + xShift;
                                int sw = g.sw();
                                for (int ox = ox0; ox < ox1; ox++) {
                                    acc = Math.fma(gradOut[s + ox], x[xs + ox * sw], acc);
                                }
                            }
                        }
                        gradW[o * khw + ky * g.kw() + kx] = acc;
                    }
                }
            }
        });
    }
}
