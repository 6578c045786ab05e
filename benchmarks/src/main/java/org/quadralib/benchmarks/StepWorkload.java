package org.quadralib.benchmarks;

import java.util.Locale;

import org.quadralib.layers.Conv2d;
import org.quadralib.layers.Module;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.QuadraticConv2d;
import org.quadralib.layers.QuadraticLinear;
import org.quadralib.layers.QuadraticOptions;
import org.quadralib.layers.QuadraticOptions.BackpropMode;
import org.quadralib.layers.zoo.LayerFactory;
import org.quadralib.layers.zoo.Zoo;

/**
 * The end-to-end workloads of the step benchmark, built exactly as {@code benchmarks/peers/torch_step.py} builds them for
 * PyTorch, so the two sides train the same network on the same input shape:
 * <ul>
 * <li>W1: MLP 784-256-256-10 with ReLU, input {@code [128, 784]};</li>
 * <li>W2: LeNet-5 (conv 5×5 1→6 pad 2, ReLU, max-pool 2, conv 5×5 6→16, ReLU, max-pool 2, fc 400→120→84→10 with
 * ReLU), input {@code [64, 1, 28, 28]};</li>
 * <li>W3: CIFAR VGG [32, 32, M, 64, 64, M, 128, 128, M] (conv 3×3 pad 1 with bias, BN, ReLU) + fc 2048→10, input
 * {@code [32, 3, 32, 32]}.</li>
 * </ul>
 * Ten classes each.
 */
enum StepWorkload {
    W1(new int[] {128, 784}),
    W2(new int[] {64, 1, 28, 28}),
    W3(new int[] {32, 3, 32, 32});

    private final int[] inputShape;

    StepWorkload(int[] inputShape) {
        this.inputShape = inputShape;
    }

    /** The classes every workload predicts. */
    static final int CLASSES = 10;

    /** The batch input shape. */
    int[] inputShape() {
        return inputShape.clone();
    }

    /** The model with every Linear and Conv2d made by {@code factory}. */
    Module build(LayerFactory factory) {
        return switch (this) {
            case W1 -> Zoo.mlp(784, new int[] {256, 256}, CLASSES, factory);
            case W2 -> Zoo.lenet5(1, 28, CLASSES, factory);
            case W3 -> Zoo.vgg(new int[] {32, 32, Zoo.M, 64, 64, Zoo.M, 128, 128, Zoo.M}, 3, 32, CLASSES, factory);
        };
    }

    /**
     * Parses {@code W1}, {@code W2} or {@code W3} (any case).
     *
     * @throws IllegalArgumentException naming the valid workloads otherwise
     */
    static StepWorkload parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("--workload: expected W1, W2 or W3, got '" + s + "'", e);
        }
    }

    /** First-order layers, or every weight layer a PROPOSED quadratic neuron in one back-propagation mode. */
    enum Variant {
        FIRST_ORDER("first-order", null),
        QUADRATIC_STANDARD("quadratic-standard", BackpropMode.STANDARD),
        QUADRATIC_HYBRID("quadratic-hybrid", BackpropMode.HYBRID);

        private final String label;
        private final BackpropMode mode;

        Variant(String label, BackpropMode mode) {
            this.label = label;
            this.mode = mode;
        }

        /** The command-line and JSON name, e.g. {@code quadratic-hybrid}. */
        String label() {
            return label;
        }

        /** The variant's name on the PyTorch side, which has one quadratic variant (autograd keeps the branches). */
        String peerLabel() {
            return mode == null ? "first-order" : "quadratic";
        }

        /**
         * The layer factory: {@link LayerFactory#FIRST_ORDER}, or {@link QuadraticLinear}/{@link QuadraticConv2d} of
         * type {@link NeuronType#PROPOSED} with biases where the first-order layer has one and this mode.
         */
        LayerFactory factory() {
            if (mode == null) {
                return LayerFactory.FIRST_ORDER;
            }
            QuadraticOptions options = QuadraticOptions.DEFAULT.withMode(mode);
            return new LayerFactory() {
                @Override
                public Module linear(String role, int in, int out, boolean bias) {
                    return new QuadraticLinear(in, out, NeuronType.PROPOSED, options.withBias(bias));
                }

                @Override
                public Module conv2d(String role, Conv2d.Config config) {
                    return new QuadraticConv2d(config, NeuronType.PROPOSED, options.withBias(config.bias()));
                }

                @Override
                public String toString() {
                    return "PROPOSED " + mode;
                }
            };
        }

        /**
         * Parses a label.
         *
         * @throws IllegalArgumentException naming the valid variants otherwise
         */
        static Variant parse(String s) {
            for (Variant v : values()) {
                if (v.label.equals(s)) {
                    return v;
                }
            }
            throw new IllegalArgumentException("--variant: expected first-order, quadratic-standard or quadratic-hybrid, got '" + s + "'");
        }
    }
}
