package org.quadralib.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import org.quadralib.core.F;
import org.quadralib.core.GradMode;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.memory.MemoryScope;
import org.quadralib.core.optim.SGD;
import org.quadralib.layers.Conv2d;
import org.quadralib.layers.Init;
import org.quadralib.layers.Module;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.QuadraticConv2d;
import org.quadralib.layers.QuadraticLinear;
import org.quadralib.layers.QuadraticOptions;
import org.quadralib.layers.QuadraticOptions.BackpropMode;
import org.quadralib.layers.zoo.LayerFactory;
import org.quadralib.layers.zoo.Zoo;
import org.quadralib.profiler.MemoryPrediction;
import org.quadralib.profiler.MemoryProfiler;
import org.quadralib.profiler.MemoryReport;
import org.quadralib.profiler.OptimizerState;
import org.quadralib.profiler.Phase;

/**
 * A report with every section, from three small LeNet-5 models (first-order, PROPOSED hybrid, PROPOSED standard)
 * trained for two short epochs on a four-class toy image set, written to {@code target/report-check/report.html}
 * and opened in headless Chromium; the screenshot stays beside it as a build artefact.
 */
class ReportBrowserTest {

    private static final int SIZE = 16;
    private static final int CLASSES = 4;
    private static final int BATCH = 20;
    private static final int STEPS_PER_EPOCH = 4;
    private static final int EPOCHS = 2;
    private static final Path OUT = Path.of("target", "report-check");

    /** What one trained variant left behind. */
    record Trained(String name, Module model, List<Double> stepLoss, List<Double> epochAccuracy, MemoryPrediction predicted,
            MemoryReport measured, Map<String, float[]> firstEpochWeights, Map<String, float[]> lastEpochWeights,
            Map<String, float[]> lastGradients, double stepSeconds) {
    }

    private static final List<Trained> TRAINED = new ArrayList<>();
    private static Tensor images;
    private static int[] labels;

    /** Class k: a bright 4×4 square in one of four quadrants, on noise. */
    @BeforeAll
    static void train() {
        Rng rng = new Rng(5);
        int n = BATCH * STEPS_PER_EPOCH;
        float[] x = new float[n * SIZE * SIZE];
        labels = new int[n];
        for (int i = 0; i < n; i++) {
            int k = i % CLASSES;
            labels[i] = k;
            int r0 = (k / 2) * 8 + 2;
            int c0 = (k % 2) * 8 + 2;
            for (int p = 0; p < SIZE * SIZE; p++) {
                x[i * SIZE * SIZE + p] = 0.1f * (float) rng.nextGaussian();
            }
            for (int r = r0; r < r0 + 4; r++) {
                for (int c = c0; c < c0 + 4; c++) {
                    x[i * SIZE * SIZE + r * SIZE + c] += 1f;
                }
            }
        }
        images = Tensor.of(x, n, 1, SIZE, SIZE);
        TRAINED.add(trainOne("first-order", LayerFactory.FIRST_ORDER));
        TRAINED.add(trainOne("PROPOSED hybrid", quadratic(BackpropMode.HYBRID)));
        TRAINED.add(trainOne("PROPOSED standard", quadratic(BackpropMode.STANDARD)));
    }

    private static HtmlReport built;

    /** {@link #build()}, once. */
    static synchronized HtmlReport report() throws Exception {
        if (built == null) {
            built = build();
        }
        return built;
    }

    private static LayerFactory quadratic(BackpropMode mode) {
        QuadraticOptions o = QuadraticOptions.DEFAULT.withMode(mode);
        return new LayerFactory() {
            @Override
            public Module linear(String role, int in, int out, boolean bias) {
                return new QuadraticLinear(in, out, NeuronType.PROPOSED, o.withBias(bias));
            }

            @Override
            public Module conv2d(String role, Conv2d.Config config) {
                return new QuadraticConv2d(config, NeuronType.PROPOSED, o.withBias(config.bias()));
            }
        };
    }

    @SuppressWarnings("try") // the scopes are used for what they do on open and close
    private static Trained trainOne(String name, LayerFactory factory) {
        Init.manualSeed(3);
        Module model = Zoo.lenet5(1, SIZE, CLASSES, factory);
        MemoryPrediction predicted = MemoryPrediction.predict(model, new int[] {1, SIZE, SIZE}, BATCH, OptimizerState.SGD_MOMENTUM);
        SGD opt = new SGD(model.parameters(), 0.05f, 0.9f);
        MemoryScope.Pool pool = new MemoryScope.Pool();
        List<Double> loss = new ArrayList<>();
        List<Double> accuracy = new ArrayList<>();
        Map<String, float[]> first = null;
        Map<String, float[]> last = null;
        long nanos = 0;
        try (MemoryProfiler prof = MemoryProfiler.attach(model)) {
            for (int epoch = 0; epoch < EPOCHS; epoch++) {
                int correct = 0;
                for (int s = 0; s < STEPS_PER_EPOCH; s++) {
                    long t0 = System.nanoTime();
                    prof.stepStart();
                    try (MemoryScope scope = MemoryScope.open(pool)) {
                        Tensor x = images.narrow(0, s * BATCH, BATCH).copy();
                        int[] y = java.util.Arrays.copyOfRange(labels, s * BATCH, (s + 1) * BATCH);
                        Tensor out;
                        Tensor l;
                        try (MemoryProfiler.PhaseScope p = prof.enter(Phase.FORWARD)) {
                            out = model.forward(x);
                            l = F.crossEntropy(out, y);
                        }
                        loss.add((double) l.item());
                        Tensor pred = F.argmax(out, 1, false);
                        for (int i = 0; i < BATCH; i++) {
                            correct += (int) pred.get(i) == y[i] ? 1 : 0;
                        }
                        try (MemoryProfiler.PhaseScope p = prof.enter(Phase.BACKWARD)) {
                            l.backward();
                        }
                        if (epoch == EPOCHS - 1 && s == STEPS_PER_EPOCH - 1) {
                            last = gradients(model);
                        }
                        try (MemoryProfiler.PhaseScope p = prof.enter(Phase.UPDATE)) {
                            opt.step();
                            opt.zeroGrad();
                        }
                    }
                    prof.stepEnd();
                    nanos += System.nanoTime() - t0;
                }
                accuracy.add(100.0 * correct / (BATCH * STEPS_PER_EPOCH));
                if (epoch == 0) {
                    first = weights(model);
                }
            }
            return new Trained(name, model, loss, accuracy, predicted, prof.report(predicted), first, weights(model), last,
                    nanos / 1e9 / (EPOCHS * STEPS_PER_EPOCH));
        }
    }

    /** The weights of the first conv layer, by parameter name. */
    private static Map<String, float[]> weights(Module model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        model.namedParameters().forEach((k, p) -> {
            if (k.startsWith("features.0.weight")) {
                out.put(k.substring("features.0.".length()), p.tensor().toFloatArray());
            }
        });
        return out;
    }

    private static Map<String, float[]> gradients(Module model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        model.namedParameters().forEach((k, p) -> {
            if (k.startsWith("features.0.weight") && p.tensor().grad() != null) {
                out.put(k.substring("features.0.".length()), p.tensor().grad().toFloatArray());
            }
        });
        return out;
    }

    private static Map<String, float[]> overlay(Trained firstOrder, Trained quadratic, boolean lastEpoch) {
        Map<String, float[]> series = new LinkedHashMap<>();
        (lastEpoch ? firstOrder.lastEpochWeights() : firstOrder.firstEpochWeights()).forEach((k, v) -> series.put("first-order " + k, v));
        (lastEpoch ? quadratic.lastEpochWeights() : quadratic.firstEpochWeights()).forEach((k, v) -> series.put("quadratic " + k, v));
        return series;
    }

    /** Every section of the explore report, from the trained variants. */
    private static HtmlReport build() throws Exception {
        Trained fo = TRAINED.get(0);
        Trained hybrid = TRAINED.get(1);
        HtmlReport r = new HtmlReport("QuadraLib report check");
        r.heading("Comparison");
        List<List<String>> table = new ArrayList<>();
        table.add(List.of("model", "accuracy (%)", "parameters", "predicted peak (MiB)", "measured peak (MiB)", "step (ms)"));
        List<ParetoChart.Candidate> candidates = new ArrayList<>();
        for (Trained t : TRAINED) {
            long params = t.model().parameterCount();
            long measuredPeak = t.measured().steps().get(t.measured().steps().size() - 1).peakTotalBytes();
            double acc = t.epochAccuracy().get(t.epochAccuracy().size() - 1);
            table.add(List.of(t.name(), String.format(Locale.ROOT, "%.1f", acc), Long.toString(params),
                    String.format(Locale.ROOT, "%.2f", t.predicted().peakBytes() / 1048576.0), String.format(Locale.ROOT, "%.2f", measuredPeak / 1048576.0),
                    String.format(Locale.ROOT, "%.1f", t.stepSeconds() * 1e3)));
            candidates.add(new ParetoChart.Candidate(t.name(), acc, params, params * 10.0, t.predicted().peakBytes(), t.stepSeconds()));
        }
        r.table(table);
        r.heading("Pareto charts");
        Map<ParetoChart.Cost, XYChart> pareto = ParetoChart.all(candidates,
                Map.of(ParetoChart.Cost.PARAMETERS, 1.5 * fo.model().parameterCount()));
        pareto.forEach((cost, chart) -> r.chart(cost.title(), chart, Charts.Format.PNG));
        r.heading("Memory per layer");
        Map<String, List<MemoryCharts.LayerBytes>> predicted = new LinkedHashMap<>();
        Map<String, List<MemoryCharts.LayerBytes>> measured = new LinkedHashMap<>();
        for (Trained t : TRAINED) {
            predicted.put(t.name(), MemoryCharts.LayerBytes.of(t.predicted()));
            measured.put(t.name(), MemoryCharts.LayerBytes.of(t.measured()));
        }
        MemoryCharts.perLayer("Predicted memory per layer", predicted).forEach((k, c) -> r.chart("predicted, " + k, c, Charts.Format.PNG));
        MemoryCharts.perLayer("Measured memory per layer", measured).forEach((k, c) -> r.chart("measured, " + k, c, Charts.Format.PNG));
        r.heading("One step");
        int step = fo.measured().steps().get(fo.measured().steps().size() - 1).step();
        r.chart("timeline", MemoryCharts.stepTimeline("Live memory over one step", List.of(
                MemoryCharts.StepCurve.measured("first-order, measured", fo.measured(), step),
                MemoryCharts.StepCurve.predicted("first-order, predicted", fo.predicted()),
                MemoryCharts.StepCurve.measured("hybrid, measured", hybrid.measured(), step),
                MemoryCharts.StepCurve.predicted("hybrid, predicted", hybrid.predicted()))), Charts.Format.PNG);
        r.heading("Weights and gradients of features.0");
        r.chart("first epoch", Charts.overlaidHistograms("features.0 weights after epoch 1", "weight value", overlay(fo, hybrid, false), 40), Charts.Format.PNG);
        r.chart("last epoch", Charts.overlaidHistograms("features.0 weights after epoch " + EPOCHS, "weight value", overlay(fo, hybrid, true), 40), Charts.Format.PNG);
        Map<String, float[]> grads = new LinkedHashMap<>();
        fo.lastGradients().forEach((k, v) -> grads.put("first-order " + k, v));
        hybrid.lastGradients().forEach((k, v) -> grads.put("quadratic " + k, v));
        r.chart("gradients", Charts.overlaidHistograms("features.0 gradients, last step", "gradient value", grads, 40), Charts.Format.PNG);
        r.heading("Activation maps");
        r.image("one test image per class", activationPanel(fo, hybrid));
        r.heading("Training curves");
        Map<String, List<Double>> loss = new LinkedHashMap<>();
        Map<String, List<Double>> acc = new LinkedHashMap<>();
        for (Trained t : TRAINED) {
            loss.put(t.name(), t.stepLoss());
            acc.put(t.name(), t.epochAccuracy());
        }
        r.chart("loss per step", Charts.trainingCurves(loss, "Training loss", "step", "loss (cross-entropy)"), Charts.Format.PNG);
        r.chart("accuracy per epoch", Charts.trainingCurves(acc, "Training accuracy", "epoch", "accuracy (%)"));
        return r;
    }

    @SuppressWarnings("try") // the scope is used for what it does on open and close
    static BufferedImage activationPanel(Trained firstOrder, Trained quadratic) {
        List<String> rows = new ArrayList<>();
        List<List<float[][]>> maps = new ArrayList<>();
        for (int k = 0; k < CLASSES; k++) {
            rows.add("class " + k);
            Tensor x = images.narrow(0, k, 1).copy();
            List<float[][]> row = new ArrayList<>();
            for (Trained t : List.of(firstOrder, quadratic)) {
                for (String layer : List.of("features.0", "features.3")) {
                    row.add(ActivationMaps.channelMean(ActivationMaps.capture(t.model(), layer, x), 0));
                }
            }
            maps.add(row);
        }
        try (GradMode.Scope g = GradMode.noGrad()) {
            return ActivationMaps.panel("Channel-mean activation of each conv layer", rows,
                    List.of("first-order features.0", "first-order features.3", "quadratic features.0", "quadratic features.3"), maps);
        }
    }

    @Test
    void everySectionRendersFromTheData() throws Exception {
        String html = report().render();
        for (String heading : List.of("Comparison", "Pareto charts", "Memory per layer", "One step", "Weights and gradients", "Activation maps",
                "Training curves")) {
            assertTrue(html.contains("<h2>" + heading), heading);
        }
        // 4 Pareto + 6 per-layer + timeline + 3 histograms + activation panel + 2 curves
        assertEquals(17, html.split("<img ", -1).length - 1);
        assertTrue(html.contains("PROPOSED standard"), "the table names every variant");
        BufferedImage panel = activationPanel(TRAINED.get(0), TRAINED.get(1));
        assertTrue(panel.getWidth() > 4 * 48 && panel.getHeight() > CLASSES * 48, panel.getWidth() + "x" + panel.getHeight());
    }

    @Test
    void reportLoadsInHeadlessChromium() throws Exception {
        Optional<Path> chromium = BrowserCheck.chromium();
        assumeTrue(chromium.isPresent(), "chromium not installed at " + BrowserCheck.DEFAULT_CHROMIUM + " (or -Dquadralib.chromium): "
                + "the browser check is skipped");
        Files.createDirectories(OUT);
        Path page = OUT.resolve("report.html");
        report().write(page);
        BrowserCheck.Result result = BrowserCheck.check(chromium.get(), page, OUT.resolve("report-screenshot.png"), Duration.ofSeconds(120));
        assertTrue(result.ok(), result.toString());
        assertEquals(17, result.imageSizes().size(), result.toString());
        BufferedImage shot = ImageIO.read(result.screenshot().toFile());
        assertEquals(1280, shot.getWidth());
    }

    @Test
    void browserCheckFindsBrokenImagesErrorsAndMissingLinks(@TempDir Path dir) throws Exception {
        Optional<Path> chromium = BrowserCheck.chromium();
        assumeTrue(chromium.isPresent(), "chromium not installed at " + BrowserCheck.DEFAULT_CHROMIUM + ": the browser check is skipped");
        Path page = dir.resolve("bad.html");
        Files.writeString(page, "<!DOCTYPE html><html><head><title>bad</title></head><body><p>x</p>"
                + "<img src=\"missing.png\" alt=\"missing\"><a href=\"gone.html\">gone</a><a href=\"https://example.org/\">out</a>"
                + "<script>console.error('boom');</script></body></html>", StandardCharsets.UTF_8);
        BrowserCheck.Result result = BrowserCheck.check(chromium.get(), page, dir.resolve("bad.png"), Duration.ofSeconds(60));
        assertFalse(result.ok());
        assertEquals(List.of("missing.png", "gone.html"), result.missingLinks());
        assertEquals(1, result.brokenImages().size(), result.toString());
        assertTrue(result.consoleErrors().contains("boom"), result.toString());
        assertTrue(result.consoleErrors().stream().anyMatch(e -> e.startsWith("failed to load")), result.toString());
    }

    @Test
    void missingLinksIgnoreDataAndRemoteLinks(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("here.png"), "x");
        String html = "<img src=\"data:image/png;base64,AA\"><a href=\"#top\">t</a><a href=\"here.png\">h</a><a href=\"http://x/y\">r</a>"
                + "<img src=\"sub/none.png\">";
        assertEquals(List.of("sub/none.png"), BrowserCheck.missingLinks(html, dir));
    }
}
