package org.quadralib.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.optim.ParamGroup;
import org.quadralib.core.optim.SGD;

/** Parameter groups split by the quadratic flag, and the SGD built on them. */
class QuadraticOptimizersTest {

    @Test
    void groupsSplitByQuadraticFlagWithTheirOwnRatesAndDecay() {
        QuadraticLinear q = new QuadraticLinear(4, 3, NeuronType.PROPOSED, QuadraticOptions.DEFAULT.withBranchNorm(true));
        Sequential model = new Sequential(q, new Linear(3, 2));
        List<ParamGroup> groups = QuadraticOptimizers.parameterGroups(model, 0.1f, 0.1f, 1e-4f, 0f);
        assertEquals(2, groups.size());
        ParamGroup linear = groups.get(0);
        ParamGroup quadratic = groups.get(1);
        assertEquals("linear", linear.name());
        assertEquals("quadratic", quadratic.name());
        assertEquals(0.1f, linear.lr());
        assertEquals(0.1f * 0.1f, quadratic.lr());
        assertEquals(1e-4f, linear.weightDecay());
        assertEquals(0f, quadratic.weightDecay());
        // W_c, b, the two norms' γ and β, then the Linear's weight and bias.
        assertEquals(List.of(q.linearWeight(), q.linearBias(), q.branchNorms().get(0).weight(), q.branchNorms().get(0).bias(),
                q.branchNorms().get(1).weight(), q.branchNorms().get(1).bias(), model.get(1).namedParameters().get("weight").tensor(),
                model.get(1).namedParameters().get("bias").tensor()), linear.params());
        assertEquals(List.copyOf(q.quadraticTermParameters().values()), quadratic.params());
    }

    @Test
    void aFirstOrderModelGetsOneGroup() {
        List<ParamGroup> groups = QuadraticOptimizers.parameterGroups(new Linear(3, 2), 0.1f, 0.1f, 0f, 0f);
        assertEquals(1, groups.size());
        assertEquals("linear", groups.get(0).name());
    }

    @Test
    void sgdMovesQuadraticWeightsAtTheScaledRate() {
        QuadraticLinear q = new QuadraticLinear(4, 3, NeuronType.T4);
        SGD sgd = QuadraticOptimizers.sgd(q, 0.5f, 0f, 0.1f);
        Tensor wa = q.namedParameters().get("weight_a").tensor();
        Tensor bias = q.linearBias();
        float[] wa0 = wa.toFloatArray();
        float[] b0 = bias.toFloatArray();
        q.forward(Tensor.randn(new Rng(1), 5, 4)).sum().backward();
        float[] gWa = wa.grad().toFloatArray();
        float[] gB = bias.grad().toFloatArray();
        sgd.step();
        for (int i = 0; i < wa0.length; i++) {
            assertEquals(wa0[i] - 0.05f * gWa[i], wa.toFloatArray()[i], 1e-6f);
        }
        for (int i = 0; i < b0.length; i++) {
            assertEquals(b0[i] - 0.5f * gB[i], bias.toFloatArray()[i], 1e-6f);
        }
    }

    @Test
    void badArgumentsAreRefused() {
        IllegalArgumentException scale = assertThrows(IllegalArgumentException.class,
                () -> QuadraticOptimizers.parameterGroups(new Linear(2, 2), 0.1f, -1f, 0f, 0f));
        assertTrue(scale.getMessage().contains("quadraticLrScale must be >= 0"), scale.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> QuadraticOptimizers.parameterGroups(new Sequential(), 0.1f, 0.1f, 0f, 0f));
        assertTrue(empty.getMessage().contains("has no parameters"), empty.getMessage());
        assertThrows(IllegalArgumentException.class, () -> QuadraticOptimizers.sgd(new Linear(2, 2), 0.1f, 1.5f, 0.1f));
    }
}
