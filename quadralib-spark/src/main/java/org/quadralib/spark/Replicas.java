package org.quadralib.spark;

import java.util.Deque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

import org.quadralib.core.memory.MemoryScope;
import org.quadralib.layers.Init;
import org.quadralib.layers.Module;

/**
 * The model replicas of this JVM (an executor, or the driver in local mode), per training run: one per task
 * running at a time, built once and reused step after step (a replica holds no state between steps that matters:
 * every task loads the driver's weights before computing). A replica lost with its executor is simply built again;
 * an executor keeps the replicas of the newest run it has seen, so runs trained one after another do not pile up.
 */
final class Replicas {

    /** A model and the memory pool its steps recycle activations through. */
    record Replica(Module model, MemoryScope.Pool pool) {
    }

    private static final ConcurrentHashMap<String, Deque<Replica>> IDLE = new ConcurrentHashMap<>();

    private Replicas() {
    }

    /** An idle replica of run {@code run}, or a new one built by {@code factory}. */
    static Replica take(String run, ModelFactory factory) {
        if (!IDLE.containsKey(run)) {
            // A long-lived executor keeps the replicas of the newest run only; older runs' are garbage.
            IDLE.keySet().removeIf(other -> !other.equals(run));
        }
        Replica idle = IDLE.computeIfAbsent(run, k -> new ConcurrentLinkedDeque<>()).pollFirst();
        if (idle != null) {
            return idle;
        }
        Module model;
        // Building draws initial weights from the shared initialiser; in local mode that generator is the
        // driver's, whose state a checkpoint records: leave it as it was. Init's own lock keeps others out.
        synchronized (Init.class) {
            long[] state = Init.rng().state();
            try {
                model = factory.build();
            } finally {
                Init.rng().restore(state);
            }
        }
        model.train(true);
        return new Replica(model, new MemoryScope.Pool());
    }

    /** Returns a replica for the next task of its run. */
    static void give(String run, Replica replica) {
        IDLE.computeIfAbsent(run, k -> new ConcurrentLinkedDeque<>()).addFirst(replica);
    }

    /** Forgets the replicas of run {@code run} in this JVM. */
    static void drop(String run) {
        IDLE.remove(run);
    }
}
