package org.quadralib.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.testing.GradCheck;

/** {@link ReLU}, {@link LeakyReLU}, {@link GELU}, {@link Sigmoid}, {@link Tanh} and {@link Identity}. */
class ActivationLayersTest {

    @Test
    void matchPyTorch() {
        LayerGolden.check("layer_relu", new ReLU());
        LayerGolden.check("layer_leakyrelu", new LeakyReLU(0.2f));
        LayerGolden.check("layer_gelu", new GELU());
        LayerGolden.check("layer_sigmoid", new Sigmoid());
        LayerGolden.check("layer_tanh", new Tanh());
    }

    @Test
    void smoothActivationsMatchFiniteDifferences() {
        Tensor x = Tensor.randn(new Rng(21), 3, 4).requiresGrad(true);
        for (Module m : new Module[] {new GELU(), new Sigmoid(), new Tanh()}) {
            GradCheck.check(m.getClass().getSimpleName(), in -> m.forward(in[0]), x);
        }
    }

    @Test
    void identityReturnsItsInputAndHasNoState() {
        Tensor x = Tensor.ones(2, 3);
        Identity id = new Identity();
        assertSame(x, id.forward(x));
        assertTrue(id.stateDict().isEmpty());
    }

    @Test
    void leakyReluDefaultsToPyTorchsSlope() {
        LeakyReLU l = new LeakyReLU();
        assertEquals(0.01f, l.negativeSlope());
        assertEquals(-0.02f, l.forward(Tensor.of(new float[] {-2}, 1)).item(), 1e-7);
        assertThrows(IllegalArgumentException.class, () -> new LeakyReLU(Float.NaN));
    }
}
