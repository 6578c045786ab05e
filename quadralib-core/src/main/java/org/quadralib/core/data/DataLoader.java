package org.quadralib.core.data;

import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.quadralib.core.Rng;
import org.quadralib.core.Shapes;
import org.quadralib.core.Tensor;
import org.quadralib.core.memory.Buffers;
import org.quadralib.core.memory.MemoryCategory;

/**
 * Cuts a {@link Dataset} into mini-batches: optional seeded shuffling, drop-last, random crop with zero padding
 * and horizontal flip for images, per-channel normalisation, and prefetching of the next batch on a background
 * thread.
 *
 * <p><b>Epochs.</b> Each call to {@link #iterator()} walks one epoch and then advances the loader's epoch
 * counter, so {@code for (Batch b : loader)} inside an epoch loop sees a new order every epoch. The order and
 * every augmentation draw depend only on the seed, the epoch and the sample's position in the epoch: the same
 * seed and epoch give the same batches, with or without prefetching, on every machine. {@link #setEpoch} picks
 * the epoch of the next iterator (to resume training, or to replay an epoch).
 *
 * <p><b>Order of transforms</b>, as torchvision applies them: random crop (pad each side of H and W with
 * {@code cropPadding} zeros, cut a random H×W window), then horizontal flip with probability ½, then
 * {@code (x - mean[c]) / std[c]}. The channel is the sample's first dimension ({@code C} of {@code [C, H, W]},
 * or each feature of a {@code [F]} vector).
 *
 * <p><b>Prefetching.</b> With {@link Options#prefetch()} a daemon thread builds batch {@code k + 1} while the
 * caller works on batch {@code k}, never further ahead. The thread ends when the iterator is exhausted or
 * closed; an iterator abandoned mid-epoch without {@link BatchIterator#close()} ends its thread once it is
 * garbage collected, but try-with-resources ends it at once.
 *
 * <p>Batch tensors are allocated as {@link MemoryCategory#INPUT} memory on the thread that builds them (inside
 * the caller's {@code MemoryScope}, if any, when not prefetching). A loader is meant for one thread; iterators
 * of one loader are independent of each other.
 */
public final class DataLoader implements Iterable<DataLoader.Batch> {

    private static final AtomicInteger THREAD_IDS = new AtomicInteger();
    private static final long POLL_MILLIS = 100;

    /**
     * One mini-batch.
     *
     * @param inputs shape {@code [B, ...sampleShape]}, contiguous
     * @param labels the {@code B} class indices, in the same order
     */
    public record Batch(Tensor inputs, int[] labels) {
        /** Number of samples {@code B}. */
        public int size() {
            return labels.length;
        }
    }

    /**
     * How a loader batches and transforms samples. Start from {@link #defaults()} and change what you need with
     * the {@code with...} methods.
     *
     * @param batchSize      samples per batch, positive
     * @param shuffle        whether each epoch visits the samples in a new random order
     * @param dropLast       whether to drop the last batch when it is smaller than {@code batchSize}
     * @param seed           seed of the shuffle and of the augmentations
     * @param mean           per-channel means subtracted, of length 1 or C; null for no normalisation
     * @param std            per-channel standard deviations divided by, same length as {@code mean}, positive
     * @param cropPadding    zero padding for the random crop; 0 for no crop; needs {@code [C, H, W]} samples
     * @param horizontalFlip whether to mirror images left-right with probability ½; needs {@code [C, H, W]}
     * @param prefetch       whether to build the next batch on a background thread
     */
    public record Options(int batchSize, boolean shuffle, boolean dropLast, long seed, float[] mean, float[] std,
                          int cropPadding, boolean horizontalFlip, boolean prefetch) {

        /**
         * @throws IllegalArgumentException if the batch size is not positive, the padding is negative, or mean and
         *                                  std are not both null or both of one length with positive deviations
         */
        public Options {
            if (batchSize <= 0) {
                throw new IllegalArgumentException("DataLoader: batch size must be positive, got " + batchSize);
            }
            if (cropPadding < 0) {
                throw new IllegalArgumentException("DataLoader: crop padding must be non-negative, got " + cropPadding);
            }
            if ((mean == null) != (std == null) || mean != null && (mean.length == 0 || mean.length != std.length)) {
                throw new IllegalArgumentException("DataLoader: normalisation needs mean and std of one non-zero "
                        + "length, got " + Arrays.toString(mean) + " and " + Arrays.toString(std));
            }
            if (std != null) {
                for (float s : std) {
                    if (!(s > 0)) {
                        throw new IllegalArgumentException("DataLoader: std must be positive, got "
                                + Arrays.toString(std));
                    }
                }
            }
            mean = mean == null ? null : mean.clone();
            std = std == null ? null : std.clone();
        }

        /** Batch size 32, no shuffling, keep the last batch, seed 0, no transforms, no prefetching. */
        public static Options defaults() {
            return new Options(32, false, false, 0L, null, null, 0, false, false);
        }

        /** Per-channel means (a copy), or null. */
        @Override
        public float[] mean() {
            return mean == null ? null : mean.clone();
        }

        /** Per-channel standard deviations (a copy), or null. */
        @Override
        public float[] std() {
            return std == null ? null : std.clone();
        }

        /** These options with another batch size. */
        public Options withBatchSize(int size) {
            return new Options(size, shuffle, dropLast, seed, mean, std, cropPadding, horizontalFlip, prefetch);
        }

        /** These options with shuffling on or off. */
        public Options withShuffle(boolean on) {
            return new Options(batchSize, on, dropLast, seed, mean, std, cropPadding, horizontalFlip, prefetch);
        }

        /** These options with dropping of a short last batch on or off. */
        public Options withDropLast(boolean on) {
            return new Options(batchSize, shuffle, on, seed, mean, std, cropPadding, horizontalFlip, prefetch);
        }

        /** These options with another seed. */
        public Options withSeed(long newSeed) {
            return new Options(batchSize, shuffle, dropLast, newSeed, mean, std, cropPadding, horizontalFlip,
                    prefetch);
        }

        /**
         * These options normalising each channel {@code c} to {@code (x - mean[c]) / std[c]}; pass one value each
         * to treat all channels alike, or nulls to turn normalisation off.
         */
        public Options withNormalization(float[] channelMean, float[] channelStd) {
            return new Options(batchSize, shuffle, dropLast, seed, channelMean, channelStd, cropPadding,
                    horizontalFlip, prefetch);
        }

        /** These options with a random crop after {@code padding} zeros on each side (0 turns it off). */
        public Options withRandomCrop(int padding) {
            return new Options(batchSize, shuffle, dropLast, seed, mean, std, padding, horizontalFlip, prefetch);
        }

        /** These options with random horizontal flips on or off. */
        public Options withHorizontalFlip(boolean on) {
            return new Options(batchSize, shuffle, dropLast, seed, mean, std, cropPadding, on, prefetch);
        }

        /** These options with background prefetching on or off. */
        public Options withPrefetch(boolean on) {
            return new Options(batchSize, shuffle, dropLast, seed, mean, std, cropPadding, horizontalFlip, on);
        }
    }

    private final Dataset dataset;
    private final Options options;
    private final int[] sampleShape;
    private int epoch;

    /**
     * A loader over {@code dataset}.
     *
     * @throws IllegalArgumentException if crop or flip is asked for samples that are not {@code [C, H, W]}, or
     *                                  the normalisation has neither 1 nor C values
     */
    public DataLoader(Dataset dataset, Options options) {
        this.dataset = Objects.requireNonNull(dataset, "dataset");
        this.options = Objects.requireNonNull(options, "options");
        this.sampleShape = dataset.sampleShape();
        if ((options.cropPadding() > 0 || options.horizontalFlip()) && sampleShape.length != 3) {
            throw new IllegalArgumentException("DataLoader: random crop and flip need image samples [C, H, W], got "
                    + Shapes.str(sampleShape));
        }
        float[] mean = options.mean();
        if (mean != null && mean.length != 1 && (sampleShape.length == 0 || mean.length != sampleShape[0])) {
            throw new IllegalArgumentException("DataLoader: " + mean.length + " normalisation values for samples "
                    + Shapes.str(sampleShape) + "; give 1, or one per channel (the first dimension)");
        }
    }

    /** A loader with the default options but for batch size, shuffling and seed. */
    public DataLoader(Dataset dataset, int batchSize, boolean shuffle, long seed) {
        this(dataset, Options.defaults().withBatchSize(batchSize).withShuffle(shuffle).withSeed(seed));
    }

    /** The data set batched. */
    public Dataset dataset() {
        return dataset;
    }

    /** The options. */
    public Options options() {
        return options;
    }

    /** Batches per epoch: {@code size / batchSize}, rounded up unless dropping the last batch. */
    public int numBatches() {
        int n = dataset.size();
        int b = options.batchSize();
        return options.dropLast() ? n / b : (n + b - 1) / b;
    }

    /** The epoch the next {@link #iterator()} will walk (starts at 0). */
    public int epoch() {
        return epoch;
    }

    /**
     * Sets the epoch the next {@link #iterator()} walks.
     *
     * @throws IllegalArgumentException if {@code epoch} is negative
     */
    public void setEpoch(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("DataLoader: epoch must be non-negative, got " + epoch);
        }
        this.epoch = epoch;
    }

    /** Walks epoch {@link #epoch()} and advances the counter to the next epoch. */
    @Override
    public BatchIterator iterator() {
        return iterator(epoch++);
    }

    /**
     * Walks the given epoch without touching the counter.
     *
     * @throws IllegalArgumentException if {@code epoch} is negative
     */
    public BatchIterator iterator(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("DataLoader: epoch must be non-negative, got " + epoch);
        }
        return new BatchIterator(new EpochPlan(dataset, options, sampleShape, epoch, numBatches()));
    }

    /**
     * The batches of one epoch. Close it (try-with-resources) when leaving an epoch early, so a prefetching
     * thread ends at once; an exhausted iterator closes itself.
     */
    public static final class BatchIterator implements Iterator<Batch>, AutoCloseable {

        private final EpochPlan plan;
        private final Prefetcher prefetcher;
        private int nextBatch;
        private boolean closed;

        private BatchIterator(EpochPlan plan) {
            this.plan = plan;
            this.prefetcher = plan.options.prefetch() && plan.numBatches > 0 ? new Prefetcher(plan, this) : null;
        }

        /** The epoch walked. */
        public int epoch() {
            return plan.epoch;
        }

        @Override
        public boolean hasNext() {
            return !closed && nextBatch < plan.numBatches;
        }

        /**
         * The next batch.
         *
         * @throws NoSuchElementException if the epoch is over or the iterator closed
         * @throws IllegalStateException  if interrupted while waiting for a prefetched batch
         * @throws RuntimeException       whatever the data set threw while building the batch
         */
        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException("DataLoader: epoch " + plan.epoch + " has no batch left");
            }
            Batch batch;
            try {
                batch = prefetcher != null ? prefetcher.take() : plan.build(nextBatch);
            } catch (RuntimeException | Error e) {
                close();
                throw e;
            }
            if (++nextBatch == plan.numBatches) {
                close();
            }
            return batch;
        }

        /** Stops prefetching and waits for the thread to end; later {@link #hasNext()} calls return false. */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (prefetcher != null) {
                prefetcher.stop();
            }
        }
    }

    /** Everything needed to build any batch of one epoch; immutable, so the prefetch thread may share it. */
    private static final class EpochPlan {
        final Dataset dataset;
        final Options options;
        final int[] sampleShape;
        final int sampleSize;
        final int epoch;
        final int numBatches;
        final long epochSeed;
        final int[] order;

        EpochPlan(Dataset dataset, Options options, int[] sampleShape, int epoch, int numBatches) {
            this.dataset = dataset;
            this.options = options;
            this.sampleShape = sampleShape;
            this.sampleSize = Shapes.numel(sampleShape);
            this.epoch = epoch;
            this.numBatches = numBatches;
            this.epochSeed = Permutations.derive(options.seed(), epoch);
            if (options.shuffle()) {
                order = Permutations.shuffled(dataset.size(), new Rng(Permutations.derive(epochSeed, 0)));
            } else {
                order = new int[dataset.size()];
                Arrays.setAll(order, i -> i);
            }
        }

        Batch build(int batchIndex) {
            int start = batchIndex * options.batchSize();
            int count = Math.min(options.batchSize(), order.length - start);
            int[] shape = new int[sampleShape.length + 1];
            shape[0] = count;
            System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
            Tensor inputs;
            Buffers.CategoryScope category = Buffers.withCategory(MemoryCategory.INPUT);
            try {
                inputs = Tensor.empty(shape); // every element is written below
            } finally {
                category.close();
            }
            float[] dst = inputs.data();
            int base = inputs.offset();
            boolean augment = options.cropPadding() > 0 || options.horizontalFlip();
            float[] scratch = augment ? new float[sampleSize] : null;
            int[] labels = new int[count];
            for (int j = 0; j < count; j++) {
                int sample = order[start + j];
                int at = base + j * sampleSize;
                labels[j] = dataset.label(sample);
                if (augment) {
                    dataset.copySample(sample, scratch, 0);
                    // Seeded by the position in the epoch, not by a shared generator, so the draws do not depend
                    // on which thread builds which batch, or in what order.
                    Rng rng = new Rng(Permutations.derive(epochSeed, 1L + start + j));
                    cropAndFlip(scratch, dst, at, rng);
                } else {
                    dataset.copySample(sample, dst, at);
                }
                normalize(dst, at);
            }
            return new Batch(inputs, labels);
        }

        /** {@code out[c][y][x] = in[c][y + dy][x' + dx]}, x' mirrored if flipped, zero outside the image. */
        private void cropAndFlip(float[] in, float[] out, int at, Rng rng) {
            int channels = sampleShape[0];
            int height = sampleShape[1];
            int width = sampleShape[2];
            int pad = options.cropPadding();
            int dy = pad > 0 ? rng.nextInt(2 * pad + 1) - pad : 0;
            int dx = pad > 0 ? rng.nextInt(2 * pad + 1) - pad : 0;
            boolean flip = options.horizontalFlip() && rng.nextDouble() < 0.5;
            for (int c = 0; c < channels; c++) {
                int plane = c * height * width;
                for (int y = 0; y < height; y++) {
                    int sy = y + dy;
                    int row = at + plane + y * width;
                    if (sy < 0 || sy >= height) {
                        Arrays.fill(out, row, row + width, 0f);
                        continue;
                    }
                    int srcRow = plane + sy * width;
                    for (int x = 0; x < width; x++) {
                        int sx = (flip ? width - 1 - x : x) + dx;
                        out[row + x] = sx >= 0 && sx < width ? in[srcRow + sx] : 0f;
                    }
                }
            }
        }

        private void normalize(float[] data, int at) {
            float[] mean = options.mean;
            if (mean == null) {
                return;
            }
            float[] std = options.std;
            int channels = mean.length;
            int perChannel = sampleSize / channels;
            for (int c = 0; c < channels; c++) {
                float m = mean[c];
                float inv = 1f / std[c];
                int from = at + c * perChannel;
                for (int i = from; i < from + perChannel; i++) {
                    data[i] = (data[i] - m) * inv;
                }
            }
        }
    }

    /**
     * Builds batches one ahead on a daemon thread. The hand-off is a {@link SynchronousQueue}: the thread blocks
     * with its finished batch until the caller asks for it, so at most one batch waits beyond the one in use.
     */
    private static final class Prefetcher implements Runnable {

        /** A batch that failed to build; its error is rethrown on the caller's thread. */
        private record Failure(Throwable error) {
        }

        private final EpochPlan plan;
        private final SynchronousQueue<Object> handoff = new SynchronousQueue<>();
        // Weak, so an iterator dropped mid-epoch can be collected, which tells the thread to stop.
        private final WeakReference<BatchIterator> owner;
        private final Thread thread;
        private volatile boolean stopped;

        Prefetcher(EpochPlan plan, BatchIterator owner) {
            this.plan = plan;
            this.owner = new WeakReference<>(owner);
            this.thread = new Thread(this, "quadralib-data-prefetch-" + THREAD_IDS.incrementAndGet());
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void run() {
            try {
                for (int k = 0; k < plan.numBatches; k++) {
                    Object item;
                    try {
                        item = plan.build(k);
                    } catch (RuntimeException | Error e) {
                        item = new Failure(e);
                    }
                    while (!handoff.offer(item, POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                        if (stopped || owner.get() == null) {
                            return;
                        }
                    }
                    if (item instanceof Failure) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                // stop() interrupts to end the thread; nothing is left to clean up.
            }
        }

        Batch take() {
            try {
                while (true) {
                    Object item = handoff.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
                    if (item instanceof Batch batch) {
                        return batch;
                    }
                    if (item instanceof Failure failure) {
                        Throwable error = failure.error();
                        if (error instanceof Error e) {
                            throw e;
                        }
                        throw (RuntimeException) error;
                    }
                    if (!thread.isAlive()) {
                        throw new IllegalStateException("DataLoader: prefetch thread " + thread.getName()
                                + " ended before delivering a batch");
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("DataLoader: interrupted while waiting for the next batch", e);
            }
        }

        void stop() {
            stopped = true;
            thread.interrupt();
            boolean interrupted = false;
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    interrupted = true; // finish waiting, so no thread outlives close(); restore the flag after
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
