package org.quadralib.core.data;

import org.quadralib.core.Shapes;

/**
 * What the in-memory data sets share: the labels in an array, the sample shape and the class count, with the
 * index checks; a subclass says how a sample's values are stored and copied out.
 */
abstract class LabelledArrays implements Dataset {

    /** The class index of each sample. */
    final int[] labels;
    /** The values of one sample. */
    final int sampleSize;
    private final int[] sampleShape;
    private final int numClasses;

    LabelledArrays(int[] labels, int[] sampleShape, int numClasses) {
        this.labels = labels;
        this.sampleShape = sampleShape.clone();
        this.sampleSize = Shapes.numel(this.sampleShape);
        this.numClasses = numClasses;
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public int[] sampleShape() {
        return sampleShape.clone();
    }

    @Override
    public int sampleSize() {
        return sampleSize;
    }

    @Override
    public int label(int index) {
        checkIndex(index);
        return labels[index];
    }

    @Override
    public int numClasses() {
        return numClasses;
    }

    /** @throws IndexOutOfBoundsException if index is outside {@code [0, size())} */
    final void checkIndex(int index) {
        if (index < 0 || index >= labels.length) {
            throw new IndexOutOfBoundsException("sample " + index + " of a data set of " + labels.length);
        }
    }
}
