package org.quadralib.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.quadralib.core.F;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.testing.Golden;
import org.quadralib.layers.QuadraticOptions.BackpropMode;

/** Construction, parameters, linear start, masking and errors of {@link QuadraticLinear} and {@link QuadraticConv2d}. */
class QuadraticLayerTest {

    private static final NeuronType[] WITH_LINEAR_TERM = {NeuronType.T1, NeuronType.T2_4, NeuronType.QRES, NeuronType.PROPOSED};

    /** Local parameter name to quadratic flag, in registration order, as documented on {@link NeuronType}. */
    private static Map<String, Boolean> expectedFlags(NeuronType t) {
        Map<String, Boolean> m = new LinkedHashMap<>();
        switch (t) {
            case T1 -> {
                m.put("weight_a", true);
                m.put("weight_b", false);
                m.put("bias", false);
            }
            case T2, T3 -> {
                m.put("weight_a", true);
                m.put("bias", false);
            }
            case POLY -> {
                m.put("weight_a", true);
                m.put("bias_a", true);
                m.put("bias", false);
            }
            case T4, T1_2 -> {
                m.put("weight_a", true);
                m.put("weight_b", true);
                m.put("bias", false);
            }
            case T2_4 -> {
                m.put("weight_r", false);
                m.put("bias_r", false);
                m.put("weight_g", true);
                m.put("bias_g", true);
                m.put("weight_b", true);
                m.put("bias", true);
            }
            case QRES -> {
                m.put("weight_a", false);
                m.put("weight_b", true);
                m.put("bias", false);
            }
            case PROPOSED -> {
                m.put("weight_a", true);
                m.put("weight_b", true);
                m.put("weight_c", false);
                m.put("bias", false);
            }
        }
        return m;
    }

    @ParameterizedTest
    @EnumSource(NeuronType.class)
    void parameterNamesShapesAndQuadraticFlags(NeuronType t) {
        QuadraticLinear lin = new QuadraticLinear(5, 4, t);
        QuadraticConv2d conv = new QuadraticConv2d(2, 4, 3, 1, 1, t);
        for (QuadraticLayer layer : new QuadraticLayer[] {lin, conv}) {
            Map<String, Boolean> flags = new LinkedHashMap<>();
            for (Map.Entry<String, Parameter> e : layer.namedParameters().entrySet()) {
                flags.put(e.getKey(), e.getValue().quadratic());
            }
            assertEquals(expectedFlags(t), flags, layer.describe());
            Map<String, Boolean> quadratic = new LinkedHashMap<>();
            expectedFlags(t).forEach((k, v) -> {
                if (v) {
                    quadratic.put(k, true);
                }
            });
            assertEquals(quadratic.keySet(), layer.quadraticTermParameters().keySet());
            assertEquals(flags.size() - quadratic.size(), layer.linearTermParameters().size());
        }
        boolean form = t == NeuronType.T1 || t == NeuronType.T1_2;
        assertArrayEquals(form ? new int[] {4, 5, 5} : new int[] {4, 5}, lin.localParameters().values().iterator().next().tensor().shape());
        assertArrayEquals(form ? new int[] {4, 18, 18} : new int[] {4, 2, 3, 3},
                conv.localParameters().values().iterator().next().tensor().shape());
        assertEquals((long) 4 * t.weightsPerOutput(5) + 4 * (t == NeuronType.T2_4 ? 3 : t == NeuronType.POLY ? 2 : 1), lin.parameterCount());
    }

    @Test
    void branchNormsAreChildrenWithStateInTheStateDict() {
        QuadraticConv2d conv = new QuadraticConv2d(2, 4, 3, 1, 1, 1, 1, NeuronType.PROPOSED, QuadraticOptions.DEFAULT.withBranchNorm(true));
        QuadraticLinear lin = new QuadraticLinear(3, 4, NeuronType.T2_4, QuadraticOptions.DEFAULT.withBranchNorm(true));
        assertEquals(List.of("weight_a", "weight_b", "weight_c", "bias", "norm_a.weight", "norm_a.bias", "norm_a.running_mean",
                "norm_a.running_var", "norm_a.num_batches_tracked", "norm_b.weight", "norm_b.bias", "norm_b.running_mean",
                "norm_b.running_var", "norm_b.num_batches_tracked"), new ArrayList<>(conv.stateDict().keySet()));
        assertTrue(conv.branchNorms().get(0) instanceof BatchNorm2d);
        assertTrue(lin.branchNorms().get(1) instanceof BatchNorm1d);
        assertEquals(List.of("norm_r", "norm_g"), new ArrayList<>(lin.children().keySet()));
        conv.forward(Tensor.randn(new Rng(1), 2, 2, 4, 4));
        lin.forward(Tensor.randn(new Rng(1), 5, 3));
        assertEquals(1, conv.branchNorms().get(1).numBatchesTracked());
        assertEquals(1, lin.branchNorms().get(0).numBatchesTracked());
    }

    /** The first-order layer the linear term of {@code layer} is. */
    private static Tensor firstOrder(QuadraticLayer layer, Tensor x) {
        if (layer instanceof QuadraticConv2d c) {
            Conv2d.Config k = c.config();
            return F.conv2d(x, layer.linearWeight(), layer.linearBias(), new int[] {k.strideH(), k.strideW()}, new int[] {k.padH(), k.padW()},
                    new int[] {k.dilationH(), k.dilationW()}, k.groups());
        }
        return F.linear(x, layer.linearWeight(), layer.linearBias());
    }

    @Test
    void linearStartComputesExactlyTheLinearTerm() {
        Rng rng = new Rng(4);
        for (NeuronType t : WITH_LINEAR_TERM) {
            for (BackpropMode mode : BackpropMode.values()) {
                QuadraticOptions o = QuadraticOptions.DEFAULT.withLinearStart(true).withMode(mode);
                for (QuadraticLayer layer : new QuadraticLayer[] {new QuadraticLinear(6, 5, t, o),
                        new QuadraticConv2d(4, 6, 3, 2, 1, 1, 2, t, o)}) {
                    Tensor x = layer instanceof QuadraticConv2d ? Tensor.randn(rng, 2, 4, 7, 7) : Tensor.randn(rng, 3, 6);
                    float[] y = layer.forward(x).toFloatArray();
                    layer.quadraticTermMasked(true);
                    float[] linearOnly = layer.forward(x).toFloatArray();
                    layer.quadraticTermMasked(false);
                    String what = layer.describe() + " " + t + " " + mode;
                    assertArrayEquals(linearOnly, y, what + ": the quadratic term is exactly zero");
                    Golden.assertClose(what + " vs the first-order layer", firstOrder(layer, x), Tensor.of(y, layer.forward(x).shape()), 1e-6f,
                            1e-5f);
                }
            }
        }
    }

    @Test
    void linearStartInitialisesTheQuadraticTermAsReLinear() {
        QuadraticOptions start = QuadraticOptions.DEFAULT.withLinearStart(true);
        QuadraticLinear proposed = new QuadraticLinear(6, 5, NeuronType.PROPOSED, start);
        assertAllEqual(0f, param(proposed, "weight_b"));
        assertTrue(maxAbs(param(proposed, "weight_a")) > 0f, "W_a stays non-zero so that W_b gets a gradient");
        float bound = (float) (1 / Math.sqrt(6));
        assertTrue(maxAbs(param(proposed, "weight_c")) <= bound && maxAbs(param(proposed, "weight_c")) > 0.5f * bound,
                "W_c initialised as PyTorch's Linear");
        QuadraticLinear t24 = new QuadraticLinear(6, 5, NeuronType.T2_4, start);
        assertAllEqual(0f, param(t24, "weight_g"));
        assertAllEqual(1f, param(t24, "bias_g"));
        assertAllEqual(0f, param(t24, "weight_b"));
        assertAllEqual(0f, param(t24, "bias"));
        assertAllEqual(0f, param(new QuadraticLinear(6, 5, NeuronType.QRES, start), "weight_b"));
        assertAllEqual(0f, param(new QuadraticConv2d(2, 3, 3, 1, 1, 1, 1, NeuronType.T1, start), "weight_a"));
        QuadraticLinear random = new QuadraticLinear(6, 5, NeuronType.PROPOSED);
        assertTrue(maxAbs(param(random, "weight_b")) > 0f, "without a linear start every weight is random");
    }

    private static Tensor param(Module m, String name) {
        return m.namedParameters().get(name).tensor();
    }

    private static float maxAbs(Tensor t) {
        float m = 0f;
        for (float v : t.toFloatArray()) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    private static void assertAllEqual(float expected, Tensor t) {
        float[] a = new float[t.numel()];
        Arrays.fill(a, expected);
        assertArrayEquals(a, t.toFloatArray());
    }

    @ParameterizedTest
    @EnumSource(NeuronType.class)
    void maskedQuadraticTermLeavesTheLinearTermOnly(NeuronType t) {
        Rng rng = new Rng(9);
        for (BackpropMode mode : BackpropMode.values()) {
            QuadraticOptions o = QuadraticOptions.DEFAULT.withMode(mode).withBranchNorm(t.supportsBranchNorm());
            for (QuadraticLayer layer : new QuadraticLayer[] {new QuadraticLinear(6, 5, t, o), new QuadraticConv2d(2, 4, 3, 1, 1, 1, 2, t, o)}) {
                Tensor x = layer instanceof QuadraticConv2d ? Tensor.randn(rng, 2, 2, 5, 5) : Tensor.randn(rng, 3, 6);
                float[] full = layer.forward(x).toFloatArray();
                Map<String, List<Float>> before = snapshot(layer);
                Tensor masked = layer.quadraticTermMasked(true).forward(x);
                String what = layer.describe() + " " + t + " " + mode;
                Tensor expected = layer.linearWeight() != null ? firstOrder(layer, x)
                        : layer.linearBias().reshape(layer instanceof QuadraticConv2d ? new int[] {1, 4, 1, 1} : new int[] {5})
                                .expand(masked.shape());
                Golden.assertClose(what + " masked", expected, masked, 1e-6f, 1e-5f);
                assertFalse(Arrays.equals(full, masked.toFloatArray()), what + ": the full output has a quadratic term");
                assertEquals(before, snapshot(layer), what + ": masking leaves the running statistics alone");
                layer.quadraticTermMasked(false);
                assertArrayEquals(full, layer.forward(x).toFloatArray(), what + ": unmasking restores the neuron");
            }
        }
    }

    /** The state as value lists, comparable with {@code equals}. */
    private static Map<String, List<Float>> snapshot(Module m) {
        Map<String, List<Float>> out = new LinkedHashMap<>();
        m.stateDict().forEach((k, v) -> {
            List<Float> values = new ArrayList<>();
            for (float f : v.toFloatArray()) {
                values.add(f);
            }
            out.put(k, values);
        });
        return out;
    }

    @Test
    void badInputNamesTheLayerPathAndShapes() {
        Sequential model = new Sequential(new QuadraticConv2d(3, 4, 3, 1, 0, NeuronType.PROPOSED),
                new QuadraticLinear(8, 2, NeuronType.T2_4));
        ShapeMismatchException channels = assertThrows(ShapeMismatchException.class, () -> model.forward(Tensor.zeros(2, 5, 6, 6)));
        assertEquals("QuadraticConv2d '0': expected input [N, 3, H≥3, W≥3], got [2, 5, 6, 6]", channels.getMessage());
        ShapeMismatchException small = assertThrows(ShapeMismatchException.class, () -> model.get(0).forward(Tensor.zeros(1, 3, 2, 6)));
        assertTrue(small.getMessage().contains("[1, 3, 2, 6]"), small.getMessage());
        ShapeMismatchException features = assertThrows(ShapeMismatchException.class, () -> model.get(1).forward(Tensor.zeros(4, 7)));
        assertEquals("QuadraticLinear '1': expected input [*, 8], got [4, 7]", features.getMessage());
        QuadraticLinear normed = new QuadraticLinear(3, 2, NeuronType.PROPOSED, QuadraticOptions.DEFAULT.withBranchNorm(true));
        ShapeMismatchException single = assertThrows(ShapeMismatchException.class, () -> normed.forward(Tensor.zeros(1, 3)));
        assertTrue(single.getMessage().startsWith("QuadraticLinear: branch norm needs more than 1 value per channel"), single.getMessage());
    }

    @Test
    void quadraticFormLargerThanTheLimitIsRefusedWithTheNumbers() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new QuadraticConv2d(64, 64, 3, 1, 1, NeuronType.T1));
        assertTrue(e.getMessage().startsWith("QuadraticConv2d(64, 64, kernel=3x3, groups=1, T1): the quadratic form xᵀW_a x needs out·n² = "
                + "64·576² = 21233664 weights (n = 576 inputs per output), more than the limit of 16777216"), e.getMessage());
        assertTrue(e.getMessage().contains("MAX_QUADRATIC_FORM_WEIGHTS"));
        IllegalArgumentException lin = assertThrows(IllegalArgumentException.class, () -> new QuadraticLinear(1000, 20, NeuronType.T1_2));
        assertTrue(lin.getMessage().contains("20·1000² = 20000000 weights"), lin.getMessage());
        // Groups shrink n: the same channels in 4 groups fit (64·144² = 1327104).
        assertEquals(64L * 144 * 144 + 64L * 144 + 64,
                new QuadraticConv2d(64, 64, 3, 1, 1, 1, 4, NeuronType.T1, QuadraticOptions.DEFAULT).parameterCount());
    }

    @Test
    void optionsThatDoNotFitTheTypeAreRefused() {
        QuadraticOptions d = QuadraticOptions.DEFAULT;
        assertMessage("QuadraticLinear(in=3, out=2, T3): linearStart needs a linear term",
                () -> new QuadraticLinear(3, 2, NeuronType.T3, d.withLinearStart(true)));
        assertMessage("QuadraticLinear(in=3, out=2, T1_2): branchNorm normalises branch outputs before their product or the square branch, and T1_2",
                () -> new QuadraticLinear(3, 2, NeuronType.T1_2, d.withBranchNorm(true)));
        assertMessage("QuadraticLinear(in=3, out=2, PROPOSED): linearTerm=false is only for T1",
                () -> new QuadraticLinear(3, 2, NeuronType.PROPOSED, d.withLinearTerm(false)));
        assertMessage("QuadraticLinear(in=3, out=2, T1): linearStart needs a linear term",
                () -> new QuadraticLinear(3, 2, NeuronType.T1, d.withLinearTerm(false).withLinearStart(true)));
        assertMessage("QuadraticLinear(in=3, out=2, T2_4): T2_4's linear start sets b_g = 1, so it needs bias=true",
                () -> new QuadraticLinear(3, 2, NeuronType.T2_4, d.withLinearStart(true).withBias(false)));
        assertMessage("QuadraticLinear(in=3, out=2, T2_4): T2_4's linear start relies on the constant branch",
                () -> new QuadraticLinear(3, 2, NeuronType.T2_4, d.withLinearStart(true).withBranchNorm(true)));
        assertMessage("QuadraticConv2d(3, 4, kernel=3x3, groups=1, T4): config has bias=false but options have bias=true",
                () -> new QuadraticConv2d(Conv2d.Config.of(3, 4, 3, 1, 1, 1, 1, false), NeuronType.T4, d));
        assertMessage("QuadraticLinear(in=0, out=2, T4): sizes must be positive", () -> new QuadraticLinear(0, 2, NeuronType.T4));
        assertThrows(NullPointerException.class, () -> d.withMode(null));
    }

    private static void assertMessage(String prefix, org.junit.jupiter.api.function.Executable construct) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, construct);
        assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
    }

    @Test
    void withoutBiasOrLinearTermTheParametersAreAbsent() {
        QuadraticLinear t1 = new QuadraticLinear(3, 2, NeuronType.T1, QuadraticOptions.DEFAULT.withLinearTerm(false));
        assertEquals(List.of("weight_a", "bias"), new ArrayList<>(t1.namedParameters().keySet()));
        assertNull(t1.linearWeight());
        QuadraticLinear t24 = new QuadraticLinear(3, 2, NeuronType.T2_4, QuadraticOptions.DEFAULT.withBias(false));
        assertEquals(List.of("weight_r", "weight_g", "weight_b"), new ArrayList<>(t24.namedParameters().keySet()));
        assertNull(t24.linearBias());
    }

    @Test
    void linearTermAccessorsAndLoading() {
        QuadraticConv2d q = new QuadraticConv2d(2, 3, 3, 1, 1, 1, 1, NeuronType.PROPOSED, QuadraticOptions.DEFAULT.withLinearStart(true));
        assertSame(param(q, "weight_c"), q.linearWeight());
        assertSame(param(q, "bias"), q.linearBias());
        QuadraticLinear t24 = new QuadraticLinear(3, 2, NeuronType.T2_4);
        assertSame(param(t24, "weight_r"), t24.linearWeight());
        assertSame(param(t24, "bias_r"), t24.linearBias());
        QuadraticLinear qres = new QuadraticLinear(3, 2, NeuronType.QRES);
        assertSame(param(qres, "weight_a"), qres.linearWeight());

        Conv2d original = new Conv2d(2, 3, 3, 1, 1);
        q.loadLinearTerm(original.weight(), original.bias());
        Tensor x = Tensor.randn(new Rng(3), 2, 2, 5, 5);
        Golden.assertClose("converted layer", original.forward(x), q.forward(x), 1e-6f, 1e-5f);
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> q.loadLinearTerm(Tensor.zeros(3, 2, 1, 1), null));
        assertEquals("QuadraticConv2d: linear-term weight must be [3, 2, 3, 3], got [3, 2, 1, 1]", shape.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> new QuadraticLinear(3, 2, NeuronType.T4).loadLinearTerm(Tensor.zeros(2, 3), null));
        assertTrue(none.getMessage().contains("T4 ((W_a x)∘(W_b x) + b) has no linear term"), none.getMessage());
    }

    @Test
    void describesItselfWithTypeAndOptions() {
        QuadraticConv2d q = new QuadraticConv2d(2, 3, 3, 2, 1, 1, 1, NeuronType.QRES, QuadraticOptions.DEFAULT.withBranchNorm(true));
        assertTrue(q.toString().startsWith("QuadraticConv2d(2, 3, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), type=QRES, bias=true,"
                + " branch_norm=true, mode=HYBRID"), q.toString());
        assertEquals("in_features=4, out_features=2, type=T1, bias=true, branch_norm=false, mode=STANDARD, linear_term=false",
                new QuadraticLinear(4, 2, NeuronType.T1, QuadraticOptions.DEFAULT.withMode(BackpropMode.STANDARD).withLinearTerm(false))
                        .extraRepr());
    }
}
