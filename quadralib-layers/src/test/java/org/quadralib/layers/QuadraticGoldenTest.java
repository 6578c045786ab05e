package org.quadralib.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.quadralib.core.Tensor;
import org.quadralib.core.testing.Golden;
import org.quadralib.layers.QuadraticOptions.BackpropMode;

/**
 * Every neuron type as a linear and a convolutional layer, in both back-propagation modes, against
 * {@code goldens/quadratic.py}: PyTorch builds each formula from plain ops on the same weights; the output, the
 * input gradient, every parameter gradient and the branch norms' running statistics must match.
 */
class QuadraticGoldenTest {

    /** The types with branch-norm fixtures: every type whose branches a norm applies to. */
    private static final String[] PRODUCT_TYPES = {"t2", "t3", "t4", "t2_4", "qres", "proposed"};

    static Stream<String> fixtures() {
        List<String> names = new ArrayList<>();
        for (NeuronType t : NeuronType.values()) {
            String s = t.name().toLowerCase(Locale.ROOT);
            names.add("quad_linear_" + s);
            names.add("quad_conv_" + s);
            names.add("quad_conv_" + s + "_s2");
            names.add("quad_conv_" + s + "_g2");
            names.add("quad_conv_" + s + "_dw");
        }
        for (String s : PRODUCT_TYPES) {
            names.add("quad_linear_" + s + "_bn");
            names.add("quad_conv_" + s + "_bn");
        }
        names.addAll(List.of("quad_linear_t1_nolin", "quad_linear_proposed_nobias", "quad_linear_t2_4_nobias", "quad_linear_proposed_3d",
                "quad_linear_proposed_bn_eval", "quad_conv_t2_4_bn_g2", "quad_conv_proposed_bn_eval"));
        return names.stream();
    }

    static Stream<Arguments> cases() {
        return fixtures().flatMap(f -> Stream.of(Arguments.of(f, BackpropMode.HYBRID), Arguments.of(f, BackpropMode.STANDARD)));
    }

    /** The layer a fixture describes (its weights not yet set). */
    static QuadraticLayer build(JsonObject p, BackpropMode mode) {
        NeuronType type = NeuronType.valueOf(p.get("type").getAsString());
        QuadraticOptions o = new QuadraticOptions(p.get("bias").getAsBoolean(), p.get("branch_norm").getAsBoolean(), mode, false,
                p.get("linear_term").getAsBoolean());
        int in = p.get("in").getAsInt();
        int out = p.get("out").getAsInt();
        if (p.get("kind").getAsString().equals("linear")) {
            return new QuadraticLinear(in, out, type, o);
        }
        return new QuadraticConv2d(in, out, p.get("kernel").getAsInt(), p.get("stride").getAsInt(), p.get("padding").getAsInt(),
                p.get("dilation").getAsInt(), p.get("groups").getAsInt(), type, o);
    }

    /** The parameter names the fixture lists, in the layer's registration order. */
    static List<String> names(Golden g) {
        List<String> names = new ArrayList<>();
        for (JsonElement e : g.params().getAsJsonArray("names")) {
            names.add(e.getAsString());
        }
        return names;
    }

    /** The fixture's layer with its weights (and initial running statistics) loaded, in its train/eval mode. */
    static QuadraticLayer load(Golden g, BackpropMode mode) {
        QuadraticLayer layer = build(g.params(), mode);
        List<String> names = names(g);
        Map<String, Parameter> params = layer.namedParameters();
        assertEquals(names, new ArrayList<>(params.keySet()), "parameter names and order");
        for (int i = 0; i < names.size(); i++) {
            params.get(names.get(i)).tensor().copyFrom(g.tensor("in." + (i + 1)));
        }
        boolean training = g.params().get("training").getAsBoolean();
        if (!training) {
            // Evaluation fixtures start from non-trivial running statistics, so evaluation really uses them.
            for (Map.Entry<String, Tensor> e : layer.stateDict().entrySet()) {
                if (e.getKey().endsWith("running_mean") || e.getKey().endsWith("running_var")) {
                    e.getValue().copyFrom(g.tensor("init." + e.getKey()));
                }
            }
        }
        layer.train(training);
        return layer;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesPyTorch(String fixture, BackpropMode mode) {
        Golden g = Golden.load(fixture);
        QuadraticLayer layer = load(g, mode);
        String what = fixture + " " + mode;
        Tensor x = g.tensor("in.0").copy().requiresGrad(true);
        Tensor y = layer.forward(x);
        Golden.assertClose(what + " forward", g.tensor("out"), y, 2e-4f, 1e-3f);
        y.backward(g.tensor("gout"));
        assertNotNull(x.grad(), what + ": no input gradient");
        Golden.assertClose(what + " input gradient", g.tensor("grad.0"), x.grad(), 2e-4f, 1e-3f);
        List<String> names = names(g);
        Map<String, Parameter> params = layer.namedParameters();
        for (int i = 0; i < names.size(); i++) {
            Tensor grad = params.get(names.get(i)).tensor().grad();
            assertNotNull(grad, what + ": no gradient for " + names.get(i));
            Golden.assertClose(what + " gradient of " + names.get(i), g.tensor("grad." + (i + 1)), grad, 2e-4f, 1e-3f);
        }
        for (Map.Entry<String, Tensor> e : layer.stateDict().entrySet()) {
            if (e.getKey().endsWith("running_mean") || e.getKey().endsWith("running_var")) {
                Golden.assertClose(what + " " + e.getKey(), g.tensor("state." + e.getKey()), e.getValue(), 1e-5f, 1e-4f);
            }
        }
    }
}
