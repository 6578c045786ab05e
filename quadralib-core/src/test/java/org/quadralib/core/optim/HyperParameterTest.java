package org.quadralib.core.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.quadralib.core.Tensor;

/** Hyper-parameters that would silently turn weights into NaN are refused, naming the value; nothing changes. */
class HyperParameterTest {

    private static SGD sgd() {
        return new SGD(List.of(new ParamGroup("linear", List.of(Tensor.zeros(2, 3)), 0.1f, 0f)), 0.9f, false);
    }

    @ParameterizedTest
    @ValueSource(floats = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -1e-3f})
    void setLrRefusesNonFiniteAndNegativeRates(float bad) {
        ParamGroup g = new ParamGroup("quadratic", List.of(Tensor.zeros(2)), 0.5f, 0f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.setLr(bad));
        assertTrue(e.getMessage().contains("'quadratic'") && e.getMessage().contains(String.valueOf(bad)),
                e.getMessage());
        assertEquals(0.5f, g.lr());
        assertThrows(IllegalArgumentException.class, () -> new ParamGroup("g", List.of(), bad, 0f));
        assertThrows(IllegalArgumentException.class, () -> new ParamGroup("g", List.of(), 0.1f, bad));
    }

    @Test
    void optimizerConstantsMustBeFinite() {
        List<ParamGroup> groups = List.of(new ParamGroup("g", List.of(Tensor.zeros(2)), 0.1f, 0f));
        assertThrows(IllegalArgumentException.class, () -> new Adam(groups, 0.9f, 0.999f, Float.POSITIVE_INFINITY, false));
        assertThrows(IllegalArgumentException.class, () -> new Adam(groups, Float.NaN, 0.999f, 1e-8f, false));
        assertThrows(IllegalArgumentException.class, () -> new SGD(groups, Float.NaN, false));
        assertThrows(IllegalArgumentException.class,
                () -> GradClip.clipGradNorm(List.of(), Float.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> LrScheduler.stepLr(sgd(), 1, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> LrScheduler.stepLr(sgd(), 1, -0.5));
        assertThrows(IllegalArgumentException.class, () -> LrScheduler.cosineWithWarmup(sgd(), 0, 10, -0.1));
        assertThrows(IllegalArgumentException.class, () -> LrScheduler.cosineWithWarmup(sgd(), 0, 10, Double.NaN));
    }

    @Test
    void negativeSchedulerStepIsRefusedAndChangesNothing() {
        SGD opt = sgd();
        LrScheduler cosine = LrScheduler.cosineWithWarmup(opt, 2, 10, 0.1);
        cosine.setStep(4);
        float before = opt.groups().get(0).lr();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cosine.setStep(-100));
        assertTrue(e.getMessage().contains("-100"), e.getMessage());
        assertEquals(4, cosine.currentStep());
        assertEquals(before, opt.groups().get(0).lr());
        assertTrue(cosine.checkStep(-1) != null);
        assertEquals(null, cosine.checkStep(1000));
    }

    @Test
    void scheduleWhoseFactorIsNotFiniteIsRefusedBeforeAnyRateChanges() {
        SGD opt = new SGD(List.of(new ParamGroup("a", List.of(Tensor.zeros(1)), 0.1f, 0f),
                new ParamGroup("b", List.of(Tensor.zeros(1)), 0.2f, 0f)), 0f, false);
        LrScheduler exploding = new LrScheduler(opt) {
            @Override
            protected double factor(int step) {
                return step < 3 ? 1 : Double.POSITIVE_INFINITY;
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> exploding.setStep(3));
        assertTrue(e.getMessage().contains("step 3"), e.getMessage());
        assertEquals(0.1f, opt.groups().get(0).lr());
        assertEquals(0.2f, opt.groups().get(1).lr());
        assertEquals(0, exploding.currentStep());
    }

    @Test
    void refusedStateDictLeavesTheOptimizerStateUnchanged() {
        SGD opt = sgd();
        Tensor p = opt.groups().get(0).params().get(0);
        p.requiresGrad(true);
        Map<String, Tensor> good = new LinkedHashMap<>();
        good.put("linear.0.momentum", Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        good.put("steps", Tensor.of(new float[] {7}, 1));
        opt.loadStateDict(good);
        Map<String, Tensor> bad = new LinkedHashMap<>();
        // The valid entry comes first: the old code copied it before noticing the bad one.
        bad.put("linear.0.momentum", Tensor.of(new float[] {9, 9, 9, 9, 9, 9}, 2, 3));
        bad.put("linear.0.velocity", Tensor.zeros(2, 3));
        bad.put("steps", Tensor.of(new float[] {-3}, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> opt.loadStateDict(bad));
        assertTrue(e.getMessage().contains("velocity") && e.getMessage().contains("steps"), e.getMessage());
        assertEquals(7, opt.steps());
        assertEquals(3f, opt.stateDict().get("linear.0.momentum").get(0, 2));
        for (float steps : new float[] {Float.NaN, 1.5f, 1e9f}) {
            Map<String, Tensor> d = Map.of("steps", Tensor.of(new float[] {steps}, 1));
            assertEquals(1, opt.checkStateDict(d).size(), "steps " + steps);
        }
        assertEquals(1, opt.checkStateDict(Map.of("linear.99999999999.momentum", Tensor.zeros(2, 3))).size());
    }
}
