package org.quadralib.core.optim;

import java.util.List;

import org.quadralib.core.Tensor;

/**
 * Parameters that share hyper-parameters. The learning rate changes during training (schedulers scale
 * {@link #baseLr()}); weight decay is fixed.
 */
public final class ParamGroup {
    private final String name;
    private final List<Tensor> params;
    private final float baseLr;
    private final float weightDecay;
    private float lr;

    /**
     * @param name a label shown in logs and checkpoints, e.g. {@code "linear"} or {@code "quadratic"}
     * @throws IllegalArgumentException if lr or weight decay is negative or not finite
     */
    public ParamGroup(String name, List<Tensor> params, float lr, float weightDecay) {
        checkLr(name, lr);
        if (!(weightDecay >= 0f) || Float.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("param group '" + name + "': weight decay must be >= 0, got " + weightDecay);
        }
        this.name = name;
        this.params = List.copyOf(params);
        this.baseLr = lr;
        this.lr = lr;
        this.weightDecay = weightDecay;
    }

    /** The group's label. */
    public String name() {
        return name;
    }

    /** The parameters, in a fixed order. */
    public List<Tensor> params() {
        return params;
    }

    /** The learning rate given at construction. */
    public float baseLr() {
        return baseLr;
    }

    /** The learning rate in force. */
    public float lr() {
        return lr;
    }

    /**
     * Sets the learning rate in force (schedulers).
     *
     * @throws IllegalArgumentException if {@code value} is negative, NaN or infinite (one step at such a rate
     *                                  turns every weight of the group into NaN); the rate in force is then unchanged
     */
    public void setLr(float value) {
        checkLr(name, value);
        this.lr = value;
    }

    static void checkLr(String group, float value) {
        if (!(value >= 0f) || Float.isInfinite(value)) {
            throw new IllegalArgumentException("param group '" + group + "': learning rate must be finite and >= 0, got "
                    + value);
        }
    }

    /** Weight decay. */
    public float weightDecay() {
        return weightDecay;
    }
}
