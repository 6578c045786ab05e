package org.quadralib.profiler;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.util.HashMap;
import java.util.Map;

/**
 * The JVM's own memory figures: heap use from {@link MemoryMXBean}, and bytes allocated per thread from
 * {@code com.sun.management.ThreadMXBean} where the JVM provides it (HotSpot does), -1 otherwise.
 *
 * <p>"All threads" is a sum of per-thread differences against a baseline: a thread's count vanishes when it
 * dies, so a plain sum of live threads could shrink between readings. Threads born after the baseline count
 * from zero; threads that died in between are missed. For the library's long-lived worker pool this is exact.
 */
final class JvmCounters {

    /**
     * Per-thread allocation counts at one moment; empty when the JVM cannot count.
     *
     * @param threadId the thread that took it, whose own count {@link #threadSince} reports
     */
    record Baseline(long threadId, Map<Long, Long> perThread) {
    }

    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();
    private static final com.sun.management.ThreadMXBean THREADS = threads();

    private JvmCounters() {
    }

    private static com.sun.management.ThreadMXBean threads() {
        java.lang.management.ThreadMXBean t = ManagementFactory.getThreadMXBean();
        if (t instanceof com.sun.management.ThreadMXBean s && s.isThreadAllocatedMemorySupported()
                && s.isThreadAllocatedMemoryEnabled()) {
            return s;
        }
        return null;
    }

    static MemoryUsage heap() {
        return MEMORY.getHeapMemoryUsage();
    }

    static Baseline baseline() {
        long self = Thread.currentThread().getId();
        if (THREADS == null) {
            return new Baseline(self, Map.of());
        }
        long[] ids = THREADS.getAllThreadIds();
        long[] bytes = THREADS.getThreadAllocatedBytes(ids);
        Map<Long, Long> m = new HashMap<>(ids.length * 2);
        for (int i = 0; i < ids.length; i++) {
            if (bytes[i] >= 0) {
                m.put(ids[i], bytes[i]);
            }
        }
        return new Baseline(self, m);
    }

    /** Bytes the thread that took {@code b} allocated since, or -1 if it cannot be counted or has died. */
    static long threadSince(Baseline b) {
        Long start = b.perThread().get(b.threadId());
        if (THREADS == null || start == null) {
            return -1;
        }
        long now = THREADS.getThreadAllocatedBytes(b.threadId());
        return now < 0 ? -1 : now - start;
    }

    /** Bytes the threads alive now allocated since {@code b}, or -1. */
    static long allThreadsSince(Baseline b) {
        if (THREADS == null) {
            return -1;
        }
        long[] ids = THREADS.getAllThreadIds();
        long[] bytes = THREADS.getThreadAllocatedBytes(ids);
        long sum = 0;
        for (int i = 0; i < ids.length; i++) {
            if (bytes[i] >= 0) {
                sum += bytes[i] - b.perThread().getOrDefault(ids[i], 0L);
            }
        }
        return sum;
    }
}
