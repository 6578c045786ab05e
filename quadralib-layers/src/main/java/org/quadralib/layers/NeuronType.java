package org.quadralib.layers;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The quadratic neuron types QuadraLib implements, for {@link QuadraticLinear} and {@link QuadraticConv2d}.
 * {@code x} is the input vector (linear) or patch (convolution) of {@code n} values, {@code ∘} the element-wise
 * product, and every {@code W} maps {@code n} inputs to one output per row, except a quadratic form's {@code W_a},
 * which holds an {@code n × n} matrix per output.
 *
 * <p><b>A type is a declaration</b> ({@link #declaration()}): its {@linkplain Branch branches} (name, quadratic or
 * linear, initialisation, optional branch bias) and its {@linkplain Term terms} (the product of two branches, a
 * branch, the square branch {@code W (x∘x)}, the quadratic form {@code xᵀW x}, a constant), plus which branch is the
 * linear term. Standard and hybrid back-propagation, masking, MACs, parameter names and groups, the linear start and
 * the converter all read it; adding a type is one more constant here.
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
 * <tr><td>POLY</td><td>{@code (W_a x + b_a)² + b}</td><td>weight_a (q), bias_a (q), bias (l)</td></tr>
 * </table>
 *
 * <p>Bias placement follows the formulas: T2_4, QRES and PROPOSED have their biases where their authors put them; the
 * others have none in their formula, so their optional {@code bias} is added to the output, outside any square or
 * product (as a convolution's bias would be), and is a first-order parameter.
 *
 * <p>The quadratic flag ({@link Parameter#quadratic()}) splits a layer's parameters by the function-preserving
 * decomposition {@code output = linear term + quadratic term}: the linear term is what a converted layer copies
 * the first-order weights into (T1's {@code W_b x + b}, T2_4's {@code W_r x + b_r}, QRES's {@code W_a x + b},
 * PROPOSED's {@code W_c x + b}), and every other weight multiplies a product or a square, so it is quadratic. For
 * T2_4 that puts {@code W_g, b_g, W_b, c} in the quadratic group, exactly the parameters ReLinear (Fan et al.)
 * trains with a smaller learning rate; QRES's shared {@code W_a} carries its linear term, so it is first-order.
 *
 * <p><b>Defaults that train</b> ({@link #trainsWithBranchNorm()}, {@link Branch#norm()}). A type without a linear
 * term has no linear start, and a stack of its layers is homogeneous of degree two per layer: a layer maps an input of
 * scale {@code s} to about {@code k·s²}, so five layers map it to {@code ~s^32}. With PyTorch's U(±1/√n) weights
 * LeNet-5's activations vanish (T4: output rms 1.0 → 0.50 → 0.045 → 0.030 over the first layers, loss stuck at
 * 2.303) or explode (T2: rms 0.87 → 7.2 → 161 at the logits); scaling the initialisation only moves the unstable
 * fixed point. A batch norm on the branch before the nonlinearity makes each layer's scale independent of its
 * input's, so T2, T3 and T4 train with branch norm by default (the converter turns it on), and their norms start so
 * that the layer starts near a normalised first-order layer:
 * <table>
 * <caption>Default initialisation of the types without a linear term (branch norm on)</caption>
 * <tr><th>type</th><th>start</th><th>why</th></tr>
 * <tr><td>T2</td><td>norm on {@code W_a (x∘x)}: γ = 1, β = 0; {@code W_a} from U(±1/√(10n))</td><td>{@code x∘x} of
 * post-ReLU inputs is heavy-tailed; normalising it keeps every layer's output at unit scale, and the smaller weights
 * make up for the quadratic group's 0.1× rate (see {@link Fill})</td></tr>
 * <tr><td>T3</td><td>{@code (W_a x)² + b}</td><td>weight_a (q), bias (l)</td></tr>
 * <tr><td>T4</td><td>{@code (W_a x)∘(W_b x) + b}</td><td>weight_a (q), weight_b (q), bias (l)</td></tr>
 * <tr><td>T1_2</td><td>{@code xᵀW_a x + W_b (x∘x) + b}</td><td>weight_a [out, n, n] (q), weight_b (q), bias (l)</td></tr>
 * <tr><td>T2_4</td><td>{@code (W_r x + b_r)∘(W_g x + b_g) + W_b (x∘x) + c}</td><td>weight_r (l), bias_r (l), weight_g (q),
 * bias_g (q), weight_b (q), bias = c (q)</td></tr>
 * <tr><td>QRES</td><td>{@code (W_a x)∘(W_b x) + W_a x + b}</td><td>weight_a (l, shared), weight_b (q), bias (l)</td></tr>
 * <tr><td>PROPOSED</td><td>{@code (W_a x)∘(W_b x) + W_c x + b}</td><td>weight_a (q), weight_b (q), weight_c (l), bias (l)</td></tr>
 * <tr><td>POLY</td><td>{@code (W_a x + b_a)² + b}</td><td>weight_a (q), bias_a (q), bias (l)</td></tr>
 * </table>
 *
 * <p>Bias placement follows the formulas: T2_4, QRES and PROPOSED have their biases where their authors put them; the
 * others have none in their formula, so their optional {@code bias} is added to the output, outside any square or
 * product (as a convolution's bias would be), and is a first-order parameter.
 *
 * <p>The quadratic flag ({@link Parameter#quadratic()}) splits a layer's parameters by the function-preserving
 * decomposition {@code output = linear term + quadratic term}: the linear term is what a converted layer copies
 * the first-order weights into (T1's {@code W_b x + b}, T2_4's {@code W_r x + b_r}, QRES's {@code W_a x + b},
 * PROPOSED's {@code W_c x + b}), and every other weight multiplies a product or a square, so it is quadratic. For
 * T2_4 that puts {@code W_g, b_g, W_b, c} in the quadratic group, exactly the parameters ReLinear (Fan et al.)
 * trains with a smaller learning rate; QRES's shared {@code W_a} carries its linear term, so it is first-order.
 *
 * <p><b>Defaults that train</b> ({@link #trainsWithBranchNorm()}, {@link Branch#norm()}). A type without a linear
 * term has no linear start, and a stack of its layers is homogeneous of degree two per layer: a layer maps an input of
 * scale {@code s} to about {@code k·s²}, so five layers map it to {@code ~s^32}. With PyTorch's U(±1/√n) weights
 * LeNet-5's activations vanish (T4: output rms 1.0 → 0.50 → 0.045 → 0.030 over the first layers, loss stuck at
 * 2.303) or explode (T2: rms 0.87 → 7.2 → 161 at the logits); scaling the initialisation only moves the unstable
 * fixed point. A batch norm on the branch before the nonlinearity makes each layer's scale independent of its
 * input's, so T2, T3 and T4 train with branch norm by default (the converter turns it on), and their norms start so
 * that the layer starts near a normalised first-order layer:
 * <table>
 * <caption>Default initialisation of the types without a linear term (branch norm on)</caption>
 * <tr><th>type</th><th>start</th><th>why</th></tr>
 * <tr><td>T2</td><td>norm on {@code W_a (x∘x)}: γ = 1, β = 0</td><td>{@code x∘x} of post-ReLU inputs is heavy-tailed;
 * normalising it keeps every layer's output at unit scale</td></tr>
 * <tr><td>T3</td><td>γ = 0.5, β = 1: {@code (1 + x̂/2)² = 1 + x̂ + x̂²/4}</td><td>a square of a zero-mean branch is
 * even in it (no sign reaches the next layer); shifted, the square starts nearly linear</td></tr>
 * <tr><td>T4</td><td>norm_a γ = 1, β = 0; norm_b γ = 0, β = 1: {@code BN(W_a x)·1}</td><td>one factor starts at the
 * constant 1, so the layer starts as a normalised first-order one; {@code W_b} learns through γ_b</td></tr>
 * <tr><td>POLY</td><td>{@code b_a = 1}: {@code (W_a x + 1)² = 1 + 2 W_a x + (W_a x)²}</td><td>the kernel's offset
 * makes the square nearly linear at small {@code W_a x}; no norm needed</td></tr>
 * </table>
 * Measured on LeNet-5 on the embedded Fashion-MNIST sample with SGD 0.01, momentum 0.9, quadratic weights at 0.1×:
 * before, 300 steps of batch 64 left T2 at 10.4%, T3 at 29.6% and T4 at 10.4% test accuracy; with these defaults
 * {@code TypesTrainTest} in {@code examples} (300 steps of batch 16) reaches T2 56%, T3 82%, T4 80% and POLY 78%, and
 * keeps every type above 40%.
 */
public enum NeuronType {
    /** Quadratic form plus an optional linear term: {@code xᵀW_a x + W_b x + b}, n² (+ n) weights per output. */
    T1("T1", "xᵀW_a x + W_b x + b", new Declaration(
            List.of(Branch.quadratic("a").zeroAtLinearStart(), Branch.linear("b").asOptional()),
            List.of(new Term.Form("a"), new Term.Linear("b"), Term.Constant.LINEAR), "b", false)),
    /** Linear map of the squared input: {@code W_a (x∘x) + b}. */
    T2("T2", "W_a (x∘x) + b", new Declaration(
            List.of(Branch.quadratic("a").startingAt(Fill.UNIFORM_BEFORE_NORM)),
            List.of(new Term.Square("a", true), Term.Constant.LINEAR), null, true)),
    /** Square of a linear map: {@code (W_a x)² + b}. */
    T3("T3", "(W_a x)² + b", new Declaration(
            List.of(Branch.quadratic("a").withNorm(0.5f, 1f)),
            List.of(new Term.Product("a", "a"), Term.Constant.LINEAR), null, true)),
    /** Product of two linear maps: {@code (W_a x)∘(W_b x) + b}. */
    T4("T4", "(W_a x)∘(W_b x) + b", new Declaration(
            List.of(Branch.quadratic("a"), Branch.quadratic("b").withNorm(0f, 1f)),
            List.of(new Term.Product("a", "b"), Term.Constant.LINEAR), null, true)),
    /** Quadratic form plus a map of the squared input: {@code xᵀW_a x + W_b (x∘x) + b}. */
    T1_2("T1&2", "xᵀW_a x + W_b (x∘x) + b", new Declaration(
            List.of(Branch.quadratic("a"), Branch.quadratic("b")),
            List.of(new Term.Form("a"), new Term.Square("b", false), Term.Constant.LINEAR), null, false)),
    /** Fan et al.'s neuron: {@code (W_r x + b_r)∘(W_g x + b_g) + W_b (x∘x) + c}. */
    T2_4("T2&4", "(W_r x + b_r)∘(W_g x + b_g) + W_b (x∘x) + c", new Declaration(
            // ReLinear's start: (W_r x + b_r)·(0·x + 1) + 0·(x∘x) + 0 = W_r x + b_r.
            List.of(Branch.linear("r").withBias(false, Fill.UNIFORM, Fill.UNIFORM),
                    Branch.quadratic("g").zeroAtLinearStart().withBias(true, Fill.UNIFORM, Fill.ONE),
                    Branch.quadratic("b").zeroAtLinearStart()),
            List.of(new Term.Product("r", "g"), new Term.Square("b", false), Term.Constant.QUADRATIC), "r", false)),
    /** Bu and Karpatne's quadratic residual: {@code (W_a x)∘(W_b x) + W_a x + b}, {@code W_a} shared. */
    QRES("QRes", "(W_a x)∘(W_b x) + W_a x + b", new Declaration(
            List.of(Branch.linear("a"), Branch.quadratic("b").zeroAtLinearStart()),
            List.of(new Term.Product("a", "b"), new Term.Linear("a"), Term.Constant.LINEAR), "a", false)),
    /** QuadraLib's neuron: {@code (W_a x)∘(W_b x) + W_c x + b}. */
    PROPOSED("PROPOSED", "(W_a x)∘(W_b x) + W_c x + b", new Declaration(
            // W_a stays non-zero at a linear start: with both factors zero neither would ever get a gradient.
            List.of(Branch.quadratic("a"), Branch.quadratic("b").zeroAtLinearStart(), Branch.linear("c")),
            List.of(new Term.Product("a", "b"), new Term.Linear("c"), Term.Constant.LINEAR), "c", false)),
    /**
     * The polynomial kernel of degree 2 of Wang et al.'s kervolution ("Kervolutional Neural Networks", CVPR 2019),
     * {@code κ(x, w) = (xᵀw + c_p)²} with a learnable offset per output: {@code (W_a x + b_a)² + b}. Without a
     * linear term it has no linear start; its offset starts at 1, so the square starts nearly linear.
     */
    POLY("Poly", "(W_a x + b_a)² + b", new Declaration(
            List.of(Branch.quadratic("a").withBias(true, Fill.ONE, Fill.ONE).withoutNorm()),
            List.of(new Term.Product("a", "a"), Term.Constant.LINEAR), null, false));

    /**
     * How a weight or bias starts: U(±1/√n) (PyTorch's default for fan-in n), zeros or ones; or, for a weight whose
     * branch a norm follows, U(±1/√(10n)) ({@code UNIFORM_BEFORE_NORM}): the norm makes the layer invariant to the
     * weight's scale, which then only sets its effective learning rate (∝ lr/|W|²), and √10 smaller makes up for the
     * quadratic group's 0.1× rate.
     */
    public enum Fill { UNIFORM, UNIFORM_BEFORE_NORM, ZERO, ONE }

    /**
     * One projection of the input: weight {@code weight_<name>}, optionally its own bias {@code bias_<name>} (added
     * before the product it enters), and how a branch norm on it ({@code norm_<name>}) starts.
     *
     * @param name the branch's letter: {@code a}, {@code b}, ... ({@code r}, {@code g} for T2&amp;4)
     * @param quadratic the weight's {@link Parameter#quadratic()} flag
     * @param init the weight's start
     * @param linearStartInit the weight's start under {@link QuadraticOptions#linearStart()}
     * @param bias the branch bias, or null for none
     * @param norm γ and β a branch norm on this branch starts from ({@code {1, 0}} as a fresh batch norm), or null if
     *     branch norm does not apply to it (POLY: a norm would cancel the kernel's offset)
     * @param optional true if {@link QuadraticOptions#linearTerm()} {@code = false} drops the branch (T1's linear term)
     */
    public record Branch(String name, boolean quadratic, Fill init, Fill linearStartInit, BranchBias bias, float[] norm,
                         boolean optional) {

        /** @throws NullPointerException if the name or a fill is null */
        public Branch {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(init, "init");
            Objects.requireNonNull(linearStartInit, "linearStartInit");
            norm = norm == null ? null : norm.clone();
        }

        /** A quadratic branch with U(±1/√n) weights. */
        static Branch quadratic(String name) {
            return new Branch(name, true, Fill.UNIFORM, Fill.UNIFORM, null, new float[] {1f, 0f}, false);
        }

        /** A first-order branch with U(±1/√n) weights. */
        static Branch linear(String name) {
            return new Branch(name, false, Fill.UNIFORM, Fill.UNIFORM, null, new float[] {1f, 0f}, false);
        }

        Branch startingAt(Fill fill) {
            return new Branch(name, quadratic, fill, linearStartInit, bias, norm, optional);
        }

        Branch zeroAtLinearStart() {
            return new Branch(name, quadratic, init, Fill.ZERO, bias, norm, optional);
        }

        Branch asOptional() {
            return new Branch(name, quadratic, init, linearStartInit, bias, norm, true);
        }

        Branch withBias(boolean biasQuadratic, Fill biasInit, Fill biasAtLinearStart) {
            return new Branch(name, quadratic, init, linearStartInit, new BranchBias(biasQuadratic, biasInit, biasAtLinearStart), norm,
                    optional);
        }

        Branch withoutNorm() {
            return new Branch(name, quadratic, init, linearStartInit, bias, null, optional);
        }

        Branch withNorm(float gamma, float beta) {
            return new Branch(name, quadratic, init, linearStartInit, bias, new float[] {gamma, beta}, optional);
        }

        /** The weight's parameter name, {@code weight_<name>}. */
        public String weightName() {
            return "weight_" + name;
        }

        /** γ and β a branch norm on this branch starts from, or null if branch norm does not apply to it. */
        @Override
        public float[] norm() {
            return norm == null ? null : norm.clone();
        }
    }

    /**
     * A branch's own bias.
     *
     * @param quadratic its {@link Parameter#quadratic()} flag
     * @param init its start
     * @param linearStartInit its start under {@link QuadraticOptions#linearStart()}
     */
    public record BranchBias(boolean quadratic, Fill init, Fill linearStartInit) {
    }

    /** One term of the output; the output is the sum of the terms, in declaration order. */
    public sealed interface Term {
        /**
         * The product {@code v_a ∘ v_b} of two branches (the same one for a square), each {@code v} the branch's
         * projection of x plus its bias, through its norm.
         *
         * @param a the first branch's name
         * @param b the second branch's name
         */
        record Product(String a, String b) implements Term {
        }

        /**
         * A branch's projection {@code W x} itself (no bias, no norm), e.g. PROPOSED's {@code W_c x}.
         *
         * @param branch the branch's name
         */
        record Linear(String branch) implements Term {
        }

        /**
         * The square branch {@code W (x∘x)}, through its norm if it is normalised.
         *
         * @param branch the branch's name
         * @param normalised whether branch norm, when on, normalises it (T2, whose only term it is); where a product
         *     carries the nonlinearity (T2&amp;4) only the product's branches are normalised
         */
        record Square(String branch, boolean normalised) implements Term {
        }

        /**
         * The quadratic form {@code xᵀW x}, {@code W [out, n, n]}.
         *
         * @param branch the branch's name
         */
        record Form(String branch) implements Term {
        }

        /**
         * The output bias {@code bias} (when the options have biases): first-order or, for T2&amp;4's {@code c},
         * quadratic; U(±1/√n), zero at a linear start when quadratic.
         *
         * @param quadratic its {@link Parameter#quadratic()} flag
         */
        record Constant(boolean quadratic) implements Term {
            /** A first-order output bias. */
            public static final Constant LINEAR = new Constant(false);
            /** A quadratic output bias. */
            public static final Constant QUADRATIC = new Constant(true);
        }
    }

    /**
     * A neuron type's declaration. Invariants (checked when the type is declared): every term names a declared
     * branch; a square or form branch enters no other term; at most one product, whose branches are the first
     * branches declared (the engine stacks them first); branch biases only on product branches; beside a quadratic
     * form at most one branch projects x; the linear branch, if any, enters a term.
     *
     * @param branches the branches in registration order (each weight, then its bias; the constant comes last)
     * @param terms the terms whose sum is the output
     * @param linearBranch the branch carrying the linear term (what a converted layer's weights go into), or null
     * @param trainsWithBranchNorm whether the type trains with branch norm by default (see the class comment)
     */
    public record Declaration(List<Branch> branches, List<Term> terms, String linearBranch, boolean trainsWithBranchNorm) {

        /** @throws IllegalArgumentException naming the broken invariant */
        public Declaration {
            branches = List.copyOf(branches);
            terms = List.copyOf(terms);
            List<String> names = branches.stream().map(Branch::name).toList();
            int products = 0;
            for (Term t : terms) {
                for (String b : branchesOf(t)) {
                    if (!names.contains(b)) {
                        throw new IllegalArgumentException("NeuronType declaration: term " + t + " names no declared branch " + names);
                    }
                }
                if (t instanceof Term.Product p) {
                    products++;
                    int lead = p.a().equals(p.b()) ? 1 : 2;
                    if (names.indexOf(p.a()) >= lead || names.indexOf(p.b()) >= lead) {
                        throw new IllegalArgumentException("NeuronType declaration: the product's branches must be declared first, got "
                                + p + " over " + names);
                    }
                }
            }
            if (products > 1) {
                throw new IllegalArgumentException("NeuronType declaration: at most one product term, got " + terms);
            }
            for (Branch b : branches) {
                long uses = terms.stream().filter(t -> branchesOf(t).contains(b.name())).count();
                boolean special = terms.stream().anyMatch(t -> (t instanceof Term.Square || t instanceof Term.Form)
                        && branchesOf(t).contains(b.name()));
                if (uses == 0 || special && uses > 1) {
                    throw new IllegalArgumentException("NeuronType declaration: branch " + b.name() + " must enter one term, or a product"
                            + " and the output; a square or form branch enters only its own term: " + terms);
                }
                if (b.bias() != null && terms.stream().noneMatch(t -> t instanceof Term.Product && branchesOf(t).contains(b.name()))) {
                    throw new IllegalArgumentException("NeuronType declaration: branch " + b.name() + " has a bias but enters no product");
                }
            }
            boolean form = terms.stream().anyMatch(t -> t instanceof Term.Form);
            List<Term> declared = terms;
            long projected = branches.stream().filter(b -> declared.stream().noneMatch(t -> t instanceof Term.Square
                    && branchesOf(t).contains(b.name()))).count();
            if (form && projected > 2) {
                throw new IllegalArgumentException("NeuronType declaration: beside a quadratic form at most one branch projects x, got "
                        + branches.stream().map(Branch::name).toList());
            }
            if (linearBranch != null && !terms.contains(new Term.Linear(linearBranch))
                    && terms.stream().noneMatch(t -> t instanceof Term.Product && branchesOf(t).contains(linearBranch))) {
                throw new IllegalArgumentException("NeuronType declaration: linear branch " + linearBranch + " enters no term");
            }
        }

        /** The branch named {@code name}. */
        Branch branch(String name) {
            for (Branch b : branches) {
                if (b.name().equals(name)) {
                    return b;
                }
            }
            throw new IllegalArgumentException("NeuronType declaration: no branch " + name + " in " + branches);
        }

        /** The term of class {@code kind}, or null. */
        <T extends Term> T term(Class<T> kind) {
            for (Term t : terms) {
                if (kind.isInstance(t)) {
                    return kind.cast(t);
                }
            }
            return null;
        }

        private static List<String> branchesOf(Term t) {
            if (t instanceof Term.Product p) {
                return List.of(p.a(), p.b());
            }
            if (t instanceof Term.Linear l) {
                return List.of(l.branch());
            }
            if (t instanceof Term.Square sq) {
                return List.of(sq.branch());
            }
            return t instanceof Term.Form f ? List.of(f.branch()) : List.of();
        }
    }

    private final String displayName;
    private final String formula;
    private final Declaration declaration;

    NeuronType(String displayName, String formula, Declaration declaration) {
        this.displayName = displayName;
        this.formula = formula;
        this.declaration = declaration;
    }

    /** The name used in the literature and in reports: {@code T1&2}, {@code QRes}, ... */
    public String displayName() {
        return displayName;
    }

    /** The neuron's formula with its bias placement, e.g. {@code (W_a x)∘(W_b x) + W_c x + b}. */
    public String formula() {
        return formula;
    }

    /** The type's branches and terms. */
    public Declaration declaration() {
        return declaration;
    }

    /**
     * True if the formula contains a first-order term that can carry a first-order layer's weights while the
     * quadratic term is zero, i.e. a function-preserving "linear start" exists: T1 (with its linear term), T2_4,
     * QRES and PROPOSED.
     */
    public boolean hasLinearTerm() {
        return declaration.linearBranch() != null;
    }

    /**
     * Weights per output (biases excluded) for fan-in {@code n}: {@code n²} per quadratic form and {@code n} per other
     * branch, so {@code n² + n} for T1 and T1_2, {@code n} for T2, T3 and POLY, {@code 2n} for T4 and QRES, {@code 3n}
     * for T2_4 and PROPOSED. T1 is counted with its linear term.
     *
     * @throws IllegalArgumentException if {@code fanIn} is not positive
     */
    public long weightsPerOutput(int fanIn) {
        if (fanIn <= 0) {
            throw new IllegalArgumentException(name() + ": fan-in must be positive, got " + fanIn);
        }
        long n = fanIn;
        long w = 0;
        for (Branch b : declaration.branches()) {
            w += isForm(b.name()) ? n * n : n;
        }
        return w;
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
     * Multiply-accumulates per output element for fan-in {@code n}, by the convention of one MAC per use of a weight:
     * {@code n} per projected branch, {@code n² + n} per quadratic form ({@code W_a x}, then its dot product with x),
     * and one for the element-wise product (the product and the addition of the other terms form one multiply-add).
     * T1 {@code n² + 2n} ({@code n² + n} without its linear term), T2 {@code n}, T3 {@code n + 1}, T4 and QRes
     * {@code 2n + 1}, T1&amp;2 {@code n² + 2n}, T2&amp;4 and PROPOSED {@code 3n + 1}, POLY {@code n + 1}. The square
     * {@code x∘x} costs one MAC per input element on top ({@link #squaresInput()}).
     *
     * @param withOptional whether the optional branch (T1's linear term) is part of the layer
     */
    public long macsPerOutput(long n, boolean withOptional) {
        long m = declaration.term(Term.Product.class) != null ? 1 : 0;
        for (Branch b : declaration.branches()) {
            if (withOptional || !b.optional()) {
                m += isForm(b.name()) ? n * n + n : n;
            }
        }
        return m;
    }

    /** True if the formula maps the squared input {@code x∘x} (T2, T1_2, T2_4). */
    public boolean squaresInput() {
        return declaration.term(Term.Square.class) != null;
    }

    /**
     * True if the quadratic term multiplies branch outputs ({@code W x}) with each other: T3, T4, T2_4, QRES, PROPOSED
     * and POLY. T1, T2 and T1_2 square the input itself and have no such branch.
     */
    public boolean hasProductBranches() {
        return declaration.term(Term.Product.class) != null;
    }

    /**
     * True if branch normalisation applies: a batch norm on each product branch before the product, or on T2's square
     * branch {@code W (x∘x)}. Every type but T1 and T1_2, whose quadratic forms have no branch output to normalise,
     * and POLY, whose offset a norm would cancel.
     */
    public boolean supportsBranchNorm() {
        return !normalisedBranches().isEmpty();
    }

    /**
     * True if the type trains with branch norm by default (T2, T3, T4: no linear term, homogeneous of degree two; see
     * the class comment); the converter turns branch norm on for them unless its policy says otherwise.
     */
    public boolean trainsWithBranchNorm() {
        return declaration.trainsWithBranchNorm();
    }

    /**
     * True if the linear start sets a branch bias to 1 (T2_4's {@code b_g}, so that {@code W_g x + b_g = 1}), so that a
     * linear start needs biases even where the first-order layer has none.
     */
    public boolean linearStartNeedsBias() {
        return hasLinearTerm() && declaration.branches().stream()
                .anyMatch(b -> b.bias() != null && b.bias().linearStartInit() == Fill.ONE);
    }

    /** The branches a branch norm normalises: the product's, then a normalised square branch. */
    List<String> normalisedBranches() {
        List<String> out = new ArrayList<>();
        for (String b : productBranchNames()) {
            if (declaration.branch(b).norm() != null) {
                out.add(b);
            }
        }
        Term.Square sq = declaration.term(Term.Square.class);
        if (sq != null && sq.normalised()) {
            out.add(sq.branch());
        }
        return Collections.unmodifiableList(out);
    }

    /** The distinct branches of the product (leading the stack), or none. */
    List<String> productBranchNames() {
        Term.Product p = declaration.term(Term.Product.class);
        if (p == null) {
            return List.of();
        }
        return p.a().equals(p.b()) ? List.of(p.a()) : List.of(p.a(), p.b());
    }

    /** True if the formula has a quadratic form {@code xᵀW_a x}. */
    boolean hasQuadraticForm() {
        return declaration.term(Term.Form.class) != null;
    }

    /** True if branch {@code name} is a quadratic form. */
    boolean isForm(String name) {
        Term.Form f = declaration.term(Term.Form.class);
        return f != null && f.branch().equals(name);
    }

    /** True if branch {@code name} projects the squared input. */
    boolean isSquare(String name) {
        Term.Square s = declaration.term(Term.Square.class);
        return s != null && s.branch().equals(name);
    }
}
