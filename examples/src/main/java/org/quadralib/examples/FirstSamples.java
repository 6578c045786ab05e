package org.quadralib.examples;

import org.quadralib.core.data.Dataset;

/** The first {@code size} samples of another data set, without copying them. */
final class FirstSamples implements Dataset {

    private final Dataset source;
    private final int size;

    /** Callers check {@code 0 < size <= source.size()}. */
    FirstSamples(Dataset source, int size) {
        this.source = source;
        this.size = size;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int[] sampleShape() {
        return source.sampleShape();
    }

    @Override
    public void copySample(int index, float[] dst, int dstOff) {
        source.copySample(checked(index), dst, dstOff);
    }

    @Override
    public int label(int index) {
        return source.label(checked(index));
    }

    @Override
    public int numClasses() {
        return source.numClasses();
    }

    private int checked(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("sample " + index + " of the first " + size + " samples");
        }
        return index;
    }
}
