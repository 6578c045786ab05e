package org.quadralib.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.quadralib.core.Tensor;

class NamedSequentialTest {

    @Test
    void runsChildrenInOrderUnderTheirNames() {
        Linear fc = new Linear(4, 2);
        NamedSequential model = new NamedSequential().add("flatten", new Flatten()).add("fc", fc).add("act", new Tanh());
        assertEquals(List.of("fc.weight", "fc.bias"), List.copyOf(model.stateDict().keySet()));
        assertSame(fc, model.get("fc"));
        assertEquals("fc", fc.path());
        Tensor x = Tensor.ones(3, 2, 2);
        Tensor expected = fc.forward(Tensor.ones(3, 4)).tanh();
        assertEquals(expected.get(2, 1), model.forward(x).get(2, 1), 1e-7f);
    }

    @Test
    void replacementIsFollowed() {
        NamedSequential model = new NamedSequential().add("a", new ReLU()).add("b", new Identity());
        Tensor x = Tensor.of(new float[] {-3}, 1);
        assertEquals(0f, model.forward(x).item());
        model.replaceChild("a", new Identity());
        assertEquals(-3f, model.forward(x).item());
        assertTrue(model.get("a") instanceof Identity);
    }

    @Test
    void badNamesAreRejected() {
        NamedSequential model = new NamedSequential().add("a", new ReLU());
        assertThrows(IllegalArgumentException.class, () -> model.add("a", new ReLU()));
        assertThrows(IllegalArgumentException.class, () -> model.add("x.y", new ReLU()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.get("nope"));
        assertTrue(e.getMessage().contains("'nope'") && e.getMessage().contains("[a]"), e.getMessage());
    }
}
