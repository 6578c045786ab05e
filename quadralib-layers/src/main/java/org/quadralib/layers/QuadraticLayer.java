package org.quadralib.layers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntFunction;

import org.quadralib.core.F;
import org.quadralib.core.GradMode;
import org.quadralib.core.Shapes;
import org.quadralib.core.Tensor;
import org.quadralib.layers.QuadraticOptions.BackpropMode;

/**
 * What {@link QuadraticLinear} and {@link QuadraticConv2d} share: the parameters of a {@link NeuronType}, their
 * initialisation, the two back-propagation modes, branch normalisation, masking of the quadratic term and the
 * accessors the converter and the optimizer use.
 *
 * <p><b>Computation.</b> The branches that read the same input are one projection against stacked weights (one
 * GEMM, or one im2col and one GEMM per image and group): PROPOSED stacks {@code [W_a; W_b; W_c]} into one layer of
 * {@code 3·out} outputs and splits the result with views. Types that map the squared input (T2, T1_2, T2_4) run a
 * second projection on {@code x∘x}. T1 and T1_2 project with {@code W_a} as {@code n} rows per output
 * ({@code (W_a x)_{o,i}}) and reduce against the patch; a convolution gets its patches from {@code n} identity rows
 * stacked onto the same weight, so the form, the linear term and the patches come out of one im2col.
 *
 * <p><b>Back-propagation</b> ({@link QuadraticOptions#mode()}). {@link BackpropMode#HYBRID}: one hand-written
 * autograd function saves only the layer input (plus per-channel branch-norm statistics) and recomputes the
 * stacked branch outputs it needs in backward (PROPOSED: the two product branches, not the linear one); a
 * quadratic layer then saves what a first-order layer of the same shape saves. {@link BackpropMode#STANDARD}: the formula composed of autograd ops, which save the branch outputs. Both
 * give the same values and gradients. Under {@link GradMode#noGrad()} a layer without branch norms runs the
 * hybrid mode's fused forward in either mode (nothing is recorded, so the modes do not differ there); inside an
 * {@link org.quadralib.core.InferenceMode} scope that forward also keeps its stacked weights in the layout its GEMM or
 * convolution reads, for every batch of the scope. In hybrid mode the branch norms' own forward hooks do not run: their
 * arithmetic is part of the layer's function.
 *
 * <p><b>Masking.</b> {@link #quadraticTermMasked(boolean)} makes forward compute the linear term only (the
 * quadratic term set to zero, deterministically): {@code W_c x + b} for PROPOSED, {@code W_a x + b} for QRES,
 * {@code W_r x + b_r} for T2_4, {@code W_b x + b} for T1, and the output bias alone for the types without a linear
 * term. Branch norms are skipped, so their running statistics do not move.
 */
public abstract class QuadraticLayer extends Module {

    /**
     * Largest {@code out·n²} a quadratic form (T1, T1_2) may hold: 16 M weights (64 MiB). Beyond it construction
     * fails instead of allocating gigabytes.
     */
    public static final long MAX_QUADRATIC_FORM_WEIGHTS = 16L * 1024 * 1024;

    private final NeuronType type;
    private final QuadraticOptions options;
    private final int outputs;
    private final int groups;
    private final int fanIn;
    /** The weights projecting x (a quadratic form included), in declaration order: the stack's slots. */
    private final List<Tensor> stacked = new ArrayList<>();
    /** Each slot's branch bias, or null. */
    private final List<Tensor> slotBias = new ArrayList<>();
    /** Slots that enter the output directly (a branch term, or a quadratic form's value). */
    private final int[] addedSlots;
    /** The product's slots (equal for a square), or -1. */
    private final int productA;
    private final int productB;
    /** The slot of the linear term, or -1. */
    private final int linearSlot;
    private Tensor squareWeight;
    private Tensor outputBias;
    /** Branch norms of the product's distinct slots, in slot order. */
    private final BatchNorm[] norms;
    private BatchNorm squareNorm;
    private final Tensor linearWeight;
    private final Tensor linearBias;
    private volatile boolean masked;
    /** Chunk budget of the quadratic form's transient projection; tests lower it to run several chunks. */
    int formChunkFloats = QuadraticEngine.FORM_CHUNK_FLOATS;
    /** Chunk budget of the hybrid mode's branch values; tests lower it to run several chunks. */
    int branchChunkFloats = QuadraticEngine.BRANCH_CHUNK_FLOATS;

    /**
     * Registers and initialises the parameters of {@code type}, as its {@linkplain NeuronType#declaration()
     * declaration} lists them.
     *
     * @param spec how messages name the layer before it has a path, e.g. {@code QuadraticLinear(in=4, out=3, T1)}
     * @param outputs output features or channels
     * @param groups channel groups (1 for a linear layer)
     * @param fanIn n: inputs per output ({@code in}, or {@code in/groups·kh·kw})
     * @param weightShape the shape of one first-order weight, {@code [out, in]} or {@code [out, in/groups, kh, kw]}
     * @param normFactory a batch norm over {@code out} channels of a branch output
     * @throws IllegalArgumentException naming the layer if the options do not fit the type, or if a quadratic form
     *     would exceed {@link #MAX_QUADRATIC_FORM_WEIGHTS}
     */
    QuadraticLayer(String spec, NeuronType type, QuadraticOptions options, int outputs, int groups, int fanIn, int[] weightShape,
            IntFunction<BatchNorm> normFactory) {
        this.type = Objects.requireNonNull(type, "type");
        this.options = Objects.requireNonNull(options, "options");
        this.outputs = outputs;
        this.groups = groups;
        this.fanIn = fanIn;
        validate(spec);
        NeuronType.Declaration dec = type.declaration();
        boolean start = options.linearStart();
        List<String> slotNames = new ArrayList<>();
        // Registration order is the state-dict order and the order weights draw from Init's generator.
        for (NeuronType.Branch b : dec.branches()) {
            if (b.optional() && !options.linearTerm()) {
                continue;
            }
            int[] shape = type.isForm(b.name()) ? new int[] {outputs, fanIn, fanIn} : weightShape;
            Tensor w = registerParameter(b.weightName(), parameterTensor(shape), b.quadratic());
            fill(w, start ? b.linearStartInit() : b.init());
            Tensor bias = null;
            if (b.bias() != null && options.bias()) {
                bias = registerParameter("bias_" + b.name(), parameterTensor(outputs), b.bias().quadratic());
                fill(bias, start ? b.bias().linearStartInit() : b.bias().init());
            }
            if (type.isSquare(b.name())) {
                squareWeight = w;
            } else {
                stacked.add(w);
                slotBias.add(bias);
                slotNames.add(b.name());
            }
        }
        NeuronType.Term.Constant constant = dec.term(NeuronType.Term.Constant.class);
        if (constant != null && options.bias()) {
            outputBias = registerParameter("bias", parameterTensor(outputs), constant.quadratic());
            fill(outputBias, start && constant.quadratic() ? NeuronType.Fill.ZERO : NeuronType.Fill.UNIFORM);
        }
        NeuronType.Term.Product product = dec.term(NeuronType.Term.Product.class);
        productA = product == null ? -1 : slotNames.indexOf(product.a());
        productB = product == null ? -1 : slotNames.indexOf(product.b());
        List<Integer> added = new ArrayList<>();
        for (NeuronType.Term t : dec.terms()) {
            String name = t instanceof NeuronType.Term.Linear l ? l.branch() : t instanceof NeuronType.Term.Form f ? f.branch() : null;
            if (name != null && slotNames.contains(name)) {
                added.add(slotNames.indexOf(name));
            }
        }
        addedSlots = added.stream().mapToInt(Integer::intValue).toArray();
        linearSlot = dec.linearBranch() == null ? -1 : slotNames.indexOf(dec.linearBranch());
        linearWeight = linearSlot < 0 ? null : stacked.get(linearSlot);
        // The linear term's bias: its branch's own (T2_4's b_r), else the output bias.
        boolean ownBias = linearSlot >= 0 && dec.branch(dec.linearBranch()).bias() != null;
        linearBias = ownBias ? slotBias.get(linearSlot) : outputBias;
        List<String> productNames = type.productBranchNames();
        norms = new BatchNorm[productNames.size()];
        if (options.branchNorm()) {
            for (int k = 0; k < norms.length; k++) {
                if (dec.branch(productNames.get(k)).norm() != null) {
                    norms[k] = norm(productNames.get(k), normFactory);
                }
            }
            NeuronType.Term.Square square = dec.term(NeuronType.Term.Square.class);
            if (square != null && square.normalised()) {
                squareNorm = norm(square.branch(), normFactory);
            }
        }
    }

    /** Registers {@code norm_<branch>}, its γ and β as the branch's declaration starts them. */
    private BatchNorm norm(String branch, IntFunction<BatchNorm> normFactory) {
        BatchNorm n = registerModule("norm_" + branch, normFactory.apply(outputs));
        float[] affine = type.declaration().branch(branch).norm();
        Init.constant(n.weight(), affine[0]);
        Init.constant(n.bias(), affine[1]);
        return n;
    }

    private void validate(String spec) {
        String head = spec + ": ";
        NeuronType.Declaration dec = type.declaration();
        if (options.branchNorm() && !type.supportsBranchNorm()) {
            throw new IllegalArgumentException(head + "branchNorm normalises branch outputs before their product or the square branch, and "
                    + type.name() + " (" + type.formula() + ") has none");
        }
        boolean optional = dec.branches().stream().anyMatch(NeuronType.Branch::optional);
        if (!options.linearTerm() && !optional) {
            List<String> withOptional = new ArrayList<>();
            for (NeuronType t : NeuronType.values()) {
                if (t.declaration().branches().stream().anyMatch(NeuronType.Branch::optional)) {
                    withOptional.add(t.name());
                }
            }
            throw new IllegalArgumentException(head + "linearTerm=false is only for " + String.join(", ", withOptional)
                    + ", whose linear term is optional; " + type.name() + " is " + type.formula());
        }
        if (options.linearStart()) {
            boolean dropped = type.hasLinearTerm() && dec.branch(dec.linearBranch()).optional() && !options.linearTerm();
            if (!type.hasLinearTerm() || dropped) {
                throw new IllegalArgumentException(head + "linearStart needs a linear term to start from; " + type.name() + " ("
                        + (options.linearTerm() ? type.formula() : "xᵀW_a x + b") + ") has none");
            }
            for (NeuronType.Branch b : dec.branches()) {
                if (b.bias() == null || b.bias().linearStartInit() != NeuronType.Fill.ONE) {
                    continue;
                }
                // A branch that starts at the constant 1 carries the linear start: it needs its bias, unnormalised.
                if (!options.bias()) {
                    throw new IllegalArgumentException(head + type.name() + "'s linear start sets b_" + b.name() + " = 1, so it needs bias=true");
                }
                if (options.branchNorm()) {
                    throw new IllegalArgumentException(head + type.name() + "'s linear start relies on the constant branch W_" + b.name()
                            + " x + b_" + b.name() + " = 1, which branchNorm would normalise to 0");
                }
            }
        }
        if (type.hasQuadraticForm()) {
            long weights = (long) outputs * fanIn * fanIn;
            if (weights > MAX_QUADRATIC_FORM_WEIGHTS) {
                throw new IllegalArgumentException(head + "the quadratic form xᵀW_a x needs out·n² = " + outputs + "·" + fanIn + "² = "
                        + weights + " weights (n = " + fanIn + " inputs per output), more than the limit of " + MAX_QUADRATIC_FORM_WEIGHTS
                        + " (QuadraticLayer.MAX_QUADRATIC_FORM_WEIGHTS); use fewer inputs per output, more groups or a factorised type"
                        + " such as T4 or PROPOSED");
            }
        }
    }

    /**
     * Fills a parameter: U(±1/√n), PyTorch's default for a first-order weight or bias of fan-in n (and
     * {@code nn.Bilinear}'s, the reference T1, for a quadratic form's entries), zeros or ones.
     */
    private void fill(Tensor t, NeuronType.Fill how) {
        // The bound of U(±bound), or 0 for a constant; parameterTensor is zero-filled.
        double bound = switch (how) {
            case UNIFORM -> 1 / Math.sqrt(fanIn);
            case UNIFORM_BEFORE_NORM -> 1 / Math.sqrt(10.0 * fanIn);
            case ZERO, ONE -> 0;
        };
        if (bound > 0) {
            Init.uniform(t, (float) -bound, (float) bound);
        } else if (how == NeuronType.Fill.ONE) {
            Init.constant(t, 1f);
        }
    }

    // ------------------------------------------------------------------ forward

    /** Checks the input shape (throwing {@link ShapeMismatchException} naming the path) and binds the geometry. */
    abstract QuadraticProjection projection(Tensor x);

    /** The output shape for input {@code x} and the bound projection. */
    abstract int[] outputShape(Tensor x, QuadraticProjection p);

    /** The input as the projection sees it under autograd: {@code [rows, in]} or {@code [N, C, H, W]}. */
    abstract Tensor standardInput(Tensor x);

    /** Standard mode's stacked projection under autograd: {@code [rows, R]} or {@code [N, R, oH, oW]}. */
    abstract Tensor standardProject(Tensor input, Tensor stackedWeight, int rowsPerGroup);

    /** The first-order output shape of standard mode's computation, {@code [rows, out]} or {@code [N, out, oH, oW]}. */
    abstract int[] standardShape(Tensor input, QuadraticProjection p);

    /** Broadcasts a per-channel vector {@code [out]} against {@link #standardShape}. */
    abstract Tensor perChannel(Tensor v);

    /**
     * Runs the neuron on {@code x}, in the layer's back-propagation mode.
     *
     * @throws ShapeMismatchException naming this layer's path, the expected and the actual input shape
     */
    @Override
    protected final Tensor compute(Tensor x) {
        QuadraticProjection p = projection(x);
        boolean mask = masked;
        // With nothing to record, both modes compute the same forward and the fused one is faster; branch norms
        // keep the standard path there, where their own forward hooks run.
        boolean fused = options.mode() == BackpropMode.HYBRID
                || (!GradMode.isEnabled() && branchNorms().isEmpty());
        if (fused) {
            List<Tensor> inputs = new ArrayList<>();
            inputs.add(x);
            inputs.addAll(parameters());
            return new HybridQuadraticFunction(this, p, mask, outputShape(x, p)).apply(inputs.toArray(new Tensor[0]));
        }
        Tensor y = standard(standardInput(x), p, mask);
        return y.reshape(outputShape(x, p));
    }

    /** The formula composed of autograd ops: the declaration's terms, summed in order. */
    private Tensor standard(Tensor in, QuadraticProjection p, boolean mask) {
        int[] shape = standardShape(in, p);
        int outG = outputs / groups;
        if (mask) {
            // The linear term alone, W_lin x + b_lin: the quadratic weights take no part (and get no gradient).
            Tensor linear = linearWeight == null ? null
                    : standardProject(in, standardStack(false, List.of(linearWeight), outG, p.patch), outG).reshape(shape);
            if (linearBias != null) {
                linear = linear == null ? perChannel(linearBias).expand(shape) : linear.add(perChannel(linearBias));
            }
            return linear == null ? Tensor.zeros(shape) : linear;
        }
        // Each slot of the stack in the output shape: a quadratic form's value xᵀW x, or the branch's projection.
        List<Tensor> slots = new ArrayList<>();
        if (type.hasQuadraticForm()) {
            boolean identity = !p.patchesAreInput();
            int n = p.patch;
            int pr = identity ? n : 0;
            int linear = stacked.size() - 1;
            int rows = pr + outG * n + linear * outG;
            Tensor t = standardProject(in, standardStack(identity, stacked, rows, n), rows).reshape(p.items, groups, rows, p.positions);
            Tensor patches = identity ? t.narrow(2, 0, n) : in.reshape(p.items, 1, n, 1);
            Tensor z = t.narrow(2, pr, outG * n).reshape(p.items, groups, outG, n, p.positions);
            slots.add(z.mul(patches.unsqueeze(2)).sum(new int[] {3}, false).reshape(shape));
            for (int k = 0; k < linear; k++) {
                slots.add(t.narrow(2, pr + outG * n + k * outG, outG).reshape(shape));
            }
        } else if (!stacked.isEmpty()) {
            // [items, groups, branches, outG·L]: one view that every branch narrows, so that backward adds the
            // branches' gradients into one buffer, window by window (Node.Window)
            Tensor s = standardProject(in, standardStack(false, stacked, stacked.size() * outG, p.patch), stacked.size() * outG)
                    .reshape(p.items, groups, stacked.size(), outG * p.positions);
            for (int k = 0; k < stacked.size(); k++) {
                slots.add(s.narrow(2, k, 1).reshape(shape));
            }
        }
        Tensor y = null;
        if (productA >= 0) {
            Tensor va = value(slots.get(productA), productA, 0);
            y = productB == productA ? va.mul(va) : va.mul(value(slots.get(productB), productB, 1));
        }
        for (int k : addedSlots) {
            y = y == null ? slots.get(k) : y.add(slots.get(k));
        }
        if (squareWeight != null) {
            Tensor d = standardProject(in.mul(in), standardStack(false, List.of(squareWeight), outG, p.patch), outG).reshape(shape);
            d = squareNorm == null ? d : squareNorm.forward(d);
            y = y == null ? d : y.add(d);
        }
        if (outputBias != null) {
            y = y.add(perChannel(outputBias));
        }
        return y;
    }

    /** A product branch as it enters the product: plus its branch bias, through its norm ({@code norms[k]}). */
    private Tensor value(Tensor branch, int slot, int k) {
        Tensor v = branch;
        if (slotBias.get(slot) != null) {
            v = v.add(perChannel(slotBias.get(slot)));
        }
        return norms.length <= k || norms[k] == null ? v : norms[k].forward(v);
    }

    /** Weights {@code [out, rpo·n]} stacked group by group into {@code [groups·rows, n]}, under autograd. */
    private Tensor standardStack(boolean identity, List<Tensor> ws, int rowsPerGroup, int n) {
        List<Tensor> parts = new ArrayList<>();
        Tensor eye = null;
        if (identity) {
            eye = Tensor.zeros(n, n);
            for (int i = 0; i < n; i++) {
                eye.set(1f, i, i);
            }
        }
        for (int g = 0; g < groups; g++) {
            if (eye != null) {
                parts.add(eye);
            }
            for (Tensor w : ws) {
                int rows = w.numel() / n / groups;
                parts.add(w.reshape(-1, n).narrow(0, g * rows, rows));
            }
        }
        Tensor st = parts.size() == 1 ? parts.get(0) : F.cat(0, parts.toArray(new Tensor[0]));
        if (st.size(0) != groups * rowsPerGroup) {
            throw new IllegalStateException(describe() + ": stacked " + st.size(0) + " rows, expected " + groups * rowsPerGroup);
        }
        return st;
    }

    // ------------------------------------------------------------------ accessors

    /** The neuron type. */
    public NeuronType neuronType() {
        return type;
    }

    /** The options the layer was built with. */
    public QuadraticOptions options() {
        return options;
    }

    /** Output features or channels. */
    int outputs() {
        return outputs;
    }

    /** Channel groups (1 for a linear layer). */
    public int groups() {
        return groups;
    }

    /** n: inputs per output ({@code in} for a linear layer, {@code in/groups·kh·kw} for a convolution). */
    public int fanIn() {
        return fanIn;
    }

    /**
     * The weight of the linear term, in the first-order layer's shape ({@code W_b} of T1, {@code W_r} of T2_4,
     * {@code W_a} of QRES, {@code W_c} of PROPOSED), or null if the type has none.
     */
    public Tensor linearWeight() {
        return linearWeight;
    }

    /**
     * The first-order bias: {@code b_r} for T2_4 (whose output bias c is quadratic), the output bias {@code bias}
     * for every other type; null without biases.
     */
    public Tensor linearBias() {
        return linearBias;
    }

    /** This layer's own first-order parameters (not the branch norms'), by local name. */
    public Map<String, Tensor> linearTermParameters() {
        return parametersFlagged(false);
    }

    /** This layer's own quadratic-term parameters ({@link Parameter#quadratic()}), by local name. */
    public Map<String, Tensor> quadraticTermParameters() {
        return parametersFlagged(true);
    }

    private Map<String, Tensor> parametersFlagged(boolean quadratic) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : localParameters().entrySet()) {
            if (e.getValue().quadratic() == quadratic) {
                out.put(e.getKey(), e.getValue().tensor());
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /** The branch norms (empty without branch norm), in branch order. */
    public List<BatchNorm> branchNorms() {
        List<BatchNorm> out = new ArrayList<>();
        for (BatchNorm b : norms) {
            if (b != null) {
                out.add(b);
            }
        }
        if (squareNorm != null) {
            out.add(squareNorm);
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * Copies a first-order layer's weight and bias into the linear term (the converter's weight transfer); with a
     * linear start the layer then computes what the first-order layer did.
     *
     * @param weight {@code [out, in]} or {@code [out, in/groups, kh, kw]}
     * @param bias {@code [out]}, or null to leave the bias as it is
     * @throws IllegalArgumentException naming the layer if the type has no linear term, a shape differs, or a bias
     *     is given to a layer without one
     */
    public void loadLinearTerm(Tensor weight, Tensor bias) {
        if (linearWeight == null) {
            throw new IllegalArgumentException(describe() + ": " + type.name() + " (" + type.formula() + ") has no linear term to load into");
        }
        if (!Arrays.equals(weight.shape(), linearWeight.shape())) {
            throw new IllegalArgumentException(describe() + ": linear-term weight must be " + Arrays.toString(linearWeight.shape()) + ", got "
                    + Arrays.toString(weight.shape()));
        }
        if (bias != null && linearBias == null) {
            throw new IllegalArgumentException(describe() + ": the layer has no bias to load " + Arrays.toString(bias.shape()) + " into");
        }
        if (bias != null && !Arrays.equals(bias.shape(), linearBias.shape())) {
            throw new IllegalArgumentException(describe() + ": linear-term bias must be " + Arrays.toString(linearBias.shape()) + ", got "
                    + Arrays.toString(bias.shape()));
        }
        linearWeight.copyFrom(weight);
        if (bias != null) {
            linearBias.copyFrom(bias);
        }
    }

    /**
     * Sets whether forward computes the linear term only, the quadratic term being exactly zero (not dropped at
     * random): the deterministic mask of layer-importance exploration. Returns this.
     */
    public QuadraticLayer quadraticTermMasked(boolean value) {
        this.masked = value;
        return this;
    }

    /** True while the quadratic term is masked. */
    public boolean quadraticTermMasked() {
        return masked;
    }

    // ------------------------------------------------------------------ roles, for the engine

    /** The weights of the stacked projection of x, in stacking order (a quadratic form first). */
    List<Tensor> stackedWeights() {
        return Collections.unmodifiableList(stacked);
    }

    /** The weight of the projection of x∘x, or null. */
    Tensor squareWeight() {
        return squareWeight;
    }

    /** The bias of stack slot k (T2_4's b_r, b_g; POLY's b_a), or null. */
    Tensor branchBias(int k) {
        return k < slotBias.size() ? slotBias.get(k) : null;
    }

    /** The bias added to the output (T2_4: c), or null. */
    Tensor outputBias() {
        return outputBias;
    }

    /** The norm of product branch k (stack slot k), or null. */
    BatchNorm branchNorm(int k) {
        return k < norms.length ? norms[k] : null;
    }

    /** The norm of the square branch, or null. */
    BatchNorm squareNorm() {
        return squareNorm;
    }

    /** The product's distinct stack slots: 0 for a square (T3, POLY), 2 for two branches, 0 without a product. */
    int productBranches() {
        return norms.length;
    }

    /** The first and second factor's stack slots, or -1 without a product. */
    int productSlot(int factor) {
        return factor == 0 ? productA : productB;
    }

    /** The stack slots that enter the output directly, in term order. */
    int[] addedSlots() {
        return addedSlots.clone();
    }

    /** The stack slot of the linear term, or -1. */
    int linearSlot() {
        return linearSlot;
    }

    /** {@code type=PROPOSED, bias=true, branch_norm=false, mode=HYBRID} and a linear start when there is one. */
    String quadraticRepr() {
        return "type=" + type.name() + ", bias=" + options.bias() + ", branch_norm=" + options.branchNorm() + ", mode=" + options.mode()
                + (options.linearStart() ? ", linear_start=true" : "") + (options.linearTerm() ? "" : ", linear_term=false")
                + (masked ? ", quadratic_term_masked=true" : "");
    }

    /**
     * The declaration's MACs ({@link NeuronType#macsPerOutput}) per output element, plus one per input element for
     * the squared input {@code x∘x}; branch norms add nothing. These count the formula, not the implementation:
     * hybrid back-propagation's recomputation in backward is not a forward MAC.
     */
    @Override
    public long macs(int[] inputShape, int[] outputShape) {
        return Shapes.numel(outputShape) * type.macsPerOutput(fanIn, options.linearTerm())
                + (type.squaresInput() ? Shapes.numel(inputShape) : 0);
    }
}
