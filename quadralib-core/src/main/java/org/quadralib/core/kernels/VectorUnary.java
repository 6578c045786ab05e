package org.quadralib.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * ReLU and its derivative on the JDK Vector API: the same operations as the plain loops of {@link UnaryKernels},
 * lane by lane, so both give the same results (−0 and subnormals included; a NaN stays a NaN, its sign bit as the
 * hardware leaves it). C2 does not vectorise the plain {@code Math.max} / {@code Math.min} loops (0.8 ns an
 * element, measured); these run a vector of lanes per instruction.
 *
 * <p>Only loaded when the {@code jdk.incubator.vector} module is in the boot layer ({@link UnaryKernels} checks).
 */
final class VectorUnary {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private VectorUnary() {
    }

    /** {@code y[yo+i] = Math.max(x[xo+i], 0)} for {@code i < n}. */
    static void relu(float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xo + i).max(0f).intoArray(y, yo + i);
        }
        UnaryKernels.reluScalar(x, xo + i, y, yo + i, n - i);
    }

    /** {@code gx[gxo+i] = gy[go+i] · min(min(y·2^126, 1)·2^126, 1)}, the step function of {@link UnaryKernels}. */
    static void reluBackward(float[] gy, int go, float[] y, int yo, float[] gx, int gxo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector t = FloatVector.fromArray(S, y, yo + i).mul(0x1p126f).min(1f);
            FloatVector.fromArray(S, gy, go + i).mul(t.mul(0x1p126f).min(1f)).intoArray(gx, gxo + i);
        }
        UnaryKernels.reluBackwardScalar(gy, go + i, y, yo + i, gx, gxo + i, n - i);
    }
}
