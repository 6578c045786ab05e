package org.quadralib.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import org.quadralib.core.F;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;
import org.quadralib.layers.Sequential;

class ChartsTest {

    @TempDir
    Path dir;

    /** The test's own activation module, independent of the layers module's set of layers. */
    static final class Relu extends Module {
        @Override
        protected Tensor compute(Tensor x) {
            return x.relu();
        }
    }

    static Sequential mlp() {
        Init.manualSeed(5);
        return new Sequential(new Linear(6, 12), new Relu(), new Linear(12, 3));
    }

    private static float[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void histogramRendersToPngAndLabelledSvg() throws Exception {
        XYChart chart = Charts.histogram("conv1 weights", gaussian(500, 1), 30);
        Rendered.chartPng(chart);
        String labels = Rendered.svg(Charts.svg(chart), "conv1 weights", "x axis: value", "y axis: count", "n=500");
        assertTrue(labels.contains("mean="), labels);
    }

    @Test
    void histogramSeriesFollowsTheBins() {
        float[] v = {0f, 0.5f, 1f, 2.99f, 3f, 4f};
        XYChart chart = Charts.histogram("h", v, 4);
        var series = chart.getSeriesMap().values().iterator().next();
        assertArrayEquals(new double[] {0, 1, 2, 3, 4}, series.getXData());
        // One point per edge; the last repeats the last count so the step closes the last bin.
        assertArrayEquals(new double[] {2, 1, 1, 2, 2}, series.getYData());
    }

    @Test
    void parameterHistogramsCoverWeightsThenGradients() throws Exception {
        Sequential model = mlp();
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(Charts.parameterHistograms(model, 10).keySet()));
        F.crossEntropy(model.forward(Tensor.randn(new Rng(2), 4, 6)), new int[] {0, 1, 2, 0}).backward();
        Map<String, XYChart> charts = Charts.parameterHistograms(model, 10);
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias", "0.weight.grad", "0.bias.grad", "2.weight.grad", "2.bias.grad"),
                List.copyOf(charts.keySet()));
        Rendered.chartPng(charts.get("2.weight.grad"));
        Rendered.svg(Charts.svg(charts.get("0.weight")), "0.weight", "[12, 6]", "n=72");
    }

    @Test
    void trainingCurvesShowEverySeries() throws Exception {
        Map<String, List<Double>> series = new LinkedHashMap<>();
        series.put("VGG first-order", List.of(2.3, 1.7, 1.2, 0.9));
        series.put("VGG quadratic", List.of(2.2, 1.4, 0.9, 0.6));
        XYChart chart = Charts.trainingCurves(series, "Training loss", "loss");
        Rendered.chartPng(chart);
        Rendered.svg(Charts.svg(chart), "Training loss", "x axis: epoch", "y axis: loss", "VGG first-order", "VGG quadratic");
        assertThrows(IllegalArgumentException.class, () -> Charts.trainingCurves(Map.of(), "t", "y"));
        assertThrows(IllegalArgumentException.class, () -> Charts.trainingCurves(Map.of("a", List.of()), "t", "y"));
    }

    @Test
    void saveWritesEachFormatBesideTheBaseName() throws Exception {
        XYChart chart = Charts.histogram("saved", gaussian(100, 3), 10);
        Path base = dir.resolve("charts").resolve("hist");
        List<Path> written = Charts.save(chart, base, Charts.Format.PNG, Charts.Format.SVG);
        assertEquals(List.of(dir.resolve("charts/hist.png"), dir.resolve("charts/hist.svg")), written);
        Rendered.png(Files.readAllBytes(written.get(0)), Charts.WIDTH, Charts.HEIGHT);
        Rendered.svg(Files.readAllBytes(written.get(1)), "saved");
        try (Stream<Path> files = Files.list(dir.resolve("charts"))) {
            assertEquals(2, files.count(), "no temporary file is left behind");
        }
        assertThrows(IllegalArgumentException.class, () -> Charts.save(chart, base));
    }

    @Test
    void activationRecorderKeepsTheLatestOutputOfEachLeaf() throws Exception {
        Sequential model = mlp();
        Tensor x = Tensor.randn(new Rng(7), 5, 6);
        ActivationRecorder rec = ActivationRecorder.attach(model);
        Tensor y = model.forward(x);
        Map<String, float[]> outputs = rec.outputs();
        assertEquals(List.of("0", "1", "2"), List.copyOf(outputs.keySet()));
        assertEquals(5 * 12, outputs.get("1").length);
        assertArrayEquals(y.toFloatArray(), outputs.get("2"));
        assertArrayEquals(new int[] {5, 3}, rec.shapes().get("2"));
        for (float v : outputs.get("1")) {
            assertTrue(v >= 0, "ReLU output");
        }
        Map<String, XYChart> h = rec.histograms(8);
        Rendered.svg(Charts.svg(h.get("1")), "Relu '1' activations [5, 12]", "n=60");
        Rendered.chartPng(h.get("0"));

        model.forward(Tensor.randn(new Rng(8), 2, 6));
        assertEquals(2 * 12, rec.outputs().get("1").length, "a new forward replaces the recorded output");
        rec.close();
        model.forward(Tensor.randn(new Rng(9), 3, 6));
        assertEquals(2 * 12, rec.outputs().get("1").length, "closed: the hooks are gone");
    }
}
