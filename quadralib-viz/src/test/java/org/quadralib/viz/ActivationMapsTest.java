package org.quadralib.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;
import org.quadralib.layers.Sequential;

class ActivationMapsTest {

    private static final int MIN_COLOUR = 0x440154;
    private static final int MAX_COLOUR = 0xFDE725;

    @TempDir
    Path dir;

    /** Reshapes {@code [N, 18]} to a conv-like output {@code [N, 2, 3, 3]}. */
    static final class ToMaps extends Module {
        @Override
        protected Tensor compute(Tensor x) {
            return x.reshape(x.size(0), 2, 3, 3);
        }
    }

    private static Sequential convLike(long seed) {
        Init.manualSeed(seed);
        return new Sequential(new Linear(4, 18), new ToMaps());
    }

    private static int rgb(BufferedImage img, int x, int y) {
        return img.getRGB(x, y) & 0xFFFFFF;
    }

    @Test
    void gridNormalisesEachChannelOfTheChosenSample() throws Exception {
        int n = 2;
        int c = 5;
        int h = 6;
        int w = 7;
        float[] v = new float[n * c * h * w];
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < h * w; i++) {
                // Sample 0 runs the other way, so showing it by mistake would swap the colours checked below.
                v[ch * h * w + i] = -i;
                // Sample 1: channel 1 is channel 0 times 100 plus 7; per-channel normalisation draws them alike.
                v[(c + ch) * h * w + i] = ch == 1 ? 100f * i + 7 : ch == 4 ? 3f : i;
            }
        }
        BufferedImage img = ActivationMaps.grid(Tensor.of(v, n, c, h, w), 1, 3);
        // 5 channels -> 3 columns, 2 rows of (4 gap + 14 label + 18 map) -> 79 x 76.
        assertEquals(4 + 3 * (7 * 3 + 4), img.getWidth());
        assertEquals(4 + 2 * (6 * 3 + 14 + 4), img.getHeight());
        int y0 = 4 + 14;
        for (int col = 0; col < 2; col++) {
            int x0 = 4 + col * (7 * 3 + 4);
            assertEquals(MIN_COLOUR, rgb(img, x0, y0), "channel " + col + " minimum at its top left");
            assertEquals(MAX_COLOUR, rgb(img, x0 + 7 * 3 - 1, y0 + 6 * 3 - 1), "channel " + col + " maximum at its bottom right");
        }
        int constantX = 4 + (7 * 3 + 4);
        int constantY = 4 + (6 * 3 + 14 + 4) + 14;
        assertEquals(MIN_COLOUR, rgb(img, constantX + 10, constantY + 10), "a constant channel takes the minimum colour");
        Rendered.png(Images.png(img), img.getWidth(), img.getHeight());
    }

    @Test
    void viridisRunsFromVioletThroughTealToYellow() {
        assertEquals(MIN_COLOUR, Palette.viridis(0));
        assertEquals(0x21918C, Palette.viridis(0.5));
        assertEquals(MAX_COLOUR, Palette.viridis(1));
        assertEquals(MAX_COLOUR, Palette.viridis(7), "clamped");
    }

    @Test
    void defaultScaleMakesCellsAtLeast48Pixels() {
        BufferedImage img = ActivationMaps.grid(Tensor.randn(new Rng(1), 1, 2, 12, 12), 0);
        assertEquals(4 + 2 * (48 + 4), img.getWidth());
    }

    @Test
    void badInputsAreRejectedWithTheShape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ActivationMaps.grid(Tensor.zeros(2, 3, 4), 0, 1));
        assertTrue(e.getMessage().contains("[2, 3, 4]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ActivationMaps.grid(Tensor.zeros(2, 1, 3, 3), 2, 1));
        assertThrows(IllegalArgumentException.class, () -> ActivationMaps.grid(Tensor.zeros(2, 1, 3, 3), 0, 0));
    }

    @Test
    void captureReturnsTheLayerOutput() {
        Sequential model = convLike(3);
        Tensor x = Tensor.randn(new Rng(4), 2, 4);
        Tensor captured = ActivationMaps.capture(model, "1", x);
        assertArrayEquals(new int[] {2, 2, 3, 3}, captured.shape());
        assertArrayEquals(model.forward(x).toFloatArray(), captured.toFloatArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ActivationMaps.capture(model, "nope", x));
        assertTrue(e.getMessage().contains("no module 'nope'") && e.getMessage().contains("[, 0, 1]"), e.getMessage());
    }

    @Test
    void compareShowsBothModelsUnderTheirLabels() throws Exception {
        Tensor x = Tensor.randn(new Rng(4), 2, 4);
        BufferedImage cmp = ActivationMaps.compare(convLike(1), convLike(2), "1", x, 1);
        BufferedImage single = ActivationMaps.grid(ActivationMaps.capture(convLike(1), "1", x), 1);
        assertEquals(28 + single.getHeight() + 4, cmp.getHeight());
        assertTrue(cmp.getWidth() >= 2 * single.getWidth() + 16, "two grids side by side: " + cmp.getWidth());
        Path file = dir.resolve("maps").resolve("cmp.png");
        Images.savePng(cmp, file);
        Rendered.png(Files.readAllBytes(file), cmp.getWidth(), cmp.getHeight());
    }

    @Test
    void sideBySideWidensAPanelForALongLabel() {
        BufferedImage a = new BufferedImage(10, 10, BufferedImage.TYPE_INT_RGB);
        BufferedImage img = ActivationMaps.sideBySide("a label far wider than ten pixels", a, "b", a);
        assertTrue(img.getWidth() > 100, "width " + img.getWidth());
        assertEquals(28 + 10 + 4, img.getHeight());
    }
}
