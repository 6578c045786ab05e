package org.quadralib.core.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.quadralib.core.io.MalformedFileException;

/**
 * CIFAR-10 and CIFAR-100 in the binary format their authors distribute (Krizhevsky, "Learning multiple layers of
 * features from tiny images", 2009): 32×32 RGB images, 50,000 for training and 10,000 for testing.
 *
 * <p>Each file is a sequence of fixed-size records: the label byte(s), then 3,072 pixel bytes, the red plane,
 * then green, then blue, each 32 rows of 32 pixels. CIFAR-10 records are 3,073 bytes (one label in 0..9) in
 * {@code data_batch_1.bin} ... {@code data_batch_5.bin} and {@code test_batch.bin}; CIFAR-100 records are
 * 3,074 bytes (a coarse label in 0..19, then a fine label in 0..99) in {@code train.bin} and {@code test.bin}.
 * The files are read from the folder given or from the subfolder the archives unpack to
 * ({@code cifar-10-batches-bin}, {@code cifar-100-binary}).
 *
 * <p>Samples have shape {@code [3, 32, 32]} (NCHW, the planes as stored) with pixels scaled from 0..255 to
 * [0, 1]; they stay bytes in memory (150 MB for a training set) and become floats when copied out.
 * Normalisation is the loader's job ({@link DataLoader.Options#withNormalization}, with the per-channel mean and
 * standard deviation of {@link DataSources#channelStats}).
 */
public final class Cifar {

    /** Channels, height and width of every image. */
    public static final int CHANNELS = 3;
    /** Height and width of every image. */
    public static final int SIDE = 32;
    /** Pixel bytes of one record: {@code 3 · 32 · 32}. */
    public static final int IMAGE_BYTES = CHANNELS * SIDE * SIDE;

    /** Class names of CIFAR-10 in label order, as its authors name them. */
    public static final List<String> CIFAR10_CLASSES = List.of("airplane", "automobile", "bird", "cat", "deer",
            "dog", "frog", "horse", "ship", "truck");

    /**
     * The variants of the data set: which files, how many label bytes lead each record, and which of them is the
     * label.
     */
    public enum Variant {
        /** CIFAR-10: 10 classes, one label byte per record. */
        CIFAR10("cifar-10-batches-bin", List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                "data_batch_4.bin", "data_batch_5.bin"), List.of("test_batch.bin"), new int[] {10}, 0,
                "batches.meta.txt"),
        /** CIFAR-100 with its 100 fine labels (the second label byte). */
        CIFAR100("cifar-100-binary", List.of("train.bin"), List.of("test.bin"), new int[] {20, 100}, 1,
                "fine_label_names.txt"),
        /** CIFAR-100 with its 20 coarse labels, the super-classes (the first label byte). */
        CIFAR100_COARSE("cifar-100-binary", List.of("train.bin"), List.of("test.bin"), new int[] {20, 100}, 0,
                "coarse_label_names.txt");

        private final String folder;
        private final List<String> trainFiles;
        private final List<String> testFiles;
        private final int[] labelRanges;
        private final int labelByte;
        private final String namesFile;

        Variant(String folder, List<String> trainFiles, List<String> testFiles, int[] labelRanges, int labelByte,
                String namesFile) {
            this.folder = folder;
            this.trainFiles = trainFiles;
            this.testFiles = testFiles;
            this.labelRanges = labelRanges;
            this.labelByte = labelByte;
            this.namesFile = namesFile;
        }

        /** Bytes of one record: the label bytes and {@link #IMAGE_BYTES} pixels. */
        public int recordBytes() {
            return labelRanges.length + IMAGE_BYTES;
        }

        /** Number of classes of the label this variant uses. */
        public int numClasses() {
            return labelRanges[labelByte];
        }

        /** The subfolder the authors' archive unpacks to. */
        public String folder() {
            return folder;
        }

        /** The file names of the training or the test split. */
        public List<String> files(boolean train) {
            return train ? trainFiles : testFiles;
        }
    }

    private Cifar() {
    }

    /**
     * The training split of {@code variant} from {@code dir} or from {@code dir/}{@link Variant#folder()}.
     *
     * @throws DatasetNotFoundException if a file of the split is in neither folder
     * @throws MalformedFileException   if a file's length is not a positive multiple of the record size or a label is
     *                                  out of range (the message names the file and the record)
     * @throws IOException              if a file cannot be read
     */
    public static Dataset train(Variant variant, Path dir) throws IOException {
        return fromFiles(variant, locate(variant, dir, true));
    }

    /**
     * The test split of {@code variant}; see {@link #train}.
     *
     * @throws DatasetNotFoundException if a file of the split is missing
     * @throws MalformedFileException   if a file is malformed
     * @throws IOException              if a file cannot be read
     */
    public static Dataset test(Variant variant, Path dir) throws IOException {
        return fromFiles(variant, locate(variant, dir, false));
    }

    /**
     * The class names in label order: the non-blank lines of the archive's names file ({@code batches.meta.txt},
     * {@code fine_label_names.txt} or {@code coarse_label_names.txt}) in {@code dir} or its subfolder when it is
     * there and names every class, else {@link #CIFAR10_CLASSES} for CIFAR-10 and "0", "1", ... otherwise.
     *
     * @throws IOException if the names file exists but cannot be read
     */
    public static List<String> classNames(Variant variant, Path dir) throws IOException {
        for (Path file : new Path[] {dir.resolve(variant.namesFile), dir.resolve(variant.folder).resolve(variant.namesFile)}) {
            if (Files.isRegularFile(file) && Files.size(file) < 1 << 20) {
                List<String> names = Files.readAllLines(file).stream().map(String::strip).filter(l -> !l.isEmpty())
                        .toList();
                if (names.size() == variant.numClasses()) {
                    return names;
                }
            }
        }
        if (variant == Variant.CIFAR10) {
            return CIFAR10_CLASSES;
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < variant.numClasses(); i++) {
            names.add(Integer.toString(i));
        }
        return names;
    }

    /**
     * The records of {@code files}, in order, as one data set. Every file's length is checked before anything is
     * allocated: a positive multiple of {@link Variant#recordBytes()}, all together fewer than 2^31 bytes.
     *
     * @throws MalformedFileException if a length is wrong, a file changes while read, or a label is out of range
     * @throws IOException            if a file cannot be read
     */
    public static Dataset fromFiles(Variant variant, List<Path> files) throws IOException {
        int record = variant.recordBytes();
        long total = 0;
        for (Path file : files) {
            long length = Files.size(file);
            if (length == 0 || length % record != 0) {
                throw new MalformedFileException(file, null, "length " + length + " is not a positive multiple of the "
                        + record + "-byte " + variant + " record (wrong variant, or a truncated file?)");
            }
            total += length / record;
        }
        if (total * IMAGE_BYTES > Integer.MAX_VALUE - 8) {
            throw new MalformedFileException(files.get(0), null, total + " records in " + files.size()
                    + " files need " + total * IMAGE_BYTES + " bytes, more than one Java array holds");
        }
        byte[] pixels = new byte[(int) total * IMAGE_BYTES];
        int[] labels = new int[(int) total];
        int n = 0;
        for (Path file : files) {
            n = readRecords(variant, file, pixels, labels, n);
        }
        if (n != total) {
            throw new MalformedFileException(files.get(files.size() - 1), null, "read " + n + " records, expected "
                    + total + " (a file changed while it was read)");
        }
        return new ByteImageDataset(pixels, labels, new int[] {CHANNELS, SIDE, SIDE}, variant.numClasses());
    }

    /** Reads the records of one file into the arrays from record {@code first} on; returns the next record index. */
    private static int readRecords(Variant variant, Path file, byte[] pixels, int[] labels, int first)
            throws IOException {
        int header = variant.labelRanges.length;
        byte[] head = new byte[header];
        int n = first;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            for (int r = 0; ; r++) {
                int got = in.readNBytes(head, 0, header);
                if (got == 0) {
                    return n;
                }
                if (n == labels.length || got < header
                        || in.readNBytes(pixels, n * IMAGE_BYTES, IMAGE_BYTES) < IMAGE_BYTES) {
                    throw new MalformedFileException(file, null, "record " + r + " is incomplete or beyond the "
                            + "file's length when it was measured (the file changed while it was read)");
                }
                for (int b = 0; b < header; b++) {
                    int value = head[b] & 0xff;
                    if (value >= variant.labelRanges[b]) {
                        throw new MalformedFileException(file, null, "record " + r + ": label byte " + b + " is "
                                + value + ", outside [0, " + variant.labelRanges[b] + ") (not a " + variant + " file?)");
                    }
                }
                labels[n++] = head[variant.labelByte] & 0xff;
            }
        }
    }

    /** The split's files in {@code dir} if all are there, else in {@code dir/variant.folder()}. */
    private static List<Path> locate(Variant variant, Path dir, boolean train) throws DatasetNotFoundException {
        List<String> names = variant.files(train);
        for (Path folder : new Path[] {dir, dir.resolve(variant.folder())}) {
            List<Path> files = new ArrayList<>();
            for (String name : names) {
                if (Files.isRegularFile(folder.resolve(name))) {
                    files.add(folder.resolve(name));
                }
            }
            if (files.size() == names.size()) {
                return files;
            }
        }
        List<String> missing = new ArrayList<>();
        for (String name : names) {
            if (!Files.isRegularFile(dir.resolve(name)) && !Files.isRegularFile(dir.resolve(variant.folder()).resolve(name))) {
                missing.add(name);
            }
        }
        if (missing.isEmpty()) {
            missing.addAll(names); // some in each folder: the split must come from one of them
        }
        throw new DatasetNotFoundException(variant + " " + (train ? "training" : "test") + " set not found in "
                + dir.toAbsolutePath() + " or its subfolder " + variant.folder() + ": missing " + String.join(", ", missing)
                + ". Unpack the binary version from https://www.cs.toronto.edu/~kriz/cifar.html and pass its folder.",
                dir.toString(), missing);
    }
}
