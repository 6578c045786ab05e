package org.quadralib.core.memory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A region (typically one training step) whose activation buffers are recycled when it closes.
 *
 * <p>While a scope is open on a thread, every non-persistent storage that thread allocates (activations,
 * activation gradients, inputs) is taken from the scope's {@link Pool}; closing the scope marks those
 * storages released and returns their arrays to the pool. A loop over steps of the same shapes therefore
 * allocates its activations once. Parameters, their gradients, optimizer state and module buffers are
 * never taken from a scope: they outlive it.
 *
 * <p>Tensors created in a scope must not be used after it closes (reading one throws). Copy values out
 * first.
 */
public final class MemoryScope implements AutoCloseable {

    private static final ThreadLocal<MemoryScope> CURRENT = new ThreadLocal<>();

    /** Arrays kept between scopes, by exact length. Not thread-safe: one pool per training loop. */
    public static final class Pool {
        private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
        private long pooledBytes;

        float[] take(int n) {
            ArrayDeque<float[]> q = free.get(n);
            float[] a = q == null ? null : q.pollLast();
            if (a != null) {
                pooledBytes -= 4L * n;
            }
            return a;
        }

        void give(float[] a) {
            free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).addLast(a);
            pooledBytes += 4L * a.length;
        }

        /** Bytes idle in the pool, waiting for the next scope. */
        public long pooledBytes() {
            return pooledBytes;
        }

        /** Drops every idle array. */
        public void clear() {
            free.clear();
            pooledBytes = 0;
        }
    }

    private final Pool pool;
    private final MemoryScope parent;
    private final List<Storage> handedOut = new ArrayList<>();
    private final Thread owner = Thread.currentThread();
    private long freshBytes;
    private boolean closed;

    private MemoryScope(Pool pool) {
        this.pool = pool;
        this.parent = CURRENT.get();
        CURRENT.set(this);
    }

    /** Opens a scope on this thread that recycles arrays through {@code pool}. */
    public static MemoryScope open(Pool pool) {
        return new MemoryScope(pool);
    }

    /** The innermost open scope on this thread, or null. */
    public static MemoryScope current() {
        return CURRENT.get();
    }

    /**
     * Runs {@code body} with no scope: what it allocates outlives the current scope (used for tensors that
     * must persist, such as a batch-norm layer's lazily created state).
     */
    public static <T> T outside(java.util.function.Supplier<T> body) {
        MemoryScope s = CURRENT.get();
        CURRENT.set(null);
        try {
            return body.get();
        } finally {
            CURRENT.set(s);
        }
    }

    Storage allocate(int n, MemoryCategory category, boolean zero) {
        float[] a = pool.take(n);
        if (a == null) {
            a = new float[n];
            freshBytes += 4L * n;
        } else if (zero) {
            Arrays.fill(a, 0f);
        }
        Storage s = new Storage(a, category);
        handedOut.add(s);
        MemoryTracker.allocated(category, 4L * n);
        return s;
    }

    /** Bytes this scope had to allocate fresh because the pool had no array of the right length. */
    public long freshBytes() {
        return freshBytes;
    }

    /**
     * Releases every storage handed out in this scope back to the pool.
     *
     * @throws IllegalStateException if called from another thread or with an inner scope still open
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("MemoryScope must be closed on the thread that opened it");
        }
        if (CURRENT.get() != this) {
            throw new IllegalStateException("MemoryScope closed while an inner scope is still open");
        }
        closed = true;
        for (Storage s : handedOut) {
            float[] a = s.detachArray();
            if (a != null) {
                MemoryTracker.released(s.category(), 4L * a.length);
                pool.give(a);
            }
        }
        handedOut.clear();
        CURRENT.set(parent);
    }
}
