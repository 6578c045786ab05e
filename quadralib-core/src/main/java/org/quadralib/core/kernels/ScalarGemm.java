package org.quadralib.core.kernels;

/**
 * Packed GEMM in plain Java for JVMs without the Vector API module: a {@code 4 × 2} micro-kernel with its
 * eight accumulators in registers (eight independent FMA chains cover the FMA latency). C2's superword pass
 * does not vectorise the alternative, an inner loop over columns of a scratch tile, because it cannot prove
 * the tile and the packed B are different arrays; that version ran at a third of this one's speed.
 */
final class ScalarGemm extends PackedGemm {

    private static final int MR = 4;
    private static final int NR = 2;

    static final ScalarGemm INSTANCE = new ScalarGemm();

    private ScalarGemm() {
        super(MR, MR, NR, 256, 512);
    }

    @Override
    String describe() {
        return "plain-Java " + MR + "x" + NR + " micro-kernel";
    }

    @Override
    void kernel(int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int ci, int ldc, boolean add) {
        float c00 = 0f;
        float c01 = 0f;
        float c10 = 0f;
        float c11 = 0f;
        float c20 = 0f;
        float c21 = 0f;
        float c30 = 0f;
        float c31 = 0f;
        for (int p = 0; p < kc; p++) {
            int ao = ai + p * MR;
            int bo = bi + p * NR;
            float b0 = bp[bo];
            float b1 = bp[bo + 1];
            float a0 = ap[ao];
            float a1 = ap[ao + 1];
            float a2 = ap[ao + 2];
            float a3 = ap[ao + 3];
            c00 = Math.fma(a0, b0, c00);
            c01 = Math.fma(a0, b1, c01);
            c10 = Math.fma(a1, b0, c10);
            c11 = Math.fma(a1, b1, c11);
            c20 = Math.fma(a2, b0, c20);
            c21 = Math.fma(a2, b1, c21);
            c30 = Math.fma(a3, b0, c30);
            c31 = Math.fma(a3, b1, c31);
        }
        int o1 = ci + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
        if (add) {
            c00 += c[ci];
            c01 += c[ci + 1];
            c10 += c[o1];
            c11 += c[o1 + 1];
            c20 += c[o2];
            c21 += c[o2 + 1];
            c30 += c[o3];
            c31 += c[o3 + 1];
        }
        c[ci] = c00;
        c[ci + 1] = c01;
        c[o1] = c10;
        c[o1 + 1] = c11;
        c[o2] = c20;
        c[o2 + 1] = c21;
        c[o3] = c30;
        c[o3 + 1] = c31;
    }
}
