package org.quadralib.layers.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.SyntheticData;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.QuadraticLinear;

/**
 * Concentric rings are separated by {@code x² + y²}: one PROPOSED neuron pair (2 inputs, 2 logits, whose logit
 * difference {@code (a₁·p)(b₁·p) − (a₂·p)(b₂·p) + c·p + d} can express that form) learns it with the trainer's
 * defaults for quadratic models; a linear one cannot do much better than guessing.
 */
class SingleNeuronRingsTest {

    private static double testAccuracy(Module model) {
        DataLoader train = new DataLoader(SyntheticData.rings(800, 1), 32, true, 2);
        DataLoader test = new DataLoader(SyntheticData.rings(400, 99), 100, false, 0);
        return new Trainer(Trainer.Config.sgd(0.1f, 0.9f)).fit(model, train, test, 25).last().validationAccuracy();
    }

    @Test
    void oneQuadraticNeuronSeparatesRingsAndOneLinearNeuronCannot() {
        Init.manualSeed(4);
        double quadratic = testAccuracy(new QuadraticLinear(2, 2, NeuronType.PROPOSED));
        Init.manualSeed(4);
        double linear = testAccuracy(new Linear(2, 2));
        assertTrue(quadratic >= 0.95, "PROPOSED neuron accuracy " + quadratic);
        assertTrue(linear <= 0.70, "linear neuron accuracy " + linear);
    }
}
