package org.quadralib.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link QuadraticKernels} on the JDK Vector API: the same operations lane by lane, whole vectors, then the plain
 * loop for the tail. Vectors stay inside one method (passed to a call C2 does not inline, they are allocated).
 *
 * <p>Only loaded when the {@code jdk.incubator.vector} module is in the boot layer ({@link QuadraticKernels} checks).
 */
final class VectorQuadraticKernels {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorQuadraticKernels() {
    }

    static void combineRow(float[] s, int a, int b, float[] sc0, float[] sh0, float[] sc1, float[] sh1,
                           float[] e, int eo, float[] bias, int c, float[] y, int yo, int n) {
        int v = S.loopBound(n);
        if (e == null) {
            for (int j = 0; j < v; j += L) {
                int k = c + j;
                FloatVector v0 = load(s, a + j).mul(load(sc0, k)).add(load(sh0, k));
                FloatVector v1 = load(s, b + j).mul(load(sc1, k)).add(load(sh1, k));
                v0.mul(v1).add(load(bias, k)).intoArray(y, yo + j);
            }
        } else {
            for (int j = 0; j < v; j += L) {
                int k = c + j;
                FloatVector v0 = load(s, a + j).mul(load(sc0, k)).add(load(sh0, k));
                FloatVector v1 = load(s, b + j).mul(load(sc1, k)).add(load(sh1, k));
                v0.mul(v1).add(load(e, eo + j)).add(load(bias, k)).intoArray(y, yo + j);
            }
        }
        QuadraticKernels.combineRowScalar(s, a, b, sc0, sh0, sc1, sh1, e, eo, bias, c, y, yo, n, v);
    }

    static void productGradientRow(float[] gy, int g, float[] s, int a, int b, float[] sc0, float[] sh0,
                                   float[] sc1, float[] sh1, int c, float[] d, int d0, int d1, int n) {
        int v = S.loopBound(n);
        for (int j = 0; j < v; j += L) {
            int k = c + j;
            FloatVector gj = load(gy, g + j);
            FloatVector v0 = load(s, a + j).mul(load(sc0, k)).add(load(sh0, k));
            FloatVector v1 = load(s, b + j).mul(load(sc1, k)).add(load(sh1, k));
            gj.mul(v1).intoArray(d, d0 + j);
            gj.mul(v0).intoArray(d, d1 + j);
        }
        QuadraticKernels.productGradientRowScalar(gy, g, s, a, b, sc0, sh0, sc1, sh1, c, d, d0, d1, n, v);
    }

    private static FloatVector load(float[] x, int at) {
        return FloatVector.fromArray(S, x, at);
    }
}
