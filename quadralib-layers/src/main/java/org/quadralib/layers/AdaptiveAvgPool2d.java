package org.quadralib.layers;

import java.util.function.UnaryOperator;

import org.quadralib.core.F;
import org.quadralib.core.Tensor;

/**
 * Adaptive average pooling to a fixed output size, as PyTorch's {@code nn.AdaptiveAvgPool2d}: output cell
 * {@code (i, j)} averages input rows {@code ⌊i·H/oh⌋ .. ⌈(i+1)·H/oh⌉ − 1} and the matching columns. Input
 * {@code [N, C, H, W]}, output {@code [N, C, oh, ow]}; {@code (1, 1)} is global average pooling.
 */
public class AdaptiveAvgPool2d extends Module {
    private final int outH;
    private final int outW;

    /** @throws IllegalArgumentException if an output size is not positive */
    public AdaptiveAvgPool2d(int outH, int outW) {
        if (outH <= 0 || outW <= 0) {
            throw new IllegalArgumentException("AdaptiveAvgPool2d: output size must be positive, got " + outH + "x" + outW);
        }
        this.outH = outH;
        this.outW = outW;
    }

    /** A square output {@code size × size}. */
    public AdaptiveAvgPool2d(int size) {
        this(size, size);
    }

    /** @throws ShapeMismatchException naming this layer's path if the input is not 4-D */
    @Override
    protected Tensor compute(Tensor x) {
        expectShape(x.dim() == 4, "[N, C, H, W]", x);
        return F.adaptiveAvgPool2d(x, outH, outW);
    }

    /** {@code {oh, ow}}. */
    public int[] outputSize() {
        return new int[] {outH, outW};
    }

    @Override
    protected String extraRepr() {
        return "output_size=(" + outH + ", " + outW + ")";
    }

    @Override
    public Module freshCopy(UnaryOperator<Module> copyChild) {
        return new AdaptiveAvgPool2d(outputSize()[0], outputSize()[1]);
    }
}
