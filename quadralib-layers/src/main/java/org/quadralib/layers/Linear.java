package org.quadralib.layers;

import java.util.function.UnaryOperator;

import org.quadralib.core.F;
import org.quadralib.core.Shapes;
import org.quadralib.core.Tensor;

/**
 * Fully connected layer {@code y = x·Wᵀ + b}: input {@code [*, in]}, weight {@code [out, in]}, bias {@code [out]},
 * output {@code [*, out]}. Initialised as PyTorch's {@code nn.Linear}.
 */
public class Linear extends Module {
    private final int inFeatures;
    private final int outFeatures;
    private final Tensor weight;
    private final Tensor bias;

    /**
     * @throws IllegalArgumentException if a size is not positive
     */
    public Linear(int inFeatures, int outFeatures, boolean bias) {
        if (inFeatures <= 0 || outFeatures <= 0) {
            throw new IllegalArgumentException("Linear: sizes must be positive, got in=" + inFeatures + ", out=" + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = registerParameter("weight", parameterTensor(outFeatures, inFeatures));
        this.bias = bias ? registerParameter("bias", parameterTensor(outFeatures)) : null;
        Init.pytorchDefault(weight, this.bias, inFeatures);
    }

    /** A layer with a bias. */
    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true);
    }

    @Override
    protected Tensor compute(Tensor x) {
        expectShape(x.dim() >= 1 && x.size(-1) == inFeatures, "[*, " + inFeatures + "]", x);
        return F.linear(x, weight, bias);
    }

    /** Input features. */
    public int inFeatures() {
        return inFeatures;
    }

    /** Output features. */
    public int outFeatures() {
        return outFeatures;
    }

    /** The weight {@code [out, in]}. */
    public Tensor weight() {
        return weight;
    }

    /** The bias {@code [out]}, or null. */
    public Tensor bias() {
        return bias;
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null);
    }

    @Override
    public Module freshCopy(UnaryOperator<Module> copyChild) {
        return new Linear(inFeatures(), outFeatures(), bias() != null);
    }

    /** {@code numel(output)·in}: one MAC per weight use, rows = every leading dimension of the input. */
    @Override
    public long macs(int[] inputShape, int[] outputShape) {
        return (long) Shapes.numel(outputShape) * inFeatures();
    }
}
