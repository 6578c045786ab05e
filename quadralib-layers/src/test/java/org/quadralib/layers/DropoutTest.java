package org.quadralib.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.quadralib.core.Tensor;

class DropoutTest {

    @Test
    void trainingZeroesAboutPAndScalesTheRest() {
        Init.manualSeed(1);
        Dropout d = new Dropout(0.3f);
        int n = 20_000;
        float[] y = d.forward(Tensor.ones(n)).toFloatArray();
        int zeros = 0;
        for (float v : y) {
            if (v == 0f) {
                zeros++;
            } else {
                assertEquals(1f / 0.7f, v, 1e-6f);
            }
        }
        // Binomial(20000, 0.3): standard deviation 0.0032 in the fraction.
        assertEquals(0.3, zeros / (double) n, 0.02);
    }

    @Test
    void gradientIsTheMaskTimesTheScale() {
        Init.manualSeed(2);
        Dropout d = new Dropout(0.5f);
        Tensor x = Tensor.full(3f, 64).requiresGrad(true);
        Tensor y = d.forward(x);
        y.sum().backward();
        float[] yv = y.toFloatArray();
        float[] g = x.grad().toFloatArray();
        for (int i = 0; i < yv.length; i++) {
            assertEquals(yv[i] / 3f, g[i], 1e-6f);
        }
    }

    @Test
    void evaluationIsTheIdentity() {
        Dropout d = new Dropout(0.9f);
        d.eval();
        Tensor x = Tensor.ones(10);
        assertSame(x, d.forward(x));
    }

    @Test
    void masksAreReproducibleFromTheInitSeed() {
        Init.manualSeed(42);
        Dropout a = new Dropout(0.5f);
        float[] first = a.forward(Tensor.ones(200)).toFloatArray();
        float[] second = a.forward(Tensor.ones(200)).toFloatArray();
        assertFalse(Arrays.equals(first, second), "consecutive steps draw new masks");
        Init.manualSeed(42);
        Dropout b = new Dropout(0.5f);
        assertArrayEquals(first, b.forward(Tensor.ones(200)).toFloatArray());
        Init.manualSeed(43);
        assertFalse(Arrays.equals(first, new Dropout(0.5f).forward(Tensor.ones(200)).toFloatArray()));
    }

    @Test
    void hasNoStateAndRejectsBadProbabilities() {
        Dropout d = new Dropout();
        assertEquals(0.5f, d.p());
        assertTrue(d.stateDict().isEmpty());
        assertEquals("p=0.5", d.extraRepr());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Dropout(1f));
        assertTrue(e.getMessage().startsWith("Dropout:"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Dropout(-0.1f));
    }
}
