package org.quadralib.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RngTest {

    @Test
    void sequenceIsSplittableRandomsSoOldCheckpointsResumeOnTheSameTrajectory() {
        for (long seed : new long[] {0, 42, -7, Long.MAX_VALUE}) {
            Rng rng = new Rng(seed);
            SplittableRandom reference = new SplittableRandom(seed);
            for (int i = 0; i < 1000; i++) {
                assertEquals(reference.nextLong(), rng.nextLong(), "seed " + seed + ", draw " + i);
            }
        }
    }

    @Test
    void restoreContinuesExactlyWhereTheSavedGeneratorWas() {
        Rng a = new Rng(123);
        for (int i = 0; i < 777; i++) {
            a.nextGaussian();
        }
        a.nextDouble(); // leaves a spare normal cached or not, whichever the count gives
        a.nextGaussian();
        Rng b = new Rng(9);
        b.restore(a.state());
        assertArrayEquals(a.state(), b.state());
        for (int i = 0; i < 100; i++) {
            assertEquals(a.nextGaussian(), b.nextGaussian());
            assertEquals(a.nextInt(1000), b.nextInt(1000));
        }
    }

    @Test
    void restoreOfAHugeDrawCountTakesConstantTime() {
        Rng rng = new Rng(5);
        long[] state = {5, Long.MAX_VALUE, 0, 0};
        assertTimeoutPreemptively(Duration.ofSeconds(1), () -> rng.restore(state));
        assertEquals(Long.MAX_VALUE, rng.state()[1]);
        // The position is the one reached by counting: 2^63-1 draws from the seed, one more is seed + 2^63·γ.
        Rng stepped = new Rng(5);
        stepped.restore(new long[] {5, 3, 0, 0});
        Rng counted = new Rng(5);
        for (int i = 0; i < 3; i++) {
            counted.nextLong();
        }
        assertEquals(counted.nextLong(), stepped.nextLong());
    }

    @Test
    void refusedStatesLeaveTheGeneratorUnchanged() {
        Rng rng = new Rng(77);
        rng.nextLong();
        long[] before = rng.state();
        long nan = Double.doubleToRawLongBits(Double.NaN);
        long[][] bad = {null, {1, 2, 0}, {1, -1, 0, 0}, {1, 2, 5, 0}, {1, 2, 1, nan},
            {1, 2, 1, Double.doubleToRawLongBits(Double.POSITIVE_INFINITY)}};
        for (long[] state : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rng.restore(state));
            assertTrue(e.getMessage().startsWith("Rng.restore: "), e.getMessage());
            assertArrayEquals(before, rng.state());
        }
    }
}
