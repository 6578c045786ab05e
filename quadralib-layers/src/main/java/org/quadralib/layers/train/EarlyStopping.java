package org.quadralib.layers.train;

import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops training when a validation metric has not improved for {@code patience} epochs in a row. An epoch
 * improves when its value beats the best so far by more than {@code minDelta} (lower loss, higher accuracy).
 * Its state is rebuilt from the history when a fit starts, so a resumed run stops where the uninterrupted one
 * would.
 */
public final class EarlyStopping implements TrainingListener {

    private static final Logger LOG = LoggerFactory.getLogger(EarlyStopping.class);

    /** The watched metric. */
    public enum Metric {
        /** Validation loss; lower is better. */
        VALIDATION_LOSS,
        /** Validation accuracy; higher is better. */
        VALIDATION_ACCURACY
    }

    private final Metric metric;
    private final int patience;
    private final double minDelta;
    private double best;
    private int epochsWithoutImprovement;

    /**
     * @throws IllegalArgumentException if {@code patience} is not positive or {@code minDelta} is negative or NaN
     */
    public EarlyStopping(Metric metric, int patience, double minDelta) {
        if (patience <= 0) {
            throw new IllegalArgumentException("EarlyStopping: patience must be positive, got " + patience);
        }
        if (!(minDelta >= 0)) {
            throw new IllegalArgumentException("EarlyStopping: minDelta must be >= 0, got " + minDelta);
        }
        this.metric = java.util.Objects.requireNonNull(metric, "metric");
        this.patience = patience;
        this.minDelta = minDelta;
    }

    /**
     * @throws IllegalStateException if the fit has no validation data
     */
    @Override
    public void onFitStart(TrainingContext context) {
        if (context.validationLoader() == null) {
            throw new IllegalStateException("EarlyStopping on " + metric + " needs validation data; the fit of "
                    + context.model().describe() + " has none");
        }
        best = Double.NaN;
        epochsWithoutImprovement = 0;
        for (EpochRecord record : context.history()) {
            observe(record);
        }
    }

    @Override
    public void onEpochEnd(TrainingContext context, EpochRecord record) {
        observe(record);
        if (epochsWithoutImprovement >= patience) {
            LOG.info(String.format(Locale.ROOT, "early stopping after epoch %d: %s has not improved on %.4f for %d "
                    + "epochs", record.epoch() + 1, metric, best, epochsWithoutImprovement));
            context.requestStop();
        }
    }

    private void observe(EpochRecord record) {
        double value = metric == Metric.VALIDATION_LOSS ? record.validationLoss() : record.validationAccuracy();
        boolean improved = Double.isNaN(best) ? !Double.isNaN(value)
                : metric == Metric.VALIDATION_LOSS ? value < best - minDelta : value > best + minDelta;
        if (improved) {
            best = value;
            epochsWithoutImprovement = 0;
        } else {
            epochsWithoutImprovement++;
        }
    }

    /** The best value seen so far (NaN before the first epoch). */
    public double best() {
        return best;
    }

    /** Epochs in a row without improvement. */
    public int epochsWithoutImprovement() {
        return epochsWithoutImprovement;
    }
}
