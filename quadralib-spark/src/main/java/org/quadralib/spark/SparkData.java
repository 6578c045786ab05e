package org.quadralib.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.quadralib.core.Shapes;
import org.quadralib.core.data.Dataset;

import scala.Tuple2;

/**
 * Training data for a {@link SparkTrainer}: {@link #size()} samples of one shape, each with a global index in
 * {@code [0, size())}. Every epoch the trainer draws the order of the samples from the batching's seed (the same
 * order a single-machine {@link org.quadralib.core.data.DataLoader} with those options walks) and moves each
 * sample to the partition that trains on it that epoch; a partition then holds exactly its share of every batch
 * of the epoch.
 *
 * <p>Sources: an RDD or a {@code Dataset<Row>} of (features, label) rows (indexed in the RDD's order, kept cached),
 * a local {@link Dataset} (parallelised), or files every executor reads itself ({@link DatasetFormat}).
 */
public abstract class SparkData {

    private final long size;
    private final int[] sampleShape;
    private final int numClasses;

    private SparkData(long size, int[] sampleShape, int numClasses) {
        if (size > SparkTrainer.MAX_SAMPLES) {
            throw new IllegalArgumentException("SparkData: " + size + " samples, at most " + SparkTrainer.MAX_SAMPLES
                    + " are supported");
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException("SparkData: numClasses must be positive, got " + numClasses);
        }
        this.size = size;
        this.sampleShape = sampleShape.clone();
        this.numClasses = numClasses;
    }

    /** Number of samples. */
    public long size() {
        return size;
    }

    /** The shape of one sample (a copy). */
    public int[] sampleShape() {
        return sampleShape.clone();
    }

    /** Number of classes; every label is below it. */
    public int numClasses() {
        return numClasses;
    }

    /**
     * One shard per partition: partition {@code p} holds the samples {@code i} with {@code partitionOf[i] == p}
     * (samples marked -1 are left out).
     */
    abstract JavaRDD<Shard> place(JavaSparkContext sc, Broadcast<int[]> partitionOf, int partitions);

    /** Releases what this source keeps cached. */
    public abstract void release();

    /**
     * Rows of an RDD, indexed in the RDD's order ({@code zipWithIndex}); the indexed rows are cached until
     * {@link #release()}. Runs one Spark job to count them.
     *
     * @param sampleShape the shape of every sample; each row must hold {@code numel(sampleShape)} values
     * @throws IllegalArgumentException if the shape is empty or holds a non-positive size (a row of the wrong
     *                                  length or label fails the first epoch's placement, naming its index)
     */
    public static SparkData fromRdd(JavaRDD<LabeledSample> rows, int[] sampleShape, int numClasses) {
        Objects.requireNonNull(rows, "rows");
        checkShape(sampleShape);
        JavaRDD<Tuple2<LabeledSample, Long>> indexed = rows.zipWithIndex().rdd().toJavaRDD()
                .persist(StorageLevel.MEMORY_AND_DISK());
        return new Rows(indexed, indexed.count(), sampleShape, numClasses);
    }

    /**
     * Rows of a {@code Dataset<Row>}: {@code featuresColumn} an array of numbers ({@code array<float>} or
     * {@code array<double>}), {@code labelColumn} an integer class index.
     *
     * @throws IllegalArgumentException if a column is missing or the shape is invalid
     */
    public static SparkData fromRows(org.apache.spark.sql.Dataset<Row> rows, String featuresColumn,
                                     String labelColumn, int[] sampleShape, int numClasses) {
        List<String> columns = Arrays.asList(rows.columns());
        for (String c : List.of(featuresColumn, labelColumn)) {
            if (!columns.contains(c)) {
                throw new IllegalArgumentException("SparkData.fromRows: no column '" + c + "' in " + columns);
            }
        }
        JavaRDD<LabeledSample> samples = rows.select(featuresColumn, labelColumn).javaRDD()
                .map(SparkData::sampleOf);
        return fromRdd(samples, sampleShape, numClasses);
    }

    /** A local data set spread over {@code slices} partitions of the cluster. */
    public static SparkData fromDataset(JavaSparkContext sc, Dataset data, int slices) {
        List<LabeledSample> rows = new ArrayList<>(data.size());
        for (int i = 0; i < data.size(); i++) {
            float[] f = new float[data.sampleSize()];
            data.copySample(i, f, 0);
            rows.add(new LabeledSample(f, data.label(i)));
        }
        return fromRdd(sc.parallelize(rows, slices), data.sampleShape(), data.numClasses());
    }

    /**
     * Files every executor reads by itself, in the named {@link DatasetFormat}. The driver opens them once, to
     * learn the number of samples, their shape and the classes.
     *
     * @throws IOException              if the driver cannot read them
     * @throws IllegalArgumentException if no format has that name or the paths do not fit it
     */
    public static SparkData fromFiles(String format, List<String> paths) throws IOException {
        return fromFiles(DatasetFormat.named(format), paths);
    }

    /**
     * Files every executor reads by itself, in {@code format} (for instance {@link DatasetFormat#folder} with its
     * options). The driver opens them once, to learn the number of samples, their shape and the classes.
     *
     * @throws IOException              if the driver cannot read them
     * @throws IllegalArgumentException if the paths do not fit the format
     */
    public static SparkData fromFiles(DatasetFormat format, List<String> paths) throws IOException {
        DatasetFormat f = format;
        List<String> copy = List.copyOf(paths);
        Dataset opened = f.open(copy);
        return new Files(f, copy, opened.size(), opened.sampleShape(), opened.numClasses());
    }

    private static LabeledSample sampleOf(Row row) {
        List<Object> values = row.getList(0);
        float[] f = new float[values.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = ((Number) values.get(i)).floatValue();
        }
        return new LabeledSample(f, ((Number) row.get(1)).intValue());
    }

    private static void checkShape(int[] shape) {
        if (shape.length == 0 || Arrays.stream(shape).anyMatch(d -> d <= 0)) {
            throw new IllegalArgumentException("SparkData: invalid sample shape " + Arrays.toString(shape));
        }
    }

    private static Iterator<Shard> shardOf(Iterator<Shard.IndexedSample> samples, int sampleSize, int classes) {
        List<Shard.IndexedSample> list = new ArrayList<>();
        samples.forEachRemaining(list::add);
        return List.of(Shard.of(list, sampleSize, classes)).iterator();
    }

    private static final class Rows extends SparkData {
        private final JavaRDD<Tuple2<LabeledSample, Long>> indexed;

        Rows(JavaRDD<Tuple2<LabeledSample, Long>> indexed, long size, int[] sampleShape, int numClasses) {
            super(size, sampleShape, numClasses);
            this.indexed = indexed;
        }

        @Override
        JavaRDD<Shard> place(JavaSparkContext sc, Broadcast<int[]> partitionOf, int partitions) {
            int sampleSize = Shapes.numel(sampleShape());
            int classes = numClasses();
            return indexed
                    .mapToPair(t -> new Tuple2<>(partitionOf.value()[Math.toIntExact(t._2())],
                            new Shard.IndexedSample(t._2(), t._1())))
                    .filter(t -> t._1() >= 0)
                    .partitionBy(new HashPartitioner(partitions))
                    .values()
                    .mapPartitions(it -> shardOf(it, sampleSize, classes), true);
        }

        @Override
        public void release() {
            indexed.unpersist(false);
        }
    }

    private static final class Files extends SparkData {
        private final DatasetFormat format;
        private final List<String> paths;

        Files(DatasetFormat format, List<String> paths, long size, int[] sampleShape, int numClasses) {
            super(size, sampleShape, numClasses);
            this.format = format;
            this.paths = paths;
        }

        @Override
        JavaRDD<Shard> place(JavaSparkContext sc, Broadcast<int[]> partitionOf, int partitions) {
            DatasetFormat f = format;
            List<String> p = paths;
            int sampleSize = Shapes.numel(sampleShape());
            int classes = numClasses();
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < partitions; i++) {
                ids.add(i);
            }
            return sc.parallelize(ids, partitions).mapPartitionsWithIndex((partition, ignored) -> {
                Dataset data;
                try {
                    data = f.open(p);
                } catch (IOException e) {
                    throw new UncheckedIOException("SparkData: cannot read " + p + " (" + f.name() + ")", e);
                }
                int[] owner = partitionOf.value();
                if (data.size() != owner.length) {
                    throw new IllegalStateException("SparkData: " + p + " (" + f.name() + ") holds " + data.size()
                            + " samples on this executor, " + owner.length + " on the driver");
                }
                List<Shard.IndexedSample> mine = new ArrayList<>();
                for (int i = 0; i < owner.length; i++) {
                    if (owner[i] == partition) {
                        float[] values = new float[sampleSize];
                        data.copySample(i, values, 0);
                        mine.add(new Shard.IndexedSample(i, new LabeledSample(values, data.label(i))));
                    }
                }
                return shardOf(mine.iterator(), sampleSize, classes);
            }, true);
        }

        @Override
        public void release() {
            // Nothing cached: the executors read the files again each epoch.
        }
    }
}
