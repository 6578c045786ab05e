package org.quadralib.core.kernels;

import java.util.Arrays;

/**
 * Unfolding of one image (one group of channels) into the column matrix a convolution multiplies, and the
 * adjoint fold. Row {@code (ci·kh + ky)·kw + kx} of the {@code [cin·kh·kw, oh·ow]} column matrix holds, for
 * every output pixel {@code (oy, ox)}, the input {@code x[ci, oy·sh − ph + ky·dh, ox·sw − pw + kx·dw]}, or 0
 * where that falls in the padding.
 *
 * <p>For each kernel offset the valid output columns form one interval per row, computed once, so the inner
 * loops copy (stride 1) or gather without per-element bounds tests.
 */
final class Im2Col {

    private Im2Col() {
    }

    /** Unfolds {@code cin} channels of {@code x} starting at {@code xOff} into {@code col} from index 0. */
    static void unfold(float[] x, int xOff, int cin, ConvKernels.Geometry g, float[] col) {
        int h = g.h();
        int w = g.w();
        int oh = g.outH();
        int ow = g.outW();
        int plane = oh * ow;
        int row = 0;
        for (int ci = 0; ci < cin; ci++) {
            int xc = xOff + ci * h * w;
            for (int ky = 0; ky < g.kh(); ky++) {
                int yShift = ky * g.dh() - g.ph();
                for (int kx = 0; kx < g.kw(); kx++, row++) {
                    int xShift = kx * g.dw() - g.pw();
                    int ox0 = firstValid(xShift, g.sw(), ow);
                    int ox1 = endValid(xShift, g.sw(), w, ow, ox0);
                    int dst = row * plane;
                    if (flat(g)) {
                        unfoldFlat(x, xc, col, dst, yShift, xShift, ox0, ox1, g);
                        continue;
                    }
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * g.sh() + yShift;
                        int d = dst + oy * ow;
                        if (iy < 0 || iy >= h) {
                            Arrays.fill(col, d, d + ow, 0f);
                            continue;
                        }
                        // The padding at either end is a few columns: a plain loop, where Arrays.fill's call and
                        // range checks cost more than the stores (a tenth of a LeNet training step).
                        for (int ox = 0; ox < ox0; ox++) {
                            col[d + ox] = 0f;
                        }
                        int src = xc + iy * w + xShift;
                        if (g.sw() == 1) {
                            copyRun(x, src + ox0, col, d + ox0, ox1 - ox0);
                        } else {
                            int sw = g.sw();
                            for (int ox = ox0; ox < ox1; ox++) {
                                col[d + ox] = x[src + ox * sw];
                            }
                        }
                        for (int ox = ox1; ox < ow; ox++) {
                            col[d + ox] = 0f;
                        }
                    }
                }
            }
        }
    }

    /**
     * The adjoint of {@link #unfold}: adds every column entry back onto the input pixel it was read from.
     * {@code dx} (channels {@code [0, cin)} from {@code dxOff}) must be zeroed by the caller; rows are folded in
     * a fixed order, so the sums are deterministic.
     */
    static void fold(float[] col, int cin, ConvKernels.Geometry g, float[] dx, int dxOff) {
        int h = g.h();
        int w = g.w();
        int oh = g.outH();
        int ow = g.outW();
        int plane = oh * ow;
        int row = 0;
        for (int ci = 0; ci < cin; ci++) {
            int xc = dxOff + ci * h * w;
            for (int ky = 0; ky < g.kh(); ky++) {
                int yShift = ky * g.dh() - g.ph();
                for (int kx = 0; kx < g.kw(); kx++, row++) {
                    int xShift = kx * g.dw() - g.pw();
                    int ox0 = firstValid(xShift, g.sw(), ow);
                    int ox1 = endValid(xShift, g.sw(), w, ow, ox0);
                    int src = row * plane;
                    if (flat(g)) {
                        foldFlat(col, src, dx, xc, yShift, xShift, ox0, ox1, g);
                        continue;
                    }
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * g.sh() + yShift;
                        if (iy < 0 || iy >= h) {
                            continue;
                        }
                        int s = src + oy * ow;
                        int d = xc + iy * w + xShift;
                        if (g.sw() == 1) {
                            addRun(col, s + ox0, dx, d + ox0, ox1 - ox0);
                        } else {
                            int sw = g.sw();
                            for (int ox = ox0; ox < ox1; ox++) {
                                dx[d + ox * sw] += col[s + ox];
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Copies one row run of an image into the column matrix: a few to a few dozen floats, where
     * {@code System.arraycopy}'s call costs more than the copy (JFR: a fifth of a LeNet-5 step); with the Vector API a
     * vector at a time.
     */
    private static void copyRun(float[] x, int from, float[] col, int to, int n) {
        if (Simd.VECTOR) {
            VectorElementwise.copy(x, from, col, to, n);
        } else {
            System.arraycopy(x, from, col, to, n);
        }
    }

    /**
     * Whether a kernel offset's column row is the input plane shifted by a constant: stride 1 and output rows as wide
     * as input rows (a "same" convolution), so pixel {@code (oy, ox)} of the row reads input element
     * {@code (oy·w + ox) + yShift·w + xShift} of its channel. The row is then one copy (or one add) of a flat run, with
     * the few columns that fall in the horizontal padding fixed up, instead of a short run per output row.
     */
    private static boolean flat(ConvKernels.Geometry g) {
        return g.sh() == 1 && g.sw() == 1 && g.outW() == g.w();
    }

    /** The valid output rows {@code [lo, hi)} of a kernel row offset {@code yShift}, as {@code lo + hi·2^32}. */
    private static long validRows(int yShift, int h, int oh) {
        int lo = Math.min(oh, Math.max(0, -yShift));
        int hi = Math.max(lo, Math.min(oh, h - yShift));
        return lo | (long) hi << 32;
    }

    /** {@link #unfold} of one column row when {@link #flat}: output columns {@code [ox0, ox1)} are valid. */
    private static void unfoldFlat(float[] x, int xc, float[] col, int dst, int yShift, int xShift, int ox0, int ox1,
                                   ConvKernels.Geometry g) {
        int w = g.w();
        int oh = g.outH();
        long rows = validRows(yShift, g.h(), oh);
        int lo = (int) rows;
        int hi = (int) (rows >>> 32);
        Arrays.fill(col, dst, dst + lo * w, 0f);
        Arrays.fill(col, dst + hi * w, dst + oh * w, 0f);
        if (lo == hi) {
            return;
        }
        if (ox0 == ox1) {
            Arrays.fill(col, dst + lo * w, dst + hi * w, 0f);
            return;
        }
        int t0 = lo * w + ox0;
        int t1 = (hi - 1) * w + ox1;
        System.arraycopy(x, xc + t0 + yShift * w + xShift, col, dst + t0, t1 - t0);
        zeroPaddingColumns(col, dst, lo, hi, w, ox0, ox1);
    }

    /**
     * {@link #fold} of one column row when {@link #flat}: the entries in the horizontal padding are zeroed in
     * {@code col} (a scratch copy) and the valid rows added back as one flat run, so each of those entries adds 0 to a
     * neighbouring pixel instead of being skipped.
     */
    private static void foldFlat(float[] col, int src, float[] dx, int xc, int yShift, int xShift, int ox0, int ox1,
                                 ConvKernels.Geometry g) {
        int w = g.w();
        long rows = validRows(yShift, g.h(), g.outH());
        int lo = (int) rows;
        int hi = (int) (rows >>> 32);
        if (lo == hi || ox0 == ox1) {
            return;
        }
        zeroPaddingColumns(col, src, lo, hi, w, ox0, ox1);
        int t0 = lo * w + ox0;
        int t1 = (hi - 1) * w + ox1;
        addRun(col, src + t0, dx, xc + t0 + yShift * w + xShift, t1 - t0);
    }

    /**
     * Zeroes, in rows {@code [lo, hi)} of a flat column row starting at {@code base}, the output columns outside
     * {@code [ox0, ox1)}: those that fall in the horizontal padding.
     */
    private static void zeroPaddingColumns(float[] col, int base, int lo, int hi, int w, int ox0, int ox1) {
        for (int oy = lo; oy < hi; oy++) {
            int d = base + oy * w;
            for (int ox = 0; ox < ox0; ox++) {
                col[d + ox] = 0f;
            }
            for (int ox = ox1; ox < w; ox++) {
                col[d + ox] = 0f;
            }
        }
    }

    /**
     * Adds one row run of the column matrix back onto an image row: with the Vector API a vector at a time, including
     * the run's tail (3×3 kernels leave runs one short of the row, and a scalar tail loop took as long as the vectors).
     */
    private static void addRun(float[] col, int from, float[] dx, int to, int n) {
        if (Simd.VECTOR) {
            VectorElementwise.addTo(col, from, dx, to, n);
        } else {
            for (int i = 0; i < n; i++) {
                dx[to + i] += col[from + i];
            }
        }
    }

    /** First output column {@code ox} with {@code ox·stride + shift ≥ 0}, clipped to {@code ow}. */
    static int firstValid(int shift, int stride, int ow) {
        return shift >= 0 ? 0 : Math.min(ow, (-shift + stride - 1) / stride);
    }

    /** One past the last output column with {@code ox·stride + shift < size}, at least {@code from}. */
    static int endValid(int shift, int stride, int size, int ow, int from) {
        int last = Math.floorDiv(size - 1 - shift, stride);
        return Math.max(from, Math.min(ow, last + 1));
    }
}
