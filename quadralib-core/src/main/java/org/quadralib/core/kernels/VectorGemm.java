package org.quadralib.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Packed GEMM with a 5 × (2·lanes) register-blocked FMA micro-kernel on the JDK Vector API (5×16 on AVX2).
 * Ten accumulators cover the 4-cycle latency of two FMA pipes (8 in flight) with slack. The BLIS shape 6×16
 * needs 12 accumulators + 2 B vectors + 1 broadcast = 15 of the 16 AVX2 registers, and C2's scheduler
 * often hoists a second broadcast and spills an accumulator to the stack: the loop then carries a
 * store/load dependency and runs at about half speed, in some compilations and not others. 5×16 leaves
 * three registers spare and compiled without spills in every run we disassembled.
 *
 * <p>Only loaded when the {@code jdk.incubator.vector} module is in the boot layer ({@link Gemm} checks).
 */
final class VectorGemm extends PackedGemm {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = 5;
    /**
     * A is packed 8 floats per K step (5 used): with {@code p * 8} the A index is a shifted induction
     * variable, which C2's range-check elimination recognises; {@code p * 5} becomes a shift-and-add it
     * does not, leaving bounds checks in the inner loop.
     */
    private static final int A_STEP = 8;
    private static final int NR = 2 * L;

    private VectorGemm() {
        // An A sliver (≤ 16 KiB) stays in L1 while the micro-kernel sweeps a B panel of up to 512 × 256
        // (≤ 512 KiB, streamed from L2). Measured against OpenBLAS in one process: panels of 512 or 1024
        // columns were 10-20 % slower; K blocks of 512 rather than 256 gained a few percent at 1024³ (half the
        // passes over C).
        super(MR, A_STEP, NR, 512, 256);
    }

    static PackedGemm create() {
        return new VectorGemm();
    }

    @Override
    String describe() {
        return "Vector API " + MR + "x" + NR + " FMA micro-kernel (" + S.vectorBitSize() + "-bit)";
    }

    @Override
    void packRowsA(float[] a, int src, int lda, int kc, float[] ap, int dst) {
        int s1 = src + lda;
        int s2 = s1 + lda;
        int s3 = s2 + lda;
        int s4 = s3 + lda;
        for (int p = 0; p < kc; p++) {
            int d = dst + p * A_STEP;
            ap[d] = a[src + p];
            ap[d + 1] = a[s1 + p];
            ap[d + 2] = a[s2 + p];
            ap[d + 3] = a[s3 + p];
            ap[d + 4] = a[s4 + p];
            ap[d + 5] = 0f;
            ap[d + 6] = 0f;
            ap[d + 7] = 0f;
        }
    }

    /**
     * Dot products of rows, four columns of C at a time: one A vector feeds four FMAs into four accumulators,
     * each reduced across lanes in a fixed order, then the K tail in scalar steps.
     */
    @Override
    void dots(int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
              float beta, float[] c, int cOff, int ldc) {
        int kv = k - k % L;
        for (int i = 0; i < m; i++) {
            int ai = aOff + i * lda;
            int ci = cOff + i * ldc;
            int j = 0;
            for (; j + 4 <= n; j += 4) {
                int b0 = bOff + j * ldb;
                int b1 = b0 + ldb;
                int b2 = b1 + ldb;
                int b3 = b2 + ldb;
                FloatVector s0 = FloatVector.zero(S);
                FloatVector s1 = s0;
                FloatVector s2 = s0;
                FloatVector s3 = s0;
                for (int p = 0; p < kv; p += L) {
                    FloatVector av = FloatVector.fromArray(S, a, ai + p);
                    s0 = av.fma(FloatVector.fromArray(S, b, b0 + p), s0);
                    s1 = av.fma(FloatVector.fromArray(S, b, b1 + p), s1);
                    s2 = av.fma(FloatVector.fromArray(S, b, b2 + p), s2);
                    s3 = av.fma(FloatVector.fromArray(S, b, b3 + p), s3);
                }
                float d0 = VectorLanes.sum(s0);
                float d1 = VectorLanes.sum(s1);
                float d2 = VectorLanes.sum(s2);
                float d3 = VectorLanes.sum(s3);
                for (int p = kv; p < k; p++) {
                    float av = a[ai + p];
                    d0 = Math.fma(av, b[b0 + p], d0);
                    d1 = Math.fma(av, b[b1 + p], d1);
                    d2 = Math.fma(av, b[b2 + p], d2);
                    d3 = Math.fma(av, b[b3 + p], d3);
                }
                storeDot(c, ci + j, d0, alpha, beta);
                storeDot(c, ci + j + 1, d1, alpha, beta);
                storeDot(c, ci + j + 2, d2, alpha, beta);
                storeDot(c, ci + j + 3, d3, alpha, beta);
            }
            for (; j < n; j++) {
                int bj = bOff + j * ldb;
                FloatVector s0 = FloatVector.zero(S);
                for (int p = 0; p < kv; p += L) {
                    s0 = FloatVector.fromArray(S, a, ai + p).fma(FloatVector.fromArray(S, b, bj + p), s0);
                }
                float d = VectorLanes.sum(s0);
                for (int p = kv; p < k; p++) {
                    d = Math.fma(a[ai + p], b[bj + p], d);
                }
                storeDot(c, ci + j, d, alpha, beta);
            }
        }
    }

    @Override
    boolean hasFewRows() {
        return true;
    }

    /**
     * Few rows without packing: four rows of C at a time (a short last block repeats its last row and does not
     * store it) by two vectors of columns, eight accumulators so that the FMA latency is covered; per K step two B
     * vectors read from B's stored row and four broadcasts of A. Columns past the last pair of vectors go through
     * {@link #edgeColumns}.
     */
    @Override
    void fewRows(int m, int j0, int j1, int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff,
                 int ldb, float beta, float[] c, int cOff, int ldc) {
        int nv = j1 - (j1 - j0) % (2 * L);
        for (int i0 = 0; i0 < m; i0 += 4) {
            int rows = Math.min(4, m - i0);
            int a0 = aOff + i0 * lda;
            int a1 = aOff + (i0 + Math.min(1, rows - 1)) * lda;
            int a2 = aOff + (i0 + Math.min(2, rows - 1)) * lda;
            int a3 = aOff + (i0 + Math.min(3, rows - 1)) * lda;
            int ci = cOff + i0 * ldc;
            for (int j = j0; j < nv; j += 2 * L) {
                FloatVector s00 = FloatVector.zero(S);
                FloatVector s01 = s00;
                FloatVector s10 = s00;
                FloatVector s11 = s00;
                FloatVector s20 = s00;
                FloatVector s21 = s00;
                FloatVector s30 = s00;
                FloatVector s31 = s00;
                for (int p = 0; p < k; p++) {
                    int bo = bOff + p * ldb + j;
                    FloatVector b0 = FloatVector.fromArray(S, b, bo);
                    FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
                    FloatVector av = FloatVector.broadcast(S, a[a0 + p]);
                    s00 = av.fma(b0, s00);
                    s01 = av.fma(b1, s01);
                    av = FloatVector.broadcast(S, a[a1 + p]);
                    s10 = av.fma(b0, s10);
                    s11 = av.fma(b1, s11);
                    av = FloatVector.broadcast(S, a[a2 + p]);
                    s20 = av.fma(b0, s20);
                    s21 = av.fma(b1, s21);
                    av = FloatVector.broadcast(S, a[a3 + p]);
                    s30 = av.fma(b0, s30);
                    s31 = av.fma(b1, s31);
                }
                storeRow(s00, c, ci + j, alpha, beta);
                storeRow(s01, c, ci + j + L, alpha, beta);
                if (rows > 1) {
                    storeRow(s10, c, ci + ldc + j, alpha, beta);
                    storeRow(s11, c, ci + ldc + j + L, alpha, beta);
                }
                if (rows > 2) {
                    storeRow(s20, c, ci + 2 * ldc + j, alpha, beta);
                    storeRow(s21, c, ci + 2 * ldc + j + L, alpha, beta);
                }
                if (rows > 3) {
                    storeRow(s30, c, ci + 3 * ldc + j, alpha, beta);
                    storeRow(s31, c, ci + 3 * ldc + j + L, alpha, beta);
                }
            }
        }
        edgeColumns(m, nv, j1, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /** {@code c[at .. at+L) = alpha·acc + beta·c}, rounded as {@link #storeDot}; with beta 0, c is not read. */
    private static void storeRow(FloatVector acc, float[] c, int at, float alpha, float beta) {
        if (beta == 0f) {
            acc.mul(alpha).intoArray(c, at);
        } else {
            acc.fma(FloatVector.broadcast(S, alpha), FloatVector.fromArray(S, c, at).mul(beta)).intoArray(c, at);
        }
    }

    @Override
    void kernel(int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int ci, int ldc, boolean add) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        for (int p = 0; p < kc; p++) {
            int bo = bi + p * NR;
            int ao = ai + p * A_STEP;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + L);
            FloatVector av = FloatVector.broadcast(S, ap[ao]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, ap[ao + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
        }
        // Written out rather than factored into a helper: a helper taking FloatVector arguments is only
        // cheap if C2 inlines it, and when it does not (its call sites look cold next to the K loop), every
        // accumulator is boxed and the kernel runs several times slower.
        int o0 = ci;
        int o1 = o0 + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
        int o4 = o3 + ldc;
        if (add) {
            c00 = c00.add(FloatVector.fromArray(S, c, o0));
            c01 = c01.add(FloatVector.fromArray(S, c, o0 + L));
            c10 = c10.add(FloatVector.fromArray(S, c, o1));
            c11 = c11.add(FloatVector.fromArray(S, c, o1 + L));
            c20 = c20.add(FloatVector.fromArray(S, c, o2));
            c21 = c21.add(FloatVector.fromArray(S, c, o2 + L));
            c30 = c30.add(FloatVector.fromArray(S, c, o3));
            c31 = c31.add(FloatVector.fromArray(S, c, o3 + L));
            c40 = c40.add(FloatVector.fromArray(S, c, o4));
            c41 = c41.add(FloatVector.fromArray(S, c, o4 + L));
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + L);
        c10.intoArray(c, o1);
        c11.intoArray(c, o1 + L);
        c20.intoArray(c, o2);
        c21.intoArray(c, o2 + L);
        c30.intoArray(c, o3);
        c31.intoArray(c, o3 + L);
        c40.intoArray(c, o4);
        c41.intoArray(c, o4 + L);
    }
}
