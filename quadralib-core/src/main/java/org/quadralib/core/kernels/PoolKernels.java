package org.quadralib.core.kernels;

import org.quadralib.core.Parallel;

/**
 * 2-D pooling over NCHW planes, parallel over the {@code n·c} planes. Padding cells never win a max and, for
 * average pooling, count in the divisor (PyTorch's {@code count_include_pad=True}).
 */
public final class PoolKernels {

    private PoolKernels() {
    }

    /** Output size of a pooling window: {@code (in + 2·pad − k) / stride + 1}. */
    public static int outSize(int in, int k, int stride, int pad) {
        return (in + 2 * pad - k) / stride + 1;
    }

    /**
     * Max pooling. {@code argmax[plane·oh·ow + o]} receives the index {@code h·w_in + w} of the winning input
     * cell within its plane (as a float, exact below 2^24): the first maximum in row-major window order, or the
     * first NaN, as PyTorch.
     *
     * @param argmax the winners' indices, or null when no gradient will be taken (inference skips the search)
     */
    public static void maxForward(float[] x, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw,
            float[] y, float[] argmax) {
        int oh = outSize(h, kh, sh, ph);
        int ow = outSize(w, kw, sw, pw);
        boolean pairs = kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0;
        Parallel.forRange(planes, Math.max(1, 4096 / Math.max(1, oh * ow)), (from, to) -> {
            for (int p = from; p < to; p++) {
                int xb = p * h * w;
                int yb = p * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    if (pairs && argmax == null) {
                        maxPairRowValues(x, xb, h, w, oy, ow, y, yb + oy * ow);
                        continue;
                    }
                    if (pairs) {
                        maxPairRow(x, xb, h, w, oy, ow, y, argmax, yb + oy * ow);
                        continue;
                    }
                    for (int ox = 0; ox < ow; ox++) {
                        maxCell(x, xb, h, w, oy * sh - ph, ox * sw - pw, kh, kw, y, argmax, yb + oy * ow + ox);
                    }
                }
            }
        });
    }

    /**
     * One output row of a 2×2, stride-2, unpadded max-pool (every CNN's down-sampling step) without branches on
     * the data: choosing the winner with compares mispredicts on about half the windows and ran twice as slow.
     * The winner's offset in its window is {@code 0, 1, w, w+1} for cells a, b, c, d, computed from "differs
     * from the max" flags; windows whose maximum is NaN or infinite take {@link #maxCell}.
     */
    private static void maxPairRow(float[] x, int xb, int h, int w, int oy, int ow, float[] y, float[] argmax, int yo) {
        int top = 2 * oy * w;
        float rowStep = w - 1;
        for (int ox = 0; ox < ow; ox++) {
            int i = top + 2 * ox;
            float a = x[xb + i];
            float b = x[xb + i + 1];
            float c = x[xb + i + w];
            float d = x[xb + i + w + 1];
            float m = Math.max(Math.max(a, b), Math.max(c, d));
            if (m - m != 0f) {
                maxCell(x, xb, h, w, 2 * oy, 2 * ox, 2, 2, y, argmax, yo + ox);
                continue;
            }
            float k = differs(m, a) * (1f + differs(m, b) * (rowStep + differs(m, c)));
            // The winner's own value, not m: Math.max(-0, +0) is +0 even when the first maximum is -0.
            y[yo + ox] = x[xb + i + (int) k];
            argmax[yo + ox] = i + k;
        }
    }

    /**
     * {@link #maxPairRow} without the winners' indices. A zero maximum is the window's first zero, keeping its sign
     * ({@code Math.max} prefers +0, the first maximum may be −0); any other maximum is the value itself. After a ReLU
     * many windows are all zeros, and this keeps them out of the general {@link #maxCell} loop.
     */
    private static void maxPairRowValues(float[] x, int xb, int h, int w, int oy, int ow, float[] y, int yo) {
        int top = 2 * oy * w;
        for (int ox = 0; ox < ow; ox++) {
            int i = xb + top + 2 * ox;
            float a = x[i];
            float b = x[i + 1];
            float c = x[i + w];
            float d = x[i + w + 1];
            float m = Math.max(Math.max(a, b), Math.max(c, d));
            if (m == 0f) {
                m = a == 0f ? a : b == 0f ? b : c == 0f ? c : d;
            }
            y[yo + ox] = m;
        }
    }

    /** 1 if {@code v < m}, 0 if {@code v == m}, for finite {@code m ≥ v}: any positive difference saturates to 1. */
    private static float differs(float m, float v) {
        float t = Math.min((m - v) * 0x1p126f, 1f);
        return Math.min(t * 0x1p126f, 1f);
    }

    /**
     * The window at (y0, x0) of one plane: its maximum into {@code y[o]}, the winner's index into {@code argmax[o]}
     * (unless argmax is null).
     */
    private static void maxCell(float[] x, int xb, int h, int w, int y0, int x0, int kh, int kw, float[] y, float[] argmax, int o) {
        float best = Float.NEGATIVE_INFINITY;
        int bi = -1;
        for (int ky = 0; ky < kh; ky++) {
            int iy = y0 + ky;
            if (iy < 0 || iy >= h) {
                continue;
            }
            int row = xb + iy * w;
            for (int kx = 0; kx < kw; kx++) {
                int ix = x0 + kx;
                if (ix < 0 || ix >= w) {
                    continue;
                }
                float v = x[row + ix];
                if (v > best || bi < 0 || Float.isNaN(v)) {
                    best = v;
                    bi = iy * w + ix;
                    if (Float.isNaN(v)) {
                        break;
                    }
                }
            }
            if (Float.isNaN(best)) {
                break;
            }
        }
        y[o] = best;
        if (argmax != null) {
            argmax[o] = bi;
        }
    }

    /** Scatters {@code gy} to the winning cells; {@code gx} must be zero on entry. */
    public static void maxBackward(float[] gy, float[] argmax, int planes, int h, int w, int oh, int ow, float[] gx) {
        Parallel.forRange(planes, Math.max(1, 4096 / Math.max(1, oh * ow)), (from, to) -> {
            for (int p = from; p < to; p++) {
                int xb = p * h * w;
                int yb = p * oh * ow;
                for (int o = 0; o < oh * ow; o++) {
                    gx[xb + (int) argmax[yb + o]] += gy[yb + o];
                }
            }
        });
    }

    /** Average pooling with padding counted in the divisor. */
    public static void avgForward(float[] x, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, float[] y) {
        int oh = outSize(h, kh, sh, ph);
        int ow = outSize(w, kw, sw, pw);
        Parallel.forRange(planes, Math.max(1, 4096 / Math.max(1, oh * ow)), (from, to) -> {
            for (int p = from; p < to; p++) {
                int xb = p * h * w;
                int yb = p * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        int y0 = oy * sh - ph;
                        int x0 = ox * sw - pw;
                        int y1 = Math.min(y0 + kh, h + ph);
                        int x1 = Math.min(x0 + kw, w + pw);
                        int count = (y1 - y0) * (x1 - x0);
                        float s = 0f;
                        for (int iy = Math.max(y0, 0); iy < Math.min(y1, h); iy++) {
                            for (int ix = Math.max(x0, 0); ix < Math.min(x1, w); ix++) {
                                s += x[xb + iy * w + ix];
                            }
                        }
                        y[yb + oy * ow + ox] = s / count;
                    }
                }
            }
        });
    }

    /** Backward of {@link #avgForward}; {@code gx} must be zero on entry. */
    public static void avgBackward(float[] gy, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, float[] gx) {
        int oh = outSize(h, kh, sh, ph);
        int ow = outSize(w, kw, sw, pw);
        Parallel.forRange(planes, Math.max(1, 4096 / Math.max(1, oh * ow)), (from, to) -> {
            for (int p = from; p < to; p++) {
                int xb = p * h * w;
                int yb = p * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        int y0 = oy * sh - ph;
                        int x0 = ox * sw - pw;
                        int y1 = Math.min(y0 + kh, h + ph);
                        int x1 = Math.min(x0 + kw, w + pw);
                        float g = gy[yb + oy * ow + ox] / ((y1 - y0) * (x1 - x0));
                        for (int iy = Math.max(y0, 0); iy < Math.min(y1, h); iy++) {
                            for (int ix = Math.max(x0, 0); ix < Math.min(x1, w); ix++) {
                                gx[xb + iy * w + ix] += g;
                            }
                        }
                    }
                }
            }
        });
    }

    /** Adaptive average pooling: output cell i covers input rows [⌊i·h/oh⌋, ⌈(i+1)·h/oh⌉), likewise columns. */
    public static void adaptiveAvgForward(float[] x, int planes, int h, int w, int oh, int ow, float[] y) {
        Parallel.forRange(planes, Math.max(1, 4096 / Math.max(1, h * w)), (from, to) -> {
            for (int p = from; p < to; p++) {
                int xb = p * h * w;
                int yb = p * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int y0 = oy * h / oh;
                    int y1 = ((oy + 1) * h + oh - 1) / oh;
                    for (int ox = 0; ox < ow; ox++) {
                        int x0 = ox * w / ow;
                        int x1 = ((ox + 1) * w + ow - 1) / ow;
                        float s = 0f;
                        for (int iy = y0; iy < y1; iy++) {
                            for (int ix = x0; ix < x1; ix++) {
                                s += x[xb + iy * w + ix];
                            }
                        }
                        y[yb + oy * ow + ox] = s / ((y1 - y0) * (x1 - x0));
                    }
                }
            }
        });
    }

    /** Backward of {@link #adaptiveAvgForward}; {@code gx} must be zero on entry. */
    public static void adaptiveAvgBackward(float[] gy, int planes, int h, int w, int oh, int ow, float[] gx) {
        Parallel.forRange(planes, Math.max(1, 4096 / Math.max(1, h * w)), (from, to) -> {
            for (int p = from; p < to; p++) {
                int xb = p * h * w;
                int yb = p * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int y0 = oy * h / oh;
                    int y1 = ((oy + 1) * h + oh - 1) / oh;
                    for (int ox = 0; ox < ow; ox++) {
                        int x0 = ox * w / ow;
                        int x1 = ((ox + 1) * w + ow - 1) / ow;
                        float g = gy[yb + oy * ow + ox] / ((y1 - y0) * (x1 - x0));
                        for (int iy = y0; iy < y1; iy++) {
                            for (int ix = x0; ix < x1; ix++) {
                                gx[xb + iy * w + ix] += g;
                            }
                        }
                    }
                }
            }
        });
    }
}
