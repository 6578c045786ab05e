package org.quadralib.core;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The library's worker pools. Every multi-threaded kernel splits its work with {@link #forRange}.
 *
 * <p>Work is split into at most {@link #threads()} contiguous chunks whose boundaries depend only on the range
 * and the thread count, so the same seed and the same thread count give bit-identical results: no kernel
 * reduces across chunks in an order that depends on scheduling.
 *
 * <p><b>The thread count belongs to the work, not the process.</b> A {@link #withThreads(int)} scope sets it for
 * the loops the calling thread starts until the scope closes (a trainer opens one around its fit), so two
 * models trained in two threads of one JVM with different counts each run exactly as they would alone. A
 * thread outside any scope uses the process default: the system property {@code quadralib.threads}, else the
 * number of available processors, changed by {@link #setThreads(int)}. Each count has its own pool of
 * {@code count − 1} daemon workers (the calling thread runs one chunk itself), created on first use and shared
 * by every thread using that count.
 *
 * <p><b>Thread safety.</b> Every method here may be called from any number of threads at once. What the loops
 * do is the caller's: the library's kernels write only their own outputs, so concurrent inference on one model
 * is safe, while training one model (or anything that updates its parameters, batch-norm buffers or dropout
 * generators) must stay on one thread at a time. The initialiser's generator ({@code Init.rng()} in the layers
 * module) is process-wide: build models from one thread, or seed before each.
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

    /** One pool per thread count, created on first use. */
    private static final ConcurrentHashMap<Integer, ForkJoinPool> POOLS = new ConcurrentHashMap<>();
    /** Set while a calling thread runs its own chunk of {@link #forChunks}. */
    private static final ThreadLocal<boolean[]> IN_CHUNK = ThreadLocal.withInitial(() -> new boolean[1]);
    /** The count of the innermost open {@link #withThreads} scope on this thread, or 0 outside any. */
    private static final ThreadLocal<int[]> SCOPED = ThreadLocal.withInitial(() -> new int[1]);
    private static volatile int defaultThreads = defaultThreads();

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

    /**
     * The number of worker threads the calling thread's loops use: its innermost {@link #withThreads} scope's
     * count, else (on a pool worker) its pool's count, else the process default.
     */
    public static int threads() {
        int scoped = SCOPED.get()[0];
        if (scoped > 0) {
            return scoped;
        }
        if (Thread.currentThread() instanceof Worker w) {
            return w.count;
        }
        return defaultThreads;
    }

    /**
     * Sets the process default: the thread count of every thread outside a {@link #withThreads} scope. Open
     * scopes keep their own count.
     *
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public static void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("Parallel.setThreads: thread count must be >= 1, got " + n);
        }
        defaultThreads = n;
    }

    /** A {@link #withThreads} scope; closing it restores the calling thread's previous count. */
    public static final class Scope implements AutoCloseable {
        private final Thread owner = Thread.currentThread();
        private final int previous;
        private boolean closed;

        private Scope(int previous) {
            this.previous = previous;
        }

        /** @throws IllegalStateException if closed from another thread than the one that opened it */
        @Override
        public void close() {
            if (Thread.currentThread() != owner) {
                throw new IllegalStateException("Parallel.Scope: closed on " + Thread.currentThread().getName()
                        + ", opened on " + owner.getName());
            }
            if (!closed) {
                closed = true;
                SCOPED.get()[0] = previous;
            }
        }
    }

    /**
     * Runs the calling thread's loops on {@code n} threads until the returned scope is closed; scopes nest.
     * Other threads are not affected.
     *
     * <pre>{@code
     * try (Parallel.Scope s = Parallel.withThreads(2)) {
     *     // every kernel this thread runs here splits its work in at most 2 chunks
     * }
     * }</pre>
     *
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public static Scope withThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("Parallel.withThreads: thread count must be >= 1, got " + n);
        }
        int[] scoped = SCOPED.get();
        Scope scope = new Scope(scoped[0]);
        scoped[0] = n;
        return scope;
    }

    /** A worker of the pool for {@code count} threads. */
    private static final class Worker extends ForkJoinWorkerThread {
        final int count;

        Worker(ForkJoinPool pool, int count) {
            super(pool);
            this.count = count;
        }
    }

    private static ForkJoinPool pool(int count) {
        return POOLS.computeIfAbsent(count, c -> {
            AtomicInteger index = new AtomicInteger();
            // The calling thread runs one chunk of every loop: the pool needs one worker fewer.
            return new ForkJoinPool(Math.max(1, c - 1), fjp -> {
                Worker t = new Worker(fjp, c);
                // getPoolIndex() is 0 until the pool registers the thread: every worker was "worker-0".
                t.setName("quadralib-" + c + "-worker-" + index.getAndIncrement());
                t.setDaemon(true);
                return t;
            }, null, false);
        });
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@link #threads()} chunks of at least
     * {@code grain} elements each. Runs inline when one chunk suffices or when already on a worker thread.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int t = threads();
        int chunks = Math.min(t, Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1 || onWorker()) {
            body.run(0, n);
            return;
        }
        forChunks(n, chunks, body);
    }

    /**
     * True inside a parallel loop: on a worker thread of one of the pools, or on a calling thread while it runs
     * its own chunk. Nested parallel loops run inline there.
     */
    public static boolean onWorker() {
        return Thread.currentThread() instanceof Worker || IN_CHUNK.get()[0];
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
        ForkJoinTask<Void> rest = pool(threads()).submit(new Chunk(body, n, c, 1, c));
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
