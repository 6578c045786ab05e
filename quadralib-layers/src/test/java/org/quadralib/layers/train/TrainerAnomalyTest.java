package org.quadralib.layers.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.quadralib.core.AnomalyMode;
import org.quadralib.core.Tensor;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.SyntheticData;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;
import org.quadralib.layers.ReLU;
import org.quadralib.layers.Sequential;

/** The trainer's anomaly mode: the module path in the error; the non-finite policy then stops, skips or throws. */
class TrainerAnomalyTest {

    /** Multiplies its input by NaN on the {@code poisoned}-th call (counting from 0), by 1 otherwise. */
    private static final class PoisonOnce extends Module {
        private final int poisoned;
        private int calls;

        PoisonOnce(int poisoned) {
            this.poisoned = poisoned;
        }

        @Override
        protected Tensor compute(Tensor x) {
            return x.mul(calls++ == poisoned ? Float.NaN : 1f);
        }
    }

    private static Sequential model(int poisoned) {
        Init.manualSeed(3);
        return new Sequential(new Linear(2, 8), new PoisonOnce(poisoned), new ReLU(), new Linear(8, 2));
    }

    private static DataLoader xor() {
        return new DataLoader(SyntheticData.xor(80, 1), 20, true, 2);
    }

    private static boolean allFinite(Module m) {
        for (Tensor p : m.parameters()) {
            for (float v : p.toFloatArray()) {
                if (!Float.isFinite(v)) {
                    return false;
                }
            }
        }
        return true;
    }

    @Test
    void withoutAPolicyTheErrorNamesTheOpTheModulePathAndThePhase() {
        Sequential m = model(2);
        Trainer trainer = new Trainer(Trainer.Config.sgd(0.1f, 0.9f)).anomalyMode(true);
        AnomalyMode.AnomalyException e = assertThrows(AnomalyMode.AnomalyException.class,
                () -> trainer.fit(m, xor(), null, 1));
        assertEquals("1", e.modulePath(), e.getMessage());
        assertEquals(AnomalyMode.Phase.FORWARD, e.phase());
        assertTrue(e.getMessage().contains("forward of 'mul' in module '1'"), e.getMessage());
        assertTrue(allFinite(m), "the poisoned step made no update");
        assertTrue(!AnomalyMode.isEnabled(), "the step's scope closed");
    }

    @Test
    void stopEndsTheFitBeforeThePoisonedUpdate() {
        Sequential m = model(2);
        History h = new Trainer(Trainer.Config.sgd(0.1f, 0.9f)).anomalyMode(true).onNonFinite(NonFinitePolicy.STOP)
                .fit(m, xor(), null, 2);
        assertEquals(History.StopReason.NON_FINITE, h.stopReason());
        assertEquals(2, h.steps(), "the two steps before the poisoned one");
        assertTrue(allFinite(m));
        assertTrue(!AnomalyMode.isEnabled(), "the step's scope closed");
    }

    @Test
    void skipDropsThePoisonedStepAndTrainingGoesOn() {
        Sequential m = model(2);
        History h = new Trainer(Trainer.Config.sgd(0.1f, 0.9f)).anomalyMode(true).onNonFinite(NonFinitePolicy.SKIP_STEP)
                .fit(m, xor(), null, 2);
        assertEquals(2 * 4, h.steps(), "the skipped batch counts as done");
        assertEquals(2, h.epochs().size());
        assertTrue(Double.isFinite(h.epochs().get(0).trainLoss()), "the skipped batch is not in the epoch's loss");
        assertTrue(allFinite(m));
    }

    @Test
    void offLetsTheNaNThrough() {
        Sequential m = model(2);
        History h = new Trainer(Trainer.Config.sgd(0.1f, 0.9f)).fit(m, xor(), null, 1);
        assertEquals(4, h.steps());
        assertTrue(!allFinite(m), "without the check the NaN reaches the weights");
    }
}
