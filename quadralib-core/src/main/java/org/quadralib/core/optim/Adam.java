package org.quadralib.core.optim;

import java.util.List;
import java.util.Set;

import org.quadralib.core.Tensor;

/**
 * Adam and AdamW. With bias-corrected moments m̂, v̂ (the step count t is the optimizer's {@link #steps()}, so a
 * parameter that skipped steps is corrected as if it had not):
 * Adam {@code g ← g + wd·p; p ← p − lr·m̂/(√v̂ + eps)}; AdamW (decoupled) {@code p ← p·(1 − lr·wd) − lr·m̂/(√v̂ + eps)}.
 */
public final class Adam extends Optimizer {
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final boolean decoupled;

    /**
     * @param decoupled true for AdamW
     * @throws IllegalArgumentException if a beta is outside [0, 1) or eps is not positive and finite
     */
    public Adam(List<ParamGroup> groups, float beta1, float beta2, float eps, boolean decoupled) {
        super(groups);
        if (!(beta1 >= 0f && beta1 < 1f) || !(beta2 >= 0f && beta2 < 1f)) {
            throw new IllegalArgumentException("Adam: betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps > 0f) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException("Adam: eps must be finite and > 0, got " + eps);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.decoupled = decoupled;
    }

    /** Adam with PyTorch's defaults (0.9, 0.999, 1e-8) on one group. */
    public static Adam adam(List<Tensor> params, float lr) {
        return new Adam(List.of(new ParamGroup("default", params, lr, 0f)), 0.9f, 0.999f, 1e-8f, false);
    }

    /** AdamW with PyTorch's defaults (0.9, 0.999, 1e-8) on one group with weight decay {@code wd}. */
    public static Adam adamW(List<Tensor> params, float lr, float wd) {
        return new Adam(List.of(new ParamGroup("default", params, lr, wd)), 0.9f, 0.999f, 1e-8f, true);
    }

    @Override
    protected Set<String> stateKeys() {
        return Set.of("exp_avg", "exp_avg_sq");
    }

    @Override
    protected void update(ParamGroup group, Tensor param, Tensor grad) {
        float[] p = param.data();
        float[] g = grad.data();
        int po = param.offset();
        int go = grad.offset();
        float[] m = state(param, "exp_avg").data();
        float[] v = state(param, "exp_avg_sq").data();
        long t = steps();
        float lr = group.lr();
        float wd = group.weightDecay();
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2 = 1 - Math.pow(beta2, t);
        float stepSize = (float) (lr / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        for (int i = 0, n = param.numel(); i < n; i++) {
            float gi = g[go + i];
            if (decoupled) {
                p[po + i] *= 1 - lr * wd;
            } else {
                gi += wd * p[po + i];
            }
            m[i] = beta1 * m[i] + (1 - beta1) * gi;
            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
            p[po + i] -= stepSize * m[i] / ((float) Math.sqrt(v[i]) / bc2Sqrt + eps);
        }
    }
}
