package org.quadralib.core;

/**
 * A seeded random generator for initialisation, dropout and data order. Same seed, same sequence, on every
 * machine. Its state can be saved and restored ({@link #state()}, {@link #restore}) so resumed training
 * continues the same trajectory.
 *
 * <p>The raw sequence is SplitMix64, the generator of {@link java.util.SplittableRandom}{@code (seed)} and
 * identical to its {@code nextLong()} output: draw {@code k} (1-based) is {@code mix64(seed + k·γ)} with
 * {@code γ = 0x9e3779b97f4a7c15}. The position after any number of draws is therefore computed, not replayed:
 * {@link #restore} takes constant time for every draw count.
 *
 * <p>Not thread-safe: a generator is used by one thread at a time.
 */
public final class Rng {

    /** SplittableRandom's golden-ratio increment. */
    private static final long GAMMA = 0x9e3779b97f4a7c15L;

    private long seed;
    private long draws;
    /** {@code seed + draws·γ}, the SplitMix64 state. */
    private long position;
    private double spareNormal = Double.NaN;

    /** A generator seeded with {@code seed}. */
    public Rng(long seed) {
        this.seed = seed;
        this.position = seed;
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
        // One raw draw per value (multiply-shift, bias below 2^-32): the draw count alone locates the position.
        return (int) (((nextLong() >>> 32) * bound) >>> 32);
    }

    /** Next long; every other draw is built from exactly one of these. */
    public long nextLong() {
        draws++;
        position += GAMMA;
        return mix64(position);
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
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
     * Restores a state from {@link #state()} in constant time (the position is {@code seed + draws·γ}). Nothing
     * changes when the state is refused.
     *
     * @throws IllegalArgumentException if the array is not a state: not four values, a negative draw count, a
     *                                  spare flag other than 0 or 1, or a spare normal value that is not finite
     */
    public void restore(long[] state) {
        String problem = checkState(state);
        if (problem != null) {
            throw new IllegalArgumentException("Rng.restore: " + problem);
        }
        seed = state[0];
        draws = state[1];
        position = seed + draws * GAMMA;
        spareNormal = state[2] != 0 ? Double.longBitsToDouble(state[3]) : Double.NaN;
    }

    /**
     * Why {@code state} cannot be {@link #restore restored}, or null if it can: lets a caller validate several
     * states before changing any generator.
     */
    public static String checkState(long[] state) {
        if (state == null || state.length != 4) {
            return "expected [seed, draws, hasSpare, spareBits], got "
                    + (state == null ? "null" : state.length + " values");
        }
        if (state[1] < 0) {
            return "draw count must be >= 0, got " + state[1];
        }
        if (state[2] != 0 && state[2] != 1) {
            return "spare flag must be 0 or 1, got " + state[2];
        }
        if (state[2] == 1 && !Double.isFinite(Double.longBitsToDouble(state[3]))) {
            return "spare normal value must be finite, got " + Double.longBitsToDouble(state[3]);
        }
        return null;
    }
}
