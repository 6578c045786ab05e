package org.quadralib.core.kernels;

/**
 * Row kernels of a quadratic neuron's element-wise part, for layers whose branch values lie in rows of output
 * channels (dense layers): the product of two affine-normalised branches and its gradient. Each runs on the JDK
 * Vector API when the module is present (C2 leaves these loops scalar: 2.5–2.8 ns an element, measured) and gives
 * the same bits as the plain loop: every product and sum is rounded in the order written here.
 */
public final class QuadraticKernels {

    private QuadraticKernels() {
    }

    /**
     * {@code y[yo+j] = (s[a+j]·sc0[c+j] + sh0[c+j]) · (s[b+j]·sc1[c+j] + sh1[c+j]) + e[eo+j] + bias[c+j]} for
     * {@code j < n}, on the calling thread; without {@code e} (null) the term is left out.
     *
     * @param s branch values: branch 0 from {@code a}, branch 1 from {@code b}
     * @param sc0 per-channel scale of branch 0 (1 without a branch norm), read from channel {@code c}
     * @param e the added term (the linear branch or the square branch), or null
     */
    public static void combineRow(float[] s, int a, int b, float[] sc0, float[] sh0, float[] sc1, float[] sh1,
                                  float[] e, int eo, float[] bias, int c, float[] y, int yo, int n) {
        if (Simd.VECTOR) {
            VectorQuadraticKernels.combineRow(s, a, b, sc0, sh0, sc1, sh1, e, eo, bias, c, y, yo, n);
        } else {
            combineRowScalar(s, a, b, sc0, sh0, sc1, sh1, e, eo, bias, c, y, yo, n, 0);
        }
    }

    /** {@link #combineRow} in plain Java from element {@code j0}; also the Vector API path's tail. */
    static void combineRowScalar(float[] s, int a, int b, float[] sc0, float[] sh0, float[] sc1, float[] sh1,
                                 float[] e, int eo, float[] bias, int c, float[] y, int yo, int n, int j0) {
        for (int j = j0; j < n; j++) {
            int k = c + j;
            float p = (s[a + j] * sc0[k] + sh0[k]) * (s[b + j] * sc1[k] + sh1[k]);
            y[yo + j] = e == null ? p + bias[k] : p + e[eo + j] + bias[k];
        }
    }

    /**
     * The gradients of the product {@code v0·v1} with {@code v0 = s[a+j]·sc0[c+j] + sh0[c+j]} and
     * {@code v1 = s[b+j]·sc1[c+j] + sh1[c+j]}: {@code d[d0+j] = gy[g+j]·v1}, {@code d[d1+j] = gy[g+j]·v0} for
     * {@code j < n}, on the calling thread. {@code d} must not overlap {@code s} or {@code gy}.
     */
    public static void productGradientRow(float[] gy, int g, float[] s, int a, int b, float[] sc0, float[] sh0,
                                          float[] sc1, float[] sh1, int c, float[] d, int d0, int d1, int n) {
        if (Simd.VECTOR) {
            VectorQuadraticKernels.productGradientRow(gy, g, s, a, b, sc0, sh0, sc1, sh1, c, d, d0, d1, n);
        } else {
            productGradientRowScalar(gy, g, s, a, b, sc0, sh0, sc1, sh1, c, d, d0, d1, n, 0);
        }
    }

    /** {@link #productGradientRow} in plain Java from element {@code j0}; also the Vector API path's tail. */
    static void productGradientRowScalar(float[] gy, int g, float[] s, int a, int b, float[] sc0, float[] sh0,
                                         float[] sc1, float[] sh1, int c, float[] d, int d0, int d1, int n, int j0) {
        for (int j = j0; j < n; j++) {
            int k = c + j;
            float gj = gy[g + j];
            float v0 = s[a + j] * sc0[k] + sh0[k];
            float v1 = s[b + j] * sc1[k] + sh1[k];
            d[d0 + j] = gj * v1;
            d[d1 + j] = gj * v0;
        }
    }
}
