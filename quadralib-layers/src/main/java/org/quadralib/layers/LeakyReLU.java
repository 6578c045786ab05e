package org.quadralib.layers;

import java.util.function.UnaryOperator;

import org.quadralib.core.Tensor;

/**
 * Element-wise {@code x} for {@code x ≥ 0} and {@code slope·x} otherwise, as PyTorch's {@code nn.LeakyReLU}. Any
 * input shape; output has the input's shape.
 */
public class LeakyReLU extends Module {
    private final float negativeSlope;

    /** @throws IllegalArgumentException if the slope is not finite */
    public LeakyReLU(float negativeSlope) {
        if (!Float.isFinite(negativeSlope)) {
            throw new IllegalArgumentException("LeakyReLU: negative slope must be finite, got " + negativeSlope);
        }
        this.negativeSlope = negativeSlope;
    }

    /** PyTorch's default slope 0.01. */
    public LeakyReLU() {
        this(0.01f);
    }

    @Override
    protected Tensor compute(Tensor x) {
        return x.leakyRelu(negativeSlope);
    }

    /** The slope for negative inputs. */
    public float negativeSlope() {
        return negativeSlope;
    }

    @Override
    protected String extraRepr() {
        return "negative_slope=" + negativeSlope;
    }

    @Override
    public Module freshCopy(UnaryOperator<Module> copyChild) {
        return new LeakyReLU(negativeSlope());
    }
}
