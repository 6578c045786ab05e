package org.quadralib.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.testing.GradCheck;

class Conv2dTest {

    @BeforeEach
    void seed() {
        Init.manualSeed(11);
    }

    @Test
    void matchesPyTorchBasic() {
        LayerGolden.check("layer_conv2d_basic", new Conv2d(3, 4, 3, 1, 1));
    }

    @Test
    void matchesPyTorchWithRectangularKernelStrideDilationAndNoBias() {
        LayerGolden.check("layer_conv2d_strided", new Conv2d(new Conv2d.Config(3, 4, 2, 3, 2, 1, 1, 2, 1, 2, 1, false)));
    }

    @Test
    void matchesPyTorchGrouped() {
        LayerGolden.check("layer_conv2d_groups", new Conv2d(4, 6, 3, 1, 1, 1, 2, true));
    }

    @Test
    void matchesPyTorchDepthwise() {
        LayerGolden.check("layer_conv2d_depthwise", new Conv2d(4, 4, 3, 2, 1, 1, 4, true));
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Conv2d conv = new Conv2d(4, 2, 3, 2, 1, 1, 2, true);
        Tensor x = Tensor.randn(new Rng(3), 2, 4, 5, 4).requiresGrad(true);
        GradCheck.check("conv2d grouped", in -> conv.forward(in[0]), x, conv.weight(), conv.bias());
    }

    @Test
    void stateDictHasPyTorchNamesAndLayouts() {
        Conv2d conv = new Conv2d(6, 4, 3, 1, 1, 1, 2, true);
        assertEquals(List.of("weight", "bias"), List.copyOf(conv.stateDict().keySet()));
        assertArrayEquals(new int[] {4, 3, 3, 3}, conv.weight().shape());
        assertArrayEquals(new int[] {4}, conv.bias().shape());
        assertEquals(4 * 3 * 3 * 3 + 4, conv.parameterCount());

        Conv2d noBias = new Conv2d(3, 8, 1, 1, 0, 1, 1, false);
        assertNull(noBias.bias());
        assertEquals(List.of("weight"), List.copyOf(noBias.stateDict().keySet()));
    }

    @Test
    void initialisesLikePyTorch() {
        // fanIn = 16/1·3·3 = 144, so weight and bias are U(−1/12, 1/12).
        Conv2d conv = new Conv2d(16, 32, 3);
        float bound = 1f / 12f;
        float[] w = conv.weight().toFloatArray();
        float maxAbs = 0;
        double sum = 0;
        for (float v : w) {
            maxAbs = Math.max(maxAbs, Math.abs(v));
            sum += v;
        }
        assertTrue(maxAbs <= bound && maxAbs > 0.98f * bound, "max |w| = " + maxAbs + ", bound " + bound);
        assertEquals(0, sum / w.length, 0.004, "mean of U(-b, b) weights");
        for (float v : conv.bias().toFloatArray()) {
            assertTrue(Math.abs(v) <= bound, "bias " + v);
        }
    }

    @Test
    void sameSeedBuildsTheSameLayer() {
        Init.manualSeed(5);
        float[] a = new Conv2d(3, 4, 3).weight().toFloatArray();
        Init.manualSeed(5);
        float[] b = new Conv2d(3, 4, 3).weight().toFloatArray();
        assertArrayEquals(a, b);
    }

    @Test
    void wrongChannelCountNamesThePathAndBothShapes() {
        Sequential features = new Sequential(new Conv2d(3, 32, 3, 1, 1), new BatchNorm2d(32), new ReLU(), new Conv2d(64, 64, 3, 1, 1));
        NamedSequential model = new NamedSequential().add("features", features);
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> model.forward(Tensor.zeros(2, 3, 8, 8)));
        assertTrue(e.getMessage().contains("Conv2d 'features.3'"), e.getMessage());
        assertTrue(e.getMessage().contains("[N, 64, H, W]"), e.getMessage());
        assertTrue(e.getMessage().contains("[2, 32, 8, 8]"), e.getMessage());
    }

    @Test
    void inputSmallerThanTheKernelIsRejected() {
        Conv2d conv = new Conv2d(1, 6, 5);
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> conv.forward(Tensor.zeros(1, 1, 4, 9)));
        assertTrue(e.getMessage().contains("[N, 1, H≥5, W≥5]") && e.getMessage().contains("[1, 1, 4, 9]"), e.getMessage());
        assertThrows(ShapeMismatchException.class, () -> conv.forward(Tensor.zeros(1, 28, 28)));
    }

    @Test
    void invalidConfigurationsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Conv2d(6, 4, 3, 1, 1, 1, 4, true));
        assertTrue(e.getMessage().contains("groups=4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(3, 4, 0));
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(3, 4, 3, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(3, 4, 3, 1, -1));
    }

    @Test
    void configComputesOutputSizesAndAccessorsReportIt() {
        Conv2d.Config c = new Conv2d.Config(3, 8, 3, 5, 2, 1, 1, 2, 2, 1, 1, false);
        assertEquals((10 + 2 - 2 * 2 - 1) / 2 + 1, c.outHeight(10));
        assertEquals((10 + 4 - 4 - 1) / 1 + 1, c.outWidth(10));
        Conv2d conv = new Conv2d(c);
        Tensor y = conv.forward(Tensor.zeros(1, 3, 10, 10));
        assertArrayEquals(new int[] {1, 8, c.outHeight(10), c.outWidth(10)}, y.shape());
        assertArrayEquals(new int[] {3, 5}, conv.kernelSize());
        assertArrayEquals(new int[] {2, 1}, conv.stride());
        assertArrayEquals(new int[] {1, 2}, conv.padding());
        assertArrayEquals(new int[] {2, 1}, conv.dilation());
        assertEquals(1, conv.groups());
        assertEquals(3, conv.inChannels());
        assertEquals(8, conv.outChannels());
        assertEquals("3, 8, kernel_size=(3, 5), stride=(2, 1), padding=(1, 2), dilation=(2, 1), bias=False", conv.extraRepr());
    }
}
