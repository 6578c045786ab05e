package org.quadralib.layers.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.quadralib.core.testing.Golden;

/**
 * The recipe options together (weight decay, the quadratic group's learning-rate scale, a per-step warm-up + cosine
 * schedule, clipping) replay torch.optim.SGD(weight_decay) with LinearLR + CosineAnnealingLR
 * (goldens/recipe_options.py).
 */
class RecipeOptionsTest {

    private static Trainer.Config config(float weightDecay, float quadraticLrScale) {
        return Trainer.Config.sgd(0.2f, 0.9f, weightDecay, quadraticLrScale).withMaxGradNorm(5.0)
                .withSchedule(Schedule.warmupCosine(Schedule.Unit.STEP, 3, 0.25, 0.0));
    }

    @Test
    void weightDecayScaleScheduleAndClippingMatchPyTorch() {
        Golden g = Golden.load("train_recipe_options");
        History h = TrainerGoldenTest.replay(g, new TrainerGoldenTest.Proposed(4, 3), config(0.01f, 0.3f), 3);
        // The rate of the last step, k = 8 of T = 9 after 3 warm-up steps: 0.2·(1 + cos(π·5/6))/2.
        double last = 0.2 * (1 + Math.cos(Math.PI * 5 / 6)) / 2;
        Map<String, Float> rates = h.last().learningRates();
        assertEquals(last, rates.get("linear"), 1e-7);
        assertEquals(0.3 * last, rates.get("quadratic"), 1e-7);
    }

    @Test
    void theFixtureTellsTheOptionsApart() {
        // Without the decay, or with the default scale, the same replay misses PyTorch's weights.
        Golden g = Golden.load("train_recipe_options");
        assertThrows(AssertionError.class,
                () -> TrainerGoldenTest.replay(g, new TrainerGoldenTest.Proposed(4, 3), config(0f, 0.3f), 3));
        assertThrows(AssertionError.class, () -> TrainerGoldenTest.replay(g, new TrainerGoldenTest.Proposed(4, 3),
                config(0.01f, OptimizerFactory.QUADRATIC_LR_SCALE), 3));
    }
}
