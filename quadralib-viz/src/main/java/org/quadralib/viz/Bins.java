package org.quadralib.viz;

import java.util.Arrays;

/**
 * A histogram's counts: {@code counts.length} equal-width bins over {@code [min, max]}. Bin {@code i} holds
 * the values {@code v} with {@code min + i·w <= v < min + (i+1)·w}, {@code w = (max − min) / bins}; the last bin
 * also holds {@code max}. Non-finite values (NaN, ±∞) are counted apart, so
 * {@code sum(counts) + nonFinite == values.length}.
 *
 * @param min the lower edge of the first bin
 * @param max the upper edge of the last bin
 * @param counts values per bin (copied in and out)
 * @param nonFinite values that are NaN or infinite
 */
public record Bins(double min, double max, long[] counts, long nonFinite) {

    /**
     * @throws IllegalArgumentException if there are no bins, {@code max < min}, an edge is not finite, or a
     *     count is negative
     */
    public Bins {
        if (counts.length == 0) {
            throw new IllegalArgumentException("Bins: at least one bin is needed");
        }
        if (!Double.isFinite(min) || !Double.isFinite(max) || max < min) {
            throw new IllegalArgumentException("Bins: need finite min <= max, got [" + min + ", " + max + "]");
        }
        counts = counts.clone();
        for (long c : counts) {
            if (c < 0) {
                throw new IllegalArgumentException("Bins: negative count " + c);
            }
        }
        if (nonFinite < 0) {
            throw new IllegalArgumentException("Bins: negative non-finite count " + nonFinite);
        }
    }

    /**
     * Counts {@code values} into {@code bins} equal-width bins spanning their finite minimum and maximum.
     * When every finite value is equal (or there are none), the range is that value ± 0.5 (0 ± 0.5 when
     * there are none), so the bins still have a width.
     *
     * @throws IllegalArgumentException if {@code bins < 1}
     */
    public static Bins of(float[] values, int bins) {
        if (bins < 1) {
            throw new IllegalArgumentException("Bins.of: bins must be >= 1, got " + bins);
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        long nonFinite = 0;
        for (float v : values) {
            if (Float.isFinite(v)) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            } else {
                nonFinite++;
            }
        }
        if (lo > hi) {
            lo = 0;
            hi = 0;
        }
        if (lo == hi) {
            lo -= 0.5;
            hi += 0.5;
        }
        long[] counts = new long[bins];
        double scale = bins / (hi - lo);
        for (float v : values) {
            if (Float.isFinite(v)) {
                // The clamp puts max itself in the last bin, and guards against rounding just past either end.
                int b = (int) Math.floor((v - lo) * scale);
                counts[Math.min(bins - 1, Math.max(0, b))]++;
            }
        }
        return new Bins(lo, hi, counts, nonFinite);
    }

    /** The counts, as a copy. */
    @Override
    public long[] counts() {
        return counts.clone();
    }

    /** Number of bins. */
    public int size() {
        return counts.length;
    }

    /** Width of one bin. */
    public double width() {
        return (max - min) / counts.length;
    }

    /** The lower edge of bin {@code i}; {@code edge(size())} is {@code max}. */
    public double edge(int i) {
        return i == counts.length ? max : min + i * width();
    }

    /** Finite values counted. */
    public long total() {
        long t = 0;
        for (long c : counts) {
            t += c;
        }
        return t;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Bins b && b.min == min && b.max == max && b.nonFinite == nonFinite && Arrays.equals(b.counts, counts);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Double.hashCode(min) + Double.hashCode(max)) + Arrays.hashCode(counts) + Long.hashCode(nonFinite);
    }

    @Override
    public String toString() {
        return "Bins[min=" + min + ", max=" + max + ", counts=" + Arrays.toString(counts) + ", nonFinite=" + nonFinite + "]";
    }
}
