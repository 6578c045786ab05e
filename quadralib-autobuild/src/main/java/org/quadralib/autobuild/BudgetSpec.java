package org.quadralib.autobuild;

import java.util.Locale;
import java.util.Objects;

/**
 * A budget as a user writes it, absolute or relative to a baseline model: {@code params=1.5x} (at most 1.5 times
 * the baseline's parameters), {@code params=60000}, {@code macs=2.5M}, {@code memory=1.2x}, {@code memory=64MiB}.
 * {@link #resolve} turns it into a {@link Budget} once the baseline's cost is known.
 *
 * <p>Syntax: {@code MEASURE=AMOUNT} with MEASURE one of {@code params}, {@code macs}, {@code memory}; AMOUNT a
 * positive number followed by {@code x} (relative), or an absolute count with an optional suffix {@code k},
 * {@code M}, {@code G} (10³, 10⁶, 10⁹), or for memory bytes with an optional {@code KiB}, {@code MiB}, {@code GiB}
 * (2¹⁰, 2²⁰, 2³⁰) or {@code kB}, {@code MB}, {@code GB}.
 *
 * @param measure what is limited
 * @param amount the factor (relative) or the absolute limit
 * @param relative whether {@code amount} multiplies the baseline's cost
 */
public record BudgetSpec(Budget.Measure measure, double amount, boolean relative) {

    /**
     * @throws IllegalArgumentException if the amount is not positive and finite
     */
    public BudgetSpec {
        Objects.requireNonNull(measure, "measure");
        if (!(amount > 0) || Double.isInfinite(amount)) {
            throw new IllegalArgumentException("BudgetSpec: the amount must be positive and finite, got " + amount);
        }
    }

    /**
     * Parses {@code MEASURE=AMOUNT}.
     *
     * @throws IllegalArgumentException naming the text and the accepted forms when it is malformed
     */
    public static BudgetSpec parse(String text) {
        String t = Objects.requireNonNull(text, "text").trim();
        int eq = t.indexOf('=');
        if (eq < 0) {
            throw malformed(text, "expected MEASURE=AMOUNT");
        }
        Budget.Measure measure = switch (t.substring(0, eq).trim().toLowerCase(Locale.ROOT)) {
            case "params", "parameters" -> Budget.Measure.PARAMETERS;
            case "macs" -> Budget.Measure.MACS;
            case "memory", "mem" -> Budget.Measure.TRAINING_MEMORY;
            default -> throw malformed(text, "the measure must be params, macs or memory");
        };
        String amount = t.substring(eq + 1).trim();
        boolean relative = amount.endsWith("x") || amount.endsWith("X");
        double scale = 1;
        String number = amount;
        if (relative) {
            number = amount.substring(0, amount.length() - 1);
        } else {
            String[][] suffixes = measure == Budget.Measure.TRAINING_MEMORY
                    ? new String[][] {{"KiB", "1024"}, {"MiB", "1048576"}, {"GiB", "1073741824"}, {"kB", "1e3"}, {"MB", "1e6"}, {"GB", "1e9"},
                        {"B", "1"}}
                    : new String[][] {{"k", "1e3"}, {"K", "1e3"}, {"M", "1e6"}, {"G", "1e9"}};
            for (String[] s : suffixes) {
                if (amount.endsWith(s[0])) {
                    number = amount.substring(0, amount.length() - s[0].length());
                    scale = Double.parseDouble(s[1]);
                    break;
                }
            }
        }
        double value;
        try {
            value = Double.parseDouble(number.trim()) * scale;
        } catch (NumberFormatException e) {
            throw malformed(text, "the amount must be a number, a factor such as 1.5x, or a count such as 2.5M"
                    + (measure == Budget.Measure.TRAINING_MEMORY ? " or 64MiB" : ""));
        }
        if (!(value > 0) || Double.isInfinite(value)) {
            throw malformed(text, "the amount must be positive");
        }
        if (!relative && value < 1) {
            throw malformed(text, "an absolute limit must be at least 1");
        }
        return new BudgetSpec(measure, value, relative);
    }

    private static IllegalArgumentException malformed(String text, String why) {
        return new IllegalArgumentException("budget '" + text + "': " + why
                + " (e.g. params=1.5x, macs=2.5M, memory=64MiB, memory=1.2x)");
    }

    /**
     * The budget for a baseline costing {@code baselineCost} in this measure.
     *
     * @param batchSize the training batch the memory is predicted for (ignored for parameters and MACs)
     * @throws IllegalArgumentException if the baseline cost or the batch size is not positive
     */
    public Budget resolve(long baselineCost, int batchSize) {
        if (relative && baselineCost <= 0) {
            throw new IllegalArgumentException("BudgetSpec: a relative budget needs a positive baseline cost, got " + baselineCost);
        }
        long limit = relative ? (long) Math.floor(amount * baselineCost) : (long) Math.floor(amount);
        return switch (measure) {
            case PARAMETERS -> Budget.parameters(Math.max(1, limit));
            case MACS -> Budget.macs(Math.max(1, limit));
            case TRAINING_MEMORY -> Budget.trainingMemory(Math.max(1, limit), batchSize);
        };
    }

    /** {@code params=1.5x}, {@code memory=67108864}: parseable back. */
    @Override
    public String toString() {
        String name = switch (measure) {
            case PARAMETERS -> "params";
            case MACS -> "macs";
            case TRAINING_MEMORY -> "memory";
        };
        return name + "=" + (relative ? trim(amount) + "x" : String.format(Locale.ROOT, "%.0f", amount));
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : Double.toString(v);
    }
}
