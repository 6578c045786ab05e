package org.quadralib.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.quadralib.autobuild.ModuleCopier;
import org.quadralib.core.Tensor;
import org.quadralib.layers.AvgPool2d;
import org.quadralib.layers.BatchNorm1d;
import org.quadralib.layers.BatchNorm2d;
import org.quadralib.layers.Conv2d;
import org.quadralib.layers.Dropout;
import org.quadralib.layers.Flatten;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;
import org.quadralib.layers.MaxPool2d;
import org.quadralib.layers.Module;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.QuadraticConv2d;
import org.quadralib.layers.QuadraticLinear;
import org.quadralib.layers.QuadraticOptions;
import org.quadralib.layers.ReLU;
import org.quadralib.layers.Residual;
import org.quadralib.layers.Sequential;
import org.quadralib.layers.Tanh;

/**
 * The library's layers keep the contract, and the contract catches layers that break it: a wrong backward, state
 * kept outside the state dict, a shape error that does not name the layer, and a layer that cannot be copied.
 */
class LayerContractTest {

    static Stream<Arguments> layers() {
        QuadraticOptions standard = QuadraticOptions.DEFAULT.withMode(QuadraticOptions.BackpropMode.STANDARD);
        return Stream.of(
                Arguments.of("Linear", (Supplier<Module>) () -> new Linear(3, 2), new int[] {4, 3}, new int[] {4, 5}),
                Arguments.of("Conv2d", (Supplier<Module>) () -> new Conv2d(2, 3, 3, 1, 1), new int[] {2, 2, 4, 4},
                        new int[] {2, 3, 4, 4}),
                Arguments.of("BatchNorm1d", (Supplier<Module>) () -> new BatchNorm1d(3), new int[] {5, 3}, new int[] {5, 4}),
                Arguments.of("BatchNorm2d", (Supplier<Module>) () -> new BatchNorm2d(2), new int[] {3, 2, 3, 3},
                        new int[] {3, 4, 3, 3}),
                Arguments.of("MaxPool2d", (Supplier<Module>) () -> new MaxPool2d(2), new int[] {1, 2, 4, 4}, new int[] {4, 4}),
                Arguments.of("AvgPool2d", (Supplier<Module>) () -> new AvgPool2d(2), new int[] {1, 2, 4, 4}, new int[] {4, 4}),
                Arguments.of("Dropout", (Supplier<Module>) () -> new Dropout(0.3f), new int[] {4, 5}, null),
                Arguments.of("Tanh", (Supplier<Module>) Tanh::new, new int[] {3, 4}, null),
                Arguments.of("QuadraticLinear PROPOSED", (Supplier<Module>) () -> new QuadraticLinear(3, 2, NeuronType.PROPOSED),
                        new int[] {4, 3}, new int[] {4, 2}),
                Arguments.of("QuadraticLinear T2_4 standard", (Supplier<Module>) () -> new QuadraticLinear(3, 2, NeuronType.T2_4,
                        standard), new int[] {4, 3}, new int[] {4, 2}),
                Arguments.of("QuadraticConv2d QRes", (Supplier<Module>) () -> new QuadraticConv2d(2, 2, 3, 1, 1, NeuronType.QRES),
                        new int[] {2, 2, 4, 4}, new int[] {2, 3, 4, 4}),
                Arguments.of("Residual block", (Supplier<Module>) () -> new Residual(new Sequential(
                        new QuadraticConv2d(2, 2, 3, 1, 1, NeuronType.T4), new BatchNorm2d(2))), new int[] {2, 2, 3, 3},
                        new int[] {2, 3, 3, 3}),
                Arguments.of("MLP", (Supplier<Module>) () -> new Sequential(new Flatten(), new Linear(8, 4), new ReLU(),
                        new QuadraticLinear(4, 2, NeuronType.T3)), new int[] {3, 2, 2, 2}, new int[] {3, 9}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void libraryLayersKeepTheContract(String name, Supplier<Module> factory, int[] shape, int[] badShape) {
        Init.manualSeed(3);
        LayerContract contract = LayerContract.of(factory, shape);
        (badShape == null ? contract : contract.rejecting(badShape)).check();
    }

    /** y = 2x in forward, but backward claims dy/dx = 3. */
    static final class WrongBackward extends Module {
        @Override
        protected Tensor compute(Tensor input) {
            return new org.quadralib.core.Function() {
                @Override
                protected Tensor forward(Context ctx, Tensor... in) {
                    return in[0].mul(2f);
                }

                @Override
                protected Tensor[] backward(Context ctx, Tensor g) {
                    return new Tensor[] {g.mul(3f)};
                }
            }.apply(input);
        }
    }

    /** A weight held in a field, not registered: it is not in the state dict, so a loaded copy computes otherwise. */
    static final class UnregisteredWeight extends Module {
        private final Tensor weight = Tensor.randn(new org.quadralib.core.Rng(System.identityHashCode(this)), 3);

        @Override
        protected Tensor compute(Tensor input) {
            return input.mul(weight);
        }
    }

    /** Rejects a bad width, but without naming itself. */
    static final class AnonymousError extends Module {
        @Override
        protected Tensor compute(Tensor input) {
            if (input.shape()[1] != 3) {
                throw new IllegalArgumentException("bad width " + input.shape()[1]);
            }
            return input;
        }
    }

    /** No copy rule, no no-argument constructor. */
    static final class NotCopyable extends Module {
        NotCopyable(int ignored) {
        }

        @Override
        protected Tensor compute(Tensor input) {
            return input.mul(1.5f);
        }
    }

    @Test
    void aWrongBackwardFailsTheGradientCheck() {
        AssertionError e = assertThrows(AssertionError.class, () -> LayerContract.of(WrongBackward::new, 2, 3).checkGradients());
        assertTrue(e.getMessage().contains("WrongBackward") && e.getMessage().contains("finite difference"), e.getMessage());
    }

    @Test
    void stateOutsideTheStateDictFailsTheRoundTrip() {
        ModuleCopier.register(UnregisteredWeight.class, (m, c) -> new UnregisteredWeight());
        AssertionError e = assertThrows(AssertionError.class,
                () -> LayerContract.of(UnregisteredWeight::new, 2, 3).checkStateDictRoundTrip());
        assertTrue(e.getMessage().contains("state dict round trip"), e.getMessage());
    }

    @Test
    void anErrorWithoutThePathFailsTheBadInputCheck() {
        LayerContract contract = LayerContract.of(AnonymousError::new, 2, 3).rejecting(2, 4);
        AssertionError e = assertThrows(AssertionError.class, contract::checkRejectsBadInput);
        assertTrue(e.getMessage().contains("does not name the layer's path 'probe'"), e.getMessage());
        AssertionError accepted = assertThrows(AssertionError.class,
                () -> LayerContract.of(AnonymousError::new, 2, 3).rejecting(2, 3).checkRejectsBadInput());
        assertTrue(accepted.getMessage().contains("accepted"), accepted.getMessage());
    }

    @Test
    void aLayerTheConverterCannotCopyFailsTheCopyCheck() {
        AssertionError e = assertThrows(AssertionError.class,
                () -> LayerContract.of(() -> new NotCopyable(1), 2, 3).checkConverterCopy());
        assertTrue(e.getMessage().contains("copy through the converter"), e.getMessage());
    }

    @Test
    void shapesAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> LayerContract.of(Tanh::new));
        assertThrows(IllegalArgumentException.class, () -> LayerContract.of(Tanh::new, 2, 0));
        assertThrows(IllegalStateException.class, () -> LayerContract.of(Tanh::new, 2).checkRejectsBadInput());
    }
}
