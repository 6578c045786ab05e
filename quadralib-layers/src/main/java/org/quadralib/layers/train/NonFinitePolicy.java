package org.quadralib.layers.train;

/**
 * What a {@link Trainer} does with a step whose loss, or any parameter's gradient after the
 * {@link TrainingListener#onGradients} listeners ran (after clipping), holds NaN or infinity. Set with
 * {@link Trainer#onNonFinite}.
 */
public enum NonFinitePolicy {
    /** Apply the step anyway: NaN spreads into the weights. The default, and what PyTorch does. */
    IGNORE,
    /**
     * Skip the update: the weights, the optimizer state (and its step count) and the batch-norm running
     * statistics stay as they were before the batch, which counts as done (the position, the global step and a
     * per-step schedule move on; the batch adds nothing to the epoch's loss and accuracy). A warning is logged
     * and {@link TrainingListener#onBatchEnd} still sees the batch, with its non-finite loss.
     */
    SKIP_STEP,
    /**
     * End the fit before the update, leaving the model as it was before the batch (which does not count as
     * done); the history's stop reason is {@link History.StopReason#NON_FINITE}.
     */
    STOP
}
