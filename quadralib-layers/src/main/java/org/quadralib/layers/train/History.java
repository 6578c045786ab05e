package org.quadralib.layers.train;

import java.util.List;

/**
 * What {@link Trainer#fit} returns: one {@link EpochRecord} per completed epoch (for a resumed run, the epochs
 * completed before the checkpoint too), the epoch the fit stopped in the middle of, if any, the number of optimizer
 * steps taken and why training ended.
 *
 * <p>A fit that stops mid-epoch ({@link Trainer.Config#withMaxSteps}, or a listener's stop request during an epoch)
 * reports the batches of that epoch it did train on as {@link #partialEpoch()}: their mean loss and accuracy, their
 * step times, and the validation figures of the model as the fit left it. It is not among {@link #epochs()}, which
 * holds whole epochs only (so a resumed run's history has each epoch once), but {@link #last()} returns it: the
 * figures of the model the fit ended with.
 *
 * @param epochs       the completed epochs, in order; unmodifiable
 * @param partialEpoch the epoch the fit stopped in the middle of, with the figures of the batches trained; null when
 *                     the fit stopped between epochs
 * @param steps        the optimizer steps taken in total, those before a resumed checkpoint included
 * @param stopReason   why the loop ended
 */
public record History(List<EpochRecord> epochs, EpochRecord partialEpoch, long steps, StopReason stopReason) {

    /** Why a fit ended. */
    public enum StopReason {
        /** Every requested epoch ran. */
        COMPLETED,
        /** A listener (such as {@link EarlyStopping}) asked to stop. */
        REQUESTED,
        /** The configured maximum number of steps was reached, possibly mid-epoch. */
        MAX_STEPS,
        /** A step's loss or gradient was not finite and the trainer's {@link NonFinitePolicy} is STOP. */
        NON_FINITE
    }

    /** Copies the list so the history stays immutable. */
    public History {
        epochs = List.copyOf(epochs);
    }

    /**
     * The figures of the model the fit ended with: the {@link #partialEpoch()} when the fit stopped mid-epoch, else
     * the last completed epoch.
     *
     * @throws IllegalStateException if the fit trained on no batch at all (a resumed run whose checkpoint had
     *                               already reached the step limit and completed no epoch)
     */
    public EpochRecord last() {
        if (partialEpoch != null) {
            return partialEpoch;
        }
        if (epochs.isEmpty()) {
            throw new IllegalStateException("History: no batch trained (" + steps + " steps, " + stopReason + ")");
        }
        return epochs.get(epochs.size() - 1);
    }

    /** The mean training loss of each epoch, in order. */
    public double[] trainLoss() {
        return epochs.stream().mapToDouble(EpochRecord::trainLoss).toArray();
    }

    /** The training accuracy of each epoch, in order. */
    public double[] trainAccuracy() {
        return epochs.stream().mapToDouble(EpochRecord::trainAccuracy).toArray();
    }

    /** The validation loss after each epoch (NaN where there was none), in order. */
    public double[] validationLoss() {
        return epochs.stream().mapToDouble(EpochRecord::validationLoss).toArray();
    }

    /** The validation accuracy after each epoch (NaN where there was none), in order. */
    public double[] validationAccuracy() {
        return epochs.stream().mapToDouble(EpochRecord::validationAccuracy).toArray();
    }

    /** True if any epoch's training or validation loss is NaN or infinite: training diverged. */
    public boolean diverged() {
        for (EpochRecord e : epochs) {
            if (!Double.isFinite(e.trainLoss()) || e.hasValidation() && !Double.isFinite(e.validationLoss())) {
                return true;
            }
        }
        return false;
    }
}
