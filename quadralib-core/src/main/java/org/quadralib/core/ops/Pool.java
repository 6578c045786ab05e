package org.quadralib.core.ops;

import org.quadralib.core.Function;
import org.quadralib.core.Shapes;
import org.quadralib.core.Tensor;
import org.quadralib.core.kernels.PoolKernels;

/** 2-D pooling on NCHW tensors. */
public final class Pool {

    private Pool() {
    }

    /**
     * Max pooling: {@code y[n,c,i,j] = max over the kh×kw window at (i·sh − ph, j·sw − pw)}; output
     * {@code [N, C, (H+2ph−kh)/sh+1, (W+2pw−kw)/sw+1]}. The gradient goes to the winning cell.
     *
     * @throws IllegalArgumentException if the input is not 4-D, a size is not positive, padding exceeds half the
     *     window, or the output would be empty
     */
    public static Tensor maxPool2d(Tensor x, int kh, int kw, int sh, int sw, int ph, int pw) {
        int[] s = check("max_pool2d", x, kh, kw, sh, sw, ph, pw);
        int oh = PoolKernels.outSize(s[2], kh, sh, ph);
        int ow = PoolKernels.outSize(s[3], kw, sw, pw);
        int planes = s[0] * s[1];
        return new Function("max_pool2d") {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                Tensor y = Tensor.empty(s[0], s[1], oh, ow);
                // Without a gradient to route, the winners' indices are neither searched for nor stored.
                Tensor idx = ctx.recordsGraph() ? Tensor.empty(s[0], s[1], oh, ow) : null;
                PoolKernels.maxForward(in[0].dataFromZero(), planes, s[2], s[3], kh, kw, sh, sw, ph, pw, y.data(),
                        idx == null ? null : idx.data());
                if (idx != null) {
                    ctx.save(idx);
                }
                return y;
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                Tensor gc = g.contiguous();
                Tensor gx = Tensor.zeros(s);
                PoolKernels.maxBackward(gc.dataFromZero(), ctx.saved(0).data(), planes, s[2], s[3], oh, ow, gx.data());
                return new Tensor[] {gx};
            }
        }.apply(x.contiguous());
    }

    /**
     * Average pooling with zero padding counted in the divisor (PyTorch's default).
     *
     * @throws IllegalArgumentException as {@link #maxPool2d}
     */
    public static Tensor avgPool2d(Tensor x, int kh, int kw, int sh, int sw, int ph, int pw) {
        int[] s = check("avg_pool2d", x, kh, kw, sh, sw, ph, pw);
        int oh = PoolKernels.outSize(s[2], kh, sh, ph);
        int ow = PoolKernels.outSize(s[3], kw, sw, pw);
        int planes = s[0] * s[1];
        return new Function("avg_pool2d") {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                Tensor y = Tensor.empty(s[0], s[1], oh, ow);
                PoolKernels.avgForward(in[0].dataFromZero(), planes, s[2], s[3], kh, kw, sh, sw, ph, pw, y.data());
                return y;
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                Tensor gc = g.contiguous();
                Tensor gx = Tensor.zeros(s);
                PoolKernels.avgBackward(gc.dataFromZero(), planes, s[2], s[3], kh, kw, sh, sw, ph, pw, gx.data());
                return new Tensor[] {gx};
            }
        }.apply(x.contiguous());
    }

    /**
     * Adaptive average pooling to {@code [N, C, oh, ow]}.
     *
     * @throws IllegalArgumentException if the input is not 4-D or an output size is not positive
     */
    public static Tensor adaptiveAvgPool2d(Tensor x, int oh, int ow) {
        if (x.dim() != 4 || oh <= 0 || ow <= 0) {
            throw new IllegalArgumentException("adaptive_avg_pool2d: expected input [N, C, H, W] and positive output size, got "
                    + Shapes.str(x.shape()) + " -> " + oh + "x" + ow);
        }
        int[] s = x.shape();
        int planes = s[0] * s[1];
        return new Function("adaptive_avg_pool2d") {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                Tensor y = Tensor.empty(s[0], s[1], oh, ow);
                PoolKernels.adaptiveAvgForward(in[0].dataFromZero(), planes, s[2], s[3], oh, ow, y.data());
                return y;
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                Tensor gc = g.contiguous();
                Tensor gx = Tensor.zeros(s);
                PoolKernels.adaptiveAvgBackward(gc.dataFromZero(), planes, s[2], s[3], oh, ow, gx.data());
                return new Tensor[] {gx};
            }
        }.apply(x.contiguous());
    }

    private static int[] check(String op, Tensor x, int kh, int kw, int sh, int sw, int ph, int pw) {
        if (x.dim() != 4) {
            throw new IllegalArgumentException(op + ": expected input [N, C, H, W], got " + Shapes.str(x.shape()));
        }
        if (kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0 || ph < 0 || pw < 0) {
            throw new IllegalArgumentException(op + ": kernel " + kh + "x" + kw + ", stride " + sh + "x" + sw + ", padding " + ph
                    + "x" + pw + " must be positive (padding non-negative)");
        }
        if (2 * ph > kh || 2 * pw > kw) {
            throw new IllegalArgumentException(op + ": padding " + ph + "x" + pw + " must be at most half the kernel " + kh + "x" + kw);
        }
        int[] s = x.shape();
        if (PoolKernels.outSize(s[2], kh, sh, ph) <= 0 || PoolKernels.outSize(s[3], kw, sw, pw) <= 0) {
            throw new IllegalArgumentException(op + ": input " + Shapes.str(s) + " is smaller than the kernel " + kh + "x" + kw);
        }
        return s;
    }
}
