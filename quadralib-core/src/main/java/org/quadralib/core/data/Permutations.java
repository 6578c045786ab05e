package org.quadralib.core.data;

import org.quadralib.core.Rng;

/** Seeded shuffles shared by the splitter and the loader, so both order samples the same way. */
final class Permutations {

    private Permutations() {
    }

    /** {@code [0, n)} in a random order drawn from {@code rng} (Fisher–Yates). */
    static int[] shuffled(int n, Rng rng) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /**
     * A seed for stream {@code index} of {@code seed}: SplitMix64's finaliser over both, so neighbouring
     * epochs or batches get unrelated random streams rather than shifted copies of one.
     */
    static long derive(long seed, long index) {
        long z = seed + 0x9E3779B97F4A7C15L * (index + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
