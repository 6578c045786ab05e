package org.quadralib.layers.train;

import java.util.Objects;

import org.quadralib.core.optim.LrScheduler;
import org.quadralib.core.optim.Optimizer;
import org.quadralib.core.optim.WarmupCosine;

/**
 * A learning-rate schedule for the {@link Trainer}: how to build the {@link LrScheduler} once the optimizer
 * exists, and whether it advances once per epoch or once per step. The trainer steps it after the optimizer
 * step (per step) or after validation (per epoch), and a checkpoint stores its position.
 *
 * @param unit    what one scheduler step is
 * @param factory builds the scheduler from the optimizer and the length of the run in {@code unit}s
 */
public record Schedule(Unit unit, Factory factory) {

    /** What one scheduler step is. */
    public enum Unit {
        /** One epoch. */
        EPOCH,
        /** One optimizer step (one batch). */
        STEP
    }

    /** Builds a scheduler. */
    @FunctionalInterface
    public interface Factory {
        /**
         * @param optimizer  the optimizer whose groups the scheduler drives
         * @param totalUnits the length of the whole run in the schedule's unit (epochs, or epochs × batches)
         */
        LrScheduler create(Optimizer optimizer, int totalUnits);
    }

    /** @throws NullPointerException if an argument is null */
    public Schedule {
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(factory, "factory");
    }

    /**
     * Multiplies every group's learning rate by {@code gamma} every {@code stepSize} epochs
     * ({@code lr = baseLr·gamma^⌊epoch/stepSize⌋}), as PyTorch's {@code StepLR}.
     *
     * @throws IllegalArgumentException (when the trainer builds it) if {@code stepSize} is not positive
     */
    public static Schedule stepLr(int stepSize, double gamma) {
        return new Schedule(Unit.EPOCH, (optimizer, total) -> LrScheduler.stepLr(optimizer, stepSize, gamma));
    }

    /**
     * Linear warm-up over {@code warmupSteps} steps, then cosine decay to {@code minFactor·baseLr} at the last
     * step of the run; see {@link LrScheduler#cosineWithWarmup}.
     *
     * @throws IllegalArgumentException (when the trainer builds it) if the run has no more steps than the warm-up
     */
    public static Schedule cosineWithWarmup(int warmupSteps, double minFactor) {
        return new Schedule(Unit.STEP,
                (optimizer, total) -> LrScheduler.cosineWithWarmup(optimizer, warmupSteps, total, minFactor));
    }

    /**
     * Linear warm-up from {@code startFactor·baseLr} over {@code warmup} units, then cosine decay to
     * {@code minFactor·baseLr} at the end of the run: PyTorch's {@code LinearLR} followed by
     * {@code CosineAnnealingLR} ({@link WarmupCosine}), stepped once per {@code unit}.
     *
     * @param unit        {@link Unit#STEP} to move every batch, {@link Unit#EPOCH} every epoch (the run's length
     *                    and the warm-up are counted in this unit)
     * @param warmup      warm-up length in {@code unit}s, 0 for none
     * @param startFactor multiplier of the first unit, in (0, 1]
     * @param minFactor   multiplier at the end of the run, in [0, 1]
     * @throws IllegalArgumentException (when the trainer builds it) if the run is not longer than the warm-up or a
     *                                  factor is out of range
     */
    public static Schedule warmupCosine(Unit unit, int warmup, double startFactor, double minFactor) {
        return new Schedule(unit, (optimizer, total) -> new WarmupCosine(optimizer, warmup, startFactor, total, minFactor));
    }

    /** Builds the scheduler for a run of {@code epochs} epochs of {@code batchesPerEpoch} batches. */
    LrScheduler create(Optimizer optimizer, int batchesPerEpoch, int epochs) {
        int total = unit == Unit.EPOCH ? epochs : Math.multiplyExact(epochs, batchesPerEpoch);
        return factory.create(optimizer, total);
    }
}
