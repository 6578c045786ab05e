package org.quadralib.profiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.quadralib.core.memory.MemoryCategory;

/** The profiler's two helpers: release attribution and the bounded timeline. */
class BookkeepingTest {

    @Test
    void releasesEndTheNamedClaimantFirstThenTheOldestOfTheSameSize() {
        ReleaseLedger<String> ledger = new ReleaseLedger<>();
        ledger.allocated(64, "a");
        ledger.allocated(64, "b");
        ledger.allocated(64, "c");
        ledger.allocated(32, "d");
        assertEquals("b", ledger.released(64, "b"));
        assertEquals("a", ledger.released(64, ""), "no hint matches: the oldest claim of that size");
        assertEquals("d", ledger.released(32, "x"));
        assertNull(ledger.released(32, "d"), "no open claim of that size any more");
        assertNull(ledger.released(128, "c"));
        assertEquals("c", ledger.released(64, "z"));
    }

    private static TimelineBuffer.Raw raw(long event, long total) {
        long[] bytes = new long[MemoryCategory.values().length];
        bytes[MemoryCategory.ACTIVATION.ordinal()] = total;
        return new TimelineBuffer.Raw(event, 0, -1, Phase.OTHER, MemoryReport.SampleKind.PHASE, total, 0, bytes);
    }

    @Test
    void timelineHalvesItsResolutionKeepingTheHigherSample() {
        TimelineBuffer t = new TimelineBuffer(4);
        long[] totals = {5, 1, 2, 9, 3, 4, 0, 7, 6, 2};
        for (int i = 0; i < totals.length; i++) {
            t.add(raw(i, totals[i]));
        }
        // 4 kept -> pairs (5,1)(2,9) -> [5,9], stride 2; (3,4)->4, (0,7)->7 -> [5,9,4,7] full -> [9,7], stride 4;
        // 6 and 2 wait in the partial group, shown as its higher sample.
        MemoryReport.Timeline snap = t.snapshot(null);
        assertEquals(List.of(9L, 7L, 6L), snap.samples().stream().map(MemoryReport.TimelineSample::totalBytes).toList());
        assertEquals(List.of(3L, 7L, 8L), snap.samples().stream().map(MemoryReport.TimelineSample::event).toList());
        assertEquals(4, snap.stride());
        assertEquals(10, snap.recorded());
        assertEquals(9L, snap.samples().get(0).bytes().get(MemoryCategory.ACTIVATION));

        MemoryReport.Timeline withExtra = t.snapshot(raw(10, 8));
        assertEquals(List.of(9L, 7L, 8L), withExtra.samples().stream().map(MemoryReport.TimelineSample::totalBytes).toList());
        assertThrows(IllegalArgumentException.class, () -> new TimelineBuffer(1));
    }
}
