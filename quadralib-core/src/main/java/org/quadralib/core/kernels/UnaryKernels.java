package org.quadralib.core.kernels;

import java.util.Arrays;

import org.quadralib.core.Parallel;

/**
 * Element-wise unary functions and their derivatives over contiguous runs. Each function has a forward loop
 * and a backward loop {@code gx = gy * f'(x)}, written from whichever of x or y is cheaper to keep.
 */
public final class UnaryKernels {

    /** The functions. {@code p} is the op's scalar parameter where it has one. */
    public enum Fn {
        /** x + p. */ ADD_SCALAR,
        /** x * p. */ MUL_SCALAR,
        /** x ^ p. */ POW,
        /** e^x; backward from y. */ EXP,
        /** ln x. */ LOG,
        /** √x; backward from y. */ SQRT,
        /** |x|. */ ABS,
        /** max(x, 0) (NaN stays NaN); backward from y. */ RELU,
        /** x &gt; 0 ? x : p·x; the slope at 0 is p, as PyTorch. */ LEAKY_RELU,
        /** 1/(1+e^-x); backward from y. */ SIGMOID,
        /** tanh x; backward from y. */ TANH,
        /** x·Φ(x), Φ the standard normal CDF (exact, erf-based, as PyTorch's default). */ GELU
    }

    private UnaryKernels() {
    }

    /**
     * ReLU without the Vector API. {@code Math.max} is branch-free; a compare-and-select is a data-dependent branch
     * that mispredicts on half the activations (5-8x slower). NaN stays NaN, as in PyTorch.
     */
    static void reluScalar(float[] x, int xo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = Math.max(x[xo + i], 0f);
        }
    }

    /**
     * ReLU's backward without the Vector API: gy · step(y) without a branch. y ≥ 2^-149 saturates to 1 after two
     * scalings by 2^126 and min(·, 1), y = 0 stays 0, so finite gradients come out exactly as from a select.
     */
    static void reluBackwardScalar(float[] gy, int go, float[] y, int yo, float[] gx, int gxo, int n) {
        for (int i = 0; i < n; i++) {
            float t = Math.min(y[yo + i] * 0x1p126f, 1f);
            gx[gxo + i] = gy[go + i] * Math.min(t * 0x1p126f, 1f);
        }
    }

    /** {@code y[yo+i] = f(x[xo+i])}. */
    public static void forward(Fn fn, float p, float[] x, int xo, float[] y, int yo, int n) {
        Parallel.forRange(n, Elementwise.GRAIN, (from, to) -> forwardRange(fn, p, x, xo + from, y, yo + from, to - from));
    }

    private static void forwardRange(Fn fn, float p, float[] x, int xo, float[] y, int yo, int n) {
        switch (fn) {
            case ADD_SCALAR -> {
                for (int i = 0; i < n; i++) {
                    y[yo + i] = x[xo + i] + p;
                }
            }
            case MUL_SCALAR -> {
                for (int i = 0; i < n; i++) {
                    y[yo + i] = x[xo + i] * p;
                }
            }
            case POW -> {
                if (p == 2f) {
                    for (int i = 0; i < n; i++) {
                        float v = x[xo + i];
                        y[yo + i] = v * v;
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        y[yo + i] = (float) Math.pow(x[xo + i], p);
                    }
                }
            }
            case EXP -> {
                for (int i = 0; i < n; i++) {
                    y[yo + i] = (float) Math.exp(x[xo + i]);
                }
            }
            case LOG -> {
                for (int i = 0; i < n; i++) {
                    y[yo + i] = (float) Math.log(x[xo + i]);
                }
            }
            case SQRT -> {
                for (int i = 0; i < n; i++) {
                    y[yo + i] = (float) Math.sqrt(x[xo + i]);
                }
            }
            case ABS -> {
                for (int i = 0; i < n; i++) {
                    y[yo + i] = Math.abs(x[xo + i]);
                }
            }
            case RELU -> {
                if (Simd.VECTOR) {
                    VectorUnary.relu(x, xo, y, yo, n);
                } else {
                    reluScalar(x, xo, y, yo, n);
                }
            }
            case LEAKY_RELU -> {
                for (int i = 0; i < n; i++) {
                    float v = x[xo + i];
                    y[yo + i] = v > 0f ? v : p * v;
                }
            }
            case SIGMOID -> {
                for (int i = 0; i < n; i++) {
                    y[yo + i] = sigmoid(x[xo + i]);
                }
            }
            case TANH -> {
                for (int i = 0; i < n; i++) {
                    y[yo + i] = (float) Math.tanh(x[xo + i]);
                }
            }
            case GELU -> {
                for (int i = 0; i < n; i++) {
                    double v = x[xo + i];
                    y[yo + i] = (float) (v * 0.5 * (1 + erf(v / Math.sqrt(2))));
                }
            }
        }
    }

    /**
     * {@code gx[i] = gy[i] * f'(x[i])}. {@code x} is the op's input, or its output for the functions whose
     * derivative is written from y (EXP, SQRT, RELU, SIGMOID, TANH). All arrays contiguous from offset.
     */
    public static void backward(Fn fn, float p, float[] gy, int go, float[] xy, int xo, float[] gx, int n) {
        Parallel.forRange(n, Elementwise.GRAIN, (from, to) -> backwardRange(fn, p, gy, go + from, xy, xo + from, gx, from, to - from));
    }

    private static void backwardRange(Fn fn, float p, float[] gy, int go, float[] v, int vo, float[] gx, int gxo, int n) {
        switch (fn) {
            case ADD_SCALAR -> System.arraycopy(gy, go, gx, gxo, n);
            case MUL_SCALAR -> {
                for (int i = 0; i < n; i++) {
                    gx[gxo + i] = gy[go + i] * p;
                }
            }
            case POW -> {
                if (p == 0f) {
                    // x⁰ is constant; p·x^(p−1) would give 0·∞ = NaN at x = 0 (PyTorch masks it to 0 too).
                    Arrays.fill(gx, gxo, gxo + n, 0f);
                    return;
                }
                for (int i = 0; i < n; i++) {
                    float x = v[vo + i];
                    gx[gxo + i] = p == 2f ? 2f * x * gy[go + i] : (float) (p * Math.pow(x, p - 1)) * gy[go + i];
                }
            }
            case EXP -> {
                for (int i = 0; i < n; i++) {
                    gx[gxo + i] = gy[go + i] * v[vo + i];
                }
            }
            case LOG -> {
                for (int i = 0; i < n; i++) {
                    gx[gxo + i] = gy[go + i] / v[vo + i];
                }
            }
            case SQRT -> {
                for (int i = 0; i < n; i++) {
                    gx[gxo + i] = gy[go + i] * 0.5f / v[vo + i];
                }
            }
            case ABS -> {
                for (int i = 0; i < n; i++) {
                    float x = v[vo + i];
                    gx[gxo + i] = x > 0 ? gy[go + i] : x < 0 ? -gy[go + i] : 0f;
                }
            }
            case RELU -> {
                if (Simd.VECTOR) {
                    VectorUnary.reluBackward(gy, go, v, vo, gx, gxo, n);
                } else {
                    reluBackwardScalar(gy, go, v, vo, gx, gxo, n);
                }
            }
            case LEAKY_RELU -> {
                for (int i = 0; i < n; i++) {
                    gx[gxo + i] = v[vo + i] > 0f ? gy[go + i] : p * gy[go + i];
                }
            }
            case SIGMOID -> {
                for (int i = 0; i < n; i++) {
                    float s = v[vo + i];
                    gx[gxo + i] = gy[go + i] * s * (1f - s);
                }
            }
            case TANH -> {
                for (int i = 0; i < n; i++) {
                    float t = v[vo + i];
                    gx[gxo + i] = gy[go + i] * (1f - t * t);
                }
            }
            case GELU -> {
                for (int i = 0; i < n; i++) {
                    double x = v[vo + i];
                    double cdf = 0.5 * (1 + erf(x / Math.sqrt(2)));
                    double pdf = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
                    gx[gxo + i] = (float) (gy[go + i] * (cdf + x * pdf));
                }
            }
        }
    }

    /** True if the derivative of {@code fn} is computed from the output rather than the input. */
    public static boolean backwardFromOutput(Fn fn) {
        return fn == Fn.EXP || fn == Fn.SQRT || fn == Fn.RELU || fn == Fn.SIGMOID || fn == Fn.TANH;
    }

    /** True if the derivative needs neither input nor output. */
    public static boolean backwardNeedsNothing(Fn fn) {
        return fn == Fn.ADD_SCALAR || fn == Fn.MUL_SCALAR;
    }

    static float sigmoid(float x) {
        return x >= 0 ? (float) (1 / (1 + Math.exp(-x))) : (float) (Math.exp(x) / (1 + Math.exp(x)));
    }

    /**
     * The error function, |error| below 1.2e-7 (Numerical Recipes' erfc Chebyshev fit), accurate enough for
     * float32 GELU.
     */
    public static double erf(double x) {
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - r : r - 1;
    }
}
