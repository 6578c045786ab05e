package org.quadralib.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link NormKernels} on the JDK Vector API. Sums run in two float accumulators over blocks of at most
 * {@link Elementwise#SUM_BLOCK} values, each block's lanes reduced into a double; the element-wise loops compute the plain
 * loops' operations lane by lane. Vectors stay inside one method (passed to a call C2 does not inline, they are
 * allocated).
 *
 * <p>Only loaded when the {@code jdk.incubator.vector} module is in the boot layer ({@link NormKernels} checks).
 */
final class VectorNormKernels {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorNormKernels() {
    }

    static double squaredDeviations(float[] a, int off, int n, float mu) {
        FloatVector m = FloatVector.broadcast(S, mu);
        double total = 0;
        int v = S.loopBound(n);
        for (int b = 0; b < v; b += Elementwise.SUM_BLOCK) {
            int e = Math.min(v, b + Elementwise.SUM_BLOCK);
            FloatVector s0 = FloatVector.zero(S);
            FloatVector s1 = s0;
            int i = b;
            for (; i + 2 * L <= e; i += 2 * L) {
                FloatVector d0 = load(a, off + i).sub(m);
                FloatVector d1 = load(a, off + i + L).sub(m);
                s0 = d0.fma(d0, s0);
                s1 = d1.fma(d1, s1);
            }
            if (i < e) {
                FloatVector d0 = load(a, off + i).sub(m);
                s0 = d0.fma(d0, s0);
            }
            total += VectorLanes.sum(s0.add(s1));
        }
        for (int i = v; i < n; i++) {
            double d = a[off + i] - mu;
            total += d * d;
        }
        return total;
    }

    static void gradientSums(float[] g, int go, float[] x, int xo, int n, float mu, float is, double[] acc) {
        FloatVector m = FloatVector.broadcast(S, mu);
        FloatVector iv = FloatVector.broadcast(S, is);
        int v = S.loopBound(n);
        for (int b = 0; b < v; b += Elementwise.SUM_BLOCK) {
            int e = Math.min(v, b + Elementwise.SUM_BLOCK);
            FloatVector sg = FloatVector.zero(S);
            FloatVector sh = sg;
            for (int i = b; i < e; i += L) {
                FloatVector gv = load(g, go + i);
                sg = sg.add(gv);
                sh = sh.add(gv.mul(load(x, xo + i).sub(m)).mul(iv));
            }
            acc[0] += VectorLanes.sum(sg);
            acc[1] += VectorLanes.sum(sh);
        }
        NormKernels.gradientSumsScalar(g, go, x, xo, n, mu, is, acc, v);
    }

    static void affine(float[] x, int xo, float[] y, int yo, int n, float scale, float shift) {
        FloatVector sc = FloatVector.broadcast(S, scale);
        FloatVector sh = FloatVector.broadcast(S, shift);
        int v = S.loopBound(n);
        for (int i = 0; i < v; i += L) {
            load(x, xo + i).mul(sc).add(sh).intoArray(y, yo + i);
        }
        NormKernels.affineScalar(x, xo, y, yo, n, scale, shift, v);
    }

    static void inputGradient(float[] g, int go, float[] x, int xo, float[] r, int ro, int n, float mu, float is,
                              float gi, float meanG, float meanGX) {
        FloatVector m = FloatVector.broadcast(S, mu);
        FloatVector iv = FloatVector.broadcast(S, is);
        FloatVector gv = FloatVector.broadcast(S, gi);
        FloatVector mg = FloatVector.broadcast(S, meanG);
        FloatVector mgx = FloatVector.broadcast(S, meanGX);
        int v = S.loopBound(n);
        for (int i = 0; i < v; i += L) {
            FloatVector xhat = load(x, xo + i).sub(m).mul(iv);
            load(g, go + i).sub(mg).sub(xhat.mul(mgx)).mul(gv).intoArray(r, ro + i);
        }
        NormKernels.inputGradientScalar(g, go, x, xo, r, ro, n, mu, is, gi, meanG, meanGX, v);
    }

    private static FloatVector load(float[] x, int at) {
        return FloatVector.fromArray(S, x, at);
    }
}
