package org.quadralib.spark;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

import org.quadralib.core.Tensor;
import org.quadralib.core.data.DataLoader;

/**
 * The samples one partition trains on during one epoch, by global sample index: the indices ascending, the values
 * of sample {@code indices[i]} at {@code features[i·sampleSize, (i+1)·sampleSize)}, its label at {@code labels[i]}.
 */
final class Shard implements Serializable {

    private static final long serialVersionUID = 1L;

    private final long[] indices;
    private final float[] features;
    private final int[] labels;
    private final int sampleSize;

    private Shard(long[] indices, float[] features, int[] labels, int sampleSize) {
        this.indices = indices;
        this.features = features;
        this.labels = labels;
        this.sampleSize = sampleSize;
    }

    /** A shard of the indexed samples (in any order); rejects a sample of the wrong length or label. */
    static Shard of(List<IndexedSample> samples, int sampleSize, int numClasses) {
        IndexedSample[] sorted = samples.toArray(new IndexedSample[0]);
        Arrays.sort(sorted, (a, b) -> Long.compare(a.index(), b.index()));
        long[] indices = new long[sorted.length];
        float[] features = new float[Math.multiplyExact(sorted.length, sampleSize)];
        int[] labels = new int[sorted.length];
        for (int i = 0; i < sorted.length; i++) {
            IndexedSample s = sorted[i];
            float[] f = s.sample().features();
            if (f.length != sampleSize) {
                throw new IllegalArgumentException("SparkData: sample " + s.index() + " has " + f.length
                        + " values, the sample shape holds " + sampleSize);
            }
            int label = s.sample().label();
            if (label < 0 || label >= numClasses) {
                throw new IllegalArgumentException("SparkData: sample " + s.index() + " has label " + label
                        + ", outside [0, " + numClasses + ")");
            }
            indices[i] = s.index();
            System.arraycopy(f, 0, features, i * sampleSize, sampleSize);
            labels[i] = label;
        }
        return new Shard(indices, features, labels, sampleSize);
    }

    /** Number of samples. */
    int size() {
        return indices.length;
    }

    /**
     * The batch of the samples {@code share} (global indices, in that order): inputs {@code [n, sampleShape...]}.
     *
     * @throws IllegalStateException if a sample is not in this shard (the data was placed for another epoch)
     */
    DataLoader.Batch batch(int[] share, int[] sampleShape) {
        int[] shape = new int[sampleShape.length + 1];
        shape[0] = share.length;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        Tensor inputs = Tensor.empty(shape);
        float[] dst = inputs.data();
        int base = inputs.offset();
        int[] batchLabels = new int[share.length];
        for (int j = 0; j < share.length; j++) {
            int at = Arrays.binarySearch(indices, share[j]);
            if (at < 0) {
                throw new IllegalStateException("SparkTrainer: sample " + share[j] + " is not in this partition's "
                        + "shard of " + indices.length + " samples");
            }
            System.arraycopy(features, at * sampleSize, dst, base + j * sampleSize, sampleSize);
            batchLabels[j] = labels[at];
        }
        return new DataLoader.Batch(inputs, batchLabels);
    }

    /** A sample with its global index. */
    record IndexedSample(long index, LabeledSample sample) implements Serializable {
    }
}
