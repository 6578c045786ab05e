package org.quadralib.core;

import java.util.SplittableRandom;

/**
 * A seeded random generator for initialisation, dropout and data order. Same seed, same sequence, on every
 * machine. Its state can be saved and restored ({@link #state()}, {@link #restore}) so resumed training
 * continues the same trajectory.
 */
public final class Rng {

    private long seed;
    private long draws;
    private SplittableRandom random;
    private double spareNormal = Double.NaN;

    /** A generator seeded with {@code seed}. */
    public Rng(long seed) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
    }

    /** The seed this generator started from. */
    public long seed() {
        return seed;
    }

    /** Next uniform double in [0, 1). */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Next uniform int in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("Rng.nextInt: bound must be positive, got " + bound);
        }
        // One raw draw per value (multiply-shift, bias below 2^-32) keeps the replay in restore() exact.
        return (int) (((nextLong() >>> 32) * bound) >>> 32);
    }

    /** Next long; every other draw is built from exactly one of these. */
    public long nextLong() {
        draws++;
        return random.nextLong();
    }

    /** Next standard normal value (Box–Muller, pairs cached). */
    public double nextGaussian() {
        if (!Double.isNaN(spareNormal)) {
            double v = spareNormal;
            spareNormal = Double.NaN;
            return v;
        }
        double u1;
        do {
            u1 = nextDouble();
        } while (u1 <= 1e-300);
        double u2 = nextDouble();
        double r = Math.sqrt(-2 * Math.log(u1));
        spareNormal = r * Math.sin(2 * Math.PI * u2);
        return r * Math.cos(2 * Math.PI * u2);
    }

    /** Fills {@code a[off, off+n)} with uniform values in [lo, hi). */
    public void fillUniform(float[] a, int off, int n, float lo, float hi) {
        for (int i = 0; i < n; i++) {
            a[off + i] = (float) (lo + (hi - lo) * nextDouble());
        }
    }

    /** Fills {@code a[off, off+n)} with normal values of the given mean and standard deviation. */
    public void fillNormal(float[] a, int off, int n, float mean, float std) {
        for (int i = 0; i < n; i++) {
            a[off + i] = (float) (mean + std * nextGaussian());
        }
    }

    /** A new generator derived from this one's next value (for independent streams). */
    public Rng fork() {
        return new Rng(nextLong());
    }

    /**
     * The state as {@code [seed, draws, hasSpare, spareBits]}: enough to restore the exact sequence position.
     */
    public long[] state() {
        return new long[] {seed, draws, Double.isNaN(spareNormal) ? 0 : 1, Double.doubleToRawLongBits(spareNormal)};
    }

    /**
     * Restores a state from {@link #state()} by replaying the draws from the seed.
     *
     * @throws IllegalArgumentException if the array is not a state
     */
    public void restore(long[] state) {
        if (state == null || state.length != 4 || state[1] < 0) {
            throw new IllegalArgumentException("Rng.restore: expected [seed, draws, hasSpare, spareBits]");
        }
        seed = state[0];
        random = new SplittableRandom(seed);
        for (long i = 0; i < state[1]; i++) {
            random.nextLong();
        }
        draws = state[1];
        spareNormal = state[2] != 0 ? Double.longBitsToDouble(state[3]) : Double.NaN;
    }
}
