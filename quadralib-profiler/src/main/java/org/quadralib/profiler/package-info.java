/**
 * Memory profiler: where a model's bytes go, per module, per {@link org.quadralib.core.memory.MemoryCategory},
 * per {@link org.quadralib.profiler.Phase} and per training step, with a bounded timeline, the bytes saved for
 * backward by module and by op, the JVM's own heap and allocation counters, and an optional
 * {@link org.quadralib.profiler.MemoryPrediction} printed beside the measurement.
 *
 * <p>Start with {@link org.quadralib.profiler.MemoryProfiler#attach(org.quadralib.layers.Module)}; the result is
 * a {@link org.quadralib.profiler.MemoryReport}, a plain data object that prints as text, serialises to JSON and
 * is rendered by {@code org.quadralib.viz}.
 */
package org.quadralib.profiler;
