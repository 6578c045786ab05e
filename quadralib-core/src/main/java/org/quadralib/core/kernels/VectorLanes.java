package org.quadralib.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a vector's lanes in one fixed order, whatever compiles the code. {@code reduceLanes(ADD)} leaves the
 * order of a float reduction unspecified, and on newer JDKs (seen on JDK 25, not on 17) C2's intrinsic adds in
 * another order than the interpreter's and C1's fallback: the same call then gives a different last bit before and
 * after the JIT compiles it, and a run is no longer reproducible (on JDK 25 a packed-A GEMM differed from the
 * stored-A one, and a step on recycled buffers from the same step on fresh ones). Here the lanes are added in lane
 * order, {@code ((v[0] + v[1]) + v[2]) + ...}, each lane read with {@code lane(i)}, which C2 compiles to a register
 * extract and which allocates nothing once compiled (a tree of {@code rearrange} steps, tried first, allocated
 * 65 KB per training step on JDK 17).
 */
final class VectorLanes {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorLanes() {
    }

    /** {@code Σ v[i]} over the lanes of {@code v}, a vector of the preferred species, in lane order. */
    static float sum(FloatVector v) {
        float s = v.lane(0);
        for (int i = 1; i < L; i++) {
            s += v.lane(i);
        }
        return s;
    }
}
