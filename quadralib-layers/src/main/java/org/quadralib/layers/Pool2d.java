package org.quadralib.layers;

import org.quadralib.core.Tensor;

/**
 * The window, stride and padding shared by {@link MaxPool2d} and {@link AvgPool2d}. Input {@code [N, C, H, W]},
 * output {@code [N, C, (H + 2ph − kh)/sh + 1, (W + 2pw − kw)/sw + 1]}.
 */
public abstract class Pool2d extends Module {
    private final int kernelH;
    private final int kernelW;
    private final int strideH;
    private final int strideW;
    private final int padH;
    private final int padW;
    private final Op op;

    /** A pooling op of {@link org.quadralib.core.F}: input, window, stride, padding. */
    @FunctionalInterface
    protected interface Op {
        /** Pools {@code x} with window {@code kh×kw}, stride {@code sh×sw}, padding {@code ph×pw}. */
        Tensor apply(Tensor x, int kh, int kw, int sh, int sw, int ph, int pw);
    }

    /**
     * @throws IllegalArgumentException naming the layer type if a kernel size or stride is not positive, or a
     *     padding is negative or exceeds half the kernel (PyTorch's rule)
     */
    protected Pool2d(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW, Op op) {
        if (kernelH <= 0 || kernelW <= 0 || strideH <= 0 || strideW <= 0 || padH < 0 || padW < 0 || 2 * padH > kernelH
                || 2 * padW > kernelW) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": kernel " + kernelH + "x" + kernelW + " and stride "
                    + strideH + "x" + strideW + " must be positive, padding " + padH + "x" + padW
                    + " non-negative and at most half the kernel");
        }
        this.kernelH = kernelH;
        this.kernelW = kernelW;
        this.strideH = strideH;
        this.strideW = strideW;
        this.padH = padH;
        this.padW = padW;
        this.op = op;
    }

    /** @throws ShapeMismatchException naming this layer's path if the input is not 4-D or smaller than the window */
    @Override
    protected final Tensor compute(Tensor x) {
        int minH = Math.max(1, kernelH - 2 * padH);
        int minW = Math.max(1, kernelW - 2 * padW);
        expectShape(x.dim() == 4 && x.size(2) >= minH && x.size(3) >= minW,
                "[N, C, " + (minH > 1 ? "H≥" + minH : "H") + ", " + (minW > 1 ? "W≥" + minW : "W") + "]", x);
        return op.apply(x, kernelH, kernelW, strideH, strideW, padH, padW);
    }

    /** {@code {kh, kw}}. */
    public int[] kernelSize() {
        return new int[] {kernelH, kernelW};
    }

    /** {@code {sh, sw}}. */
    public int[] stride() {
        return new int[] {strideH, strideW};
    }

    /** {@code {ph, pw}}. */
    public int[] padding() {
        return new int[] {padH, padW};
    }

    /** Output height for input height {@code h}. */
    public int outHeight(int h) {
        return (h + 2 * padH - kernelH) / strideH + 1;
    }

    /** Output width for input width {@code w}. */
    public int outWidth(int w) {
        return (w + 2 * padW - kernelW) / strideW + 1;
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=(" + kernelH + ", " + kernelW + "), stride=(" + strideH + ", " + strideW + "), padding=(" + padH + ", "
                + padW + ")";
    }
}
