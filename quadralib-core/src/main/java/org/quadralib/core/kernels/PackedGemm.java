package org.quadralib.core.kernels;

import org.quadralib.core.Parallel;
import org.quadralib.core.memory.Workspace;

/**
 * The GotoBLAS/BLIS loop nest shared by the packed kernels: B is packed into {@code kc × nr} slivers, A into
 * {@code mr × kc} slivers, and a register-blocked micro-kernel computes one {@code mr × nr} tile of C per call.
 *
 * <p>Every element of C is computed by exactly one micro-kernel call per K block, in a fixed K order that
 * depends only on the problem size. Threads only decide <em>who</em> computes a tile, never how, so the
 * result is bit-identical for every thread count and every schedule.
 *
 * <p>Edge tiles are computed by the same micro-kernel into a scratch tile and merged with scalar
 * {@link Math#fma}: the arithmetic is the same as for full tiles, so results do not depend on where the
 * matrix edge falls.
 */
abstract class PackedGemm {

    private static final String KEY_A = "gemm.packA";
    private static final String KEY_B = "gemm.packB";
    private static final String KEY_TILE = "gemm.tile";
    private static final String KEY_WORK = "gemm.work";

    /**
     * Below this many flops a thread hand-off costs more than it saves (waking a parked pool worker takes
     * tens of microseconds on a virtualised two-core machine).
     */
    private static final double PARALLEL_FLOPS = 2.0 * 48 * 48 * 48;

    /** Floats of slack in the packed-B buffer so its start can be moved to a 64-byte boundary. */
    private static final int ALIGN_SLACK = 16;

    final int mr;
    /** Floats per K step in a packed A sliver: {@code mr} rounded up so the kernel's A index scales by a power of 2. */
    final int aStep;
    final int nr;
    private final int mcBlock;
    private final int kcBlock;
    private final int ncBlock;

    PackedGemm(int mr, int aStep, int nr, int mc, int kc, int nc) {
        this.mr = mr;
        this.aStep = aStep;
        this.nr = nr;
        this.mcBlock = mc - mc % mr;
        this.kcBlock = kc;
        this.ncBlock = nc - nc % nr;
    }

    /** Human-readable description for the kernel log line. */
    abstract String describe();

    /**
     * One {@code mr × nr} tile of raw sums {@code acc = Σ_p A[:,p]·B[p,:]} over {@code kc} packed steps:
     * {@code C = acc} (C is not read, so NaN garbage is overwritten), or {@code C += acc} when {@code add}.
     * Alpha and a general beta are applied by the caller, so the kernel has one job and stays small enough
     * for C2 to compile as a whole.
     *
     * @param work a scratch area of at least {@code mr * nr} floats the kernel may use
     */
    abstract void kernel(int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int ci, int ldc,
                         boolean add, float[] work);

    /**
     * Index in {@code buf} at which packed data should start. The default keeps index 0; the vector kernel
     * moves it to the first 64-byte boundary it can establish (see {@code VectorGemm}).
     */
    int alignedStart(float[] buf) {
        return 0;
    }

    final void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                    float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                    float beta, float[] c, int cOff, int ldc) {
        int threads = Parallel.threads();
        boolean parallel = threads > 1 && 2.0 * m * n * k >= PARALLEL_FLOPS && !Parallel.onWorker();
        for (int jc = 0; jc < n; jc += ncBlock) {
            int nc = Math.min(ncBlock, n - jc);
            int slivers = (nc + nr - 1) / nr;
            for (int pc = 0; pc < k; pc += kcBlock) {
                int kc = Math.min(kcBlock, k - pc);
                float[] bp = Workspace.get(KEY_B, slivers * nr * kc + ALIGN_SLACK);
                int bBase = alignedStart(bp);
                boolean loadC = pc > 0 || beta != 0f;
                float betaK = pc == 0 ? beta : 1f;
                final int jc0 = jc;
                final int pc0 = pc;
                if (!parallel) {
                    packB(transB, b, bOff, ldb, pc, kc, jc, nc, bp, bBase, 0, slivers);
                    macro(transA, a, aOff, lda, pc, kc, 0, m, bp, bBase, jc, nc, 0, slivers,
                            alpha, betaK, loadC, c, cOff, ldc);
                    continue;
                }
                Parallel.forChunks(slivers, threads,
                        (s0, s1) -> packB(transB, b, bOff, ldb, pc0, kc, jc0, nc, bp, bBase, s0, s1));
                int mSlivers = (m + mr - 1) / mr;
                if (mSlivers >= slivers || mSlivers >= 8 * threads) {
                    // Split rows: each thread packs only its own rows of A and reads the shared B panel.
                    Parallel.forChunks(mSlivers, threads, (r0, r1) -> macro(transA, a, aOff, lda, pc0, kc,
                            r0 * mr, Math.min(r1 * mr, m), bp, bBase, jc0, nc, 0, slivers,
                            alpha, betaK, loadC, c, cOff, ldc));
                } else {
                    // Few rows: each thread packs all of (the small) A and takes a range of B slivers.
                    Parallel.forChunks(slivers, threads, (s0, s1) -> macro(transA, a, aOff, lda, pc0, kc,
                            0, m, bp, bBase, jc0, nc, s0, s1, alpha, betaK, loadC, c, cOff, ldc));
                }
            }
        }
    }

    /** Rows {@code [i0, i1)} of C against B slivers {@code [s0, s1)} of the current panel. */
    private void macro(boolean transA, float[] a, int aOff, int lda, int pc, int kc, int i0, int i1,
                       float[] bp, int bBase, int jc, int nc, int s0, int s1,
                       float alpha, float beta, boolean loadC, float[] c, int cOff, int ldc) {
        int mcMax = Math.min(mcBlock, (i1 - i0 + mr - 1) / mr * mr);
        float[] ap = Workspace.get(KEY_A, mcMax / mr * aStep * kc + ALIGN_SLACK);
        int aBase = alignedStart(ap);
        float[] tile = Workspace.get(KEY_TILE, mr * nr);
        float[] work = Workspace.get(KEY_WORK, mr * nr);
        int sliverB = nr * kc;
        int sliverA = aStep * kc;
        // With alpha = 1 and beta in {0, 1}, C = acc or C += acc is exactly what merge() would compute.
        boolean direct = alpha == 1f && (!loadC || beta == 1f);
        for (int ic = i0; ic < i1; ic += mcBlock) {
            int mc = Math.min(mcBlock, i1 - ic);
            packA(transA, a, aOff, lda, pc, kc, ic, mc, ap, aBase);
            for (int s = s0; s < s1; s++) {
                int j = jc + s * nr;
                int w = Math.min(nr, jc + nc - j);
                int bi = bBase + s * sliverB;
                for (int ir = 0; ir < mc; ir += mr) {
                    int h = Math.min(mr, mc - ir);
                    int ai = aBase + (ir / mr) * sliverA;
                    int ci = cOff + (ic + ir) * ldc + j;
                    if (direct && h == mr && w == nr) {
                        kernel(kc, ap, ai, bp, bi, c, ci, ldc, loadC, work);
                    } else {
                        kernel(kc, ap, ai, bp, bi, tile, 0, nr, false, work);
                        merge(tile, h, w, c, ci, ldc, alpha, beta, loadC);
                    }
                }
            }
        }
    }

    /**
     * {@code C = alpha·acc} or {@code C = fma(acc, alpha, beta·C)}: one rounding after the product, which
     * with alpha = 1 and beta ∈ {0, 1} equals the kernel's direct {@code C = acc} / {@code C += acc}.
     */
    private void merge(float[] tile, int h, int w, float[] c, int ci, int ldc,
                           float alpha, float beta, boolean loadC) {
        for (int r = 0; r < h; r++) {
            int co = ci + r * ldc;
            int to = r * nr;
            if (loadC) {
                for (int j = 0; j < w; j++) {
                    c[co + j] = Math.fma(tile[to + j], alpha, beta * c[co + j]);
                }
            } else {
                for (int j = 0; j < w; j++) {
                    c[co + j] = alpha * tile[to + j];
                }
            }
        }
    }

    /**
     * Packs rows {@code [ic, ic+mc)}, columns {@code [pc, pc+kc)} of op(A) into {@code mr}-row slivers, each
     * stored column by column ({@code aStep} consecutive floats per K step), rows past the edge and the
     * padding up to {@code aStep} zero-filled.
     */
    private void packA(boolean transA, float[] a, int aOff, int lda, int pc, int kc, int ic, int mc,
                       float[] ap, int base) {
        for (int r0 = 0; r0 < mc; r0 += mr) {
            int h = Math.min(mr, mc - r0);
            int dst = base + (r0 / mr) * aStep * kc;
            if (transA) {
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (pc + p) * lda + ic + r0;
                    int d = dst + p * aStep;
                    for (int r = 0; r < h; r++) {
                        ap[d + r] = a[src + r];
                    }
                    for (int r = h; r < aStep; r++) {
                        ap[d + r] = 0f;
                    }
                }
            } else {
                // Read each row of A contiguously; the strided writes stay inside one small sliver.
                for (int r = 0; r < h; r++) {
                    int src = aOff + (ic + r0 + r) * lda + pc;
                    for (int p = 0; p < kc; p++) {
                        ap[dst + p * aStep + r] = a[src + p];
                    }
                }
                for (int r = h; r < aStep; r++) {
                    for (int p = 0; p < kc; p++) {
                        ap[dst + p * aStep + r] = 0f;
                    }
                }
            }
        }
    }

    /**
     * Packs slivers {@code [s0, s1)} of rows {@code [pc, pc+kc)}, columns {@code [jc, jc+nc)} of op(B):
     * sliver {@code s} holds {@code nr} consecutive floats per K step, columns past the edge zero-filled.
     */
    private void packB(boolean transB, float[] b, int bOff, int ldb, int pc, int kc, int jc, int nc,
                       float[] bp, int base, int s0, int s1) {
        for (int s = s0; s < s1; s++) {
            int j0 = jc + s * nr;
            int w = Math.min(nr, jc + nc - j0);
            int dst = base + s * nr * kc;
            if (transB) {
                for (int j = 0; j < w; j++) {
                    int src = bOff + (j0 + j) * ldb + pc;
                    for (int p = 0; p < kc; p++) {
                        bp[dst + p * nr + j] = b[src + p];
                    }
                }
                for (int j = w; j < nr; j++) {
                    for (int p = 0; p < kc; p++) {
                        bp[dst + p * nr + j] = 0f;
                    }
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int src = bOff + (pc + p) * ldb + j0;
                    int d = dst + p * nr;
                    System.arraycopy(b, src, bp, d, w);
                    for (int j = w; j < nr; j++) {
                        bp[d + j] = 0f;
                    }
                }
            }
        }
    }
}
