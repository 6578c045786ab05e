package org.quadralib.core.kernels;

import org.quadralib.core.Parallel;
import org.quadralib.core.memory.Workspace;

/**
 * 2-D convolution kernels on raw NCHW arrays: im2col + {@link Gemm} per image and group, over a reused
 * per-thread {@link Workspace}, parallel over the batch. 1×1 convolutions with stride 1 and no padding skip
 * im2col: the input plane already is the column matrix.
 *
 * <p>Layouts: x {@code [n, c, h, w]}, weight {@code [cout, c/groups, kh, kw]}, y {@code [n, cout, oh, ow]}; all arrays
 * start at index 0. Weight gradients are summed over the batch in a fixed order (per-chunk partial sums added
 * chunk by chunk), so results depend only on the thread count.
 */
public final class ConvKernels {

    private ConvKernels() {
    }

    /**
     * The shape of one convolution.
     *
     * @throws IllegalArgumentException naming conv2d and the numbers if a size is not positive, padding is
     *     negative, groups do not divide the channels, or the output would be empty
     */
    public record Geometry(int n, int c, int h, int w, int cout, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
            int groups) {

        /** Validates the geometry. */
        public Geometry {
            if (n < 0 || c <= 0 || h <= 0 || w <= 0 || cout <= 0 || kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0 || dh <= 0 || dw <= 0
                    || ph < 0 || pw < 0 || groups <= 0) {
                throw new IllegalArgumentException("conv2d: invalid geometry " + this);
            }
            if (c % groups != 0 || cout % groups != 0) {
                throw new IllegalArgumentException("conv2d: groups " + groups + " must divide input channels " + c + " and output channels "
                        + cout);
            }
            if (outSize(h, kh, sh, ph, dh) <= 0 || outSize(w, kw, sw, pw, dw) <= 0) {
                throw new IllegalArgumentException("conv2d: input " + h + "x" + w + " with padding " + ph + "x" + pw + " is smaller than the"
                        + " dilated kernel " + ((kh - 1) * dh + 1) + "x" + ((kw - 1) * dw + 1));
            }
        }

        /** Output height {@code (h + 2ph − dh(kh−1) − 1)/sh + 1}. */
        public int outH() {
            return outSize(h, kh, sh, ph, dh);
        }

        /** Output width {@code (w + 2pw − dw(kw−1) − 1)/sw + 1}. */
        public int outW() {
            return outSize(w, kw, sw, pw, dw);
        }

        /** Input channels per group. */
        public int cinPerGroup() {
            return c / groups;
        }

        /** Output channels per group. */
        public int coutPerGroup() {
            return cout / groups;
        }

        /** Rows of a group's column matrix: {@code c/groups · kh · kw}. */
        public int patch() {
            return c / groups * kh * kw;
        }

        /** True when the input plane is already the column matrix (1×1, stride 1, no padding). */
        public boolean pointwise() {
            return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0;
        }

        private static int outSize(int in, int k, int s, int p, int d) {
            return (in + 2 * p - d * (k - 1) - 1) / s + 1;
        }
    }

    /** {@code y = conv(x, weight) + bias}; {@code bias} may be null; y is overwritten. */
    public static void forward(Geometry g, float[] x, float[] weight, float[] bias, float[] y) {
        int ohw = g.outH() * g.outW();
        int hw = g.h() * g.w();
        int patch = g.patch();
        int cog = g.coutPerGroup();
        Parallel.forRange(g.n(), 1, (from, to) -> {
            float[] col = g.pointwise() ? null : Workspace.get("conv.col", patch * ohw);
            for (int b = from; b < to; b++) {
                for (int gr = 0; gr < g.groups(); gr++) {
                    int xOff = (b * g.c() + gr * g.cinPerGroup()) * hw;
                    float[] src = x;
                    int srcOff = xOff;
                    if (col != null) {
                        im2col(g, x, xOff, col);
                        src = col;
                        srcOff = 0;
                    }
                    int yOff = (b * g.cout() + gr * cog) * ohw;
                    float beta = 0f;
                    if (bias != null) {
                        for (int o = 0; o < cog; o++) {
                            java.util.Arrays.fill(y, yOff + o * ohw, yOff + (o + 1) * ohw, bias[gr * cog + o]);
                        }
                        beta = 1f;
                    }
                    Gemm.sgemm(false, false, cog, ohw, patch, 1f, weight, gr * cog * patch, patch, src, srcOff, ohw, beta, y, yOff, ohw);
                }
            }
        });
    }

    /** {@code gx = conv_transpose(gy, weight)}: the input gradient; gx is overwritten. */
    public static void backwardInput(Geometry g, float[] gy, float[] weight, float[] gx) {
        int ohw = g.outH() * g.outW();
        int hw = g.h() * g.w();
        int patch = g.patch();
        int cog = g.coutPerGroup();
        Parallel.forRange(g.n(), 1, (from, to) -> {
            float[] col = g.pointwise() ? null : Workspace.get("conv.col", patch * ohw);
            for (int b = from; b < to; b++) {
                for (int gr = 0; gr < g.groups(); gr++) {
                    int xOff = (b * g.c() + gr * g.cinPerGroup()) * hw;
                    int yOff = (b * g.cout() + gr * cog) * ohw;
                    if (col == null) {
                        Gemm.sgemm(true, false, patch, ohw, cog, 1f, weight, gr * cog * patch, patch, gy, yOff, ohw, 0f, gx, xOff, ohw);
                    } else {
                        Gemm.sgemm(true, false, patch, ohw, cog, 1f, weight, gr * cog * patch, patch, gy, yOff, ohw, 0f, col, 0, ohw);
                        col2im(g, col, gx, xOff);
                    }
                }
            }
        });
    }

    /**
     * Weight and bias gradients: {@code gw = Σ_b gy_b · col(x_b)ᵀ}, {@code gb = Σ_b Σ_pixels gy_b}. Either output
     * may be null (not wanted); both are overwritten.
     */
    public static void backwardWeight(Geometry g, float[] gy, float[] x, float[] gw, float[] gb) {
        int ohw = g.outH() * g.outW();
        int hw = g.h() * g.w();
        int patch = g.patch();
        int cog = g.coutPerGroup();
        if (gb != null) {
            for (int o = 0; o < g.cout(); o++) {
                double s = 0;
                for (int b = 0; b < g.n(); b++) {
                    int off = (b * g.cout() + o) * ohw;
                    for (int i = 0; i < ohw; i++) {
                        s += gy[off + i];
                    }
                }
                gb[o] = (float) s;
            }
        }
        if (gw == null) {
            return;
        }
        int wsize = g.cout() * patch;
        int chunks = Math.min(Parallel.threads(), Math.max(1, g.n()));
        float[][] partial = new float[chunks][];
        Parallel.forChunks(g.n(), chunks, (from, to) -> {
            int chunk = chunkIndex(g.n(), chunks, from);
            float[] acc = chunk == 0 ? gw : new float[wsize];
            java.util.Arrays.fill(acc, 0, wsize, 0f);
            float[] col = g.pointwise() ? null : Workspace.get("conv.col", patch * ohw);
            for (int b = from; b < to; b++) {
                for (int gr = 0; gr < g.groups(); gr++) {
                    int xOff = (b * g.c() + gr * g.cinPerGroup()) * hw;
                    int yOff = (b * g.cout() + gr * cog) * ohw;
                    float[] src = x;
                    int srcOff = xOff;
                    if (col != null) {
                        im2col(g, x, xOff, col);
                        src = col;
                        srcOff = 0;
                    }
                    Gemm.sgemm(false, true, cog, patch, ohw, 1f, gy, yOff, ohw, src, srcOff, ohw, 1f, acc, gr * cog * patch, patch);
                }
            }
            partial[chunk] = acc;
        });
        for (int k = 1; k < chunks; k++) {
            float[] p = partial[k];
            if (p != null) {
                for (int i = 0; i < wsize; i++) {
                    gw[i] += p[i];
                }
            }
        }
    }

    private static int chunkIndex(int n, int chunks, int from) {
        for (int i = 0; i < chunks; i++) {
            if (Parallel.chunkStart(n, chunks, i) == from) {
                return i;
            }
        }
        throw new IllegalStateException("conv2d: chunk starting at " + from + " not found");
    }

    /** Unfolds one group of one image into {@code col [c/groups·kh·kw, oh·ow]}, zero where the window hits padding. */
    static void im2col(Geometry g, float[] x, int xOff, float[] col) {
        int oh = g.outH();
        int ow = g.outW();
        int h = g.h();
        int w = g.w();
        int row = 0;
        for (int ch = 0; ch < g.cinPerGroup(); ch++) {
            int plane = xOff + ch * h * w;
            for (int ky = 0; ky < g.kh(); ky++) {
                for (int kx = 0; kx < g.kw(); kx++, row++) {
                    int base = row * oh * ow;
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * g.sh() - g.ph() + ky * g.dh();
                        int dst = base + oy * ow;
                        if (iy < 0 || iy >= h) {
                            java.util.Arrays.fill(col, dst, dst + ow, 0f);
                            continue;
                        }
                        int src = plane + iy * w;
                        int ix0 = kx * g.dw() - g.pw();
                        if (g.sw() == 1 && ix0 >= 0 && ix0 + ow <= w) {
                            System.arraycopy(x, src + ix0, col, dst, ow);
                            continue;
                        }
                        for (int ox = 0; ox < ow; ox++) {
                            int ix = ix0 + ox * g.sw();
                            col[dst + ox] = ix >= 0 && ix < w ? x[src + ix] : 0f;
                        }
                    }
                }
            }
        }
    }

    /** Folds {@code col} back, adding overlapping windows: the adjoint of {@link #im2col}. Overwrites the group's planes. */
    static void col2im(Geometry g, float[] col, float[] gx, int xOff) {
        int oh = g.outH();
        int ow = g.outW();
        int h = g.h();
        int w = g.w();
        java.util.Arrays.fill(gx, xOff, xOff + g.cinPerGroup() * h * w, 0f);
        int row = 0;
        for (int ch = 0; ch < g.cinPerGroup(); ch++) {
            int plane = xOff + ch * h * w;
            for (int ky = 0; ky < g.kh(); ky++) {
                for (int kx = 0; kx < g.kw(); kx++, row++) {
                    int base = row * oh * ow;
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * g.sh() - g.ph() + ky * g.dh();
                        if (iy < 0 || iy >= h) {
                            continue;
                        }
                        int dstRow = plane + iy * w;
                        int src = base + oy * ow;
                        int ix0 = kx * g.dw() - g.pw();
                        for (int ox = 0; ox < ow; ox++) {
                            int ix = ix0 + ox * g.sw();
                            if (ix >= 0 && ix < w) {
                                gx[dstRow + ix] += col[src + ox];
                            }
                        }
                    }
                }
            }
        }
    }
}
