package org.quadralib.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ArrayDatasetTest {

    @Test
    void validatesLengthsAndLabels() {
        assertThrows(IllegalArgumentException.class, () -> new ArrayDataset(new float[5], new int[2], new int[] {2}));
        assertThrows(IllegalArgumentException.class,
                () -> new ArrayDataset(new float[4], new int[] {0, 3}, new int[] {2}, 3));
        assertEquals(4, new ArrayDataset(new float[4], new int[] {0, 3}, new int[] {2}).numClasses());
        ArrayDataset d = new ArrayDataset(new float[4], new int[] {0, 1}, new int[] {2});
        assertThrows(IndexOutOfBoundsException.class, () -> d.label(2));
    }

    @Test
    void subsetAndSplit() {
        float[] f = new float[20];
        for (int i = 0; i < f.length; i++) {
            f[i] = i;
        }
        int[] labels = IntStream.range(0, 10).map(i -> i % 3).toArray();
        ArrayDataset d = new ArrayDataset(f, labels, new int[] {2});

        ArrayDataset s = d.subset(4, 1);
        float[] out = new float[4];
        s.copySample(0, out, 0);
        s.copySample(1, out, 2);
        assertArrayEquals(new float[] {8, 9, 2, 3}, out);
        assertEquals(3, s.numClasses());

        ArrayDataset.Split split = d.split(0.7, 42);
        assertEquals(7, split.first().size());
        assertEquals(3, split.second().size());
        float[] seen = new float[20];
        for (ArrayDataset part : new ArrayDataset[] {split.first(), split.second()}) {
            float[] p = new float[2];
            for (int i = 0; i < part.size(); i++) {
                part.copySample(i, p, 0);
                seen[(int) p[0]] = p[0];
                seen[(int) p[1]] = p[1];
            }
        }
        assertArrayEquals(f, seen, "the parts are disjoint and cover every sample");
        ArrayDataset again = d.split(0.7, 42).first();
        float[] a = new float[2];
        float[] b = new float[2];
        for (int i = 0; i < 7; i++) {
            split.first().copySample(i, a, 0);
            again.copySample(i, b, 0);
            assertArrayEquals(a, b, "same seed, same split");
        }
    }
}
