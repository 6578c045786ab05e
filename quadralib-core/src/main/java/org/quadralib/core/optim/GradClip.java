package org.quadralib.core.optim;

import java.util.List;

import org.quadralib.core.Tensor;
import org.quadralib.core.ops.InPlace;

/** Global gradient-norm clipping, as PyTorch's {@code clip_grad_norm_}. */
public final class GradClip {

    private GradClip() {
    }

    /**
     * Scales every gradient by {@code min(1, maxNorm / (‖g‖₂ + 1e-6))}, where ‖g‖₂ is the norm of all gradients
     * taken together.
     *
     * @return the total norm before clipping (NaN or infinite if a gradient is)
     * @throws IllegalArgumentException if maxNorm is not positive and finite
     */
    public static float clipGradNorm(List<Tensor> params, float maxNorm) {
        if (!(maxNorm > 0f) || Float.isInfinite(maxNorm)) {
            throw new IllegalArgumentException("clipGradNorm: max norm must be finite and > 0, got " + maxNorm);
        }
        double sq = 0;
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g == null) {
                continue;
            }
            float[] d = g.data();
            for (int i = g.offset(), end = g.offset() + g.numel(); i < end; i++) {
                sq += (double) d[i] * d[i];
            }
        }
        float total = (float) Math.sqrt(sq);
        float coef = maxNorm / (total + 1e-6f);
        if (coef < 1f) {
            for (Tensor p : params) {
                if (p.grad() != null) {
                    InPlace.scale(p.grad(), coef);
                }
            }
        }
        return total;
    }
}
