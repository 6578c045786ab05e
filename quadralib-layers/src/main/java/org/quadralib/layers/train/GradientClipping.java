package org.quadralib.layers.train;

import org.quadralib.core.optim.GradClip;

/**
 * Rescales the gradients of every optimized parameter so their global L2 norm is at most {@code maxNorm}
 * ({@code g ← g·min(1, maxNorm/(‖g‖₂ + 1e-6))}, PyTorch's {@code clip_grad_norm_}), between back-propagation and
 * the optimizer step. The {@link Trainer} adds one by itself when its configuration asks for clipping (by default
 * for quadratic models).
 */
public final class GradientClipping implements TrainingListener {

    private final float maxNorm;
    private float lastNorm = Float.NaN;

    /** @throws IllegalArgumentException if {@code maxNorm} is not a positive finite number */
    public GradientClipping(float maxNorm) {
        if (!(maxNorm > 0) || Float.isInfinite(maxNorm)) {
            throw new IllegalArgumentException("GradientClipping: max norm must be a positive finite number, got "
                    + maxNorm);
        }
        this.maxNorm = maxNorm;
    }

    @Override
    public void onGradients(TrainingContext context) {
        lastNorm = GradClip.clipGradNorm(context.optimizer().params(), maxNorm);
    }

    /** The limit. */
    public float maxNorm() {
        return maxNorm;
    }

    /** The global norm of the last step's gradients before clipping (NaN before the first step). */
    public float lastNorm() {
        return lastNorm;
    }
}
