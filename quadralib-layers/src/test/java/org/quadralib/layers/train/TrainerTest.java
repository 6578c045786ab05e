package org.quadralib.layers.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.quadralib.core.GradMode;
import org.quadralib.core.Tensor;
import org.quadralib.core.data.ArrayDataset;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.SyntheticData;
import org.quadralib.core.memory.MemoryScope;
import org.quadralib.core.optim.GradClip;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;
import org.quadralib.layers.ReLU;
import org.quadralib.layers.Sequential;

class TrainerTest {

    private static Sequential mlp() {
        Init.manualSeed(3);
        return new Sequential(new Linear(2, 16), new ReLU(), new Linear(16, 2));
    }

    private static DataLoader xor(int n, int batch) {
        return new DataLoader(SyntheticData.xor(n, 1), batch, true, 2);
    }

    @Test
    void anMlpLearnsXorAndTheHistoryDescribesEachEpoch() {
        Sequential model = mlp();
        DataLoader test = new DataLoader(SyntheticData.xor(400, 9), 100, false, 0);
        History h = new Trainer(Trainer.Config.sgd(0.1f, 0.9f)).fit(model, xor(400, 20), test, 8);

        assertEquals(8, h.epochs().size());
        assertEquals(8 * 20, h.steps());
        assertEquals(History.StopReason.COMPLETED, h.stopReason());
        assertFalse(h.diverged());
        assertTrue(h.last().validationAccuracy() >= 0.95, "xor accuracy " + h.last().validationAccuracy());
        assertTrue(h.last().trainLoss() < h.epochs().get(0).trainLoss());
        assertEquals(java.util.Map.of("linear", 0.1f), h.last().learningRates());
        assertTrue(h.last().stepMillisMedian() > 0 && h.last().seconds() > 0);
        Evaluation again = new Trainer(Trainer.Config.sgd(0.1f, 0.9f)).evaluate(model, test);
        assertEquals(h.last().validationAccuracy(), again.accuracy());
        assertEquals(400, again.samples());
    }

    @Test
    void listenersSeeEveryEventInOrderAndStepsRunInsideAMemoryScope() {
        List<String> events = new ArrayList<>();
        TrainingListener recorder = new TrainingListener() {
            @Override
            public void onFitStart(TrainingContext c) {
                events.add("fitStart");
            }

            @Override
            public void onEpochStart(TrainingContext c) {
                events.add("epochStart " + c.epoch());
            }

            @Override
            public void onPhase(StepPhase phase) {
                assertNotNull(MemoryScope.current(), "phase " + phase + " outside the step's memory scope");
                events.add(phase.name());
            }

            @Override
            public void onGradients(TrainingContext c) {
                events.add("gradients");
            }

            @Override
            public void onBatchEnd(TrainingContext c, BatchResult r) {
                assertNull(MemoryScope.current(), "the step's scope is closed before onBatchEnd");
                events.add("batch " + r.epoch() + "." + r.batch() + " step " + r.globalStep() + " at "
                        + c.epoch() + "." + c.batchesDone());
            }

            @Override
            public void onValidationEnd(TrainingContext c, Evaluation v) {
                events.add("validation " + v.samples());
            }

            @Override
            public void onEpochEnd(TrainingContext c, EpochRecord r) {
                events.add("epochEnd " + r.epoch() + " at " + c.epoch() + "." + c.batchesDone()
                        + " history " + c.history().size());
            }

            @Override
            public void onFitEnd(TrainingContext c, History h) {
                events.add("fitEnd " + h.steps());
            }
        };
        DataLoader data = xor(8, 4);
        new Trainer(Trainer.Config.sgd(0.1f, 0f), recorder).fit(mlp(), data, data, 2);
        List<String> step = List.of("FORWARD", "BACKWARD", "UPDATE", "gradients", "OTHER");
        List<String> expected = new ArrayList<>();
        expected.add("fitStart");
        for (int e = 0; e < 2; e++) {
            expected.add("epochStart " + e);
            for (int b = 0; b < 2; b++) {
                expected.addAll(step);
                expected.add("batch " + e + "." + b + " step " + (2 * e + b + 1) + " at " + e + "." + (b + 1));
            }
            expected.add("validation 8");
            expected.add("epochEnd " + e + " at " + (e + 1) + ".0 history " + (e + 1));
        }
        expected.add("fitEnd 4");
        assertEquals(expected, events);
    }

    @Test
    void maxStepsStopsMidEpoch() {
        History h = new Trainer(Trainer.Config.sgd(0.1f, 0f).withMaxSteps(7)).fit(mlp(), xor(40, 4), null, 5);
        assertEquals(7, h.steps());
        assertEquals(History.StopReason.MAX_STEPS, h.stopReason());
        assertEquals(0, h.epochs().size(), "epoch 0 has 10 batches and never completed");
        EpochRecord partial = h.partialEpoch();
        assertSame(partial, h.last(), "last() is the epoch the fit stopped in");
        assertEquals(0, partial.epoch());
        assertTrue(Double.isFinite(partial.trainLoss()) && partial.trainAccuracy() >= 0 && partial.trainAccuracy() <= 1);
        assertFalse(partial.hasValidation(), "no validation data");

        DataLoader data = xor(40, 4);
        History validated = new Trainer(Trainer.Config.sgd(0.1f, 0f).withMaxSteps(13)).fit(mlp(), data, data, 5);
        assertEquals(1, validated.epochs().size());
        assertEquals(1, validated.last().epoch(), "three batches of epoch 1");
        assertTrue(validated.last().hasValidation(), "the model the fit ended with is validated");
        History between = new Trainer(Trainer.Config.sgd(0.1f, 0f).withMaxSteps(10)).fit(mlp(), data, null, 5);
        assertNull(between.partialEpoch(), "stopped exactly at the end of epoch 0");
        assertSame(between.epochs().get(0), between.last());
    }

    @Test
    void earlyStoppingEndsTrainingWhenValidationStopsImproving() {
        // Learning rate 0: validation loss never improves after the first epoch.
        EarlyStopping stopping = new EarlyStopping(EarlyStopping.Metric.VALIDATION_LOSS, 2, 0);
        DataLoader data = xor(16, 8);
        History h = new Trainer(Trainer.Config.sgd(0f, 0f), stopping).fit(mlp(), data, data, 10);
        assertEquals(3, h.epochs().size(), "best at epoch 0, two epochs without improvement");
        assertEquals(History.StopReason.REQUESTED, h.stopReason());
        assertEquals(2, stopping.epochsWithoutImprovement());

        IllegalStateException noValidation = assertThrows(IllegalStateException.class,
                () -> new Trainer(Trainer.Config.sgd(0.1f, 0f), stopping).fit(mlp(), data, null, 1));
        assertTrue(noValidation.getMessage().contains("needs validation data"));
    }

    @Test
    void schedulesSetTheRateOfEachEpochOrStep() {
        DataLoader data = xor(16, 4);
        History perEpoch = new Trainer(Trainer.Config.sgd(0.1f, 0f).withSchedule(Schedule.stepLr(2, 0.1)))
                .fit(mlp(), data, null, 4);
        float[] rates = new float[4];
        for (int e = 0; e < 4; e++) {
            rates[e] = perEpoch.epochs().get(e).learningRates().get("linear");
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {0.1f, 0.1f, (float) (0.1f * 0.1), (float) (0.1f * 0.1)}, rates);

        // Cosine over 2 epochs of 4 steps, no warm-up: the last step (index 7) runs at f(7) = 0.5·(1 + cos(7π/8)).
        History perStep = new Trainer(Trainer.Config.sgd(0.1f, 0f).withSchedule(Schedule.cosineWithWarmup(0, 0)))
                .fit(mlp(), data, null, 2);
        double f7 = 0.5 * (1 + Math.cos(Math.PI * 7 / 8));
        assertEquals((float) (0.1 * f7), perStep.last().learningRates().get("linear"), 1e-7f);
    }

    @Test
    void clippingIsOnByDefaultOnlyForQuadraticModels() {
        List<Float> normsSeen = new ArrayList<>();
        List<Float> limits = new ArrayList<>();
        TrainingListener probe = new TrainingListener() {
            @Override
            public void onFitStart(TrainingContext c) {
                limits.add(c.maxGradNorm());
            }

            @Override
            public void onGradients(TrainingContext c) {
                // Runs after the default GradientClipping: a clip with a huge limit returns the norm untouched.
                normsSeen.add(GradClip.clipGradNorm(c.optimizer().params(), Float.MAX_VALUE));
            }
        };
        DataLoader data = xor(32, 8);
        new Trainer(Trainer.Config.sgd(0.01f, 0f), probe).fit(steepQuadratic(), data, null, 1);
        new Trainer(Trainer.Config.sgd(0.01f, 0f), probe).fit(mlp(), data, null, 1);
        new Trainer(Trainer.Config.sgd(0.01f, 0f).withMaxGradNorm(0.0), probe).fit(steepQuadratic(), data, null, 1);

        assertEquals(List.of(Trainer.DEFAULT_QUADRATIC_MAX_GRAD_NORM, 0f, 0f), limits);
        float limit = Trainer.DEFAULT_QUADRATIC_MAX_GRAD_NORM;
        assertTrue(normsSeen.get(8) > 1.2f * limit, "the same first step unclipped: " + normsSeen.get(8));
        assertEquals(limit, normsSeen.get(0), limit * 1e-4f, "the first step clipped to the limit");
        for (int i = 1; i < 4; i++) {
            assertTrue(normsSeen.get(i) <= limit * 1.0001f, "clipped norm " + normsSeen.get(i));
        }
    }

    /** A PROPOSED neuron with large quadratic weights, so its gradients are far above the default limit. */
    private static Module steepQuadratic() {
        Init.manualSeed(6);
        TrainerGoldenTest.Proposed quadratic = new TrainerGoldenTest.Proposed(2, 2);
        Init.normal(quadratic.stateDict().get("weight_a"), 0f, 5f);
        Init.normal(quadratic.stateDict().get("weight_b"), 0f, 5f);
        Init.normal(quadratic.stateDict().get("weight_c"), 0f, 1f);
        return quadratic;
    }

    @Test
    void evaluationRunsWithoutGradientsAndRestoresTheMode() {
        Sequential model = mlp();
        boolean[] gradEnabled = new boolean[1];
        model.addPostHook((m, in, out) -> {
            gradEnabled[0] = GradMode.isEnabled() || m.isTraining();
            return null;
        });
        Evaluation e = new Trainer(Trainer.Config.sgd(0.1f, 0f)).evaluate(model, xor(10, 4));
        assertFalse(gradEnabled[0], "evaluation ran in training mode or with gradients recorded");
        assertTrue(model.isTraining());
        assertEquals(10, e.samples());
        assertTrue(Double.isNaN(new Trainer(Trainer.Config.sgd(0.1f, 0f))
                .evaluate(model, new DataLoader(SyntheticData.xor(0, 1), 4, false, 0)).accuracy()));
    }

    @Test
    void countCorrectTakesTheFirstMaximumAndBinaryLogits() {
        Tensor logits = Tensor.of(new float[] {1, 3, 3, 0, Float.NaN, 5, 2, 2}, 4, 2);
        // Rows predict 1, 0 (first of the tie), nothing (NaN), 0.
        assertEquals(3, Trainer.countCorrect(logits, new int[] {1, 0, 1, 0}));
        assertEquals(0, Trainer.countCorrect(logits, new int[] {0, 1, 1, 1}));
        assertEquals(2, Trainer.countCorrect(Tensor.of(new float[] {0.5f, -0.5f, 0f}, 3), new int[] {1, 1, 0}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Trainer.countCorrect(logits, new int[] {1, 0}));
        assertTrue(e.getMessage().contains("[4, 2]"), e.getMessage());
    }

    @Test
    void badConfigurationAndDataAreRejectedWithTheValue() {
        IllegalArgumentException clip = assertThrows(IllegalArgumentException.class,
                () -> Trainer.Config.sgd(0.1f, 0f).withMaxGradNorm(-1.0));
        assertTrue(clip.getMessage().contains("-1.0"));
        assertThrows(IllegalArgumentException.class, () -> Trainer.Config.sgd(0.1f, 0f).withThreads(-2));
        assertThrows(IllegalArgumentException.class, () -> Trainer.Config.sgd(0.1f, 0f).withMaxSteps(-1));
        Trainer trainer = new Trainer(Trainer.Config.sgd(0.1f, 0f));
        assertThrows(IllegalArgumentException.class, () -> trainer.fit(mlp(), xor(8, 4), null, 0));
        DataLoader empty = new DataLoader(new ArrayDataset(new float[0], new int[0], new int[] {2}, 2), 4, false, 0);
        IllegalArgumentException noBatch = assertThrows(IllegalArgumentException.class,
                () -> trainer.fit(mlp(), empty, null, 1));
        assertTrue(noBatch.getMessage().contains("no batch"), noBatch.getMessage());
        DataLoader threeFeatures = new DataLoader(new ArrayDataset(new float[12], new int[4], new int[] {3}, 2), 4,
                false, 0);
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> trainer.fit(mlp(), threeFeatures, null, 1));
        assertTrue(shape.getMessage().contains("Linear '0'"), shape.getMessage());
    }
}
