package org.quadralib.core.kernels;

import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.quadralib.core.Parallel;
import org.quadralib.core.memory.Workspace;

/**
 * GEMM through EJML's {@link CommonOps_FDRM}. EJML matrices have no offset or leading dimension, so operands
 * are wrapped in place when they are dense from index 0 and copied into workspaces otherwise. Threads split
 * the rows of C through {@link Parallel} (not EJML's own pool), each multiplying its row block single-threaded,
 * so the result does not depend on the thread count.
 */
final class EjmlGemm {

    private static final String KEY_A = "gemm.ejml.a";
    private static final String KEY_B = "gemm.ejml.b";
    private static final String KEY_T = "gemm.ejml.t";
    private static final int ROW_GRAIN = 16;
    private static final double PARALLEL_FLOPS = 2.0 * 128 * 128 * 128;

    private EjmlGemm() {
    }

    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float beta, float[] c, int cOff, int ldc) {
        FMatrixRMaj bm = transB ? dense(b, bOff, ldb, n, k, KEY_B) : dense(b, bOff, ldb, k, n, KEY_B);
        if (2.0 * m * n * k < PARALLEL_FLOPS) {
            rows(transA, transB, 0, m, n, k, alpha, a, aOff, lda, bm, beta, c, cOff, ldc);
        } else {
            Parallel.forRange(m, ROW_GRAIN,
                    (i0, i1) -> rows(transA, transB, i0, i1, n, k, alpha, a, aOff, lda, bm, beta, c, cOff, ldc));
        }
    }

    private static void rows(boolean transA, boolean transB, int i0, int i1, int n, int k, float alpha,
                             float[] a, int aOff, int lda, FMatrixRMaj bm,
                             float beta, float[] c, int cOff, int ldc) {
        int rows = i1 - i0;
        FMatrixRMaj am = transA ? dense(a, aOff + i0, lda, k, rows, KEY_A)
                : dense(a, aOff + i0 * lda, lda, rows, k, KEY_A);
        int ci = cOff + i0 * ldc;
        boolean direct = beta == 0f && ci == 0 && ldc == n;
        FMatrixRMaj t = direct ? FMatrixRMaj.wrap(rows, n, c) : FMatrixRMaj.wrap(rows, n, Workspace.get(KEY_T, rows * n));
        if (transA && transB) {
            CommonOps_FDRM.multTransAB(alpha, am, bm, t);
        } else if (transA) {
            CommonOps_FDRM.multTransA(alpha, am, bm, t);
        } else if (transB) {
            CommonOps_FDRM.multTransB(alpha, am, bm, t);
        } else {
            CommonOps_FDRM.mult(alpha, am, bm, t);
        }
        if (direct) {
            return;
        }
        float[] td = t.data;
        for (int i = 0; i < rows; i++) {
            int co = ci + i * ldc;
            int to = i * n;
            if (beta == 0f) {
                System.arraycopy(td, to, c, co, n);
            } else {
                for (int j = 0; j < n; j++) {
                    c[co + j] = Math.fma(beta, c[co + j], td[to + j]);
                }
            }
        }
    }

    /** A {@code rows × cols} EJML view of a strided matrix: wrapped when dense from index 0, else copied. */
    private static FMatrixRMaj dense(float[] data, int off, int ld, int rows, int cols, String key) {
        if (off == 0 && (ld == cols || rows <= 1)) {
            return FMatrixRMaj.wrap(rows, cols, data);
        }
        float[] buf = Workspace.get(key, rows * cols);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(data, off + r * ld, buf, r * cols, cols);
        }
        return FMatrixRMaj.wrap(rows, cols, buf);
    }
}
