package org.quadralib.layers.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.quadralib.core.Tensor;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.SyntheticData;
import org.quadralib.layers.BatchNorm1d;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;
import org.quadralib.layers.ReLU;
import org.quadralib.layers.Sequential;

/** A step whose loss or gradient is not finite is skipped or stops the fit, leaving the model as it was. */
class NonFinitePolicyTest {

    /** Multiplies its input by {@code factor} on the forward calls listed, else passes it through. */
    private static final class Poison extends Module {
        private final List<Integer> poisoned;
        private final float factor;
        private int calls;

        Poison(float factor, Integer... poisoned) {
            this.factor = factor;
            this.poisoned = List.of(poisoned);
        }

        @Override
        protected Tensor compute(Tensor x) {
            return poisoned.contains(++calls) ? x.mul(factor) : x;
        }
    }

    private static Sequential model(Module poison) {
        Init.manualSeed(4);
        return new Sequential(new Linear(2, 16), new BatchNorm1d(16), new ReLU(), poison, new Linear(16, 3));
    }

    private static DataLoader loader() {
        return new DataLoader(SyntheticData.spirals(96, 3), DataLoader.Options.defaults().withBatchSize(16)
                .withShuffle(true).withSeed(2).withRandomCrop(0));
    }

    private static Trainer.Config config(long steps) {
        return Trainer.Config.sgd(0.05f, 0.9f).withSchedule(Schedule.cosineWithWarmup(1, 0.1)).withMaxSteps(steps)
                .withMaxGradNorm(0.0).withThreads(1);
    }

    private static Map<String, float[]> state(Module m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.stateDict().forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    /** Snapshots the model before every batch, so a test can see what the step did. */
    private static final class Before implements TrainingListener {
        final List<Map<String, float[]>> states = new ArrayList<>();
        final List<Double> losses = new ArrayList<>();
        final Module model;

        Before(Module model) {
            this.model = model;
        }

        @Override
        public void onPhase(StepPhase phase) {
            if (phase == StepPhase.FORWARD) {
                states.add(state(model));
            }
        }

        @Override
        public void onBatchEnd(TrainingContext context, BatchResult result) {
            losses.add((double) result.loss());
        }
    }

    @Test
    void skipStepLeavesWeightsBuffersAndOptimizerAsTheyWereAndTrainingGoesOn() {
        for (float poison : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            Sequential m = model(new Poison(poison, 3));
            Before before = new Before(m);
            History h = new Trainer(config(6), before).onNonFinite(NonFinitePolicy.SKIP_STEP).fit(m, loader(), null, 2);
            assertEquals(6, h.steps());
            assertEquals(History.StopReason.MAX_STEPS, h.stopReason());
            assertTrue(!Double.isFinite(before.losses.get(2)), "the third step's loss is " + before.losses.get(2));
            Map<String, float[]> beforeThird = before.states.get(2);
            Map<String, float[]> beforeFourth = before.states.get(3);
            for (String k : beforeThird.keySet()) {
                assertArrayEquals(beforeThird.get(k), beforeFourth.get(k), "step 3 skipped, yet " + k + " changed");
            }
            assertTrue(Double.isFinite(h.last().trainLoss()), "skipped batches add nothing to the epoch's mean");
            for (float[] values : state(m).values()) {
                for (float v : values) {
                    assertTrue(Float.isFinite(v), "every weight and running statistic stays finite");
                }
            }
        }
    }

    @Test
    void aNonFiniteGradientWithAFiniteLossIsSkippedToo() {
        // The loss is finite; the gradient is made NaN as an overflowing backward pass would leave it.
        Sequential m = model(new Poison(1f));
        Before before = new Before(m);
        TrainingListener overflow = new TrainingListener() {
            @Override
            public void onGradients(TrainingContext context) {
                if (context.globalStep() == 1) {
                    Tensor g = m.stateDict().get("4.weight").grad();
                    g.data()[g.offset() + 5] = Float.POSITIVE_INFINITY;
                }
            }
        };
        new Trainer(config(3), before, overflow).onNonFinite(NonFinitePolicy.SKIP_STEP).fit(m, loader(), null, 1);
        assertTrue(Double.isFinite(before.losses.get(1)));
        Map<String, float[]> beforeSecond = before.states.get(1);
        Map<String, float[]> beforeThird = before.states.get(2);
        for (String k : beforeSecond.keySet()) {
            assertArrayEquals(beforeSecond.get(k), beforeThird.get(k), k);
        }
    }

    @Test
    void stopEndsTheFitBeforeTheUpdateWithTheModelAsItWas() {
        Sequential m = model(new Poison(Float.NaN, 4));
        Before before = new Before(m);
        History h = new Trainer(config(10), before).onNonFinite(NonFinitePolicy.STOP).fit(m, loader(), null, 2);
        assertEquals(History.StopReason.NON_FINITE, h.stopReason());
        assertEquals(3, h.steps(), "the fourth step was not taken");
        Map<String, float[]> beforeFourth = before.states.get(3);
        Map<String, float[]> now = state(m);
        for (String k : now.keySet()) {
            assertArrayEquals(beforeFourth.get(k), now.get(k), k);
        }
    }

    @Test
    void ignoreKeepsTheOldBehaviourAndNaNSpreads() {
        Sequential m = model(new Poison(Float.NaN, 2));
        new Trainer(config(3)).fit(m, loader(), null, 1);
        assertTrue(Float.isNaN(m.stateDict().get("4.weight").get(0, 0)), "without a policy the NaN reaches the weights");
    }
}
