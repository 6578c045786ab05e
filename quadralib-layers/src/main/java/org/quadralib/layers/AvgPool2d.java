package org.quadralib.layers;

import java.util.function.UnaryOperator;

import org.quadralib.core.F;

/**
 * 2-D average pooling, as PyTorch's {@code nn.AvgPool2d} with {@code count_include_pad=True}: {@code y[n, c, i, j]}
 * is the sum of the {@code kh×kw} window at {@code (i·sh − ph, j·sw − pw)} divided by {@code kh·kw} (padded zeros
 * included). Input {@code [N, C, H, W]}, output {@code [N, C, (H + 2ph − kh)/sh + 1, (W + 2pw − kw)/sw + 1]}.
 */
public class AvgPool2d extends Pool2d {

    /**
     * @throws IllegalArgumentException if a kernel size or stride is not positive, or a padding is negative or
     *     exceeds half the kernel
     */
    public AvgPool2d(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) {
        super(kernelH, kernelW, strideH, strideW, padH, padW, F::avgPool2d);
    }

    /** A square window with the given stride and padding. */
    public AvgPool2d(int kernel, int stride, int padding) {
        this(kernel, kernel, stride, stride, padding, padding);
    }

    /** A square window with stride equal to the window (PyTorch's default) and no padding. */
    public AvgPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    @Override
    public Module freshCopy(UnaryOperator<Module> copyChild) {
        int[] k = kernelSize();
        int[] st = stride();
        int[] p = padding();
        return new AvgPool2d(k[0], k[1], st[0], st[1], p[0], p[1]);
    }
}
