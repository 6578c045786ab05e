package org.quadralib.core.kernels;

import org.quadralib.core.Parallel;

/**
 * Element-wise loops over flat arrays and over broadcast strided layouts. One loop per op code, so the JIT
 * sees a tight monomorphic loop instead of a lambda call per element.
 */
public final class Elementwise {

    /** Binary op codes. */
    public enum BinaryOp {
        /** {@code a + b}. */
        ADD,
        /** {@code a − b}. */
        SUB,
        /** {@code a · b}. */
        MUL,
        /** {@code a / b}. */
        DIV
    }

    /** Grain size: below this many elements a loop runs on the calling thread. */
    public static final int GRAIN = 1 << 15;

    private Elementwise() {
    }

    /** {@code out[o+i] = a[ao+i] op b[bo+i]} for {@code i < n}. */
    public static void binary(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        Parallel.forRange(n, GRAIN, (from, to) -> binaryRange(op, a, ao + from, 1, b, bo + from, 1, out, oo + from, to - from));
    }

    /**
     * One strided run: {@code out[oo+i] = a[ao+i*as] op b[bo+i*bs]}. Contiguous and scalar-broadcast runs take the
     * Vector API ({@link VectorElementwise}) when it is present: C2 leaves these plain loops scalar (0.7 ns an
     * element, measured).
     */
    public static void binaryRange(BinaryOp op, float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        if (Simd.VECTOR && ((as == 1 && bs <= 1) || (as == 0 && bs == 1))) {
            VectorElementwise.binary(op, a, ao, as, b, bo, bs, out, oo, n);
        } else {
            binaryScalar(op, a, ao, as, b, bo, bs, out, oo, n);
        }
    }

    /** {@link #binaryRange} in plain Java; also the Vector API path's tail. */
    static void binaryScalar(BinaryOp op, float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        // Contiguous and scalar-broadcast runs get their own loops, without a stride multiplication in the index.
        if (as == 1 && bs == 1) {
            switch (op) {
                case ADD -> {
                    for (int i = 0; i < n; i++) {
                        out[oo + i] = a[ao + i] + b[bo + i];
                    }
                }
                case SUB -> {
                    for (int i = 0; i < n; i++) {
                        out[oo + i] = a[ao + i] - b[bo + i];
                    }
                }
                case MUL -> {
                    for (int i = 0; i < n; i++) {
                        out[oo + i] = a[ao + i] * b[bo + i];
                    }
                }
                case DIV -> {
                    for (int i = 0; i < n; i++) {
                        out[oo + i] = a[ao + i] / b[bo + i];
                    }
                }
            }
        } else if (as == 1 && bs == 0) {
            float v = b[bo];
            switch (op) {
                case ADD -> {
                    for (int i = 0; i < n; i++) {
                        out[oo + i] = a[ao + i] + v;
                    }
                }
                case SUB -> {
                    for (int i = 0; i < n; i++) {
                        out[oo + i] = a[ao + i] - v;
                    }
                }
                case MUL -> {
                    for (int i = 0; i < n; i++) {
                        out[oo + i] = a[ao + i] * v;
                    }
                }
                case DIV -> {
                    for (int i = 0; i < n; i++) {
                        out[oo + i] = a[ao + i] / v;
                    }
                }
            }
        } else if (as == 0 && bs == 1) {
            float v = a[ao];
            switch (op) {
                case ADD -> {
                    for (int i = 0; i < n; i++) {
                        out[oo + i] = v + b[bo + i];
                    }
                }
                case SUB -> {
                    for (int i = 0; i < n; i++) {
                        out[oo + i] = v - b[bo + i];
                    }
                }
                case MUL -> {
                    for (int i = 0; i < n; i++) {
                        out[oo + i] = v * b[bo + i];
                    }
                }
                case DIV -> {
                    for (int i = 0; i < n; i++) {
                        out[oo + i] = v / b[bo + i];
                    }
                }
            }
        } else {
            switch (op) {
                case ADD -> {
                    for (int i = 0; i < n; i++) {
                        out[oo + i] = a[ao + i * as] + b[bo + i * bs];
                    }
                }
                case SUB -> {
                    for (int i = 0; i < n; i++) {
                        out[oo + i] = a[ao + i * as] - b[bo + i * bs];
                    }
                }
                case MUL -> {
                    for (int i = 0; i < n; i++) {
                        out[oo + i] = a[ao + i * as] * b[bo + i * bs];
                    }
                }
                case DIV -> {
                    for (int i = 0; i < n; i++) {
                        out[oo + i] = a[ao + i * as] / b[bo + i * bs];
                    }
                }
            }
        }
    }

    /**
     * {@code Σ a[off .. off+n)} in a fixed order, on the calling thread. The plain loop adds each value to a double; the
     * Vector API path adds runs of at most {@value #SUM_BLOCK} values in float lanes and the runs' sums in double
     * (the two differ by float rounding, about {@code n·2⁻²⁴} of the sum of magnitudes at most).
     */
    public static double sum(float[] a, int off, int n) {
        return Simd.VECTOR ? VectorElementwise.sum(a, off, n) : sumScalar(a, off, n);
    }

    /** Values {@link #sum} adds in float lanes before the lanes are reduced into the double total. */
    static final int SUM_BLOCK = 1024;

    // Four partial sums: one running double sum is bound by the latency of the add (four cycles per element); four
    // independent ones run about four times faster, with the same double accuracy.
    static double sumScalar(float[] a, int off, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            s0 += a[off + i];
            s1 += a[off + i + 1];
            s2 += a[off + i + 2];
            s3 += a[off + i + 3];
        }
        for (; i < n; i++) {
            s0 += a[off + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /**
     * {@code dst[dOff+i] += alpha·src[sOff+i]} for {@code i < n} (the product rounded, then the sum), split over
     * threads; {@code src} and {@code dst} may be the same array only at the same offset.
     */
    public static void axpy(float alpha, float[] src, int sOff, float[] dst, int dOff, int n) {
        Parallel.forRange(n, GRAIN, (from, to) -> {
            if (Simd.VECTOR) {
                VectorElementwise.axpy(alpha, src, sOff + from, dst, dOff + from, to - from);
            } else {
                axpyScalar(alpha, src, sOff + from, dst, dOff + from, to - from);
            }
        });
    }

    /** {@link #axpy} in plain Java, on the calling thread; also the Vector API path's tail. */
    static void axpyScalar(float alpha, float[] src, int sOff, float[] dst, int dOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dOff + i] += alpha * src[sOff + i];
        }
    }

    /**
     * One step of SGD with momentum for {@code n} parameters, as PyTorch computes it, split over threads:
     * {@code g' = g + wd·p; v ← first ? g' : μ·v + g'; p ← p − lr·(nesterov ? g' + μ·v : v)}, each product and sum
     * rounded to float in that order (the Vector API path gives the same bits as the plain loop).
     *
     * @param p parameters, from {@code po}; updated
     * @param g gradients, from {@code go}
     * @param v momentum buffer, from 0; written
     * @param first whether {@code v} holds no value yet (PyTorch starts it at the first gradient)
     */
    public static void sgdMomentum(float[] p, int po, float[] g, int go, float[] v, int n, float lr, float wd, float mu,
                                   boolean first, boolean nesterov) {
        Parallel.forRange(n, GRAIN, (from, to) -> {
            if (Simd.VECTOR) {
                VectorElementwise.sgdMomentum(p, po, g, go, v, from, to, lr, wd, mu, first, nesterov);
            } else {
                sgdMomentumScalar(p, po, g, go, v, from, to, lr, wd, mu, first, nesterov);
            }
        });
    }

    /** {@link #sgdMomentum} in plain Java over {@code [from, to)}, on the calling thread; also the vector path's tail. */
    static void sgdMomentumScalar(float[] p, int po, float[] g, int go, float[] v, int from, int to, float lr, float wd,
                                  float mu, boolean first, boolean nesterov) {
        for (int i = from; i < to; i++) {
            float gi = g[go + i] + wd * p[po + i];
            float vi = first ? gi : mu * v[i] + gi;
            v[i] = vi;
            p[po + i] -= lr * (nesterov ? gi + mu * vi : vi);
        }
    }

    /**
     * Broadcast binary op into a contiguous output of {@code shape}; {@code as}/{@code bs} are the inputs'
     * strides expressed in the output's dimensions (0 where broadcast).
     */
    public static void binaryBroadcast(BinaryOp op, float[] a, int ao, int[] as, float[] b, int bo, int[] bs, float[] out,
            int[] shape) {
        // Merge neighbouring dimensions both inputs walk as one run (and drop unit ones): a per-channel bias on
        // [N, C, H, W] becomes [N·C rows] × [H·W run of one value], instead of N·C·H rows of W elements.
        int[] sh = new int[shape.length];
        int[] sa = new int[shape.length];
        int[] sb = new int[shape.length];
        int rank = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) {
                continue;
            }
            if (rank > 0 && sa[rank - 1] == as[d] * shape[d] && sb[rank - 1] == bs[d] * shape[d]) {
                sh[rank - 1] *= shape[d];
                sa[rank - 1] = as[d];
                sb[rank - 1] = bs[d];
            } else {
                sh[rank] = shape[d];
                sa[rank] = as[d];
                sb[rank] = bs[d];
                rank++;
            }
        }
        if (rank == 0) {
            binaryRange(op, a, ao, 0, b, bo, 0, out, 0, 1);
            return;
        }
        int inner = sh[rank - 1];
        int rows = 1;
        for (int d = 0; d < rank - 1; d++) {
            rows *= sh[d];
        }
        int r1 = rank;
        int grainRows = Math.max(1, GRAIN / Math.max(1, inner));
        Parallel.forRange(rows, grainRows, (from, to) -> {
            for (int r = from; r < to; r++) {
                int rem = r;
                int pa = ao;
                int pb = bo;
                for (int d = r1 - 2; d >= 0; d--) {
                    int idx = rem % sh[d];
                    rem /= sh[d];
                    pa += idx * sa[d];
                    pb += idx * sb[d];
                }
                binaryRange(op, a, pa, sa[r1 - 1], b, pb, sb[r1 - 1], out, r * inner, inner);
            }
        });
    }
}
