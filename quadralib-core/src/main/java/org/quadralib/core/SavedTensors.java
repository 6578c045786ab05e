package org.quadralib.core;

import java.lang.ref.Cleaner;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

import org.quadralib.core.memory.Storage;

/**
 * The registry every tensor saved for backward passes through.
 *
 * <p>Bytes are counted per storage, so a tensor saved by two ops, or two views of one buffer, count once;
 * a storage stops counting when the last node that saved it is freed. Leaves that require a gradient
 * (parameters) are not counted: they live anyway. Observers ({@link Listener}) see each storage when it is
 * first saved and when it is finally released, with the op and the module path that saved it.
 *
 * <p>A node is freed by the backward pass that runs through it, or, for a graph that is dropped without a
 * backward (a forward pass outside {@link GradMode#noGrad()} whose output is discarded), once the garbage
 * collector has reclaimed it: the registry holds no reference to the graph, so it never keeps activations
 * alive. Such collected releases are reported at the next save or backward on any thread, so listeners are
 * only ever called from threads that run ops.
 *
 * <p>A custom {@link Function} that recomputes instead of saving simply does not call save, and the registry
 * shows the saving.
 */
public final class SavedTensors {

    /** Observer of saved storages. */
    public interface Listener {
        /**
         * @param bytes positive when a storage is first saved, negative when it is released
         * @param op the op that saved it first
         * @param owner the module path, or {@code ""}
         */
        void onSaved(long bytes, String op, String owner);
    }

    /** A handle to a saved tensor. */
    public static final class Saved {
        private Tensor tensor;
        private final Node node;
        private final Cleaner.Cleanable release;

        Saved(Tensor tensor, Node node, boolean counted) {
            this.tensor = tensor;
            this.node = node;
            // The release action must not reach this handle or its node, or the graph could never be collected.
            this.release = counted ? CLEANER.register(this, new Release(tensor.storage(), node.op(), node.owner())) : null;
        }

        /**
         * The saved tensor.
         *
         * @throws IllegalStateException if the graph was already freed by a backward pass
         */
        public Tensor get() {
            Tensor t = tensor;
            if (t == null) {
                throw new IllegalStateException("saved tensor of '" + node.op() + "' was freed by an earlier backward;"
                        + " call backward(seed, true) to keep the graph");
            }
            return t;
        }

        void release() {
            tensor = null;
            if (release != null) {
                // Runs the release action at most once, here; then reports it on this thread.
                release.clean();
                drainReleased();
            }
        }
    }

    /** Queues one storage's release; run by {@link Saved#release()} or by the cleaner once the handle is collected. */
    private record Release(Storage storage, String op, String owner) implements Runnable {
        @Override
        public void run() {
            RELEASED.add(this);
        }
    }

    private static final class Entry {
        int count;
        final long bytes;

        Entry(long bytes) {
            this.bytes = bytes;
        }
    }

    private static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "quadralib-saved-tensors-cleaner");
        t.setDaemon(true);
        return t;
    });
    private static final ConcurrentLinkedQueue<Release> RELEASED = new ConcurrentLinkedQueue<>();
    private static final Map<Storage, Entry> LIVE = new IdentityHashMap<>();
    private static final CopyOnWriteArrayList<Listener> LISTENERS = new CopyOnWriteArrayList<>();
    private static long liveBytes;
    private static long peakBytes;

    private SavedTensors() {
    }

    static Saved save(Tensor t, Node node) {
        drainReleased();
        boolean counted = !(t.isLeaf() && t.requiresGrad());
        if (counted) {
            long added = 0;
            synchronized (LIVE) {
                Entry e = LIVE.get(t.storage());
                if (e == null) {
                    e = new Entry(t.storage().bytes());
                    LIVE.put(t.storage(), e);
                    added = e.bytes;
                    liveBytes += added;
                    peakBytes = Math.max(peakBytes, liveBytes);
                }
                e.count++;
            }
            if (added > 0) {
                for (Listener l : LISTENERS) {
                    l.onSaved(added, node.op(), node.owner());
                }
            }
        }
        return new Saved(t, node, counted);
    }

    /** Applies every queued release: explicit ones and those of graphs the collector reclaimed. */
    private static void drainReleased() {
        for (Release r = RELEASED.poll(); r != null; r = RELEASED.poll()) {
            long removed = 0;
            synchronized (LIVE) {
                Entry e = LIVE.get(r.storage());
                if (e != null && --e.count == 0) {
                    LIVE.remove(r.storage());
                    removed = e.bytes;
                    liveBytes -= removed;
                }
            }
            if (removed > 0) {
                for (Listener l : LISTENERS) {
                    l.onSaved(-removed, r.op(), r.owner());
                }
            }
        }
    }

    /** Bytes of distinct storages currently saved for backward. */
    public static long liveBytes() {
        synchronized (LIVE) {
            return liveBytes;
        }
    }

    /** Highest {@link #liveBytes()} since the last {@link #resetPeak()}. */
    public static long peakBytes() {
        synchronized (LIVE) {
            return peakBytes;
        }
    }

    /** Sets the peak to the current value. */
    public static void resetPeak() {
        synchronized (LIVE) {
            peakBytes = liveBytes;
        }
    }

    /** Adds an observer. */
    public static void addListener(Listener l) {
        LISTENERS.add(l);
    }

    /** Removes an observer. */
    public static void removeListener(Listener l) {
        LISTENERS.remove(l);
    }
}
