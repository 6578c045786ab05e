package org.quadralib.core.ops;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.quadralib.core.Function;
import org.quadralib.core.Parallel;
import org.quadralib.core.Shapes;
import org.quadralib.core.Tensor;
import org.quadralib.core.kernels.Elementwise;
import org.quadralib.core.kernels.Elementwise.BinaryOp;
import org.quadralib.core.kernels.NormKernels;

/** Batch normalisation over {@code [N, C]}, {@code [N, C, L]} or {@code [N, C, H, W]} inputs. */
public final class Norm {

    private static final Logger LOG = LoggerFactory.getLogger(Norm.class);

    private Norm() {
    }

    /**
     * Batch norm: {@code y = (x − μ_c) / √(σ²_c + eps) · γ_c + β_c}, per channel c.
     *
     * <p>In training μ and σ² are the batch statistics over every axis but C (σ² biased), and the running
     * statistics are updated in place: {@code running = (1 − momentum)·running + momentum·batch}, with the
     * unbiased batch variance, as PyTorch does, except that a batch whose statistics are not all finite leaves
     * the running statistics unchanged (logged as a warning). In evaluation the running statistics are used. Backward is
     * written by hand (saving the input and the per-channel mean and inverse deviation).
     *
     * @param runningMean [C], updated in training; may be null only if {@code training}
     * @param runningVar [C], updated in training; may be null only if {@code training}
     * @param weight γ [C] or null (1)
     * @param bias β [C] or null (0)
     * @throws IllegalArgumentException naming the shapes if the input has fewer than 2 dimensions, a
     *     per-channel tensor is not [C], or training sees a single value per channel
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
            boolean training, float momentum, float eps) {
        if (x.dim() < 2) {
            throw new IllegalArgumentException("batch_norm: expected input [N, C, ...], got " + Shapes.str(x.shape()));
        }
        int[] s = x.shape();
        int n = s[0];
        int c = s[1];
        int sp = 1;
        for (int i = 2; i < s.length; i++) {
            sp *= s[i];
        }
        checkChannel("running_mean", runningMean, c, s);
        checkChannel("running_var", runningVar, c, s);
        checkChannel("weight", weight, c, s);
        checkChannel("bias", bias, c, s);
        if (!training && (runningMean == null || runningVar == null)) {
            throw new IllegalArgumentException("batch_norm: evaluation needs running statistics");
        }
        int m = n * sp;
        if (training && m <= 1) {
            throw new IllegalArgumentException("batch_norm: expected more than 1 value per channel when training, got input "
                    + Shapes.str(s));
        }
        int fsp = sp;
        return new Function("batch_norm") {
            private final float[] mean = new float[c];
            private final float[] invStd = new float[c];
            private float[] gamma;

            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                Tensor xc = in[0];
                float[] xd = xc.data();
                int xo = xc.offset();
                if (training) {
                    double[] unbiasedVar = new double[c];
                    Parallel.forRange(c, 1, (from, to) -> {
                        for (int ch = from; ch < to; ch++) {
                            double sum = 0;
                            for (int b = 0; b < n; b++) {
                                sum += Elementwise.sum(xd, xo + (b * c + ch) * fsp, fsp);
                            }
                            double mu = sum / m;
                            double sq = 0;
                            for (int b = 0; b < n; b++) {
                                sq += NormKernels.squaredDeviations(xd, xo + (b * c + ch) * fsp, fsp, mu);
                            }
                            double var = sq / m;
                            mean[ch] = (float) mu;
                            invStd[ch] = (float) (1 / Math.sqrt(var + eps));
                            unbiasedVar[ch] = sq / (m - 1);
                        }
                    });
                    foldRunningStatistics(runningMean, runningVar, mean, unbiasedVar, momentum, s);
                } else {
                    for (int ch = 0; ch < c; ch++) {
                        mean[ch] = runningMean.get(ch);
                        invStd[ch] = (float) (1 / Math.sqrt(runningVar.get(ch) + eps));
                    }
                }
                gamma = weight == null ? null : weight.toFloatArray();
                float[] beta = bias == null ? null : bias.toFloatArray();
                Tensor y = Tensor.empty(s);
                float[] yd = y.data();
                Parallel.forRange(n * c, Math.max(1, 8192 / Math.max(1, fsp)), (from, to) -> {
                    for (int p = from; p < to; p++) {
                        int ch = p % c;
                        float scale = invStd[ch] * (gamma == null ? 1f : gamma[ch]);
                        float shift = (beta == null ? 0f : beta[ch]) - mean[ch] * scale;
                        NormKernels.affine(xd, xo + p * fsp, yd, p * fsp, fsp, scale, shift);
                    }
                });
                ctx.save(xc);
                return y;
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                return Norm.backward(g.contiguous(), ctx.saved(0), mean, invStd, gamma, training, n, c, fsp,
                        ctx.needsInputGrad(0), weight != null && ctx.needsInputGrad(1), bias != null && ctx.needsInputGrad(2));
            }
        }.apply(x.contiguous(), weight, bias);
    }

    /**
     * {@code running = (1 − momentum)·running + momentum·batch} for every channel, but only when every channel's
     * batch mean and unbiased variance are finite: a batch holding NaN or infinity is not folded in at all (the
     * buffers keep their values and a warning is logged), so one bad batch cannot leave the running statistics
     * NaN for the rest of training. The batch's own output still uses its (non-finite) statistics, so the loss
     * shows the problem.
     */
    private static void foldRunningStatistics(Tensor runningMean, Tensor runningVar, float[] mean, double[] var,
            float momentum, int[] inputShape) {
        for (int ch = 0; ch < mean.length; ch++) {
            if (!Float.isFinite(mean[ch]) || !Double.isFinite(var[ch]) || !Float.isFinite((float) var[ch])) {
                LOG.warn("batch_norm: input {} gives channel {} the batch mean {} and variance {}; running statistics "
                        + "left unchanged for this batch", Shapes.str(inputShape), ch, mean[ch], var[ch]);
                return;
            }
        }
        for (int ch = 0; ch < mean.length; ch++) {
            if (runningMean != null) {
                float[] rm = runningMean.data();
                int ro = runningMean.offset() + ch * runningMean.strides()[0];
                rm[ro] = (1 - momentum) * rm[ro] + momentum * mean[ch];
            }
            if (runningVar != null) {
                float[] rv = runningVar.data();
                int ro = runningVar.offset() + ch * runningVar.strides()[0];
                rv[ro] = (1 - momentum) * rv[ro] + momentum * (float) var[ch];
            }
        }
    }

    private static Tensor[] backward(Tensor g, Tensor x, float[] mean, float[] invStd, float[] gamma, boolean training, int n,
            int c, int sp, boolean needX, boolean needW, boolean needB) {
        float[] gd = g.data();
        int go = g.offset();
        float[] xd = x.data();
        int xo = x.offset();
        double[] sumG = new double[c];
        double[] sumGXhat = new double[c];
        Parallel.forRange(c, 1, (from, to) -> {
            double[] acc = new double[2];
            for (int ch = from; ch < to; ch++) {
                acc[0] = 0;
                acc[1] = 0;
                for (int b = 0; b < n; b++) {
                    int base = (b * c + ch) * sp;
                    NormKernels.gradientSums(gd, go + base, xd, xo + base, sp, mean[ch], invStd[ch], acc);
                }
                sumG[ch] = acc[0];
                sumGXhat[ch] = acc[1];
            }
        });
        Tensor gx = null;
        if (needX) {
            gx = Tensor.empty(x.shape());
            float[] r = gx.data();
            int m = n * sp;
            // γ·is per channel: dx = γ·is·(dy − mean(dy) − x̂·mean(dy·x̂)) in training, γ·is·dy in evaluation.
            float[] scale = new float[c];
            for (int ch = 0; ch < c; ch++) {
                scale[ch] = (gamma == null ? 1f : gamma[ch]) * invStd[ch];
            }
            Parallel.forRange(n * c, Math.max(1, 8192 / Math.max(1, sp)), (from, to) -> {
                for (int p = from; p < to; p++) {
                    int ch = p % c;
                    int base = p * sp;
                    if (training) {
                        NormKernels.inputGradient(gd, go + base, xd, xo + base, r, base, sp, mean[ch], invStd[ch], scale[ch],
                                (float) (sumG[ch] / m), (float) (sumGXhat[ch] / m));
                    } else {
                        Elementwise.binaryRange(BinaryOp.MUL, gd, go + base, 1, scale, ch, 0, r, base, sp);
                    }
                }
            });
        }
        Tensor gw = null;
        Tensor gb = null;
        if (needW) {
            gw = Tensor.empty(c);
            for (int ch = 0; ch < c; ch++) {
                gw.data()[ch] = (float) sumGXhat[ch];
            }
        }
        if (needB) {
            gb = Tensor.empty(c);
            for (int ch = 0; ch < c; ch++) {
                gb.data()[ch] = (float) sumG[ch];
            }
        }
        return new Tensor[] {gx, gw, gb};
    }

    private static void checkChannel(String what, Tensor t, int c, int[] inShape) {
        if (t != null && (t.dim() != 1 || t.size(0) != c)) {
            throw new IllegalArgumentException("batch_norm: " + what + " must be [" + c + "] for input " + Shapes.str(inShape)
                    + ", got " + Shapes.str(t.shape()));
        }
    }

}
