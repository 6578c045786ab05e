package org.quadralib.core.optim;

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

    /** Jumps to {@code s} (resuming from a checkpoint). */
    public void setStep(int s) {
        step = s;
        apply();
    }

    private void apply() {
        double f = factor(step);
        for (ParamGroup g : optimizer.groups()) {
            g.setLr((float) (g.baseLr() * f));
        }
    }

    /** Multiplies the rate by {@code gamma} every {@code stepSize} steps. */
    public static LrScheduler stepLr(Optimizer optimizer, int stepSize, double gamma) {
        if (stepSize <= 0) {
            throw new IllegalArgumentException("stepLr: step size must be > 0, got " + stepSize);
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
     * @throws IllegalArgumentException if warmup is negative or not below total
     */
    public static LrScheduler cosineWithWarmup(Optimizer optimizer, int warmup, int total, double minFactor) {
        if (warmup < 0 || total <= warmup) {
            throw new IllegalArgumentException("cosineWithWarmup: need 0 <= warmup < total, got " + warmup + ", " + total);
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
