package org.quadralib.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ParallelTest {

    private int saved;

    @BeforeEach
    void twoThreads() {
        saved = Parallel.threads();
        Parallel.setThreads(2);
    }

    @AfterEach
    void restore() {
        Parallel.setThreads(saved);
    }

    @Test
    void everyIndexRunsOnceInTheDocumentedChunks() {
        for (int n : new int[] {1, 2, 3, 7, 100, 1001}) {
            for (int chunks : new int[] {1, 2, 3, 5}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                ConcurrentHashMap<Integer, Integer> ranges = new ConcurrentHashMap<>();
                Parallel.forChunks(n, chunks, (from, to) -> {
                    ranges.put(from, to);
                    for (int i = from; i < to; i++) {
                        hits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(1, hits.get(i), "n=" + n + " chunks=" + chunks + " index " + i);
                }
                int c = Math.min(n, chunks);
                assertEquals(c, ranges.size(), "n=" + n + " chunks=" + chunks);
                for (int i = 0; i < c; i++) {
                    assertEquals(Parallel.chunkStart(n, c, i + 1), ranges.get(Parallel.chunkStart(n, c, i)));
                }
            }
        }
    }

    @Test
    void theCallerRunsTheFirstChunkAndNestedLoopsRunInline() {
        Thread caller = Thread.currentThread();
        AtomicReference<Thread> first = new AtomicReference<>();
        AtomicReference<Thread> second = new AtomicReference<>();
        ConcurrentHashMap<Thread, Boolean> nestedInline = new ConcurrentHashMap<>();
        assertFalse(Parallel.onWorker(), "outside any loop");
        Parallel.forChunks(2, 2, (from, to) -> {
            (from == 0 ? first : second).set(Thread.currentThread());
            assertTrue(Parallel.onWorker(), "inside a chunk");
            Thread outer = Thread.currentThread();
            Parallel.forChunks(4, 2, (a, b) -> nestedInline.merge(outer, Thread.currentThread() == outer && a == 0 && b == 4,
                    Boolean::logicalAnd));
        });
        assertSame(caller, first.get());
        assertNotEquals(caller, second.get());
        assertEquals(2, nestedInline.size());
        assertTrue(nestedInline.values().stream().allMatch(Boolean::booleanValue), "nested loops ran whole, inline");
        assertFalse(Parallel.onWorker(), "the caller's flag is cleared after its chunk");
    }

    @Test
    void aFailingChunkPropagatesAfterTheOtherChunksFinished() {
        for (int failing = 0; failing < 2; failing++) {
            int f = failing;
            AtomicIntegerArray done = new AtomicIntegerArray(2);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forChunks(2, 2, (from, to) -> {
                if (from == f) {
                    throw new IllegalStateException("chunk " + from);
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
                done.set(from, 1);
            }));
            assertTrue(e.getMessage().contains("chunk " + f), e.getMessage());
            assertEquals(1, done.get(1 - f), "the other chunk finished before forChunks returned (failing chunk " + f + ")");
            assertFalse(Parallel.onWorker());
        }
    }

    @Test
    void oneThreadRunsInline() {
        Parallel.setThreads(1);
        Thread caller = Thread.currentThread();
        ConcurrentHashMap<Thread, Integer> seen = new ConcurrentHashMap<>();
        Parallel.forRange(1000, 1, (from, to) -> seen.merge(Thread.currentThread(), to - from, Integer::sum));
        assertEquals(1, seen.size());
        assertEquals(1000, seen.get(caller));
        assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(0));
    }

    @Test
    @SuppressWarnings("try") // the scopes are used for what they do on open and close
    void aScopeSetsTheCountForItsThreadOnlyAndNests() throws Exception {
        assertEquals(2, Parallel.threads());
        try (Parallel.Scope outer = Parallel.withThreads(3)) {
            assertEquals(3, Parallel.threads());
            AtomicReference<Integer> elsewhere = new AtomicReference<>();
            Thread other = new Thread(() -> elsewhere.set(Parallel.threads()));
            other.start();
            other.join();
            assertEquals(2, elsewhere.get(), "another thread keeps the process default");
            try (Parallel.Scope inner = Parallel.withThreads(1)) {
                assertEquals(1, Parallel.threads());
            }
            assertEquals(3, Parallel.threads());
            java.util.Set<Integer> chunks = ConcurrentHashMap.newKeySet();
            Parallel.forRange(3000, 1, (from, to) -> chunks.add(from));
            assertEquals(3, chunks.size(), "a loop in the scope splits into the scope's count");
            Parallel.setThreads(5);
            assertEquals(3, Parallel.threads(), "an open scope keeps its count when the default changes");
        }
        assertEquals(5, Parallel.threads());
        assertThrows(IllegalArgumentException.class, () -> Parallel.withThreads(0));
    }
}
