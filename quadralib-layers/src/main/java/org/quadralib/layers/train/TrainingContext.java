package org.quadralib.layers.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.quadralib.core.data.DataLoader;
import org.quadralib.core.optim.LrScheduler;
import org.quadralib.core.optim.Optimizer;
import org.quadralib.layers.Module;

/**
 * The state of one {@link Trainer#fit} (or resume), as listeners see it: the model, its optimizer and scheduler,
 * the data, and the loop's position. The position is always the point a run resumed from here would continue
 * at: after batch {@code k} of epoch {@code e} it is {@code (e, k + 1)}; once epoch {@code e} has ended it is
 * {@code (e + 1, 0)}. A {@link Checkpoint} saves exactly this state.
 */
public final class TrainingContext {

    private final Trainer.Config config;
    private final Module model;
    private final Optimizer optimizer;
    private final LrScheduler scheduler;
    private final DataLoader trainLoader;
    private final DataLoader validationLoader;
    private final int epochs;
    private final float maxGradNorm;
    private final List<EpochRecord> history = new ArrayList<>();
    private int epoch;
    private int batchesDone;
    private long globalStep;
    private boolean stopRequested;
    // Running sums of the epoch in progress; saved in checkpoints so a resumed epoch reports the whole epoch.
    private double epochLossSum;
    private long epochCorrect;
    private long epochSamples;

    TrainingContext(Trainer.Config config, Module model, Optimizer optimizer, LrScheduler scheduler,
                    DataLoader trainLoader, DataLoader validationLoader, int epochs, float maxGradNorm) {
        this.config = config;
        this.model = model;
        this.optimizer = optimizer;
        this.scheduler = scheduler;
        this.trainLoader = trainLoader;
        this.validationLoader = validationLoader;
        this.epochs = epochs;
        this.maxGradNorm = maxGradNorm;
    }

    /** The trainer's configuration. */
    public Trainer.Config config() {
        return config;
    }

    /** The model being trained. */
    public Module model() {
        return model;
    }

    /** The optimizer built for this fit by the configuration's {@link OptimizerFactory}. */
    public Optimizer optimizer() {
        return optimizer;
    }

    /** The learning-rate scheduler, or null when the configuration has no schedule. */
    public LrScheduler scheduler() {
        return scheduler;
    }

    /** The training data. */
    public DataLoader trainLoader() {
        return trainLoader;
    }

    /** The validation data, or null. */
    public DataLoader validationLoader() {
        return validationLoader;
    }

    /** The number of epochs the fit runs (in total, counting those before a resumed checkpoint). */
    public int epochs() {
        return epochs;
    }

    /** Batches in one training epoch. */
    public int batchesPerEpoch() {
        return trainLoader.numBatches();
    }

    /**
     * The global gradient-norm limit in force (the configured one, or the default for quadratic models), or 0
     * when gradients are not clipped.
     */
    public float maxGradNorm() {
        return maxGradNorm;
    }

    /** The epoch of the current position, from 0. */
    public int epoch() {
        return epoch;
    }

    /** Batches of {@link #epoch()} already trained on. */
    public int batchesDone() {
        return batchesDone;
    }

    /** Optimizer steps taken so far, in total. */
    public long globalStep() {
        return globalStep;
    }

    /** The completed epochs so far (an unmodifiable view). */
    public List<EpochRecord> history() {
        return Collections.unmodifiableList(history);
    }

    /** Asks the trainer to stop after the current batch (or, from {@code onEpochEnd}, before the next epoch). */
    public void requestStop() {
        stopRequested = true;
    }

    /** True once a listener asked to stop. */
    public boolean stopRequested() {
        return stopRequested;
    }

    // ------------------------------------------------------------------ trainer-side bookkeeping

    void moveTo(int newEpoch, int newBatchesDone) {
        epoch = newEpoch;
        batchesDone = newBatchesDone;
    }

    void setGlobalStep(long steps) {
        globalStep = steps;
    }

    void recordBatch(float loss, int correct, int size) {
        epochLossSum += (double) loss * size;
        epochCorrect += correct;
        epochSamples += size;
        batchesDone++;
        globalStep++;
    }

    /** A batch whose update was skipped: it counts as done but adds nothing to the epoch's sums. */
    void recordSkipped() {
        batchesDone++;
        globalStep++;
    }

    void setEpochSums(double lossSum, long correct, long samples) {
        epochLossSum = lossSum;
        epochCorrect = correct;
        epochSamples = samples;
    }

    double epochLossSum() {
        return epochLossSum;
    }

    long epochCorrect() {
        return epochCorrect;
    }

    long epochSamples() {
        return epochSamples;
    }

    void addEpoch(EpochRecord record) {
        history.add(record);
    }
}
