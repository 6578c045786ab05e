package org.quadralib.core.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.quadralib.core.kernels.Elementwise.BinaryOp;

/** The Vector API binary runs and copies equal the plain loops for every op, layout, length and offset (NaN as NaN). */
class VectorElementwiseTest {

    @Test
    void vectorRunsEqualThePlainLoops() {
        assumeTrue(Simd.vectorApi(), "jdk.incubator.vector is not in the boot layer");
        Random rng = new Random(11);
        int[][] strides = {{1, 1}, {1, 0}, {0, 1}};
        for (BinaryOp op : BinaryOp.values()) {
            for (int[] st : strides) {
                for (int n = 0; n <= 70; n++) {
                    int ao = rng.nextInt(4);
                    int bo = rng.nextInt(4);
                    float[] a = VectorUnaryTest.values(ao + n + 1, rng);
                    float[] b = VectorUnaryTest.values(bo + n + 1, rng);
                    float[] vec = new float[n + 2];
                    float[] ref = new float[n + 2];
                    VectorElementwise.binary(op, a, ao, st[0], b, bo, st[1], vec, 2, n);
                    Elementwise.binaryScalar(op, a, ao, st[0], b, bo, st[1], ref, 2, n);
                    for (int i = 0; i < n + 2; i++) {
                        assertEquals(Float.floatToIntBits(ref[i]), Float.floatToIntBits(vec[i]),
                                op + " strides " + st[0] + "," + st[1] + " n=" + n + " i=" + i);
                    }
                }
            }
        }
    }

    @Test
    void copyWritesExactlyTheRun() {
        assumeTrue(Simd.vectorApi(), "jdk.incubator.vector is not in the boot layer");
        Random rng = new Random(3);
        for (int n = 0; n <= 40; n++) {
            int from = rng.nextInt(5);
            int to = rng.nextInt(5);
            float[] src = VectorUnaryTest.values(from + n, rng);
            float[] dst = new float[to + n + 3];
            java.util.Arrays.fill(dst, -7f);
            VectorElementwise.copy(src, from, dst, to, n);
            for (int i = 0; i < dst.length; i++) {
                float expected = i >= to && i < to + n ? src[from + i - to] : -7f;
                assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(dst[i]), "n=" + n + " i=" + i);
            }
        }
    }

    @Test
    void addToAddsEachElementOnce() {
        assumeTrue(Simd.vectorApi(), "jdk.incubator.vector is not in the boot layer");
        Random rng = new Random(5);
        for (int n = 0; n <= 40; n++) {
            int from = rng.nextInt(5);
            int to = rng.nextInt(5);
            float[] src = VectorUnaryTest.values(from + n, rng);
            float[] dst = VectorUnaryTest.values(to + n + 3, rng);
            float[] before = dst.clone();
            VectorElementwise.addTo(src, from, dst, to, n);
            for (int i = 0; i < dst.length; i++) {
                float expected = i >= to && i < to + n ? before[i] + src[from + i - to] : before[i];
                assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(dst[i]), "n=" + n + " i=" + i);
            }
        }
    }

    @Test
    void axpyEqualsThePlainLoop() {
        assumeTrue(Simd.vectorApi(), "jdk.incubator.vector is not in the boot layer");
        Random rng = new Random(13);
        for (int n = 0; n <= 40; n++) {
            int from = rng.nextInt(5);
            int to = rng.nextInt(5);
            float alpha = rng.nextFloat() * 4f - 2f;
            float[] src = VectorUnaryTest.values(from + n, rng);
            float[] vec = VectorUnaryTest.values(to + n + 3, rng);
            float[] ref = vec.clone();
            VectorElementwise.axpy(alpha, src, from, vec, to, n);
            Elementwise.axpyScalar(alpha, src, from, ref, to, n);
            for (int i = 0; i < vec.length; i++) {
                assertEquals(Float.floatToIntBits(ref[i]), Float.floatToIntBits(vec[i]), "n=" + n + " i=" + i);
            }
        }
    }

    @Test
    void sgdMomentumEqualsThePlainLoopForEveryFlag() {
        assumeTrue(Simd.vectorApi(), "jdk.incubator.vector is not in the boot layer");
        Random rng = new Random(17);
        for (int flags = 0; flags < 4; flags++) {
            boolean first = (flags & 1) != 0;
            boolean nesterov = (flags & 2) != 0;
            for (int n = 1; n <= 40; n++) {
                int po = rng.nextInt(5);
                int go = rng.nextInt(5);
                int from = rng.nextInt(n);
                float[] g = VectorUnaryTest.values(go + n, rng);
                float[] p = VectorUnaryTest.values(po + n + 2, rng);
                float[] v = VectorUnaryTest.values(n, rng);
                float[] pRef = p.clone();
                float[] vRef = v.clone();
                VectorElementwise.sgdMomentum(p, po, g, go, v, from, n, 0.1f, 0.01f, 0.9f, first, nesterov);
                Elementwise.sgdMomentumScalar(pRef, po, g, go, vRef, from, n, 0.1f, 0.01f, 0.9f, first, nesterov);
                String where = "first=" + first + " nesterov=" + nesterov + " n=" + n;
                for (int i = 0; i < p.length; i++) {
                    assertEquals(Float.floatToIntBits(pRef[i]), Float.floatToIntBits(p[i]), where + " p[" + i + "]");
                }
                for (int i = 0; i < v.length; i++) {
                    assertEquals(Float.floatToIntBits(vRef[i]), Float.floatToIntBits(v[i]), where + " v[" + i + "]");
                }
            }
        }
    }

    @Test
    void binaryRangeTakesEitherPathWithTheSameResult() {
        // In place (out is a), as the optimizers and gradient accumulation use it.
        float[] a = {1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f, 11f};
        float[] b = {0.5f, 0.25f, 2f, 4f, 8f, 16f, 32f, 64f, 128f, 256f, 512f};
        float[] expected = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            expected[i] = a[i] * b[i];
        }
        Elementwise.binaryRange(BinaryOp.MUL, a, 0, 1, b, 0, 1, a, 0, a.length);
        for (int i = 0; i < a.length; i++) {
            assertEquals(expected[i], a[i], "in-place product at " + i);
        }
    }
}
