package org.quadralib.autobuild;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.quadralib.core.GradMode;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.optim.Optimizer;
import org.quadralib.core.optim.ParamGroup;
import org.quadralib.layers.Module;
import org.quadralib.layers.train.Schedule;
import org.quadralib.layers.train.Trainer;
import org.quadralib.layers.zoo.Zoo;

/** The recipes snippet of examples/RECIPES.md, line for line, builds what the document says it builds. */
class RecipesSnippetTest {

    @Test
    @SuppressWarnings("try") // the no-grad scope is used for what it does on open and close
    void theSnippetBuildsTheThreeReferenceRecipesAndTheModernOne() {
        Module lenet = Zoo.build("lenet5", 1, 28, 10);
        // --- examples/RECIPES.md, "The recipes as library calls"
        // plain: fresh initialisation, every weight at the learning rate, no clipping
        Module fresh = Converter.convert(lenet, ConversionPolicy.all().withLinearStart(false)).model();
        Trainer.Config plain = Trainer.Config.sgd(0.01f, 0.9f, 0f, 1f).withMaxGradNorm(0.0);
        // clip 0.5: the same, with the global gradient norm clipped at 0.5
        Trainer.Config clip = plain.withMaxGradNorm(0.5);
        // linear start + 0.1x: the quadratic term starts at zero and trains at a tenth of the rate
        Module linearStart = Converter.convert(lenet, ConversionPolicy.all()).model();
        Trainer.Config slowQuadratic = Trainer.Config.sgd(0.01f, 0.9f, 0f, 0.1f).withMaxGradNorm(0.0);
        // weight decay and a cosine schedule after a linear warm-up of 500 steps from a tenth of the rate
        Trainer.Config modern = Trainer.Config.sgd(0.05f, 0.9f, 5e-4f, 0.1f)
                .withSchedule(Schedule.warmupCosine(Schedule.Unit.STEP, 500, 0.1, 0.0));
        // --- end of the snippet

        assertGroups(plain.optimizer().create(fresh), 0.01f, 0.01f, 0f);
        assertGroups(slowQuadratic.optimizer().create(linearStart), 0.01f, 0.001f, 0f);
        assertGroups(modern.optimizer().create(linearStart), 0.05f, 0.005f, 5e-4f);
        assertEquals(0f, plain.resolveMaxGradNorm(fresh), "no clipping, although the model is quadratic");
        assertEquals(0.5f, clip.resolveMaxGradNorm(fresh));
        assertEquals(Schedule.Unit.STEP, modern.schedule().unit());

        // The linear start computes what LeNet-5 computes; the fresh initialisation does not.
        Tensor x = Tensor.randn(new Rng(3), 2, 1, 28, 28);
        try (GradMode.Scope off = GradMode.noGrad()) {
            float[] reference = lenet.forward(x).toFloatArray();
            assertTrue(close(reference, linearStart.forward(x).toFloatArray()), "linear start preserves the function");
            assertFalse(close(reference, fresh.forward(x).toFloatArray()), "fresh initialisation changes it");
        }
    }

    private static void assertGroups(Optimizer optimizer, float linearLr, float quadraticLr, float weightDecay) {
        List<ParamGroup> groups = optimizer.groups();
        assertEquals(List.of("linear", "quadratic"), groups.stream().map(ParamGroup::name).toList());
        assertEquals(linearLr, groups.get(0).lr(), 1e-9f);
        assertEquals(quadraticLr, groups.get(1).lr(), 1e-9f);
        for (ParamGroup g : groups) {
            assertEquals(weightDecay, g.weightDecay(), 0f, g.name());
        }
    }

    private static boolean close(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if (Math.abs(a[i] - b[i]) > 1e-4f * (1 + Math.abs(a[i]))) {
                return false;
            }
        }
        return true;
    }
}
