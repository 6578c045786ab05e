package org.quadralib.core.kernels;

import org.quadralib.core.memory.Workspace;

/**
 * Unpacked GEMM for problems too small to repay packing: each row of C is accumulated in a scratch row with
 * an axpy over rows of op(B) (a loop C2 vectorises), then merged with the same rounding as the packed
 * kernels ({@code alpha·acc} or {@code fma(acc, alpha, beta·C)}).
 */
final class SmallGemm {

    private static final String KEY_ROW = "gemm.small.row";
    private static final String KEY_BT = "gemm.small.bt";

    private SmallGemm() {
    }

    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float beta, float[] c, int cOff, int ldc) {
        float[] bb = b;
        int bo = bOff;
        int bld = ldb;
        if (transB) {
            // op(B) rows must be contiguous for the axpy; a transposed copy of a small B is cheap.
            bb = Workspace.get(KEY_BT, k * n);
            for (int j = 0; j < n; j++) {
                int src = bOff + j * ldb;
                for (int p = 0; p < k; p++) {
                    bb[p * n + j] = b[src + p];
                }
            }
            bo = 0;
            bld = n;
        }
        float[] row = Workspace.get(KEY_ROW, n);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                row[j] = 0f;
            }
            for (int p = 0; p < k; p++) {
                float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                int o = bo + p * bld;
                for (int j = 0; j < n; j++) {
                    row[j] = Math.fma(av, bb[o + j], row[j]);
                }
            }
            int co = cOff + i * ldc;
            if (beta == 0f) {
                for (int j = 0; j < n; j++) {
                    c[co + j] = alpha * row[j];
                }
            } else {
                for (int j = 0; j < n; j++) {
                    c[co + j] = Math.fma(row[j], alpha, beta * c[co + j]);
                }
            }
        }
    }
}
