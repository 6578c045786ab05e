/**
 * Memory profiler: where a model's bytes go, per module, per {@link org.quadralib.core.memory.MemoryCategory},
 * per {@link org.quadralib.profiler.Phase} and per training step, with a bounded timeline, the bytes saved for
 * backward by module and by op, the JVM's own heap and allocation counters, and a
 * {@link org.quadralib.profiler.MemoryPrediction} of a training step (every category, per module, the peak, made
 * before anything trains by {@link org.quadralib.profiler.MemoryPrediction#predict}) printed beside the measurement.
 *
 * <p>Start with {@link org.quadralib.profiler.MemoryProfiler#attach(org.quadralib.layers.Module)}; the result is
 * a {@link org.quadralib.profiler.MemoryReport}, a plain data object that prints as text, serialises to JSON and
 * is rendered by {@code org.quadralib.viz}. To profile a {@link org.quadralib.layers.train.Trainer}'s fit, pass it
 * {@link org.quadralib.profiler.ProfilingListener#attach(org.quadralib.layers.Module)}: the listener opens a
 * profiler step per training batch and follows the trainer's phases, validation left out of the steps.
 */
package org.quadralib.profiler;
