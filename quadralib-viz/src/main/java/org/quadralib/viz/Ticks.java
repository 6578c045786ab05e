package org.quadralib.viz;

import java.util.Locale;
import java.util.function.Function;

import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

/**
 * Tick labels that read well on any range: as many decimals as the data's spread needs (about four labels' worth),
 * scientific notation for very small or very large magnitudes, integers on counting axes, and a padded range
 * around data that does not vary, where the charting library would otherwise print every digit of a double.
 */
final class Ticks {

    private Ticks() {
    }

    /** A label for values spanning {@code [min, max]}. */
    static Function<Double, String> formatter(double min, double max) {
        double magnitude = Math.max(Math.abs(min), Math.abs(max));
        double spread = max - min;
        if (!(spread > 0)) {
            spread = magnitude > 0 ? magnitude * 0.1 : 1;
        }
        if (magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e6)) {
            return v -> String.format(Locale.ROOT, "%.3g", v);
        }
        int decimals = (int) Math.max(0, Math.min(6, Math.ceil(-Math.log10(spread / 5))));
        String f = "%." + decimals + "f";
        return v -> {
            String s = String.format(Locale.ROOT, f, v);
            // "-0.00" reads as a different number from "0.00"
            return s.matches("-0(\\.0*)?") ? s.substring(1) : s;
        };
    }

    /** Whole numbers only (epochs, steps): other ticks get no label, so a one-epoch axis shows no "0.5". */
    static Function<Double, String> integers() {
        return v -> Math.abs(v - Math.rint(v)) < 1e-6 ? String.format(Locale.ROOT, "%d", Math.round(v)) : "";
    }

    /**
     * Readable ticks on both axes of {@code chart}, from its series' data: the y axis is padded when the data is
     * constant; {@code integerX} gives the x axis whole-number labels and a range of at least one unit.
     */
    static void apply(XYChart chart, boolean integerX) {
        double[] x = range(chart, true);
        double[] y = range(chart, false);
        if (x == null) {
            return;
        }
        if (integerX) {
            chart.getStyler().setxAxisTickLabelsFormattingFunction(integers());
            if (x[1] - x[0] < 1) {
                chart.getStyler().setXAxisMin(x[0] - 0.5);
                chart.getStyler().setXAxisMax(x[1] + 0.5);
            }
        } else {
            chart.getStyler().setxAxisTickLabelsFormattingFunction(formatter(x[0], x[1]));
        }
        if (!(y[1] > y[0])) {
            double pad = y[0] == 0 ? 1 : Math.abs(y[0]) * 0.05;
            chart.getStyler().setYAxisMin(y[0] - pad);
            chart.getStyler().setYAxisMax(y[1] + pad);
            chart.getStyler().setyAxisTickLabelsFormattingFunction(formatter(y[0] - pad, y[1] + pad));
        } else {
            chart.getStyler().setyAxisTickLabelsFormattingFunction(formatter(y[0], y[1]));
        }
    }

    /** Readable y ticks on a bar chart, from its values. */
    static void apply(CategoryChart chart, double maxValue) {
        chart.getStyler().setYAxisDecimalPattern(maxValue >= 100 ? "#,##0" : maxValue >= 10 ? "0.#" : "0.##");
    }

    private static double[] range(XYChart chart, boolean xAxis) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (XYSeries s : chart.getSeriesMap().values()) {
            for (double v : xAxis ? s.getXData() : s.getYData()) {
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        return lo > hi ? null : new double[] {lo, hi};
    }
}
