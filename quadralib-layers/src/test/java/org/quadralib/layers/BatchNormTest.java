package org.quadralib.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.memory.MemoryScope;
import org.quadralib.core.testing.Golden;
import org.quadralib.core.testing.GradCheck;

class BatchNormTest {

    @Test
    void matchesPyTorchInTrainingIncludingRunningStatistics() {
        LayerGolden.check("layer_batchnorm2d_train", new BatchNorm2d(3));
        LayerGolden.check("layer_batchnorm1d_train_2d", new BatchNorm1d(5));
        LayerGolden.check("layer_batchnorm1d_train_3d", new BatchNorm1d(3));
    }

    @Test
    void aBatchWithNaNOrInfinityIsNotFoldedIntoTheRunningStatistics() {
        BatchNorm1d bn = new BatchNorm1d(2);
        bn.forward(Tensor.of(new float[] {1, 2, 3, 4, 5, 7}, 3, 2));
        float[] mean = bn.runningMean().toFloatArray();
        float[] var = bn.runningVar().toFloatArray();
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, 3e38f}) {
            // One channel finite, the other not: neither channel is updated, so the buffers stay consistent.
            Tensor y = bn.forward(Tensor.of(new float[] {1, bad, 2, 5, 3, 6}, 3, 2));
            assertArrayEquals(mean, bn.runningMean().toFloatArray(), "batch holding " + bad);
            assertArrayEquals(var, bn.runningVar().toFloatArray(), "batch holding " + bad);
            assertTrue(Float.isNaN(y.get(0, 1)) || Float.isInfinite(y.get(0, 1)) || bad == 3e38f);
        }
        bn.forward(Tensor.of(new float[] {0, 0, 2, 2, 4, 4}, 3, 2));
        assertEquals(0.9f * mean[0] + 0.1f * 2f, bn.runningMean().get(0), 1e-6f);
        for (float v : bn.runningVar().toFloatArray()) {
            assertTrue(Float.isFinite(v));
        }
    }

    @Test
    void matchesPyTorchInEvaluation() {
        LayerGolden.check("layer_batchnorm2d_eval", new BatchNorm2d(3));
        LayerGolden.check("layer_batchnorm1d_eval", new BatchNorm1d(3));
    }

    @Test
    void gradientsMatchFiniteDifferencesInTraining() {
        BatchNorm2d bn = new BatchNorm2d(2);
        Rng rng = new Rng(4);
        Init.uniform(bn.weight(), 0.5f, 1.5f);
        Init.uniform(bn.bias(), -0.5f, 0.5f);
        Tensor x = Tensor.randn(rng, 3, 2, 2, 2).requiresGrad(true);
        GradCheck.check("batch_norm2d train", in -> bn.forward(in[0]), x, bn.weight(), bn.bias());

        BatchNorm1d bn1 = new BatchNorm1d(3);
        Tensor x1 = Tensor.randn(rng, 4, 3).requiresGrad(true);
        GradCheck.check("batch_norm1d train", in -> bn1.forward(in[0]), x1, bn1.weight(), bn1.bias());
    }

    @Test
    void trainingUpdatesRunningStatisticsWithMomentumAndEvaluationUsesThem() {
        BatchNorm1d bn = new BatchNorm1d(1);
        // Batch mean 2, biased variance 1, unbiased variance 4/3.
        Tensor x = Tensor.of(new float[] {1, 3, 1, 3}, 4, 1);
        bn.forward(x);
        assertEquals(0.1f * 2, bn.runningMean().item(), 1e-6);
        assertEquals(0.9f + 0.1f * 4f / 3f, bn.runningVar().item(), 1e-6);
        assertEquals(1, bn.numBatchesTracked());
        bn.forward(x);
        assertEquals(0.9f * 0.2f + 0.1f * 2, bn.runningMean().item(), 1e-6);
        assertEquals(2, bn.numBatchesTracked());

        bn.eval();
        float mean = bn.runningMean().item();
        float var = bn.runningVar().item();
        Tensor y = bn.forward(Tensor.of(new float[] {5}, 1, 1));
        assertEquals((5 - mean) / Math.sqrt(var + 1e-5), y.item(), 1e-5);
        assertEquals(mean, bn.runningMean().item(), "evaluation leaves the running mean");
        assertEquals(2, bn.numBatchesTracked(), "evaluation does not count batches");
    }

    @Test
    void stateDictHasPyTorchNamesAndBuffersAreNotParameters() {
        BatchNorm2d bn = new BatchNorm2d(4);
        assertEquals(List.of("weight", "bias", "running_mean", "running_var", "num_batches_tracked"), List.copyOf(bn.stateDict().keySet()));
        assertEquals(List.of("weight", "bias"), List.copyOf(bn.namedParameters().keySet()));
        assertArrayEquals(new int[0], bn.stateDict().get("num_batches_tracked").shape());
        assertArrayEquals(new float[] {1, 1, 1, 1}, bn.weight().toFloatArray());
        assertArrayEquals(new float[] {0, 0, 0, 0}, bn.bias().toFloatArray());
        assertArrayEquals(new float[] {1, 1, 1, 1}, bn.runningVar().toFloatArray());

        BatchNorm2d plain = new BatchNorm2d(4, 1e-3f, 0.2f, false);
        assertNull(plain.weight());
        assertEquals(List.of("running_mean", "running_var", "num_batches_tracked"), List.copyOf(plain.stateDict().keySet()));
        assertEquals("4, eps=0.001, momentum=0.2, affine=false", plain.extraRepr());
    }

    @Test
    void buffersOutliveTheMemoryScopeTheyWereBuiltIn() {
        MemoryScope.Pool pool = new MemoryScope.Pool();
        BatchNorm2d bn;
        try (MemoryScope s = MemoryScope.open(pool)) {
            bn = new BatchNorm2d(2);
        }
        Tensor x = Tensor.randn(new Rng(2), 4, 2, 3, 3);
        Tensor expectedMean = x.mean(new int[] {0, 2, 3}, false).mul(0.1f);
        bn.forward(x);
        Golden.assertClose("running mean", expectedMean, bn.runningMean(), 1e-6f, 1e-5f);
    }

    @Test
    void wrongInputsNameThePathAndShapes() {
        NamedSequential model = new NamedSequential().add("bn", new BatchNorm2d(3));
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> model.forward(Tensor.zeros(2, 4, 5, 5)));
        assertTrue(e.getMessage().contains("BatchNorm2d 'bn'") && e.getMessage().contains("[N, 3, H, W]")
                && e.getMessage().contains("[2, 4, 5, 5]"), e.getMessage());
        assertThrows(ShapeMismatchException.class, () -> model.forward(Tensor.zeros(2, 3, 5)));

        BatchNorm1d bn1 = new BatchNorm1d(3);
        e = assertThrows(ShapeMismatchException.class, () -> bn1.forward(Tensor.zeros(2, 3, 4, 4)));
        assertTrue(e.getMessage().contains("[N, 3] or [N, 3, L]"), e.getMessage());
        e = assertThrows(ShapeMismatchException.class, () -> bn1.forward(Tensor.zeros(1, 3)));
        assertTrue(e.getMessage().contains("more than 1 value per channel"), e.getMessage());
        bn1.eval();
        assertArrayEquals(new int[] {1, 3}, bn1.forward(Tensor.zeros(1, 3)).shape());
    }

    @Test
    void invalidSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(0));
        assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(3, 0f, 0.1f, true));
        assertThrows(IllegalArgumentException.class, () -> new BatchNorm1d(3, 1e-5f, 1.5f, true));
    }
}
