package org.quadralib.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class DataLoaderTest {

    /** Sample i of a feature set holds {@code [i, 100 + i]}; its label is {@code i mod 3}. */
    private static ArrayDataset features(int n) {
        float[] f = new float[2 * n];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            f[2 * i] = i;
            f[2 * i + 1] = 100 + i;
            labels[i] = i % 3;
        }
        return new ArrayDataset(f, labels, new int[] {2}, 3);
    }

    /** {@code n} images [2, 5, 6] whose pixels are all positive and distinct within an image. */
    private static ArrayDataset images(int n) {
        int size = 2 * 5 * 6;
        float[] f = new float[n * size];
        for (int i = 0; i < f.length; i++) {
            f[i] = 1 + i % size + 1000 * (i / size);
        }
        return new ArrayDataset(f, new int[n], new int[] {2, 5, 6}, 1);
    }

    @Test
    void batchesInOrderWithAShortLastBatch() {
        DataLoader loader = new DataLoader(features(10), DataLoader.Options.defaults().withBatchSize(4));
        assertEquals(3, loader.numBatches());
        List<DataLoader.Batch> batches = collect(loader.iterator());
        assertEquals(List.of(4, 4, 2), batches.stream().map(DataLoader.Batch::size).toList());
        assertArrayEquals(new int[] {4, 2}, batches.get(0).inputs().shape());
        assertArrayEquals(new int[] {2, 2}, batches.get(2).inputs().shape());
        assertArrayEquals(new float[] {8, 108, 9, 109}, batches.get(2).inputs().toFloatArray());
        assertArrayEquals(new int[] {2, 0}, batches.get(2).labels());
    }

    @Test
    void dropLastDropsTheShortBatch() {
        DataLoader loader = new DataLoader(features(10),
                DataLoader.Options.defaults().withBatchSize(4).withDropLast(true));
        assertEquals(2, loader.numBatches());
        assertEquals(List.of(4, 4), collect(loader.iterator()).stream().map(DataLoader.Batch::size).toList());
        assertEquals(0, new DataLoader(features(3), DataLoader.Options.defaults().withBatchSize(4).withDropLast(true))
                .numBatches());
    }

    @Test
    void exhaustedIteratorThrows() {
        DataLoader.BatchIterator it = new DataLoader(features(2), 2, false, 0).iterator();
        it.next();
        assertFalse(it.hasNext());
        assertThrows(NoSuchElementException.class, it::next);
    }

    @Test
    void shuffleIsDeterministicPerSeedAndEpoch() {
        ArrayDataset data = features(50);
        DataLoader a = new DataLoader(data, 8, true, 123);
        DataLoader b = new DataLoader(data, 8, true, 123);
        List<Integer> a0 = order(a.iterator());
        List<Integer> a1 = order(a.iterator());
        assertEquals(2, a.epoch(), "each iterator advances the epoch");
        assertEquals(a0, order(b.iterator()), "same seed, same order");
        assertEquals(a1, order(b.iterator()));
        assertNotEquals(a0, a1, "another epoch, another order");
        assertNotEquals(a0, order(new DataLoader(data, 8, true, 124).iterator()), "another seed, another order");
        for (List<Integer> epoch : List.of(a0, a1)) {
            assertEquals(data.size(), Set.copyOf(epoch).size(), "every sample exactly once");
        }
        a.setEpoch(1);
        assertEquals(a1, order(a.iterator()), "setEpoch replays an epoch");
        assertEquals(a0, order(a.iterator(0)));
        assertEquals(2, a.epoch(), "an explicit epoch leaves the counter alone");
        assertEquals(List.of(0, 1, 2, 3, 4), order(new DataLoader(features(5), 2, false, 1).iterator()));
    }

    @Test
    void normalizesEachChannel() {
        DataLoader.Options options = DataLoader.Options.defaults().withBatchSize(2)
                .withNormalization(new float[] {1, 100}, new float[] {2, 4});
        DataLoader.Batch batch = new DataLoader(features(2), options).iterator().next();
        assertArrayEquals(new float[] {-0.5f, 0, 0, 0.25f}, batch.inputs().toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> new DataLoader(features(2),
                DataLoader.Options.defaults().withNormalization(new float[] {0, 0, 0}, new float[] {1, 1, 1})));
        assertThrows(IllegalArgumentException.class,
                () -> DataLoader.Options.defaults().withNormalization(new float[] {0}, new float[] {0}));
    }

    @Test
    void flipMirrorsRowsOrLeavesThemAlone() {
        ArrayDataset data = images(40);
        DataLoader loader = new DataLoader(data,
                DataLoader.Options.defaults().withBatchSize(16).withHorizontalFlip(true).withSeed(3));
        int flipped = 0;
        int index = 0;
        for (DataLoader.Batch batch : loader) {
            assertArrayEquals(new int[] {batch.size(), 2, 5, 6}, batch.inputs().shape());
            float[] out = batch.inputs().toFloatArray();
            for (int j = 0; j < batch.size(); j++, index++) {
                float[] original = new float[60];
                data.copySample(index, original, 0);
                float[] got = Arrays.copyOfRange(out, j * 60, (j + 1) * 60);
                if (!Arrays.equals(original, got)) {
                    assertArrayEquals(mirror(original), got);
                    flipped++;
                }
            }
        }
        assertTrue(flipped > 5 && flipped < 35, "about half flipped: " + flipped);
    }

    @Test
    void cropShiftsTheImageAndPadsWithZeros() {
        ArrayDataset data = images(30);
        DataLoader loader = new DataLoader(data,
                DataLoader.Options.defaults().withBatchSize(30).withRandomCrop(2).withSeed(5));
        DataLoader.Batch batch = loader.iterator().next();
        assertArrayEquals(new int[] {30, 2, 5, 6}, batch.inputs().shape());
        float[] out = batch.inputs().toFloatArray();
        int shifted = 0;
        for (int j = 0; j < 30; j++) {
            float[] original = new float[60];
            data.copySample(j, original, 0);
            float[] got = Arrays.copyOfRange(out, j * 60, (j + 1) * 60);
            int[] shift = findShift(original, got, 2);
            assertTrue(shift != null, "sample " + j + " is a shifted, zero-padded copy");
            if (shift[0] != 0 || shift[1] != 0) {
                shifted++;
            }
        }
        assertTrue(shifted > 15, "most samples shifted: " + shifted);
        assertThrows(IllegalArgumentException.class,
                () -> new DataLoader(features(4), DataLoader.Options.defaults().withRandomCrop(1)));
    }

    @Test
    void prefetchingGivesTheSameBatches() {
        Set<Thread> before = prefetchThreads();
        ArrayDataset data = images(37);
        DataLoader.Options options = DataLoader.Options.defaults().withBatchSize(5).withShuffle(true)
                .withRandomCrop(1).withHorizontalFlip(true).withSeed(11)
                .withNormalization(new float[] {0.5f, 1}, new float[] {2, 3});
        DataLoader plain = new DataLoader(data, options);
        DataLoader prefetching = new DataLoader(data, options.withPrefetch(true));
        for (int epoch = 0; epoch < 3; epoch++) {
            List<DataLoader.Batch> expected = collect(plain.iterator());
            List<DataLoader.Batch> actual = collect(prefetching.iterator());
            assertEquals(expected.size(), actual.size());
            for (int k = 0; k < expected.size(); k++) {
                assertArrayEquals(expected.get(k).labels(), actual.get(k).labels());
                assertArrayEquals(expected.get(k).inputs().shape(), actual.get(k).inputs().shape());
                assertArrayEquals(expected.get(k).inputs().toFloatArray(), actual.get(k).inputs().toFloatArray(),
                        "epoch " + epoch + " batch " + k);
            }
        }
        assertEquals(Set.of(), newPrefetchThreads(before));
    }

    @Test
    void noPrefetchThreadOutlivesAnEpochOrAnEarlyClose() {
        Set<Thread> before = prefetchThreads();
        DataLoader loader = new DataLoader(features(100),
                DataLoader.Options.defaults().withBatchSize(7).withShuffle(true).withPrefetch(true));
        for (DataLoader.Batch batch : loader) {
            assertTrue(batch.size() > 0);
        }
        assertEquals(Set.of(), newPrefetchThreads(before), "exhaustion ends the thread");

        try (DataLoader.BatchIterator it = loader.iterator()) {
            it.next();
            assertFalse(newPrefetchThreads(before).isEmpty(), "the thread is working ahead");
        }
        assertEquals(Set.of(), newPrefetchThreads(before), "close ends the thread");
    }

    @Test
    void aFailingDatasetFailsTheCallerEvenWhenPrefetching() {
        IllegalStateException failure = new IllegalStateException("disk gone");
        Dataset broken = new Dataset() {
            @Override
            public int size() {
                return 10;
            }

            @Override
            public int[] sampleShape() {
                return new int[] {1};
            }

            @Override
            public void copySample(int index, float[] dst, int dstOff) {
                if (index == 6) {
                    throw failure;
                }
                dst[dstOff] = index;
            }

            @Override
            public int label(int index) {
                return 0;
            }

            @Override
            public int numClasses() {
                return 1;
            }
        };
        Set<Thread> before = prefetchThreads();
        for (boolean prefetch : new boolean[] {false, true}) {
            DataLoader.BatchIterator it = new DataLoader(broken,
                    DataLoader.Options.defaults().withBatchSize(3).withPrefetch(prefetch)).iterator();
            it.next();
            it.next();
            assertSame(failure, assertThrows(IllegalStateException.class, it::next));
            assertFalse(it.hasNext());
        }
        assertEquals(Set.of(), newPrefetchThreads(before));
    }

    // ---------------------------------------------------------------- helpers

    private static List<DataLoader.Batch> collect(DataLoader.BatchIterator it) {
        List<DataLoader.Batch> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    /** The sample indices of a {@link #features} loader's epoch, in order. */
    private static List<Integer> order(DataLoader.BatchIterator it) {
        List<Integer> out = new ArrayList<>();
        it.forEachRemaining(batch -> {
            float[] values = batch.inputs().toFloatArray();
            for (int j = 0; j < batch.size(); j++) {
                out.add((int) values[2 * j]);
            }
        });
        return out;
    }

    private static float[] mirror(float[] image) {
        float[] out = new float[image.length];
        for (int row = 0; row < 10; row++) {
            for (int x = 0; x < 6; x++) {
                out[row * 6 + x] = image[row * 6 + 5 - x];
            }
        }
        return out;
    }

    /** The {@code (dy, dx)} with {@code got[c][y][x] = original[c][y+dy][x+dx]} (0 outside), or null. */
    private static int[] findShift(float[] original, float[] got, int pad) {
        for (int dy = -pad; dy <= pad; dy++) {
            for (int dx = -pad; dx <= pad; dx++) {
                boolean match = true;
                for (int c = 0; c < 2 && match; c++) {
                    for (int y = 0; y < 5 && match; y++) {
                        for (int x = 0; x < 6 && match; x++) {
                            int sy = y + dy;
                            int sx = x + dx;
                            float expected = sy >= 0 && sy < 5 && sx >= 0 && sx < 6 ? original[c * 30 + sy * 6 + sx] : 0;
                            match = got[c * 30 + y * 6 + x] == expected;
                        }
                    }
                }
                if (match) {
                    return new int[] {dy, dx};
                }
            }
        }
        return null;
    }

    private static Set<Thread> prefetchThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("quadralib-data-prefetch-") && t.isAlive())
                .collect(Collectors.toSet());
    }

    private static Set<Thread> newPrefetchThreads(Set<Thread> before) {
        Set<Thread> now = prefetchThreads();
        now.removeAll(before);
        return now;
    }
}
