package org.quadralib.autobuild;

import java.util.Locale;
import java.util.Objects;

/**
 * A ceiling on one cost of a model, for {@link Explorer#explore}.
 *
 * @param measure what is limited
 * @param limit the ceiling (parameter elements, MACs per sample, or bytes)
 * @param batchSize for {@link Measure#TRAINING_MEMORY}: the training batch the memory is predicted for; 1 otherwise
 */
public record Budget(Measure measure, long limit, int batchSize) {

    /** The cost a budget limits. */
    public enum Measure {
        /** Parameter elements of the model. */
        PARAMETERS,
        /** Multiply-accumulates per input sample ({@link Macs}). */
        MACS,
        /**
         * Predicted training memory at the budget's batch size: weights and gradients plus the activations saved for
         * backward ({@link Summary#predictedTrainingBytes(int)}); optimizer state not included.
         */
        TRAINING_MEMORY
    }

    /**
     * @throws NullPointerException if {@code measure} is null
     * @throws IllegalArgumentException if the limit or the batch size is not positive
     */
    public Budget {
        Objects.requireNonNull(measure, "measure");
        if (limit <= 0 || batchSize <= 0) {
            throw new IllegalArgumentException("Budget: limit and batch size must be positive, got " + limit + " and " + batchSize);
        }
    }

    /** At most {@code max} parameter elements. */
    public static Budget parameters(long max) {
        return new Budget(Measure.PARAMETERS, max, 1);
    }

    /** At most {@code max} MACs per input sample. */
    public static Budget macs(long max) {
        return new Budget(Measure.MACS, max, 1);
    }

    /** At most {@code maxBytes} of predicted training memory when training with batches of {@code batchSize}. */
    public static Budget trainingMemory(long maxBytes, int batchSize) {
        return new Budget(Measure.TRAINING_MEMORY, maxBytes, batchSize);
    }

    /** The model's cost by this budget's measure, from its summary (MACs divided by the summary's batch size). */
    long cost(Summary s) {
        return switch (measure) {
            case PARAMETERS -> s.totalParams();
            case MACS -> s.totalMacs() / s.inputShape()[0];
            case TRAINING_MEMORY -> s.predictedTrainingBytes(batchSize);
        };
    }

    /** {@code 1,200,000 parameters}, {@code 3,000,000 MACs per sample}, {@code 50,000,000 bytes of training memory at batch 128}. */
    @Override
    public String toString() {
        String n = String.format(Locale.ROOT, "%,d", limit);
        return switch (measure) {
            case PARAMETERS -> n + " parameters";
            case MACS -> n + " MACs per sample";
            case TRAINING_MEMORY -> n + " bytes of training memory at batch " + batchSize;
        };
    }
}
