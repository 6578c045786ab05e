package org.quadralib.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a vector's lanes in one fixed order, whatever compiles the code. {@code reduceLanes(ADD)} leaves the
 * order of a float reduction unspecified, and on newer JDKs (seen on JDK 25, not on 17) C2's intrinsic adds in
 * another order than the interpreter's and C1's fallback: the same call then gives a different last bit before and
 * after the JIT compiles it, and a run is no longer reproducible (on JDK 25 a packed-A GEMM differed from the
 * stored-A one, and a step on recycled buffers from the same step on fresh ones). Here the lanes are added pairwise, lane {@code i} with lane {@code i + L/2}, then
 * {@code i + L/4} ... down to one: each step a lane-wise add, exact and the same in every execution mode.
 */
final class VectorLanes {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int[] HALVES = halves(S.length());
    private static final VectorShuffle<Float> H0 = shuffle(0);
    private static final VectorShuffle<Float> H1 = shuffle(1);
    private static final VectorShuffle<Float> H2 = shuffle(2);
    private static final VectorShuffle<Float> H3 = shuffle(3);
    private static final VectorShuffle<Float> H4 = shuffle(4);
    private static final int STEPS = HALVES.length;

    private VectorLanes() {
    }

    /** {@code Σ v[i]} over the lanes of {@code v}, a vector of the preferred species, in the fixed tree order. */
    static float sum(FloatVector v) {
        // Unrolled over the at most five halvings; STEPS is a constant, so the branches fold away once compiled.
        FloatVector s = v;
        if (STEPS > 0) {
            s = s.add(s.rearrange(H0));
        }
        if (STEPS > 1) {
            s = s.add(s.rearrange(H1));
        }
        if (STEPS > 2) {
            s = s.add(s.rearrange(H2));
        }
        if (STEPS > 3) {
            s = s.add(s.rearrange(H3));
        }
        if (STEPS > 4) {
            s = s.add(s.rearrange(H4));
        }
        return s.lane(0);
    }

    /** L/2, L/4, ..., 1 for a power-of-two lane count L (up to 32 lanes: five halvings). */
    private static int[] halves(int lanes) {
        if (Integer.bitCount(lanes) != 1 || lanes > 32) {
            throw new IllegalStateException("VectorLanes: " + lanes + " float lanes is not a power of two up to 32");
        }
        int[] out = new int[Integer.numberOfTrailingZeros(lanes)];
        for (int i = 0, h = lanes / 2; h >= 1; i++, h /= 2) {
            out[i] = h;
        }
        return out;
    }

    /** Lane i takes lane i + HALVES[step] (wrapping); the identity past the last step. */
    private static VectorShuffle<Float> shuffle(int step) {
        int h = step < HALVES.length ? HALVES[step] : 0;
        return VectorShuffle.fromOp(S, i -> (i + h) % S.length());
    }
}
