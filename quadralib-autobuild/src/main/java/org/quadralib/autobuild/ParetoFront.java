package org.quadralib.autobuild;

import java.util.List;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Which items are Pareto-optimal: no other item is at least as accurate and at most as costly in every measure,
 * and strictly better in one of them. Accuracy is maximised, every cost minimised. An item whose accuracy or
 * a cost is NaN (a diverged or unmeasured candidate) is never optimal and dominates nothing.
 */
public final class ParetoFront {

    private ParetoFront() {
    }

    /**
     * One flag per item, true for the Pareto-optimal ones; O(n²·k), for the few candidates of an exploration.
     *
     * @param accuracy higher is better
     * @param costs lower is better, each
     * @throws NullPointerException if an argument is null
     */
    public static <T> boolean[] optimal(List<T> items, ToDoubleFunction<? super T> accuracy,
                                        List<? extends ToDoubleFunction<? super T>> costs) {
        Objects.requireNonNull(accuracy, "accuracy");
        int n = items.size();
        int k = costs.size();
        double[][] v = new double[n][k + 1];
        boolean[] valid = new boolean[n];
        for (int i = 0; i < n; i++) {
            T item = items.get(i);
            v[i][0] = -accuracy.applyAsDouble(item);
            for (int c = 0; c < k; c++) {
                v[i][c + 1] = costs.get(c).applyAsDouble(item);
            }
            valid[i] = true;
            for (double x : v[i]) {
                valid[i] &= !Double.isNaN(x);
            }
        }
        boolean[] optimal = new boolean[n];
        for (int i = 0; i < n; i++) {
            optimal[i] = valid[i];
            for (int j = 0; j < n && optimal[i]; j++) {
                if (j != i && valid[j] && dominates(v[j], v[i])) {
                    optimal[i] = false;
                }
            }
        }
        return optimal;
    }

    /** a is at most b in every coordinate and below it in one (all minimised). */
    private static boolean dominates(double[] a, double[] b) {
        boolean strict = false;
        for (int c = 0; c < a.length; c++) {
            if (a[c] > b[c]) {
                return false;
            }
            strict |= a[c] < b[c];
        }
        return strict;
    }
}
