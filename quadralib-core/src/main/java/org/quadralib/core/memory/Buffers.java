package org.quadralib.core.memory;

import java.lang.ref.Cleaner;

/**
 * The one allocator. Every tensor storage comes from here, so every byte is counted by
 * {@link MemoryTracker}. Inside a {@link MemoryScope} arrays come from the scope's pool and are returned
 * when it closes; outside, they are plain heap arrays whose release is counted when the collector reclaims
 * them.
 */
public final class Buffers {

    private static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "quadralib-memory-cleaner");
        t.setDaemon(true);
        return t;
    });
    private static final ThreadLocal<MemoryCategory> CATEGORY = ThreadLocal.withInitial(() -> MemoryCategory.ACTIVATION);

    private Buffers() {
    }

    /**
     * A zero-filled storage of {@code n} floats in the thread's current category.
     *
     * @throws IllegalArgumentException if {@code n} is negative
     */
    public static Storage allocate(int n) {
        return allocate(n, CATEGORY.get(), true);
    }

    /**
     * A storage of {@code n} floats.
     *
     * @param category what it will hold
     * @param zero whether the contents must be zero; pass false only when every element is overwritten
     * @throws IllegalArgumentException if {@code n} is negative
     */
    public static Storage allocate(int n, MemoryCategory category, boolean zero) {
        if (n < 0) {
            throw new IllegalArgumentException("cannot allocate a buffer of " + n + " floats");
        }
        MemoryScope scope = MemoryScope.current();
        if (scope != null && category != MemoryCategory.PARAMETER && category != MemoryCategory.GRADIENT
                && category != MemoryCategory.OPTIMIZER_STATE && category != MemoryCategory.BUFFER) {
            return scope.allocate(n, category, zero);
        }
        Storage s = new Storage(new float[n], category);
        long bytes = 4L * n;
        MemoryTracker.allocated(category, bytes);
        CLEANER.register(s, () -> MemoryTracker.released(category, bytes));
        return s;
    }

    /** Wraps an existing array without copying; counted like an allocation. */
    public static Storage wrap(float[] data, MemoryCategory category) {
        Storage s = new Storage(data, category);
        long bytes = 4L * data.length;
        MemoryTracker.allocated(category, bytes);
        CLEANER.register(s, () -> MemoryTracker.released(category, bytes));
        return s;
    }

    /** The category new storages get on this thread. */
    public static MemoryCategory category() {
        return CATEGORY.get();
    }

    /**
     * Makes {@code category} the default on this thread until the returned handle is closed.
     */
    public static CategoryScope withCategory(MemoryCategory category) {
        MemoryCategory previous = CATEGORY.get();
        CATEGORY.set(category);
        return () -> CATEGORY.set(previous);
    }

    /** Restores the previous default category on close. */
    @FunctionalInterface
    public interface CategoryScope extends AutoCloseable {
        @Override
        void close();
    }
}
