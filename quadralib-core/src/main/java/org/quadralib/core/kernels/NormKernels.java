package org.quadralib.core.kernels;

/**
 * The loops of batch normalisation over one run of a channel's values (an item's plane of {@code H·W} values): the
 * statistics' sums of squared deviations and of gradients, the affine normalisation and the input gradient (the
 * plain sum of a run is {@link Elementwise#sum}). Each runs on the JDK Vector API when the module is present (C2
 * leaves these loops scalar) and otherwise in plain Java.
 *
 * <p>The affine map and the input gradient give the plain loops' bits (every product and sum rounded in the order
 * written here). The sums do not: the plain loops add each value to a double, while the vector ones add runs of at
 * most {@value Elementwise#SUM_BLOCK} values in float lanes and the runs' sums in double. Both are deterministic;
 * they differ by the float rounding of sums of at most that many values.
 */
public final class NormKernels {

    private NormKernels() {
    }

    /** {@code Σ (a[off + i] − mu)²} over {@code i < n}. */
    public static double squaredDeviations(float[] a, int off, int n, double mu) {
        return Simd.VECTOR ? VectorNormKernels.squaredDeviations(a, off, n, (float) mu) : squaredDeviationsScalar(a, off, n, mu);
    }

    /**
     * Adds {@code Σ g} to {@code acc[0]} and {@code Σ g·(x − mu)·is} to {@code acc[1]}, over {@code n} elements (each
     * term rounded to float, as written, before it is summed).
     */
    public static void gradientSums(float[] g, int go, float[] x, int xo, int n, float mu, float is, double[] acc) {
        if (Simd.VECTOR) {
            VectorNormKernels.gradientSums(g, go, x, xo, n, mu, is, acc);
        } else {
            gradientSumsScalar(g, go, x, xo, n, mu, is, acc, 0);
        }
    }

    /** {@code y[yo+i] = x[xo+i]·scale + shift} for {@code i < n}. */
    public static void affine(float[] x, int xo, float[] y, int yo, int n, float scale, float shift) {
        if (Simd.VECTOR) {
            VectorNormKernels.affine(x, xo, y, yo, n, scale, shift);
        } else {
            affineScalar(x, xo, y, yo, n, scale, shift, 0);
        }
    }

    /**
     * The input gradient of a training-mode batch norm:
     * {@code r[ro+i] = gi·(g[go+i] − meanG − ((x[xo+i] − mu)·is)·meanGX)} for {@code i < n}, {@code gi = γ·is}.
     */
    public static void inputGradient(float[] g, int go, float[] x, int xo, float[] r, int ro, int n, float mu, float is,
                                     float gi, float meanG, float meanGX) {
        if (Simd.VECTOR) {
            VectorNormKernels.inputGradient(g, go, x, xo, r, ro, n, mu, is, gi, meanG, meanGX);
        } else {
            inputGradientScalar(g, go, x, xo, r, ro, n, mu, is, gi, meanG, meanGX, 0);
        }
    }

    // The plain sums keep four partial sums: one running double sum is bound by the latency of the add (four cycles
    // per element); four independent ones run about four times faster, with the same double accuracy.

    static double squaredDeviationsScalar(float[] a, int off, int n, double mu) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            double d0 = a[off + i] - mu;
            double d1 = a[off + i + 1] - mu;
            double d2 = a[off + i + 2] - mu;
            double d3 = a[off + i + 3] - mu;
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        for (; i < n; i++) {
            double d = a[off + i] - mu;
            s0 += d * d;
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** {@link #gradientSums} in plain Java from element {@code from}; also the vector path's tail. */
    static void gradientSumsScalar(float[] g, int go, float[] x, int xo, int n, float mu, float is, double[] acc,
                                   int from) {
        double g0 = 0;
        double g1 = 0;
        double h0 = 0;
        double h1 = 0;
        int i = from;
        for (; i + 2 <= n; i += 2) {
            float a = g[go + i];
            float b = g[go + i + 1];
            g0 += a;
            g1 += b;
            h0 += a * (x[xo + i] - mu) * is;
            h1 += b * (x[xo + i + 1] - mu) * is;
        }
        for (; i < n; i++) {
            float a = g[go + i];
            g0 += a;
            h0 += a * (x[xo + i] - mu) * is;
        }
        acc[0] += g0 + g1;
        acc[1] += h0 + h1;
    }

    static void affineScalar(float[] x, int xo, float[] y, int yo, int n, float scale, float shift, int from) {
        for (int i = from; i < n; i++) {
            y[yo + i] = x[xo + i] * scale + shift;
        }
    }

    static void inputGradientScalar(float[] g, int go, float[] x, int xo, float[] r, int ro, int n, float mu, float is,
                                    float gi, float meanG, float meanGX, int from) {
        for (int i = from; i < n; i++) {
            float xhat = (x[xo + i] - mu) * is;
            r[ro + i] = gi * (g[go + i] - meanG - xhat * meanGX);
        }
    }
}
