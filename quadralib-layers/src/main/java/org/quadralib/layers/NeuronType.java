package org.quadralib.layers;

/**
 * The quadratic neuron types QuadraLib implements, for {@link QuadraticLinear} and {@link QuadraticConv2d}.
 * {@code x} is the input vector (linear) or patch (convolution) of {@code n} values, {@code ∘} the element-wise
 * product, and every {@code W} maps {@code n} inputs to one output per row, except T1's {@code W_a}, which holds an
 * {@code n × n} matrix per output.
 *
 * <table>
 * <caption>Formulas, parameter names and quadratic flags</caption>
 * <tr><th>type</th><th>formula</th><th>parameters (quadratic flag)</th></tr>
 * <tr><td>T1</td><td>{@code xᵀW_a x + W_b x + b}</td><td>weight_a [out, n, n] (q), weight_b (l, optional), bias (l)</td></tr>
 * <tr><td>T2</td><td>{@code W_a (x∘x) + b}</td><td>weight_a (q), bias (l)</td></tr>
 * <tr><td>T3</td><td>{@code (W_a x)² + b}</td><td>weight_a (q), bias (l)</td></tr>
 * <tr><td>T4</td><td>{@code (W_a x)∘(W_b x) + b}</td><td>weight_a (q), weight_b (q), bias (l)</td></tr>
 * <tr><td>T1_2</td><td>{@code xᵀW_a x + W_b (x∘x) + b}</td><td>weight_a [out, n, n] (q), weight_b (q), bias (l)</td></tr>
 * <tr><td>T2_4</td><td>{@code (W_r x + b_r)∘(W_g x + b_g) + W_b (x∘x) + c}</td><td>weight_r (l), bias_r (l), weight_g (q),
 * bias_g (q), weight_b (q), bias = c (q)</td></tr>
 * <tr><td>QRES</td><td>{@code (W_a x)∘(W_b x) + W_a x + b}</td><td>weight_a (l, shared), weight_b (q), bias (l)</td></tr>
 * <tr><td>PROPOSED</td><td>{@code (W_a x)∘(W_b x) + W_c x + b}</td><td>weight_a (q), weight_b (q), weight_c (l), bias (l)</td></tr>
 * </table>
 *
 * <p>Bias placement follows the formulas of the design: T2_4, QRES and PROPOSED have their biases where their
 * authors put them; T1, T2, T3, T4 and T1_2 have none in their formula, so their optional {@code bias} is added to
 * the output, outside any square or product (as a convolution's bias would be), and is a first-order parameter.
 *
 * <p>The quadratic flag ({@link Parameter#quadratic()}) splits a layer's parameters by the function-preserving
 * decomposition {@code output = linear term + quadratic term}: the linear term is what a converted layer copies
 * the first-order weights into (T1's {@code W_b x + b}, T2_4's {@code W_r x + b_r}, QRES's {@code W_a x + b},
 * PROPOSED's {@code W_c x + b}), and every other weight multiplies a product or a square, so it is quadratic. For
 * T2_4 that puts {@code W_g, b_g, W_b, c} in the quadratic group, exactly the parameters ReLinear (Fan et al.)
 * trains with a smaller learning rate; QRES's shared {@code W_a} carries its linear term, so it is first-order.
 */
public enum NeuronType {
    /** Quadratic form plus an optional linear term: {@code xᵀW_a x + W_b x + b}, n² (+ n) weights per output. */
    T1("T1", "xᵀW_a x + W_b x + b"),
    /** Linear map of the squared input: {@code W_a (x∘x) + b}. */
    T2("T2", "W_a (x∘x) + b"),
    /** Square of a linear map: {@code (W_a x)² + b}. */
    T3("T3", "(W_a x)² + b"),
    /** Product of two linear maps: {@code (W_a x)∘(W_b x) + b}. */
    T4("T4", "(W_a x)∘(W_b x) + b"),
    /** Quadratic form plus a map of the squared input: {@code xᵀW_a x + W_b (x∘x) + b}. */
    T1_2("T1&2", "xᵀW_a x + W_b (x∘x) + b"),
    /** Fan et al.'s neuron: {@code (W_r x + b_r)∘(W_g x + b_g) + W_b (x∘x) + c}. */
    T2_4("T2&4", "(W_r x + b_r)∘(W_g x + b_g) + W_b (x∘x) + c"),
    /** Bu and Karpatne's quadratic residual: {@code (W_a x)∘(W_b x) + W_a x + b}, {@code W_a} shared. */
    QRES("QRes", "(W_a x)∘(W_b x) + W_a x + b"),
    /** QuadraLib's neuron: {@code (W_a x)∘(W_b x) + W_c x + b}. */
    PROPOSED("PROPOSED", "(W_a x)∘(W_b x) + W_c x + b");

    private final String displayName;
    private final String formula;

    NeuronType(String displayName, String formula) {
        this.displayName = displayName;
        this.formula = formula;
    }

    /** The name used in the literature and in reports: {@code T1&2}, {@code QRes}, ... */
    public String displayName() {
        return displayName;
    }

    /** The neuron's formula with its bias placement, e.g. {@code (W_a x)∘(W_b x) + W_c x + b}. */
    public String formula() {
        return formula;
    }

    /**
     * True if the formula contains a first-order term that can carry a first-order layer's weights while the
     * quadratic term is zero, i.e. a function-preserving "linear start" exists: T1 (with its linear term), T2_4,
     * QRES and PROPOSED.
     */
    public boolean hasLinearTerm() {
        return this == T1 || this == T2_4 || this == QRES || this == PROPOSED;
    }

    /**
     * Weights per output (biases excluded) for fan-in {@code n}: {@code n² + n} for T1 and T1_2, {@code n} for T2
     * and T3, {@code 2n} for T4 and QRES, {@code 3n} for T2_4 and PROPOSED. T1 is counted with its linear term.
     *
     * @throws IllegalArgumentException if {@code fanIn} is not positive
     */
    public long weightsPerOutput(int fanIn) {
        if (fanIn <= 0) {
            throw new IllegalArgumentException(name() + ": fan-in must be positive, got " + fanIn);
        }
        long n = fanIn;
        return switch (this) {
            case T1, T1_2 -> n * n + n;
            case T2, T3 -> n;
            case T4, QRES -> 2 * n;
            case T2_4, PROPOSED -> 3 * n;
        };
    }

    /**
     * Weights relative to a first-order neuron of the same fan-in: {@link #weightsPerOutput(int)}{@code / n}, so
     * 1, 2 or 3 for the factorised types and {@code n + 1} for T1 and T1_2.
     *
     * @throws IllegalArgumentException if {@code fanIn} is not positive
     */
    public double weightMultiplier(int fanIn) {
        return (double) weightsPerOutput(fanIn) / fanIn;
    }

    /**
     * True if the quadratic term multiplies branch outputs ({@code W x}) with each other, so branch normalisation
     * (a batch norm on each such branch before the product) applies: T3, T4, T2_4, QRES and PROPOSED. T1, T2 and
     * T1_2 square the input itself and have no such branch.
     */
    public boolean hasProductBranches() {
        return productBranches() > 0;
    }

    /** Number of leading stacked branches that enter the product or square (and get branch norm). */
    int productBranches() {
        return switch (this) {
            case T3 -> 1;
            case T4, T2_4, QRES, PROPOSED -> 2;
            case T1, T2, T1_2 -> 0;
        };
    }

    /** True if the formula has a quadratic form {@code xᵀW_a x}. */
    boolean hasQuadraticForm() {
        return this == T1 || this == T1_2;
    }

    /** True if the formula maps the squared input {@code x∘x}. */
    boolean hasSquareBranch() {
        return this == T2 || this == T1_2 || this == T2_4;
    }
}
