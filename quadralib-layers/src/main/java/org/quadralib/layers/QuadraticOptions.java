package org.quadralib.layers;

import java.util.Objects;

/**
 * How a quadratic layer is built and trained. {@link #DEFAULT}: bias, no branch norm, hybrid back-propagation,
 * a non-zero initialisation, T1 with its linear term.
 *
 * @param bias whether the layer has its biases: the output bias {@code bias} of every type, plus {@code bias_r}
 *     and {@code bias_g} of T2_4 (see {@link NeuronType} for their placement)
 * @param branchNorm whether each branch output that enters the product or square gets its own batch norm before
 *     it, as the reference code does ({@code BatchNorm1d} children for linear layers, {@code BatchNorm2d} for
 *     convolutions, named {@code norm_<branch>}: {@code norm_a}, {@code norm_b} or {@code norm_r}, {@code norm_g}), and
 *     T2's square branch {@code W_a (x∘x)} its {@code norm_a}; only for types that
 *     {@linkplain NeuronType#supportsBranchNorm() support it}. γ and β start as the type's declaration says
 *     ({@link NeuronType.Branch#norm()}). The linear term is not normalised, so a linear start stays
 *     function-preserving.
 * @param mode how the layer back-propagates
 * @param linearStart true: the quadratic term is exactly zero at step 0 and the linear term is initialised as
 *     PyTorch initialises a first-order layer (ReLinear); only for types with a
 *     {@linkplain NeuronType#hasLinearTerm() linear term}
 * @param linearTerm whether an optional linear term ({@link NeuronType.Branch#optional()}: T1's {@code W_b x}) is
 *     part of the neuron; every other type's formula fixes its terms, so false is rejected for them
 */
public record QuadraticOptions(boolean bias, boolean branchNorm, BackpropMode mode, boolean linearStart, boolean linearTerm) {

    /** How a quadratic layer computes its gradients. */
    public enum BackpropMode {
        /**
         * Hybrid back-propagation: forward keeps only the layer input; backward recomputes the stacked branch
         * outputs it needs with one GEMM or convolution (for PROPOSED the two product branches, whose values the
         * gradient needs, not the linear one) and back-propagates through them by hand. Activation memory about
         * that of a first-order layer, one extra stacked projection of compute (two thirds of one for PROPOSED).
         */
        HYBRID,
        /** The formula composed of ordinary autograd ops, which keep every branch output until backward. */
        STANDARD
    }

    /** Bias, no branch norm, hybrid back-propagation, non-zero initialisation, T1 with its linear term. */
    public static final QuadraticOptions DEFAULT = new QuadraticOptions(true, false, BackpropMode.HYBRID, false, true);

    /** @throws NullPointerException if {@code mode} is null */
    public QuadraticOptions {
        Objects.requireNonNull(mode, "mode");
    }

    /** A copy with {@code bias} changed. */
    public QuadraticOptions withBias(boolean value) {
        return new QuadraticOptions(value, branchNorm, mode, linearStart, linearTerm);
    }

    /** A copy with {@code branchNorm} changed. */
    public QuadraticOptions withBranchNorm(boolean value) {
        return new QuadraticOptions(bias, value, mode, linearStart, linearTerm);
    }

    /** A copy with {@code mode} changed. */
    public QuadraticOptions withMode(BackpropMode value) {
        return new QuadraticOptions(bias, branchNorm, value, linearStart, linearTerm);
    }

    /** A copy with {@code linearStart} changed. */
    public QuadraticOptions withLinearStart(boolean value) {
        return new QuadraticOptions(bias, branchNorm, mode, value, linearTerm);
    }

    /** A copy with {@code linearTerm} changed. */
    public QuadraticOptions withLinearTerm(boolean value) {
        return new QuadraticOptions(bias, branchNorm, mode, linearStart, value);
    }
}
