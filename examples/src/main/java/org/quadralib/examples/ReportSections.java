package org.quadralib.examples;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.quadralib.autobuild.DesignExploration;
import org.quadralib.autobuild.DesignExploration.Result;
import org.quadralib.autobuild.Subset;
import org.quadralib.core.Tensor;
import org.quadralib.core.memory.MemoryTracker;
import org.quadralib.core.data.DataLoader;
import org.quadralib.layers.Conv2d;
import org.quadralib.layers.Module;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.QuadraticOptions.BackpropMode;
import org.quadralib.layers.train.Trainer;
import org.quadralib.profiler.MemoryPrediction;
import org.quadralib.profiler.MemoryReport;
import org.quadralib.profiler.OptimizerState;
import org.quadralib.profiler.ProfilingListener;
import org.quadralib.viz.ActivationMaps;
import org.quadralib.viz.Charts;
import org.quadralib.viz.HtmlReport;
import org.quadralib.viz.MemoryCharts;

/**
 * The parts of {@code explore}'s {@code report.html} that show what the first-order baseline and its quadratic twin
 * of the same width learned and cost, drawn by the visualisation module: per-layer memory by category and one step's
 * timeline for first-order, hybrid and standard back-propagation, predicted beside measured (a short profiled run of
 * fresh models); weight and gradient histograms per layer at the first and last epoch; the channel-mean activation
 * maps of one test image per class; the loss of every step of every candidate.
 */
final class ReportSections {

    private static final int BINS = 40;
    /** Steps of the short profiled runs; the timeline is drawn for the last, warm one. */
    private static final int PROFILED_STEPS = 2;

    private ReportSections() {
    }

    /** Adds the sections for the run's baseline and the first all-quadratic candidate of the baseline's width. */
    static void add(HtmlReport report, Explore.Run run) {
        Result baseline = run.results().get(0);
        Result twin = twin(run, baseline);
        stepCurves(report, run);
        if (twin == null) {
            report.paragraph("No quadratic candidate of the baseline's width: no memory, histogram or activation comparison.");
            return;
        }
        memory(report, run, baseline, twin);
        histograms(report, run, baseline, twin);
        activationMaps(report, run, baseline, twin);
    }

    private static Result twin(Explore.Run run, Result baseline) {
        for (Result r : run.results()) {
            if (r != baseline && r.candidate().spec().width() == baseline.candidate().spec().width()
                    && !r.candidate().spec().firstOrder() && !r.name().startsWith("mixed")) {
                return r;
            }
        }
        return null;
    }

    private static void stepCurves(HtmlReport report, Explore.Run run) {
        Map<String, List<Double>> series = new LinkedHashMap<>();
        for (Map.Entry<String, Snapshots> e : run.snapshots().entrySet()) {
            List<Double> losses = e.getValue().stepLosses();
            if (!losses.isEmpty() && losses.stream().allMatch(Double::isFinite)) {
                series.put(e.getKey(), losses);
            }
        }
        if (!series.isEmpty()) {
            report.heading("Training loss per step");
            report.chart(run.options().model() + ": training loss per step",
                    Charts.trainingCurves(series, run.options().model() + ": training loss per step", "step", "cross-entropy"));
        }
    }

    // ------------------------------------------------------------------ memory

    private static void memory(HtmlReport report, Explore.Run run, Result baseline, Result twin) {
        ExploreOptions o = run.options();
        int[] shape = run.data().train().sampleShape();
        NeuronType type = twin.candidate().spec().quadratic().values().iterator().next();
        float width = baseline.candidate().spec().width();
        Map<String, java.util.function.Supplier<Module>> models = new LinkedHashMap<>();
        models.put("first-order", () -> DesignExploration.candidate(space(run, BackpropMode.HYBRID), null, width, o.seed()).model());
        models.put(type.displayName() + " hybrid", () -> DesignExploration.candidate(space(run, BackpropMode.HYBRID), type, width, o.seed()).model());
        models.put(type.displayName() + " standard",
                () -> DesignExploration.candidate(space(run, BackpropMode.STANDARD), type, width, o.seed()).model());
        Map<String, List<MemoryCharts.LayerBytes>> layers = new LinkedHashMap<>();
        List<MemoryCharts.StepCurve> curves = new ArrayList<>();
        for (Map.Entry<String, java.util.function.Supplier<Module>> e : models.entrySet()) {
            Module model = e.getValue().get();
            MemoryPrediction predicted = MemoryPrediction.predict(model, shape, o.batchSize(), OptimizerState.SGD_MOMENTUM);
            // The prediction's probes leave garbage that counts as tracked memory until the collector reclaims it.
            MemoryTracker.settle();
            // Like the prediction, the measured curve counts from before the model existed (what else the run holds,
            // such as the trained candidates, left out), per-thread workspaces included.
            long before = DesignExploration.heldBefore(model);
            MemoryReport measured = profiledSteps(run, model);
            layers.put(e.getKey() + ", predicted", MemoryCharts.LayerBytes.of(predicted));
            layers.put(e.getKey() + ", measured", MemoryCharts.LayerBytes.of(measured));
            curves.add(MemoryCharts.StepCurve.predicted(e.getKey() + ", predicted", predicted));
            MemoryCharts.StepCurve m = MemoryCharts.StepCurve.measured(e.getKey() + ", measured", measured, PROFILED_STEPS - 1);
            double[] bytes = m.bytes().clone();
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] -= before;
            }
            curves.add(new MemoryCharts.StepCurve(m.label(), m.position(), bytes, m.backwardStart(), m.updateStart()));
        }
        report.heading("Memory of a training step, predicted beside measured");
        report.paragraph(String.format(java.util.Locale.ROOT, "Fresh models at width %s, batch %d, SGD with momentum: the "
                + "prediction of the profiler's MemoryPrediction beside a profiled run of %d steps.",
                DesignExploration.formatWidth(width), o.batchSize(), PROFILED_STEPS));
        MemoryCharts.perLayer(o.model() + " memory per layer", layers).forEach((name, chart) ->
                report.chart(o.model() + " memory per layer: " + name, chart, Charts.Format.PNG));
        report.chart(o.model() + ": live memory over one step", MemoryCharts.stepTimeline(o.model() + ": live memory over one step", curves));
    }

    private static DesignExploration.Space space(Explore.Run run, BackpropMode mode) {
        int[] shape = run.data().train().sampleShape();
        return new DesignExploration.Space(run.options().model(), shape[0], shape[1], run.data().train().numClasses(),
                run.options().convert().policy(NeuronType.PROPOSED).withMode(mode));
    }

    private static MemoryReport profiledSteps(Explore.Run run, Module model) {
        int batch = run.options().batchSize();
        DataLoader loader = new DataLoader(Subset.first(run.data().test(), Math.min(run.data().test().size(), PROFILED_STEPS * batch)),
                run.data().loaderOptions(batch));
        try (ProfilingListener profiling = ProfilingListener.attach(model)) {
            new Trainer(Trainer.Config.sgd(run.options().lr(), 0.9f).withMaxSteps(PROFILED_STEPS), profiling).fit(model, loader, null, 1);
            return profiling.report();
        }
    }

    // ------------------------------------------------------------------ histograms

    private static void histograms(HtmlReport report, Explore.Run run, Result baseline, Result twin) {
        Snapshots first = run.snapshots().get(baseline.name());
        Snapshots quad = run.snapshots().get(twin.name());
        if (first == null || quad == null || first.first() == null || quad.first() == null) {
            return;
        }
        report.heading("Weights and gradients per layer, first-order and " + twin.name() + " overlaid");
        List<Snapshots.Epoch[]> epochs = new ArrayList<>();
        epochs.add(new Snapshots.Epoch[] {first.first(), quad.first()});
        if (first.last().epoch() != first.first().epoch()) {
            epochs.add(new Snapshots.Epoch[] {first.last(), quad.last()});
        }
        for (Snapshots.Epoch[] pair : epochs) {
            String when = "end of epoch " + pair[0].epoch() + (epochs.size() == 1 ? " (the first and last)" : "");
            for (String name : pair[0].weights().keySet()) {
                String layer = name.substring(0, name.lastIndexOf('.'));
                for (boolean gradients : new boolean[] {false, true}) {
                    Map<String, float[]> series = new LinkedHashMap<>();
                    Map<String, float[]> a = gradients ? pair[0].gradients() : pair[0].weights();
                    Map<String, float[]> b = gradients ? pair[1].gradients() : pair[1].weights();
                    if (a.containsKey(name)) {
                        series.put("first-order " + leaf(name), a.get(name));
                    }
                    b.forEach((n, v) -> {
                        if (n.startsWith(layer + ".")) {
                            series.put("quadratic " + leaf(n), v);
                        }
                    });
                    if (series.isEmpty()) {
                        continue;
                    }
                    String what = gradients ? "gradient" : "weight";
                    String title = layer + " " + what + "s, " + when;
                    report.chart(title, Charts.overlaidHistograms(title, what + " value", series, BINS), Charts.Format.PNG);
                }
            }
        }
    }

    private static String leaf(String name) {
        return name.substring(name.lastIndexOf('.') + 1);
    }

    // ------------------------------------------------------------------ activation maps

    private static void activationMaps(HtmlReport report, Explore.Run run, Result baseline, Result twin) {
        List<String> convs = new ArrayList<>();
        for (Map.Entry<String, Module> e : baseline.candidate().model().namedModules().entrySet()) {
            if (e.getValue() instanceof Conv2d && twin.candidate().model().namedModules().containsKey(e.getKey())) {
                convs.add(e.getKey());
            }
        }
        if (convs.isEmpty()) {
            return;
        }
        Map<Integer, Tensor> images = onePerClass(run);
        List<String> rows = new ArrayList<>();
        List<List<float[][]>> maps = new ArrayList<>();
        for (Map.Entry<Integer, Tensor> e : images.entrySet()) {
            rows.add("class " + e.getKey());
            List<float[][]> row = new ArrayList<>();
            for (Module m : List.of(baseline.candidate().model(), twin.candidate().model())) {
                for (String layer : convs) {
                    row.add(ActivationMaps.channelMean(ActivationMaps.capture(m, layer, e.getValue()), 0));
                }
            }
            maps.add(row);
        }
        List<String> columns = new ArrayList<>();
        convs.forEach(l -> columns.add("first-order " + l));
        convs.forEach(l -> columns.add("quadratic " + l));
        report.heading("Activation maps of one test image per class");
        report.image("Channel-mean map of each convolution's output, first-order beside " + twin.name() + ", on one colour scale",
                ActivationMaps.panel("Channel-mean activations", rows, columns, maps));
    }

    /** The first test image of each class present in the test set, by class, each as a batch of one. */
    private static Map<Integer, Tensor> onePerClass(Explore.Run run) {
        Map<Integer, Tensor> out = new java.util.TreeMap<>();
        int classes = run.data().test().numClasses();
        DataLoader loader = new DataLoader(run.data().test(), run.data().loaderOptions(run.options().batchSize()));
        try (DataLoader.BatchIterator it = loader.iterator(0)) {
            while (it.hasNext() && out.size() < classes) {
                DataLoader.Batch b = it.next();
                for (int i = 0; i < b.labels().length; i++) {
                    if (!out.containsKey(b.labels()[i])) {
                        out.put(b.labels()[i], b.inputs().narrow(0, i, 1).contiguous());
                    }
                }
            }
        }
        return out;
    }
}
