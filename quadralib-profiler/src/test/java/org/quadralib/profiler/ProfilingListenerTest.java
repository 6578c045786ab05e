package org.quadralib.profiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.quadralib.core.Parallel;
import org.quadralib.core.Tensor;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.SyntheticData;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.memory.MemoryScope;
import org.quadralib.core.memory.MemoryTracker;
import org.quadralib.core.optim.Optimizer;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;
import org.quadralib.layers.ReLU;
import org.quadralib.layers.Sequential;
import org.quadralib.layers.train.Loss;
import org.quadralib.layers.train.OptimizerFactory;
import org.quadralib.layers.train.Trainer;
import org.quadralib.layers.train.TrainingContext;
import org.quadralib.layers.train.TrainingListener;

class ProfilingListenerTest {

    private static final int BATCH = 16;
    /** Four training batches per epoch. */
    private static final int TRAIN = 64;
    private static final int BATCHES = TRAIN / BATCH;
    private static final int EPOCHS = 2;
    private static final int HIDDEN = 16;
    private static final int CLASSES = 2;
    private static final float LR = 0.1f;
    private static final float MOMENTUM = 0.9f;
    /** What one forward saves for backward: Linear 0's input, the ReLU's output, the loss's log-probabilities. */
    private static final long SAVED_PER_FORWARD = 4L * BATCH * (2 + HIDDEN + CLASSES);
    /** What one forward outputs: both linear layers and the ReLU. */
    private static final long FORWARD_OUTPUT_BYTES = 4L * BATCH * (HIDDEN + HIDDEN + CLASSES);
    /** (2·16 + 16) + (16·2 + 2) floats. */
    private static final long PARAM_BYTES = 4L * (2 * HIDDEN + HIDDEN + HIDDEN * CLASSES + CLASSES);
    private static final List<Phase> STEP_PHASES = List.of(Phase.FORWARD, Phase.BACKWARD, Phase.UPDATE, Phase.OTHER);

    private int threads;

    @BeforeEach
    void oneThread() {
        threads = Parallel.threads();
        Parallel.setThreads(1);
    }

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(threads);
    }

    private static Sequential mlp() {
        Init.manualSeed(5);
        return new Sequential(new Linear(2, HIDDEN), new ReLU(), new Linear(HIDDEN, CLASSES));
    }

    private static DataLoader train() {
        return new DataLoader(SyntheticData.rings(TRAIN, 1), BATCH, true, 2);
    }

    /** Two batches of 24. */
    private static DataLoader validation() {
        return new DataLoader(SyntheticData.rings(48, 9), 24, false, 0);
    }

    private static Trainer trainer(TrainingListener... listeners) {
        return new Trainer(Trainer.Config.sgd(LR, MOMENTUM).withThreads(1), listeners);
    }

    /**
     * Trains once unprofiled, so this thread's workspaces (kept per thread, grown to the largest size asked and
     * never shrunk) already fit every shape of the runs compared next: whichever runs first would otherwise count
     * their growth in its first step.
     */
    private static void growWorkspaces() {
        trainer().fit(mlp(), train(), validation(), 1);
    }

    /** Trains a fresh model for {@link #EPOCHS} epochs through a fresh listener; its report. */
    private static MemoryReport profiledFit(DataLoader validation) {
        Sequential model = mlp();
        DataLoader train = train();
        MemoryTracker.settle();
        try (ProfilingListener profiling = ProfilingListener.attach(model)) {
            trainer(profiling).fit(model, train, validation, EPOCHS);
            return profiling.report();
        }
    }

    /** What {@link #profiledFit} does with no validation, with the profiler called by hand as the trainer runs. */
    @SuppressWarnings("try") // the scope is used for what it does on close
    private static MemoryReport handProfiledFit() {
        Sequential model = mlp();
        DataLoader train = train();
        MemoryScope.Pool pool = new MemoryScope.Pool();
        MemoryTracker.settle();
        try (MemoryProfiler prof = MemoryProfiler.attach(model)) {
            Optimizer optimizer = OptimizerFactory.sgd(LR, MOMENTUM).create(model);
            model.train(true);
            optimizer.zeroGrad();
            for (int epoch = 0; epoch < EPOCHS; epoch++) {
                try (DataLoader.BatchIterator batches = train.iterator(epoch)) {
                    while (batches.hasNext()) {
                        try (MemoryScope scope = MemoryScope.open(pool)) {
                            DataLoader.Batch batch = batches.next();
                            prof.stepStart();
                            prof.phase(Phase.FORWARD);
                            Tensor output = model.forward(batch.inputs());
                            Tensor loss = Loss.CROSS_ENTROPY.compute(output, batch.labels());
                            loss.item();
                            Trainer.countCorrect(output, batch.labels());
                            prof.phase(Phase.BACKWARD);
                            loss.backward();
                            prof.phase(Phase.UPDATE);
                            optimizer.step();
                            optimizer.zeroGrad();
                            prof.phase(Phase.OTHER);
                        }
                        prof.stepEnd();
                    }
                }
            }
            return prof.report();
        }
    }

    /** The step's timeline samples taken in {@code phase}: phase entries, peaks between samples. */
    private static List<MemoryReport.TimelineSample> samples(MemoryReport r, int step, Phase phase) {
        return r.timeline().samples().stream().filter(s -> s.step() == step && s.phase() == phase).toList();
    }

    private static long highest(List<MemoryReport.TimelineSample> samples, MemoryCategory c) {
        return samples.stream().mapToLong(s -> s.bytes().get(c)).max().orElse(-1);
    }

    @Test
    void everyTrainingBatchIsOneStepWithPeaksInEachOfItsPhases() {
        MemoryReport r = profiledFit(validation());

        assertEquals(IntStream.range(0, EPOCHS * BATCHES).boxed().toList(),
                r.steps().stream().map(MemoryReport.StepMemory::step).toList());
        assertEquals(0, r.droppedSteps());
        assertTrue(r.timeline().recorded() < r.timeline().capacity(), "every sample kept, so every step's are here");
        for (MemoryReport.StepMemory step : r.steps()) {
            int i = step.step();
            List<Phase> entered = r.timeline().samples().stream()
                    .filter(s -> s.step() == i && s.kind() == MemoryReport.SampleKind.PHASE)
                    .map(MemoryReport.TimelineSample::phase).toList();
            assertEquals(STEP_PHASES, entered, "phases of step " + i);
            assertEquals(SAVED_PER_FORWARD, step.peakSavedBytes(), "step " + i);

            List<MemoryReport.TimelineSample> forward = samples(r, i, Phase.FORWARD);
            List<MemoryReport.TimelineSample> backward = samples(r, i, Phase.BACKWARD);
            assertTrue(highest(forward, MemoryCategory.ACTIVATION) >= FORWARD_OUTPUT_BYTES,
                    "step " + i + " forward peak holds the layer outputs: " + forward);
            assertTrue(highest(backward, MemoryCategory.ACTIVATION_GRADIENT) > 0,
                    "step " + i + " backward peak holds activation gradients: " + backward);
            assertEquals(SAVED_PER_FORWARD, backward.stream().mapToLong(MemoryReport.TimelineSample::savedBytes).max()
                    .orElseThrow(), "step " + i + ": backward starts with everything forward saved");
            assertTrue(step.peakBytes().get(MemoryCategory.ACTIVATION_GRADIENT) > 0, "step " + i);
        }

        Map<Phase, MemoryReport.PhaseMemory> phases = r.phases();
        for (Phase p : List.of(Phase.FORWARD, Phase.BACKWARD, Phase.UPDATE)) {
            assertEquals(EPOCHS * BATCHES, phases.get(p).entries(), p.name());
        }
        assertTrue(phases.get(Phase.FORWARD).peakBytes().get(MemoryCategory.ACTIVATION) >= FORWARD_OUTPUT_BYTES);
        assertEquals(SAVED_PER_FORWARD, phases.get(Phase.FORWARD).peakSavedBytes());
        assertEquals(0, phases.get(Phase.FORWARD).allocatedBytes().get(MemoryCategory.ACTIVATION_GRADIENT));
        assertTrue(phases.get(Phase.BACKWARD).peakBytes().get(MemoryCategory.ACTIVATION_GRADIENT) > 0);
        assertEquals(PARAM_BYTES, phases.get(Phase.BACKWARD).allocatedBytes().get(MemoryCategory.GRADIENT),
                "the first backward creates one gradient per parameter");
        assertEquals(PARAM_BYTES, phases.get(Phase.UPDATE).allocatedBytes().get(MemoryCategory.OPTIMIZER_STATE),
                "the first update creates one momentum buffer per parameter");
        assertEquals(0, phases.get(Phase.UPDATE).peakSavedBytes(), "nothing is saved once backward has run");
    }

    @Test
    void validationIsNeitherAStepNorATrainingPhase() {
        growWorkspaces();
        MemoryReport with = profiledFit(validation());
        MemoryReport without = profiledFit(null);

        assertEquals(EPOCHS * BATCHES, with.steps().size(), "validation batches are not steps");
        assertEquals(trackedPerStep(without), trackedPerStep(with));
        for (Phase p : List.of(Phase.FORWARD, Phase.BACKWARD, Phase.UPDATE)) {
            assertEquals(without.phases().get(p).entries(), with.phases().get(p).entries(), p.name());
            assertEquals(without.phases().get(p).allocatedBytes(), with.phases().get(p).allocatedBytes(), p.name());
        }
        long otherWithout = without.phases().get(Phase.OTHER).allocatedBytes().get(MemoryCategory.ACTIVATION);
        long otherWith = with.phases().get(Phase.OTHER).allocatedBytes().get(MemoryCategory.ACTIVATION);
        assertEquals(0, otherWithout, "training computes activations in its forward and backward phases only");
        // Each validation forward outputs at least both linear layers and the ReLU, for 24 samples.
        assertTrue(otherWith >= EPOCHS * 48 * 4L * (HIDDEN + HIDDEN + CLASSES), "validation counts as OTHER: " + otherWith);
    }

    private static List<Long> trackedPerStep(MemoryReport r) {
        return r.steps().stream().map(MemoryReport.StepMemory::trackedAllocatedBytes).toList();
    }

    /**
     * A phase's figures with its peaks counted from the level at attach (the timeline's first sample), so that
     * the memory the rest of the JVM holds, which differs from one run to the next, drops out.
     */
    private record PhaseFigures(long entries, long peakTotal, long peakSaved, Map<MemoryCategory, Long> peaks,
            Map<MemoryCategory, Long> allocated) {

        static PhaseFigures of(MemoryReport r, Phase phase) {
            MemoryReport.TimelineSample atAttach = r.timeline().samples().get(0);
            MemoryReport.PhaseMemory p = r.phases().get(phase);
            Map<MemoryCategory, Long> peaks = new EnumMap<>(MemoryCategory.class);
            p.peakBytes().forEach((c, bytes) -> peaks.put(c, bytes - atAttach.bytes().get(c)));
            return new PhaseFigures(p.entries(), p.peakTotalBytes() - atAttach.totalBytes(), p.peakSavedBytes(), peaks,
                    p.allocatedBytes());
        }
    }

    @Test
    void theListenerMeasuresWhatHandWrittenProfilerCallsMeasure() {
        growWorkspaces();
        MemoryReport listened = profiledFit(null);
        MemoryReport byHand = handProfiledFit();

        assertEquals(byHand.steps().size(), listened.steps().size());
        assertEquals(trackedPerStep(byHand), trackedPerStep(listened));
        for (Phase p : List.of(Phase.FORWARD, Phase.BACKWARD, Phase.UPDATE)) {
            assertEquals(PhaseFigures.of(byHand, p), PhaseFigures.of(listened, p), p.name());
        }
        long attachedHand = byHand.timeline().samples().get(0).totalBytes();
        long attachedListened = listened.timeline().samples().get(0).totalBytes();
        for (int i = 0; i < byHand.steps().size(); i++) {
            MemoryReport.StepMemory hand = byHand.steps().get(i);
            MemoryReport.StepMemory listener = listened.steps().get(i);
            assertEquals(hand.peakSavedBytes(), listener.peakSavedBytes(), "step " + i);
            assertEquals(hand.peakTotalBytes() - attachedHand, listener.peakTotalBytes() - attachedListened, "step " + i);
        }
    }

    @Test
    void oneListenerServesTwoFitsAndOnceClosedRefusesAThird() {
        Sequential model = mlp();
        ProfilingListener profiling = ProfilingListener.attach(model);
        trainer(profiling).fit(model, train(), null, 1);
        trainer(profiling).fit(model, train(), null, 1);
        profiling.close();
        MemoryReport atClose = profiling.report();
        assertEquals(IntStream.range(0, 2 * BATCHES).boxed().toList(),
                atClose.steps().stream().map(MemoryReport.StepMemory::step).toList(), "the second fit numbers on");
        assertEquals(2 * BATCHES, atClose.phases().get(Phase.FORWARD).entries());

        float[] before = model.namedParameters().get("0.weight").tensor().toFloatArray();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> trainer(profiling).fit(model, train(), null, 1));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertEquals(atClose, profiling.report());
        assertArrayEquals(before, model.namedParameters().get("0.weight").tensor().toFloatArray(),
                "the fit ended before its first step");
    }

    @Test
    void aStepLeftOpenByAFailedFitIsRecordedWhenTheNextFitStarts() {
        Sequential model = mlp();
        TrainingListener failing = new TrainingListener() {
            @Override
            public void onGradients(TrainingContext context) {
                throw new IllegalStateException("test: failing in the first step");
            }
        };
        try (ProfilingListener profiling = ProfilingListener.attach(model)) {
            assertThrows(IllegalStateException.class, () -> trainer(profiling, failing).fit(model, train(), null, 1));
            assertEquals(List.of(), profiling.report().steps(), "the failed step is still open");
            trainer(profiling).fit(model, train(), null, 1);
            List<MemoryReport.StepMemory> steps = profiling.report().steps();
            assertEquals(1 + BATCHES, steps.size());
            assertEquals(SAVED_PER_FORWARD, steps.get(0).peakSavedBytes(), "the failed step ran its forward");
            assertEquals(1 + BATCHES, profiling.report().phases().get(Phase.FORWARD).entries());
        }
    }
}
