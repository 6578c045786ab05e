package org.quadralib.core.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

/** The Vector API row kernels of the quadratic neuron give the plain loops' bits for every length and offset. */
class QuadraticKernelsTest {

    @Test
    void combineRowEqualsThePlainLoopWithAndWithoutTheAddedTerm() {
        assumeTrue(Simd.vectorApi(), "jdk.incubator.vector is not in the boot layer");
        Random rng = new Random(19);
        for (int withTerm = 0; withTerm < 2; withTerm++) {
            for (int n = 0; n <= 40; n++) {
                int a = rng.nextInt(4);
                int b = a + n + rng.nextInt(4);
                int c = rng.nextInt(4);
                int eo = rng.nextInt(4);
                int yo = rng.nextInt(4);
                float[] s = VectorUnaryTest.values(b + n, rng);
                float[][] ch = new float[5][];
                for (int i = 0; i < ch.length; i++) {
                    ch[i] = VectorUnaryTest.values(c + n, rng);
                }
                float[] e = withTerm == 1 ? VectorUnaryTest.values(eo + n, rng) : null;
                float[] vec = VectorUnaryTest.values(yo + n + 3, rng);
                float[] ref = vec.clone();
                VectorQuadraticKernels.combineRow(s, a, b, ch[0], ch[1], ch[2], ch[3], e, eo, ch[4], c, vec, yo, n);
                QuadraticKernels.combineRowScalar(s, a, b, ch[0], ch[1], ch[2], ch[3], e, eo, ch[4], c, ref, yo, n, 0);
                for (int i = 0; i < vec.length; i++) {
                    assertEquals(Float.floatToIntBits(ref[i]), Float.floatToIntBits(vec[i]),
                            "term=" + withTerm + " n=" + n + " i=" + i);
                }
            }
        }
    }

    @Test
    void productGradientRowEqualsThePlainLoop() {
        assumeTrue(Simd.vectorApi(), "jdk.incubator.vector is not in the boot layer");
        Random rng = new Random(23);
        for (int n = 0; n <= 40; n++) {
            int a = rng.nextInt(4);
            int b = a + n + rng.nextInt(4);
            int c = rng.nextInt(4);
            int g = rng.nextInt(4);
            int d0 = rng.nextInt(4);
            int d1 = d0 + n + rng.nextInt(4);
            float[] s = VectorUnaryTest.values(b + n, rng);
            float[] gy = VectorUnaryTest.values(g + n, rng);
            float[][] ch = new float[4][];
            for (int i = 0; i < ch.length; i++) {
                ch[i] = VectorUnaryTest.values(c + n, rng);
            }
            float[] vec = VectorUnaryTest.values(d1 + n + 3, rng);
            float[] ref = vec.clone();
            VectorQuadraticKernels.productGradientRow(gy, g, s, a, b, ch[0], ch[1], ch[2], ch[3], c, vec, d0, d1, n);
            QuadraticKernels.productGradientRowScalar(gy, g, s, a, b, ch[0], ch[1], ch[2], ch[3], c, ref, d0, d1, n, 0);
            for (int i = 0; i < vec.length; i++) {
                assertEquals(Float.floatToIntBits(ref[i]), Float.floatToIntBits(vec[i]), "n=" + n + " i=" + i);
            }
        }
    }
}
