package org.quadralib.core.data;

import java.util.Arrays;
import org.quadralib.core.Rng;
import org.quadralib.core.Shapes;

/**
 * A data set held in two arrays: the samples back to back, row-major, and their labels.
 *
 * <p>The arrays are taken as they are, not copied (a training set can be hundreds of megabytes); do not modify
 * them afterwards.
 */
public final class ArrayDataset extends LabelledArrays {

    private final float[] features;

    /**
     * A data set of {@code labels.length} samples of shape {@code sampleShape}.
     *
     * @param features   {@code labels.length * product(sampleShape)} values, sample after sample
     * @param labels     class index of each sample
     * @param sampleShape shape of one sample, e.g. {@code [2]} or {@code [1, 28, 28]}
     * @param numClasses number of classes
     * @throws IllegalArgumentException if the lengths disagree, a size is negative, or a label is outside
     *                                  {@code [0, numClasses)}
     */
    public ArrayDataset(float[] features, int[] labels, int[] sampleShape, int numClasses) {
        super(labels, checked(features, labels, sampleShape, numClasses), numClasses);
        this.features = features;
    }

    /** {@code sampleShape}, once the lengths and labels agree with it. */
    private static int[] checked(float[] features, int[] labels, int[] sampleShape, int numClasses) {
        int sampleSize = Shapes.numel(sampleShape);
        if ((long) labels.length * sampleSize != features.length) {
            throw new IllegalArgumentException("ArrayDataset: " + labels.length + " labels of samples shaped "
                    + Shapes.str(sampleShape) + " need " + (long) labels.length * sampleSize + " features, got "
                    + features.length);
        }
        if (numClasses <= 0) {
            throw new IllegalArgumentException("ArrayDataset: numClasses must be positive, got " + numClasses);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("ArrayDataset: label " + labels[i] + " of sample " + i
                        + " is outside [0, " + numClasses + ")");
            }
        }
        return sampleShape;
    }

    /**
     * As {@link #ArrayDataset(float[], int[], int[], int)} with {@code numClasses} one more than the largest
     * label (1 for an empty set).
     */
    public ArrayDataset(float[] features, int[] labels, int[] sampleShape) {
        this(features, labels, sampleShape, Arrays.stream(labels).max().orElse(0) + 1);
    }

    /** Copies any data set into memory. */
    public static ArrayDataset copyOf(Dataset source) {
        int n = source.size();
        int size = source.sampleSize();
        float[] features = new float[Math.multiplyExact(n, size)];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            source.copySample(i, features, i * size);
            labels[i] = source.label(i);
        }
        return new ArrayDataset(features, labels, source.sampleShape(), source.numClasses());
    }

    @Override
    public void copySample(int index, float[] dst, int dstOff) {
        checkIndex(index);
        System.arraycopy(features, index * sampleSize, dst, dstOff, sampleSize);
    }

    /**
     * The samples at {@code indices}, in that order (repeats allowed), copied into a new data set with the
     * same number of classes.
     *
     * @throws IndexOutOfBoundsException if an index is outside {@code [0, size())}
     */
    public ArrayDataset subset(int... indices) {
        float[] f = new float[Math.multiplyExact(indices.length, sampleSize)];
        int[] l = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            copySample(indices[i], f, i * sampleSize);
            l[i] = labels[indices[i]];
        }
        return new ArrayDataset(f, l, sampleShape(), numClasses());
    }

    /**
     * Two disjoint random parts, e.g. training and validation: {@code first} holds
     * {@code round(size() * firstFraction)} samples. The same seed gives the same split.
     *
     * @param first  the first part
     * @param second the rest
     */
    public record Split(ArrayDataset first, ArrayDataset second) {
    }

    /**
     * Splits the samples at random into two parts.
     *
     * @param firstFraction share of samples in the first part, in [0, 1]
     * @param seed          seed of the shuffle
     * @throws IllegalArgumentException if {@code firstFraction} is outside [0, 1]
     */
    public Split split(double firstFraction, long seed) {
        if (!(firstFraction >= 0 && firstFraction <= 1)) {
            throw new IllegalArgumentException("ArrayDataset.split: fraction must be in [0, 1], got " + firstFraction);
        }
        int[] order = Permutations.shuffled(size(), new Rng(seed));
        int k = (int) Math.round(size() * firstFraction);
        return new Split(subset(Arrays.copyOfRange(order, 0, k)), subset(Arrays.copyOfRange(order, k, order.length)));
    }
}
