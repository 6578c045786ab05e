package org.quadralib.layers.train;

import java.util.Locale;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs one INFO line per epoch through SLF4J (logger {@code org.quadralib.layers.train.EpochLogger}), e.g.
 * {@code epoch 2/5: train loss 0.4213 acc 84.61% | val loss 0.4420 acc 83.90% | 41.2 s, step 16.3 ms | lr default=0.01},
 * and a warning the first time the training loss is not finite. A default listener of every {@link Trainer}.
 */
public final class EpochLogger implements TrainingListener {

    private static final Logger LOG = LoggerFactory.getLogger(EpochLogger.class);

    private boolean warnedNonFinite;

    @Override
    public void onBatchEnd(TrainingContext context, BatchResult result) {
        if (!warnedNonFinite && !Float.isFinite(result.loss())) {
            warnedNonFinite = true;
            LOG.warn("{}: training loss is {} at epoch {}, batch {} (step {}); training has diverged",
                    context.model().describe(), result.loss(), result.epoch() + 1, result.batch(), result.globalStep());
        }
    }

    @Override
    public void onEpochEnd(TrainingContext context, EpochRecord record) {
        if (LOG.isInfoEnabled()) {
            LOG.info(summary(record, context.epochs()));
        }
    }

    /** The line logged for {@code record} of a run of {@code epochs} epochs. */
    public static String summary(EpochRecord record, int epochs) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "epoch %d/%d: train loss %.4f acc %.2f%%",
                record.epoch() + 1, epochs, record.trainLoss(), 100 * record.trainAccuracy()));
        if (record.hasValidation()) {
            sb.append(String.format(Locale.ROOT, " | val loss %.4f acc %.2f%%", record.validationLoss(),
                    100 * record.validationAccuracy()));
        }
        sb.append(String.format(Locale.ROOT, " | %.1f s, step %.1f ms | lr", record.seconds(),
                record.stepMillisMedian()));
        for (Map.Entry<String, Float> e : record.learningRates().entrySet()) {
            sb.append(' ').append(e.getKey()).append('=').append(e.getValue());
        }
        return sb.toString();
    }
}
