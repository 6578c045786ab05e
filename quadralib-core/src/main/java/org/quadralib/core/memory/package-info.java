/**
 * Memory accounting and reuse: every buffer the library allocates comes from {@link org.quadralib.core.memory.Buffers}
 * and is counted by {@link org.quadralib.core.memory.MemoryTracker} (bytes, {@link org.quadralib.core.memory.MemoryCategory},
 * owning module path); a {@link org.quadralib.core.memory.MemoryScope} hands arrays out of a pool reused across
 * training steps; {@link org.quadralib.core.memory.Workspace} keeps per-thread scratch for kernels.
 *
 * <p>Depends on nothing else in the library but {@code Parallel}, so that everything may depend on it; the
 * profiler watches through the tracker's listeners.
 */
package org.quadralib.core.memory;
