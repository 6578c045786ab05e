package org.quadralib.layers.train;

import java.util.Arrays;

/**
 * A listener that keeps the wall-clock time of every training step of a fit, for a median over the whole run
 * (the {@link Trainer} keeps one per epoch in {@link EpochRecord#stepMillisMedian()}). Both use
 * {@link #medianMillis(long[], int)}.
 */
public final class StepTimes implements TrainingListener {

    private long[] nanos = new long[1024];
    private int count;

    @Override
    public void onBatchEnd(TrainingContext context, BatchResult result) {
        if (count == nanos.length) {
            nanos = Arrays.copyOf(nanos, 2 * count);
        }
        nanos[count++] = result.nanos();
    }

    /** Steps recorded so far. */
    public int count() {
        return count;
    }

    /** The median step time so far, in milliseconds; NaN before the first step. */
    public double medianMillis() {
        return medianMillis(nanos, count);
    }

    /**
     * The median of {@code nanos[0, count)} in milliseconds (the mean of the middle two for an even count), NaN for
     * {@code count == 0}. The array is not modified.
     *
     * @throws IllegalArgumentException if {@code count} is negative or exceeds the array
     */
    public static double medianMillis(long[] nanos, int count) {
        if (count < 0 || count > nanos.length) {
            throw new IllegalArgumentException("StepTimes.medianMillis: count " + count + " outside [0, " + nanos.length + "]");
        }
        if (count == 0) {
            return Double.NaN;
        }
        long[] sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
        double median = count % 2 == 1 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2.0;
        return median / 1e6;
    }
}
