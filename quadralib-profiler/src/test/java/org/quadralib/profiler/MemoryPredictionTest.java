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
}
