package org.quadralib.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

import org.quadralib.core.data.Cifar;
import org.quadralib.core.data.Dataset;
import org.quadralib.core.data.FashionMnist;
import org.quadralib.core.data.ImageFolder;

/**
 * A file format that every executor reads by itself ({@link SparkData#fromFiles}): the format object travels to
 * the executors with the task, each opens the files at the same paths (a shared file system, or the same files
 * copied to every node) and keeps the samples its partition trains on.
 *
 * <p>Formats are found by name: the built-in ones ({@link #IDX}, {@link #CIFAR10}, {@link #CIFAR100},
 * {@link #FOLDER}: the names of {@code org.quadralib.core.data.DataSources#FORMATS}, each read by that package's
 * loader), then implementations listed in
 * {@code META-INF/services/org.quadralib.spark.DatasetFormat} on the class path, so a loader of
 * {@code org.quadralib.core.data} plugs in by one small implementation.
 */
public interface DatasetFormat extends Serializable {

    /** IDX files (MNIST, Fashion-MNIST): two paths, the images file then the labels file (gzipped or not). */
    DatasetFormat IDX = new Idx();

    /**
     * CIFAR-10 binary batches ({@link Cifar.Variant#CIFAR10}): one or more paths, the {@code .bin} files whose
     * records are read in the order given (e.g. {@code data_batch_1.bin} ... {@code data_batch_5.bin}).
     */
    DatasetFormat CIFAR10 = new CifarBinary("cifar10", Cifar.Variant.CIFAR10);

    /** CIFAR-100 binary files with the 100 fine labels ({@link Cifar.Variant#CIFAR100}), e.g. {@code train.bin}. */
    DatasetFormat CIFAR100 = new CifarBinary("cifar100", Cifar.Variant.CIFAR100);

    /**
     * An image folder ({@link ImageFolder}) read as 32×32 RGB ({@link ImageFolder.Options#defaults()}): one path, the
     * folder holding one sub-folder of images per class (e.g. a data set's {@code train/}). Other sizes and colours:
     * {@link #folder(ImageFolder.Options)}.
     */
    DatasetFormat FOLDER = new Folder(ImageFolder.Options.defaults());

    /** The name this format is found by ({@code "idx"}), lower case. */
    String name();

    /**
     * Opens the data set stored in {@code paths}.
     *
     * @throws IOException              if a file is missing or malformed
     * @throws IllegalArgumentException if the number of paths is wrong for the format
     */
    Dataset open(List<String> paths) throws IOException;

    /**
     * The format called {@code name} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the known formats if there is none of that name
     */
    static DatasetFormat named(String name) {
        List<DatasetFormat> known = new ArrayList<>(List.of(IDX, CIFAR10, CIFAR100, FOLDER));
        ServiceLoader.load(DatasetFormat.class).forEach(known::add);
        String wanted = name.toLowerCase(Locale.ROOT);
        List<String> names = new ArrayList<>();
        for (DatasetFormat f : known) {
            if (f.name().equals(wanted)) {
                return f;
            }
            names.add(f.name());
        }
        throw new IllegalArgumentException("DatasetFormat: no format named '" + name + "'; known: " + names);
    }

    /**
     * An image folder read with {@code options} (output size, colour, fit); named {@code "folder"}, as
     * {@link #FOLDER}. Give it to {@link SparkData#fromFiles(DatasetFormat, List)}.
     */
    static DatasetFormat folder(ImageFolder.Options options) {
        return new Folder(options);
    }

    /** The built-in IDX reader. */
    final class Idx implements DatasetFormat {
        private static final long serialVersionUID = 1L;

        private Idx() {
        }

        @Override
        public String name() {
            return "idx";
        }

        @Override
        public Dataset open(List<String> paths) throws IOException {
            if (paths.size() != 2) {
                throw new IllegalArgumentException("DatasetFormat idx: expected two paths (images, labels), got "
                        + paths);
            }
            return FashionMnist.fromFiles(Path.of(paths.get(0)), Path.of(paths.get(1)));
        }

        // One instance per JVM, so a deserialized copy equals the constant.
        private Object readResolve() {
            return IDX;
        }
    }

    /** The built-in CIFAR binary reader, of one variant. */
    final class CifarBinary implements DatasetFormat {
        private static final long serialVersionUID = 1L;

        private final String name;
        private final Cifar.Variant variant;

        private CifarBinary(String name, Cifar.Variant variant) {
            this.name = name;
            this.variant = variant;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Dataset open(List<String> paths) throws IOException {
            if (paths.isEmpty()) {
                throw new IllegalArgumentException("DatasetFormat " + name() + ": expected one or more binary files");
            }
            List<Path> files = new ArrayList<>();
            for (String p : paths) {
                files.add(Path.of(p));
            }
            return Cifar.fromFiles(variant, files);
        }

        // One instance per variant and JVM, so a deserialized copy equals the constant.
        private Object readResolve() {
            return variant == Cifar.Variant.CIFAR10 ? CIFAR10 : CIFAR100;
        }
    }

    /** The built-in image folder reader. */
    final class Folder implements DatasetFormat {
        private static final long serialVersionUID = 1L;

        // ImageFolder.Options is not serializable: its components travel instead.
        private final int height;
        private final int width;
        private final ImageFolder.Color color;
        private final ImageFolder.Fit fit;

        private Folder(ImageFolder.Options options) {
            this.height = options.height();
            this.width = options.width();
            this.color = options.color();
            this.fit = options.fit();
        }

        @Override
        public String name() {
            return "folder";
        }

        /** The options the images are read with. */
        public ImageFolder.Options options() {
            return new ImageFolder.Options(height, width, color, fit);
        }

        @Override
        public Dataset open(List<String> paths) throws IOException {
            if (paths.size() != 1) {
                throw new IllegalArgumentException("DatasetFormat folder: expected one path (the folder of class "
                        + "folders), got " + paths);
            }
            return ImageFolder.read(Path.of(paths.get(0)), options());
        }
    }
}
