package org.quadralib.layers.train;

import java.util.Map;

/**
 * The figures of one completed epoch.
 *
 * @param epoch              the epoch, from 0
 * @param trainLoss          the mean training loss per sample over the epoch (NaN once it diverged)
 * @param trainAccuracy      the fraction of training samples predicted right during the epoch, in [0, 1]
 * @param validationLoss     the mean validation loss per sample after the epoch, or NaN without validation data
 * @param validationAccuracy the validation accuracy after the epoch, in [0, 1], or NaN without validation data
 * @param seconds            the wall-clock time of the epoch's training steps, validation excluded
 * @param stepMillisMedian   the median wall-clock time of one training step, in milliseconds
 * @param learningRates      the learning rate of each parameter group (by group name) in force for the last
 *                           step of the epoch; unmodifiable, in group order
 */
public record EpochRecord(int epoch, double trainLoss, double trainAccuracy, double validationLoss,
                          double validationAccuracy, double seconds, double stepMillisMedian,
                          Map<String, Float> learningRates) {

    /** Copies the learning-rate map so the record stays immutable. */
    public EpochRecord {
        learningRates = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(learningRates));
    }

    /** True when validation figures were measured. */
    public boolean hasValidation() {
        return !Double.isNaN(validationAccuracy);
    }
}
