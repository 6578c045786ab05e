package org.quadralib.layers;

import java.util.function.UnaryOperator;

import org.quadralib.core.F;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;

/**
 * Inverted dropout, as PyTorch's {@code nn.Dropout}: in training each element is zeroed with probability p and the
 * others scaled by {@code 1/(1 − p)}, so the expectation is unchanged; in evaluation the identity. Any input shape.
 *
 * <p>The mask comes from the layer's own generator, forked from {@link Init#rng()} at construction: a model built
 * after {@link Init#manualSeed} drops the same elements on every run.
 */
public class Dropout extends Module {
    private final float p;
    private final Rng rng;

    /** @throws IllegalArgumentException if {@code p} is outside [0, 1) */
    public Dropout(float p) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("Dropout: probability must be in [0, 1), got " + p);
        }
        this.p = p;
        this.rng = Init.rng().fork();
    }

    /** PyTorch's default p = 0.5. */
    public Dropout() {
        this(0.5f);
    }

    @Override
    protected Tensor compute(Tensor x) {
        return F.dropout(x, p, isTraining(), rng);
    }

    /** The drop probability. */
    public float p() {
        return p;
    }

    /** The mask generator; its {@link Rng#state()} belongs in a training checkpoint. */
    public Rng rng() {
        return rng;
    }

    @Override
    protected String extraRepr() {
        return "p=" + p;
    }

    @Override
    public Module freshCopy(UnaryOperator<Module> copyChild) {
        return new Dropout(p());
    }
}
