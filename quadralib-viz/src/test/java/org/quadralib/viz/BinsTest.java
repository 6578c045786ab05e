package org.quadralib.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;

import org.junit.jupiter.api.Test;

class BinsTest {

    @Test
    void countsSumToTheInputCount() {
        Random r = new Random(42);
        for (int n : new int[] {1, 7, 1000}) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) r.nextGaussian();
            }
            for (int bins : new int[] {1, 3, 50}) {
                Bins b = Bins.of(v, bins);
                assertEquals(n, b.total(), n + " values in " + bins + " bins");
                assertEquals(bins, b.size());
            }
        }
    }

    @Test
    void valuesFallInTheirHalfOpenBinAndTheMaximumInTheLast() {
        // Range [0, 4], width 1: 0 and 0.5 -> bin 0, 1 -> bin 1, 2.99 -> bin 2, 3 and 4 -> bin 3.
        Bins b = Bins.of(new float[] {0f, 0.5f, 1f, 2.99f, 3f, 4f}, 4);
        assertArrayEquals(new long[] {2, 1, 1, 2}, b.counts());
        assertEquals(0, b.min());
        assertEquals(4, b.max());
        assertEquals(1.0, b.width());
        assertEquals(3.0, b.edge(3));
        assertEquals(4.0, b.edge(4));
    }

    @Test
    void nonFiniteValuesAreCountedApart() {
        Bins b = Bins.of(new float[] {1f, Float.NaN, 2f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}, 2);
        assertArrayEquals(new long[] {1, 1}, b.counts());
        assertEquals(3, b.nonFinite());
        assertEquals(5, b.total() + b.nonFinite());
    }

    @Test
    void constantAndEmptyInputsGetAUnitWideRange() {
        Bins constant = Bins.of(new float[] {2f, 2f, 2f}, 5);
        assertEquals(1.5, constant.min());
        assertEquals(2.5, constant.max());
        assertArrayEquals(new long[] {0, 0, 3, 0, 0}, constant.counts());
        Bins empty = Bins.of(new float[0], 3);
        assertEquals(0, empty.total());
        assertEquals(-0.5, empty.min());
    }

    @Test
    void invalidArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Bins.of(new float[] {1f}, 0));
        assertThrows(IllegalArgumentException.class, () -> new Bins(1, 0, new long[] {1}, 0));
        assertThrows(IllegalArgumentException.class, () -> new Bins(0, 1, new long[0], 0));
        assertThrows(IllegalArgumentException.class, () -> new Bins(0, 1, new long[] {-1}, 0));
    }

    @Test
    void countsAreCopiedInAndOut() {
        long[] counts = {1, 2};
        Bins b = new Bins(0, 1, counts, 0);
        counts[0] = 99;
        b.counts()[1] = 99;
        assertArrayEquals(new long[] {1, 2}, b.counts());
        assertEquals(new Bins(0, 1, new long[] {1, 2}, 0), b);
    }
}
