package org.quadralib.layers;

import java.util.function.UnaryOperator;

import org.quadralib.core.F;
import org.quadralib.core.Shapes;
import org.quadralib.core.Tensor;

/**
 * 2-D convolution over NCHW images, as PyTorch's {@code nn.Conv2d}:
 * {@code y[n, o, i, j] = b[o] + Σ_{c ∈ group(o), p, q} W[o, c, p, q] · x[n, c, i·sh − ph + p·dh, j·sw − pw + q·dw]}.
 *
 * <p>Input {@code [N, in, H, W]}; weight {@code [out, in/groups, kh, kw]}; bias {@code [out]}; output
 * {@code [N, out, (H + 2ph − dh(kh−1) − 1)/sh + 1, (W + 2pw − dw(kw−1) − 1)/sw + 1]}. With {@code groups = in}
 * the convolution is depthwise. Initialised as PyTorch does: weight and bias U(−1/√fanIn, 1/√fanIn) with
 * {@code fanIn = in/groups·kh·kw}.
 */
public class Conv2d extends Module {

    /**
     * The configuration of a convolution; a quadratic twin is built from the same record.
     *
     * @param inChannels input channels, divisible by {@code groups}
     * @param outChannels output channels, divisible by {@code groups}
     * @param kernelH kernel height
     * @param kernelW kernel width
     * @param strideH vertical stride
     * @param strideW horizontal stride
     * @param padH zero padding above and below
     * @param padW zero padding left and right
     * @param dilationH vertical spacing of kernel taps
     * @param dilationW horizontal spacing of kernel taps
     * @param groups channel groups ({@code in} for depthwise)
     * @param bias whether the layer has a bias
     */
    public record Config(int inChannels, int outChannels, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW,
            int dilationH, int dilationW, int groups, boolean bias) {

        /**
         * @throws IllegalArgumentException naming the offending values if a size, stride, dilation or groups is not
         *     positive, a padding is negative, or the channels are not divisible by groups
         */
        public Config {
            if (inChannels <= 0 || outChannels <= 0 || kernelH <= 0 || kernelW <= 0) {
                throw new IllegalArgumentException("Conv2d: channels and kernel must be positive, got in=" + inChannels + ", out="
                        + outChannels + ", kernel=" + kernelH + "x" + kernelW);
            }
            if (strideH <= 0 || strideW <= 0 || dilationH <= 0 || dilationW <= 0 || padH < 0 || padW < 0) {
                throw new IllegalArgumentException("Conv2d: stride and dilation must be positive and padding non-negative, got stride="
                        + strideH + "x" + strideW + ", padding=" + padH + "x" + padW + ", dilation=" + dilationH + "x" + dilationW);
            }
            if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0) {
                throw new IllegalArgumentException("Conv2d: in=" + inChannels + " and out=" + outChannels
                        + " must be divisible by groups=" + groups);
            }
        }

        /** A square kernel with equal stride, padding and dilation on both axes. */
        public static Config of(int in, int out, int kernel, int stride, int padding, int dilation, int groups, boolean bias) {
            return new Config(in, out, kernel, kernel, stride, stride, padding, padding, dilation, dilation, groups, bias);
        }

        /** A square kernel, no dilation, one group, with a bias. */
        public static Config of(int in, int out, int kernel, int stride, int padding) {
            return of(in, out, kernel, stride, padding, 1, 1, true);
        }

        /** {@code in/groups · kh · kw}: the number of inputs each output sums over. */
        public int fanIn() {
            return inChannels / groups * kernelH * kernelW;
        }

        /** Output height for input height {@code h} (may be ≤ 0 when the input is too small). */
        public int outHeight(int h) {
            return (h + 2 * padH - dilationH * (kernelH - 1) - 1) / strideH + 1;
        }

        /** Output width for input width {@code w} (may be ≤ 0 when the input is too small). */
        public int outWidth(int w) {
            return (w + 2 * padW - dilationW * (kernelW - 1) - 1) / strideW + 1;
        }
    }

    private final Config config;
    private final Tensor weight;
    private final Tensor bias;

    /**
     * A convolution with the given configuration.
     *
     * @throws IllegalArgumentException see {@link Config}
     */
    public Conv2d(Config config) {
        this.config = config;
        this.weight = registerParameter("weight",
                parameterTensor(config.outChannels(), config.inChannels() / config.groups(), config.kernelH(), config.kernelW()));
        this.bias = config.bias() ? registerParameter("bias", parameterTensor(config.outChannels())) : null;
        Init.pytorchDefault(weight, bias, config.fanIn());
    }

    /** A square-kernel convolution; see {@link Config#of(int, int, int, int, int, int, int, boolean)}. */
    public Conv2d(int in, int out, int kernel, int stride, int padding, int dilation, int groups, boolean bias) {
        this(Config.of(in, out, kernel, stride, padding, dilation, groups, bias));
    }

    /** A square-kernel convolution with a bias, no dilation and one group. */
    public Conv2d(int in, int out, int kernel, int stride, int padding) {
        this(Config.of(in, out, kernel, stride, padding));
    }

    /** A square-kernel convolution with stride 1, no padding and a bias. */
    public Conv2d(int in, int out, int kernel) {
        this(Config.of(in, out, kernel, 1, 0));
    }

    /**
     * @throws ShapeMismatchException naming this layer's path, the expected {@code [N, in, H, W]} (with the
     *     smallest H and W the kernel fits in, when that exceeds 1) and the actual shape
     */
    @Override
    protected Tensor compute(Tensor x) {
        Config c = config;
        int minH = Math.max(1, c.dilationH() * (c.kernelH() - 1) + 1 - 2 * c.padH());
        int minW = Math.max(1, c.dilationW() * (c.kernelW() - 1) + 1 - 2 * c.padW());
        expectShape(x.dim() == 4 && x.size(1) == c.inChannels() && x.size(2) >= minH && x.size(3) >= minW,
                "[N, " + c.inChannels() + ", " + (minH > 1 ? "H≥" + minH : "H") + ", " + (minW > 1 ? "W≥" + minW : "W") + "]", x);
        return F.conv2d(x, weight, bias, new int[] {c.strideH(), c.strideW()}, new int[] {c.padH(), c.padW()},
                new int[] {c.dilationH(), c.dilationW()}, c.groups());
    }

    /** The configuration. */
    public Config config() {
        return config;
    }

    /** Input channels. */
    public int inChannels() {
        return config.inChannels();
    }

    /** Output channels. */
    public int outChannels() {
        return config.outChannels();
    }

    /** {@code {kh, kw}}. */
    public int[] kernelSize() {
        return new int[] {config.kernelH(), config.kernelW()};
    }

    /** {@code {sh, sw}}. */
    public int[] stride() {
        return new int[] {config.strideH(), config.strideW()};
    }

    /** {@code {ph, pw}}. */
    public int[] padding() {
        return new int[] {config.padH(), config.padW()};
    }

    /** {@code {dh, dw}}. */
    public int[] dilation() {
        return new int[] {config.dilationH(), config.dilationW()};
    }

    /** Channel groups. */
    public int groups() {
        return config.groups();
    }

    /** The weight {@code [out, in/groups, kh, kw]}. */
    public Tensor weight() {
        return weight;
    }

    /** The bias {@code [out]}, or null. */
    public Tensor bias() {
        return bias;
    }

    /** PyTorch's form: {@code 3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False}. */
    @Override
    protected String extraRepr() {
        Config c = config;
        StringBuilder sb = new StringBuilder();
        sb.append(c.inChannels()).append(", ").append(c.outChannels()).append(", kernel_size=(").append(c.kernelH()).append(", ")
                .append(c.kernelW()).append("), stride=(").append(c.strideH()).append(", ").append(c.strideW()).append(')');
        if (c.padH() != 0 || c.padW() != 0) {
            sb.append(", padding=(").append(c.padH()).append(", ").append(c.padW()).append(')');
        }
        if (c.dilationH() != 1 || c.dilationW() != 1) {
            sb.append(", dilation=(").append(c.dilationH()).append(", ").append(c.dilationW()).append(')');
        }
        if (c.groups() != 1) {
            sb.append(", groups=").append(c.groups());
        }
        if (!c.bias()) {
            sb.append(", bias=False");
        }
        return sb.toString();
    }

    @Override
    public Module freshCopy(UnaryOperator<Module> copyChild) {
        return new Conv2d(config());
    }

    /** {@code numel(output)·in/groups·kh·kw}: one MAC per weight use. */
    @Override
    public long macs(int[] inputShape, int[] outputShape) {
        return (long) Shapes.numel(outputShape) * config().fanIn();
    }
}
