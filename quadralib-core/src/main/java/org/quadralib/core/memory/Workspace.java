package org.quadralib.core.memory;

import java.util.HashMap;
import java.util.Map;

/**
 * Per-thread scratch buffers reused across calls (im2col columns, GEMM packing). A buffer grows to the
 * largest size ever asked for under its key and is never shrunk, so a training loop with fixed shapes
 * allocates its workspaces once. Growth is counted as {@link MemoryCategory#WORKSPACE}.
 *
 * <p>Contents are undefined on return: callers overwrite what they use. A buffer must not be held across
 * a call that may ask for the same key on the same thread.
 */
public final class Workspace {

    private static final ThreadLocal<Map<String, float[]>> BUFFERS = ThreadLocal.withInitial(HashMap::new);

    private Workspace() {
    }

    /**
     * A buffer of at least {@code size} floats for {@code key} on the calling thread.
     *
     * @throws IllegalArgumentException if {@code size} is negative
     */
    public static float[] get(String key, int size) {
        if (size < 0) {
            throw new IllegalArgumentException("Workspace '" + key + "': negative size " + size);
        }
        Map<String, float[]> m = BUFFERS.get();
        float[] b = m.get(key);
        if (b == null || b.length < size) {
            if (b != null) {
                MemoryTracker.released(MemoryCategory.WORKSPACE, 4L * b.length);
            }
            b = new float[size];
            MemoryTracker.allocated(MemoryCategory.WORKSPACE, 4L * size);
            m.put(key, b);
        }
        return b;
    }
}
