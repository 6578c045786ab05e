package org.quadralib.autobuild;

import java.util.Arrays;
import java.util.Objects;
import java.util.Random;

import org.quadralib.core.data.Dataset;

/**
 * Some samples of another data set, by index, without copying them: the first {@code n}, or the two parts of a
 * seeded training/validation split ({@link #split}).
 */
public final class Subset implements Dataset {

    /**
     * A data set cut in two disjoint parts that together hold every sample once.
     *
     * @param train the samples to train on
     * @param validation the samples held out (for layer importance and selection, never for training)
     */
    public record Split(Subset train, Subset validation) {
    }

    private final Dataset source;
    private final int[] indices;

    private Subset(Dataset source, int[] indices) {
        this.source = source;
        this.indices = indices;
    }

    /**
     * The first {@code size} samples of {@code source}.
     *
     * @throws IllegalArgumentException if {@code size} is not in {@code [1, source.size()]}
     */
    public static Subset first(Dataset source, int size) {
        Objects.requireNonNull(source, "source");
        if (size <= 0 || size > source.size()) {
            throw new IllegalArgumentException("Subset.first: size " + size + " outside [1, " + source.size() + "]");
        }
        int[] indices = new int[size];
        Arrays.setAll(indices, i -> i);
        return new Subset(source, indices);
    }

    /**
     * Splits {@code source} at random into a training part and a validation part of
     * {@code round(fraction · size)} samples (at least 1), the same parts for the same seed: the samples are
     * shuffled by {@link Random}{@code (seed)} (Fisher–Yates), the validation part is the first of them, and each
     * part keeps its samples in their original order.
     *
     * @throws IllegalArgumentException if {@code fraction} is not in {@code (0, 1)} or either part would be empty
     */
    public static Split split(Dataset source, double fraction, long seed) {
        Objects.requireNonNull(source, "source");
        int n = source.size();
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("Subset.split: the validation fraction must be in (0, 1), got " + fraction);
        }
        int validation = (int) Math.max(1, Math.round(fraction * n));
        if (validation >= n) {
            throw new IllegalArgumentException("Subset.split: " + n + " samples leave none to train on with a validation fraction of "
                    + fraction);
        }
        int[] order = new int[n];
        Arrays.setAll(order, i -> i);
        Random rng = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[] val = Arrays.copyOf(order, validation);
        int[] train = Arrays.copyOfRange(order, validation, n);
        Arrays.sort(val);
        Arrays.sort(train);
        return new Split(new Subset(source, train), new Subset(source, val));
    }

    /** The index in the source of this subset's sample {@code i}. */
    public int sourceIndex(int i) {
        return indices[Objects.checkIndex(i, indices.length)];
    }

    @Override
    public int size() {
        return indices.length;
    }

    @Override
    public int[] sampleShape() {
        return source.sampleShape();
    }

    @Override
    public void copySample(int index, float[] dst, int dstOff) {
        source.copySample(sourceIndex(index), dst, dstOff);
    }

    @Override
    public int label(int index) {
        return source.label(sourceIndex(index));
    }

    @Override
    public int numClasses() {
        return source.numClasses();
    }
}
