package org.quadralib.layers;

import java.util.function.UnaryOperator;

import org.quadralib.core.F;
import org.quadralib.core.Tensor;

/**
 * A fully connected layer of quadratic neurons: {@code y = f(x)} with {@code f} the formula of its
 * {@link NeuronType} (for PROPOSED {@code y = (x·W_aᵀ)∘(x·W_bᵀ) + x·W_cᵀ + b}). Input {@code [*, in]}, output
 * {@code [*, out]}; every weight {@code [out, in]} in PyTorch's layout, T1's and T1_2's quadratic form
 * {@code W_a [out, in, in]} ({@code y_o = Σ_ij x_i W_a[o, i, j] x_j}), biases {@code [out]}. Branch norms are
 * {@link BatchNorm1d} over the out features, statistics over every leading dimension.
 *
 * <p>Computation, back-propagation modes, masking and parameter names: see {@link QuadraticLayer} and
 * {@link NeuronType}.
 */
public class QuadraticLinear extends QuadraticLayer {
    private final int inFeatures;
    private final int outFeatures;

    /**
     * @throws IllegalArgumentException naming the layer if a size is not positive, the options do not fit the type
     *     (see {@link QuadraticOptions}), or T1/T1_2's {@code out·in²} exceeds {@link #MAX_QUADRATIC_FORM_WEIGHTS}
     */
    public QuadraticLinear(int inFeatures, int outFeatures, NeuronType type, QuadraticOptions options) {
        super(spec(inFeatures, outFeatures, type), type, options, outFeatures, 1, inFeatures, new int[] {outFeatures, inFeatures},
                BatchNorm1d::new);
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
    }

    /** A layer with {@link QuadraticOptions#DEFAULT} options. */
    public QuadraticLinear(int inFeatures, int outFeatures, NeuronType type) {
        this(inFeatures, outFeatures, type, QuadraticOptions.DEFAULT);
    }

    private static String spec(int in, int out, NeuronType type) {
        String spec = "QuadraticLinear(in=" + in + ", out=" + out + ", " + type + ")";
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException(spec + ": sizes must be positive");
        }
        return spec;
    }

    @Override
    QuadraticProjection projection(Tensor x) {
        expectShape(x.dim() >= 1 && x.size(-1) == inFeatures, "[*, " + inFeatures + "]", x);
        return new QuadraticProjection.Dense(x.numel() / inFeatures, inFeatures);
    }

    @Override
    int[] outputShape(Tensor x, QuadraticProjection p) {
        int[] s = x.shape();
        s[s.length - 1] = outFeatures;
        return s;
    }

    @Override
    Tensor standardInput(Tensor x) {
        return x.reshape(-1, inFeatures);
    }

    @Override
    Tensor standardProject(Tensor input, Tensor stackedWeight, int rowsPerGroup) {
        return F.linear(input, stackedWeight, null);
    }

    @Override
    int[] standardShape(Tensor input, QuadraticProjection p) {
        return new int[] {p.items, outFeatures};
    }

    @Override
    Tensor perChannel(Tensor v) {
        return v;
    }

    /** Input features. */
    public int inFeatures() {
        return inFeatures;
    }

    /** Output features. */
    public int outFeatures() {
        return outFeatures;
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", " + quadraticRepr();
    }

    @Override
    public Module freshCopy(UnaryOperator<Module> copyChild) {
        return new QuadraticLinear(inFeatures, outFeatures, neuronType(), options()).quadraticTermMasked(quadraticTermMasked());
    }
}
