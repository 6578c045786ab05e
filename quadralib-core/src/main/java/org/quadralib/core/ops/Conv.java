package org.quadralib.core.ops;

import org.quadralib.core.Function;
import org.quadralib.core.InferenceMode;
import org.quadralib.core.Shapes;
import org.quadralib.core.Tensor;
import org.quadralib.core.kernels.ConvKernels;

/** 2-D convolution (cross-correlation, as PyTorch) on NCHW tensors via im2col + GEMM. */
public final class Conv {

    private Conv() {
    }

    /**
     * {@code y[n, o, i, j] = b[o] + Σ_{c ∈ group(o), p, q} W[o, c, p, q] · x[n, c, i·sh − ph + p·dh, j·sw − pw + q·dw]}.
     *
     * <p>Shapes: x {@code [N, C, H, W]}, weight {@code [O, C/groups, kh, kw]}, bias {@code [O]} or null, output
     * {@code [N, O, (H + 2ph − dh(kh−1) − 1)/sh + 1, (W + 2pw − dw(kw−1) − 1)/sw + 1]}. Depthwise convolution is
     * {@code groups == C} with {@code O} a multiple of C. Backward saves x and the weight.
     *
     * @param stride {sh, sw}
     * @param padding {ph, pw}
     * @param dilation {dh, dw}
     * @throws IllegalArgumentException naming the shapes if x is not 4-D, channels do not match the weight or
     *     do not divide into groups, the bias is not [O], or the output would be empty
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        if (x.dim() != 4) {
            throw new IllegalArgumentException("conv2d: expected input [N, C, H, W], got " + Shapes.str(x.shape()));
        }
        if (weight.dim() != 4) {
            throw new IllegalArgumentException("conv2d: expected weight [O, C/groups, kh, kw], got " + Shapes.str(weight.shape()));
        }
        if (stride.length != 2 || padding.length != 2 || dilation.length != 2) {
            throw new IllegalArgumentException("conv2d: stride, padding and dilation take two values each");
        }
        int[] xs = x.shape();
        int[] ws = weight.shape();
        if (groups <= 0 || xs[1] % groups != 0 || ws[0] % groups != 0) {
            throw new IllegalArgumentException("conv2d: groups " + groups + " must divide input channels " + xs[1]
                    + " and output channels " + ws[0]);
        }
        if (ws[1] * groups != xs[1]) {
            throw new IllegalArgumentException("conv2d: weight " + Shapes.str(ws) + " with groups " + groups + " expects input [N, "
                    + ws[1] * groups + ", H, W], got " + Shapes.str(xs));
        }
        if (bias != null && (bias.dim() != 1 || bias.size(0) != ws[0])) {
            throw new IllegalArgumentException("conv2d: expected bias [" + ws[0] + "], got " + Shapes.str(bias.shape()));
        }
        ConvKernels.Geometry geo = new ConvKernels.Geometry(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], stride[0], stride[1],
                padding[0], padding[1], dilation[0], dilation[1], groups);
        Tensor xc = x.contiguous();
        Tensor wc = weight.contiguous();
        Tensor bc = bias == null ? null : bias.contiguous();
        ConvKernels.PackedWeight cached = InferenceMode.convWeight(geo, weight);
        Function conv = new Function("conv2d") {
            private int savedX = -1;
            private int savedW = -1;

            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                Tensor y = Tensor.empty(xs[0], ws[0], geo.outH(), geo.outW());
                ConvKernels.forward(geo, in[0].dataFromZero(), in[1].dataFromZero(), cached, in.length > 2 ? in[2].dataFromZero() : null,
                        y.data());
                savedX = ctx.needsInputGrad(1) ? ctx.save(in[0]) : -1;
                savedW = ctx.needsInputGrad(0) ? ctx.save(in[1]) : -1;
                return y;
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                boolean needB = bc != null && ctx.needsInputGrad(2);
                float[] gd = g.dataFromZero();
                Tensor gx = null;
                Tensor gw = null;
                Tensor gb = null;
                if (savedW >= 0) {
                    gx = Tensor.empty(xs);
                    ConvKernels.backwardInput(geo, gd, ctx.saved(savedW).dataFromZero(), gx.data());
                }
                if (savedX >= 0 || needB) {
                    gw = savedX < 0 ? null : Tensor.empty(ws);
                    gb = needB ? Tensor.empty(ws[0]) : null;
                    ConvKernels.backwardWeight(geo, gd, savedX < 0 ? null : ctx.saved(savedX).dataFromZero(),
                            gw == null ? null : gw.data(), gb == null ? null : gb.data());
                }
                return bc == null ? new Tensor[] {gx, gw} : new Tensor[] {gx, gw, gb};
            }
        };
        return bc == null ? conv.apply(xc, wc) : conv.apply(xc, wc, bc);
    }
}
