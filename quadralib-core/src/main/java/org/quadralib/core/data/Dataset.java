package org.quadralib.core.data;

import org.quadralib.core.Shapes;

/**
 * A fixed-size, indexable collection of labelled samples for classification. Every sample has the same shape
 * ({@code [C, H, W]} for images, {@code [F]} for feature vectors); labels are class indices in
 * {@code [0, numClasses())}.
 *
 * <p>Implementations must allow {@link #copySample} and {@link #label} to be called from a thread other than
 * the one that built the data set (the {@link DataLoader} prefetches on a background thread); read-only data
 * sets are safe as they are.
 */
public interface Dataset {

    /** Number of samples. */
    int size();

    /** The shape of one sample, without the batch dimension (a copy the caller may keep). */
    int[] sampleShape();

    /**
     * Copies sample {@code index}, row-major, into {@code dst[dstOff, dstOff + sampleSize())}.
     *
     * @throws IndexOutOfBoundsException if {@code index} is outside {@code [0, size())} or {@code dst} is too short
     */
    void copySample(int index, float[] dst, int dstOff);

    /**
     * The class index of sample {@code index}, in {@code [0, numClasses())}.
     *
     * @throws IndexOutOfBoundsException if {@code index} is outside {@code [0, size())}
     */
    int label(int index);

    /** Number of classes; every label is below it. */
    int numClasses();

    /** Number of floats in one sample: the product of {@link #sampleShape()}. */
    default int sampleSize() {
        return Shapes.numel(sampleShape());
    }
}
