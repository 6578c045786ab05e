package org.quadralib.core.memory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.quadralib.core.Parallel;

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
 *
 * <p>A storage whose last user is known to be done can go back to the pool before the scope closes
 * ({@link #release}), so later allocations of the same step reuse it: the autograd engine returns the temporary
 * buffers and consumed gradients of backward this way, which keeps a step's peak near its live set. A released
 * storage reads like one released at close (its {@link Storage#data()} throws).
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
            float[] z = a;
            Parallel.forRange(n, 1 << 16, (from, to) -> Arrays.fill(z, from, to, 0f));
        }
        Storage s = new Storage(a, category, this);
        handedOut.add(s);
        MemoryTracker.allocated(category, 4L * n);
        return s;
    }

    /** Bytes this scope had to allocate fresh because the pool had no array of the right length. */
    public long freshBytes() {
        return freshBytes;
    }

    /**
     * The number of storages this scope has handed out so far: pass it to {@link #handedOutSince} to see the
     * ones handed out after this point.
     */
    public int mark() {
        return handedOut.size();
    }

    /**
     * The storages handed out since {@code mark} (a value of {@link #mark()}), in order, released ones included;
     * a read-only view valid until the next allocation on this thread.
     *
     * @throws IndexOutOfBoundsException if {@code mark} is negative or past {@link #mark()}
     */
    public List<Storage> handedOutSince(int mark) {
        return Collections.unmodifiableList(handedOut.subList(mark, handedOut.size()));
    }

    /**
     * Returns {@code s}'s array to the pool now, ahead of {@link #close()}. The caller guarantees that no tensor
     * still in use reads or writes {@code s} (views share their base's storage); a stale tensor that reads it
     * afterwards gets the released-storage error, never another tensor's numbers.
     *
     * @return true if {@code s} was handed out by this scope and not yet released; false (doing nothing)
     *     otherwise, e.g. for a parameter or a storage of another scope
     * @throws IllegalStateException if called from another thread than the one that opened the scope, or after
     *     it closed
     */
    public boolean release(Storage s) {
        if (Thread.currentThread() != owner || closed) {
            throw new IllegalStateException("MemoryScope.release: " + (closed ? "the scope is closed" : "called from another thread")
                    + "; release storages on the scope's thread while it is open");
        }
        if (s.scope() != this) {
            return false;
        }
        float[] a = s.detachArray();
        if (a == null) {
            return false;
        }
        MemoryTracker.released(s.category(), 4L * a.length);
        pool.give(a);
        return true;
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
