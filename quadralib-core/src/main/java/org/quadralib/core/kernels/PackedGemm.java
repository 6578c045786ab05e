package org.quadralib.core.kernels;

import org.quadralib.core.Parallel;
import org.quadralib.core.memory.Workspace;

/**
 * The blocked loop nest shared by the packed kernels, after GotoBLAS/BLIS. For each K block and each block of
 * up to {@code 192·mr} of a thread's rows, op(A) is packed into {@code mr}-row slivers; for each panel of
 * {@code nc} columns, op(B) is packed into {@code nr}-column slivers (a panel sized for L2); then for every A
 * sliver (held in L1) the micro-kernel sweeps the panel, computing one {@code mr × nr} tile of C per call.
 *
 * <p>Sweeping a row block of C left to right (rather than walking down a column of tiles) reads and writes C
 * as {@code mr} sequential streams the hardware prefetcher follows; walking down a column touched a new,
 * unprefetched line of C in every row and ran large products at about half speed.
 *
 * <p>Every element of C is computed by exactly one micro-kernel call per K block, in a K order that depends
 * only on the problem size. Threads only decide <em>who</em> computes a tile, never how, so the result is
 * bit-identical for every thread count and every schedule. Edge tiles are computed by the same micro-kernel
 * into a scratch tile and merged with the same rounding as full tiles.
 */
abstract class PackedGemm {

    private static final String KEY_A = "gemm.packA";
    private static final String KEY_B = "gemm.packB";
    private static final String KEY_TILE = "gemm.tile";
    private static final String KEY_SHARED_B = "gemm.sharedB";

    /** The largest B (in packed floats, 16 MiB) that a parallel product packs once for all threads. */
    private static final long SHARED_B_MAX_FLOATS = 1L << 22;

    /** The smallest A (in floats) that {@link #packAllA} splits among threads: below it a hand-off costs more. */
    private static final long PARALLEL_PACK_FLOATS = 1L << 14;

    /**
     * K steps of a transposed B sliver packed at a time: the sliver's lines for these steps (4 KiB at 16 floats a
     * step) stay in L1 while its columns are written one after the other.
     */
    private static final int TRANS_PACK_STEPS = 64;

    /**
     * Below this many flops a thread hand-off costs more than it saves: one fork-join of the pool takes
     * 10–30 µs on a virtualised two-core machine.
     */
    private static final double PARALLEL_FLOPS = 2.0 * 128 * 128 * 128;

    /**
     * Products {@code A·Bᵀ} with at most this many outputs run as dot products of rows ({@link #dots}): both
     * operands are read as stored, where packing would gather the transposed B one float per row per K step. A
     * convolution's weight gradient ({@code dY · colsᵀ}, a few output channels by a few hundred patch rows) is
     * such a product: packing took a fifth of a LeNet-5 training step.
     */
    static final int DOT_MAX_OUTPUTS = 4096;

    /**
     * Products {@code A·B} with at most this many rows (and a K of at most {@link #FEW_ROWS_MAX_DEPTH}) run in
     * {@link #fewRows}, reading both operands as stored: a first convolution's {@code W · cols} (6 × 784 × 25 for
     * LeNet-5) spends more on packing B and on the padded second A sliver than on the product.
     */
    static final int FEW_ROWS = 8;
    /** The deepest K of a few-rows product: deeper ones amortise packing over enough work. */
    static final int FEW_ROWS_MAX_DEPTH = 256;

    final int mr;
    /**
     * A slivers packed at a time, bounding the A workspace (≤ 192 × aStep × kc floats); each block of rows
     * repacks the B panels, which costs a few percent at this size.
     */
    private static final int MC_SLIVERS = 192;

    /** Floats per K step in a packed A sliver: {@code mr}, or more so the kernel's A index scales by a power of 2. */
    final int aStep;
    final int nr;
    private final int kcBlock;
    private final int ncBlock;

    PackedGemm(int mr, int aStep, int nr, int kc, int nc) {
        this.mr = mr;
        this.aStep = aStep;
        this.nr = nr;
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
     */
    abstract void kernel(int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int ci, int ldc, boolean add);

    final void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                    float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                    float beta, float[] c, int cOff, int ldc) {
        gemm(transA, transB, m, n, k, alpha, a, aOff, lda, null, 0, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /**
     * As {@link #gemm(boolean, boolean, int, int, int, float, float[], int, int, float[], int, int, float, float[],
     * int, int)}, with op(A) already packed by {@link #packAllA} into {@code preA} from {@code preAOff} when it is not
     * null (the stored A is then read only by the unpacked paths).
     */
    final void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                    float[] a, int aOff, int lda, float[] preA, int preAOff, float[] b, int bOff, int ldb,
                    float beta, float[] c, int cOff, int ldc) {
        gemm(transA, transB, m, n, k, alpha, a, aOff, lda, preA, preAOff, b, bOff, ldb, null, 0, beta, c, cOff, ldc);
    }

    /**
     * As the overload without {@code preB}, with op(B) already packed whole by {@link #packWholeB} into {@code preB}
     * from {@code preBOff} when it is not null: the blocked paths read it instead of packing (same tiles, same sums,
     * so the same bits); the paths that read B as stored ({@link #dots}, {@link #fewRows}) still do.
     */
    final void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                    float[] a, int aOff, int lda, float[] preA, int preAOff, float[] b, int bOff, int ldb,
                    float[] preB, int preBOff, float beta, float[] c, int cOff, int ldc) {
        if (!transA && transB && (long) m * n <= DOT_MAX_OUTPUTS) {
            dots(m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        int threads = Parallel.threads();
        if (!transA && !transB && m <= FEW_ROWS && n >= nr && k <= FEW_ROWS_MAX_DEPTH && hasFewRows()) {
            int blocks = (n + nr - 1) / nr;
            if (threads == 1 || blocks < 2 || 2.0 * m * n * k < PARALLEL_FLOPS || Parallel.onWorker()) {
                fewRows(m, 0, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            } else {
                Parallel.forChunks(blocks, threads, (b0, b1) -> fewRows(m, b0 * nr, Math.min(n, b1 * nr), k, alpha,
                        a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc));
            }
            return;
        }
        int mSlivers = (m + mr - 1) / mr;
        int nSlivers = (n + nr - 1) / nr;
        if (threads == 1 || 2.0 * m * n * k < PARALLEL_FLOPS || Parallel.onWorker()) {
            blocked(transA, transB, m, n, k, alpha, a, aOff, lda, preA, preAOff, b, bOff, ldb, preB, preBOff,
                    beta, c, cOff, ldc, 0, mSlivers, 0, n);
        } else if (mSlivers >= 2 * threads) {
            // Each thread owns a block of rows. B is packed once (unless the caller has), each thread packing a share
            // of its slivers, and read by all. When every thread packed all of B for its own rows, a second thread
            // added little to a 128-row product (a linear layer on a batch of 128): 128 × 256 × 784 took 922–1069 µs
            // that way and 780–809 µs with B shared.
            long sizeB = packedSizeB(n, k);
            float[] shared = preB != null ? preB
                    : sizeB <= SHARED_B_MAX_FLOATS ? Workspace.get(KEY_SHARED_B, (int) sizeB) : null;
            int sharedOff = preB != null ? preBOff : 0;
            if (preB == null && shared != null) {
                Parallel.forChunks(nSlivers, threads,
                        (s0, s1) -> packAllB(transB, b, bOff, ldb, n, k, shared, 0, s0, s1));
            }
            Parallel.forChunks(mSlivers, threads, (r0, r1) -> blocked(transA, transB, m, n, k, alpha,
                    a, aOff, lda, preA, preAOff, b, bOff, ldb, shared, sharedOff, beta, c, cOff, ldc, r0, r1, 0, n));
        } else {
            // Few rows: each thread owns a block of columns and packs the (small) A itself.
            Parallel.forChunks(nSlivers, threads, (s0, s1) -> blocked(transA, transB, m, n, k, alpha,
                    a, aOff, lda, preA, preAOff, b, bOff, ldb, preB, preBOff, beta, c, cOff, ldc, 0, mSlivers, s0 * nr,
                    Math.min(n, s1 * nr)));
        }
    }

    /** The K block length: equal blocks, so K = 600 runs as 2 × 300, not 512 + a short, inefficient 88. */
    private int kcEven(int k) {
        int kBlocks = (k + kcBlock - 1) / kcBlock;
        return (k + kBlocks - 1) / kBlocks;
    }

    /** Floats {@link #packAllA} writes for an {@code m × k} op(A): every sliver of every K block. */
    final long packedSizeA(int m, int k) {
        return (long) ((m + mr - 1) / mr) * aStep * k;
    }

    /**
     * Packs all of op(A) ({@code m × k}) into {@code dst} from {@code dstOff}: K block by K block, the block starting
     * at step {@code pc} {@code mSlivers·aStep·pc} further, each holding every sliver as {@link #packA} packs it.
     */
    final void packAllA(boolean transA, float[] a, int aOff, int lda, int m, int k, float[] dst, int dstOff) {
        int mSlivers = (m + mr - 1) / mr;
        int kcEven = kcEven(k);
        Parallel.RangeBody body = (r0, r1) -> {
            for (int pc = 0; pc < k; pc += kcEven) {
                int kc = Math.min(kcEven, k - pc);
                packA(transA, a, aOff, lda, pc, kc, m, dst, dstOff + mSlivers * aStep * pc + r0 * aStep * kc, r0, r1);
            }
        };
        // Threads pack their own slivers: a quadratic VGG layer's stacked weights, packed before every chunk of
        // images, were a twentieth of its step on one thread while the other waited.
        if (Parallel.threads() > 1 && (long) m * k >= PARALLEL_PACK_FLOATS && !Parallel.onWorker()) {
            Parallel.forChunks(mSlivers, Parallel.threads(), body);
        } else {
            body.run(0, mSlivers);
        }
    }

    /** Floats {@link #packAllB} needs for a {@code k × n} op(B): every sliver of every K block. */
    final long packedSizeB(int n, int k) {
        int kBlocks = (k + kcBlock - 1) / kcBlock;
        return (long) ((n + nr - 1) / nr) * ((long) nr * k + 16L * kBlocks);
    }

    /**
     * Packs all of op(B) ({@code k × n}; stored {@code n × k} when {@code transB}) into {@code dst} from
     * {@code dstOff} ({@link #packedSizeB} floats), as {@link #gemm} reads a {@code preB}; threads pack their own
     * slivers when B is large enough to pay for the hand-off.
     */
    final void packWholeB(boolean transB, float[] b, int bOff, int ldb, int n, int k, float[] dst, int dstOff) {
        int slivers = (n + nr - 1) / nr;
        if (Parallel.threads() > 1 && (long) n * k >= PARALLEL_PACK_FLOATS && !Parallel.onWorker()) {
            Parallel.forChunks(slivers, Parallel.threads(),
                    (s0, s1) -> packAllB(transB, b, bOff, ldb, n, k, dst, dstOff, s0, s1));
        } else {
            packAllB(transB, b, bOff, ldb, n, k, dst, dstOff, 0, slivers);
        }
    }

    /**
     * Where step {@code p} of sliver {@code s} (its {@code nr} floats, columns {@code s·nr …}) starts in a whole packed
     * {@code k × n} op(B) as {@link #packAllB} lays it out, for a caller that writes B packed.
     */
    final int packedIndexB(int n, int k, int p, int s) {
        int kcEven = kcEven(k);
        int index = p / kcEven;
        int pc = index * kcEven;
        return blockOffsetB((n + nr - 1) / nr, nr, pc, index) + s * sliverStrideB(Math.min(kcEven, k - pc))
                + (p - pc) * nr;
    }

    /**
     * {@code C = op(A) · B} ({@code m × n}, {@code k} deep) on the calling thread, with op(A) packed by
     * {@link #packAllA} (from {@code preAOff}) and B written packed by the caller from {@code preBOff} (see
     * {@link #packedIndexB}).
     */
    final void gemmPacked(int m, int n, int k, float[] preA, int preAOff, float[] preB, int preBOff, float[] c,
                          int cOff, int ldc) {
        blocked(false, false, m, n, k, 1f, null, 0, 0, preA, preAOff, null, 0, 0, preB, preBOff, 0f, c, cOff, ldc, 0,
                (m + mr - 1) / mr, 0, n);
    }

    /** Start of the K block at step {@code pc} (the {@code index}-th block) in a whole packed B of {@code slivers}. */
    private static int blockOffsetB(int slivers, int nr, int pc, int index) {
        return slivers * (nr * pc + 16 * index);
    }

    /**
     * Packs slivers {@code [s0, s1)} of op(B) ({@code k × n}) for every K block into {@code dst}: the block at step
     * {@code pc} starts at {@link #blockOffsetB}, its slivers {@link #sliverStrideB} apart, as {@link #packB} packs
     * a panel.
     */
    private void packAllB(boolean transB, float[] b, int bOff, int ldb, int n, int k, float[] dst, int dstOff, int s0,
                          int s1) {
        int slivers = (n + nr - 1) / nr;
        int kcEven = kcEven(k);
        int j0 = s0 * nr;
        int j1 = Math.min(n, s1 * nr);
        for (int pc = 0, index = 0; pc < k; pc += kcEven, index++) {
            int kc = Math.min(kcEven, k - pc);
            packB(transB, b, bOff, ldb, pc, kc, j0, j1 - j0, dst,
                    dstOff + blockOffsetB(slivers, nr, pc, index) + s0 * sliverStrideB(kc), s1 - s0);
        }
    }

    /**
     * A slivers {@code [r0, r1)} (rows {@code r0·mr} to {@code min(r1·mr, m)}) times columns {@code [j0, j1)}.
     * {@code preA} (from {@link #packAllA}) and {@code preB} (from {@link #packAllB}, every sliver) are read instead
     * of packing when not null.
     */
    private void blocked(boolean transA, boolean transB, int m, int n, int k, float alpha,
                         float[] a, int aOff, int lda, float[] preA, int preAOff, float[] b, int bOff, int ldb,
                         float[] preB, int preBOff, float beta, float[] c, int cOff, int ldc, int r0, int r1, int j0,
                         int j1) {
        int kcEven = kcEven(k);
        int mSlivers = (m + mr - 1) / mr;
        int nSlivers = (n + nr - 1) / nr;
        int mcSlivers = Math.min(r1 - r0, MC_SLIVERS);
        float[] ap = preA != null ? preA : Workspace.get(KEY_A, mcSlivers * aStep * kcEven);
        float[] bp = preB != null ? preB
                : Workspace.get(KEY_B, Math.min(ncBlock / nr, (j1 - j0 + nr - 1) / nr) * sliverStrideB(kcEven));
        for (int pc = 0, index = 0; pc < k; pc += kcEven, index++) {
            int kc = Math.min(kcEven, k - pc);
            boolean loadC = pc > 0 || beta != 0f;
            float betaK = pc == 0 ? beta : 1f;
            for (int ic = r0; ic < r1; ic += mcSlivers) {
                int ie = Math.min(r1, ic + mcSlivers);
                int apBase = 0;
                if (preA != null) {
                    apBase = preAOff + mSlivers * aStep * pc + ic * aStep * kc;
                } else {
                    packA(transA, a, aOff, lda, pc, kc, m, ap, 0, ic, ie);
                }
                for (int jc = j0; jc < j1; jc += ncBlock) {
                    int nc = Math.min(ncBlock, j1 - jc);
                    int slivers = (nc + nr - 1) / nr;
                    int bpBase = 0;
                    if (preB != null) {
                        bpBase = preBOff + blockOffsetB(nSlivers, nr, pc, index) + jc / nr * sliverStrideB(kc);
                    } else {
                        packB(transB, b, bOff, ldb, pc, kc, jc, nc, bp, 0, slivers);
                    }
                    macro(kc, ap, apBase, ic, ie, m, bp, bpBase, jc, nc, slivers, alpha, betaK, loadC, c, cOff, ldc);
                }
            }
        }
    }

    /**
     * Packed A slivers {@code [r0, r1)} (from {@code apBase} in {@code ap}) against the packed panel of
     * {@code slivers} B slivers at column {@code jc} (from {@code bpBase} in {@code bp}): each A sliver stays in L1
     * while the micro-kernel sweeps the panel.
     */
    private void macro(int kc, float[] ap, int apBase, int r0, int r1, int m, float[] bp, int bpBase, int jc, int nc,
                       int slivers, float alpha, float beta, boolean loadC, float[] c, int cOff, int ldc) {
        float[] tile = Workspace.get(KEY_TILE, mr * nr);
        int sliverB = sliverStrideB(kc);
        int sliverA = aStep * kc;
        // With alpha = 1 and beta in {0, 1}, C = acc or C += acc is exactly what merge() would compute.
        boolean direct = alpha == 1f && (!loadC || beta == 1f);
        for (int r = r0; r < r1; r++) {
            int i = r * mr;
            int h = Math.min(mr, m - i);
            int ai = apBase + (r - r0) * sliverA;
            for (int s = 0; s < slivers; s++) {
                int j = jc + s * nr;
                int w = Math.min(nr, jc + nc - j);
                int bi = bpBase + s * sliverB;
                int ci = cOff + i * ldc + j;
                if (direct && h == mr && w == nr) {
                    kernel(kc, ap, ai, bp, bi, c, ci, ldc, loadC);
                } else {
                    kernel(kc, ap, ai, bp, bi, tile, 0, nr, false);
                    merge(tile, h, w, c, ci, ldc, alpha, beta, loadC);
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
     * Packs A slivers {@code [r0, r1)} of columns {@code [pc, pc+kc)} of op(A) into {@code ap} from {@code base}:
     * sliver {@code r} holds rows {@code r·mr …} stored column by column, {@code aStep} floats per K step, rows
     * past {@code m} and the padding up to {@code aStep} zero-filled.
     */
    private void packA(boolean transA, float[] a, int aOff, int lda, int pc, int kc, int m,
                       float[] ap, int base, int r0, int r1) {
        for (int r = r0; r < r1; r++) {
            int i0 = r * mr;
            int h = Math.min(mr, m - i0);
            int dst = base + (r - r0) * aStep * kc;
            if (transA) {
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (pc + p) * lda + i0;
                    int d = dst + p * aStep;
                    for (int q = 0; q < h; q++) {
                        ap[d + q] = a[src + q];
                    }
                    for (int q = h; q < aStep; q++) {
                        ap[d + q] = 0f;
                    }
                }
            } else if (h == mr) {
                packRowsA(a, aOff + i0 * lda + pc, lda, kc, ap, dst);
            } else {
                int src = aOff + i0 * lda + pc;
                for (int p = 0; p < kc; p++) {
                    int d = dst + p * aStep;
                    for (int q = 0; q < h; q++) {
                        ap[d + q] = a[src + q * lda + p];
                    }
                    for (int q = h; q < aStep; q++) {
                        ap[d + q] = 0f;
                    }
                }
            }
        }
    }

    /**
     * {@code C = alpha · A · Bᵀ + beta · C} with A {@code m × k} and B {@code n × k} both row-major, one dot product
     * of two stored rows per element of C, summed in a fixed order (so the result does not depend on threads).
     * A kernel overrides this with vector code; this plain-Java form sums four partial sums.
     */
    void dots(int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
              float beta, float[] c, int cOff, int ldc) {
        int k4 = k - k % 4;
        for (int i = 0; i < m; i++) {
            int ai = aOff + i * lda;
            for (int j = 0; j < n; j++) {
                int bj = bOff + j * ldb;
                float s0 = 0f;
                float s1 = 0f;
                float s2 = 0f;
                float s3 = 0f;
                for (int p = 0; p < k4; p += 4) {
                    s0 = Math.fma(a[ai + p], b[bj + p], s0);
                    s1 = Math.fma(a[ai + p + 1], b[bj + p + 1], s1);
                    s2 = Math.fma(a[ai + p + 2], b[bj + p + 2], s2);
                    s3 = Math.fma(a[ai + p + 3], b[bj + p + 3], s3);
                }
                float d = (s0 + s1) + (s2 + s3);
                for (int p = k4; p < k; p++) {
                    d = Math.fma(a[ai + p], b[bj + p], d);
                }
                storeDot(c, cOff + i * ldc + j, d, alpha, beta);
            }
        }
    }

    /** Whether this kernel has {@link #fewRows}; without it few-row products take the packed path. */
    boolean hasFewRows() {
        return false;
    }

    /**
     * Columns {@code [j0, j1)} of {@code C = alpha · A · B + beta · C} for at most {@link #FEW_ROWS} rows, reading A
     * and B as stored; each element is computed by the same operations whatever the column range.
     *
     * @throws UnsupportedOperationException if {@link #hasFewRows()} is false
     */
    void fewRows(int m, int j0, int j1, int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff,
                 int ldb, float beta, float[] c, int cOff, int ldc) {
        throw new UnsupportedOperationException(describe() + " has no few-rows kernel");
    }

    /** Columns {@code [j0, n)} of {@code C = alpha · A · B + beta · C}, one element at a time, K in order. */
    static void edgeColumns(int m, int j0, int n, int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff,
                            int ldb, float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = j0; j < n; j++) {
                float d = 0f;
                for (int p = 0; p < k; p++) {
                    d = Math.fma(a[aOff + i * lda + p], b[bOff + p * ldb + j], d);
                }
                storeDot(c, cOff + i * ldc + j, d, alpha, beta);
            }
        }
    }

    /** {@code c[at] = alpha·d + beta·c[at]}, rounded as {@link #merge} rounds; with beta 0, c is not read. */
    static void storeDot(float[] c, int at, float d, float alpha, float beta) {
        c[at] = beta == 0f ? alpha * d : Math.fma(d, alpha, beta * c[at]);
    }

    /**
     * Packs one full sliver of {@code mr} rows of a row-major A (row {@code q} at {@code src + q·lda}) for
     * {@code kc} K steps into {@code ap} from {@code dst}, padding each step to {@code aStep} with zeros. The
     * sliver is written sequentially from {@code mr} row streams; a kernel with a constant {@code mr} overrides
     * this with the rows unrolled, since a variable-length inner loop made packing a sixth of the run time.
     */
    void packRowsA(float[] a, int src, int lda, int kc, float[] ap, int dst) {
        for (int p = 0; p < kc; p++) {
            int d = dst + p * aStep;
            for (int q = 0; q < mr; q++) {
                ap[d + q] = a[src + q * lda + p];
            }
            for (int q = mr; q < aStep; q++) {
                ap[d + q] = 0f;
            }
        }
    }

    /**
     * Distance between packed B slivers: {@code nr·kc} plus one cache line. Unpadded, slivers sit a multiple
     * of 4 KiB apart, so the row-by-row packing writes {@code nc/nr} streams that all map to the same L1 set
     * and evict each other on every store.
     */
    private int sliverStrideB(int kc) {
        return nr * kc + 16;
    }

    /**
     * Packs the {@code slivers} slivers of rows {@code [pc, pc+kc)}, columns {@code [jc, jc+nc)} of op(B) into
     * {@code bp} from {@code base}: sliver {@code s} (from {@code base + s·}{@link #sliverStrideB}) holds {@code nr}
     * consecutive floats per K step, columns past the edge zero-filled.
     */
    private void packB(boolean transB, float[] b, int bOff, int ldb, int pc, int kc, int jc, int nc,
                       float[] bp, int base, int slivers) {
        int stride = sliverStrideB(kc);
        int first = 0;
        if (!transB) {
            // Full slivers row by row: each row of B is read once, contiguously. Sliver by sliver read 64 bytes
            // from each of kc rows a page apart, and packing took a sixth of the run time.
            int full = nc / nr;
            for (int p = 0; p < kc; p++) {
                int src = bOff + (pc + p) * ldb + jc;
                int d = base + p * nr;
                for (int s = 0; s < full; s++) {
                    System.arraycopy(b, src + s * nr, bp, d + s * stride, nr);
                }
            }
            first = full;
        }
        for (int s = first; s < slivers; s++) {
            int j0 = jc + s * nr;
            int w = Math.min(nr, jc + nc - j0);
            int dst = base + s * stride;
            if (transB) {
                // Column by column (reading stored rows contiguously), a few K steps at a time: over all kc steps
                // (up to 512, 32 KiB of sliver) each column evicted the lines the one before it had written.
                // Four columns at a time: four loads from four stored rows, four adjacent stores (13% faster than
                // one column at a time at kc = 512, measured in isolation).
                for (int p0 = 0; p0 < kc; p0 += TRANS_PACK_STEPS) {
                    int p1 = Math.min(kc, p0 + TRANS_PACK_STEPS);
                    int j = 0;
                    for (; j + 4 <= w; j += 4) {
                        int s0 = bOff + (j0 + j) * ldb + pc;
                        int s1 = s0 + ldb;
                        int s2 = s1 + ldb;
                        int s3 = s2 + ldb;
                        for (int p = p0; p < p1; p++) {
                            float x0 = b[s0 + p];
                            float x1 = b[s1 + p];
                            float x2 = b[s2 + p];
                            float x3 = b[s3 + p];
                            int d = dst + p * nr + j;
                            bp[d] = x0;
                            bp[d + 1] = x1;
                            bp[d + 2] = x2;
                            bp[d + 3] = x3;
                        }
                    }
                    for (; j < w; j++) {
                        int src = bOff + (j0 + j) * ldb + pc;
                        for (int p = p0; p < p1; p++) {
                            bp[dst + p * nr + j] = b[src + p];
                        }
                    }
                    for (int z = w; z < nr; z++) {
                        for (int p = p0; p < p1; p++) {
                            bp[dst + p * nr + z] = 0f;
                        }
                    }
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int src = bOff + (pc + p) * ldb + j0;
                    int d = dst + p * nr;
                    for (int j = 0; j < w; j++) {
                        bp[d + j] = b[src + j];
                    }
                    for (int j = w; j < nr; j++) {
                        bp[d + j] = 0f;
                    }
                }
            }
        }
    }
}
