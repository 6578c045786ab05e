package org.quadralib.layers.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.quadralib.core.Parallel;
import org.quadralib.core.Tensor;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.SyntheticData;
import org.quadralib.layers.Dropout;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;
import org.quadralib.layers.ReLU;
import org.quadralib.layers.Sequential;

/** Two trainers in two threads of one JVM, with different thread counts, do not interfere. */
class ConcurrentTrainersTest {

    private static Sequential model(long seed) {
        Init.manualSeed(seed);
        return new Sequential(new Linear(2, 256), new ReLU(), new Dropout(0.1f), new Linear(256, 256), new ReLU(),
                new Linear(256, 3));
    }

    private static DataLoader loader(long seed) {
        return new DataLoader(SyntheticData.spirals(384, 3), DataLoader.Options.defaults().withBatchSize(64)
                .withShuffle(true).withSeed(seed).withRandomCrop(0));
    }

    /** Trains and records every thread count the kernels saw at a batch end. */
    private static Map<String, Tensor> train(Module model, int threads, long seed, Set<Integer> seen) {
        TrainingListener recorder = new TrainingListener() {
            @Override
            public void onBatchEnd(TrainingContext context, BatchResult result) {
                seen.add(Parallel.threads());
            }
        };
        new Trainer(Trainer.Config.sgd(0.05f, 0.9f).withThreads(threads).withMaxSteps(12), recorder)
                .fit(model, loader(seed), null, 2);
        return model.stateDict();
    }

    @Test
    void twoModelsInTwoThreadsWithDifferentCountsEqualEachTrainedAlone() throws Exception {
        // Models are built on this thread: the initialiser's generator is process-wide.
        Sequential soloA = model(1);
        Sequential soloB = model(2);
        Sequential concurrentA = model(1);
        Sequential concurrentB = model(2);
        int defaultCount = Parallel.threads();

        Map<String, Tensor> aloneA = train(soloA, 1, 7, ConcurrentHashMap.newKeySet());
        Map<String, Tensor> aloneB = train(soloB, 3, 8, ConcurrentHashMap.newKeySet());

        Set<Integer> seenA = ConcurrentHashMap.newKeySet();
        Set<Integer> seenB = ConcurrentHashMap.newKeySet();
        CyclicBarrier start = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Map<String, Tensor>> a = pool.submit(() -> {
                start.await();
                return train(concurrentA, 1, 7, seenA);
            });
            Future<Map<String, Tensor>> b = pool.submit(() -> {
                start.await();
                return train(concurrentB, 3, 8, seenB);
            });
            assertSameWeights(aloneA, a.get());
            assertSameWeights(aloneB, b.get());
        } finally {
            pool.shutdownNow();
        }
        assertEquals(Set.of(1), seenA, "the 1-thread trainer only ever ran with 1 thread");
        assertEquals(Set.of(3), seenB, "the 3-thread trainer only ever ran with 3 threads");
        assertEquals(defaultCount, Parallel.threads(), "no trainer changed the process default");
    }

    private static void assertSameWeights(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            assertArrayEquals(e.getValue().toFloatArray(), actual.get(e.getKey()).toFloatArray(), e.getKey());
        }
    }
}
