package org.quadralib.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.testing.GradCheck;

/** {@link MaxPool2d}, {@link AvgPool2d} and {@link AdaptiveAvgPool2d}. */
class Pool2dTest {

    @Test
    void matchPyTorch() {
        LayerGolden.check("layer_maxpool2d", new MaxPool2d(3, 2, 1));
        LayerGolden.check("layer_maxpool2d_rect", new MaxPool2d(2, 3, 2, 1, 1, 0));
        LayerGolden.check("layer_avgpool2d", new AvgPool2d(3, 2, 1));
        LayerGolden.check("layer_adaptiveavgpool2d", new AdaptiveAvgPool2d(3, 2));
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        // Distinct values 0.1 apart: a ±0.01 perturbation never changes which cell wins a max window.
        int n = 2 * 2 * 5 * 4;
        float[] v = new float[n];
        Rng rng = new Rng(9);
        for (int i = 0; i < n; i++) {
            v[i] = i * 0.1f;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            float t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        Tensor x = Tensor.of(v, 2, 2, 5, 4).requiresGrad(true);
        MaxPool2d max = new MaxPool2d(3, 2, 1);
        GradCheck.check("max_pool2d", in -> max.forward(in[0]), x);
        AvgPool2d avg = new AvgPool2d(2, 3, 1, 2, 1, 1);
        GradCheck.check("avg_pool2d", in -> avg.forward(in[0]), x);
        AdaptiveAvgPool2d adaptive = new AdaptiveAvgPool2d(3, 3);
        GradCheck.check("adaptive_avg_pool2d", in -> adaptive.forward(in[0]), x);
    }

    @Test
    void defaultStrideIsTheWindow() {
        MaxPool2d pool = new MaxPool2d(2);
        assertArrayEquals(new int[] {2, 2}, pool.stride());
        assertArrayEquals(new int[] {0, 0}, pool.padding());
        assertArrayEquals(new int[] {3, 4, 3, 3}, pool.forward(Tensor.zeros(3, 4, 7, 6)).shape());
        assertEquals(4, pool.outHeight(9));
        assertEquals("kernel_size=(2, 2), stride=(2, 2), padding=(0, 0)", pool.extraRepr());
        assertArrayEquals(new int[] {1, 2, 1, 1}, new AdaptiveAvgPool2d(1).forward(Tensor.zeros(1, 2, 5, 3)).shape());
    }

    @Test
    void wrongInputsNameThePathAndShapes() {
        NamedSequential model = new NamedSequential().add("pool", new MaxPool2d(3));
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> model.forward(Tensor.zeros(2, 5, 5)));
        assertTrue(e.getMessage().contains("MaxPool2d 'pool'") && e.getMessage().contains("[N, C, H≥3, W≥3]")
                && e.getMessage().contains("[2, 5, 5]"), e.getMessage());
        e = assertThrows(ShapeMismatchException.class, () -> new AvgPool2d(3, 1, 1).forward(Tensor.zeros(1, 1, 4, 0)));
        assertTrue(e.getMessage().contains("[N, C, H, W]"), e.getMessage());
        e = assertThrows(ShapeMismatchException.class, () -> new AdaptiveAvgPool2d(2).forward(Tensor.zeros(4, 4)));
        assertTrue(e.getMessage().contains("AdaptiveAvgPool2d: expected input [N, C, H, W], got [4, 4]"), e.getMessage());
    }

    @Test
    void invalidSettingsNameTheLayer() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MaxPool2d(2, 2, 2));
        assertTrue(e.getMessage().startsWith("MaxPool2d:"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new AvgPool2d(0));
        assertTrue(e.getMessage().startsWith("AvgPool2d:"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new AdaptiveAvgPool2d(0, 1));
    }
}
