package org.quadralib.core.kernels;

/**
 * Packed GEMM in plain Java for JVMs without the Vector API module. The micro-kernel accumulates a
 * {@code 4 × 16} tile in a scratch array with an inner loop over the 16 columns that C2's superword pass
 * turns into vector FMAs; the packing and blocking are shared with the vector kernel.
 */
final class ScalarGemm extends PackedGemm {

    private static final int MR = 4;
    private static final int NR = 16;

    static final ScalarGemm INSTANCE = new ScalarGemm();

    private ScalarGemm() {
        super(MR, MR, NR, 128, 256, 4096);
    }

    @Override
    String describe() {
        return "plain-Java " + MR + "x" + NR + " micro-kernel";
    }

    @Override
    void kernel(int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int ci, int ldc,
                boolean add, float[] work) {
        for (int i = 0; i < MR * NR; i++) {
            work[i] = 0f;
        }
        for (int p = 0; p < kc; p++) {
            int bo = bi + p * NR;
            int ao = ai + p * MR;
            for (int r = 0; r < MR; r++) {
                float av = ap[ao + r];
                int wo = r * NR;
                for (int j = 0; j < NR; j++) {
                    work[wo + j] = Math.fma(av, bp[bo + j], work[wo + j]);
                }
            }
        }
        for (int r = 0; r < MR; r++) {
            int co = ci + r * ldc;
            int wo = r * NR;
            if (add) {
                for (int j = 0; j < NR; j++) {
                    c[co + j] += work[wo + j];
                }
            } else {
                System.arraycopy(work, wo, c, co, NR);
            }
        }
    }
}
