package org.quadralib.layers.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.quadralib.core.F;
import org.quadralib.core.Tensor;
import org.quadralib.core.data.ArrayDataset;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.testing.Golden;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;
import org.quadralib.layers.ReLU;
import org.quadralib.layers.Sequential;

/** The trainer's loop replays PyTorch's (goldens/recipes.py): same weights, losses and metrics after each epoch. */
class TrainerGoldenTest {

    private static final float ATOL = 2e-5f;
    private static final float RTOL = 1e-4f;

    /** PROPOSED written out, {@code (x·Waᵀ)∘(x·Wbᵀ) + x·Wcᵀ + b}, with Wa and Wb registered as quadratic. */
    static final class Proposed extends Module {
        private final Tensor weightA;
        private final Tensor weightB;
        private final Tensor weightC;
        private final Tensor bias;

        Proposed(int in, int out) {
            weightA = registerParameter("weight_a", parameterTensor(out, in), true);
            weightB = registerParameter("weight_b", parameterTensor(out, in), true);
            weightC = registerParameter("weight_c", parameterTensor(out, in));
            bias = registerParameter("bias", parameterTensor(out));
        }

        @Override
        protected Tensor compute(Tensor x) {
            return F.linear(x, weightA, null).mul(F.linear(x, weightB, null)).add(F.linear(x, weightC, bias));
        }
    }

    @Test
    void mlpWithClippingAndStepScheduleMatchesPyTorch() {
        Golden g = Golden.load("train_mlp_sgd_clip");
        Sequential mlp = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
        Trainer.Config config = Trainer.Config.sgd(0.1f, 0.9f).withMaxGradNorm(0.25).withSchedule(Schedule.stepLr(1, 0.5));
        replay(g, mlp, config, 2);
    }

    @Test
    void quadraticParametersGetTheirGroupAndClippingWithoutBeingAsked() {
        Golden g = Golden.load("train_quadratic_groups");
        Proposed model = new Proposed(4, 3);
        // The default configuration: no groups, no clipping asked for; the fixture used 0.1x and clip 5.
        Trainer.Config config = Trainer.Config.sgd(0.2f, 0.9f);
        History h = replay(g, model, config, 3);
        assertEquals(Map.of("linear", 0.2f, "quadratic", 0.2f * 0.1f), h.last().learningRates());
    }

    static History replay(Golden g, Module model, Trainer.Config config, int epochs) {
        for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
            e.getValue().copyFrom(g.tensor("init." + e.getKey()));
        }
        float[] y = g.tensor("y").toFloatArray();
        int[] labels = new int[y.length];
        for (int i = 0; i < y.length; i++) {
            labels[i] = (int) y[i];
        }
        ArrayDataset data = new ArrayDataset(g.tensor("x").toFloatArray(), labels, new int[] {4}, 3);
        DataLoader loader = new DataLoader(data, 16, false, 0);

        History h = new Trainer(config).fit(model, loader, loader, epochs);

        assertEquals(epochs, h.epochs().size());
        assertEquals(History.StopReason.COMPLETED, h.stopReason());
        assertEquals(epochs * 3L, h.steps());
        for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
            Golden.assertClose(e.getKey(), g.tensor("final." + e.getKey()), e.getValue(), ATOL, RTOL);
        }
        Golden.assertClose("train loss", g.tensor("train_loss"), series(h.trainLoss()), ATOL, RTOL);
        Golden.assertClose("validation loss", g.tensor("val_loss"), series(h.validationLoss()), ATOL, RTOL);
        Golden.assertClose("validation accuracy", g.tensor("val_acc"), series(h.validationAccuracy()), 1e-6f, 0f);
        return h;
    }

    private static Tensor series(double[] values) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        return Tensor.of(f, f.length);
    }
}
