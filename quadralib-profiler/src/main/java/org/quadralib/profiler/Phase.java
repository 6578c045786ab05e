package org.quadralib.profiler;

/**
 * The part of a training step the caller says is running. The profiler keeps peaks and allocation totals per
 * phase; the caller switches phases with {@link MemoryProfiler#phase(Phase)} or {@link MemoryProfiler#enter(Phase)}.
 */
public enum Phase {
    /** The forward pass, including the loss. */
    FORWARD,
    /** Back-propagation. */
    BACKWARD,
    /** The optimizer step (and gradient clipping, zeroing). */
    UPDATE,
    /** Anything else: data loading, evaluation, the time before the first phase is set. */
    OTHER
}
