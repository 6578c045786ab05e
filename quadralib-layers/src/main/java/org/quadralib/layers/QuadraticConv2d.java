package org.quadralib.layers;

import java.util.function.UnaryOperator;

import org.quadralib.core.F;
import org.quadralib.core.Tensor;
import org.quadralib.core.kernels.ConvKernels;

/**
 * A 2-D convolution of quadratic neurons over NCHW images: every output pixel applies the formula of its
 * {@link NeuronType} to the input patch under the kernel window (for PROPOSED
 * {@code y = (W_a ⋆ x)∘(W_b ⋆ x) + W_c ⋆ x + b}), with stride, zero padding, dilation and channel groups
 * (depthwise when {@code groups = in}) as {@link Conv2d}.
 *
 * <p>Shapes: input {@code [N, in, H, W]}; output {@code [N, out, oH, oW]} with {@code oH = (H + 2ph − dh(kh−1) − 1)/sh + 1}
 * (likewise oW); every weight {@code [out, in/groups, kh, kw]} in PyTorch's layout; T1's and T1_2's quadratic form
 * {@code W_a [out, n, n]} over the patch of {@code n = in/groups·kh·kw} values in {@code unfold} order
 * {@code (channel, ky, kx)}; biases {@code [out]}. Branch norms are {@link BatchNorm2d}.
 *
 * <p>Computation, back-propagation modes, masking and parameter names: see {@link QuadraticLayer} and
 * {@link NeuronType}.
 */
public class QuadraticConv2d extends QuadraticLayer {
    private final Conv2d.Config config;

    /**
     * A quadratic twin of the convolution {@code config} describes.
     *
     * @throws IllegalArgumentException naming the layer if {@code options.bias()} differs from {@code config.bias()},
     *     the options do not fit the type (see {@link QuadraticOptions}), or T1/T1_2's {@code out·n²} exceeds
     *     {@link #MAX_QUADRATIC_FORM_WEIGHTS}
     */
    public QuadraticConv2d(Conv2d.Config config, NeuronType type, QuadraticOptions options) {
        super(spec(config, type, options), type, options, config.outChannels(), config.groups(), config.fanIn(),
                new int[] {config.outChannels(), config.inChannels() / config.groups(), config.kernelH(), config.kernelW()},
                BatchNorm2d::new);
        this.config = config;
    }

    /**
     * A square-kernel layer; the bias follows {@code options.bias()}.
     *
     * @throws IllegalArgumentException naming the values if a size, stride, dilation or groups is not positive, a
     *     padding is negative, the channels are not divisible by groups, or as
     *     {@link #QuadraticConv2d(Conv2d.Config, NeuronType, QuadraticOptions)}
     */
    public QuadraticConv2d(int in, int out, int kernel, int stride, int padding, int dilation, int groups, NeuronType type,
            QuadraticOptions options) {
        this(Conv2d.Config.of(in, out, kernel, stride, padding, dilation, groups, options.bias()), type, options);
    }

    /** A square-kernel layer without dilation or groups, with {@link QuadraticOptions#DEFAULT} options. */
    public QuadraticConv2d(int in, int out, int kernel, int stride, int padding, NeuronType type) {
        this(in, out, kernel, stride, padding, 1, 1, type, QuadraticOptions.DEFAULT);
    }

    private static String spec(Conv2d.Config c, NeuronType type, QuadraticOptions options) {
        String spec = "QuadraticConv2d(" + c.inChannels() + ", " + c.outChannels() + ", kernel=" + c.kernelH() + "x" + c.kernelW()
                + ", groups=" + c.groups() + ", " + type + ")";
        if (c.bias() != options.bias()) {
            throw new IllegalArgumentException(spec + ": config has bias=" + c.bias() + " but options have bias=" + options.bias());
        }
        return spec;
    }

    /**
     * @throws ShapeMismatchException naming this layer's path, the expected {@code [N, in, H, W]} (with the smallest
     *     H and W the kernel fits in, when that exceeds 1) and the actual shape
     */
    @Override
    QuadraticProjection projection(Tensor x) {
        Conv2d.Config c = config;
        int minH = Math.max(1, c.dilationH() * (c.kernelH() - 1) + 1 - 2 * c.padH());
        int minW = Math.max(1, c.dilationW() * (c.kernelW() - 1) + 1 - 2 * c.padW());
        expectShape(x.dim() == 4 && x.size(1) == c.inChannels() && x.size(2) >= minH && x.size(3) >= minW,
                "[N, " + c.inChannels() + ", " + (minH > 1 ? "H≥" + minH : "H") + ", " + (minW > 1 ? "W≥" + minW : "W") + "]", x);
        return new QuadraticProjection.Conv(new ConvKernels.Geometry(x.size(0), c.inChannels(), x.size(2), x.size(3), c.outChannels(),
                c.kernelH(), c.kernelW(), c.strideH(), c.strideW(), c.padH(), c.padW(), c.dilationH(), c.dilationW(), c.groups()));
    }

    @Override
    int[] outputShape(Tensor x, QuadraticProjection p) {
        return new int[] {x.size(0), config.outChannels(), config.outHeight(x.size(2)), config.outWidth(x.size(3))};
    }

    @Override
    Tensor standardInput(Tensor x) {
        return x;
    }

    @Override
    Tensor standardProject(Tensor input, Tensor stackedWeight, int rowsPerGroup) {
        Conv2d.Config c = config;
        Tensor w = stackedWeight.reshape(c.groups() * rowsPerGroup, c.inChannels() / c.groups(), c.kernelH(), c.kernelW());
        return F.conv2d(input, w, null, new int[] {c.strideH(), c.strideW()}, new int[] {c.padH(), c.padW()},
                new int[] {c.dilationH(), c.dilationW()}, c.groups());
    }

    @Override
    int[] standardShape(Tensor input, QuadraticProjection p) {
        return outputShape(input, p);
    }

    @Override
    Tensor perChannel(Tensor v) {
        return v.reshape(1, config.outChannels(), 1, 1);
    }

    /** The convolution's configuration (its bias flag is the layer's). */
    public Conv2d.Config config() {
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

    @Override
    protected String extraRepr() {
        Conv2d.Config c = config;
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
        return sb.append(", ").append(quadraticRepr()).toString();
    }

    @Override
    public Module freshCopy(UnaryOperator<Module> copyChild) {
        return new QuadraticConv2d(config(), neuronType(), options()).quadraticTermMasked(quadraticTermMasked());
    }
}
