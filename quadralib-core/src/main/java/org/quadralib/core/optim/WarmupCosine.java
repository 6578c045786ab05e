package org.quadralib.core.optim;

/**
 * Linear warm-up, then cosine decay: PyTorch's
 * {@code SequentialLR([LinearLR(start_factor=s, total_iters=W), CosineAnnealingLR(T_max=T − W, eta_min=m·lr)],
 * milestones=[W])}, the schedule of most current image-classification recipes. At step {@code k} (0-based) the
 * rate is {@code baseLr · f(k)} with
 * <pre>
 *   f(k) = s + (1 − s)·k/W                                   for k &lt; W
 *   f(k) = m + (1 − m)·(1 + cos(π·min(1, (k − W)/(T − W))))/2  for k ≥ W
 * </pre>
 * so the rate climbs from {@code s·lr} to {@code lr} in {@code W} steps and falls to {@code m·lr} at step
 * {@code T}, where it stays (PyTorch's cosine would rise again after {@code T}; a run of {@code T} steps never
 * gets there). Every parameter group follows from its own base rate, so the quadratic group keeps its scale.
 * With {@code W = 0} it is {@code CosineAnnealingLR} alone. {@link LrScheduler#cosineWithWarmup} is this
 * schedule with {@code s = 1/(W + 1)}.
 */
public final class WarmupCosine extends LrScheduler {

    private final int warmup;
    private final double startFactor;
    private final int total;
    private final double minFactor;

    /**
     * Binds the schedule to {@code optimizer} and applies the rate of step 0.
     *
     * @param warmupSteps {@code W}, the steps of linear warm-up, {@code 0 ≤ W < T}
     * @param startFactor {@code s}, the multiplier at step 0, in (0, 1] (PyTorch's {@code LinearLR} default is 1/3)
     * @param totalSteps  {@code T}, the length of the run in scheduler steps
     * @param minFactor   {@code m}, the multiplier at step {@code T} and after, in [0, 1]
     * @throws IllegalArgumentException if a value is outside its range (the message names it)
     */
    public WarmupCosine(Optimizer optimizer, int warmupSteps, double startFactor, int totalSteps, double minFactor) {
        super(check(optimizer, warmupSteps, startFactor, totalSteps, minFactor));
        this.warmup = warmupSteps;
        this.startFactor = startFactor;
        this.total = totalSteps;
        this.minFactor = minFactor;
        setStep(0); // the superclass applied factor(0) before these fields were set
    }

    private static Optimizer check(Optimizer optimizer, int warmup, double start, int total, double min) {
        if (warmup < 0 || total <= warmup) {
            throw new IllegalArgumentException("WarmupCosine: need 0 <= warmup steps < total steps, got " + warmup
                    + " and " + total);
        }
        if (!(start > 0 && start <= 1)) {
            throw new IllegalArgumentException("WarmupCosine: start factor must be in (0, 1], got " + start);
        }
        if (!(min >= 0 && min <= 1)) {
            throw new IllegalArgumentException("WarmupCosine: min factor must be in [0, 1], got " + min);
        }
        return optimizer;
    }

    @Override
    protected double factor(int k) {
        if (total == 0) {
            return 1; // only while the superclass constructor runs; setStep(0) applies the real factor
        }
        if (k < warmup) {
            return startFactor + (1 - startFactor) * k / warmup;
        }
        double progress = Math.min(1.0, (k - warmup) / (double) (total - warmup));
        return minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
