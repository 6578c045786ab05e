package org.quadralib.layers.train;

/**
 * The part of a training step the {@link Trainer} is running, announced through
 * {@link TrainingListener#onPhase(StepPhase)} so a memory profiler can attribute peaks and allocations to it
 * without this module depending on the profiler. The phases of one step come in the order
 * {@code FORWARD, BACKWARD, UPDATE, OTHER}.
 */
public enum StepPhase {
    /** The forward pass and the loss. */
    FORWARD,
    /** Back-propagation of the loss. */
    BACKWARD,
    /** Gradient clipping, the optimizer step, the scheduler step and zeroing the gradients. */
    UPDATE,
    /** Everything else: loading the next batch, validation, checkpoints, listeners between steps. */
    OTHER
}
