package org.quadralib.profiler;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.ToLongFunction;

import org.junit.jupiter.api.Test;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.layers.Module;
import org.quadralib.layers.zoo.Zoo;

/** The snippet of the profiler's README, line for line, must compile and run. */
class ReadmeSnippetTest {

    @Test
    void readmePredictionSnippetRuns() {
        // the README's snippet
        Module model = Zoo.build("lenet5", 1, 28, 10);
        MemoryPrediction p = MemoryPrediction.predict(model, new int[] {1, 28, 28}, 64, OptimizerState.SGD_MOMENTUM);
        System.out.println("step peak " + p.peakBytes() + " B, activations " + p.categoryPeakBytes().get(MemoryCategory.ACTIVATION) + " B");
        ToLongFunction<Module> peak = MemoryPrediction.peakFunction(new int[] {1, 28, 28}, 64, OptimizerState.SGD_MOMENTUM);
        long bytes = peak.applyAsLong(model);
        // end of snippet
        assertTrue(bytes > p.categoryPeakBytes().get(MemoryCategory.ACTIVATION), "the peak holds the activations and more: " + bytes);
    }
}
