package org.quadralib.examples;

import java.util.List;
import java.util.Map;

import org.knowm.xchart.XYChart;
import org.quadralib.autobuild.DesignExploration.Result;
import org.quadralib.autobuild.Subset;
import org.quadralib.core.Tensor;
import org.quadralib.core.data.DataLoader;
import org.quadralib.layers.Conv2d;
import org.quadralib.layers.Module;
import org.quadralib.profiler.MemoryReport;
import org.quadralib.viz.ActivationMaps;
import org.quadralib.viz.Charts;
import org.quadralib.viz.HtmlReport;
import org.quadralib.viz.MemoryCharts;

/**
 * The parts of {@code explore}'s {@code report.html} that show what the first-order baseline and its quadratic twin
 * of the same width learned and cost, drawn by the visualisation module: per-module memory and the memory timeline of
 * each (from its training's profile), the channel maps of each convolution for one test image side by side, and the
 * weight histograms after training.
 */
final class ReportSections {

    private static final int BINS = 40;

    private ReportSections() {
    }

    /** Adds the sections for the run's baseline and the first all-quadratic candidate of the baseline's width. */
    static void add(HtmlReport report, Explore.Run run) {
        Result baseline = run.results().get(0);
        Result twin = null;
        for (Result r : run.results()) {
            if (r != baseline && r.candidate().spec().width() == baseline.candidate().spec().width()
                    && !r.candidate().spec().firstOrder() && !r.name().startsWith("mixed")) {
                twin = r;
                break;
            }
        }
        report.heading("Memory of a training step, as profiled");
        for (Result r : twin == null ? List.of(baseline) : List.of(baseline, twin)) {
            MemoryReport m = run.memory().get(r.name());
            if (m == null) {
                continue;
            }
            report.chart(r.name() + ": memory per module (held and peak bytes by category)", MemoryCharts.byModule(m));
            if (m.timeline().samples().size() >= 2) {
                report.chart(r.name() + ": tracked memory over the profiled steps", MemoryCharts.timeline(m), Charts.Format.PNG);
            }
        }
        if (twin == null) {
            return;
        }
        Tensor image = firstTestImage(run);
        report.heading("Activation maps of the first test image, first-order beside " + twin.name());
        for (Map.Entry<String, Module> e : baseline.candidate().model().namedModules().entrySet()) {
            if (e.getValue() instanceof Conv2d && twin.candidate().model().namedModules().containsKey(e.getKey())) {
                report.image("Channels of " + e.getKey() + ", each on its own scale",
                        ActivationMaps.compare(baseline.candidate().model(), twin.candidate().model(), e.getKey(), image, 0));
            }
        }
        report.heading("Weights after training");
        for (Result r : List.of(baseline, twin)) {
            for (Map.Entry<String, XYChart> e : Charts.parameterHistograms(r.candidate().model(), BINS).entrySet()) {
                if (e.getKey().contains("weight") && !e.getKey().endsWith(".grad")) {
                    report.chart(r.name() + ": " + e.getKey(), e.getValue(), Charts.Format.PNG);
                }
            }
        }
    }

    private static Tensor firstTestImage(Explore.Run run) {
        DataLoader one = new DataLoader(Subset.first(run.data().test(), 1), run.data().loaderOptions(1));
        try (DataLoader.BatchIterator it = one.iterator(0)) {
            return it.next().inputs();
        }
    }
}
