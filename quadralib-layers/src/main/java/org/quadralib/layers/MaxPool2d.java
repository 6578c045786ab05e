package org.quadralib.layers;

import java.util.function.UnaryOperator;

import org.quadralib.core.F;

/**
 * 2-D max pooling, as PyTorch's {@code nn.MaxPool2d}: {@code y[n, c, i, j]} is the largest value in the
 * {@code kh×kw} window at {@code (i·sh − ph, j·sw − pw)} (padding never wins). Input {@code [N, C, H, W]}, output
 * {@code [N, C, (H + 2ph − kh)/sh + 1, (W + 2pw − kw)/sw + 1]}; the gradient goes to each window's winner.
 */
public class MaxPool2d extends Pool2d {

    /**
     * @throws IllegalArgumentException if a kernel size or stride is not positive, or a padding is negative or
     *     exceeds half the kernel
     */
    public MaxPool2d(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) {
        super(kernelH, kernelW, strideH, strideW, padH, padW, F::maxPool2d);
    }

    /** A square window with the given stride and padding. */
    public MaxPool2d(int kernel, int stride, int padding) {
        this(kernel, kernel, stride, stride, padding, padding);
    }

    /** A square window with stride equal to the window (PyTorch's default) and no padding. */
    public MaxPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    @Override
    public Module freshCopy(UnaryOperator<Module> copyChild) {
        int[] k = kernelSize();
        int[] st = stride();
        int[] p = padding();
        return new MaxPool2d(k[0], k[1], st[0], st[1], p[0], p[1]);
    }
}
