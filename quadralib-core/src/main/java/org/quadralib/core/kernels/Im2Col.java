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

    /** Whether runs are copied on the Vector API; {@link VectorElementwise} is only linked when this is true. */
    private static final boolean VECTOR = Gemm.vectorApiAvailable();

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
        if (VECTOR) {
            VectorElementwise.copy(x, from, col, to, n);
        } else {
            System.arraycopy(x, from, col, to, n);
        }
    }

    /**
     * Adds one row run of the column matrix back onto an image row: with the Vector API a vector at a time, including
     * the run's tail (3×3 kernels leave runs one short of the row, and a scalar tail loop took as long as the vectors).
     */
    private static void addRun(float[] col, int from, float[] dx, int to, int n) {
        if (VECTOR) {
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
