package org.quadralib.profiler;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.quadralib.core.memory.MemoryCategory;

/**
 * The bounded sample store behind {@link MemoryReport.Timeline}: full, it halves its resolution by merging
 * adjacent pairs into the one with the higher total, so the whole run stays covered and the peak survives.
 * Not thread-safe; the profiler calls it under its lock.
 */
final class TimelineBuffer {

    /** A sample before conversion to the report's record; {@code bytes} is indexed by category ordinal. */
    record Raw(long event, long elapsedNanos, int step, Phase phase, MemoryReport.SampleKind kind, long total, long saved,
            long[] bytes) {
    }

    private final int capacity;
    private final List<Raw> kept = new ArrayList<>();
    private int stride = 1;
    private Raw pending;
    private int pendingCount;
    private long recorded;

    /**
     * @throws IllegalArgumentException if {@code capacity} is less than 2
     */
    TimelineBuffer(int capacity) {
        if (capacity < 2) {
            throw new IllegalArgumentException("MemoryProfiler: timeline capacity must be >= 2, got " + capacity);
        }
        this.capacity = capacity;
    }

    void add(Raw sample) {
        recorded++;
        pending = pending == null || sample.total() > pending.total() ? sample : pending;
        if (++pendingCount == stride) {
            kept.add(pending);
            pending = null;
            pendingCount = 0;
            if (kept.size() == capacity) {
                compact();
            }
        }
    }

    private void compact() {
        List<Raw> merged = new ArrayList<>(capacity / 2 + 1);
        for (int i = 0; i + 1 < kept.size(); i += 2) {
            Raw a = kept.get(i);
            Raw b = kept.get(i + 1);
            merged.add(b.total() > a.total() ? b : a);
        }
        if (kept.size() % 2 == 1) {
            // An odd capacity leaves one sample without a partner; it becomes the start of the next group.
            pending = kept.get(kept.size() - 1);
            pendingCount = stride;
        }
        kept.clear();
        kept.addAll(merged);
        stride *= 2;
    }

    /**
     * The kept samples as records, then one more for the partial group still being pooled and {@code extra}
     * (a sample not yet added), whichever has the higher total: at most {@code capacity} samples, since a full
     * buffer compacts at once.
     */
    MemoryReport.Timeline snapshot(Raw extra) {
        List<MemoryReport.TimelineSample> out = new ArrayList<>(kept.size() + 1);
        for (Raw r : kept) {
            out.add(toRecord(r));
        }
        Raw tail = pending == null || extra != null && extra.total() > pending.total() ? extra : pending;
        if (tail != null) {
            out.add(toRecord(tail));
        }
        return new MemoryReport.Timeline(List.copyOf(out), capacity, stride, recorded);
    }

    private static MemoryReport.TimelineSample toRecord(Raw r) {
        return new MemoryReport.TimelineSample(r.event(), r.elapsedNanos(), r.step(), r.phase(), r.kind(), r.total(), r.saved(),
                byCategory(r.bytes()));
    }

    static Map<MemoryCategory, Long> byCategory(long[] values) {
        Map<MemoryCategory, Long> m = new EnumMap<>(MemoryCategory.class);
        for (MemoryCategory c : MemoryCategory.values()) {
            m.put(c, values[c.ordinal()]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }
}
