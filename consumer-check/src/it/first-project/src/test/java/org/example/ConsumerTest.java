package org.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.quadralib.autobuild.ConversionPolicy;
import org.quadralib.autobuild.ConversionResult;
import org.quadralib.autobuild.Converter;
import org.quadralib.autobuild.ModuleCopier;
import org.quadralib.core.Tensor;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.SyntheticData;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;
import org.quadralib.layers.ReLU;
import org.quadralib.layers.Sequential;
import org.quadralib.layers.train.History;
import org.quadralib.layers.train.Trainer;
import org.quadralib.testing.LayerContract;

class ConsumerTest {

    /** y = x ∘ w, one weight per feature. */
    static final class Scale extends Module {
        final int features;
        final Tensor weight;

        Scale(int features) {
            this.features = features;
            this.weight = registerParameter("weight", Tensor.ones(features));
        }

        @Override
        protected Tensor compute(Tensor input) {
            expectShape(input.shape().length == 2 && input.shape()[1] == features, "[N, " + features + "]", input);
            return input.mul(weight);
        }
    }

    @Test
    void convertAndTrain() {
        Init.manualSeed(0);
        Module model = new Sequential(new Linear(2, 16), new ReLU(), new Linear(16, 2));
        ConversionResult quadratic = Converter.convert(model, ConversionPolicy.all());
        assertEquals(2, quadratic.report().entries().size());
        DataLoader train = new DataLoader(SyntheticData.rings(256, 1), 32, true, 0);
        History history = new Trainer(Trainer.Config.sgd(0.05f, 0.9f).withMaxSteps(20)).fit(quadratic.model(), train, null, 5);
        assertEquals(20, history.steps());
        assertTrue(Double.isFinite(history.last().trainLoss()));
    }

    @Test
    void ownLayerKeepsTheContract() {
        ModuleCopier.register(Scale.class, (s, copyChild) -> new Scale(s.features));
        LayerContract.of(() -> new Scale(4), 3, 4).rejecting(3, 5).check();
    }
}
