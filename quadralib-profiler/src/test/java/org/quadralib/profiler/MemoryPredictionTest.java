package org.quadralib.profiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Sequential;

class MemoryPredictionTest {

    @Test
    void parametersOnlyCountsEachModulesOwnParameters() {
        Init.manualSeed(1);
        Sequential model = new Sequential(new Linear(3, 5), new Linear(5, 2, false));
        MemoryPrediction p = MemoryPrediction.parametersOnly(model, 2);
        assertEquals(List.of("", "0", "1"), List.copyOf(p.modules().keySet()));
        assertEquals(new MemoryPrediction.ModulePrediction(0, 0, MemoryPrediction.UNKNOWN), p.modules().get(""));
        assertEquals(new MemoryPrediction.ModulePrediction(4 * 20, 4 * 20, MemoryPrediction.UNKNOWN), p.modules().get("0"));
        assertEquals(new MemoryPrediction.ModulePrediction(4 * 10, 4 * 10, MemoryPrediction.UNKNOWN), p.modules().get("1"));
        assertEquals(4 * 30, p.totalParameterBytes());
        assertEquals(4 * 30, p.totalGradientBytes());
        assertEquals(MemoryPrediction.UNKNOWN, p.totalSavedActivationBytes());
        assertEquals(2 * 4 * 30, p.optimizerStateBytes(), "Adam keeps two moments per parameter");
    }

    @Test
    void totalsSkipUnknownModules() {
        Map<String, MemoryPrediction.ModulePrediction> m = new LinkedHashMap<>();
        m.put("a", new MemoryPrediction.ModulePrediction(8, 8, 100));
        m.put("b", new MemoryPrediction.ModulePrediction(4, 0, MemoryPrediction.UNKNOWN));
        MemoryPrediction p = new MemoryPrediction("traced", m, MemoryPrediction.UNKNOWN);
        assertEquals(100, p.totalSavedActivationBytes());
        assertEquals(12, p.totalParameterBytes());
        m.clear();
        assertEquals(2, p.modules().size(), "the record keeps its own copy");
    }

    @Test
    void invalidValuesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new MemoryPrediction.ModulePrediction(-2, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new MemoryPrediction("x", Map.of(), -5));
        Sequential model = new Sequential(new Linear(2, 2));
        assertThrows(IllegalArgumentException.class, () -> MemoryPrediction.parametersOnly(model, -1));
        assertThrows(IllegalArgumentException.class, () -> MemoryPrediction.parametersOnly(model, Double.NaN));
    }

    @Test
    void predictLeavesTheModelAsItFoundIt() {
        Init.manualSeed(2);
        Sequential model = new Sequential(new Linear(6, 4), new org.quadralib.layers.BatchNorm1d(4), new Linear(4, 3));
        model.eval();
        float[] before = model.stateDict().values().stream().flatMap(t -> java.util.stream.Stream.of(t.toFloatArray())).reduce(new float[0],
                MemoryPredictionTest::concat);
        MemoryPrediction p = MemoryPrediction.predict(model, new int[] {6}, 5, OptimizerState.ADAM);
        float[] after = model.stateDict().values().stream().flatMap(t -> java.util.stream.Stream.of(t.toFloatArray())).reduce(new float[0],
                MemoryPredictionTest::concat);
        org.junit.jupiter.api.Assertions.assertArrayEquals(before, after, "weights and running statistics unchanged");
        org.junit.jupiter.api.Assertions.assertFalse(model.isTraining(), "evaluation mode restored");
        for (org.quadralib.layers.Parameter par : model.namedParameters().values()) {
            org.junit.jupiter.api.Assertions.assertNull(par.tensor().grad(), "no gradient left where there was none");
        }
        long params = 4L * (6 * 4 + 4 + 4 + 4 + 4 * 3 + 3);
        assertEquals(params, p.totalParameterBytes());
        assertEquals(2 * params, p.optimizerStateBytes(), "Adam: two moments");
        assertEquals(4L * 5 * 6, p.categoryPeakBytes().get(org.quadralib.core.memory.MemoryCategory.INPUT));
        // Linear 0 saves its 5x6 input; a step's peak holds at least parameters, gradients, state and the batch.
        assertEquals(4L * 5 * 6, p.modules().get("0").savedActivationBytes());
        org.junit.jupiter.api.Assertions.assertTrue(p.peakBytes() >= 4 * params + 4L * 5 * 6, "peak " + p.peakBytes());
        assertEquals(p.peakBytes(), MemoryPrediction.peakFunction(new int[] {6}, 5, OptimizerState.ADAM).applyAsLong(model));
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void predictRejectsBadArguments() {
        Sequential model = new Sequential(new Linear(2, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MemoryPrediction.predict(model, new int[] {2}, 0, OptimizerState.SGD));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("batch size"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MemoryPrediction.predict(model, new int[0], 4, OptimizerState.SGD));
        assertThrows(IllegalArgumentException.class, () -> MemoryPrediction.peakFunction(new int[] {2, -1}, 4, OptimizerState.SGD));
        assertThrows(NullPointerException.class, () -> MemoryPrediction.predict(model, new int[] {2}, 4, null));
    }
}
