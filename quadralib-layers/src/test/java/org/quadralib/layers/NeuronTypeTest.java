package org.quadralib.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The neuron types' formulas, linear terms, product branches and weight counts. */
class NeuronTypeTest {

    @Test
    void formulasAsInTheDesign() {
        assertEquals("xᵀW_a x + W_b x + b", NeuronType.T1.formula());
        assertEquals("W_a (x∘x) + b", NeuronType.T2.formula());
        assertEquals("(W_a x)² + b", NeuronType.T3.formula());
        assertEquals("(W_a x)∘(W_b x) + b", NeuronType.T4.formula());
        assertEquals("xᵀW_a x + W_b (x∘x) + b", NeuronType.T1_2.formula());
        assertEquals("(W_r x + b_r)∘(W_g x + b_g) + W_b (x∘x) + c", NeuronType.T2_4.formula());
        assertEquals("(W_a x)∘(W_b x) + W_a x + b", NeuronType.QRES.formula());
        assertEquals("(W_a x)∘(W_b x) + W_c x + b", NeuronType.PROPOSED.formula());
        assertEquals("T1&2", NeuronType.T1_2.displayName());
        assertEquals("QRes", NeuronType.QRES.displayName());
    }

    @Test
    void linearTermsAndProductBranches() {
        Set<NeuronType> linear = EnumSet.noneOf(NeuronType.class);
        Set<NeuronType> products = EnumSet.noneOf(NeuronType.class);
        for (NeuronType t : NeuronType.values()) {
            if (t.hasLinearTerm()) {
                linear.add(t);
            }
            if (t.hasProductBranches()) {
                products.add(t);
            }
        }
        assertEquals(EnumSet.of(NeuronType.T1, NeuronType.T2_4, NeuronType.QRES, NeuronType.PROPOSED), linear);
        assertEquals(EnumSet.of(NeuronType.T3, NeuronType.T4, NeuronType.T2_4, NeuronType.QRES, NeuronType.PROPOSED, NeuronType.POLY),
                products);
        assertFalse(NeuronType.T1_2.hasLinearTerm());
    }

    @Test
    void weightsRelativeToAFirstOrderNeuron() {
        assertEquals(1.0, NeuronType.T2.weightMultiplier(9));
        assertEquals(1.0, NeuronType.T3.weightMultiplier(9));
        assertEquals(1.0, NeuronType.POLY.weightMultiplier(9));
        assertEquals(2.0, NeuronType.T4.weightMultiplier(9));
        assertEquals(2.0, NeuronType.QRES.weightMultiplier(9));
        assertEquals(3.0, NeuronType.T2_4.weightMultiplier(9));
        assertEquals(3.0, NeuronType.PROPOSED.weightMultiplier(9));
        assertEquals(10.0, NeuronType.T1.weightMultiplier(9));
        assertEquals(27L * 27 + 27, NeuronType.T1_2.weightsPerOutput(27));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NeuronType.T4.weightsPerOutput(0));
        assertTrue(e.getMessage().contains("fan-in must be positive, got 0"));
    }
}
