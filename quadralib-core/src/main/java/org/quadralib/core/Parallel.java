package org.quadralib.core;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The library's one worker pool. Every multi-threaded kernel splits its work with {@link #forRange}.
 *
 * <p>Work is split into at most {@link #threads()} contiguous chunks whose boundaries depend only on the range
 * and the thread count, so the same seed and the same thread count give bit-identical results: no kernel
 * reduces across chunks in an order that depends on scheduling.
 *
 * <p>The thread count defaults to the system property {@code quadralib.threads}, else the number of
 * available processors; {@link #setThreads(int)} changes it at run time.
 */
public final class Parallel {

    /** Body of a parallel loop over the half-open range {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        /**
         * Runs the loop body for every index in {@code [from, to)}.
         *
         * @param from first index, inclusive
         * @param to   last index, exclusive
         */
        void run(int from, int to);
    }

    private static volatile ForkJoinPool pool;
    /** Set while a calling thread runs its own chunk of {@link #forChunks}. */
    private static final ThreadLocal<boolean[]> IN_CHUNK = ThreadLocal.withInitial(() -> new boolean[1]);
    private static volatile int threads = defaultThreads();

    private Parallel() {
    }

    private static int defaultThreads() {
        String prop = System.getProperty("quadralib.threads");
        if (prop != null && !prop.isBlank()) {
            try {
                int n = Integer.parseInt(prop.trim());
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // fall through to the processor count
            }
            throw new IllegalArgumentException("quadralib.threads must be a positive integer, got '" + prop + "'");
        }
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** The number of worker threads kernels use. */
    public static int threads() {
        return threads;
    }

    /**
     * Sets the number of worker threads.
     *
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public static synchronized void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("Parallel.setThreads: thread count must be >= 1, got " + n);
        }
        if (n != threads) {
            ForkJoinPool old = pool;
            pool = null;
            threads = n;
            if (old != null) {
                old.shutdown();
            }
        }
    }

    private static ForkJoinPool pool() {
        ForkJoinPool p = pool;
        if (p == null) {
            synchronized (Parallel.class) {
                p = pool;
                if (p == null) {
                    AtomicInteger index = new AtomicInteger();
                    // The calling thread runs one chunk of every loop: the pool needs one worker fewer.
                    p = new ForkJoinPool(Math.max(1, threads - 1), fjp -> {
                        var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(fjp);
                        // getPoolIndex() is 0 until the pool registers the thread: every worker was "worker-0".
                        t.setName("quadralib-worker-" + index.getAndIncrement());
                        t.setDaemon(true);
                        return t;
                    }, null, false);
                    pool = p;
                }
            }
        }
        return p;
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@link #threads()} chunks of at least
     * {@code grain} elements each. Runs inline when one chunk suffices or when already on a worker thread.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int t = threads;
        int chunks = Math.min(t, Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1 || onWorker()) {
            body.run(0, n);
            return;
        }
        forChunks(n, chunks, body);
    }

    /**
     * True inside a parallel loop: on one of this pool's worker threads, or on a calling thread while it runs its
     * own chunk. Nested parallel loops run inline there.
     */
    public static boolean onWorker() {
        return Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == pool || IN_CHUNK.get()[0];
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into exactly {@code min(n, chunks)} equal contiguous chunks. The
     * calling thread runs the first chunk itself while the pool's workers run the others: it does useful work
     * instead of waiting for a worker to wake up, and a two-thread loop hands off one chunk, not two.
     */
    public static void forChunks(int n, int chunks, RangeBody body) {
        int c = Math.min(n, chunks);
        if (c <= 1 || onWorker()) {
            body.run(0, n);
            return;
        }
        ForkJoinTask<Void> rest = pool().submit(new Chunk(body, n, c, 1, c));
        boolean[] inChunk = IN_CHUNK.get();
        inChunk[0] = true;
        try {
            body.run(0, chunkStart(n, c, 1));
        } finally {
            inChunk[0] = false;
            rest.join();
        }
    }

    /** Start of chunk {@code i} of {@code c} over {@code n} elements. */
    public static int chunkStart(int n, int c, int i) {
        return (int) ((long) n * i / c);
    }

    private static final class Chunk extends RecursiveAction {
        private static final long serialVersionUID = 1L;
        private final transient RangeBody body;
        private final int n;
        private final int c;
        private final int lo;
        private final int hi;

        Chunk(RangeBody body, int n, int c, int lo, int hi) {
            this.body = body;
            this.n = n;
            this.c = c;
            this.lo = lo;
            this.hi = hi;
        }

        @Override
        protected void compute() {
            if (hi - lo == 1) {
                body.run(chunkStart(n, c, lo), chunkStart(n, c, lo + 1));
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Chunk(body, n, c, lo, mid), new Chunk(body, n, c, mid, hi));
        }
    }
}
