package org.quadralib.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

import org.quadralib.core.data.Dataset;
import org.quadralib.core.data.FashionMnist;

/**
 * A file format that every executor reads by itself ({@link SparkData#fromFiles}): the format object travels to
 * the executors with the task, each opens the files at the same paths (a shared file system, or the same files
 * copied to every node) and keeps the samples its partition trains on.
 *
 * <p>Formats are found by name: the built-in ones ({@link #IDX}), then implementations listed in
 * {@code META-INF/services/org.quadralib.spark.DatasetFormat} on the class path, so a loader of
 * {@code org.quadralib.core.data} plugs in by one small implementation.
 */
public interface DatasetFormat extends Serializable {

    /** IDX files (MNIST, Fashion-MNIST): two paths, the images file then the labels file (gzipped or not). */
    DatasetFormat IDX = new Idx();

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
        List<DatasetFormat> known = new ArrayList<>(List.of(IDX));
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
}
