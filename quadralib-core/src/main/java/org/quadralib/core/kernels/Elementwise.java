package org.quadralib.core.kernels;

import org.quadralib.core.Parallel;

/**
 * Element-wise loops over flat arrays and over broadcast strided layouts. One loop per op code, so the JIT
 * sees a tight monomorphic loop instead of a lambda call per element.
 */
public final class Elementwise {

    /** Binary op codes. */
    public enum BinaryOp { ADD, SUB, MUL, DIV }

    /** Grain size: below this many elements a loop runs on the calling thread. */
    public static final int GRAIN = 1 << 15;

    private Elementwise() {
    }

    /** {@code out[o+i] = a[ao+i] op b[bo+i]} for {@code i < n}. */
    public static void binary(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        Parallel.forRange(n, GRAIN, (from, to) -> binaryRange(op, a, ao + from, 1, b, bo + from, 1, out, oo + from, to - from));
    }

    /** One strided run: {@code out[oo+i] = a[ao+i*as] op b[bo+i*bs]}. */
    public static void binaryRange(BinaryOp op, float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        switch (op) {
            case ADD -> {
                if (as == 1 && bs == 1) {
                    for (int i = 0; i < n; i++) {
                        out[oo + i] = a[ao + i] + b[bo + i];
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        out[oo + i] = a[ao + i * as] + b[bo + i * bs];
                    }
                }
            }
            case SUB -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i * as] - b[bo + i * bs];
                }
            }
            case MUL -> {
                if (as == 1 && bs == 1) {
                    for (int i = 0; i < n; i++) {
                        out[oo + i] = a[ao + i] * b[bo + i];
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        out[oo + i] = a[ao + i * as] * b[bo + i * bs];
                    }
                }
            }
            case DIV -> {
                for (int i = 0; i < n; i++) {
                    out[oo + i] = a[ao + i * as] / b[bo + i * bs];
                }
            }
        }
    }

    /**
     * Broadcast binary op into a contiguous output of {@code shape}; {@code as}/{@code bs} are the inputs'
     * strides expressed in the output's dimensions (0 where broadcast).
     */
    public static void binaryBroadcast(BinaryOp op, float[] a, int ao, int[] as, float[] b, int bo, int[] bs, float[] out,
            int[] shape) {
        int rank = shape.length;
        if (rank == 0) {
            binaryRange(op, a, ao, 0, b, bo, 0, out, 0, 1);
            return;
        }
        int inner = shape[rank - 1];
        int rows = 1;
        for (int d = 0; d < rank - 1; d++) {
            rows *= shape[d];
        }
        int grainRows = Math.max(1, GRAIN / Math.max(1, inner));
        Parallel.forRange(rows, grainRows, (from, to) -> {
            for (int r = from; r < to; r++) {
                int rem = r;
                int pa = ao;
                int pb = bo;
                for (int d = rank - 2; d >= 0; d--) {
                    int idx = rem % shape[d];
                    rem /= shape[d];
                    pa += idx * as[d];
                    pb += idx * bs[d];
                }
                binaryRange(op, a, pa, as[rank - 1], b, pb, bs[rank - 1], out, r * inner, inner);
            }
        });
    }
}
