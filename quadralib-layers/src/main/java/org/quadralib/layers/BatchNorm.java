package org.quadralib.layers;

import java.util.Arrays;

import org.quadralib.core.F;
import org.quadralib.core.Tensor;

/**
 * Batch normalisation over the channel axis 1, as PyTorch's {@code nn.BatchNorm*d}:
 * {@code y = (x − μ_c) / √(σ²_c + eps) · γ_c + β_c}.
 *
 * <p>In training μ and σ² (biased) are the statistics of the batch over every axis but the channel one, and the
 * buffers are updated: {@code running = (1 − momentum)·running + momentum·batch} (the running variance takes the
 * unbiased batch variance) and {@code num_batches_tracked} grows by one. In evaluation the running statistics are
 * used. State (PyTorch's names and layouts): parameters {@code weight} γ [C] (ones) and {@code bias} β [C] (zeros)
 * when affine, buffers {@code running_mean} [C] (zeros), {@code running_var} [C] (ones) and
 * {@code num_batches_tracked} (a float scalar; PyTorch stores int64, which loading converts).
 *
 * <p>The subclasses fix the accepted input ranks.
 */
public abstract class BatchNorm extends Module {

    /** PyTorch's default running-statistics momentum. */
    public static final float DEFAULT_MOMENTUM = 0.1f;
    /** PyTorch's default variance epsilon. */
    public static final float DEFAULT_EPS = 1e-5f;

    private final int numFeatures;
    private final float eps;
    private final float momentum;
    private final Tensor weight;
    private final Tensor bias;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private final Tensor numBatchesTracked;

    /**
     * @throws IllegalArgumentException if {@code numFeatures} or {@code eps} is not positive or the momentum is
     *     outside [0, 1]
     */
    protected BatchNorm(int numFeatures, float eps, float momentum, boolean affine) {
        if (numFeatures <= 0 || !(eps > 0) || !(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": need num_features > 0, eps > 0 and momentum in [0, 1], got "
                    + numFeatures + ", " + eps + ", " + momentum);
        }
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        if (affine) {
            this.weight = registerParameter("weight", parameterTensor(numFeatures));
            Init.constant(weight, 1f);
            this.bias = registerParameter("bias", parameterTensor(numFeatures));
        } else {
            this.weight = null;
            this.bias = null;
        }
        this.runningMean = registerBuffer("running_mean", bufferTensor(numFeatures));
        this.runningVar = registerBuffer("running_var", bufferTensor(numFeatures));
        Init.constant(runningVar, 1f);
        this.numBatchesTracked = registerBuffer("num_batches_tracked", bufferTensor());
    }

    /** True if {@code rank} is an input rank this variant accepts. */
    protected abstract boolean acceptsRank(int rank);

    /** The accepted input shapes for messages, e.g. {@code [N, 64, H, W]}. */
    protected abstract String expectedShape();

    /**
     * @throws ShapeMismatchException naming this layer's path, the expected and the actual shape if the rank or the
     *     channel count is wrong, or if training sees a single value per channel (no variance to estimate)
     */
    @Override
    protected Tensor compute(Tensor x) {
        expectShape(acceptsRank(x.dim()) && x.size(1) == numFeatures, expectedShape(), x);
        boolean training = isTraining();
        if (training && x.numel() / numFeatures <= 1) {
            throw new ShapeMismatchException(describe() + ": expected more than 1 value per channel when training, got input "
                    + Arrays.toString(x.shape()));
        }
        Tensor y = F.batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps);
        if (training) {
            numBatchesTracked.data()[numBatchesTracked.offset()] += 1;
        }
        return y;
    }

    /** Channels C. */
    public int numFeatures() {
        return numFeatures;
    }

    /** The variance epsilon. */
    public float eps() {
        return eps;
    }

    /** The running-statistics momentum. */
    public float momentum() {
        return momentum;
    }

    /** γ [C], or null when not affine. */
    public Tensor weight() {
        return weight;
    }

    /** β [C], or null when not affine. */
    public Tensor bias() {
        return bias;
    }

    /** The running mean buffer [C]. */
    public Tensor runningMean() {
        return runningMean;
    }

    /** The running variance buffer [C]. */
    public Tensor runningVar() {
        return runningVar;
    }

    /** Training batches seen so far (a float scalar buffer). */
    public long numBatchesTracked() {
        return (long) numBatchesTracked.item();
    }

    @Override
    protected String extraRepr() {
        return numFeatures + ", eps=" + eps + ", momentum=" + momentum + ", affine=" + (weight != null);
    }
}
