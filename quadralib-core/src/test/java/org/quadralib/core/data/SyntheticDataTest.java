package org.quadralib.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

class SyntheticDataTest {

    private static final BiFunction<Integer, Long, ArrayDataset> RINGS = SyntheticData::rings;
    private static final BiFunction<Integer, Long, ArrayDataset> SPIRALS = SyntheticData::spirals;
    private static final BiFunction<Integer, Long, ArrayDataset> XOR = SyntheticData::xor;

    @Test
    void sameSeedSamePointsOtherSeedOtherPoints() {
        for (BiFunction<Integer, Long, ArrayDataset> set : Arrays.asList(RINGS, SPIRALS, XOR)) {
            assertArrayEquals(points(set.apply(100, 7L)), points(set.apply(100, 7L)));
            assertFalse(Arrays.equals(points(set.apply(100, 7L)), points(set.apply(100, 8L))));
        }
    }

    @Test
    void balancedTwoClassPointsInThePlane() {
        for (BiFunction<Integer, Long, ArrayDataset> set : Arrays.asList(RINGS, SPIRALS, XOR)) {
            for (int n : new int[] {0, 1, 101, 400}) {
                ArrayDataset d = set.apply(n, 3L);
                assertEquals(n, d.size());
                assertArrayEquals(new int[] {2}, d.sampleShape());
                assertEquals(2, d.numClasses());
                int ones = 0;
                for (int i = 0; i < n; i++) {
                    ones += d.label(i);
                }
                assertTrue(Math.abs((n - ones) - ones) <= 1, "classes balanced for n=" + n);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> SyntheticData.rings(-1, 0));
    }

    @Test
    void ringsSeparateByRadius() {
        ArrayDataset d = SyntheticData.rings(2000, 1);
        float[] p = new float[2];
        double[] meanRadius = new double[2];
        for (int i = 0; i < d.size(); i++) {
            d.copySample(i, p, 0);
            meanRadius[d.label(i)] += Math.hypot(p[0], p[1]) / 1000;
        }
        assertEquals(SyntheticData.INNER_RADIUS, meanRadius[0], 0.02);
        assertEquals(SyntheticData.OUTER_RADIUS, meanRadius[1], 0.02);
    }

    @Test
    void xorLabelIsTheSignOfTheProduct() {
        ArrayDataset d = SyntheticData.xor(1000, 5);
        float[] p = new float[2];
        int[] perQuadrant = new int[4];
        for (int i = 0; i < d.size(); i++) {
            d.copySample(i, p, 0);
            assertEquals(p[0] * p[1] < 0 ? 1 : 0, d.label(i));
            assertTrue(Math.abs(p[0]) >= SyntheticData.XOR_MARGIN && Math.abs(p[0]) <= 1);
            perQuadrant[(p[0] > 0 ? 0 : 1) + (p[1] > 0 ? 0 : 2)]++;
        }
        assertArrayEquals(new int[] {250, 250, 250, 250}, perQuadrant);
    }

    @Test
    void spiralsStayNearTheUnitDisc() {
        ArrayDataset d = SyntheticData.spirals(1000, 9);
        float[] p = new float[2];
        for (int i = 0; i < d.size(); i++) {
            d.copySample(i, p, 0);
            assertTrue(Math.hypot(p[0], p[1]) < 1.2);
        }
    }

    private static float[] points(ArrayDataset d) {
        float[] all = new float[d.size() * 2];
        for (int i = 0; i < d.size(); i++) {
            d.copySample(i, all, 2 * i);
        }
        return all;
    }
}
