package org.quadralib.core.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.quadralib.core.io.MalformedFileException;

/**
 * One entry to every image data set format the library reads, by name: what a command-line option such as
 * {@code --data-format cifar10 --data DIR} needs.
 *
 * <table>
 * <caption>Formats and the folder each expects</caption>
 * <tr><th>format</th><th>folder</th><th>samples</th></tr>
 * <tr><td>{@code idx}</td><td>{@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte},
 * {@code t10k-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte}, each optionally {@code .gz} (MNIST,
 * Fashion-MNIST; {@link FashionMnist})</td><td>{@code [1, H, W]}, 10 classes</td></tr>
 * <tr><td>{@code cifar10}</td><td>{@code data_batch_1.bin} ... {@code data_batch_5.bin}, {@code test_batch.bin},
 * or their folder {@code cifar-10-batches-bin} ({@link Cifar})</td><td>{@code [3, 32, 32]}, 10 classes</td></tr>
 * <tr><td>{@code cifar100}</td><td>{@code train.bin}, {@code test.bin}, or their folder {@code cifar-100-binary};
 * fine labels</td><td>{@code [3, 32, 32]}, 100 classes</td></tr>
 * <tr><td>{@code folder}</td><td>{@code train/<class>/<image>} and {@code test/<class>/<image>} (or {@code val/})
 * with the same class folders ({@link ImageFolder})</td><td>{@code [C, H, W]} as the
 * {@link ImageFolder.Options} say</td></tr>
 * </table>
 *
 * <p>Pixels are in [0, 1]. To normalise each channel to {@code (x − mean[c]) / std[c]}, as image recipes usually
 * do, compute the statistics on the training split with {@link #channelStats} and give them to the loaders:
 * {@code DataLoader.Options.defaults().withNormalization(stats.mean(), stats.std())}.
 */
public final class DataSources {

    /** The format names {@link #open} accepts. */
    public static final List<String> FORMATS = List.of("idx", "cifar10", "cifar100", "folder");

    /**
     * A training and a test split of one data set.
     *
     * @param train      the training split
     * @param test       the test split, with the same sample shape and classes
     * @param classNames the name of each class, in label order
     * @param source     one line naming the format and the folder, for reports
     */
    public record Splits(Dataset train, Dataset test, List<String> classNames, String source) {
        /** @throws IllegalArgumentException if the splits disagree in classes or sample shape */
        public Splits {
            classNames = List.copyOf(classNames);
            if (train.numClasses() != test.numClasses() || train.numClasses() != classNames.size()
                    || !Arrays.equals(train.sampleShape(), test.sampleShape())) {
                throw new IllegalArgumentException("DataSources.Splits: training and test data differ: "
                        + train.numClasses() + " and " + test.numClasses() + " classes (" + classNames.size()
                        + " names), samples " + Arrays.toString(train.sampleShape()) + " and "
                        + Arrays.toString(test.sampleShape()));
            }
        }
    }

    /**
     * Per-channel statistics.
     *
     * @param mean the mean of each channel
     * @param std  the population standard deviation of each channel (never below 1e-6)
     */
    public record ChannelStats(float[] mean, float[] std) {
        /** The means (a copy). */
        @Override
        public float[] mean() {
            return mean.clone();
        }

        /** The standard deviations (a copy). */
        @Override
        public float[] std() {
            return std.clone();
        }
    }

    private DataSources() {
    }

    /**
     * As {@link #open(String, Path, ImageFolder.Options)} with {@link ImageFolder.Options#defaults()} (32×32 RGB)
     * for the {@code folder} format.
     *
     * @throws IllegalArgumentException if the format is unknown
     * @throws DatasetNotFoundException if a file or folder is missing
     * @throws MalformedFileException   if a file is malformed
     * @throws IOException              if a file cannot be read
     */
    public static Splits open(String format, Path dir) throws IOException {
        return open(format, dir, ImageFolder.Options.defaults());
    }

    /**
     * The training and test splits of the data set in {@code dir}, in one of the {@link #FORMATS} (see the class
     * comment for the files each expects).
     *
     * @param format        {@code idx}, {@code cifar10}, {@code cifar100} or {@code folder}, in any case
     * @param folderOptions size, colour and fit of the images; used by {@code folder} only
     * @throws IllegalArgumentException if the format is unknown (the message lists the known ones)
     * @throws DatasetNotFoundException if a file or folder is missing (the message says which, where)
     * @throws MalformedFileException   if a file is malformed, or the {@code folder} splits' classes differ (the
     *                                  message names the file)
     * @throws IOException              if a file cannot be read
     */
    public static Splits open(String format, Path dir, ImageFolder.Options folderOptions) throws IOException {
        String name = format.toLowerCase(Locale.ROOT);
        String source = name + " data in " + dir;
        return switch (name) {
            case "idx" -> new Splits(FashionMnist.train(dir), FashionMnist.test(dir), digits(), source);
            case "cifar10" -> cifar(Cifar.Variant.CIFAR10, dir, source);
            case "cifar100" -> cifar(Cifar.Variant.CIFAR100, dir, source);
            case "folder" -> folder(dir, folderOptions, source);
            default -> throw new IllegalArgumentException("unknown data format '" + format + "'; known: "
                    + String.join(", ", FORMATS));
        };
    }

    /**
     * The mean and population standard deviation of each channel (the first dimension of a sample) over every
     * value of {@code data}, in double precision.
     *
     * @throws IllegalArgumentException if the data set is empty
     */
    public static ChannelStats channelStats(Dataset data) {
        if (data.size() == 0) {
            throw new IllegalArgumentException("channelStats: the data set is empty");
        }
        int[] shape = data.sampleShape();
        int channels = shape.length == 0 ? 1 : shape[0];
        int size = data.sampleSize();
        int perChannel = size / channels;
        double[] sum = new double[channels];
        double[] sq = new double[channels];
        float[] sample = new float[size];
        for (int i = 0; i < data.size(); i++) {
            data.copySample(i, sample, 0);
            for (int j = 0; j < size; j++) {
                sum[j / perChannel] += sample[j];
                sq[j / perChannel] += (double) sample[j] * sample[j];
            }
        }
        float[] mean = new float[channels];
        float[] std = new float[channels];
        double n = (double) data.size() * perChannel;
        for (int c = 0; c < channels; c++) {
            double m = sum[c] / n;
            mean[c] = (float) m;
            std[c] = (float) Math.max(1e-6, Math.sqrt(Math.max(0, sq[c] / n - m * m)));
        }
        return new ChannelStats(mean, std);
    }

    private static Splits cifar(Cifar.Variant variant, Path dir, String source) throws IOException {
        return new Splits(Cifar.train(variant, dir), Cifar.test(variant, dir), Cifar.classNames(variant, dir), source);
    }

    private static Splits folder(Path dir, ImageFolder.Options options, String source) throws IOException {
        Path train = dir.resolve("train");
        Path test = Files.isDirectory(dir.resolve("test")) || !Files.isDirectory(dir.resolve("val"))
                ? dir.resolve("test") : dir.resolve("val");
        if (!Files.isDirectory(train) || !Files.isDirectory(test)) {
            List<String> missing = new ArrayList<>();
            if (!Files.isDirectory(train)) {
                missing.add("train/");
            }
            if (!Files.isDirectory(test)) {
                missing.add("test/ or val/");
            }
            throw new DatasetNotFoundException("image folder data set not found in " + dir.toAbsolutePath()
                    + ": missing " + String.join(", ", missing) + " (each with one sub-folder of images per class)",
                    dir.toString(), missing);
        }
        List<String> classes = ImageFolder.classNames(train);
        List<String> testClasses = ImageFolder.classNames(test);
        if (!classes.equals(testClasses)) {
            throw new MalformedFileException(test, null, "class folders " + testClasses + " differ from the training"
                    + " split's " + classes);
        }
        return new Splits(ImageFolder.read(train, options), ImageFolder.read(test, options), classes, source);
    }

    /** IDX files carry no class names: "0" to "9" (MNIST's digits; Fashion-MNIST's are {@link FashionMnist#CLASS_NAMES}). */
    private static List<String> digits() {
        return List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    }
}
