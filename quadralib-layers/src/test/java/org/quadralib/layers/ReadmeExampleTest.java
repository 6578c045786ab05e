package org.quadralib.layers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.quadralib.core.F;
import org.quadralib.core.InferenceMode;
import org.quadralib.core.Tensor;
import org.quadralib.core.data.ArrayDataset;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.SyntheticData;
import org.quadralib.core.optim.SGD;

/** The "first network" of README.md and its prediction snippet, line for line, must compile and learn the rings. */
class ReadmeExampleTest {

    @Test
    void readmeExampleLearnsTheRings() {
        Init.manualSeed(0);
        Module model = new Sequential(new QuadraticLinear(2, 16, NeuronType.PROPOSED), new ReLU(), new Linear(16, 2));
        SGD opt = QuadraticOptimizers.sgd(model, 0.05f, 0.9f, 0.1f);
        for (int epoch = 0; epoch < 50; epoch++) {
            for (DataLoader.Batch b : new DataLoader(SyntheticData.rings(512, 1), 32, true, epoch)) {
                opt.zeroGrad();
                F.crossEntropy(model.forward(b.inputs()), b.labels()).backward();
                opt.step();
            }
        }
        ArrayDataset test = SyntheticData.rings(400, 2);
        DataLoader.Batch all = new DataLoader(test, test.size(), false, 0).iterator().next();
        Tensor inputs = all.inputs();
        int correct = 0;
        // the README's prediction snippet
        model.eval();
        try (InferenceMode inference = InferenceMode.enter()) {
            Tensor logits = model.forward(inputs);
            Tensor pred = F.argmax(logits, 1, false);
            for (int i = 0; i < all.labels().length; i++) {
                correct += (int) pred.get(i) == all.labels()[i] ? 1 : 0;
            }
        }
        float accuracy = correct / (float) all.labels().length;
        assertTrue(accuracy >= 0.95f, "README example reached " + accuracy + " on held-out rings");
    }
}
