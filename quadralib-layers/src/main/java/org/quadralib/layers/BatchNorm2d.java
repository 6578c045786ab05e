package org.quadralib.layers;

import java.util.function.UnaryOperator;

/**
 * Batch normalisation of {@code [N, C, H, W]} inputs, as PyTorch's {@code nn.BatchNorm2d}; formula, state and
 * training behaviour are described on {@link BatchNorm}.
 */
public class BatchNorm2d extends BatchNorm {

    /**
     * @throws IllegalArgumentException if {@code numFeatures} or {@code eps} is not positive or the momentum is
     *     outside [0, 1]
     */
    public BatchNorm2d(int numFeatures, float eps, float momentum, boolean affine) {
        super(numFeatures, eps, momentum, affine);
    }

    /** PyTorch's defaults: eps 1e-5, momentum 0.1, affine. */
    public BatchNorm2d(int numFeatures) {
        this(numFeatures, DEFAULT_EPS, DEFAULT_MOMENTUM, true);
    }

    @Override
    protected boolean acceptsRank(int rank) {
        return rank == 4;
    }

    @Override
    protected String expectedShape() {
        return "[N, " + numFeatures() + ", H, W]";
    }

    @Override
    public Module freshCopy(UnaryOperator<Module> copyChild) {
        return new BatchNorm2d(numFeatures(), eps(), momentum(), weight() != null);
    }
}
