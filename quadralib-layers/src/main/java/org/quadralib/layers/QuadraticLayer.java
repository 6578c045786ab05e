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
    private final List<Tensor> stacked = new ArrayList<>();
    private Tensor squareWeight;
    private final Tensor[] branchBias = new Tensor[2];
    private Tensor outputBias;
    private final BatchNorm[] norms = new BatchNorm[2];
    private final Tensor linearWeight;
    private final Tensor linearBias;
    private volatile boolean masked;
    /** Chunk budget of the quadratic form's transient projection; tests lower it to run several chunks. */
    int formChunkFloats = QuadraticEngine.FORM_CHUNK_FLOATS;
    /** Chunk budget of the hybrid mode's branch values; tests lower it to run several chunks. */
    int branchChunkFloats = QuadraticEngine.BRANCH_CHUNK_FLOATS;

    /**
     * Registers and initialises the parameters of {@code type}.
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
        boolean zeroQuad = options.linearStart();
        int[] formShape = {outputs, fanIn, fanIn};
        // Registration order is the state-dict order and the order weights draw from Init's generator.
        switch (type) {
            case T1 -> {
                Tensor a = weight("weight_a", formShape, true, zeroQuad);
                stacked.add(a);
                if (options.linearTerm()) {
                    stacked.add(weight("weight_b", weightShape, false, false));
                }
                outputBias = bias("bias", false, Fill.RANDOM);
            }
            case T2 -> {
                squareWeight = weight("weight_a", weightShape, true, false);
                outputBias = bias("bias", false, Fill.RANDOM);
            }
            case T3 -> {
                stacked.add(weight("weight_a", weightShape, true, false));
                outputBias = bias("bias", false, Fill.RANDOM);
            }
            case T4 -> {
                stacked.add(weight("weight_a", weightShape, true, false));
                stacked.add(weight("weight_b", weightShape, true, false));
                outputBias = bias("bias", false, Fill.RANDOM);
            }
            case T1_2 -> {
                stacked.add(weight("weight_a", formShape, true, false));
                squareWeight = weight("weight_b", weightShape, true, false);
                outputBias = bias("bias", false, Fill.RANDOM);
            }
            case T2_4 -> {
                // ReLinear's start: (W_r x + b_r)·(0·x + 1) + 0·(x∘x) + 0 = W_r x + b_r.
                stacked.add(weight("weight_r", weightShape, false, false));
                branchBias[0] = bias("bias_r", false, Fill.RANDOM);
                stacked.add(weight("weight_g", weightShape, true, zeroQuad));
                branchBias[1] = bias("bias_g", true, zeroQuad ? Fill.ONE : Fill.RANDOM);
                squareWeight = weight("weight_b", weightShape, true, zeroQuad);
                outputBias = bias("bias", true, zeroQuad ? Fill.ZERO : Fill.RANDOM);
            }
            case QRES -> {
                stacked.add(weight("weight_a", weightShape, false, false));
                stacked.add(weight("weight_b", weightShape, true, zeroQuad));
                outputBias = bias("bias", false, Fill.RANDOM);
            }
            case PROPOSED -> {
                // W_a stays non-zero at a linear start: with both factors zero neither would ever get a gradient.
                stacked.add(weight("weight_a", weightShape, true, false));
                stacked.add(weight("weight_b", weightShape, true, zeroQuad));
                stacked.add(weight("weight_c", weightShape, false, false));
                outputBias = bias("bias", false, Fill.RANDOM);
            }
        }
        linearWeight = switch (type) {
            case T1 -> options.linearTerm() ? stacked.get(1) : null;
            case T2_4, QRES -> stacked.get(0);
            case PROPOSED -> stacked.get(2);
            case T2, T3, T4, T1_2 -> null;
        };
        linearBias = type == NeuronType.T2_4 ? branchBias[0] : outputBias;
        if (options.branchNorm()) {
            String[] names = type == NeuronType.T2_4 ? new String[] {"norm_r", "norm_g"} : new String[] {"norm_a", "norm_b"};
            for (int k = 0; k < type.productBranches(); k++) {
                norms[k] = registerModule(names[k], normFactory.apply(outputs));
            }
        }
    }

    private void validate(String spec) {
        String head = spec + ": ";
        if (options.branchNorm() && !type.hasProductBranches()) {
            throw new IllegalArgumentException(head + "branchNorm normalises branch outputs before their product, and " + type.name()
                    + " (" + type.formula() + ") has none");
        }
        if (!options.linearTerm() && type != NeuronType.T1) {
            throw new IllegalArgumentException(head + "linearTerm=false is only for T1, whose linear term is optional; " + type.name()
                    + " is " + type.formula());
        }
        if (options.linearStart()) {
            if (!type.hasLinearTerm() || !options.linearTerm()) {
                throw new IllegalArgumentException(head + "linearStart needs a linear term to start from; " + type.name() + " ("
                        + (options.linearTerm() ? type.formula() : "xᵀW_a x + b") + ") has none");
            }
            if (type == NeuronType.T2_4 && !options.bias()) {
                throw new IllegalArgumentException(head + "T2_4's linear start sets b_g = 1, so it needs bias=true");
            }
            if (type == NeuronType.T2_4 && options.branchNorm()) {
                throw new IllegalArgumentException(head + "T2_4's linear start relies on the constant branch W_g x + b_g = 1, which"
                        + " branchNorm would normalise to 0");
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
     * Registers a weight, zero or U(±1/√n): PyTorch's default for a first-order weight of fan-in n, and
     * {@code nn.Bilinear}'s (the reference T1) for a quadratic form's entries.
     */
    private Tensor weight(String name, int[] shape, boolean quadratic, boolean zero) {
        Tensor t = registerParameter(name, parameterTensor(shape), quadratic);
        if (!zero) {
            float b = (float) (1 / Math.sqrt(fanIn));
            Init.uniform(t, -b, b);
        }
        return t;
    }

    /** How a bias starts. */
    private enum Fill { RANDOM, ZERO, ONE }

    /** Registers a bias [out] if the options have biases: U(±1/√n) (PyTorch's default), zeros or ones. */
    private Tensor bias(String name, boolean quadratic, Fill fill) {
        if (!options.bias()) {
            return null;
        }
        Tensor t = registerParameter(name, parameterTensor(outputs), quadratic);
        if (fill == Fill.RANDOM) {
            float b = (float) (1 / Math.sqrt(fanIn));
            Init.uniform(t, -b, b);
        } else if (fill == Fill.ONE) {
            Init.constant(t, 1f);
        }
        return t;
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
                || (!GradMode.isEnabled() && norms[0] == null && norms[1] == null);
        if (fused) {
            List<Tensor> inputs = new ArrayList<>();
            inputs.add(x);
            inputs.addAll(parameters());
            return new HybridQuadraticFunction(this, p, mask, outputShape(x, p)).apply(inputs.toArray(new Tensor[0]));
        }
        Tensor y = standard(standardInput(x), p, mask);
        return y.reshape(outputShape(x, p));
    }

    /** The formula composed of autograd ops. */
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
        Tensor s = null;
        Tensor q = null;
        Tensor lin = null;
        if (type.hasQuadraticForm()) {
            boolean identity = !p.patchesAreInput();
            int n = p.patch;
            int pr = identity ? n : 0;
            boolean formLinear = stacked.size() > 1;
            int rows = pr + outG * n + (formLinear ? outG : 0);
            Tensor t = standardProject(in, standardStack(identity, stacked, rows, n), rows).reshape(p.items, groups, rows, p.positions);
            Tensor patches = identity ? t.narrow(2, 0, n) : in.reshape(p.items, 1, n, 1);
            Tensor z = t.narrow(2, pr, outG * n).reshape(p.items, groups, outG, n, p.positions);
            q = z.mul(patches.unsqueeze(2)).sum(new int[] {3}, false).reshape(shape);
            if (formLinear) {
                lin = t.narrow(2, pr + outG * n, outG).reshape(shape);
            }
        } else if (!stacked.isEmpty()) {
            // [items, groups, branches, outG·L]: one view that every branch narrows, so that backward adds the
            // branches' gradients into one buffer, window by window (Node.Window)
            s = standardProject(in, standardStack(false, stacked, stacked.size() * outG, p.patch), stacked.size() * outG)
                    .reshape(p.items, groups, stacked.size(), outG * p.positions);
        }
        Tensor d = squareWeight == null ? null
                : standardProject(in.mul(in), standardStack(false, List.of(squareWeight), outG, p.patch), outG).reshape(shape);
        Tensor ob = outputBias == null ? null : perChannel(outputBias);
        Tensor y = switch (type) {
            case T1 -> lin == null ? q : q.add(lin);
            case T2 -> d;
            case T3 -> {
                Tensor v = value(s, 0, shape);
                yield v.mul(v);
            }
            case T4 -> value(s, 0, shape).mul(value(s, 1, shape));
            case T1_2 -> q.add(d);
            case T2_4 -> value(s, 0, shape).mul(value(s, 1, shape)).add(d);
            case QRES -> value(s, 0, shape).mul(value(s, 1, shape)).add(branch(s, 0, shape));
            case PROPOSED -> value(s, 0, shape).mul(value(s, 1, shape)).add(branch(s, 2, shape));
        };
        return ob == null ? y : y.add(ob);
    }

    /** Branch k of the stacked output {@code s} ({@code [items, groups, branches, outG·L]}), in the output shape. */
    private Tensor branch(Tensor s, int k, int[] shape) {
        return s.narrow(2, k, 1).reshape(shape);
    }

    /** A product branch as it enters the product: plus its branch bias, through its norm. */
    private Tensor value(Tensor s, int k, int[] shape) {
        Tensor v = branch(s, k, shape);
        if (branchBias[k] != null) {
            v = v.add(perChannel(branchBias[k]));
        }
        return norms[k] == null ? v : norms[k].forward(v);
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

    /** The weights of the stacked projection of x, in stacking order (T1, T1_2: W_a first). */
    List<Tensor> stackedWeights() {
        return Collections.unmodifiableList(stacked);
    }

    /** The weight of the projection of x∘x, or null. */
    Tensor squareWeight() {
        return squareWeight;
    }

    /** The bias of product branch k (T2_4's b_r, b_g), or null. */
    Tensor branchBias(int k) {
        return k < branchBias.length ? branchBias[k] : null;
    }

    /** The bias added to the output (T2_4: c), or null. */
    Tensor outputBias() {
        return outputBias;
    }

    /** The norm of product branch k, or null. */
    BatchNorm branchNorm(int k) {
        return k < norms.length ? norms[k] : null;
    }

    /** {@code type=PROPOSED, bias=true, branch_norm=false, mode=HYBRID} and a linear start when there is one. */
    String quadraticRepr() {
        return "type=" + type.name() + ", bias=" + options.bias() + ", branch_norm=" + options.branchNorm() + ", mode=" + options.mode()
                + (options.linearStart() ? ", linear_start=true" : "") + (options.linearTerm() ? "" : ", linear_term=false")
                + (masked ? ", quadratic_term_masked=true" : "");
    }
}
