package org.quadralib.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.quadralib.autobuild.BudgetSpec;
import org.quadralib.autobuild.DesignExploration;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.train.OptimizerFactory;
import org.quadralib.layers.train.Trainer;
import org.quadralib.layers.zoo.Zoo;

/**
 * The options of {@code explore}, parsed and checked.
 *
 * @param model     a {@link Zoo} model name
 * @param variants  the neuron types to train, in the order given (first-order, or a quadratic {@link NeuronType})
 * @param widths    the width multipliers, the first the baseline's ({@link Zoo#build(String, int, int, int, float,
 *                  org.quadralib.layers.zoo.LayerFactory)})
 * @param budget    the budget of the mixed model, or null for none
 * @param epochs    epochs per model
 * @param fineTuneEpochs epochs the mixed model is fine-tuned for
 * @param batchSize training batch size
 * @param lr        SGD learning rate (momentum 0.9)
 * @param clip      the global gradient-norm limit, 0 for none, or null for the trainer's default
 * @param threads   kernel threads
 * @param data      which data
 * @param out       the output folder, or null for no files
 * @param seed      seed of the weights, the data order and the validation split
 * @param validationFraction the share of the training images held out for layer importance
 * @param convert   which layers the quadratic twins convert
 * @param quiet     no progress on standard error
 */
public record ExploreOptions(String model, List<Variant> variants, List<Float> widths, BudgetSpec budget, int epochs,
                             int fineTuneEpochs, int batchSize, float lr, Double clip, int threads, DataOptions.Spec data,
                             Path out, long seed, double validationFraction, ConvertOptions convert, boolean quiet) {

    /** The defaults: LeNet-5, first-order and PROPOSED, on the embedded sample. */
    public static final String DEFAULT_MODEL = "lenet5";
    /** Default neuron types. */
    public static final String DEFAULT_TYPES = "first-order,PROPOSED";
    /** Default width multipliers. */
    public static final String DEFAULT_WIDTHS = "1,0.5";
    /** Default budget of the mixed model. */
    public static final String DEFAULT_BUDGET = "params=1.5x";
    /** Default epochs: the default run takes well under the 3 minutes it may on two cores. */
    public static final int DEFAULT_EPOCHS = 5;
    /** Default fine-tuning epochs of the mixed model. */
    public static final int DEFAULT_FINE_TUNE_EPOCHS = 1;
    /** Default batch size. */
    public static final int DEFAULT_BATCH_SIZE = 64;
    /** Default learning rate. */
    public static final float DEFAULT_LR = 0.01f;
    /** Default seed. */
    public static final long DEFAULT_SEED = 1;
    /** Default validation share of the training images. */
    public static final double DEFAULT_VALIDATION = 0.1;

    /**
     * A model variant: the first-order model ({@code type == null}) or its quadratic twin of one neuron type.
     *
     * @param type the quadratic neuron type, or null for first-order
     */
    public record Variant(NeuronType type) {

        /** The first-order variant. */
        public static final Variant FIRST_ORDER = new Variant(null);

        /** {@code first-order}, or the type's display name ({@code PROPOSED}, {@code T1&2}, {@code QRes}). */
        public String label() {
            return type == null ? "first-order" : type.displayName();
        }

        /**
         * Parses {@code first-order} or a neuron type by enum name or display name, ignoring case.
         *
         * @throws UsageException listing the accepted names
         */
        public static Variant parse(String text) throws UsageException {
            String name = text.trim();
            if (name.equalsIgnoreCase("first-order") || name.equalsIgnoreCase("first_order")) {
                return FIRST_ORDER;
            }
            for (NeuronType t : NeuronType.values()) {
                if (t.name().equalsIgnoreCase(name) || t.displayName().equalsIgnoreCase(name)) {
                    return new Variant(t);
                }
            }
            throw new UsageException("unknown neuron type '" + name + "' in --types; accepted: " + accepted());
        }

        private static String accepted() {
            List<String> names = new ArrayList<>(List.of("first-order"));
            for (NeuronType t : NeuronType.values()) {
                names.add(t.displayName());
            }
            return String.join(", ", names);
        }
    }

    /** The option list of {@code explore --help}. */
    static String help() {
        List<String> lines = new ArrayList<>(List.of(
                "Usage: explore [options]",
                "",
                "The design exploration of the QuadraLib paper in one run: trains the first-order baseline, its",
                "quadratic twins and width-scaled variants, scores the layers of the all-quadratic model on a",
                "validation split of the training images (RI = P_M*P_W/delta_A), keeps the most useful quadratic",
                "layers within the budget, fine-tunes that mixed model, and prints one table: parameters, MACs, test",
                "accuracy, predicted and measured peak training memory, step time; * marks the Pareto-optimal ones.",
                "",
                "  --model NAME       zoo model: " + String.join(", ", Zoo.NAMES) + " (default " + DEFAULT_MODEL + ")",
                "  --types LIST       comma list of first-order and neuron types: " + Variant.accepted(),
                "                     (default " + DEFAULT_TYPES + "); the first quadratic one is mixed",
                "  --widths LIST      width multipliers of the channel and hidden counts, e.g. 1,0.75,0.5",
                "                     (default " + DEFAULT_WIDTHS + "); the baseline is first-order at the first",
                "  --budget B         the mixed model's budget: params=1.5x, macs=2.5M, memory=1.2x, memory=64MiB",
                "                     (x: times the baseline; memory: predicted peak of a training step;",
                "                     default " + DEFAULT_BUDGET + "; none: no mixed model)",
                "  --epochs N         epochs per model (default " + DEFAULT_EPOCHS + ")",
                "  --fine-tune N      epochs the mixed model is fine-tuned (default " + DEFAULT_FINE_TUNE_EPOCHS + ")",
                "  --validation F     share of the training images held out for layer importance (default "
                        + DEFAULT_VALIDATION + ")",
                "  --batch-size N     training batch size (default " + DEFAULT_BATCH_SIZE + ")",
                "  --lr X             SGD learning rate, momentum 0.9 (default " + DEFAULT_LR + "); quadratic",
                "                     weights train at " + OptimizerFactory.QUADRATIC_LR_SCALE + "x that rate",
                "  --clip X           clip the global gradient norm at X, 0 for never (default: "
                        + Trainer.DEFAULT_QUADRATIC_MAX_GRAD_NORM + " for",
                "                     quadratic models, never for first-order ones)",
                "  --threads N        kernel threads (default: all " + Runtime.getRuntime().availableProcessors() + ")"));
        lines.addAll(DataOptions.HELP);
        lines.addAll(ConvertOptions.HELP);
        lines.addAll(List.of(
                "  --out DIR          also write results.json, report.html, charts, each model (NAME.safetensors +",
                "                     NAME.json under models/) and each memory profile (memory-NAME.txt) there",
                "  --seed N           seed of the weights, the data order and the validation split (default "
                        + DEFAULT_SEED + ")",
                "  --quiet            no progress on standard error",
                "  --help             this text",
                ""));
        return String.join("\n", lines);
    }

    /**
     * Parses {@code explore}'s arguments.
     *
     * @throws UsageException naming the option and value for an unknown option, a missing or malformed value, a
     *                        repeated option, an unknown model, type or width, a malformed budget, or conflicting data
     *                        options
     */
    public static ExploreOptions parse(List<String> args) throws UsageException {
        String model = DEFAULT_MODEL;
        String types = DEFAULT_TYPES;
        String widths = DEFAULT_WIDTHS;
        String budget = DEFAULT_BUDGET;
        int epochs = DEFAULT_EPOCHS;
        int fineTune = DEFAULT_FINE_TUNE_EPOCHS;
        int batchSize = DEFAULT_BATCH_SIZE;
        float lr = DEFAULT_LR;
        Double clip = null;
        int threads = Runtime.getRuntime().availableProcessors();
        Path out = null;
        long seed = DEFAULT_SEED;
        double validation = DEFAULT_VALIDATION;
        boolean quiet = false;
        DataOptions data = new DataOptions();
        ConvertOptions convert = ConvertOptions.DEFAULT;
        Set<String> flags = new HashSet<>(Set.of("--skip-first", "--skip-last", "--quiet"));
        flags.addAll(DataOptions.FLAGS);
        Set<String> valued = new HashSet<>(Set.of("--model", "--types", "--widths", "--budget", "--epochs", "--fine-tune",
                "--validation", "--batch-size", "--lr", "--clip", "--threads", "--out", "--seed", "--convert"));
        valued.addAll(DataOptions.VALUED);
        OptionReader in = new OptionReader("explore", args, flags, valued);
        while (in.hasNext()) {
            String option = in.next();
            if (data.accept(option, in)) {
                continue;
            }
            switch (option) {
                case "--skip-first" -> convert = new ConvertOptions(convert.scope(), true, convert.skipLast());
                case "--skip-last" -> convert = new ConvertOptions(convert.scope(), convert.skipFirst(), true);
                case "--quiet" -> quiet = true;
                case "--model" -> model = in.value();
                case "--types" -> types = in.value();
                case "--widths" -> widths = in.value();
                case "--budget" -> budget = in.value();
                case "--epochs" -> epochs = positiveInt(option, in.value());
                case "--fine-tune" -> fineTune = positiveInt(option, in.value());
                case "--validation" -> validation = fraction(option, in.value());
                case "--batch-size" -> batchSize = positiveInt(option, in.value());
                case "--lr" -> lr = positiveFloat(option, in.value());
                case "--clip" -> clip = nonNegative(option, in.value());
                case "--threads" -> threads = positiveInt(option, in.value());
                case "--out" -> out = path(option, in.value());
                case "--seed" -> seed = parseLong(option, in.value());
                case "--convert" -> convert = new ConvertOptions(ConvertOptions.parseScope(in.value()),
                        convert.skipFirst(), convert.skipLast());
                default -> throw new IllegalStateException(option);
            }
        }
        DataOptions.Spec dataSpec = data.spec();
        if (!Zoo.NAMES.contains(model)) {
            throw new UsageException("unknown model '" + model + "' for --model; models: " + String.join(", ", Zoo.NAMES));
        }
        List<Variant> variants = new ArrayList<>();
        for (String t : types.split(",", -1)) {
            if (t.isBlank()) {
                throw new UsageException("empty neuron type in --types '" + types + "'");
            }
            Variant v = Variant.parse(t);
            if (variants.contains(v)) {
                throw new UsageException("neuron type " + v.label() + " listed twice in --types '" + types + "'");
            }
            variants.add(v);
        }
        List<Float> widthList = parseWidths(widths);
        BudgetSpec budgetSpec = null;
        if (!budget.trim().equalsIgnoreCase("none")) {
            try {
                budgetSpec = BudgetSpec.parse(budget);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--budget: " + e.getMessage());
            }
        }
        return new ExploreOptions(model, List.copyOf(variants), widthList, budgetSpec, epochs, fineTune, batchSize, lr, clip,
                threads, dataSpec, out, seed, validation, convert, quiet);
    }

    /** The largest width multiplier accepted. */
    static final float MAX_WIDTH = 4f;

    private static List<Float> parseWidths(String text) throws UsageException {
        List<Float> out = new ArrayList<>();
        for (String w : text.split(",", -1)) {
            float x;
            try {
                x = Float.parseFloat(w.trim());
            } catch (NumberFormatException e) {
                throw new UsageException("--widths: '" + w.trim() + "' is not a number (e.g. --widths 1,0.75,0.5)");
            }
            if (!(x > 0 && x <= MAX_WIDTH)) {
                throw new UsageException("--widths: " + w.trim() + " is outside (0, " + MAX_WIDTH + "]");
            }
            if (out.contains(x)) {
                throw new UsageException("--widths: " + w.trim() + " listed twice in '" + text + "'");
            }
            out.add(x);
        }
        return List.copyOf(out);
    }

    private static double fraction(String option, String value) throws UsageException {
        try {
            double x = Double.parseDouble(value.trim());
            if (x > 0 && x < 1) {
                return x;
            }
        } catch (NumberFormatException e) {
            // reported below with the accepted form
        }
        throw new UsageException(option + " needs a fraction between 0 and 1, got '" + value + "'");
    }

    static int positiveInt(String option, String value) throws UsageException {
        try {
            int n = Integer.parseInt(value.trim());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below with the accepted form
        }
        throw new UsageException(option + " needs a positive whole number, got '" + value + "'");
    }

    private static float positiveFloat(String option, String value) throws UsageException {
        try {
            float x = Float.parseFloat(value.trim());
            if (x > 0 && Float.isFinite(x)) {
                return x;
            }
        } catch (NumberFormatException e) {
            // reported below with the accepted form
        }
        throw new UsageException(option + " needs a positive finite number, got '" + value + "'");
    }

    private static double nonNegative(String option, String value) throws UsageException {
        try {
            double x = Double.parseDouble(value.trim());
            if (x >= 0 && Double.isFinite(x)) {
                return x;
            }
        } catch (NumberFormatException e) {
            // reported below with the accepted form
        }
        throw new UsageException(option + " needs a number >= 0 (0 turns clipping off), got '" + value + "'");
    }

    private static long parseLong(String option, String value) throws UsageException {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(option + " needs a whole number, got '" + value + "'");
        }
    }

    static Path path(String option, String value) throws UsageException {
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new UsageException(option + ": '" + value + "' is not a valid path: " + e.getReason());
        }
    }

    /**
     * Checks that {@code out} can be written by writing to it: in {@code out} if it exists, else in its nearest existing
     * ancestor, a probe file is created and deleted (file permissions alone do not tell, e.g. as root under
     * {@code /proc}). Nothing is left behind.
     *
     * @throws UsageException saying which path is in the way
     */
    static void checkWritableFolder(Path out) throws UsageException {
        Path absolute = out.toAbsolutePath().normalize();
        if (Files.exists(absolute) && !Files.isDirectory(absolute)) {
            throw new UsageException("--out " + out + " is a file, not a folder");
        }
        Path existing = absolute;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !Files.isDirectory(existing)) {
            throw new UsageException("--out " + out + " cannot be created: " + existing + " is not a folder");
        }
        Path probe = null;
        try {
            probe = Files.createTempFile(existing, ".quadralib-probe-", ".tmp");
        } catch (IOException | RuntimeException e) {
            throw new UsageException("--out " + out + (existing.equals(absolute) ? " is not writable" : " cannot be created: "
                    + existing + " is not writable") + " (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        } finally {
            if (probe != null) {
                try {
                    Files.deleteIfExists(probe);
                } catch (IOException e) {
                    // a probe that cannot be deleted is reported when the results are written
                }
            }
        }
    }

    @Override
    public String toString() {
        List<String> labels = new ArrayList<>();
        variants.forEach(v -> labels.add(v.label()));
        List<String> ws = new ArrayList<>();
        widths.forEach(w -> ws.add(DesignExploration.formatWidth(w)));
        return String.format(Locale.ROOT, "model %s, types %s (%s), widths %s, budget %s, %d epochs (+%d fine-tuning), batch %d, "
                + "lr %s, clip %s, %d threads, seed %d", model, String.join(",", labels), convert.label(), String.join(",", ws),
                budget == null ? "none" : budget, epochs, fineTuneEpochs, batchSize, lr, clip == null ? "default" : clip, threads,
                seed);
    }
}
