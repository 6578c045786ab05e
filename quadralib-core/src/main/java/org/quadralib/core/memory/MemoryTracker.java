package org.quadralib.core.memory;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts every buffer the library allocates: current and peak bytes, in total and per {@link MemoryCategory}.
 *
 * <p>Allocation goes through {@link Buffers}; a buffer is released when its {@link MemoryScope} closes, or,
 * for buffers allocated outside any scope, when the garbage collector reclaims it. Peaks are therefore exact
 * inside a scope (a training step) and conservative outside.
 *
 * <p>Listeners see every allocation and release with the category and the current owner (a module path set
 * by {@link #withOwner}); the profiler is one.
 */
public final class MemoryTracker {

    /** Observer of allocations and releases. */
    public interface Listener {
        /**
         * @param category what the buffer holds
         * @param bytes positive for an allocation, negative for a release
         * @param owner the module path or op that asked for it, or {@code ""}
         */
        void onChange(MemoryCategory category, long bytes, String owner);
    }

    private static final AtomicLong[] CURRENT = new AtomicLong[MemoryCategory.values().length];
    private static final AtomicLong[] PEAK = new AtomicLong[MemoryCategory.values().length];
    private static final AtomicLong TOTAL = new AtomicLong();
    private static final AtomicLong TOTAL_PEAK = new AtomicLong();
    private static final AtomicLong ALLOCATED_EVER = new AtomicLong();
    private static final CopyOnWriteArrayList<Listener> LISTENERS = new CopyOnWriteArrayList<>();
    private static final ThreadLocal<String> OWNER = ThreadLocal.withInitial(() -> "");

    static {
        for (int i = 0; i < CURRENT.length; i++) {
            CURRENT[i] = new AtomicLong();
            PEAK[i] = new AtomicLong();
        }
    }

    private MemoryTracker() {
    }

    /** Records an allocation of {@code bytes} in {@code category}. */
    public static void allocated(MemoryCategory category, long bytes) {
        int i = category.ordinal();
        long now = CURRENT[i].addAndGet(bytes);
        PEAK[i].accumulateAndGet(now, Math::max);
        long total = TOTAL.addAndGet(bytes);
        TOTAL_PEAK.accumulateAndGet(total, Math::max);
        ALLOCATED_EVER.addAndGet(bytes);
        notifyListeners(category, bytes);
    }

    /** Records a release of {@code bytes} in {@code category}. */
    public static void released(MemoryCategory category, long bytes) {
        CURRENT[category.ordinal()].addAndGet(-bytes);
        TOTAL.addAndGet(-bytes);
        notifyListeners(category, -bytes);
    }

    private static void notifyListeners(MemoryCategory category, long bytes) {
        if (!LISTENERS.isEmpty()) {
            String owner = OWNER.get();
            for (Listener l : LISTENERS) {
                l.onChange(category, bytes, owner);
            }
        }
    }

    /** Bytes currently held in {@code category}. */
    public static long current(MemoryCategory category) {
        return CURRENT[category.ordinal()].get();
    }

    /** Highest {@link #current(MemoryCategory)} since the last {@link #resetPeaks()}. */
    public static long peak(MemoryCategory category) {
        return PEAK[category.ordinal()].get();
    }

    /** Bytes currently held in all categories. */
    public static long currentTotal() {
        return TOTAL.get();
    }

    /** Highest {@link #currentTotal()} since the last {@link #resetPeaks()}. */
    public static long peakTotal() {
        return TOTAL_PEAK.get();
    }

    /** Bytes ever allocated through the tracker, including reused pool buffers handed out again. */
    public static long allocatedEver() {
        return ALLOCATED_EVER.get();
    }

    /** Current bytes per category, as a snapshot. */
    public static Map<MemoryCategory, Long> snapshot() {
        Map<MemoryCategory, Long> m = new EnumMap<>(MemoryCategory.class);
        for (MemoryCategory c : MemoryCategory.values()) {
            m.put(c, current(c));
        }
        return m;
    }

    /**
     * Runs the garbage collector until {@link #currentTotal()} stops changing (at most ten rounds, 20 ms apart):
     * the tracker learns of a heap buffer's release only when the buffer is collected, so a measurement that
     * starts from the current total should settle it first. Returns early, with the interrupt flag set, if the
     * thread is interrupted.
     */
    public static void settle() {
        long last = Long.MIN_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long now = currentTotal();
            if (now == last) {
                return;
            }
            last = now;
        }
    }

    /** Sets every peak to the current value. */
    public static void resetPeaks() {
        for (int i = 0; i < CURRENT.length; i++) {
            PEAK[i].set(CURRENT[i].get());
        }
        TOTAL_PEAK.set(TOTAL.get());
    }

    /** Adds a listener; it is called on the allocating thread. */
    public static void addListener(Listener l) {
        LISTENERS.add(l);
    }

    /** Removes a listener added with {@link #addListener}. */
    public static void removeListener(Listener l) {
        LISTENERS.remove(l);
    }

    /** The owner attributed to allocations on this thread. */
    public static String owner() {
        return OWNER.get();
    }

    /**
     * Attributes allocations on this thread to {@code owner} until the returned handle is closed, which
     * restores the previous owner.
     */
    public static AutoCloseableOwner withOwner(String owner) {
        String previous = OWNER.get();
        OWNER.set(owner);
        return () -> OWNER.set(previous);
    }

    /** Restores the previous owner on close; never throws. */
    @FunctionalInterface
    public interface AutoCloseableOwner extends AutoCloseable {
        @Override
        void close();
    }
}
