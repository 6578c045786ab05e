package org.quadralib.viz;

import java.awt.Color;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.profiler.MemoryPrediction;
import org.quadralib.profiler.MemoryReport;

/**
 * Charts of a {@link MemoryReport}: memory per module stacked by category, the timeline by category, the
 * prediction against the measurement, and peaks and allocations per step. Byte axes use the binary unit
 * (B, KiB, MiB, GiB) that suits the largest value; each category has the same colour in every chart.
 */
public final class MemoryCharts {

    private static final Map<MemoryCategory, Color> COLORS = new EnumMap<>(Map.of(
            MemoryCategory.PARAMETER, new Color(0x1F77B4),
            MemoryCategory.GRADIENT, new Color(0xFF7F0E),
            MemoryCategory.OPTIMIZER_STATE, new Color(0x2CA02C),
            MemoryCategory.ACTIVATION, new Color(0xD62728),
            MemoryCategory.ACTIVATION_GRADIENT, new Color(0x9467BD),
            MemoryCategory.WORKSPACE, new Color(0x8C564B),
            MemoryCategory.INPUT, new Color(0xE377C2),
            MemoryCategory.BUFFER, new Color(0x7F7F7F)));
    /** Measured and predicted bars: the same hue, dark for the measurement and light for the prediction. */
    private static final Color[] PREDICTION_COLORS = {new Color(0x1F77B4), new Color(0xAEC7E8), new Color(0xD62728),
        new Color(0xFF9896)};

    private MemoryCharts() {
    }

    /** A binary unit and its size in bytes. */
    private record Unit(String name, double bytes) {
        static Unit forMax(double maxBytes) {
            if (maxBytes >= 1L << 30) {
                return new Unit("GiB", 1L << 30);
            }
            if (maxBytes >= 1L << 20) {
                return new Unit("MiB", 1L << 20);
            }
            if (maxBytes >= 1L << 10) {
                return new Unit("KiB", 1L << 10);
            }
            return new Unit("B", 1);
        }
    }

    private static String label(String path) {
        return path.isEmpty() ? "<root>" : path;
    }

    private static String name(MemoryCategory c) {
        return c.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }

    /**
     * One stacked bar per module with memory: its parameters, gradients and buffers (held now) and the peaks of
     * its activation, activation-gradient, workspace and input bytes. Categories that are zero everywhere are
     * left out.
     *
     * @throws IllegalArgumentException if no module holds or allocated any memory
     */
    public static CategoryChart byModule(MemoryReport report) {
        List<MemoryCategory> cats = List.of(MemoryCategory.PARAMETER, MemoryCategory.GRADIENT, MemoryCategory.BUFFER,
                MemoryCategory.ACTIVATION, MemoryCategory.ACTIVATION_GRADIENT, MemoryCategory.WORKSPACE, MemoryCategory.INPUT);
        List<String> modules = new ArrayList<>();
        Map<MemoryCategory, List<Double>> values = new EnumMap<>(MemoryCategory.class);
        cats.forEach(c -> values.put(c, new ArrayList<>()));
        double max = 0;
        for (MemoryReport.ModuleMemory m : report.modules()) {
            Map<MemoryCategory, Long> v = new EnumMap<>(MemoryCategory.class);
            v.put(MemoryCategory.PARAMETER, m.parameterBytes());
            v.put(MemoryCategory.GRADIENT, m.gradientBytes());
            v.put(MemoryCategory.BUFFER, m.bufferBytes());
            for (MemoryCategory c : cats.subList(3, cats.size())) {
                v.put(c, m.tracked().get(c).peakBytes());
            }
            long sum = v.values().stream().mapToLong(Long::longValue).sum();
            if (sum > 0) {
                modules.add(label(m.path()));
                cats.forEach(c -> values.get(c).add((double) v.get(c)));
                max = Math.max(max, sum);
            }
        }
        if (modules.isEmpty()) {
            throw new IllegalArgumentException("MemoryCharts.byModule: no module of " + report.model() + " holds any memory");
        }
        Unit u = Unit.forMax(max);
        CategoryChart chart = categoryChart("Memory per module: " + report.model(), "module", u);
        chart.getStyler().setStacked(true);
        for (MemoryCategory c : cats) {
            List<Double> ys = values.get(c);
            if (ys.stream().anyMatch(y -> y > 0)) {
                // The static categories come first in cats and are held now; the rest are peaks.
                CategorySeries s = chart.addSeries(name(c) + (cats.indexOf(c) >= 3 ? " (peak)" : ""), modules, scale(ys, u));
                s.setFillColor(COLORS.get(c));
            }
        }
        return chart;
    }

    /**
     * The timeline as stacked areas, one per category that is ever non-zero, over the event count (allocations,
     * releases and saves since the profiler attached), with the bytes saved for backward as a line on top.
     *
     * @throws IllegalArgumentException if the timeline has fewer than two samples
     */
    public static XYChart timeline(MemoryReport report) {
        List<MemoryReport.TimelineSample> samples = report.timeline().samples();
        if (samples.size() < 2) {
            throw new IllegalArgumentException("MemoryCharts.timeline: " + samples.size() + " timeline sample(s); need at least 2");
        }
        List<MemoryCategory> present = new ArrayList<>();
        for (MemoryCategory c : MemoryCategory.values()) {
            if (samples.stream().anyMatch(s -> s.bytes().get(c) > 0)) {
                present.add(c);
            }
        }
        double max = samples.stream().mapToLong(MemoryReport.TimelineSample::totalBytes).max().orElse(0);
        Unit u = Unit.forMax(max);
        XYChart chart = new XYChartBuilder().width(Charts.WIDTH).height(Charts.HEIGHT).title("Memory timeline: " + report.model())
                .xAxisTitle("event (allocations, releases, saves since attach)").yAxisTitle(u.name()).build();
        Charts.style(chart);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setYAxisMin(0.0);
        double[] x = new double[samples.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = samples.get(i).event();
        }
        // Areas are drawn in order, each from zero: the cumulative sums go largest first so each smaller one
        // paints over it, which stacks them and lists the legend top-down like the stack.
        double[][] cumulative = new double[present.size()][samples.size()];
        for (int i = 0; i < samples.size(); i++) {
            double acc = 0;
            for (int k = 0; k < present.size(); k++) {
                acc += samples.get(i).bytes().get(present.get(k)) / u.bytes();
                cumulative[k][i] = acc;
            }
        }
        for (int k = present.size() - 1; k >= 0; k--) {
            XYSeries s = chart.addSeries(name(present.get(k)), x, cumulative[k]);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Area);
            s.setMarker(SeriesMarkers.NONE);
            s.setFillColor(COLORS.get(present.get(k)));
            s.setLineColor(COLORS.get(present.get(k)).darker());
        }
        double[] saved = new double[samples.size()];
        for (int i = 0; i < saved.length; i++) {
            saved[i] = samples.get(i).savedBytes() / u.bytes();
        }
        XYSeries s = chart.addSeries("saved for backward", x, saved);
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        s.setMarker(SeriesMarkers.NONE);
        s.setLineColor(Color.BLACK);
        return chart;
    }

    /**
     * Per module, the measured parameter bytes and saved-activation peak beside the prediction's values
     * (modules the prediction does not cover, and saved activations it does not predict, show no predicted bar).
     *
     * @throws IllegalArgumentException if the report has no prediction or no module has parameters or saved
     *     activations
     */
    public static CategoryChart predictedVsMeasured(MemoryReport report) {
        MemoryPrediction p = report.prediction();
        if (p == null) {
            throw new IllegalArgumentException("MemoryCharts.predictedVsMeasured: the report of " + report.model()
                    + " has no prediction; use MemoryProfiler.report(prediction)");
        }
        Map<String, List<Double>> series = new LinkedHashMap<>();
        String[] names = {"parameters (measured)", "parameters (predicted)", "saved activations (measured peak)",
            "saved activations (predicted)"};
        for (String n : names) {
            series.put(n, new ArrayList<>());
        }
        List<String> modules = new ArrayList<>();
        double max = 0;
        for (MemoryReport.ModuleMemory m : report.modules()) {
            MemoryPrediction.ModulePrediction mp = p.modules().get(m.path());
            long predParams = mp == null ? 0 : mp.parameterBytes();
            long predSaved = mp == null || mp.savedActivationBytes() == MemoryPrediction.UNKNOWN ? 0 : mp.savedActivationBytes();
            long[] v = {m.parameterBytes(), predParams, m.saved().peakBytes(), predSaved};
            if (Arrays.stream(v).anyMatch(b -> b > 0)) {
                modules.add(label(m.path()));
                for (int i = 0; i < v.length; i++) {
                    series.get(names[i]).add((double) v[i]);
                    max = Math.max(max, v[i]);
                }
            }
        }
        if (modules.isEmpty()) {
            throw new IllegalArgumentException("MemoryCharts.predictedVsMeasured: no module of " + report.model()
                    + " has parameters or saved activations");
        }
        Unit u = Unit.forMax(max);
        CategoryChart chart = categoryChart("Predicted vs measured (" + p.source() + "): " + report.model(), "module", u);
        for (int i = 0; i < names.length; i++) {
            List<Double> ys = series.get(names[i]);
            if (ys.stream().anyMatch(y -> y > 0)) {
                chart.addSeries(names[i], modules, scale(ys, u)).setFillColor(PREDICTION_COLORS[i]);
            }
        }
        return chart;
    }

    /**
     * Per recorded step: the peak tracked bytes, the bytes the library's allocator handed out, and the bytes
     * the JVM allocated on the stepping thread (left out when the JVM cannot count them).
     *
     * @throws IllegalArgumentException if the report has no steps
     */
    public static XYChart steps(MemoryReport report) {
        List<MemoryReport.StepMemory> steps = report.steps();
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("MemoryCharts.steps: the report of " + report.model() + " has no completed step");
        }
        double max = 0;
        for (MemoryReport.StepMemory s : steps) {
            max = Math.max(max, Math.max(s.peakTotalBytes(), Math.max(s.trackedAllocatedBytes(), s.jvmAllocatedBytes())));
        }
        Unit u = Unit.forMax(max);
        XYChart chart = new XYChartBuilder().width(Charts.WIDTH).height(Charts.HEIGHT).title("Memory per step: " + report.model())
                .xAxisTitle("step").yAxisTitle(u.name()).build();
        Charts.style(chart);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setXAxisDecimalPattern("0");
        chart.getStyler().setYAxisMin(0.0);
        double[] x = new double[steps.size()];
        double[] peak = new double[steps.size()];
        double[] tracked = new double[steps.size()];
        double[] jvm = new double[steps.size()];
        boolean jvmCounted = true;
        for (int i = 0; i < x.length; i++) {
            MemoryReport.StepMemory s = steps.get(i);
            x[i] = s.step();
            peak[i] = s.peakTotalBytes() / u.bytes();
            tracked[i] = s.trackedAllocatedBytes() / u.bytes();
            jvm[i] = s.jvmAllocatedBytes() / u.bytes();
            jvmCounted &= s.jvmAllocatedBytes() >= 0;
        }
        chart.addSeries("peak tracked", x, peak).setMarker(SeriesMarkers.NONE);
        chart.addSeries("allocated by the library", x, tracked).setMarker(SeriesMarkers.NONE);
        if (jvmCounted) {
            chart.addSeries("allocated by the JVM (stepping thread)", x, jvm).setMarker(SeriesMarkers.NONE);
        }
        return chart;
    }

    private static CategoryChart categoryChart(String title, String xTitle, Unit u) {
        CategoryChart chart = new CategoryChartBuilder().width(Charts.WIDTH).height(Charts.HEIGHT).title(title).xAxisTitle(xTitle)
                .yAxisTitle(u.name()).build();
        Charts.style(chart);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setXAxisLabelRotation(30);
        return chart;
    }

    private static List<Double> scale(List<Double> bytes, Unit u) {
        List<Double> out = new ArrayList<>(bytes.size());
        for (double b : bytes) {
            out.add(b / u.bytes());
        }
        return out;
    }
}
