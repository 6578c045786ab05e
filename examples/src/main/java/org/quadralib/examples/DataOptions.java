package org.quadralib.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.quadralib.autobuild.Subset;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.DataSources;
import org.quadralib.core.data.Dataset;
import org.quadralib.core.data.DatasetNotFoundException;
import org.quadralib.core.data.FashionMnist;
import org.quadralib.core.io.MalformedFileException;

/**
 * The data options shared by {@code explore}, {@code importance} and {@code evaluate}: which data set
 * ({@code --sample}, {@code --full}, {@code --data DIR} with {@code --data-format}) and how much of it ({@code --train-size},
 * {@code --test-size}). A command's parser hands every option in {@link #FLAGS} or {@link #VALUED} to
 * {@link #accept}, then calls {@link #spec()}; {@link #load} reads the data. A new data option is added here
 * once, for every command.
 */
final class DataOptions {

    /** Where the examples jar keeps its Fashion-MNIST sample. */
    static final String SAMPLE = "org/quadralib/examples/fashion-mnist-sample";
    /** Fashion-MNIST's pixel mean and standard deviation (of the training set, pixels scaled to [0, 1]). */
    static final float MEAN = 0.2860f;
    static final float STD = 0.3530f;

    /** The data options without a value. */
    static final Set<String> FLAGS = Set.of("--sample", "--full");
    /** The data options followed by a value. */
    static final Set<String> VALUED = Set.of("--data", "--data-format", "--train-size", "--test-size");

    /** The help lines of the data options. */
    static final List<String> HELP = List.of(
            "  --data DIR         folder with the Fashion-MNIST IDX files (train-images-idx3-ubyte[.gz], ...),",
            "                     or the files of --data-format",
            "  --data-format F    the format of --data: " + String.join(", ", DataSources.FORMATS) + " (default idx;",
            "                     cifar10/cifar100: the binary batches, folder: train/CLASS/*.png|jpg and test/...,",
            "                     resized to 32x32 RGB)",
            "  --full             the full set where Debian's dataset-fashion-mnist installs it",
            "                     (" + FashionMnist.DEFAULT_FOLDER + ")",
            "  --sample           the sample embedded in this jar, 5,000 + 1,000 images (the default)",
            "  --train-size N     use the first N training images only (default: all)",
            "  --test-size N      use the first N test images only (default: all)");

    /**
     * Which data, parsed.
     *
     * @param folder the data folder, or null for the embedded sample
     * @param format a {@link DataSources#FORMATS} name, or null for Fashion-MNIST's IDX files
     * @param trainSize keep only the first this many training images (0: all)
     * @param testSize keep only the first this many test images (0: all)
     */
    record Spec(Path folder, String format, int trainSize, int testSize) {
    }

    /**
     * The data of one run.
     *
     * @param mean per-channel mean the loaders subtract
     * @param std per-channel standard deviation the loaders divide by
     */
    record Data(String label, Dataset train, Dataset test, float[] mean, float[] std) {

        /** Loader options normalising with this data's statistics. */
        DataLoader.Options loaderOptions(int batchSize) {
            return DataLoader.Options.defaults().withBatchSize(batchSize).withNormalization(mean, std);
        }
    }

    private boolean sample;
    private boolean full;
    private Path folder;
    private String format;
    private int trainSize;
    private int testSize;

    /**
     * Takes {@code option} (and its value from {@code in}) if it is a data option.
     *
     * @return whether it was one
     * @throws UsageException for a malformed value
     */
    boolean accept(String option, OptionReader in) throws UsageException {
        switch (option) {
            case "--sample" -> sample = true;
            case "--full" -> full = true;
            case "--data" -> folder = ExploreOptions.path(option, in.value());
            case "--data-format" -> format = format(in.value());
            case "--train-size" -> trainSize = ExploreOptions.positiveInt(option, in.value());
            case "--test-size" -> testSize = ExploreOptions.positiveInt(option, in.value());
            default -> {
                return false;
            }
        }
        return true;
    }

    /**
     * The options given.
     *
     * @throws UsageException if more than one of {@code --sample}, {@code --full}, {@code --data} was given
     */
    Spec spec() throws UsageException {
        if ((sample ? 1 : 0) + (full ? 1 : 0) + (folder != null ? 1 : 0) > 1) {
            throw new UsageException("--sample, --full and --data each choose the data; give one of them");
        }
        if (format != null && folder == null) {
            throw new UsageException("--data-format " + format + " needs --data DIR, the folder holding the files");
        }
        return new Spec(full ? FashionMnist.DEFAULT_FOLDER : folder, format, trainSize, testSize);
    }

    private static String format(String value) throws UsageException {
        String f = value.trim().toLowerCase(java.util.Locale.ROOT);
        if (!DataSources.FORMATS.contains(f)) {
            throw new UsageException("--data-format needs one of " + String.join(", ", DataSources.FORMATS) + ", got '" + value + "'");
        }
        return f;
    }

    /**
     * Reads the data.
     *
     * @throws UsageException if the folder lacks the files, a file is malformed or a size exceeds the data
     * @throws IOException if reading fails
     */
    static Data load(Spec spec) throws IOException, UsageException {
        Dataset train;
        Dataset test;
        String label;
        boolean fashion = spec.format() == null || spec.format().equals("idx");
        try {
            if (spec.folder() == null) {
                train = FashionMnist.fromClasspath(SAMPLE, true);
                test = FashionMnist.fromClasspath(SAMPLE, false);
                label = "embedded Fashion-MNIST sample";
            } else if (spec.format() == null) {
                train = FashionMnist.train(spec.folder());
                test = FashionMnist.test(spec.folder());
                label = "Fashion-MNIST in " + spec.folder();
            } else {
                DataSources.Splits splits = DataSources.open(spec.format(), spec.folder());
                train = splits.train();
                test = splits.test();
                label = splits.source();
            }
        } catch (DatasetNotFoundException | MalformedFileException e) {
            throw new UsageException(e.getMessage());
        }
        train = first(train, spec.trainSize(), "--train-size", "training");
        test = first(test, spec.testSize(), "--test-size", "test");
        float[] mean;
        float[] std;
        if (fashion && train.sampleShape()[0] == 1) {
            mean = new float[] {MEAN};
            std = new float[] {STD};
        } else {
            // Other data: each channel normalised with its statistics over the training images used.
            DataSources.ChannelStats stats = DataSources.channelStats(train);
            mean = stats.mean();
            std = stats.std();
        }
        return new Data(String.format(Locale.ROOT, "%s (%d training, %d test images)", label, train.size(), test.size()), train,
                test, mean, std);
    }

    private static Dataset first(Dataset all, int size, String option, String split) throws UsageException {
        if (size == 0 || size == all.size()) {
            return all;
        }
        if (size > all.size()) {
            throw new UsageException(option + " " + size + " exceeds the " + all.size() + " " + split + " images");
        }
        return Subset.first(all, size);
    }

}
