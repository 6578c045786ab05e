package org.quadralib.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.quadralib.core.F;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.memory.MemoryScope;
import org.quadralib.core.optim.SGD;
import org.quadralib.layers.Sequential;
import org.quadralib.profiler.MemoryPrediction;
import org.quadralib.profiler.MemoryProfiler;
import org.quadralib.profiler.MemoryReport;
import org.quadralib.profiler.Phase;

class MemoryChartsTest {

    private static MemoryReport report;

    /** Three profiled training steps of a small MLP, with a parameters-only prediction. */
    @BeforeAll
    static void profile() {
        Sequential model = ChartsTest.mlp();
        SGD opt = new SGD(model.parameters(), 0.1f, 0.9f);
        Tensor x = Tensor.randn(new Rng(1), 8, 6);
        int[] y = {0, 1, 2, 0, 1, 2, 0, 1};
        MemoryScope.Pool pool = new MemoryScope.Pool();
        try (MemoryProfiler prof = MemoryProfiler.attach(model)) {
            for (int i = 0; i < 3; i++) {
                prof.stepStart();
                try (MemoryScope s = MemoryScope.open(pool)) {
                    Tensor loss;
                    try (MemoryProfiler.PhaseScope p = prof.enter(Phase.FORWARD)) {
                        loss = F.crossEntropy(model.forward(x), y);
                    }
                    try (MemoryProfiler.PhaseScope p = prof.enter(Phase.BACKWARD)) {
                        loss.backward();
                    }
                    try (MemoryProfiler.PhaseScope p = prof.enter(Phase.UPDATE)) {
                        opt.step();
                        opt.zeroGrad();
                    }
                }
                prof.stepEnd();
            }
            report = prof.report(MemoryPrediction.parametersOnly(model, 1));
        }
    }

    private static double unitBytes(String axisTitle) {
        return switch (axisTitle.replace("memory (", "").replace(")", "")) {
            case "B" -> 1;
            case "KiB" -> 1024;
            case "MiB" -> 1024 * 1024;
            default -> throw new AssertionError("unexpected unit " + axisTitle);
        };
    }

    @Test
    void byModuleStacksCategoriesPerModule() throws Exception {
        CategoryChart chart = MemoryCharts.byModule(report);
        Rendered.chartPng(chart);
        Rendered.svg(Charts.svg(chart), "Memory per module: Sequential", "x axis: module", "parameter", "gradient", "activation (peak)");
        CategorySeries params = chart.getSeriesMap().get("parameter");
        List<?> modules = List.copyOf(params.getXData());
        List<? extends Number> values = List.copyOf(params.getYData());
        // Linear 0 holds (6·12 + 12) floats of parameters.
        assertEquals(4.0 * (6 * 12 + 12), values.get(modules.indexOf("0")).doubleValue() * unitBytes(chart.getYAxisTitle()), 1e-9);
    }

    @Test
    void timelineStacksCategoriesAndDrawsSavedBytes() throws Exception {
        XYChart chart = MemoryCharts.timeline(report);
        Rendered.chartPng(chart);
        Rendered.svg(Charts.svg(chart), "Memory timeline", "parameter", "saved for backward", "activation gradient");
        assertEquals(report.timeline().samples().size(), chart.getSeriesMap().get("saved for backward").getXData().length);
    }

    @Test
    void predictedBesideMeasured() throws Exception {
        CategoryChart chart = MemoryCharts.predictedVsMeasured(report);
        Rendered.chartPng(chart);
        Rendered.svg(Charts.svg(chart), "parameters only", "parameters (measured)", "parameters (predicted)",
                "saved activations (measured peak)");
        assertEquals(null, chart.getSeriesMap().get("saved activations (predicted)"), "the prediction has no saved bytes: no bar");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MemoryCharts.predictedVsMeasured(report.withPrediction(null)));
        assertEquals(true, e.getMessage().contains("no prediction"), e.getMessage());
    }

    @Test
    void stepsChartHasOnePointPerStep() throws Exception {
        XYChart chart = MemoryCharts.steps(report);
        Rendered.chartPng(chart);
        Rendered.svg(Charts.svg(chart), "Memory per step", "x axis: step", "peak tracked", "allocated by the library");
        assertEquals(3, chart.getSeriesMap().get("peak tracked").getXData().length);
    }

    @Test
    void emptyReportsAreRejected() {
        Sequential model = ChartsTest.mlp();
        MemoryReport fresh;
        try (MemoryProfiler prof = MemoryProfiler.attach(model)) {
            fresh = prof.report();
        }
        assertThrows(IllegalArgumentException.class, () -> MemoryCharts.steps(fresh));
        assertThrows(IllegalArgumentException.class, () -> MemoryCharts.timeline(fresh));
    }
}
