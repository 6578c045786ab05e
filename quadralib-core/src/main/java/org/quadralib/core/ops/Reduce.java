package org.quadralib.core.ops;

import java.util.Arrays;

import org.quadralib.core.Function;
import org.quadralib.core.Parallel;
import org.quadralib.core.Shapes;
import org.quadralib.core.Tensor;

/**
 * Reductions over dimensions: sum, mean, max, argmax, variance. {@code dims == null} reduces everything.
 * With {@code keepDim} reduced dimensions stay as size 1, otherwise they are removed.
 */
public final class Reduce {

    private Reduce() {
    }

    /**
     * Sum over {@code dims}; the gradient is the output gradient broadcast back.
     *
     * @throws IllegalArgumentException if a dimension is out of range or repeated
     */
    public static Tensor sum(Tensor x, int[] dims, boolean keepDim) {
        boolean[] reduce = reducedMask("sum", x.dim(), dims);
        int[] inShape = x.shape();
        return new Function("sum") {
            private int[] kept;

            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                Tensor out = sumKeep(in[0].contiguous(), reduce);
                kept = out.shape();
                return keepDim ? out : out.reshape(dropped(kept, reduce));
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                return new Tensor[] {g.reshape(kept).expand(inShape)};
            }
        }.apply(x);
    }

    /** Mean over {@code dims}. */
    public static Tensor mean(Tensor x, int[] dims, boolean keepDim) {
        boolean[] reduce = reducedMask("mean", x.dim(), dims);
        long count = 1;
        int[] s = x.shape();
        for (int i = 0; i < s.length; i++) {
            if (reduce[i]) {
                count *= s[i];
            }
        }
        return sum(x, dims, keepDim).mul(count == 0 ? Float.NaN : 1f / count);
    }

    /**
     * Variance over {@code dims}: mean((x − mean)²), times n/(n−1) if {@code unbiased}.
     */
    public static Tensor var(Tensor x, int[] dims, boolean unbiased, boolean keepDim) {
        boolean[] reduce = reducedMask("var", x.dim(), dims);
        long count = 1;
        int[] s = x.shape();
        for (int i = 0; i < s.length; i++) {
            if (reduce[i]) {
                count *= s[i];
            }
        }
        Tensor centered = x.sub(mean(x, dims, true));
        Tensor sq = sum(centered.mul(centered), dims, keepDim);
        long denom = unbiased ? count - 1 : count;
        return sq.mul(denom <= 0 ? Float.NaN : 1f / denom);
    }

    /**
     * Maximum along {@code dim}; the gradient goes to the first position holding the maximum.
     */
    public static Tensor max(Tensor x, int dim, boolean keepDim) {
        int d = Shapes.dim("max", dim, x.dim());
        Tensor xc = x.contiguous();
        int[] s = xc.shape();
        int outer = 1;
        int inner = 1;
        for (int i = 0; i < d; i++) {
            outer *= s[i];
        }
        for (int i = d + 1; i < s.length; i++) {
            inner *= s[i];
        }
        int len = s[d];
        if (len == 0) {
            throw new IllegalArgumentException("max: dimension " + d + " of shape " + Shapes.str(s) + " is empty");
        }
        int[] keptShape = s.clone();
        keptShape[d] = 1;
        int fo = outer;
        int fi = inner;
        return new Function("max") {
            private final int[] arg = new int[fo * fi];

            @Override
            protected Tensor forward(Context ctx, Tensor... input) {
                Tensor xin = input[0];
                Tensor out = Tensor.empty(keptShape);
                float[] a = xin.data();
                float[] o = out.data();
                int base = xin.offset();
                for (int p = 0; p < fo; p++) {
                    for (int q = 0; q < fi; q++) {
                        int start = base + p * len * fi + q;
                        float best = a[start];
                        int bi = 0;
                        for (int k = 1; k < len; k++) {
                            float v = a[start + k * fi];
                            if (v > best || Float.isNaN(v) && !Float.isNaN(best)) {
                                best = v;
                                bi = k;
                            }
                        }
                        o[p * fi + q] = best;
                        arg[p * fi + q] = bi;
                    }
                }
                return keepDim ? out : out.reshape(dropped(keptShape, mask(s.length, d)));
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                Tensor gc = g.contiguous();
                Tensor gx = Tensor.zeros(s);
                float[] gv = gc.data();
                float[] r = gx.data();
                for (int p = 0; p < fo; p++) {
                    for (int q = 0; q < fi; q++) {
                        int j = p * fi + q;
                        r[p * len * fi + arg[j] * fi + q] = gv[gc.offset() + j];
                    }
                }
                return new Tensor[] {gx};
            }
        }.apply(xc);
    }

    /** Index of the first maximum along {@code dim}, as float values; not differentiable. */
    public static Tensor argmax(Tensor x, int dim, boolean keepDim) {
        int d = Shapes.dim("argmax", dim, x.dim());
        Tensor xc = x.contiguous();
        int[] s = xc.shape();
        int outer = 1;
        int inner = 1;
        for (int i = 0; i < d; i++) {
            outer *= s[i];
        }
        for (int i = d + 1; i < s.length; i++) {
            inner *= s[i];
        }
        int len = s[d];
        int[] keptShape = s.clone();
        keptShape[d] = 1;
        Tensor out = Tensor.empty(keptShape);
        float[] a = xc.data();
        float[] o = out.data();
        for (int p = 0; p < outer; p++) {
            for (int q = 0; q < inner; q++) {
                int start = xc.offset() + p * len * inner + q;
                float best = a[start];
                int bi = 0;
                for (int k = 1; k < len; k++) {
                    float v = a[start + k * inner];
                    if (v > best) {
                        best = v;
                        bi = k;
                    }
                }
                o[p * inner + q] = bi;
            }
        }
        return keepDim ? out : out.reshape(dropped(keptShape, mask(s.length, d)));
    }

    private static boolean[] mask(int rank, int d) {
        boolean[] m = new boolean[rank];
        m[d] = true;
        return m;
    }

    static boolean[] reducedMask(String op, int rank, int[] dims) {
        boolean[] r = new boolean[rank];
        if (dims == null) {
            Arrays.fill(r, true);
            return r;
        }
        for (int d : dims) {
            int n = Shapes.dim(op, d, rank);
            if (r[n]) {
                throw new IllegalArgumentException(op + ": dimension " + d + " repeated in " + Arrays.toString(dims));
            }
            r[n] = true;
        }
        return r;
    }

    private static int[] dropped(int[] shape, boolean[] reduce) {
        int k = 0;
        for (boolean b : reduce) {
            if (!b) {
                k++;
            }
        }
        int[] s = new int[k];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (!reduce[i]) {
                s[j++] = shape[i];
            }
        }
        return s;
    }

    /**
     * Sums a contiguous tensor over the masked dimensions, keeping them as size 1. Each maximal run of
     * adjacent reduced dimensions is one [outer, reduced, inner] pass; runs are reduced right to left.
     */
    private static Tensor sumKeep(Tensor x, boolean[] reduce) {
        Tensor cur = x;
        int rank = reduce.length;
        int d = rank - 1;
        while (d >= 0) {
            if (!reduce[d]) {
                d--;
                continue;
            }
            int end = d;
            while (d >= 0 && reduce[d]) {
                d--;
            }
            int start = d + 1;
            cur = sumBlock(cur, start, end);
        }
        if (cur == x) {
            cur = x.detach().copy();
        }
        return cur;
    }

    private static Tensor sumBlock(Tensor x, int start, int end) {
        int[] s = x.shape();
        int outer = 1;
        int red = 1;
        int inner = 1;
        for (int i = 0; i < start; i++) {
            outer *= s[i];
        }
        for (int i = start; i <= end; i++) {
            red *= s[i];
        }
        for (int i = end + 1; i < s.length; i++) {
            inner *= s[i];
        }
        int[] os = s.clone();
        for (int i = start; i <= end; i++) {
            os[i] = 1;
        }
        Tensor out = Tensor.empty(os);
        float[] a = x.data();
        float[] o = out.data();
        int base = x.offset();
        int fr = red;
        int fi = inner;
        if (inner == 1) {
            Parallel.forRange(outer, Math.max(1, (1 << 14) / Math.max(1, red)), (from, to) -> {
                for (int p = from; p < to; p++) {
                    double acc = 0;
                    int off = base + p * fr;
                    for (int k = 0; k < fr; k++) {
                        acc += a[off + k];
                    }
                    o[p] = (float) acc;
                }
            });
        } else {
            Parallel.forRange(outer * inner, Math.max(1, (1 << 14) / Math.max(1, red)), (from, to) -> {
                for (int j = from; j < to; j++) {
                    int p = j / fi;
                    int q = j - p * fi;
                    double acc = 0;
                    int off = base + p * fr * fi + q;
                    for (int k = 0; k < fr; k++) {
                        acc += a[off + k * fi];
                    }
                    o[j] = (float) acc;
                }
            });
        }
        return out;
    }
}
