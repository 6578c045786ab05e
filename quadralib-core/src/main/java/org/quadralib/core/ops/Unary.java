package org.quadralib.core.ops;

import org.quadralib.core.Function;
import org.quadralib.core.Tensor;
import org.quadralib.core.kernels.UnaryKernels;
import org.quadralib.core.kernels.UnaryKernels.Fn;

/** Element-wise functions of one tensor, each with its derivative (see {@link UnaryKernels.Fn}). */
public final class Unary {

    private Unary() {
    }

    /** {@code x + value}. */
    public static Tensor addScalar(Tensor x, float value) {
        return apply("add", Fn.ADD_SCALAR, value, x);
    }

    /** {@code x * value}. */
    public static Tensor mulScalar(Tensor x, float value) {
        return apply("mul", Fn.MUL_SCALAR, value, x);
    }

    /** {@code x ^ exponent}; d/dx = exponent·x^(exponent−1). */
    public static Tensor pow(Tensor x, float exponent) {
        return apply("pow", Fn.POW, exponent, x);
    }

    /** e^x. */
    public static Tensor exp(Tensor x) {
        return apply("exp", Fn.EXP, 0f, x);
    }

    /** ln x (NaN below zero, −∞ at zero, as IEEE). */
    public static Tensor log(Tensor x) {
        return apply("log", Fn.LOG, 0f, x);
    }

    /** √x. */
    public static Tensor sqrt(Tensor x) {
        return apply("sqrt", Fn.SQRT, 0f, x);
    }

    /** |x|; derivative sign(x), 0 at 0. */
    public static Tensor abs(Tensor x) {
        return apply("abs", Fn.ABS, 0f, x);
    }

    /** max(x, 0); derivative 1 where x &gt; 0. */
    public static Tensor relu(Tensor x) {
        return apply("relu", Fn.RELU, 0f, x);
    }

    /** x for x &gt; 0, slope·x otherwise; the derivative at 0 is the slope, as PyTorch. */
    public static Tensor leakyRelu(Tensor x, float slope) {
        return apply("leaky_relu", Fn.LEAKY_RELU, slope, x);
    }

    /** 1/(1+e^−x). */
    public static Tensor sigmoid(Tensor x) {
        return apply("sigmoid", Fn.SIGMOID, 0f, x);
    }

    /** tanh x. */
    public static Tensor tanh(Tensor x) {
        return apply("tanh", Fn.TANH, 0f, x);
    }

    /** x·Φ(x) with the exact normal CDF. */
    public static Tensor gelu(Tensor x) {
        return apply("gelu", Fn.GELU, 0f, x);
    }

    /**
     * Clamps into [min, max]; the gradient passes where min ≤ x ≤ max. Use ±Infinity for a one-sided clamp.
     *
     * @throws IllegalArgumentException if min &gt; max
     */
    public static Tensor clamp(Tensor x, float min, float max) {
        if (min > max) {
            throw new IllegalArgumentException("clamp: min " + min + " > max " + max);
        }
        return new Function("clamp") {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                Tensor xc = in[0];
                Tensor out = Tensor.empty(xc.shape());
                float[] a = xc.data();
                float[] o = out.data();
                int off = xc.offset();
                for (int i = 0, n = out.numel(); i < n; i++) {
                    o[i] = Math.min(max, Math.max(min, a[off + i]));
                }
                ctx.save(xc);
                return out;
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                Tensor in = ctx.saved(0);
                Tensor gc = g.contiguous();
                Tensor gx = Tensor.empty(in.shape());
                float[] iv = in.data();
                float[] gv = gc.data();
                float[] r = gx.data();
                for (int i = 0, n = gx.numel(); i < n; i++) {
                    float v = iv[in.offset() + i];
                    r[i] = v >= min && v <= max ? gv[gc.offset() + i] : 0f;
                }
                return new Tensor[] {gx};
            }
        }.apply(x.contiguous());
    }

    private static Tensor apply(String name, Fn fn, float p, Tensor x) {
        return new Function(name) {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                Tensor xc = in[0];
                Tensor out = Tensor.empty(xc.shape());
                UnaryKernels.forward(fn, p, xc.data(), xc.offset(), out.data(), 0, out.numel());
                if (!UnaryKernels.backwardNeedsNothing(fn)) {
                    ctx.save(UnaryKernels.backwardFromOutput(fn) ? out : xc);
                }
                return out;
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                Tensor gc = g.contiguous();
                Tensor gx = Tensor.empty(gc.shape());
                Tensor v = UnaryKernels.backwardNeedsNothing(fn) ? gc : ctx.saved(0);
                UnaryKernels.backward(fn, p, gc.data(), gc.offset(), v.data(), v.offset(), gx.data(), gx.numel());
                return new Tensor[] {gx};
            }
        }.apply(x.contiguous());
    }
}
