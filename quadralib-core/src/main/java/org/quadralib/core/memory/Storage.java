package org.quadralib.core.memory;

/**
 * A float buffer and what it holds. Tensors and their views share one storage.
 *
 * <p>A storage handed out inside a {@link MemoryScope} is released when the scope closes; its array then
 * goes back to the pool, and {@link #data()} throws so a stale tensor cannot read someone else's numbers.
 */
public final class Storage {
    private float[] data;
    private final MemoryCategory category;
    /** The scope that handed this storage out, or null for a heap storage the collector reclaims. */
    private final MemoryScope scope;

    Storage(float[] data, MemoryCategory category) {
        this(data, category, null);
    }

    Storage(float[] data, MemoryCategory category, MemoryScope scope) {
        this.data = data;
        this.category = category;
        this.scope = scope;
    }

    /**
     * The backing array.
     *
     * @throws IllegalStateException if the storage was released by its memory scope
     */
    public float[] data() {
        float[] d = data;
        if (d == null) {
            throw new IllegalStateException("tensor storage of " + category
                    + " was released when its MemoryScope closed; copy values out (toFloatArray, item) inside the scope");
        }
        return d;
    }

    /** Number of floats. */
    public int length() {
        float[] d = data;
        return d == null ? 0 : d.length;
    }

    /** Bytes held. */
    public long bytes() {
        return 4L * length();
    }

    /** What the storage holds. */
    public MemoryCategory category() {
        return category;
    }

    /** True once its scope released it. */
    public boolean isReleased() {
        return data == null;
    }

    /** The scope that handed this storage out, or null. */
    MemoryScope scope() {
        return scope;
    }

    float[] detachArray() {
        float[] d = data;
        data = null;
        return d;
    }
}
