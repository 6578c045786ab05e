package org.quadralib.core.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PoolKernelsTest {

    /**
     * A 2×2 stride-2 max-pool gives the same values, bit for bit, with and without the winners' indices (inference
     * skips them), and both equal the first maximum in window order: on windows of ties, zeros of both signs (as a
     * ReLU leaves them), NaN and infinities.
     */
    @Test
    void pairPoolValuesMatchWithAndWithoutIndices() {
        float[] pool = {0f, -0f, 0f, -0f, 1f, -1f, 2f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0.5f};
        Random r = new Random(8);
        int planes = 3;
        int h = 6;
        int w = 10;
        for (int trial = 0; trial < 200; trial++) {
            float[] x = new float[planes * h * w];
            for (int i = 0; i < x.length; i++) {
                // Mostly zeros, as after a ReLU, with the other specials mixed in.
                x[i] = r.nextInt(3) > 0 ? pool[r.nextInt(4)] : pool[r.nextInt(pool.length)];
            }
            int out = planes * (h / 2) * (w / 2);
            float[] withIdx = new float[out];
            float[] idx = new float[out];
            float[] without = new float[out];
            PoolKernels.maxForward(x, planes, h, w, 2, 2, 2, 2, 0, 0, withIdx, idx);
            PoolKernels.maxForward(x, planes, h, w, 2, 2, 2, 2, 0, 0, without, null);
            for (int o = 0; o < out; o++) {
                int p = o / ((h / 2) * (w / 2));
                int oy = o / (w / 2) % (h / 2);
                int ox = o % (w / 2);
                float expected = firstMax(x, p * h * w, w, 2 * oy, 2 * ox);
                String where = "trial " + trial + " output " + o;
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(without[o]), where);
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(withIdx[o]), where);
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(x[p * h * w + (int) idx[o]]), where);
            }
        }
    }

    /** The first NaN, else the first cell not smaller than every other, in row-major window order. */
    private static float firstMax(float[] x, int base, int w, int y0, int x0) {
        float[] v = {x[base + y0 * w + x0], x[base + y0 * w + x0 + 1], x[base + (y0 + 1) * w + x0],
            x[base + (y0 + 1) * w + x0 + 1]};
        for (float f : v) {
            if (Float.isNaN(f)) {
                return f;
            }
        }
        float best = v[0];
        for (int i = 1; i < 4; i++) {
            if (v[i] > best) {
                best = v[i];
            }
        }
        return best;
    }
}
