package org.quadralib.examples;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.quadralib.layers.NeuronType;
import org.quadralib.layers.train.OptimizerFactory;
import org.quadralib.layers.train.Trainer;
import org.quadralib.layers.zoo.Zoo;

/**
 * The options of {@code explore}, parsed and checked.
 *
 * @param model     a {@link Zoo} model name
 * @param variants  the neuron types to train, in the order given (first-order, or a quadratic {@link NeuronType})
 * @param epochs    epochs per model
 * @param batchSize training batch size
 * @param lr        SGD learning rate (momentum 0.9)
 * @param clip      the global gradient-norm limit, 0 for none, or null for the trainer's default
 * @param threads   kernel threads
 * @param data      the folder of the Fashion-MNIST IDX files, or null for the embedded sample
 * @param out       the output folder, or null for no files
 * @param seed      seed of the weights and the data order
 * @param trainSize use only the first this many training images (0: all)
 * @param testSize  use only the first this many test images (0: all)
 * @param convert   which layers the quadratic twins convert
 */
public record ExploreOptions(String model, List<Variant> variants, int epochs, int batchSize, float lr, Double clip,
                             int threads, Path data, Path out, long seed, int trainSize, int testSize,
                             ConvertOptions convert) {

    /** The defaults: LeNet-5, first-order and PROPOSED, on the embedded sample. */
    public static final String DEFAULT_MODEL = "lenet5";
    /** Default neuron types. */
    public static final String DEFAULT_TYPES = "first-order,PROPOSED";
    /** Default epochs: the default run takes about 1 minute on two idle cores, 2 on busy ones (3 is the budget). */
    public static final int DEFAULT_EPOCHS = 5;
    /** Default batch size. */
    public static final int DEFAULT_BATCH_SIZE = 64;
    /** Default learning rate. */
    public static final float DEFAULT_LR = 0.01f;
    /** Default seed. */
    public static final long DEFAULT_SEED = 1;

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
        return String.join("\n",
                "Usage: explore [options]",
                "",
                "Trains a zoo model and its quadratic twins on Fashion-MNIST and prints one table: neuron type,",
                "parameters, test accuracy, train time per epoch, median step time, peak tracked memory.",
                "",
                "  --model NAME       zoo model: " + String.join(", ", Zoo.NAMES) + " (default " + DEFAULT_MODEL + ")",
                "  --types LIST       comma list of first-order and neuron types: " + Variant.accepted(),
                "                     (default " + DEFAULT_TYPES + ")",
                "  --epochs N         epochs per model (default " + DEFAULT_EPOCHS + ")",
                "  --batch-size N     training batch size (default " + DEFAULT_BATCH_SIZE + ")",
                "  --lr X             SGD learning rate, momentum 0.9 (default " + DEFAULT_LR + "); quadratic",
                "                     weights train at " + OptimizerFactory.QUADRATIC_LR_SCALE + "x that rate",
                "  --clip X           clip the global gradient norm at X, 0 for never (default: "
                        + Trainer.DEFAULT_QUADRATIC_MAX_GRAD_NORM + " for",
                "                     quadratic models, never for first-order ones)",
                "  --threads N        kernel threads (default: all " + Runtime.getRuntime().availableProcessors() + ")",
                "  --data DIR         folder with the Fashion-MNIST IDX files (train-images-idx3-ubyte[.gz], ...)",
                "  --full             the full set where Debian's dataset-fashion-mnist installs it",
                "                     (/usr/share/datasets/fashion-mnist)",
                "  --sample           the sample embedded in this jar, 5,000 + 1,000 images (the default)",
                "  --train-size N     train on the first N training images only (default: all)",
                "  --test-size N      test on the first N test images only (default: all)",
                String.join("\n", ConvertOptions.HELP),
                "  --out DIR          also write results.json, training-curve charts, report.html and",
                "                     each variant's memory profile (memory-<type>.txt) there",
                "  --seed N           seed of the weights and the data order (default " + DEFAULT_SEED + ")",
                "  --help             this text",
                "");
    }

    /**
     * Parses {@code explore}'s arguments.
     *
     * @throws UsageException naming the option and value for an unknown option, a missing or malformed value, a
     *                        repeated option, an unknown model or type, or conflicting data options
     */
    public static ExploreOptions parse(List<String> args) throws UsageException {
        String model = DEFAULT_MODEL;
        String types = DEFAULT_TYPES;
        int epochs = DEFAULT_EPOCHS;
        int batchSize = DEFAULT_BATCH_SIZE;
        float lr = DEFAULT_LR;
        Double clip = null;
        int threads = Runtime.getRuntime().availableProcessors();
        Path data = null;
        Path out = null;
        long seed = DEFAULT_SEED;
        int trainSize = 0;
        int testSize = 0;
        boolean sample = false;
        boolean full = false;
        ConvertOptions convert = ConvertOptions.DEFAULT;
        OptionReader in = new OptionReader("explore", args, Set.of("--sample", "--full", "--skip-first", "--skip-last"),
                Set.of("--model", "--types", "--epochs", "--batch-size", "--lr", "--clip", "--threads", "--data", "--out",
                        "--seed", "--train-size", "--test-size", "--convert"));
        while (in.hasNext()) {
            String option = in.next();
            switch (option) {
                case "--sample" -> sample = true;
                case "--full" -> full = true;
                case "--skip-first" -> convert = new ConvertOptions(convert.scope(), true, convert.skipLast());
                case "--skip-last" -> convert = new ConvertOptions(convert.scope(), convert.skipFirst(), true);
                case "--model" -> model = in.value();
                case "--types" -> types = in.value();
                case "--epochs" -> epochs = positiveInt(option, in.value());
                case "--batch-size" -> batchSize = positiveInt(option, in.value());
                case "--lr" -> lr = positiveFloat(option, in.value());
                case "--clip" -> clip = nonNegative(option, in.value());
                case "--threads" -> threads = positiveInt(option, in.value());
                case "--data" -> data = path(option, in.value());
                case "--out" -> out = path(option, in.value());
                case "--seed" -> seed = parseLong(option, in.value());
                case "--train-size" -> trainSize = positiveInt(option, in.value());
                case "--test-size" -> testSize = positiveInt(option, in.value());
                case "--convert" -> convert = new ConvertOptions(ConvertOptions.parseScope(in.value()),
                        convert.skipFirst(), convert.skipLast());
                default -> throw new IllegalStateException(option);
            }
        }
        if ((sample ? 1 : 0) + (full ? 1 : 0) + (data != null ? 1 : 0) > 1) {
            throw new UsageException("--sample, --full and --data each choose the data; give one of them");
        }
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
        if (full) {
            data = org.quadralib.core.data.FashionMnist.DEFAULT_FOLDER;
        }
        return new ExploreOptions(model, List.copyOf(variants), epochs, batchSize, lr, clip, threads, data, out, seed,
                trainSize, testSize, convert);
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
     * Checks that {@code out} can be created or written: it is a folder, or does not exist and its nearest existing
     * ancestor is a writable folder. Nothing is created.
     *
     * @throws UsageException saying which path is in the way
     */
    static void checkWritableFolder(Path out) throws UsageException {
        Path absolute = out.toAbsolutePath().normalize();
        if (Files.exists(absolute)) {
            if (!Files.isDirectory(absolute)) {
                throw new UsageException("--out " + out + " is a file, not a folder");
            }
            if (!Files.isWritable(absolute)) {
                throw new UsageException("--out " + out + " is not writable");
            }
            return;
        }
        Path ancestor = absolute.getParent();
        while (ancestor != null && !Files.exists(ancestor)) {
            ancestor = ancestor.getParent();
        }
        if (ancestor == null || !Files.isDirectory(ancestor)) {
            throw new UsageException("--out " + out + " cannot be created: " + ancestor + " is not a folder");
        }
        if (!Files.isWritable(ancestor)) {
            throw new UsageException("--out " + out + " cannot be created: " + ancestor + " is not writable");
        }
    }

    @Override
    public String toString() {
        List<String> labels = new ArrayList<>();
        variants.forEach(v -> labels.add(v.label()));
        return String.format(Locale.ROOT, "model %s, types %s (%s), %d epochs, batch %d, lr %s, clip %s, %d threads, "
                + "seed %d", model, String.join(",", labels), convert.label(), epochs, batchSize, lr,
                clip == null ? "default" : clip, threads, seed);
    }
}
