package org.quadralib.core.ops;

import org.quadralib.core.Function;
import org.quadralib.core.Parallel;
import org.quadralib.core.Shapes;
import org.quadralib.core.Tensor;

/** Soft-max, log-soft-max, cross-entropy and mean-squared error. */
public final class Loss {

    private Loss() {
    }

    /**
     * Soft-max along {@code dim}: {@code y_i = e^(x_i − max) / Σ_j e^(x_j − max)}. Backward:
     * {@code gx = y ∘ (g − Σ g∘y)}.
     */
    public static Tensor softmax(Tensor x, int dim) {
        return softmaxLike("softmax", x, dim, false);
    }

    /** Log-soft-max along {@code dim}: {@code x_i − max − log Σ e^(x_j − max)}. Backward: {@code gx = g − e^y · Σ g}. */
    public static Tensor logSoftmax(Tensor x, int dim) {
        return softmaxLike("log_softmax", x, dim, true);
    }

    private static Tensor softmaxLike(String op, Tensor x, int dim, boolean log) {
        int d = Shapes.dim(op, dim, x.dim());
        int last = x.dim() - 1;
        Tensor moved = d == last ? x : x.transpose(d, last);
        Tensor xc = moved.contiguous();
        int cols = xc.size(-1);
        int rows = xc.numel() / Math.max(1, cols);
        Tensor y = new Function(op) {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                Tensor out = Tensor.empty(in[0].shape());
                float[] a = in[0].data();
                int ao = in[0].offset();
                float[] o = out.data();
                Parallel.forRange(rows, Math.max(1, 4096 / Math.max(1, cols)), (from, to) -> {
                    for (int r = from; r < to; r++) {
                        rowSoftmax(a, ao + r * cols, o, r * cols, cols, log);
                    }
                });
                ctx.save(out);
                return out;
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                Tensor gc = g.contiguous();
                Tensor yy = ctx.saved(0);
                Tensor gx = Tensor.empty(yy.shape());
                float[] gv = gc.data();
                float[] yv = yy.data();
                float[] r = gx.data();
                int goff = gc.offset();
                Parallel.forRange(rows, Math.max(1, 4096 / Math.max(1, cols)), (from, to) -> {
                    for (int row = from; row < to; row++) {
                        int b = row * cols;
                        double dot = 0;
                        for (int j = 0; j < cols; j++) {
                            dot += log ? gv[goff + b + j] : gv[goff + b + j] * yv[b + j];
                        }
                        for (int j = 0; j < cols; j++) {
                            r[b + j] = log ? gv[goff + b + j] - (float) (Math.exp(yv[b + j]) * dot)
                                    : yv[b + j] * (gv[goff + b + j] - (float) dot);
                        }
                    }
                });
                return new Tensor[] {gx};
            }
        }.apply(xc);
        return d == last ? y : y.transpose(d, last);
    }

    private static void rowSoftmax(float[] a, int off, float[] o, int oo, int cols, boolean log) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) {
            max = Math.max(max, a[off + j]);
        }
        double sum = 0;
        for (int j = 0; j < cols; j++) {
            sum += Math.exp(a[off + j] - max);
        }
        if (log) {
            float lse = (float) (max + Math.log(sum));
            for (int j = 0; j < cols; j++) {
                o[oo + j] = a[off + j] - lse;
            }
        } else {
            for (int j = 0; j < cols; j++) {
                o[oo + j] = (float) (Math.exp(a[off + j] - max) / sum);
            }
        }
    }

    /**
     * Cross-entropy of {@code logits [N, C]} against class indices, averaged over N:
     * {@code loss = −(1/N) Σ_i Σ_c q_ic log softmax(x_i)_c} with {@code q = (1 − ε)·onehot + ε/C}
     * (ε = {@code labelSmoothing}). Fused backward: {@code gx = (softmax(x) − q) / N}.
     *
     * @throws IllegalArgumentException if logits are not [N, C], the label count is not N, a label is outside
     *     [0, C) (the message names its position and value), or ε is outside [0, 1]
     */
    public static Tensor crossEntropy(Tensor logits, int[] labels, float labelSmoothing) {
        if (logits.dim() != 2) {
            throw new IllegalArgumentException("cross_entropy: expected logits [N, C], got " + Shapes.str(logits.shape()));
        }
        int n = logits.size(0);
        int c = logits.size(1);
        if (labels.length != n) {
            throw new IllegalArgumentException("cross_entropy: " + labels.length + " labels for logits " + Shapes.str(logits.shape()));
        }
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f)) {
            throw new IllegalArgumentException("cross_entropy: label smoothing must be in [0, 1], got " + labelSmoothing);
        }
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= c) {
                throw new IllegalArgumentException("cross_entropy: label " + labels[i] + " at position " + i + " is outside [0, " + c + ")");
            }
        }
        int[] lab = labels.clone();
        return new Function("cross_entropy") {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                Tensor xc = in[0];
                float[] a = xc.data();
                int ao = xc.offset();
                Tensor logp = Tensor.empty(n, c);
                float[] lp = logp.data();
                double total = 0;
                for (int i = 0; i < n; i++) {
                    rowSoftmax(a, ao + i * c, lp, i * c, c, true);
                    double smooth = 0;
                    for (int j = 0; j < c; j++) {
                        smooth += lp[i * c + j];
                    }
                    total += -(1 - labelSmoothing) * lp[i * c + lab[i]] - labelSmoothing * smooth / c;
                }
                ctx.save(logp);
                return Tensor.scalar(n == 0 ? Float.NaN : (float) (total / n));
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                float scale = g.item() / n;
                float[] p = ctx.saved(0).data();
                Tensor gx = Tensor.empty(n, c);
                float[] r = gx.data();
                float offTarget = labelSmoothing / c;
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < c; j++) {
                        float q = offTarget + (j == lab[i] ? 1 - labelSmoothing : 0f);
                        r[i * c + j] = ((float) Math.exp(p[i * c + j]) - q) * scale;
                    }
                }
                return new Tensor[] {gx};
            }
        }.apply(logits.contiguous());
    }

    /**
     * Mean-squared error {@code mean((pred − target)²)}, composed of primitive ops.
     *
     * @throws IllegalArgumentException if the shapes differ
     */
    public static Tensor mse(Tensor pred, Tensor target) {
        if (!java.util.Arrays.equals(pred.shape(), target.shape())) {
            throw new IllegalArgumentException("mse_loss: prediction " + Shapes.str(pred.shape()) + " and target "
                    + Shapes.str(target.shape()) + " differ");
        }
        Tensor d = pred.sub(target);
        return d.mul(d).mean();
    }
}
