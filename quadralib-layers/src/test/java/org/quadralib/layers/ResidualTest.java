package org.quadralib.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.testing.GradCheck;

class ResidualTest {

    private static Residual projectionBlock() {
        Sequential main = new Sequential(new Conv2d(3, 4, 3, 2, 1, 1, 1, false), new BatchNorm2d(4), new ReLU(),
                new Conv2d(4, 4, 3, 1, 1, 1, 1, false), new BatchNorm2d(4));
        Sequential shortcut = new Sequential(new Conv2d(3, 4, 1, 2, 0, 1, 1, false), new BatchNorm2d(4));
        return new Residual(main, shortcut, new ReLU());
    }

    @Test
    void projectionBlockMatchesPyTorch() {
        LayerGolden.check("layer_residual_projection", projectionBlock());
    }

    @Test
    void identityBlockMatchesPyTorch() {
        Residual block = new Residual(new Sequential(new Conv2d(4, 4, 3, 1, 1), new ReLU(), new Conv2d(4, 4, 3, 1, 1)));
        LayerGolden.check("layer_residual_identity", block);
        assertNull(block.activation());
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Init.manualSeed(8);
        Conv2d conv = new Conv2d(2, 2, 3, 1, 1);
        Residual block = new Residual(conv, new Identity(), new Tanh());
        Tensor x = Tensor.randn(new Rng(5), 1, 2, 3, 3).requiresGrad(true);
        GradCheck.check("residual", in -> block.forward(in[0]), x, conv.weight(), conv.bias());
    }

    @Test
    void stateDictNamesFollowTheBranches() {
        NamedSequential model = new NamedSequential().add("layer1", new Sequential(projectionBlock()));
        List<String> names = List.copyOf(model.stateDict().keySet());
        assertEquals("layer1.0.main.0.weight", names.get(0));
        assertTrue(names.contains("layer1.0.main.4.running_var"), names.toString());
        assertTrue(names.contains("layer1.0.shortcut.0.weight"), names.toString());
        assertTrue(names.contains("layer1.0.shortcut.1.num_batches_tracked"), names.toString());
        assertEquals(List.of("layer1.0.main", "layer1.0.shortcut", "layer1.0.act"),
                model.namedModules().keySet().stream().filter(k -> k.matches("layer1\\.0\\.[a-z]+")).toList());
    }

    @Test
    void branchShapeMismatchNamesTheBlockAndBothShapes() {
        NamedSequential model = new NamedSequential().add("block", new Residual(new Conv2d(3, 8, 3, 1, 1)));
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> model.forward(Tensor.zeros(2, 3, 4, 4)));
        assertTrue(e.getMessage().contains("Residual 'block'") && e.getMessage().contains("[2, 8, 4, 4]")
                && e.getMessage().contains("[2, 3, 4, 4]"), e.getMessage());
    }

    @Test
    void replacedChildrenAreUsed() {
        Residual block = new Residual(new Identity(), new Identity(), new ReLU());
        Tensor x = Tensor.of(new float[] {-1, 2}, 1, 2);
        assertEquals(0f, block.forward(x).get(0, 0));
        Identity noAct = new Identity();
        block.replaceChild("act", noAct);
        assertSame(noAct, block.activation());
        assertEquals(-2f, block.forward(x).get(0, 0));
        block.replaceChild("shortcut", new Tanh());
        assertEquals(-1 + (float) Math.tanh(-1), block.forward(x).get(0, 0), 1e-6f);
    }
}
