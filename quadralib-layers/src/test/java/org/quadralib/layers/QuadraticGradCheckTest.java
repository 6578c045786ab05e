package org.quadralib.layers;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.testing.GradCheck;
import org.quadralib.layers.QuadraticOptions.BackpropMode;

/**
 * Central finite differences of every neuron type, linear and convolutional (plain, and strided with groups), in
 * both back-propagation modes, with and without branch norm (training mode): the gradients of the input and of
 * every parameter, branch norms' included.
 */
class QuadraticGradCheckTest {

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String geometry : new String[] {"linear", "conv", "conv-strided-grouped"}) {
            for (NeuronType t : NeuronType.values()) {
                for (BackpropMode mode : BackpropMode.values()) {
                    out.add(Arguments.of(geometry, t, mode, false));
                    if (t.supportsBranchNorm()) {
                        out.add(Arguments.of(geometry, t, mode, true));
                    }
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2} norm={3}")
    @MethodSource("cases")
    void gradientsMatchFiniteDifferences(String geometry, NeuronType type, BackpropMode mode, boolean norm) {
        Init.manualSeed(17);
        QuadraticOptions o = QuadraticOptions.DEFAULT.withMode(mode).withBranchNorm(norm);
        Rng rng = new Rng(23);
        QuadraticLayer layer;
        Tensor x;
        switch (geometry) {
            case "linear" -> {
                layer = new QuadraticLinear(3, 2, type, o);
                x = Tensor.randn(rng, 4, 3);
            }
            case "conv" -> {
                layer = new QuadraticConv2d(2, 2, 3, 1, 1, 1, 1, type, o);
                x = Tensor.randn(rng, 2, 2, 4, 4);
            }
            default -> {
                layer = new QuadraticConv2d(2, 4, 3, 2, 1, 1, 2, type, o);
                x = Tensor.randn(rng, 2, 2, 5, 5);
            }
        }
        // Branch-norm scales and shifts away from 1 and 0, so their gradients are generic.
        for (BatchNorm b : layer.branchNorms()) {
            b.weight().copyFrom(Tensor.rand(rng, b.numFeatures()).add(0.5f));
            b.bias().copyFrom(Tensor.randn(rng, b.numFeatures()).mul(0.3f));
        }
        List<Tensor> inputs = new ArrayList<>();
        inputs.add(x.requiresGrad(true));
        inputs.addAll(layer.parameters());
        QuadraticLayer l = layer;
        // A squared input through a norm over a few values per channel (T2 with branch norm) is curved enough that the
        // central difference at 1e-2 is off by 2-5%; it converges to the backward as the step shrinks, and 5e-3 suffices.
        float eps = norm && type.squaresInput() ? 5e-3f : 1e-2f;
        GradCheck.check(geometry + " " + type + " " + mode + (norm ? " norm" : ""), in -> l.forward(in[0]), inputs.toArray(new Tensor[0]),
                eps, 2e-2f);
    }
}
