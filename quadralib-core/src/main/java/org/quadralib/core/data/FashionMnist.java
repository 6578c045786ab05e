package org.quadralib.core.data;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.quadralib.core.io.Idx;
import org.quadralib.core.io.MalformedFileException;

/**
 * Zalando's Fashion-MNIST: 28×28 grey-scale images of clothing in 10 classes, 60,000 for training and 10,000
 * for testing, stored as IDX files (raw or gzipped) under their original names.
 *
 * <p>Samples have shape {@code [1, 28, 28]} (one channel, NCHW) with pixel values scaled from 0..255 to [0, 1];
 * labels index {@link #CLASS_NAMES}. Pixels stay bytes in memory and become floats when copied out.
 */
public final class FashionMnist {

    /** Where Debian's {@code dataset-fashion-mnist} package installs the files. */
    public static final Path DEFAULT_FOLDER = Path.of("/usr/share/datasets/fashion-mnist");

    /** Class names in label order, as the data set's authors name them. */
    public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** Number of classes. */
    public static final int NUM_CLASSES = 10;

    private static final String TRAIN_PREFIX = "train";
    private static final String TEST_PREFIX = "t10k";

    private FashionMnist() {
    }

    /**
     * The 60,000 training images from {@code train-images-idx3-ubyte(.gz)} and
     * {@code train-labels-idx1-ubyte(.gz)} in {@code folder}.
     *
     * @throws DatasetNotFoundException if the folder or a file is missing; the message says which files were
     *                                  looked for where, and that {@code apt-get install dataset-fashion-mnist}
     *                                  provides them
     * @throws MalformedFileException   if a file is not valid IDX, or images and labels do not match
     * @throws IOException              if a file cannot be read
     */
    public static Dataset train(Path folder) throws IOException {
        return fromFolder(folder, true);
    }

    /**
     * The 10,000 test images from {@code t10k-images-idx3-ubyte(.gz)} and {@code t10k-labels-idx1-ubyte(.gz)}
     * in {@code folder}.
     *
     * @throws DatasetNotFoundException if the folder or a file is missing (see {@link #train(Path)})
     * @throws MalformedFileException   if a file is not valid IDX, or images and labels do not match
     * @throws IOException              if a file cannot be read
     */
    public static Dataset test(Path folder) throws IOException {
        return fromFolder(folder, false);
    }

    /**
     * The training or test split stored as classpath resources under {@code resourceFolder} (for example
     * {@code org/quadralib/examples/fashion-mnist-sample}), with the original file names. Resources are looked
     * up through the thread's context class loader, then this library's.
     *
     * @param train true for the {@code train-*} files, false for {@code t10k-*}
     * @throws DatasetNotFoundException if a resource is missing
     * @throws MalformedFileException   if a resource is not valid IDX, or images and labels do not match
     * @throws IOException              if a resource cannot be read
     */
    public static Dataset fromClasspath(String resourceFolder, boolean train) throws IOException {
        String folder = resourceFolder.replaceAll("^/+|/+$", "");
        String[] names = fileNames(train);
        URL images = resource(folder + "/" + names[0]);
        URL labels = resource(folder + "/" + names[1]);
        if (images == null || labels == null) {
            List<String> missing = new ArrayList<>();
            if (images == null) {
                missing.add(names[0] + " or " + names[0] + ".gz");
            }
            if (labels == null) {
                missing.add(names[1] + " or " + names[1] + ".gz");
            }
            throw new DatasetNotFoundException("Fashion-MNIST " + split(train) + " set not found on the classpath"
                    + " under '" + folder + "/': missing " + String.join(", ", missing)
                    + ". Is the jar holding the sample (quadralib examples) on the classpath?",
                    "classpath:" + folder, missing);
        }
        // Error messages name the resource by its classpath name: a jar URL is no valid path on every system.
        Path imageName = Path.of(folder, lastSegment(images));
        Path labelName = Path.of(folder, lastSegment(labels));
        try (InputStream imageStream = images.openStream(); InputStream labelStream = labels.openStream()) {
            return build(Idx.read(imageStream, imageName), imageName, Idx.read(labelStream, labelName), labelName);
        }
    }

    /**
     * Images and labels from two IDX files of any name: images of type unsigned byte with dims
     * {@code [N, H, W]}, labels of type unsigned byte with dims {@code [N]} and values below 10.
     *
     * @throws MalformedFileException if a file is not valid IDX or the two files do not match
     * @throws IOException            if a file cannot be read
     */
    public static Dataset fromFiles(Path images, Path labels) throws IOException {
        return build(Idx.read(images), images, Idx.read(labels), labels);
    }

    private static Dataset fromFolder(Path folder, boolean train) throws IOException {
        String[] names = fileNames(train);
        Path images = find(folder, names[0]);
        Path labels = find(folder, names[1]);
        if (images == null || labels == null) {
            List<String> missing = new ArrayList<>();
            if (images == null) {
                missing.add(names[0] + " or " + names[0] + ".gz");
            }
            if (labels == null) {
                missing.add(names[1] + " or " + names[1] + ".gz");
            }
            String where = Files.isDirectory(folder) ? "in " + folder.toAbsolutePath()
                    : "in " + folder.toAbsolutePath() + " (the folder does not exist)";
            throw new DatasetNotFoundException("Fashion-MNIST " + split(train) + " set not found " + where
                    + ": looked for " + names[0] + "(.gz) and " + names[1] + "(.gz), missing " + String.join(", ", missing)
                    + ". On Debian or Ubuntu, `apt-get install dataset-fashion-mnist` installs them in "
                    + DEFAULT_FOLDER + "; otherwise download them from https://github.com/zalandoresearch/fashion-mnist"
                    + " into one folder and pass that folder.",
                    folder.toString(), missing);
        }
        return fromFiles(images, labels);
    }

    private static Dataset build(Idx.Data images, Path imageFile, Idx.Data labels, Path labelFile)
            throws MalformedFileException {
        int[] imageDims = images.dims();
        if (images.type() != Idx.DataType.UNSIGNED_BYTE || imageDims.length != 3) {
            throw new MalformedFileException(imageFile, null, "expected unsigned-byte images with dims [N, H, W], got "
                    + images.type() + " " + Arrays.toString(imageDims));
        }
        int[] labelDims = labels.dims();
        if (labels.type() != Idx.DataType.UNSIGNED_BYTE || labelDims.length != 1) {
            throw new MalformedFileException(labelFile, null, "expected unsigned-byte labels with dims [N], got "
                    + labels.type() + " " + Arrays.toString(labelDims));
        }
        if (labelDims[0] != imageDims[0]) {
            throw new MalformedFileException(labelFile, null, labelDims[0] + " labels do not match the "
                    + imageDims[0] + " images of " + imageFile);
        }
        int[] classes = labels.toInts();
        for (int i = 0; i < classes.length; i++) {
            if (classes[i] >= NUM_CLASSES) {
                throw new MalformedFileException(labelFile, null, "label " + classes[i] + " of sample " + i
                        + " is not a Fashion-MNIST class (0-9)");
            }
        }
        return new ByteImageDataset(images.payload(), classes, new int[] {1, imageDims[1], imageDims[2]}, NUM_CLASSES);
    }

    /** Image and label file names of a split, without the optional {@code .gz}. */
    private static String[] fileNames(boolean train) {
        String prefix = train ? TRAIN_PREFIX : TEST_PREFIX;
        return new String[] {prefix + "-images-idx3-ubyte", prefix + "-labels-idx1-ubyte"};
    }

    private static String split(boolean train) {
        return train ? "training" : "test";
    }

    /** The raw file if present, else the gzipped one (Debian ships {@code .gz}; other sources unpack them). */
    private static Path find(Path folder, String name) {
        for (Path candidate : new Path[] {folder.resolve(name), folder.resolve(name + ".gz")}) {
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static String lastSegment(URL url) {
        String path = url.getPath();
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private static URL resource(String name) {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        for (ClassLoader loader : new ClassLoader[] {context, FashionMnist.class.getClassLoader()}) {
            if (loader == null) {
                continue;
            }
            URL url = loader.getResource(name);
            if (url == null) {
                url = loader.getResource(name + ".gz");
            }
            if (url != null) {
                return url;
            }
        }
        return null;
    }
}
