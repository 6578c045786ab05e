package org.quadralib.layers.train;

import org.quadralib.core.F;
import org.quadralib.core.Tensor;

/**
 * The training objective: a scalar tensor to back-propagate, computed from a model's output and the batch's
 * class labels. It must be the mean over the batch (the trainer weights it by the batch size to average over
 * an epoch).
 */
@FunctionalInterface
public interface Loss {

    /** Cross-entropy over logits {@code [B, C]}: {@code mean_i(logsumexp(x_i) − x_i[y_i])}, as {@link F#crossEntropy}. */
    Loss CROSS_ENTROPY = F::crossEntropy;

    /**
     * The mean loss of one batch.
     *
     * @param output the model's output, {@code [B, C]} logits for the built-in loss
     * @param labels the {@code B} class indices
     * @return a one-element tensor connected to the model's parameters
     * @throws IllegalArgumentException (or a subclass) if the shapes do not fit the labels
     */
    Tensor compute(Tensor output, int[] labels);
}
