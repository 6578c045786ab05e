package org.quadralib.viz;

import java.awt.Color;
import java.awt.Font;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.quadralib.core.Tensor;
import org.quadralib.core.io.AtomicFiles;
import org.quadralib.layers.Module;
import org.quadralib.layers.Parameter;

/**
 * Charts drawn with XChart, and their export to PNG and SVG: histograms of weights, gradients and
 * activations, and training curves. Memory charts are in {@link MemoryCharts}.
 *
 * <p>Rendering is off-screen (no window), so it works on a headless JVM; servers should run with
 * {@code -Djava.awt.headless=true}.
 */
public final class Charts {

    /** Width of the charts made here, in pixels. */
    public static final int WIDTH = 800;
    /** Height of the charts made here, in pixels. */
    public static final int HEIGHT = 500;

    /** Output formats of {@link #save}. */
    public enum Format {
        /** A bitmap, {@code WIDTH × HEIGHT}. */
        PNG("png"),
        /** Scalable vector graphics. */
        SVG("svg");

        private final String extension;

        Format(String extension) {
            this.extension = extension;
        }

        /** The file extension, without the dot. */
        public String extension() {
            return extension;
        }
    }

    private Charts() {
    }

    /**
     * A histogram of {@code values} in {@code bins} equal-width bins (see {@link Bins#of}); the legend gives
     * the count, mean and standard deviation of the finite values and the number of non-finite ones.
     *
     * @throws IllegalArgumentException if {@code bins < 1}
     */
    public static XYChart histogram(String title, float[] values, int bins) {
        Bins b = Bins.of(values, bins);
        double sum = 0;
        double sumSq = 0;
        for (float v : values) {
            if (Float.isFinite(v)) {
                sum += v;
                sumSq += (double) v * v;
            }
        }
        long n = b.total();
        double mean = n == 0 ? 0 : sum / n;
        double std = n == 0 ? 0 : Math.sqrt(Math.max(0, sumSq / n - mean * mean));
        String label = String.format(Locale.ROOT, "n=%d  mean=%.4g  std=%.4g", n, mean, std)
                + (b.nonFinite() > 0 ? "  non-finite=" + b.nonFinite() : "");
        return histogram(title, label, b);
    }

    /**
     * A histogram of already-counted {@code bins}, drawn as a filled step curve over the bin edges.
     *
     * @param seriesName the legend entry
     */
    public static XYChart histogram(String title, String seriesName, Bins bins) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("value").yAxisTitle("count").build();
        style(chart);
        int k = bins.size();
        double[] x = new double[k + 1];
        double[] y = new double[k + 1];
        long[] counts = bins.counts();
        for (int i = 0; i <= k; i++) {
            x[i] = bins.edge(i);
            // A step curve holds each value until the next point; the last point closes the last bin.
            y[i] = counts[Math.min(i, k - 1)];
        }
        XYSeries s = chart.addSeries(seriesName, x, y);
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.StepArea);
        s.setMarker(SeriesMarkers.NONE);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        // XChart prints every digit of a double edge: as many decimals as the range needs, and still legible
        // for gradients of order 1e-6.
        Ticks.apply(chart, false);
        return chart;
    }

    /**
     * Several distributions on one chart, counted over one set of bin edges (the range of all of them), each a
     * step line in its own colour: e.g. a layer's first-order weights beside its quadratic twin's
     * {@code weight_a}, {@code weight_b} and {@code weight_c}, or the same weights at the first and the last epoch.
     * The legend gives each series' count, mean and standard deviation.
     *
     * @param title the chart title
     * @param xAxisTitle what the values are, with their unit (e.g. {@code "weight value"})
     * @param series values by legend name, drawn in map order; non-finite values are left out of the counts
     * @param bins equal-width bins
     * @throws IllegalArgumentException if {@code bins < 1}, there is no series, or a series has no finite value
     */
    public static XYChart overlaidHistograms(String title, String xAxisTitle, Map<String, float[]> series, int bins) {
        if (bins < 1) {
            throw new IllegalArgumentException("Charts.overlaidHistograms '" + title + "': bins must be >= 1, got " + bins);
        }
        if (series.isEmpty()) {
            throw new IllegalArgumentException("Charts.overlaidHistograms '" + title + "': no series");
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Map.Entry<String, float[]> e : series.entrySet()) {
            boolean any = false;
            for (float v : e.getValue()) {
                if (Float.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                    any = true;
                }
            }
            if (!any) {
                throw new IllegalArgumentException("Charts.overlaidHistograms '" + title + "': series '" + e.getKey() + "' has no finite value");
            }
        }
        if (hi == lo) {
            hi = lo + Math.max(1e-6, Math.abs(lo) * 1e-3);
        }
        double width = (hi - lo) / bins;
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xAxisTitle).yAxisTitle("count").build();
        style(chart);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Vertical);
        int colour = 0;
        for (Map.Entry<String, float[]> e : series.entrySet()) {
            long[] counts = new long[bins];
            double sum = 0;
            double sumSq = 0;
            long n = 0;
            for (float v : e.getValue()) {
                if (Float.isFinite(v)) {
                    counts[(int) Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]++;
                    sum += v;
                    sumSq += (double) v * v;
                    n++;
                }
            }
            double mean = sum / n;
            double std = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
            double[] x = new double[bins + 1];
            double[] y = new double[bins + 1];
            for (int i = 0; i <= bins; i++) {
                x[i] = lo + i * width;
                y[i] = counts[Math.min(i, bins - 1)];
            }
            XYSeries s = chart.addSeries(String.format(Locale.ROOT, "%s (n=%d, mean=%.3g, std=%.3g)", e.getKey(), n, mean, std), x, y);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Step);
            s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(Palette.series(colour++));
            s.setLineWidth(2f);
        }
        Ticks.apply(chart, false);
        return chart;
    }

    /**
     * One histogram per parameter of {@code model}, keyed by its dotted name ({@code 0.weight}), followed by
     * one per gradient present, keyed {@code <name>.grad}.
     *
     * @throws IllegalArgumentException if {@code bins < 1}
     */
    public static Map<String, XYChart> parameterHistograms(Module model, int bins) {
        Map<String, XYChart> out = new LinkedHashMap<>();
        Map<String, Parameter> params = model.namedParameters();
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            out.put(e.getKey(), histogram(title(model, e.getKey(), "weights", e.getValue().tensor()), e.getValue().tensor().toFloatArray(), bins));
        }
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            Tensor g = e.getValue().tensor().grad();
            if (g != null) {
                out.put(e.getKey() + ".grad", histogram(title(model, e.getKey(), "gradient", g), g.toFloatArray(), bins));
            }
        }
        return out;
    }

    private static String title(Module model, String name, String what, Tensor t) {
        return model.getClass().getSimpleName() + " " + name + " " + what + " " + Arrays.toString(t.shape());
    }

    /**
     * Curves per named series over epochs 1, 2, ...: loss or accuracy of several models on one chart.
     *
     * @param series values per epoch by series name, drawn in map order
     * @throws IllegalArgumentException if there is no series or a series is empty
     */
    public static XYChart trainingCurves(Map<String, List<Double>> series, String title, String yAxisTitle) {
        return trainingCurves(series, title, "epoch", yAxisTitle);
    }

    /**
     * Curves per named series over 1, 2, ... of {@code xAxisTitle}'s unit ({@code "epoch"} or {@code "step"}):
     * several candidates on one chart, each in its own colour; whole-number ticks on x, ticks on y as the values'
     * range needs (a constant curve gets a padded axis, not fifteen-digit labels).
     *
     * @param series values by series name, drawn in map order
     * @param xAxisTitle the unit counted along x, e.g. {@code "step"}
     * @param yAxisTitle the quantity and its unit, e.g. {@code "loss (cross-entropy)"} or {@code "accuracy (%)"}
     * @throws IllegalArgumentException if there is no series or a series is empty
     */
    public static XYChart trainingCurves(Map<String, List<Double>> series, String title, String xAxisTitle, String yAxisTitle) {
        if (series.isEmpty()) {
            throw new IllegalArgumentException("Charts.trainingCurves '" + title + "': no series");
        }
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xAxisTitle).yAxisTitle(yAxisTitle).build();
        style(chart);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        for (Map.Entry<String, List<Double>> e : series.entrySet()) {
            List<Double> ys = e.getValue();
            if (ys.isEmpty()) {
                throw new IllegalArgumentException("Charts.trainingCurves '" + title + "': series '" + e.getKey() + "' is empty");
            }
            List<Integer> xs = new ArrayList<>(ys.size());
            for (int i = 1; i <= ys.size(); i++) {
                xs.add(i);
            }
            XYSeries s = chart.addSeries(e.getKey(), xs, ys);
            s.setMarker(ys.size() <= 30 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        }
        Ticks.apply(chart, true);
        return chart;
    }

    /** The look shared by every chart here: white background, no plot border, readable fonts, colour-blind-safe series. */
    static void style(Chart<?, ?> chart) {
        Styler s = chart.getStyler();
        s.setSeriesColors(Palette.seriesColors());
        if (s instanceof AxesChartStyler axes) {
            axes.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            axes.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        }
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(false);
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setLegendBorderColor(new Color(0xCCCCCC));
        s.setAntiAlias(true);
    }

    /**
     * Writes {@code chart} to {@code base.png} and/or {@code base.svg} (the extension is appended to the file
     * name), each atomically, creating missing folders.
     *
     * @return the files written, in the order of {@code formats}
     * @throws IllegalArgumentException if no format is given
     * @throws IOException if rendering or writing fails; a file not yet written is left as it was
     */
    public static List<Path> save(Chart<?, ?> chart, Path base, Format... formats) throws IOException {
        if (formats.length == 0) {
            throw new IllegalArgumentException("Charts.save " + base + ": no format given");
        }
        List<Path> written = new ArrayList<>(formats.length);
        for (Format f : formats) {
            Path target = base.resolveSibling(base.getFileName() + "." + f.extension());
            AtomicFiles.write(target, f == Format.PNG ? png(chart) : svg(chart));
            written.add(target);
        }
        return written;
    }

    /**
     * The chart as PNG bytes.
     *
     * @throws IOException if encoding fails
     */
    public static byte[] png(Chart<?, ?> chart) throws IOException {
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * The chart as an SVG document (UTF-8 bytes). XChart draws text as glyph outlines, so the document also
     * gets an SVG {@code <title>} (the chart title) and {@code <desc>} (axis titles and series names): screen
     * readers and text search then find the labels.
     *
     * @throws IOException if encoding fails
     */
    public static byte[] svg(Chart<?, ?> chart) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        VectorGraphicsEncoder.saveVectorGraphic(chart, out, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        String doc = out.toString(StandardCharsets.UTF_8);
        int open = doc.indexOf("<svg");
        int end = open < 0 ? -1 : doc.indexOf('>', open);
        if (end < 0) {
            throw new IOException("Charts.svg '" + chart.getTitle() + "': the encoder wrote no <svg> element");
        }
        StringBuilder desc = new StringBuilder();
        if (chart.getXAxisTitle() != null && !chart.getXAxisTitle().isEmpty()) {
            desc.append("x axis: ").append(chart.getXAxisTitle()).append("; ");
        }
        if (chart.getYAxisTitle() != null && !chart.getYAxisTitle().isEmpty()) {
            desc.append("y axis: ").append(chart.getYAxisTitle()).append("; ");
        }
        desc.append("series: ").append(String.join(", ", chart.getSeriesMap().keySet()));
        String labels = "\n  <title>" + HtmlReport.escape(chart.getTitle()) + "</title>\n  <desc>" + HtmlReport.escape(desc.toString())
                + "</desc>";
        return (doc.substring(0, end + 1) + labels + doc.substring(end + 1)).getBytes(StandardCharsets.UTF_8);
    }
}
