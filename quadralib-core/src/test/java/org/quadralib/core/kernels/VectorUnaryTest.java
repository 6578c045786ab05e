package org.quadralib.core.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The Vector API ReLU equals the plain loops bit for bit, special values and every tail length included (a NaN is
 * any NaN: the hardware keeps an input NaN's sign where Java's scalar min/max return the canonical NaN).
 */
class VectorUnaryTest {

    private static final float[] SPECIAL = {0f, -0f, 1f, -1f, Float.NaN, Float.intBitsToFloat(0xffc00000),
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL,
        Float.MAX_VALUE, -Float.MAX_VALUE, 1e-40f, -1e-40f, 0x1p-127f};

    /** Gaussian values with a special value (NaN of either sign, ±0, ±∞, subnormals, extremes) every third place. */
    static float[] values(int n, Random rng) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i % 3 == 0 ? SPECIAL[rng.nextInt(SPECIAL.length)] : (float) rng.nextGaussian();
        }
        return v;
    }

    @Test
    void vectorReluEqualsThePlainLoopsBitForBit() {
        assumeTrue(Simd.vectorApi(), "jdk.incubator.vector is not in the boot layer");
        Random rng = new Random(7);
        for (int n = 0; n <= 70; n++) {
            int off = n % 5;
            float[] x = values(n + off, rng);
            float[] gy = values(n + off, rng);
            float[] yVec = new float[n + 3];
            float[] yRef = new float[n + 3];
            VectorUnary.relu(x, off, yVec, 3, n);
            UnaryKernels.reluScalar(x, off, yRef, 3, n);
            float[] gVec = new float[n + 1];
            float[] gRef = new float[n + 1];
            // The backward reads ReLU's output; feed it the special values too (NaN, -0, subnormals).
            VectorUnary.reluBackward(gy, off, x, off, gVec, 1, n);
            UnaryKernels.reluBackwardScalar(gy, off, x, off, gRef, 1, n);
            for (int i = 0; i < n + 3; i++) {
                assertEquals(Float.floatToIntBits(yRef[i]), Float.floatToIntBits(yVec[i]),
                        "relu n=" + n + " i=" + i + " x=" + (i >= 3 ? x[off + i - 3] : 0f));
            }
            for (int i = 0; i < n + 1; i++) {
                assertEquals(Float.floatToIntBits(gRef[i]), Float.floatToIntBits(gVec[i]),
                        "relu backward n=" + n + " i=" + i);
            }
        }
    }
}
