package org.quadralib.core.optim;

import java.util.List;

/**
 * Sets every group's learning rate to {@code baseLr · factor(step)}. Call {@link #step()} once per epoch or per
 * batch, as the schedule is written for.
 */
public abstract class LrScheduler {
    private final Optimizer optimizer;
    private int step;

    /**
     * Binds the schedule to {@code optimizer} and applies the rate of step 0 ({@link #factor factor(0)} times each
     * group's base rate) at once.
     *
     * @param optimizer the optimizer whose parameter groups' learning rates this schedule sets
     */
    @SuppressWarnings("this-escape") // applying factor(0) at once is the contract; factor must not need more than its step
    protected LrScheduler(Optimizer optimizer) {
        this.optimizer = optimizer;
        apply();
    }

    /**
     * The multiplier of the base learning rate at {@code step} (0-based). Called once from this class's constructor,
     * before a subclass's own fields are assigned: it may read the values an anonymous or local class captures
     * (assigned before that call), not fields a subclass's constructor sets.
     */
    protected abstract double factor(int step);

    /** Advances one step and applies the new rate. */
    public void step() {
        step++;
        apply();
    }

    /** The number of {@link #step()} calls so far. */
    public int currentStep() {
        return step;
    }

    /**
     * Jumps to {@code s} (resuming from a checkpoint).
     *
     * @throws IllegalArgumentException if {@code s} is negative, or the schedule's rate at {@code s} is negative or
     *                                  not finite; the step and every rate are then unchanged
     */
    public void setStep(int s) {
        if (s < 0) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".setStep: step must be >= 0, got " + s);
        }
        float[] rates = rates(s);
        step = s;
        set(rates);
    }

    /**
     * Whether {@link #setStep setStep(s)} would succeed, without changing anything: null if so, else why not. Lets
     * a caller validate a checkpoint completely before applying any of it.
     */
    public String checkStep(int s) {
        if (s < 0) {
            return "scheduler step must be >= 0, got " + s;
        }
        try {
            rates(s);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    private void apply() {
        set(rates(step));
    }

    /** Every group's rate at step {@code s}, all checked before any is set. */
    private float[] rates(int s) {
        double f = factor(s);
        List<ParamGroup> groups = optimizer.groups();
        float[] rates = new float[groups.size()];
        for (int i = 0; i < rates.length; i++) {
            rates[i] = (float) (groups.get(i).baseLr() * f);
            if (!(rates[i] >= 0f) || Float.isInfinite(rates[i])) {
                throw new IllegalArgumentException("learning-rate schedule: factor " + f + " at step " + s
                        + " gives group '" + groups.get(i).name() + "' the rate " + rates[i]
                        + " (must be finite and >= 0)");
            }
        }
        return rates;
    }

    private void set(float[] rates) {
        List<ParamGroup> groups = optimizer.groups();
        for (int i = 0; i < rates.length; i++) {
            groups.get(i).setLr(rates[i]);
        }
    }

    /**
     * Multiplies the rate by {@code gamma} every {@code stepSize} steps.
     *
     * @throws IllegalArgumentException if the step size is not positive or gamma is negative or not finite
     */
    public static LrScheduler stepLr(Optimizer optimizer, int stepSize, double gamma) {
        if (stepSize <= 0) {
            throw new IllegalArgumentException("stepLr: step size must be > 0, got " + stepSize);
        }
        if (!(gamma >= 0) || Double.isInfinite(gamma)) {
            throw new IllegalArgumentException("stepLr: gamma must be finite and >= 0, got " + gamma);
        }
        return new LrScheduler(optimizer) {
            @Override
            protected double factor(int s) {
                return Math.pow(gamma, s / stepSize);
            }
        };
    }

    /**
     * Linear warm-up over {@code warmup} steps, {@code f = (s + 1)/(warmup + 1)} for {@code s < warmup}, then cosine
     * decay to {@code minFactor} at {@code total} steps, where it stays:
     * {@code f = min + (1 − min)·(1 + cos(π·min(1, (s − warmup)/(total − warmup))))/2}. Without warm-up this is
     * PyTorch's {@code CosineAnnealingLR} with {@code T_max = total} and {@code eta_min = minFactor · lr}.
     *
     * @throws IllegalArgumentException if warmup is negative or not below total, or minFactor is outside [0, 1]
     */
    public static LrScheduler cosineWithWarmup(Optimizer optimizer, int warmup, int total, double minFactor) {
        if (warmup < 0 || total <= warmup) {
            throw new IllegalArgumentException("cosineWithWarmup: need 0 <= warmup < total, got " + warmup + ", " + total);
        }
        if (!(minFactor >= 0 && minFactor <= 1)) {
            throw new IllegalArgumentException("cosineWithWarmup: minFactor must be in [0, 1], got " + minFactor);
        }
        return new LrScheduler(optimizer) {
            @Override
            protected double factor(int s) {
                if (s < warmup) {
                    return (s + 1) / (double) (warmup + 1);
                }
                double progress = Math.min(1.0, (s - warmup) / (double) (total - warmup));
                return minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * progress));
            }
        };
    }
}
