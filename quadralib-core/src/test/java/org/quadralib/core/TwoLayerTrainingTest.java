package org.quadralib.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.quadralib.core.data.ArrayDataset;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.SyntheticData;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.optim.SGD;

/** Trains a two-layer network written with core ops alone, as a user of quadralib-core would. */
class TwoLayerTrainingTest {

    @Test
    void twoLayerNetworkLearnsTheSpirals() {
        ArrayDataset train = SyntheticData.spirals(800, 1);
        ArrayDataset test = SyntheticData.spirals(400, 2);
        Rng rng = new Rng(42);
        int hidden = 64;
        Tensor w1 = param(rng, hidden, 2, 2);
        Tensor b1 = Tensor.zeros(MemoryCategory.PARAMETER, hidden).requiresGrad(true);
        Tensor w2 = param(rng, 2, hidden, hidden);
        Tensor b2 = Tensor.zeros(MemoryCategory.PARAMETER, 2).requiresGrad(true);
        SGD opt = new SGD(List.of(w1, b1, w2, b2), 0.1f, 0.9f);
        DataLoader loader = new DataLoader(train, 32, true, 7);
        for (int epoch = 0; epoch < 150; epoch++) {
            for (DataLoader.Batch b : loader) {
                opt.zeroGrad();
                Tensor logits = F.linear(F.linear(b.inputs(), w1, b1).tanh(), w2, b2);
                F.crossEntropy(logits, b.labels()).backward();
                opt.step();
            }
        }
        float accuracy;
        try (GradMode.Scope s = GradMode.noGrad()) {
            DataLoader all = new DataLoader(test, test.size(), false, 0);
            DataLoader.Batch b = all.iterator().next();
            Tensor pred = F.argmax(F.linear(F.linear(b.inputs(), w1, b1).tanh(), w2, b2), 1, false);
            int correct = 0;
            for (int i = 0; i < b.labels().length; i++) {
                correct += (int) pred.get(i) == b.labels()[i] ? 1 : 0;
            }
            accuracy = correct / (float) b.labels().length;
        }
        // Two interleaved spirals: a linear classifier stays near chance (50%); the hidden layer must bend the boundary.
        assertTrue(accuracy >= 0.90f, "two-layer network reached only " + accuracy + " on held-out spirals");
    }

    private static Tensor param(Rng rng, int out, int in, int fanIn) {
        Tensor w = Tensor.zeros(MemoryCategory.PARAMETER, out, in);
        float bound = (float) Math.sqrt(6.0 / fanIn);
        rng.fillUniform(w.data(), 0, w.numel(), -bound, bound);
        return w.requiresGrad(true);
    }
}
