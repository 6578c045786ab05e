package org.quadralib.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.quadralib.core.Tensor;

class FlattenTest {

    @Test
    void matchesPyTorch() {
        LayerGolden.check("layer_flatten", new Flatten());
        LayerGolden.check("layer_flatten_1_2", new Flatten(1, 2));
    }

    @Test
    void negativeDimensionsCountFromTheEnd() {
        assertArrayEquals(new int[] {2, 3, 20}, new Flatten(-2, -1).forward(Tensor.zeros(2, 3, 4, 5)).shape());
        assertArrayEquals(new int[] {24, 5}, new Flatten(0, -2).forward(Tensor.zeros(2, 3, 4, 5)).shape());
        Tensor flat = Tensor.zeros(4, 7);
        assertSame(flat, new Flatten().forward(flat), "an already flat input passes through");
    }

    @Test
    void tooFewDimensionsNameThePath() {
        NamedSequential model = new NamedSequential().add("flatten", new Flatten());
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> model.forward(Tensor.zeros(5)));
        assertTrue(e.getMessage().contains("Flatten 'flatten'") && e.getMessage().contains("rank ≥ 2")
                && e.getMessage().contains("[5]"), e.getMessage());
        assertThrows(ShapeMismatchException.class, () -> new Flatten(2, 1).forward(Tensor.zeros(2, 3, 4)));
    }
}
