package org.quadralib.layers.train;

/**
 * Observes (and may steer) a {@link Trainer}'s loop. Every method has an empty default, so a listener implements
 * only the events it needs. Listeners are called on the training thread, in the order they were given, after the
 * trainer's own bookkeeping for the event (so a checkpoint written from {@link #onBatchEnd} or {@link #onEpochEnd}
 * captures the state after that batch or epoch).
 *
 * <p>Order of events in {@code fit}: {@code onFitStart}; per epoch {@code onEpochStart}, then per batch
 * {@code onPhase(FORWARD)}, {@code onPhase(BACKWARD)}, {@code onPhase(UPDATE)}, {@code onGradients},
 * {@code onPhase(OTHER)}, {@code onBatchEnd}; then {@code onValidationEnd} (with validation data) and
 * {@code onEpochEnd}; finally {@code onFitEnd}. An exception thrown by a listener ends the fit and propagates.
 */
public interface TrainingListener {

    /** Before the first step; for a resumed run, {@link TrainingContext#history()} holds the earlier epochs. */
    default void onFitStart(TrainingContext context) {
    }

    /** Before the first batch of epoch {@link TrainingContext#epoch()}. */
    default void onEpochStart(TrainingContext context) {
    }

    /**
     * The step moves into {@code phase}. The hook a memory profiler uses to attribute allocations to phases; it
     * is called inside the step's memory scope, so it must not keep tensors.
     */
    default void onPhase(StepPhase phase) {
    }

    /**
     * The gradients of this step are complete and the optimizer has not yet used them: the place to inspect or
     * rescale them in place ({@link GradientClipping}).
     */
    default void onGradients(TrainingContext context) {
    }

    /** After the optimizer (and a per-step scheduler) stepped; the step's tensors are already released. */
    default void onBatchEnd(TrainingContext context, BatchResult result) {
    }

    /** After the model was evaluated on the validation data at the end of an epoch. */
    default void onValidationEnd(TrainingContext context, Evaluation validation) {
    }

    /**
     * After an epoch, with its record already in {@link TrainingContext#history()} and a per-epoch scheduler
     * already stepped.
     */
    default void onEpochEnd(TrainingContext context, EpochRecord record) {
    }

    /** After the loop, however it ended (but not when a step threw). */
    default void onFitEnd(TrainingContext context, History history) {
    }
}
