package org.quadralib.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.quadralib.autobuild.Subset;
import org.quadralib.autobuild.ConversionPolicy;
import org.quadralib.autobuild.Converter;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.Dataset;
import org.quadralib.core.data.DatasetNotFoundException;
import org.quadralib.core.data.FashionMnist;
import org.quadralib.core.io.MalformedFileException;
import org.quadralib.layers.Init;
import org.quadralib.layers.Module;
import org.quadralib.layers.train.BatchResult;
import org.quadralib.layers.train.Checkpointing;
import org.quadralib.layers.train.Evaluation;
import org.quadralib.layers.train.History;
import org.quadralib.layers.train.Trainer;
import org.quadralib.layers.train.TrainingContext;
import org.quadralib.layers.train.TrainingListener;
import org.quadralib.layers.zoo.Zoo;
import org.quadralib.spark.ModelFactory;
import org.quadralib.spark.SparkData;
import org.quadralib.spark.SparkTrainer;
import org.quadralib.spark.StepCost;

/**
 * {@code spark-train}: trains a zoo model (first-order, or its PROPOSED quadratic twin) on Fashion-MNIST with
 * synchronous data-parallel SGD on Spark ({@link SparkTrainer}), then evaluates it on the driver. Spark itself is
 * not in the examples jar: the command runs under {@code spark-submit}, or through the {@code spark-train} Maven
 * profile of the examples module in local mode (see {@code quadralib-spark/README.md}).
 */
final class SparkTrain implements Command {

    private static final Set<String> FLAGS = Set.of("--quadratic");
    private static final Set<String> VALUED = Set.of("--master", "--workers", "--data", "--model", "--epochs",
            "--batch", "--lr", "--max-steps", "--train-size", "--checkpoint", "--seed", "--spark-log");

    @Override
    public String name() {
        return "spark-train";
    }

    @Override
    public String summary() {
        return "train on Apache Spark (data-parallel SGD; needs Spark on the class path)";
    }

    @Override
    public String help() {
        return String.join("\n",
                "Usage: spark-train [options]   (under spark-submit, or the examples module's spark-train profile)",
                "  --master URL       Spark master when not set by spark-submit (default local[2])",
                "  --workers K        partitions computing each step (default 2)",
                "  --data DIR         Fashion-MNIST IDX files, read by every executor from this path (default: the",
                "                     embedded sample, sent from the driver)",
                "  --model NAME       zoo model: mlp, lenet5 (default lenet5)",
                "  --quadratic        train the PROPOSED quadratic twin (hybrid back-propagation, linear start)",
                "  --epochs N         epochs (default 1)",
                "  --batch B          global batch, split over the workers (default 64)",
                "  --lr RATE          SGD learning rate, momentum 0.9 (default 0.05; the pixels are not normalised)",
                "  --max-steps N      stop after N steps (default 0: no limit)",
                "  --train-size N     first N training images of the embedded sample (default 0: all)",
                "  --checkpoint DIR   write a checkpoint there after every epoch (resumable with the Trainer)",
                "  --seed S           weights and data order (default 1)",
                "  --spark-log LEVEL  Spark's log level: ERROR, WARN, INFO, ... (default ERROR)",
                "");
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) throws Exception {
        Options o = Options.parse(args);
        try {
            Class.forName("org.apache.spark.SparkConf");
        } catch (ClassNotFoundException e) {
            throw new UsageException("Spark is not on the class path: run spark-train with spark-submit, or with "
                    + "the examples module's spark-train Maven profile (quadralib-spark/README.md)");
        }
        return Job.run(o, out, err);
    }

    /** The parsed command line. */
    record Options(String master, int workers, Path data, String model, boolean quadratic, int epochs, int batch,
                   float lr, long maxSteps, int trainSize, Path checkpoint, long seed, String sparkLog) {

        static Options parse(List<String> args) throws UsageException {
            OptionReader r = new OptionReader("spark-train", args, FLAGS, VALUED);
            String master = "local[2]";
            int workers = 2;
            Path data = null;
            String model = "lenet5";
            boolean quadratic = false;
            int epochs = 1;
            int batch = 64;
            float lr = 0.05f;
            long maxSteps = 0;
            int trainSize = 0;
            Path checkpoint = null;
            long seed = 1;
            String sparkLog = "ERROR";
            while (r.hasNext()) {
                String option = r.next();
                switch (option) {
                    case "--master" -> master = r.value();
                    case "--workers" -> workers = positive(option, r.value());
                    case "--data" -> data = Path.of(r.value());
                    case "--model" -> model = r.value();
                    case "--quadratic" -> quadratic = true;
                    case "--epochs" -> epochs = positive(option, r.value());
                    case "--batch" -> batch = positive(option, r.value());
                    case "--lr" -> lr = (float) number(option, r.value());
                    case "--max-steps" -> maxSteps = (long) number(option, r.value());
                    case "--train-size" -> trainSize = (int) number(option, r.value());
                    case "--checkpoint" -> checkpoint = Path.of(r.value());
                    case "--seed" -> seed = (long) number(option, r.value());
                    case "--spark-log" -> sparkLog = r.value().toUpperCase(Locale.ROOT);
                    default -> throw new IllegalStateException(option);
                }
            }
            if (!List.of("ALL", "DEBUG", "ERROR", "FATAL", "INFO", "OFF", "TRACE", "WARN").contains(sparkLog)) {
                throw new UsageException("unknown --spark-log level '" + sparkLog + "'");
            }
            if (!List.of("mlp", "lenet5").contains(model)) {
                throw new UsageException("unknown model '" + model + "' for --model; models: mlp, lenet5");
            }
            if (batch < workers) {
                throw new UsageException("--batch " + batch + " is smaller than --workers " + workers);
            }
            if (!(lr > 0) || maxSteps < 0 || trainSize < 0) {
                throw new UsageException("--lr must be positive, --max-steps and --train-size non-negative");
            }
            if (data != null && trainSize > 0) {
                throw new UsageException("--train-size applies to the embedded sample only (the executors read "
                        + "--data whole)");
            }
            return new Options(master, workers, data, model, quadratic, epochs, batch, lr, maxSteps, trainSize,
                    checkpoint, seed, sparkLog);
        }

        private static int positive(String option, String value) throws UsageException {
            double v = number(option, value);
            if (v < 1 || v != Math.rint(v)) {
                throw new UsageException(option + " must be a positive integer, got " + value);
            }
            return (int) v;
        }

        private static double number(String option, String value) throws UsageException {
            try {
                return Double.parseDouble(value);
            } catch (NumberFormatException e) {
                throw new UsageException(option + " expects a number, got '" + value + "'");
            }
        }
    }

    /** The part that touches Spark, loaded only once Spark is known to be on the class path. */
    private static final class Job {

        static int run(Options o, PrintStream out, PrintStream err) throws IOException, UsageException {
            Dataset test;
            Dataset sample = null;
            List<String> files = null;
            try {
                if (o.data() == null) {
                    sample = FashionMnist.fromClasspath(DataOptions.SAMPLE, true);
                    if (o.trainSize() > 0 && o.trainSize() < sample.size()) {
                        sample = Subset.first(sample, o.trainSize());
                    }
                    test = FashionMnist.fromClasspath(DataOptions.SAMPLE, false);
                } else {
                    files = idxFiles(o.data());
                    test = FashionMnist.test(o.data());
                }
            } catch (DatasetNotFoundException | MalformedFileException e) {
                throw new UsageException(e.getMessage());
            }
            int[] shape = test.sampleShape();
            ModelFactory factory = factory(o.model(), o.quadratic(), shape[0], shape[1], test.numClasses(), o.seed());

            SparkConf conf = new SparkConf().setAppName("quadralib spark-train").setIfMissing("spark.master", o.master())
                    .setIfMissing("spark.ui.enabled", "false");
            try (JavaSparkContext sc = new JavaSparkContext(conf)) {
                sc.setLogLevel(o.sparkLog());
                SparkData train = files != null ? SparkData.fromFiles("idx", files)
                        : SparkData.fromDataset(sc, sample, o.workers());
                err.printf(Locale.ROOT, "spark-train: %s%s on %,d images, master %s, %d workers, global batch %d%n",
                        o.quadratic() ? "PROPOSED " : "", o.model(), train.size(), sc.master(), o.workers(), o.batch());
                List<StepCost> costs = new ArrayList<>();
                List<Float> losses = new ArrayList<>();
                SparkTrainer[] trainer = new SparkTrainer[1];
                TrainingListener costLog = new TrainingListener() {
                    @Override
                    public void onBatchEnd(TrainingContext context, BatchResult result) {
                        costs.add(trainer[0].lastStepCost());
                        losses.add(result.loss());
                    }
                };
                List<TrainingListener> listeners = new ArrayList<>(List.of(costLog));
                if (o.checkpoint() != null) {
                    listeners.add(new Checkpointing(o.checkpoint(), 0, true, 2));
                }
                Trainer.Config config = Trainer.Config.sgd(o.lr(), 0.9f).withMaxSteps(o.maxSteps());
                trainer[0] = new SparkTrainer(sc, factory, config, o.workers(),
                        listeners.toArray(new TrainingListener[0]));
                Module model = factory.build();
                DataLoader.Options batching = DataLoader.Options.defaults().withBatchSize(o.batch()).withShuffle(true)
                        .withSeed(o.seed()).withPrefetch(false);
                History history = trainer[0].fit(model, train, batching, null, o.epochs());
                train.release();
                Evaluation evaluation = new Trainer(config).evaluate(model,
                        new DataLoader(test, DataLoader.Options.defaults().withBatchSize(256).withPrefetch(false)));
                report(out, history, evaluation, costs, losses, o.workers());
            }
            return Main.EXIT_OK;
        }

        private static ModelFactory factory(String model, boolean quadratic, int channels, int size, int classes,
                                            long seed) {
            return () -> {
                Init.manualSeed(seed);
                Module m = Zoo.build(model, channels, size, classes);
                return quadratic ? Converter.convert(m, ConversionPolicy.all()).model() : m;
            };
        }

        private static List<String> idxFiles(Path folder) throws UsageException {
            List<String> paths = new ArrayList<>();
            for (String name : List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte")) {
                Path plain = folder.resolve(name);
                Path gz = folder.resolve(name + ".gz");
                if (Files.isRegularFile(plain)) {
                    paths.add(plain.toAbsolutePath().toString());
                } else if (Files.isRegularFile(gz)) {
                    paths.add(gz.toAbsolutePath().toString());
                } else {
                    throw new UsageException("no " + name + " (or .gz) in " + folder.toAbsolutePath());
                }
            }
            return paths;
        }

        private static void report(PrintStream out, History history, Evaluation test, List<StepCost> costs,
                                   List<Float> losses, int workers) {
            out.printf(Locale.ROOT, "%-6s %10s %10s%n", "epoch", "loss", "accuracy");
            history.epochs().forEach(e -> out.printf(Locale.ROOT, "%-6d %10.4f %9.2f%%%n", e.epoch(), e.trainLoss(),
                    100 * e.trainAccuracy()));
            if (history.epochs().isEmpty() && !losses.isEmpty()) {
                out.printf(Locale.ROOT, "no epoch completed; loss of the last step %.4f%n", losses.get(losses.size() - 1));
            }
            out.printf(Locale.ROOT, "test accuracy %.2f%% on %d images%n", 100 * test.accuracy(), test.samples());
            if (costs.isEmpty()) {
                return;
            }
            // The first step also places the data and builds the replicas: leave it out of the medians.
            List<StepCost> steady = costs.size() > 1 ? costs.subList(1, costs.size()) : costs;
            StepCost last = costs.get(costs.size() - 1);
            out.printf(Locale.ROOT, "%d steps on %d workers: median step %.1f ms (slowest partition's compute %.1f ms);"
                            + " per worker per step %,d bytes of weights in, %,d bytes of gradient out, %d round%n",
                    history.steps(), workers, median(steady, true), median(steady, false), last.weightBytes(),
                    last.resultBytes(), last.rounds());
        }

        private static double median(List<StepCost> costs, boolean driver) {
            double[] v = costs.stream().mapToDouble(c -> driver ? c.driverMillis() : c.computeMillis()).toArray();
            Arrays.sort(v);
            return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        }
    }
}
