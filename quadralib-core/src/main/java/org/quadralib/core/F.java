package org.quadralib.core;

import org.quadralib.core.ops.Combine;
import org.quadralib.core.ops.Conv;
import org.quadralib.core.ops.Linear;
import org.quadralib.core.ops.Loss;
import org.quadralib.core.ops.Norm;
import org.quadralib.core.ops.Pool;
import org.quadralib.core.ops.Reduce;

/**
 * The functional API, named as {@code torch.nn.functional}: the ops that take weights or settings (linear,
 * convolution, pooling, normalisation, dropout, soft-max, losses, joining and selecting). Each method's formula,
 * shapes and errors are documented on the op it calls.
 *
 * <p>One spelling per op family: arithmetic, element-wise functions (relu, sigmoid, tanh, gelu, leaky relu,
 * clamp, exp, ...), matrix products, reductions and views are methods of {@link Tensor} ({@code x.sigmoid()},
 * {@code a.matmul(b)}); everything else is here. The classes of {@code org.quadralib.core.ops} implement both and
 * are not meant to be called directly.
 */
public final class F {

    private F() {
    }

    /** {@link Linear#linear}: {@code x·Wᵀ + b}. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        return Linear.linear(x, weight, bias);
    }

    /** {@link Conv#conv2d}. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        return Conv.conv2d(x, weight, bias, stride, padding, dilation, groups);
    }

    /** {@link Pool#maxPool2d} with a square window and no padding. */
    public static Tensor maxPool2d(Tensor x, int kernel, int stride) {
        return Pool.maxPool2d(x, kernel, kernel, stride, stride, 0, 0);
    }

    /**
     * {@link Pool#maxPool2d}: a {@code kh × kw} window, strides {@code sh, sw}, padding {@code ph, pw}.
     *
     * @throws IllegalArgumentException as {@link Pool#maxPool2d}
     */
    public static Tensor maxPool2d(Tensor x, int kh, int kw, int sh, int sw, int ph, int pw) {
        return Pool.maxPool2d(x, kh, kw, sh, sw, ph, pw);
    }

    /**
     * {@link Pool#avgPool2d}: a {@code kh × kw} window, strides {@code sh, sw}, padding {@code ph, pw}.
     *
     * @throws IllegalArgumentException as {@link Pool#avgPool2d}
     */
    public static Tensor avgPool2d(Tensor x, int kh, int kw, int sh, int sw, int ph, int pw) {
        return Pool.avgPool2d(x, kh, kw, sh, sw, ph, pw);
    }

    /** {@link Pool#avgPool2d} with a square window and no padding. */
    public static Tensor avgPool2d(Tensor x, int kernel, int stride) {
        return Pool.avgPool2d(x, kernel, kernel, stride, stride, 0, 0);
    }

    /** {@link Pool#adaptiveAvgPool2d}. */
    public static Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        return Pool.adaptiveAvgPool2d(x, outH, outW);
    }

    /** {@link Norm#batchNorm}. */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias, boolean training,
            float momentum, float eps) {
        return Norm.batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps);
    }

    /** {@link Combine#dropout}. */
    public static Tensor dropout(Tensor x, float p, boolean training, Rng rng) {
        return Combine.dropout(x, p, training, rng);
    }

    /** {@link Loss#softmax}. */
    public static Tensor softmax(Tensor x, int dim) {
        return Loss.softmax(x, dim);
    }

    /** {@link Loss#logSoftmax}. */
    public static Tensor logSoftmax(Tensor x, int dim) {
        return Loss.logSoftmax(x, dim);
    }

    /** {@link Loss#crossEntropy} without label smoothing. */
    public static Tensor crossEntropy(Tensor logits, int[] labels) {
        return Loss.crossEntropy(logits, labels, 0f);
    }

    /** {@link Loss#crossEntropy}. */
    public static Tensor crossEntropy(Tensor logits, int[] labels, float labelSmoothing) {
        return Loss.crossEntropy(logits, labels, labelSmoothing);
    }

    /** {@link Loss#mse}. */
    public static Tensor mseLoss(Tensor pred, Tensor target) {
        return Loss.mse(pred, target);
    }

    /** {@link Combine#cat}. */
    public static Tensor cat(int dim, Tensor... parts) {
        return Combine.cat(dim, parts);
    }

    /** {@link Combine#stack}. */
    public static Tensor stack(int dim, Tensor... parts) {
        return Combine.stack(dim, parts);
    }

    /** {@link Combine#where}. */
    public static Tensor where(Tensor mask, Tensor a, Tensor b) {
        return Combine.where(mask, a, b);
    }

    /** {@link Reduce#max}. */
    public static Tensor max(Tensor x, int dim, boolean keepDim) {
        return Reduce.max(x, dim, keepDim);
    }

    /** {@link Reduce#argmax}. */
    public static Tensor argmax(Tensor x, int dim, boolean keepDim) {
        return Reduce.argmax(x, dim, keepDim);
    }

    /** {@link Reduce#var}. */
    public static Tensor var(Tensor x, int[] dims, boolean unbiased, boolean keepDim) {
        return Reduce.var(x, dims, unbiased, keepDim);
    }
}
