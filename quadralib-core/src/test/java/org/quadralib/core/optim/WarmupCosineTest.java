package org.quadralib.core.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.quadralib.core.Tensor;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.testing.Golden;

/** The warm-up + cosine schedule against PyTorch's SequentialLR(LinearLR, CosineAnnealingLR) (goldens/recipe_options.py). */
class WarmupCosineTest {

    /** SGD over two groups with base rates 0.1 and 0.01, as the fixture. */
    private static SGD twoGroups() {
        return new SGD(List.of(new ParamGroup("linear", List.of(param()), 0.1f, 0f),
                new ParamGroup("quadratic", List.of(param()), 0.01f, 0f)), 0f, false);
    }

    private static Tensor param() {
        return Tensor.zeros(1).copyAs(MemoryCategory.PARAMETER).requiresGrad(true);
    }

    /** Both groups' rates before each of {@code n} scheduler steps, {@code [n, 2]}. */
    private static Tensor rates(LrScheduler s, Optimizer o, int n) {
        float[] r = new float[2 * n];
        for (int i = 0; i < n; i++) {
            r[2 * i] = o.groups().get(0).lr();
            r[2 * i + 1] = o.groups().get(1).lr();
            s.step();
        }
        return Tensor.of(r, n, 2);
    }

    @Test
    void ratesMatchPyTorchForEveryGroup() {
        Golden g = Golden.load("lr_warmup_cosine");
        for (String name : g.params().keySet()) {
            JsonObject c = g.params().getAsJsonObject(name);
            int total = c.get("total").getAsInt();
            SGD o = twoGroups();
            WarmupCosine s = new WarmupCosine(o, c.get("warmup").getAsInt(), c.get("start").getAsDouble(), total,
                    c.get("min").getAsDouble());
            Golden.assertClose(name, g.tensor(name + ".rates"), rates(s, o, total + 1), 1e-8f, 1e-6f);
        }
    }

    @Test
    void theLibrarysCosineWithWarmupIsTheStartFactorOneOverWarmupPlusOne() {
        // LrScheduler.cosineWithWarmup(o, 4, 9, 0.2) against the fixture case with s = 1/5.
        Golden g = Golden.load("lr_warmup_cosine");
        SGD o = twoGroups();
        Golden.assertClose("cosineWithWarmup", g.tensor("warmup4_library_start.rates"),
                rates(LrScheduler.cosineWithWarmup(o, 4, 9, 0.2), o, 10), 1e-8f, 1e-6f);
    }

    @Test
    void theFloorHoldsAfterTheLastStepAndSetStepJumps() {
        SGD o = twoGroups();
        WarmupCosine s = new WarmupCosine(o, 2, 0.5, 6, 0.1);
        assertEquals(0.05f, o.groups().get(0).lr(), 1e-8f, "step 0 applied at construction: start factor 0.5");
        s.setStep(100);
        assertEquals(0.01f, o.groups().get(0).lr(), 1e-8f);
        assertEquals(0.001f, o.groups().get(1).lr(), 1e-9f);
        s.setStep(2);
        assertEquals(0.1f, o.groups().get(0).lr(), 1e-8f, "the base rate at the end of warm-up");
    }

    @Test
    void outOfRangeSettingsAreNamed() {
        SGD o = twoGroups();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new WarmupCosine(o, 5, 0.5, 5, 0))
                .getMessage().contains("warmup"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new WarmupCosine(o, 1, 0, 5, 0))
                .getMessage().contains("start factor"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new WarmupCosine(o, 1, 1, 5, 1.5))
                .getMessage().contains("min factor"));
        assertThrows(IllegalArgumentException.class, () -> new WarmupCosine(o, -1, 1, 5, 0));
    }
}
