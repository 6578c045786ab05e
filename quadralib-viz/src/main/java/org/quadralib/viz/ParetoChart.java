package org.quadralib.viz;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Accuracy against cost, one chart per cost: every candidate a point, the Pareto-optimal ones (no other candidate
 * at most as costly and at least as accurate, better in one of the two) drawn as filled diamonds joined by the
 * front, the others as circles, and an optional budget as a dashed vertical line.
 */
public final class ParetoChart {

    /** What a candidate costs, one chart each. */
    public enum Cost {
        /** Trainable parameters. */
        PARAMETERS,
        /** Multiply-accumulates of one forward pass (whole batch or one sample: the caller's unit). */
        MACS,
        /** Peak training memory of one step, in bytes (drawn in MiB). */
        PEAK_MEMORY,
        /** Wall time of one training step, in seconds (drawn in ms). */
        STEP_TIME;

        /** The axis title, with the unit. */
        String axisTitle() {
            return switch (this) {
                case PARAMETERS -> "parameters (millions)";
                case MACS -> "MACs (millions)";
                case PEAK_MEMORY -> "peak training memory (MiB)";
                case STEP_TIME -> "step time (ms)";
            };
        }

        /** The value as drawn on the axis. */
        double scaled(double value) {
            return switch (this) {
                case PARAMETERS, MACS -> value / 1e6;
                case PEAK_MEMORY -> value / (1024.0 * 1024.0);
                case STEP_TIME -> value * 1e3;
            };
        }

        /** The title of this cost's chart. */
        String title() {
            return switch (this) {
                case PARAMETERS -> "Accuracy vs parameters";
                case MACS -> "Accuracy vs MACs";
                case PEAK_MEMORY -> "Accuracy vs peak training memory";
                case STEP_TIME -> "Accuracy vs step time";
            };
        }
    }

    /**
     * One point.
     *
     * @param label the candidate's name, shown in the legend
     * @param cost its cost in the axis's unit
     * @param accuracy its accuracy, e.g. in percent
     */
    public record Point(String label, double cost, double accuracy) {
        /**
         * @throws NullPointerException if {@code label} is null
         * @throws IllegalArgumentException if a value is not finite
         */
        public Point {
            Objects.requireNonNull(label, "label");
            if (!Double.isFinite(cost) || !Double.isFinite(accuracy)) {
                throw new IllegalArgumentException("ParetoChart.Point '" + label + "': cost and accuracy must be finite, got " + cost + ", "
                        + accuracy);
            }
        }
    }

    /**
     * One candidate with all its figures, for {@link #all}.
     *
     * @param label its name
     * @param accuracyPercent test accuracy in percent
     * @param parameters trainable parameters
     * @param macs multiply-accumulates of one forward pass
     * @param peakMemoryBytes peak training memory of one step
     * @param stepSeconds wall time of one training step
     */
    public record Candidate(String label, double accuracyPercent, double parameters, double macs, double peakMemoryBytes, double stepSeconds) {
        double cost(Cost c) {
            return switch (c) {
                case PARAMETERS -> parameters;
                case MACS -> macs;
                case PEAK_MEMORY -> peakMemoryBytes;
                case STEP_TIME -> stepSeconds;
            };
        }
    }

    private ParetoChart() {
    }

    /**
     * The Pareto-optimal points, by increasing cost: those no other point dominates (cost ≤ and accuracy ≥, one of
     * them strictly). Equal points are all kept.
     */
    public static List<Point> front(List<Point> points) {
        List<Point> out = new ArrayList<>();
        for (Point p : points) {
            boolean dominated = false;
            for (Point q : points) {
                if (q.cost() <= p.cost() && q.accuracy() >= p.accuracy() && (q.cost() < p.cost() || q.accuracy() > p.accuracy())) {
                    dominated = true;
                    break;
                }
            }
            if (!dominated) {
                out.add(p);
            }
        }
        out.sort(Comparator.comparingDouble(Point::cost));
        return out;
    }

    /**
     * The chart of {@code points}.
     *
     * @param title the chart title
     * @param costAxisTitle what x counts, with its unit
     * @param accuracyAxisTitle what y measures, with its unit (e.g. {@code "test accuracy (%)"})
     * @param budget the largest cost allowed, drawn as a dashed vertical line, or null for none
     * @throws IllegalArgumentException if there is no point or the budget is not finite
     */
    public static XYChart of(String title, String costAxisTitle, String accuracyAxisTitle, List<Point> points, Double budget) {
        if (points.isEmpty()) {
            throw new IllegalArgumentException("ParetoChart '" + title + "': no points");
        }
        if (budget != null && !Double.isFinite(budget)) {
            throw new IllegalArgumentException("ParetoChart '" + title + "': budget must be finite, got " + budget);
        }
        List<Point> front = front(points);
        XYChart chart = new XYChartBuilder().width(Charts.WIDTH).height(Charts.HEIGHT + 60).title(title).xAxisTitle(costAxisTitle)
                .yAxisTitle(accuracyAxisTitle).build();
        Charts.style(chart);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setMarkerSize(11);
        int colour = 0;
        for (Point p : points) {
            boolean optimal = front.contains(p);
            XYSeries s = chart.addSeries(p.label() + (optimal ? " (Pareto-optimal)" : ""), new double[] {p.cost()}, new double[] {p.accuracy()});
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            s.setMarker(optimal ? SeriesMarkers.DIAMOND : SeriesMarkers.CIRCLE);
            s.setMarkerColor(Palette.series(colour++));
        }
        if (front.size() > 1) {
            XYSeries f = chart.addSeries("Pareto front", front.stream().mapToDouble(Point::cost).toArray(),
                    front.stream().mapToDouble(Point::accuracy).toArray());
            f.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            f.setMarker(SeriesMarkers.NONE);
            f.setLineColor(java.awt.Color.DARK_GRAY);
        }
        double lo = points.stream().mapToDouble(Point::accuracy).min().orElse(0);
        double hi = points.stream().mapToDouble(Point::accuracy).max().orElse(0);
        if (budget != null) {
            double pad = hi > lo ? (hi - lo) * 0.05 : 0.5;
            XYSeries b = chart.addSeries("budget", new double[] {budget, budget}, new double[] {lo - pad, hi + pad});
            b.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            b.setMarker(SeriesMarkers.NONE);
            b.setLineStyle(SeriesLines.DASH_DASH);
            b.setLineColor(Palette.series(1));
        }
        Ticks.apply(chart, false);
        return chart;
    }

    /**
     * One chart per cost for {@code candidates}, in {@link Cost} order, with the budgets given (costs in the
     * candidates' units: bytes, seconds).
     *
     * @param budgets the largest cost allowed per cost kind; missing kinds get no budget line
     * @throws IllegalArgumentException if there is no candidate or a figure is not finite
     */
    public static Map<Cost, XYChart> all(List<Candidate> candidates, Map<Cost, Double> budgets) {
        Map<Cost, XYChart> out = new EnumMap<>(Cost.class);
        for (Cost c : Cost.values()) {
            List<Point> points = new ArrayList<>();
            for (Candidate k : candidates) {
                points.add(new Point(k.label(), c.scaled(k.cost(c)), k.accuracyPercent()));
            }
            Double budget = budgets.get(c);
            out.put(c, of(c.title(), c.axisTitle(), "test accuracy (%)", points, budget == null ? null : c.scaled(budget)));
        }
        return out;
    }
}
