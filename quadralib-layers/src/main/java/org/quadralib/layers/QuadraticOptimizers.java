package org.quadralib.layers;

import java.util.ArrayList;
import java.util.List;

import org.quadralib.core.Tensor;
import org.quadralib.core.optim.ParamGroup;
import org.quadralib.core.optim.SGD;

/**
 * The quadratic optimizer: a model's parameters split by {@link Parameter#quadratic()} into a {@code "linear"} and
 * a {@code "quadratic"} group with their own learning rate and weight decay.
 *
 * <p>Why: ReLinear (Fan et al., "Expressivity and trainability of quadratic networks") shows that a quadratic
 * network trained with one learning rate for all weights diverges or gets stuck, because the quadratic term's
 * gradients grow with the input's magnitude squared; training the quadratic weights about 10× slower than the
 * linear ones ({@code quadraticLrScale ≈ 0.1}), from a linear start, keeps the network near its first-order
 * solution and lets the quadratic term grow where it helps. The reference QuadraLib recipes also clip the global
 * gradient norm at 0.5 ({@link #REFERENCE_MAX_GRAD_NORM}; see
 * {@link org.quadralib.core.optim.GradClip#clipGradNorm}).
 */
public final class QuadraticOptimizers {

    /** The gradient-norm clip of the reference QuadraLib training recipes. */
    public static final float REFERENCE_MAX_GRAD_NORM = 0.5f;

    private QuadraticOptimizers() {
    }

    /**
     * Two groups over every parameter of {@code model}: {@code "linear"} (first-order parameters, learning rate
     * {@code lr}, decay {@code weightDecay}) and {@code "quadratic"} (learning rate {@code lr·quadraticLrScale}, decay
     * {@code quadraticWeightDecay}). A group with no parameters is left out, so a first-order model gets one group.
     *
     * @throws IllegalArgumentException if the model has no parameters, or a rate, scale or decay is negative or not
     *     finite
     */
    public static List<ParamGroup> parameterGroups(Module model, float lr, float quadraticLrScale, float weightDecay,
            float quadraticWeightDecay) {
        if (!(quadraticLrScale >= 0f) || Float.isInfinite(quadraticLrScale)) {
            throw new IllegalArgumentException("parameterGroups: quadraticLrScale must be >= 0 and finite, got " + quadraticLrScale);
        }
        List<Tensor> linear = new ArrayList<>();
        List<Tensor> quadratic = new ArrayList<>();
        for (Parameter p : model.namedParameters().values()) {
            (p.quadratic() ? quadratic : linear).add(p.tensor());
        }
        if (linear.isEmpty() && quadratic.isEmpty()) {
            throw new IllegalArgumentException("parameterGroups: " + model.describe() + " has no parameters");
        }
        List<ParamGroup> groups = new ArrayList<>(2);
        if (!linear.isEmpty()) {
            groups.add(new ParamGroup("linear", linear, lr, weightDecay));
        }
        if (!quadratic.isEmpty()) {
            groups.add(new ParamGroup("quadratic", quadratic, lr * quadraticLrScale, quadraticWeightDecay));
        }
        return groups;
    }

    /**
     * SGD over {@link #parameterGroups} without weight decay: linear weights at {@code lr}, quadratic weights at
     * {@code lr·quadraticLrScale}.
     *
     * @throws IllegalArgumentException as {@link #parameterGroups} and {@link SGD} (momentum outside [0, 1))
     */
    public static SGD sgd(Module model, float lr, float momentum, float quadraticLrScale) {
        return sgd(model, lr, momentum, quadraticLrScale, 0f);
    }

    /**
     * SGD over {@link #parameterGroups} with L2 weight decay {@code weightDecay} on both groups, as
     * {@code torch.optim.SGD(groups, momentum=μ, weight_decay=wd)} with the quadratic group at
     * {@code lr·quadraticLrScale}: {@code g ← g + wd·p; v ← μ·v + g; p ← p − lr_group·v}. Biases and every other
     * parameter decay too, as in PyTorch.
     *
     * @throws IllegalArgumentException as {@link #parameterGroups} and {@link SGD} (momentum outside [0, 1))
     */
    public static SGD sgd(Module model, float lr, float momentum, float quadraticLrScale, float weightDecay) {
        return new SGD(parameterGroups(model, lr, quadraticLrScale, weightDecay, weightDecay), momentum, false);
    }
}
