package org.quadralib.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quadralib.core.Parallel;
import org.quadralib.core.Tensor;
import org.quadralib.core.data.ArrayDataset;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.Dataset;
import org.quadralib.core.data.SyntheticData;
import org.quadralib.core.io.Idx;
import org.quadralib.layers.BatchNorm1d;
import org.quadralib.layers.Flatten;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.QuadraticLinear;
import org.quadralib.layers.ReLU;
import org.quadralib.layers.Sequential;
import org.quadralib.layers.train.BatchResult;
import org.quadralib.layers.train.Checkpointing;
import org.quadralib.layers.train.GradientStep;
import org.quadralib.layers.train.History;
import org.quadralib.layers.train.Loss;
import org.quadralib.layers.train.Schedule;
import org.quadralib.layers.train.Trainer;
import org.quadralib.layers.train.TrainingContext;
import org.quadralib.layers.train.TrainingListener;

/**
 * Spark local mode with two task threads and up to four attempts per task ({@code local[2,4]}), one session for
 * the class. Spirals data (2 features, 2 classes), 96 samples, global batch 16: 6 steps per epoch, 4 epochs = 24
 * steps, with momentum, a per-step schedule and clipping, so every piece of the update is exercised.
 */
class SparkTrainerTest {

    private static final int SAMPLES = 96;
    private static final int BATCH = 16;
    private static final int EPOCHS = 4;
    /** Float rounding of a different summation order, carried through 24 momentum steps. */
    private static final float TOLERANCE = 2e-5f;

    private static SparkSession session;
    private static JavaSparkContext sc;
    private static int threads;

    static final AtomicInteger INJECTED = new AtomicInteger();

    @TempDir
    Path dir;

    @BeforeAll
    static void startSpark() {
        threads = Parallel.threads();
        Parallel.setThreads(1);
        session = SparkSession.builder().master("local[2,4]").appName("quadralib-spark-test")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
                .config("spark.driver.host", "127.0.0.1")
                // Tiny test frames: interpreting the few SQL expressions beats compiling them.
                .config("spark.sql.codegen.wholeStage", "false").config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
                .getOrCreate();
        sc = JavaSparkContext.fromSparkContext(session.sparkContext());
    }

    @AfterAll
    static void stopSpark() {
        if (session != null) {
            session.stop();
        }
        Parallel.setThreads(threads);
    }

    static Module firstOrder() {
        Init.manualSeed(7);
        return new Sequential(new Linear(2, 16), new ReLU(), new Linear(16, 2));
    }

    static Module proposed() {
        Init.manualSeed(7);
        return new Sequential(new QuadraticLinear(2, 8, NeuronType.PROPOSED), new ReLU(), new Linear(8, 2));
    }

    static Module withBatchNorm() {
        Init.manualSeed(7);
        return new Sequential(new Linear(2, 8), new BatchNorm1d(8), new ReLU(), new Linear(8, 2));
    }

    private static ArrayDataset data() {
        return SyntheticData.spirals(SAMPLES, 3);
    }

    private static DataLoader.Options batching() {
        return DataLoader.Options.defaults().withBatchSize(BATCH).withShuffle(true).withSeed(11).withPrefetch(false);
    }

    private static Trainer.Config config() {
        return Trainer.Config.sgd(0.05f, 0.9f).withMaxGradNorm(1.0).withSchedule(Schedule.cosineWithWarmup(3, 0.1));
    }

    private static Module singleMachine(ModelFactory factory, int epochs) {
        Module model = factory.build();
        new Trainer(config()).fit(model, new DataLoader(data(), batching()), null, epochs);
        return model;
    }

    private static void assertSameState(Module expected, Module actual, float tolerance) {
        Map<String, Tensor> want = expected.stateDict();
        Map<String, Tensor> got = actual.stateDict();
        assertEquals(want.keySet(), got.keySet());
        for (String name : want.keySet()) {
            assertArrayEquals(want.get(name).toFloatArray(), got.get(name).toFloatArray(), tolerance, name);
        }
    }

    private static float maxDifference(Module a, Module b) {
        float max = 0;
        for (Map.Entry<String, Tensor> e : a.stateDict().entrySet()) {
            float[] x = e.getValue().toFloatArray();
            float[] y = b.stateDict().get(e.getKey()).toFloatArray();
            for (int i = 0; i < x.length; i++) {
                max = Math.max(max, Math.abs(x[i] - y[i]));
            }
        }
        return max;
    }

    private History spark(Module model, ModelFactory factory, int workers, SparkData train, int epochs,
                          TrainingListener... listeners) {
        return new SparkTrainer(sc, factory, config(), workers, listeners).fit(model, train, batching(), null, epochs);
    }

    @Test
    void twoWorkersWithBatch8EqualOneProcessWithBatch16FirstOrder() {
        Module single = singleMachine(SparkTrainerTest::firstOrder, EPOCHS);
        Module distributed = firstOrder();
        History history = spark(distributed, SparkTrainerTest::firstOrder, 2,
                SparkData.fromDataset(sc, data(), 3), EPOCHS);
        assertEquals(24, history.steps());
        assertSameState(single, distributed, TOLERANCE);
        // The trajectory moved far from the start: equality is not trivially the initial weights.
        assertTrue(maxDifference(firstOrder(), distributed) > 0.1f);
    }

    @Test
    void threeWorkersEqualOneProcessForProposedHybridModel() {
        // 16 samples over 3 workers: shares of 5, 5 and 6, weighted by n_j / n.
        Module single = singleMachine(SparkTrainerTest::proposed, EPOCHS);
        Module distributed = proposed();
        spark(distributed, SparkTrainerTest::proposed, 3, SparkData.fromDataset(sc, data(), 2), EPOCHS);
        assertSameState(single, distributed, TOLERANCE);
        assertTrue(maxDifference(proposed(), distributed) > 0.02f);
    }

    @Test
    void treeAggregationMatchesTheDriverSum() {
        Module driver = proposed();
        Module tree = proposed();
        SparkData train = SparkData.fromDataset(sc, data(), 2);
        new SparkTrainer(sc, SparkTrainerTest::proposed, config().withMaxSteps(4), 4, SparkTrainer.Reduction.DRIVER)
                .fit(driver, train, batching(), null, 1);
        new SparkTrainer(sc, SparkTrainerTest::proposed, config().withMaxSteps(4), 4, SparkTrainer.Reduction.TREE)
                .fit(tree, train, batching(), null, 1);
        assertSameState(driver, tree, 1e-6f);
        train.release();
    }

    @Test
    void sparkCheckpointResumesOnOneMachineAndBack() throws IOException {
        Module straight = singleMachine(SparkTrainerTest::proposed, EPOCHS);
        SparkData train = SparkData.fromDataset(sc, data(), 2);

        // Spark, 10 steps (mid-epoch 1), checkpoint; one machine resumes to the end.
        Module first = proposed();
        Checkpointing saveAt10 = new Checkpointing(dir.resolve("spark"), 10, false, 0);
        new SparkTrainer(sc, SparkTrainerTest::proposed, config().withMaxSteps(10), 2, saveAt10)
                .fit(first, train, batching(), null, EPOCHS);
        Module resumedHere = proposed();
        History rest = new Trainer(config()).resume(saveAt10.lastSaved(), resumedHere,
                new DataLoader(data(), batching()), null, EPOCHS);
        assertEquals(24, rest.steps());
        assertSameState(straight, resumedHere, TOLERANCE);

        // One machine, 18 steps (epoch 3, batch 0), checkpoint; Spark resumes to the end.
        Module local = proposed();
        Checkpointing localAt18 = new Checkpointing(dir.resolve("local"), 18, false, 0);
        new Trainer(config().withMaxSteps(18), localAt18).fit(local, new DataLoader(data(), batching()), null, EPOCHS);
        Module resumedOnSpark = proposed();
        History sparkRest = new SparkTrainer(sc, SparkTrainerTest::proposed, config(), 2)
                .resume(localAt18.lastSaved(), resumedOnSpark, train, batching(), null, EPOCHS);
        assertEquals(24, sparkRest.steps());
        assertEquals(EPOCHS, sparkRest.epochs().size());
        assertSameState(straight, resumedOnSpark, TOLERANCE);
        train.release();
    }

    private static Module cleanRun;

    /** One epoch (6 steps) of the first-order model on 2 workers with nothing going wrong (computed once). */
    private Module cleanEpoch(SparkData train) {
        if (cleanRun == null) {
            Module clean = firstOrder();
            spark(clean, SparkTrainerTest::firstOrder, 2, train, 1);
            cleanRun = clean;
        }
        return cleanRun;
    }

    @Test
    void aFailedTaskIsRetriedAndTheRunIsBitIdentical() {
        SparkData train = SparkData.fromDataset(sc, data(), 2);
        Module clean = cleanEpoch(train);

        Module faulty = firstOrder();
        SparkTrainer trainer = new SparkTrainer(sc, SparkTrainerTest::firstOrder, config(), 2);
        INJECTED.set(0);
        // Step 3, partition 1, first attempt: fails after its gradient is computed (mid-step).
        trainer.setProbe((step, partition, attempt) -> {
            if (step == 3 && partition == 1 && attempt == 0) {
                INJECTED.incrementAndGet();
                throw new IllegalStateException("injected task failure");
            }
        });
        trainer.fit(faulty, train, batching(), null, 1);
        assertEquals(1, INJECTED.get());
        assertSameState(clean, faulty, 0f);
        train.release();
    }

    @Test
    void losingExecutorStateBetweenStepsLosesNothing() {
        SparkData train = SparkData.fromDataset(sc, data(), 2);
        Module clean = cleanEpoch(train);

        Module model = firstOrder();
        SparkTrainer[] trainer = new SparkTrainer[1];
        AtomicInteger dropped = new AtomicInteger();
        TrainingListener loseExecutors = new TrainingListener() {
            @Override
            public void onBatchEnd(TrainingContext context, BatchResult result) {
                if (context.globalStep() == 2 || context.globalStep() == 4) {
                    trainer[0].forgetExecutorState();
                    dropped.incrementAndGet();
                }
            }
        };
        trainer[0] = new SparkTrainer(sc, SparkTrainerTest::firstOrder, config(), 2, loseExecutors);
        trainer[0].fit(model, train, batching(), null, 1);
        assertEquals(2, dropped.get());
        assertSameState(clean, model, 0f);
        train.release();
    }

    @Test
    void batchNormUsesPerReplicaStatisticsAndAveragesTheRunningBuffers() {
        // One plain SGD step (no momentum, no clipping) on batch 16 over 2 workers, from the same weights.
        Trainer.Config oneStep = Trainer.Config.sgd(0.1f, 0f).withMaxGradNorm(0.0).withMaxSteps(1);
        DataLoader.Options plain = batching().withShuffle(false);
        Module distributed = withBatchNorm();
        new SparkTrainer(sc, SparkTrainerTest::withBatchNorm, oneStep, 2)
                .fit(distributed, SparkData.fromDataset(sc, data(), 2), plain, null, 1);

        // By hand: each replica on its own 8 samples, gradients and buffers averaged.
        ArrayDataset all = data();
        List<Map<String, float[]>> replicas = new ArrayList<>();
        for (int j = 0; j < 2; j++) {
            Module replica = withBatchNorm();
            int[] share = new int[8];
            for (int i = 0; i < 8; i++) {
                share[i] = 8 * j + i;
            }
            DataLoader.Batch batch = new DataLoader(all.subset(share), 8, false, 0).iterator().next();
            GradientStep.local(replica, Loss.CROSS_ENTROPY, batch, p -> { });
            replicas.add(afterStep(replica, 0.1f));
        }
        for (Map.Entry<String, Tensor> e : distributed.stateDict().entrySet()) {
            float[] a = replicas.get(0).get(e.getKey());
            float[] b = replicas.get(1).get(e.getKey());
            float[] mean = new float[a.length];
            for (int i = 0; i < a.length; i++) {
                mean[i] = (a[i] + b[i]) / 2;
            }
            assertArrayEquals(mean, e.getValue().toFloatArray(), 1e-6f, e.getKey());
        }

        // And that is not what one process with batch 16 does (global batch statistics).
        Module single = withBatchNorm();
        new Trainer(oneStep).fit(single, new DataLoader(data(), plain), null, 1);
        assertArrayEquals(single.stateDict().get("1.running_mean").toFloatArray(),
                distributed.stateDict().get("1.running_mean").toFloatArray(), 1e-6f,
                "equal shares: the mean of the shares' means is the batch mean");
        assertTrue(maxDifference(single, distributed) > 1e-4f, "per-replica statistics change the gradient");
    }

    /** The state dict after {@code p ← p − lr·∇p} (buffers as the forward left them). */
    private static Map<String, float[]> afterStep(Module model, float lr) {
        Map<String, float[]> out = new java.util.HashMap<>();
        Map<String, org.quadralib.layers.Parameter> params = model.namedParameters();
        for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
            float[] v = e.getValue().toFloatArray();
            if (params.containsKey(e.getKey())) {
                float[] g = e.getValue().grad().toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] -= lr * g[i];
                }
            }
            out.put(e.getKey(), v);
        }
        return out;
    }

    @Test
    void rowsOfADataFrameTrainAsTheLocalDataSetDoes() {
        ArrayDataset local = data();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < local.size(); i++) {
            float[] f = new float[2];
            local.copySample(i, f, 0);
            rows.add(RowFactory.create(new Float[] {f[0], f[1]}, local.label(i)));
        }
        StructType schema = new StructType()
                .add("features", DataTypes.createArrayType(DataTypes.FloatType))
                .add("label", DataTypes.IntegerType);
        org.apache.spark.sql.Dataset<Row> frame = session.createDataFrame(rows, schema);
        SparkData train = SparkData.fromRows(frame, "features", "label", new int[] {2}, 2);
        assertEquals(SAMPLES, train.size());
        Module single = singleMachine(SparkTrainerTest::firstOrder, 1);
        Module distributed = firstOrder();
        spark(distributed, SparkTrainerTest::firstOrder, 2, train, 1);
        assertSameState(single, distributed, TOLERANCE);
        train.release();

        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> SparkData.fromRows(frame, "pixels", "label", new int[] {2}, 2));
        assertTrue(missing.getMessage().contains("pixels"), missing.getMessage());
    }

    @Test
    void idxFilesReadByEveryExecutorTrainAsOneMachine() throws IOException {
        int n = 40;
        byte[] pixels = new byte[n * 6 * 6];
        byte[] labels = new byte[n];
        java.util.Random random = new java.util.Random(3);
        random.nextBytes(pixels);
        for (int i = 0; i < n; i++) {
            labels[i] = (byte) random.nextInt(10);
        }
        Path images = dir.resolve("images-idx3-ubyte");
        Path labelFile = dir.resolve("labels-idx1-ubyte");
        Idx.write(images, new Idx.Data(Idx.DataType.UNSIGNED_BYTE, new int[] {n, 6, 6}, pixels), false);
        Idx.write(labelFile, new Idx.Data(Idx.DataType.UNSIGNED_BYTE, new int[] {n}, labels), false);
        List<String> paths = List.of(images.toString(), labelFile.toString());
        SparkData train = SparkData.fromFiles("IDX", paths);
        assertEquals(n, train.size());
        assertArrayEquals(new int[] {1, 6, 6}, train.sampleShape());

        ModelFactory factory = () -> {
            Init.manualSeed(9);
            return new Sequential(new Flatten(), new Linear(36, 10));
        };
        DataLoader.Options options = batching().withBatchSize(8);
        Trainer.Config sgd = Trainer.Config.sgd(0.01f, 0.9f);
        Module single = factory.build();
        Dataset local = DatasetFormat.IDX.open(paths);
        new Trainer(sgd).fit(single, new DataLoader(local, options), null, 2);
        Module distributed = factory.build();
        SparkTrainer trainer = new SparkTrainer(sc, factory, sgd, 2);
        trainer.fit(distributed, train, options, null, 2);
        assertSameState(single, distributed, TOLERANCE);

        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> SparkData.fromFiles("tfrecord", paths));
        assertTrue(unknown.getMessage().contains("idx"), unknown.getMessage());
    }

    /** Trains {@code data} on Spark (2 workers, 2 epochs) and on one machine from the same files; same weights. */
    private void filesTrainAsOneMachine(DatasetFormat format, List<String> paths, int size, int[] shape, int classes)
            throws IOException {
        SparkData train = SparkData.fromFiles(format, paths);
        assertEquals(size, train.size());
        assertArrayEquals(shape, train.sampleShape());
        assertEquals(classes, train.numClasses());
        int inputs = shape[0] * shape[1] * shape[2];
        ModelFactory factory = () -> {
            Init.manualSeed(9);
            return new Sequential(new Flatten(), new Linear(inputs, classes));
        };
        DataLoader.Options options = batching().withBatchSize(8);
        Trainer.Config sgd = Trainer.Config.sgd(0.01f, 0.9f);
        Module single = factory.build();
        new Trainer(sgd).fit(single, new DataLoader(format.open(paths), options), null, 2);
        Module distributed = factory.build();
        new SparkTrainer(sc, factory, sgd, 2).fit(distributed, train, options, null, 2);
        assertSameState(single, distributed, TOLERANCE);
    }

    /** {@code records} CIFAR records of random pixels, with {@code labelBytes} random label bytes below the bounds. */
    private static void writeCifar(Path file, int records, int[] labelBounds, java.util.Random random)
            throws IOException {
        int record = labelBounds.length + 3 * 32 * 32;
        byte[] out = new byte[records * record];
        random.nextBytes(out);
        for (int r = 0; r < records; r++) {
            for (int b = 0; b < labelBounds.length; b++) {
                out[r * record + b] = (byte) random.nextInt(labelBounds[b]);
            }
        }
        java.nio.file.Files.write(file, out);
    }

    @Test
    void cifarBinaryFilesReadByEveryExecutorTrainAsOneMachine() throws IOException {
        java.util.Random random = new java.util.Random(5);
        Path first = dir.resolve("data_batch_1.bin");
        Path second = dir.resolve("data_batch_2.bin");
        writeCifar(first, 14, new int[] {10}, random);
        writeCifar(second, 10, new int[] {10}, random);
        filesTrainAsOneMachine(DatasetFormat.named("CIFAR10"), List.of(first.toString(), second.toString()), 24,
                new int[] {3, 32, 32}, 10);

        Path hundred = dir.resolve("train.bin");
        writeCifar(hundred, 20, new int[] {20, 100}, random);
        filesTrainAsOneMachine(DatasetFormat.named("cifar100"), List.of(hundred.toString()), 20,
                new int[] {3, 32, 32}, 100);

        // A CIFAR-100 file is not CIFAR-10: its records are one byte longer; the driver says so before any task.
        java.io.IOException wrong = assertThrows(java.io.IOException.class,
                () -> SparkData.fromFiles("cifar10", List.of(hundred.toString())));
        assertTrue(wrong.getMessage().contains("train.bin"), wrong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SparkData.fromFiles("cifar10", List.of()));
    }

    @Test
    void imageFoldersReadByEveryExecutorTrainAsOneMachine() throws IOException {
        java.util.Random random = new java.util.Random(7);
        Path root = dir.resolve("train");
        List<String> classes = List.of("cat", "dog", "owl");
        for (String c : classes) {
            java.nio.file.Files.createDirectories(root.resolve(c));
            for (int i = 0; i < 6; i++) {
                java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(12, 10,
                        java.awt.image.BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 10; y++) {
                    for (int x = 0; x < 12; x++) {
                        image.setRGB(x, y, random.nextInt(1 << 24));
                    }
                }
                assertTrue(javax.imageio.ImageIO.write(image, "png", root.resolve(c).resolve(i + ".png").toFile()));
            }
        }
        // Options other than the defaults travel to the executors with the format.
        DatasetFormat format = DatasetFormat.folder(new org.quadralib.core.data.ImageFolder.Options(8, 8,
                org.quadralib.core.data.ImageFolder.Color.GREY, org.quadralib.core.data.ImageFolder.Fit.CENTER_CROP));
        assertEquals("folder", format.name());
        filesTrainAsOneMachine(format, List.of(root.toString()), 18, new int[] {1, 8, 8}, 3);
        assertArrayEquals(new int[] {3, 32, 32}, SparkData.fromFiles("folder", List.of(root.toString())).sampleShape());
        IllegalArgumentException two = assertThrows(IllegalArgumentException.class,
                () -> SparkData.fromFiles("folder", List.of(root.toString(), root.toString())));
        assertTrue(two.getMessage().contains("folder"), two.getMessage());
    }

    @Test
    void theStepCostIsTheSerializedWeightsInAndTheGradientOut() throws InterruptedException {
        Module model = proposed();
        SparkTrainer trainer = new SparkTrainer(sc, SparkTrainerTest::proposed, config().withMaxSteps(2), 2);
        // What Spark itself counts: the serialized result of every task (ours plus its task metrics).
        java.util.concurrent.ConcurrentLinkedQueue<Long> resultSizes = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.concurrent.CountDownLatch stepTasks = new java.util.concurrent.CountDownLatch(4);
        org.apache.spark.scheduler.SparkListener listener = new org.apache.spark.scheduler.SparkListener() {
            @Override
            public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd end) {
                long size = end.taskMetrics().resultSize();
                if (size > 4 * FlatState.stateLength(proposed())) {
                    resultSizes.add(size);
                    stepTasks.countDown();
                }
            }
        };
        sc.sc().addSparkListener(listener);
        try {
            trainer.fit(model, SparkData.fromDataset(sc, data(), 2), batching(), null, 1);
            // The listener bus delivers events asynchronously: wait for the 2 steps × 2 tasks.
            assertTrue(stepTasks.await(30, java.util.concurrent.TimeUnit.SECONDS), "task results seen: " + resultSizes);
        } finally {
            sc.sc().removeSparkListener(listener);
        }
        StepCost cost = trainer.lastStepCost();
        assertNotNull(cost);
        long state = FlatState.stateLength(model);
        assertEquals(2, cost.workers());
        assertEquals(1, cost.rounds());
        // A float array serializes as its 4-byte values plus a small header.
        assertTrue(cost.weightBytes() >= 4 * state && cost.weightBytes() < 4 * state + 128, cost.toString());
        assertTrue(cost.resultBytes() >= 4 * (state + 3) && cost.resultBytes() < 4 * (state + 3) + 128,
                cost.toString());
        for (long size : resultSizes) {
            assertTrue(size >= cost.resultBytes() && size < cost.resultBytes() + 4096, size + " vs " + cost);
        }
    }

    /** The module README's example, line for line, learns the rings. */
    @Test
    void readmeExampleLearnsTheRings() {
        SparkSession spark = SparkSession.builder().master("local[2]").getOrCreate();
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        ModelFactory factory = () -> {
            Init.manualSeed(0);
            return new Sequential(new QuadraticLinear(2, 16, NeuronType.PROPOSED), new ReLU(), new Linear(16, 2));
        };
        Module model = factory.build();
        SparkData train = SparkData.fromDataset(sc, SyntheticData.rings(512, 1), 2);
        DataLoader.Options batching = DataLoader.Options.defaults().withBatchSize(64).withShuffle(true).withSeed(1);
        SparkTrainer trainer = new SparkTrainer(sc, factory, Trainer.Config.sgd(0.3f, 0.9f), 2);
        History history = trainer.fit(model, train, batching, null, 4);
        assertEquals(32, history.steps());

        double accuracy = new Trainer(Trainer.Config.sgd(0.3f, 0.9f)).evaluate(model,
                new DataLoader(SyntheticData.rings(400, 2), 400, false, 0)).accuracy();
        assertTrue(accuracy >= 0.95, "README example reached " + accuracy + " on held-out rings");
        train.release();
    }

    @Test
    void aLossThatCannotTravelIsRejected() {
        Loss local = (output, labels) -> Loss.CROSS_ENTROPY.compute(output, labels);
        Trainer.Config config = new Trainer.Config(config().optimizer(), local, null, null, 0, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SparkTrainer(sc, SparkTrainerTest::firstOrder, config, 2));
        assertTrue(e.getMessage().contains("Serializable"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SparkTrainer(sc, SparkTrainerTest::firstOrder,
                config(), 0));
    }
}
