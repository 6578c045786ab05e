package org.quadralib.core.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The Vector API batch-norm loops: the element-wise ones give the plain loops' bits; the sums, which add in float
 * lanes, stay within float rounding of the plain double sums, across the block boundary and the scalar tail.
 */
class NormKernelsTest {

    private static final int[] LENGTHS = {0, 1, 7, 8, 9, 16, 17, 63, 64, 65, 1023, 1024, 1025, 2500};

    private static float[] gaussian(int n, Random rng, float mean) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = mean + (float) rng.nextGaussian();
        }
        return v;
    }

    @Test
    void elementwiseLoopsEqualThePlainLoops() {
        assumeTrue(Simd.vectorApi(), "jdk.incubator.vector is not in the boot layer");
        Random rng = new Random(29);
        for (int n : LENGTHS) {
            int xo = rng.nextInt(4);
            int go = rng.nextInt(4);
            int ro = rng.nextInt(4);
            float[] x = VectorUnaryTest.values(xo + n, rng);
            float[] g = VectorUnaryTest.values(go + n, rng);
            float[] vec = new float[ro + n + 2];
            float[] ref = new float[ro + n + 2];
            VectorNormKernels.affine(x, xo, vec, ro, n, 1.7f, -0.3f);
            NormKernels.affineScalar(x, xo, ref, ro, n, 1.7f, -0.3f, 0);
            assertBits(ref, vec, "affine n=" + n);
            VectorNormKernels.inputGradient(g, go, x, xo, vec, ro, n, 0.2f, 1.3f, 0.9f, 0.05f, -0.4f);
            NormKernels.inputGradientScalar(g, go, x, xo, ref, ro, n, 0.2f, 1.3f, 0.9f, 0.05f, -0.4f, 0);
            assertBits(ref, vec, "input gradient n=" + n);
        }
    }

    @Test
    void sumsStayWithinFloatRoundingOfTheDoubleSums() {
        assumeTrue(Simd.vectorApi(), "jdk.incubator.vector is not in the boot layer");
        Random rng = new Random(31);
        for (int n : LENGTHS) {
            int off = rng.nextInt(4);
            float[] x = gaussian(off + n, rng, 3f);
            float[] g = gaussian(off + n, rng, 0f);
            double abs = 0;
            for (int i = 0; i < n; i++) {
                abs += Math.abs(x[off + i]) * (1 + Math.abs(x[off + i]));
            }
            // float lanes lose at most about n·2⁻²⁴ of the sum of magnitudes
            double tol = 1e-6 * abs + 1e-6;
            assertEquals(Elementwise.sumScalar(x, off, n), VectorElementwise.sum(x, off, n), tol, "sum n=" + n);
            assertEquals(NormKernels.squaredDeviationsScalar(x, off, n, 3.0), VectorNormKernels.squaredDeviations(x, off, n, 3f),
                    tol * 4, "squared deviations n=" + n);
            double[] ref = {0.5, -0.25};
            double[] vec = {0.5, -0.25};
            NormKernels.gradientSumsScalar(g, off, x, off, n, 3f, 0.8f, ref, 0);
            VectorNormKernels.gradientSums(g, off, x, off, n, 3f, 0.8f, vec);
            assertEquals(ref[0], vec[0], tol, "gradient sum n=" + n);
            assertEquals(ref[1], vec[1], tol, "gradient·x̂ sum n=" + n);
        }
    }

    private static void assertBits(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(actual[i]), what + " i=" + i);
        }
    }
}
