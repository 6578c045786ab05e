package org.quadralib.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;
import org.quadralib.core.Tensor;

class ReportChartsTest {

    @Test
    void paretoFrontKeepsTheUndominatedPointsByCost() {
        List<ParetoChart.Point> points = List.of(new ParetoChart.Point("a", 1, 80), new ParetoChart.Point("b", 2, 85),
                new ParetoChart.Point("c", 3, 84), new ParetoChart.Point("d", 2, 85), new ParetoChart.Point("e", 0.5, 70),
                new ParetoChart.Point("f", 4, 90));
        List<String> front = ParetoChart.front(points).stream().map(ParetoChart.Point::label).toList();
        assertEquals(List.of("e", "a", "b", "d", "f"), front, "c is dominated by b; equal b and d both stay");
        XYChart chart = ParetoChart.of("t", "parameters (millions)", "test accuracy (%)", points, 2.5);
        assertTrue(chart.getSeriesMap().containsKey("b (Pareto-optimal)"));
        assertTrue(chart.getSeriesMap().containsKey("c"));
        assertArrayEquals(new double[] {2.5, 2.5}, chart.getSeriesMap().get("budget").getXData());
        assertThrows(IllegalArgumentException.class, () -> ParetoChart.of("t", "x", "y", List.of(), null));
        assertThrows(IllegalArgumentException.class, () -> new ParetoChart.Point("nan", Double.NaN, 1));
    }

    @Test
    void paretoChartsCoverEveryCostInItsUnit() {
        Map<ParetoChart.Cost, XYChart> charts = ParetoChart.all(List.of(
                new ParetoChart.Candidate("fo", 89.3, 61_706, 420_000, 3L << 20, 0.012),
                new ParetoChart.Candidate("q", 89.6, 184_646, 1_260_000, 7L << 20, 0.020)), Map.of(ParetoChart.Cost.PEAK_MEMORY, 5.0 * (1 << 20)));
        assertEquals(List.of(ParetoChart.Cost.values()), List.copyOf(charts.keySet()));
        XYChart memory = charts.get(ParetoChart.Cost.PEAK_MEMORY);
        assertEquals("peak training memory (MiB)", memory.getXAxisTitle());
        assertEquals(3.0, memory.getSeriesMap().get("fo (Pareto-optimal)").getXData()[0], 1e-12);
        assertEquals(5.0, memory.getSeriesMap().get("budget").getXData()[0], 1e-12);
        assertEquals(12.0, charts.get(ParetoChart.Cost.STEP_TIME).getSeriesMap().get("fo (Pareto-optimal)").getXData()[0], 1e-9, "ms");
    }

    @Test
    void ticksAreShortOnAnyRange() {
        Function<Double, String> constant = Ticks.formatter(0.8999999761581421, 0.8999999761581421);
        assertEquals("0.90", constant.apply(0.8999999761581421), "a padded tenth of the value: two decimals");
        assertEquals("1.0", Ticks.formatter(0, 1).apply(0.9999999999999998), "a fifth of the range is 0.2: one decimal");
        assertEquals("1.50e-06", Ticks.formatter(-3e-6, 3e-6).apply(1.5e-6));
        assertEquals("0.0", Ticks.formatter(-1, 1).apply(-1e-17), "no negative zero");
        assertEquals("1", Ticks.integers().apply(1.0000000000000002));
        assertEquals("", Ticks.integers().apply(1.5));
        // one epoch of constant accuracy: every label short
        XYChart one = Charts.trainingCurves(Map.of("a", List.of(0.8999999761581421)), "acc", "accuracy (%)");
        assertEquals(0.5, one.getStyler().getXAxisMin(), 1e-12);
        assertTrue(one.getStyler().getYAxisMin() < 0.9 && one.getStyler().getYAxisMax() > 0.9, "a padded y range");
        for (double v = one.getStyler().getYAxisMin(); v <= one.getStyler().getYAxisMax(); v += 0.001) {
            String label = one.getStyler().getyAxisTickLabelsFormattingFunction().apply(v);
            assertTrue(label.length() <= 6, label);
        }
    }

    @Test
    void overlaidHistogramsShareTheirEdgesAndCountEverySeries() throws Exception {
        Map<String, float[]> series = new LinkedHashMap<>();
        series.put("first-order weight", new float[] {-1, 0, 0, 1});
        series.put("quadratic weight_a", new float[] {0.5f, 0.5f, Float.NaN});
        XYChart chart = Charts.overlaidHistograms("w", "weight value", series, 4);
        assertEquals(2, chart.getSeriesMap().size());
        var fo = chart.getSeriesMap().get("first-order weight (n=4, mean=0.00, std=0.707)");
        var qa = chart.getSeriesMap().get("quadratic weight_a (n=2, mean=0.500, std=0.00)");
        assertTrue(fo != null && qa != null, chart.getSeriesMap().keySet().toString());
        assertArrayEquals(fo.getXData(), qa.getXData(), "one set of edges");
        assertArrayEquals(new double[] {1, 0, 2, 1, 1}, fo.getYData());
        assertArrayEquals(new double[] {0, 0, 0, 2, 2}, qa.getYData());
        Rendered.chartPng(chart);
        assertThrows(IllegalArgumentException.class, () -> Charts.overlaidHistograms("w", "x", Map.of("nan", new float[] {Float.NaN}), 4));
    }

    @Test
    void perLayerChartsShareOneAxisAndLabelsFitSideBySide() throws Exception {
        Map<String, List<MemoryCharts.LayerBytes>> variants = new LinkedHashMap<>();
        variants.put("first-order", List.of(new MemoryCharts.LayerBytes("conv", Map.of("parameters", 1L << 20)),
                new MemoryCharts.LayerBytes("fc", Map.of("parameters", 2L << 20))));
        java.util.List<MemoryCharts.LayerBytes> many = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            many.add(new MemoryCharts.LayerBytes("features." + i + ".a.rather.long.module.path.name", Map.of("parameters", 3L << 20)));
        }
        variants.put("hybrid", many);
        Map<String, CategoryChart> charts = MemoryCharts.perLayer("Memory", variants);
        assertEquals(charts.get("first-order").getStyler().getYAxisMax(), charts.get("hybrid").getStyler().getYAxisMax());
        CategoryChart wide = charts.get("hybrid");
        assertTrue(wide.getWidth() >= 22 * 40, "22 px per label: " + wide.getWidth());
        assertEquals(90, wide.getStyler().getXAxisLabelRotation());
        Rendered.png(Charts.png(wide), wide.getWidth(), wide.getHeight());
    }

    @Test
    void stepTimelineDrawsEveryCurveAndItsPhaseMarkers() throws Exception {
        MemoryCharts.StepCurve a = new MemoryCharts.StepCurve("measured", new double[] {0, 0.5, 1}, new double[] {1 << 20, 3 << 20, 1 << 20},
                0.4, 0.9);
        MemoryCharts.StepCurve b = new MemoryCharts.StepCurve("predicted", new double[] {0, 1}, new double[] {1 << 20, 2 << 20}, 0.5,
                Double.NaN);
        XYChart chart = MemoryCharts.stepTimeline("step", List.of(a, b));
        assertEquals(List.of("measured", "measured: backward starts", "measured: update starts", "predicted", "predicted: backward starts"),
                List.copyOf(chart.getSeriesMap().keySet()));
        assertEquals("live memory (MiB)", chart.getYAxisTitle());
        assertArrayEquals(new double[] {1, 3, 1}, chart.getSeriesMap().get("measured").getYData());
        Rendered.chartPng(chart);
        assertThrows(IllegalArgumentException.class, () -> new MemoryCharts.StepCurve("x", new double[] {0}, new double[0], 0, 0));
    }

    @Test
    void channelMeanAveragesTheChannelsOfOneSample() {
        Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9, 9, 9, 9, 9}, 2, 2, 2, 2);
        float[][] m = ActivationMaps.channelMean(t, 0);
        assertArrayEquals(new float[] {3, 4}, m[0]);
        assertArrayEquals(new float[] {5, 6}, m[1]);
        assertThrows(IllegalArgumentException.class, () -> ActivationMaps.channelMean(t, 2));
        var img = ActivationMaps.panel("maps", List.of("r0"), List.of("c0", "c1"), List.of(List.of(m, new float[][] {{0, 1, 2}})));
        assertTrue(img.getWidth() > 2 * 48 && img.getHeight() > 48);
        assertEquals(Palette.viridis(0) | 0xFF000000, img.getRGB(findColumn(img, Palette.viridis(0)), findRow(img, Palette.viridis(0))) | 0xFF000000,
                "the smallest value of all maps is the darkest colour");
        assertThrows(IllegalArgumentException.class,
                () -> ActivationMaps.panel("maps", List.of("r0", "r1"), List.of("c0"), List.of(List.<float[][]>of(m))));
    }

    private static int findColumn(java.awt.image.BufferedImage img, int rgb) {
        for (int x = 0; x < img.getWidth(); x++) {
            for (int y = 0; y < img.getHeight(); y++) {
                if ((img.getRGB(x, y) & 0xFFFFFF) == rgb) {
                    return x;
                }
            }
        }
        throw new AssertionError("colour " + Integer.toHexString(rgb) + " not drawn");
    }

    private static int findRow(java.awt.image.BufferedImage img, int rgb) {
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xFFFFFF) == rgb) {
                    return y;
                }
            }
        }
        throw new AssertionError("colour " + Integer.toHexString(rgb) + " not drawn");
    }

    @Test
    void paletteIsTheOkabeItoSetAndWraps() {
        assertEquals(8, Palette.size());
        assertEquals(0x0072B2, Palette.series(0).getRGB() & 0xFFFFFF);
        assertEquals(Palette.series(1), Palette.series(9));
        assertEquals(0x440154, Palette.viridis(Double.NaN));
    }
}
