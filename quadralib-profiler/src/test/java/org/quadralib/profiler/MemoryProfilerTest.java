package org.quadralib.profiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.Test;
import org.quadralib.core.F;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.memory.MemoryScope;
import org.quadralib.core.optim.SGD;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;
import org.quadralib.layers.Sequential;

class MemoryProfilerTest {

    private static final int BATCH = 5;
    private static final int IN = 8;
    private static final int HIDDEN = 16;
    private static final int OUT = 4;
    /** (8·16 + 16) floats. */
    private static final long FIRST_LINEAR_BYTES = 4L * (IN * HIDDEN + HIDDEN);
    /** (16·4 + 4) floats. */
    private static final long SECOND_LINEAR_BYTES = 4L * (HIDDEN * OUT + OUT);
    private static final long PARAM_BYTES = FIRST_LINEAR_BYTES + SECOND_LINEAR_BYTES;

    /** The test's own activation module, so the test does not depend on a layer that may not exist yet. */
    private static final class Relu extends Module {
        @Override
        protected Tensor compute(Tensor x) {
            return x.relu();
        }
    }

    /** A model, its optimizer and one fixed batch. */
    private static final class Fixture {
        final Sequential model;
        final SGD opt;
        final Tensor x;
        final int[] labels = {0, 1, 2, 3, 1};
        final MemoryScope.Pool pool = new MemoryScope.Pool();

        Fixture() {
            Init.manualSeed(11);
            model = new Sequential(new Linear(IN, HIDDEN), new Relu(), new Linear(HIDDEN, OUT));
            opt = new SGD(model.parameters(), 0.1f, 0.9f);
            x = Tensor.randn(new Rng(3), BATCH, IN);
        }

        Tensor forward() {
            return F.crossEntropy(model.forward(x), labels);
        }

        /** One profiled step whose activations live in a memory scope closed before the step ends. */
        void step(MemoryProfiler prof) {
            prof.stepStart();
            try (MemoryScope scope = MemoryScope.open(pool)) {
                Tensor loss;
                try (MemoryProfiler.PhaseScope p = prof.enter(Phase.FORWARD)) {
                    loss = forward();
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
    }

    private static Map<String, MemoryReport.ModuleMemory> byPath(MemoryReport r) {
        return r.modules().stream().collect(Collectors.toMap(MemoryReport.ModuleMemory::path, m -> m));
    }

    @Test
    void parameterAndGradientBytesPerModuleAreFourBytesPerElement() {
        Fixture f = new Fixture();
        try (MemoryProfiler prof = MemoryProfiler.attach(f.model)) {
            Map<String, MemoryReport.ModuleMemory> before = byPath(prof.report());
            assertEquals(FIRST_LINEAR_BYTES, before.get("0").parameterBytes());
            assertEquals(0, before.get("1").parameterBytes());
            assertEquals(SECOND_LINEAR_BYTES, before.get("2").parameterBytes());
            assertEquals(0, before.get("").parameterBytes(), "the Sequential holds no parameters of its own");
            assertEquals(0, before.get("0").gradientBytes(), "no gradient before the first backward");
            assertEquals("Linear", before.get("0").type());

            f.forward().backward();
            MemoryReport after = prof.report();
            assertEquals(FIRST_LINEAR_BYTES, byPath(after).get("0").gradientBytes());
            assertEquals(SECOND_LINEAR_BYTES, byPath(after).get("2").gradientBytes());
            assertEquals(new MemoryReport.StaticMemory(PARAM_BYTES, PARAM_BYTES, 0, after.statics().optimizerStateBytes()),
                    after.statics());
            assertEquals(PARAM_BYTES, after.categories().get(MemoryCategory.GRADIENT).allocatedBytes(),
                    "the first backward allocates one gradient buffer per parameter");
        }
    }

    @Test
    void savedActivationsAppearUnderTheModuleThatSavedThem() {
        Fixture f = new Fixture();
        try (MemoryProfiler prof = MemoryProfiler.attach(f.model)) {
            Tensor loss;
            try (MemoryProfiler.PhaseScope p = prof.enter(Phase.FORWARD)) {
                loss = f.forward();
            }
            Map<String, MemoryReport.ModuleMemory> rows = byPath(prof.report());
            // Linear 0 keeps its input; the ReLU keeps its output, which Linear 2 keeps too: one storage,
            // counted once under the module that saved it first; the loss (run outside the model, so owned by
            // the root path) keeps its log-probabilities.
            assertEquals(4L * BATCH * IN, rows.get("0").saved().currentBytes());
            assertEquals(4L * BATCH * HIDDEN, rows.get("1").saved().currentBytes());
            assertEquals(0, rows.get("2").saved().currentBytes());
            assertEquals(4L * BATCH * OUT, rows.get("").saved().currentBytes());
            Map<String, MemoryReport.Usage> ops = prof.report().savedByOp();
            assertEquals(4L * BATCH * IN, ops.get("linear").currentBytes());
            assertEquals(4L * BATCH * HIDDEN, ops.get("relu").currentBytes());
            assertEquals(4L * BATCH * OUT, ops.get("cross_entropy").currentBytes());

            loss.backward();
            MemoryReport r = prof.report();
            for (MemoryReport.ModuleMemory m : r.modules()) {
                assertEquals(0, m.saved().currentBytes(), "backward released what " + m.path() + " saved");
            }
            assertEquals(4L * BATCH * HIDDEN, byPath(r).get("1").saved().peakBytes());
            assertEquals(4L * BATCH * (IN + HIDDEN + OUT), r.saved().peakBytes());
        }
    }

    @Test
    void graphsBuiltBeforeAttachAreNotCounted() {
        Fixture f = new Fixture();
        Tensor loss = f.forward();
        try (MemoryProfiler prof = MemoryProfiler.attach(f.model)) {
            loss.backward();
            MemoryReport r = prof.report();
            assertEquals(new MemoryReport.Usage(0, 0, 0), r.saved());
            assertEquals(0, byPath(r).get("1").saved().peakBytes());
            assertTrue(r.unmatchedReleaseBytes() >= 4L * BATCH * (IN + HIDDEN + OUT),
                    "the releases of what the earlier forward saved match nothing: " + r.unmatchedReleaseBytes());
        }
    }

    @Test
    void phasePeaksFollowTheStep() {
        Fixture f = new Fixture();
        long savedPerForward = 4L * BATCH * (IN + HIDDEN + OUT);
        try (MemoryProfiler prof = MemoryProfiler.attach(f.model)) {
            for (int i = 0; i < 3; i++) {
                f.step(prof);
            }
            MemoryReport r = prof.report();
            Map<Phase, MemoryReport.PhaseMemory> phases = r.phases();
            assertEquals(savedPerForward, phases.get(Phase.FORWARD).peakSavedBytes());
            assertEquals(savedPerForward, phases.get(Phase.BACKWARD).peakSavedBytes(), "backward starts with everything saved");
            assertEquals(0, phases.get(Phase.UPDATE).peakSavedBytes(), "nothing is saved once backward has run");
            assertEquals(3, phases.get(Phase.FORWARD).entries());
            assertEquals(PARAM_BYTES, phases.get(Phase.BACKWARD).allocatedBytes().get(MemoryCategory.GRADIENT));
            assertEquals(0, phases.get(Phase.FORWARD).allocatedBytes().get(MemoryCategory.GRADIENT));
            assertEquals(PARAM_BYTES, phases.get(Phase.UPDATE).allocatedBytes().get(MemoryCategory.OPTIMIZER_STATE),
                    "one momentum buffer per parameter, allocated in the first update only");
            assertTrue(phases.get(Phase.FORWARD).allocatedBytes().get(MemoryCategory.ACTIVATION) >= 4L * BATCH * (2 * HIDDEN + OUT),
                    "forward allocates at least both linear outputs and the ReLU output");

            List<MemoryReport.TimelineSample> samples = r.timeline().samples();
            MemoryReport.TimelineSample backwardStart = first(samples, Phase.BACKWARD, MemoryReport.SampleKind.PHASE);
            MemoryReport.TimelineSample updateStart = first(samples, Phase.UPDATE, MemoryReport.SampleKind.PHASE);
            assertEquals(savedPerForward, backwardStart.savedBytes());
            assertEquals(0, updateStart.savedBytes());
            assertTrue(backwardStart.event() < updateStart.event());

            List<MemoryReport.StepMemory> steps = r.steps();
            assertEquals(List.of(0, 1, 2), steps.stream().map(MemoryReport.StepMemory::step).toList());
            for (MemoryReport.StepMemory s : steps) {
                assertEquals(savedPerForward, s.peakSavedBytes());
            }
            // Steady state: steps 1 and 2 allocate the same; step 0 also created the gradients and momentum.
            assertEquals(steps.get(1).trackedAllocatedBytes(), steps.get(2).trackedAllocatedBytes());
            assertEquals(steps.get(1).trackedAllocatedBytes() + 2 * PARAM_BYTES, steps.get(0).trackedAllocatedBytes());

            // The memory scope closed inside each step returned every module's transient bytes.
            for (MemoryReport.ModuleMemory m : r.modules()) {
                for (MemoryCategory c : List.of(MemoryCategory.ACTIVATION, MemoryCategory.ACTIVATION_GRADIENT)) {
                    assertEquals(0, m.tracked().get(c).currentBytes(), m.path() + " " + c);
                }
            }
            MemoryReport.ModuleMemory first = byPath(r).get("0");
            assertTrue(first.tracked().get(MemoryCategory.ACTIVATION).peakBytes() >= 4L * BATCH * HIDDEN,
                    "Linear 0 held at least its output");
            assertTrue(first.peakTransientBytes() >= first.tracked().get(MemoryCategory.ACTIVATION).peakBytes());
        }
    }

    private static MemoryReport.TimelineSample first(List<MemoryReport.TimelineSample> samples, Phase phase,
            MemoryReport.SampleKind kind) {
        return samples.stream().filter(s -> s.phase() == phase && s.kind() == kind).findFirst().orElseThrow();
    }

    @Test
    void timelineAndStepsStayBoundedAndKeepThePeak() {
        Fixture f = new Fixture();
        try (MemoryProfiler prof = MemoryProfiler.attach(f.model, 8, 4)) {
            for (int i = 0; i < 10; i++) {
                f.step(prof);
            }
            MemoryReport r = prof.report();
            MemoryReport.Timeline t = r.timeline();
            assertTrue(t.samples().size() <= 8, "kept " + t.samples().size());
            assertTrue(t.recorded() > 8 * 4, "recorded " + t.recorded());
            assertTrue(t.stride() >= 4, "stride " + t.stride());
            long highest = t.samples().stream().mapToLong(MemoryReport.TimelineSample::totalBytes).max().orElseThrow();
            assertEquals(r.peakTotalBytes(), highest, "merging keeps the peak");
            for (int i = 1; i < t.samples().size(); i++) {
                assertTrue(t.samples().get(i - 1).event() <= t.samples().get(i).event(), "samples stay in time order");
            }
            assertEquals(List.of(6, 7, 8, 9), r.steps().stream().map(MemoryReport.StepMemory::step).toList());
            assertEquals(6, r.droppedSteps());
        }
    }

    @Test
    void closeDetachesTheListeners() {
        Fixture f = new Fixture();
        MemoryProfiler prof = MemoryProfiler.attach(f.model);
        f.step(prof);
        prof.close();
        MemoryReport atClose = prof.report();

        Tensor loss = f.forward();
        loss.backward();
        Tensor.zeros(MemoryCategory.WORKSPACE, 1000);
        prof.close();

        assertEquals(atClose, prof.report(), "nothing after close reaches the profiler");
        assertThrows(IllegalStateException.class, prof::stepStart);
        assertThrows(IllegalStateException.class, () -> prof.phase(Phase.FORWARD));
    }

    private static WeakReference<MemoryProfiler> profileOneStepAndClose(Fixture f) {
        MemoryProfiler prof = MemoryProfiler.attach(f.model);
        f.step(prof);
        prof.close();
        return new WeakReference<>(prof);
    }

    @Test
    void aClosedProfilerIsNotRetainedByTheRegistries() throws InterruptedException {
        Fixture f = new Fixture();
        WeakReference<MemoryProfiler> ref = profileOneStepAndClose(f);
        for (int i = 0; i < 50 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertNull(ref.get(), "the tracker or the saved-tensor registry still holds a listener of the closed profiler");
    }

    @Test
    void jvmCountersAreNonNegativeAndGrowAcrossSteps() {
        Fixture f = new Fixture();
        try (MemoryProfiler prof = MemoryProfiler.attach(f.model)) {
            f.step(prof);
            long afterOne = prof.report().jvm().allocatedBytesThisThread();
            f.step(prof);
            f.step(prof);
            MemoryReport r = prof.report();
            for (MemoryReport.StepMemory s : r.steps()) {
                assertTrue(s.jvmAllocatedBytes() > 0, "step " + s.step() + " allocated arrays on this thread");
                assertTrue(s.jvmAllocatedBytesAllThreads() >= s.jvmAllocatedBytes(), "all threads include this one");
                assertTrue(s.heapUsedBytes() > 0);
            }
            assertTrue(afterOne > 0);
            assertTrue(r.jvm().allocatedBytesThisThread() > afterOne);
            assertTrue(r.jvm().allocatedBytesAllThreads() >= r.jvm().allocatedBytesThisThread());
            assertTrue(r.jvm().heapCommittedBytes() >= r.jvm().heapUsedBytes());
        }
    }

    @Test
    void stepCallsOutOfOrderAreRejected() {
        Fixture f = new Fixture();
        try (MemoryProfiler prof = MemoryProfiler.attach(f.model)) {
            assertThrows(IllegalStateException.class, prof::stepEnd);
            prof.stepStart();
            IllegalStateException e = assertThrows(IllegalStateException.class, prof::stepStart);
            assertTrue(e.getMessage().contains("step 0 is still open"), e.getMessage());
            prof.step(10);
            prof.stepEnd();
            prof.stepStart();
            prof.stepEnd();
            assertEquals(List.of(0, 10, 11), prof.report().steps().stream().map(MemoryReport.StepMemory::step).toList());
            assertThrows(IllegalArgumentException.class, () -> prof.step(-1));
        }
    }

    @Test
    void enterRestoresThePreviousPhase() {
        Fixture f = new Fixture();
        try (MemoryProfiler prof = MemoryProfiler.attach(f.model)) {
            prof.phase(Phase.BACKWARD);
            try (MemoryProfiler.PhaseScope p = prof.enter(Phase.UPDATE)) {
                Tensor.zeros(MemoryCategory.WORKSPACE, 10);
            }
            Tensor.zeros(MemoryCategory.WORKSPACE, 20);
            Map<Phase, MemoryReport.PhaseMemory> phases = prof.report().phases();
            assertEquals(40, phases.get(Phase.UPDATE).allocatedBytes().get(MemoryCategory.WORKSPACE));
            assertEquals(80, phases.get(Phase.BACKWARD).allocatedBytes().get(MemoryCategory.WORKSPACE));
            assertEquals(2, phases.get(Phase.BACKWARD).entries());
        }
    }

    @Test
    void reportPrintsMeasurementBesidePredictionAndSerialisesToJson() {
        Fixture f = new Fixture();
        try (MemoryProfiler prof = MemoryProfiler.attach(f.model)) {
            f.step(prof);
            MemoryReport r = prof.report(MemoryPrediction.parametersOnly(f.model, 1));
            String text = r.toText();
            assertTrue(text.contains("prediction: parameters only"), text);
            // Linear 0: 576 B of parameters and of gradients (zeroed, still held), measured and predicted.
            String row = text.lines().filter(l -> l.startsWith("0 ")).findFirst().orElseThrow();
            assertTrue(row.contains("576 B / 576 B"), row);
            assertTrue(row.contains("160 B / ?"), "saved input of Linear 0 against an unknown prediction: " + row);
            assertTrue(text.contains("FORWARD"), text);
            assertTrue(text.contains("optimizer state 848 B allocated since attach"), text);
            assertTrue(text.contains("(predicted 848 B)"), text);

            JsonObject json = JsonParser.parseString(r.toJson()).getAsJsonObject();
            JsonArray modules = json.getAsJsonArray("modules");
            assertEquals(r.modules().size(), modules.size());
            JsonObject linear0 = modules.get(1).getAsJsonObject();
            assertEquals("0", linear0.get("path").getAsString());
            assertEquals(FIRST_LINEAR_BYTES, linear0.get("parameterBytes").getAsLong());
            assertEquals(PARAM_BYTES, json.getAsJsonObject("prediction").getAsJsonObject("modules").entrySet().stream()
                    .mapToLong(e -> e.getValue().getAsJsonObject().get("parameterBytes").getAsLong()).sum());
            assertEquals(r.steps().get(0).trackedAllocatedBytes(),
                    json.getAsJsonArray("steps").get(0).getAsJsonObject().get("trackedAllocatedBytes").getAsLong());
        }
    }

    @Test
    void timelineOffStillRecordsStepsAndPeaks() {
        Fixture f = new Fixture();
        try (MemoryProfiler prof = MemoryProfiler.attach(f.model, 0, 10)) {
            f.step(prof);
            f.step(prof);
            MemoryReport r = prof.report();
            assertEquals(2, r.steps().size());
            assertTrue(r.steps().get(1).peakTotalBytes() > PARAM_BYTES, "the step's peak holds more than the parameters");
            assertTrue(r.timeline().samples().isEmpty());
            assertEquals(0, r.timeline().capacity());
        }
        assertThrows(IllegalArgumentException.class, () -> MemoryProfiler.attach(f.model, 1, 10));
    }
}
