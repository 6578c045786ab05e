package org.quadralib.viz;

import java.awt.Color;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
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

    /** One {@link Palette} colour per category. */
    private static final Map<MemoryCategory, Color> COLORS = new EnumMap<>(Map.of(
            MemoryCategory.PARAMETER, Palette.series(0),
            MemoryCategory.GRADIENT, Palette.series(3),
            MemoryCategory.OPTIMIZER_STATE, Palette.series(2),
            MemoryCategory.ACTIVATION, Palette.series(1),
            MemoryCategory.ACTIVATION_GRADIENT, Palette.series(4),
            MemoryCategory.WORKSPACE, Palette.series(5),
            MemoryCategory.INPUT, Palette.series(6),
            MemoryCategory.BUFFER, new Color(0x999999)));
    /** Measured and predicted bars: blue and sky blue for parameters, vermillion and orange for saved activations. */
    private static final Color[] PREDICTION_COLORS = {Palette.series(0), Palette.series(5), Palette.series(1), Palette.series(3)};
    /** Longest module label on a category axis; longer paths keep their start and end. */
    private static final int MAX_LABEL = 28;

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
        String p = path.isEmpty() ? "<root>" : path;
        return p.length() <= MAX_LABEL ? p : p.substring(0, MAX_LABEL / 2 - 1) + "…" + p.substring(p.length() - MAX_LABEL / 2);
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
        CategoryChart chart = categoryChart("Memory per module: " + report.model(), "module", u, modules.size());
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
                .xAxisTitle("event (allocations, releases, saves since attach)").yAxisTitle("memory (" + u.name() + ")").build();
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
        Ticks.apply(chart, true);
        chart.getStyler().setYAxisMin(0.0);
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
        CategoryChart chart = categoryChart("Predicted vs measured (" + p.source() + "): " + report.model(), "module", u, modules.size());
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
                .xAxisTitle("step").yAxisTitle("memory (" + u.name() + ")").build();
        Charts.style(chart);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
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
        Ticks.apply(chart, true);
        chart.getStyler().setYAxisMin(0.0);
        return chart;
    }

    /**
     * A module's memory by kind, as plain data for {@link #perLayer}.
     *
     * @param layer the module path ({@code ""} for the root)
     * @param bytes bytes by kind, in legend order (e.g. {@code "parameters"}, {@code "saved activations"}); the same
     *     keys for every layer of a chart
     */
    public record LayerBytes(String layer, Map<String, Long> bytes) {
        /** @throws NullPointerException if an argument is null */
        public LayerBytes {
            Objects.requireNonNull(layer, "layer");
            bytes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(bytes));
        }

        /**
         * The prediction's figures per module (modules with none left out): parameters, gradients, optimizer state
         * (the prediction's total shared out by parameter bytes), saved activations, and the peak of activations and
         * activation gradients together.
         */
        public static List<LayerBytes> of(MemoryPrediction p) {
            long params = p.totalParameterBytes();
            double statePerByte = params > 0 && p.optimizerStateBytes() > 0 ? (double) p.optimizerStateBytes() / params : 0;
            List<LayerBytes> out = new ArrayList<>();
            for (Map.Entry<String, MemoryPrediction.ModulePrediction> e : p.modules().entrySet()) {
                MemoryPrediction.ModulePrediction m = e.getValue();
                Map<String, Long> b = new LinkedHashMap<>();
                b.put("parameters", m.parameterBytes());
                b.put("gradients", m.gradientBytes());
                b.put("optimizer state", Math.round(statePerByte * m.parameterBytes()));
                b.put("saved activations", Math.max(0, m.savedActivationBytes()));
                b.put("activations + their gradients (peak)", Math.max(0, m.transientPeakBytes()));
                if (b.values().stream().anyMatch(v -> v > 0)) {
                    out.add(new LayerBytes(e.getKey(), b));
                }
            }
            return out;
        }

        /**
         * The measured figures per module (modules with none left out), with the same kinds as {@link #of}: the
         * optimizer state is shared out by parameter bytes, the transient peak is the tracked activation and
         * activation-gradient peaks added.
         */
        public static List<LayerBytes> of(MemoryReport r) {
            long params = r.statics().parameterBytes();
            double statePerByte = params > 0 ? (double) r.statics().optimizerStateBytes() / params : 0;
            List<LayerBytes> out = new ArrayList<>();
            for (MemoryReport.ModuleMemory m : r.modules()) {
                Map<String, Long> b = new LinkedHashMap<>();
                b.put("parameters", m.parameterBytes());
                b.put("gradients", m.gradientBytes());
                b.put("optimizer state", Math.round(statePerByte * m.parameterBytes()));
                b.put("saved activations", m.saved().peakBytes());
                b.put("activations + their gradients (peak)", m.tracked().get(MemoryCategory.ACTIVATION).peakBytes()
                        + m.tracked().get(MemoryCategory.ACTIVATION_GRADIENT).peakBytes());
                if (b.values().stream().anyMatch(v -> v > 0)) {
                    out.add(new LayerBytes(m.path(), b));
                }
            }
            return out;
        }
    }

    /**
     * One grouped bar chart per variant (e.g. first-order, hybrid, standard), one group of bars per layer, one bar
     * per kind of memory, every chart on the same byte axis so that the variants compare at a glance.
     *
     * @param title prefix of each chart's title ({@code title + ": " + variant})
     * @param variants layers by variant name, in chart order
     * @return one chart per variant, in the same order
     * @throws IllegalArgumentException if there is no variant or a variant has no layer
     */
    public static Map<String, CategoryChart> perLayer(String title, Map<String, List<LayerBytes>> variants) {
        if (variants.isEmpty()) {
            throw new IllegalArgumentException("MemoryCharts.perLayer '" + title + "': no variant");
        }
        double max = 0;
        for (Map.Entry<String, List<LayerBytes>> e : variants.entrySet()) {
            if (e.getValue().isEmpty()) {
                throw new IllegalArgumentException("MemoryCharts.perLayer '" + title + "': variant '" + e.getKey() + "' has no layer");
            }
            for (LayerBytes l : e.getValue()) {
                for (long v : l.bytes().values()) {
                    max = Math.max(max, v);
                }
            }
        }
        Unit u = Unit.forMax(max);
        Map<String, CategoryChart> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<LayerBytes>> e : variants.entrySet()) {
            List<String> layers = new ArrayList<>();
            for (LayerBytes l : e.getValue()) {
                layers.add(label(l.layer()));
            }
            CategoryChart chart = categoryChart(title + ": " + e.getKey(), "layer", u, layers.size());
            chart.getStyler().setYAxisMax(max / u.bytes() * 1.05);
            chart.getStyler().setYAxisMin(0.0);
            int colour = 0;
            for (String kind : e.getValue().get(0).bytes().keySet()) {
                List<Double> ys = new ArrayList<>();
                for (LayerBytes l : e.getValue()) {
                    ys.add(l.bytes().getOrDefault(kind, 0L) / u.bytes());
                }
                chart.addSeries(kind, layers, ys).setFillColor(Palette.series(colour++));
            }
            out.put(e.getKey(), chart);
        }
        return out;
    }

    /**
     * Live bytes over one training step, as plain data for {@link #stepTimeline}.
     *
     * @param label the legend name, e.g. {@code "hybrid, measured"}
     * @param position where in the step each value was taken, from 0 (start) to 1 (end)
     * @param bytes live bytes there (same length as {@code position})
     * @param backwardStart where backward began (0 to 1), or NaN if unknown
     * @param updateStart where the optimizer update began (0 to 1), or NaN if unknown
     */
    public record StepCurve(String label, double[] position, double[] bytes, double backwardStart, double updateStart) {
        /**
         * @throws IllegalArgumentException if the arrays differ in length or are empty
         */
        public StepCurve {
            Objects.requireNonNull(label, "label");
            if (position.length != bytes.length || position.length == 0) {
                throw new IllegalArgumentException("StepCurve '" + label + "': " + position.length + " positions for " + bytes.length + " values");
            }
            position = position.clone();
            bytes = bytes.clone();
        }

        /**
         * Step {@code step} of a profiler's timeline: its samples (phase changes, the highest point between them),
         * positioned by event count, the phase markers where backward and update began.
         *
         * @throws IllegalArgumentException if the timeline holds fewer than two samples of that step
         */
        public static StepCurve measured(String label, MemoryReport report, int step) {
            List<MemoryReport.TimelineSample> s = new ArrayList<>();
            for (MemoryReport.TimelineSample t : report.timeline().samples()) {
                if (t.step() == step) {
                    s.add(t);
                }
            }
            if (s.size() < 2) {
                throw new IllegalArgumentException("StepCurve.measured: step " + step + " has " + s.size() + " timeline sample(s); need 2");
            }
            double first = s.get(0).event();
            double span = Math.max(1, s.get(s.size() - 1).event() - first);
            double[] x = new double[s.size()];
            double[] y = new double[s.size()];
            double backward = Double.NaN;
            double update = Double.NaN;
            for (int i = 0; i < x.length; i++) {
                x[i] = (s.get(i).event() - first) / span;
                y[i] = s.get(i).totalBytes();
                if (Double.isNaN(backward) && s.get(i).phase() == org.quadralib.profiler.Phase.BACKWARD) {
                    backward = x[i];
                }
                if (Double.isNaN(update) && s.get(i).phase() == org.quadralib.profiler.Phase.UPDATE) {
                    update = x[i];
                }
            }
            return new StepCurve(label, x, y, backward, update);
        }

        /**
         * The prediction's timeline, positioned by replayed event; the update is at the end (it holds the step's
         * memory steady).
         *
         * @throws IllegalArgumentException if the prediction has no timeline
         */
        public static StepCurve predicted(String label, MemoryPrediction p) {
            if (p.timeline() == null || p.timeline().totalBytes().isEmpty()) {
                throw new IllegalArgumentException("StepCurve.predicted: the prediction (" + p.source() + ") has no timeline");
            }
            List<Long> t = p.timeline().totalBytes();
            double[] x = new double[t.size()];
            double[] y = new double[t.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = t.size() == 1 ? 0 : i / (double) (t.size() - 1);
                y[i] = t.get(i);
            }
            return new StepCurve(label, x, y, t.size() == 1 ? 0 : p.timeline().backwardStart() / (double) (t.size() - 1), 1.0);
        }
    }

    /**
     * Live bytes over one step for several curves (e.g. measured beside predicted, or one per variant), each in
     * its own colour, with a dashed vertical marker in the same colour where each curve's backward began and a
     * dotted one where its update began (the x-axis title says so; the legend lists the curves only).
     *
     * @throws IllegalArgumentException if there is no curve
     */
    public static XYChart stepTimeline(String title, List<StepCurve> curves) {
        if (curves.isEmpty()) {
            throw new IllegalArgumentException("MemoryCharts.stepTimeline '" + title + "': no curve");
        }
        double max = 0;
        for (StepCurve c : curves) {
            for (double b : c.bytes()) {
                max = Math.max(max, b);
            }
        }
        Unit u = Unit.forMax(max);
        XYChart chart = new XYChartBuilder().width(Charts.WIDTH).height(Charts.HEIGHT).title(title)
                .xAxisTitle("position in the step (0 = start, 1 = end); dashed: backward starts, dotted: update starts")
                .yAxisTitle("live memory (" + u.name() + ")").build();
        Charts.style(chart);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        int colour = 0;
        for (StepCurve c : curves) {
            Color col = Palette.series(colour++);
            double[] y = new double[c.bytes().length];
            for (int i = 0; i < y.length; i++) {
                y[i] = c.bytes()[i] / u.bytes();
            }
            XYSeries s = chart.addSeries(c.label(), c.position(), y);
            s.setMarker(c.position().length <= 40 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
            s.setLineColor(col);
            s.setMarkerColor(col);
            s.setLineStyle(SeriesLines.SOLID);
            double top = max / u.bytes();
            marker(chart, c.label() + ": backward starts", c.backwardStart(), top, col, SeriesLines.DASH_DASH);
            marker(chart, c.label() + ": update starts", c.updateStart(), top, col, SeriesLines.DOT_DOT);
        }
        chart.getStyler().setXAxisMin(0.0);
        chart.getStyler().setXAxisMax(1.0);
        Ticks.apply(chart, false);
        chart.getStyler().setYAxisMin(0.0);
        return chart;
    }

    private static void marker(XYChart chart, String name, double at, double top, Color colour, java.awt.BasicStroke line) {
        if (Double.isNaN(at)) {
            return;
        }
        XYSeries m = chart.addSeries(name, new double[] {at, at}, new double[] {0, top});
        m.setMarker(SeriesMarkers.NONE);
        m.setLineColor(colour);
        m.setLineStyle(line);
        m.setShowInLegend(false);
    }

    /**
     * A bar chart wide enough for {@code bars} labels side by side (about 22 pixels each) and tall enough for
     * them written vertically, so that no two labels overlap.
     */
    private static CategoryChart categoryChart(String title, String xTitle, Unit u, int bars) {
        CategoryChart chart = new CategoryChartBuilder().width(Math.max(Charts.WIDTH, 160 + 22 * bars))
                .height(Charts.HEIGHT + (bars > 8 ? 140 : 0)).title(title).xAxisTitle(xTitle).yAxisTitle("memory (" + u.name() + ")").build();
        Charts.style(chart);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setXAxisLabelRotation(bars > 8 ? 90 : 0);
        chart.getStyler().setYAxisDecimalPattern("#,##0.##");
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
