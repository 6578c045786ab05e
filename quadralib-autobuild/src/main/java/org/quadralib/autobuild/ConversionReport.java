package org.quadralib.autobuild;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * What {@link Converter#convert} did to each weight layer of the model, in traversal order.
 *
 * <p>Every weight layer has an entry (see {@link ConversionPolicy} for which modules those are): converted, left as
 * the policy asked, already quadratic (a no-op), or not convertible, with the reason. Nothing is skipped silently.
 */
public final class ConversionReport {

    /** What happened to a weight layer. */
    public enum Action {
        /** Replaced by a quadratic layer. */
        CONVERTED,
        /** Already quadratic: left as it is. */
        ALREADY_QUADRATIC,
        /** Kept first-order because the policy did not select it; the note says which rule. */
        NOT_SELECTED,
        /** Selected (or in scope) but not convertible; the note gives the reason. */
        UNSUPPORTED
    }

    /**
     * One weight layer.
     *
     * @param index position among the model's weight layers in traversal order
     * @param path dotted module path
     * @param before the layer as it was, one line ({@code Conv2d(3, 16, kernel_size=(3, 3), ...)})
     * @param after the layer as it is in the converted model, one line (equal to {@code before} unless converted)
     * @param paramsBefore parameter elements before (branch norms included)
     * @param paramsAfter parameter elements after
     * @param action what happened
     * @param preservesFunction true if the layer computes what it did before: always for a layer that was not
     *     converted; for a converted one only with a linear start into a type with a linear term
     * @param note why: the selection rule that kept it, the reason it could not be converted, or how the weights
     *     were transferred and whether the function is preserved
     */
    public record Entry(int index, String path, String before, String after, long paramsBefore, long paramsAfter, Action action,
            boolean preservesFunction, String note) {
    }

    private final String policy;
    private final List<Entry> entries;
    private final long modelParamsBefore;
    private final long modelParamsAfter;

    ConversionReport(String policy, List<Entry> entries, long modelParamsBefore, long modelParamsAfter) {
        this.policy = policy;
        this.entries = Collections.unmodifiableList(new ArrayList<>(entries));
        this.modelParamsBefore = modelParamsBefore;
        this.modelParamsAfter = modelParamsAfter;
    }

    /** Every weight layer, in traversal order. */
    public List<Entry> entries() {
        return entries;
    }

    /** The entries with {@code action}. */
    public List<Entry> entries(Action action) {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries) {
            if (e.action() == action) {
                out.add(e);
            }
        }
        return out;
    }

    /**
     * The entry of the layer at {@code path}.
     *
     * @throws IllegalArgumentException if no weight layer has that path
     */
    public Entry entry(String path) {
        for (Entry e : entries) {
            if (e.path().equals(path)) {
                return e;
            }
        }
        throw new IllegalArgumentException("ConversionReport: no weight layer '" + path + "'");
    }

    /** True if the converted model computes what the original did (every converted layer preserves its function). */
    public boolean preservesFunction() {
        for (Entry e : entries) {
            if (!e.preservesFunction()) {
                return false;
            }
        }
        return true;
    }

    /** Parameter elements of the whole original model. */
    public long modelParamsBefore() {
        return modelParamsBefore;
    }

    /** Parameter elements of the whole converted model. */
    public long modelParamsAfter() {
        return modelParamsAfter;
    }

    /** A table: index, path, action, parameters before and after, the layer before and after, and the note. */
    @Override
    public String toString() {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"#", "Layer", "Action", "Params before", "Params after", "Before -> after / note"});
        for (Entry e : entries) {
            rows.add(new String[] {Integer.toString(e.index()), e.path(), e.action().name(), num(e.paramsBefore()), num(e.paramsAfter()),
                e.action() == Action.CONVERTED ? e.before() + " -> " + e.after() : e.before()});
        }
        int[] w = new int[5];
        for (String[] r : rows) {
            for (int i = 0; i < w.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        String fmt = "%" + w[0] + "s  %-" + w[1] + "s  %-" + w[2] + "s  %" + w[3] + "s  %" + w[4] + "s  %s%n";
        StringBuilder sb = new StringBuilder("Conversion (").append(policy).append(')').append(System.lineSeparator());
        for (int i = 0; i < rows.size(); i++) {
            sb.append(String.format(Locale.ROOT, fmt, (Object[]) rows.get(i)));
            if (i > 0) {
                sb.append(String.format(Locale.ROOT, fmt, "", "", "", "", "", "  " + entries.get(i - 1).note()));
            }
        }
        sb.append(String.format(Locale.ROOT, "Converted %d of %d weight layers (%d already quadratic, %d not selected, %d unsupported);"
                + " parameters %s -> %s; %s%n", entries(Action.CONVERTED).size(), entries.size(), entries(Action.ALREADY_QUADRATIC).size(),
                entries(Action.NOT_SELECTED).size(), entries(Action.UNSUPPORTED).size(), num(modelParamsBefore), num(modelParamsAfter),
                preservesFunction() ? "the converted model computes what the original did"
                        : "the converted model does NOT compute what the original did (see the notes)"));
        return sb.toString();
    }

    private static String num(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }
}
