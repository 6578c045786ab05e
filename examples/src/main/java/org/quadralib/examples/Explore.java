package org.quadralib.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import org.quadralib.autobuild.ConversionReport;
import org.quadralib.autobuild.ConversionResult;
import org.quadralib.autobuild.Converter;
import org.quadralib.core.Parallel;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.Dataset;
import org.quadralib.core.data.DatasetNotFoundException;
import org.quadralib.core.data.FashionMnist;
import org.quadralib.core.io.AtomicFiles;
import org.quadralib.core.io.MalformedFileException;
import org.quadralib.core.memory.MemoryTracker;
import org.quadralib.layers.Init;
import org.quadralib.layers.Module;
import org.quadralib.layers.train.BatchResult;
import org.quadralib.layers.train.EpochRecord;
import org.quadralib.layers.train.History;
import org.quadralib.layers.train.OptimizerFactory;
import org.quadralib.layers.train.Trainer;
import org.quadralib.layers.train.TrainingContext;
import org.quadralib.layers.train.TrainingListener;
import org.quadralib.layers.zoo.Zoo;
import org.quadralib.profiler.MemoryReport;
import org.quadralib.profiler.Phase;
import org.quadralib.profiler.ProfilingListener;
import org.quadralib.viz.Charts;
import org.quadralib.viz.HtmlReport;
import org.knowm.xchart.XYChart;

/**
 * {@code explore}: trains a zoo model and its quadratic twin of each requested neuron type on Fashion-MNIST with
 * the same seed, data order and recipe (SGD, momentum 0.9, the trainer's defaults for quadratic models), and
 * prints one table: neuron type, parameters, test accuracy, training time per epoch, median step time and the
 * peak of the memory the library tracked while training. With {@code --out} it also profiles each variant's
 * training ({@link ProfilingListener}) and writes {@code results.json}, training-curve charts ({@code accuracy},
 * {@code loss} as PNG and SVG), the profiler's text report per variant ({@code memory-<label>.txt}) and
 * {@code report.html}, each atomically, after every model has trained; the JSON and the HTML table add the peak
 * tracked memory of the forward, backward and update phases.
 */
final class Explore implements Command {

    /** Where the examples jar keeps its Fashion-MNIST sample. */
    static final String SAMPLE = "org/quadralib/examples/fashion-mnist-sample";
    /** Fashion-MNIST's pixel mean and standard deviation (of the training set, pixels scaled to [0, 1]). */
    static final float MEAN = 0.2860f;
    static final float STD = 0.3530f;
    private static final float MOMENTUM = 0.9f;
    /** The training phases whose peaks the JSON and the HTML table report. */
    private static final List<Phase> REPORTED_PHASES = List.of(Phase.FORWARD, Phase.BACKWARD, Phase.UPDATE);

    /**
     * What one variant's training produced.
     *
     * @param memory the profiled memory, or null when the run writes no files (and so is not profiled)
     */
    record Result(ExploreOptions.Variant variant, long parameters, History history, double secondsPerEpoch,
                  double stepMillisMedian, long peakTrackedBytes, float maxGradNorm, List<String> keptFirstOrder,
                  Memory memory) {

        double testAccuracy() {
            return history.epochs().isEmpty() ? Double.NaN : history.last().validationAccuracy();
        }
    }

    /**
     * The profiler's report of one variant's training.
     *
     * @param baselineBytes the tracked bytes before the model was built, from which {@link Result#peakTrackedBytes()}
     *                      is counted too
     */
    record Memory(MemoryReport report, long baselineBytes) {

        /** The highest tracked bytes while in {@code phase}, counted from the baseline. */
        long peakBytes(Phase phase) {
            return report.phases().get(phase).peakTotalBytes() - baselineBytes;
        }
    }

    /** The data of one run. */
    record Data(String label, Dataset train, Dataset test) {
    }

    @Override
    public String name() {
        return "explore";
    }

    @Override
    public String summary() {
        return "train a zoo model and its quadratic twins on Fashion-MNIST, print one comparison table";
    }

    @Override
    public String help() {
        return ExploreOptions.help();
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) throws Exception {
        ExploreOptions options = ExploreOptions.parse(args);
        if (options.out() != null) {
            ExploreOptions.checkWritableFolder(options.out());
        }
        Data data = load(options);
        err.println("explore: " + options + "; data: " + data.label());
        Parallel.setThreads(options.threads());
        List<Result> results = new ArrayList<>();
        for (ExploreOptions.Variant variant : options.variants()) {
            results.add(train(options, variant, data, err));
        }
        out.print(table(options, data, results));
        out.flush();
        if (options.out() != null) {
            write(options, data, results);
            err.println("explore: wrote results.json, accuracy/loss charts, memory reports and report.html to "
                    + options.out());
        }
        return Main.EXIT_OK;
    }

    // ------------------------------------------------------------------ data

    static Data load(ExploreOptions options) throws IOException, UsageException {
        Dataset train;
        Dataset test;
        String label;
        try {
            if (options.data() == null) {
                train = FashionMnist.fromClasspath(SAMPLE, true);
                test = FashionMnist.fromClasspath(SAMPLE, false);
                label = "embedded Fashion-MNIST sample";
            } else {
                train = FashionMnist.train(options.data());
                test = FashionMnist.test(options.data());
                label = "Fashion-MNIST in " + options.data();
            }
        } catch (DatasetNotFoundException | MalformedFileException e) {
            throw new UsageException(e.getMessage());
        }
        train = first(train, options.trainSize(), "--train-size", "training");
        test = first(test, options.testSize(), "--test-size", "test");
        return new Data(String.format(Locale.ROOT, "%s (%d training, %d test images)", label, train.size(),
                test.size()), train, test);
    }

    private static Dataset first(Dataset all, int size, String option, String split) throws UsageException {
        if (size == 0 || size == all.size()) {
            return all;
        }
        if (size > all.size()) {
            throw new UsageException(option + " " + size + " exceeds the " + all.size() + " " + split + " images");
        }
        return new FirstSamples(all, size);
    }

    // ------------------------------------------------------------------ training

    private static Result train(ExploreOptions options, ExploreOptions.Variant variant, Data data, PrintStream err) {
        int[] shape = data.train().sampleShape();
        MemoryTracker.settle();
        long baseline = MemoryTracker.currentTotal();
        MemoryTracker.resetPeaks();

        Init.manualSeed(options.seed());
        Module model = Zoo.build(options.model(), shape[0], shape[1], data.train().numClasses());
        List<String> keptFirstOrder = List.of();
        if (variant.type() != null) {
            ConversionResult converted = Converter.convert(model, options.convert().policy(variant.type()));
            model = converted.model();
            // Layers the converter could not convert: T1 and T1&2 quadratic forms over the size limit.
            keptFirstOrder = converted.report().entries(ConversionReport.Action.UNSUPPORTED).stream()
                    .map(ConversionReport.Entry::path).toList();
        }
        err.printf(Locale.ROOT, "explore: training %s %s, %,d parameters%n", variant.label(), options.model(),
                model.parameterCount());
        // No prefetching: a batch built on the prefetch thread lives outside the step's memory scope, so it is not
        // recycled and would count as tracked memory until the collector runs (hundreds of MiB over an epoch of the
        // full set), while building a Fashion-MNIST batch costs well under a millisecond.
        DataLoader train = new DataLoader(data.train(), DataLoader.Options.defaults()
                .withBatchSize(options.batchSize()).withShuffle(true).withSeed(options.seed())
                .withNormalization(new float[] {MEAN}, new float[] {STD}));
        // Tested in batches of the training size, so the peak memory is the training step's, not the evaluation's.
        DataLoader test = new DataLoader(data.test(), DataLoader.Options.defaults().withBatchSize(options.batchSize())
                .withNormalization(new float[] {MEAN}, new float[] {STD}));
        StepTimes steps = new StepTimes();
        Trainer.Config config = Trainer.Config.sgd(options.lr(), MOMENTUM).withMaxGradNorm(options.clip());
        History history;
        Memory memory;
        // Profiled only when the figures are written: the profiler's bookkeeping adds to every allocation.
        try (ProfilingListener profiling = options.out() == null ? null : ProfilingListener.attach(model)) {
            TrainingListener[] listeners = profiling == null ? new TrainingListener[] {steps}
                    : new TrainingListener[] {steps, profiling};
            history = new Trainer(config, listeners).fit(model, train, test, options.epochs());
            memory = profiling == null ? null : new Memory(profiling.report(), baseline);
        }
        long peak = MemoryTracker.peakTotal() - baseline;

        double seconds = history.epochs().stream().mapToDouble(EpochRecord::seconds).average().orElse(Double.NaN);
        return new Result(variant, model.parameterCount(), history, seconds, steps.medianMillis(), peak,
                config.resolveMaxGradNorm(model), keptFirstOrder, memory);
    }

    /** Collects every step's time, for a median over the whole run rather than per epoch. */
    private static final class StepTimes implements TrainingListener {
        private long[] nanos = new long[1024];
        private int count;

        @Override
        public void onBatchEnd(TrainingContext context, BatchResult result) {
            if (count == nanos.length) {
                nanos = Arrays.copyOf(nanos, 2 * count);
            }
            nanos[count++] = result.nanos();
        }

        double medianMillis() {
            if (count == 0) {
                return Double.NaN;
            }
            long[] sorted = Arrays.copyOf(nanos, count);
            Arrays.sort(sorted);
            double median = count % 2 == 1 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2.0;
            return median / 1e6;
        }
    }

    // ------------------------------------------------------------------ output

    private static final String[] HEADER = {"neuron type", "parameters", "test accuracy", "train time/epoch",
        "step time (median)", "peak tracked memory"};

    static List<List<String>> rows(List<Result> results) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of(HEADER));
        for (Result r : results) {
            String accuracy = r.history().diverged() ? "diverged (NaN)"
                    : String.format(Locale.ROOT, "%.2f%%", 100 * r.testAccuracy());
            rows.add(List.of(r.variant().label(), String.format(Locale.ROOT, "%,d", r.parameters()), accuracy,
                    String.format(Locale.ROOT, "%.1f s", r.secondsPerEpoch()),
                    String.format(Locale.ROOT, "%.1f ms", r.stepMillisMedian()), mib(r.peakTrackedBytes())));
        }
        return rows;
    }

    /** The rows of {@link #rows} followed by the peak tracked memory of each {@link #REPORTED_PHASES} phase. */
    static List<List<String>> profiledRows(List<Result> results) {
        List<List<String>> rows = new ArrayList<>();
        for (List<String> row : rows(results)) {
            rows.add(new ArrayList<>(row));
        }
        for (Phase p : REPORTED_PHASES) {
            rows.get(0).add("peak in " + key(p));
            for (int i = 0; i < results.size(); i++) {
                rows.get(i + 1).add(mib(results.get(i).memory().peakBytes(p)));
            }
        }
        return rows;
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    /** {@code forward}, {@code backward}, ...: the phase's name in the JSON and the HTML table. */
    private static String key(Phase phase) {
        return phase.name().toLowerCase(Locale.ROOT);
    }

    /** {@code memory-<label>.txt}, with every run of characters unsafe in a file name replaced by {@code -}. */
    static String memoryFileName(ExploreOptions.Variant variant) {
        return "memory-" + variant.label().replaceAll("[^A-Za-z0-9._-]+", "-") + ".txt";
    }

    static String table(ExploreOptions options, Data data, List<Result> results) {
        List<List<String>> rows = rows(results);
        int[] widths = new int[HEADER.length];
        for (List<String> row : rows) {
            for (int c = 0; c < widths.length; c++) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s on %s: %d epoch%s, batch %d, SGD lr %s momentum %s, %d threads, "
                        + "seed %d%n%n", options.model(), data.label(), options.epochs(),
                options.epochs() == 1 ? "" : "s", options.batchSize(), options.lr(), MOMENTUM, options.threads(),
                options.seed()));
        for (int r = 0; r < rows.size(); r++) {
            List<String> row = rows.get(r);
            for (int c = 0; c < widths.length; c++) {
                String cell = row.get(c);
                // Names left-aligned, figures right-aligned, as a reader compares them digit by digit.
                sb.append(c == 0 ? String.format("%-" + widths[c] + "s", cell)
                        : String.format("%" + widths[c] + "s", cell));
                sb.append(c + 1 < widths.length ? "   " : "\n");
            }
            if (r == 0) {
                int total = Arrays.stream(widths).sum() + 3 * (widths.length - 1);
                sb.append("-".repeat(total)).append('\n');
            }
        }
        for (Result r : results) {
            if (!r.keptFirstOrder().isEmpty()) {
                sb.append(String.format(Locale.ROOT, "%s: %s kept first-order (quadratic form over %,d weights)%n",
                        r.variant().label(), String.join(", ", r.keptFirstOrder()),
                        org.quadralib.layers.QuadraticLayer.MAX_QUADRATIC_FORM_WEIGHTS));
            }
        }
        return sb.toString();
    }

    private static void write(ExploreOptions options, Data data, List<Result> results) throws IOException {
        Path out = options.out();
        Map<String, List<Double>> accuracy = new LinkedHashMap<>();
        Map<String, List<Double>> loss = new LinkedHashMap<>();
        for (Result r : results) {
            List<Double> acc = new ArrayList<>();
            List<Double> trainLoss = new ArrayList<>();
            for (EpochRecord e : r.history().epochs()) {
                acc.add(100 * e.validationAccuracy());
                trainLoss.add(e.trainLoss());
            }
            // A diverged curve (NaN) cannot be drawn; the table and results.json report it.
            if (!acc.isEmpty() && acc.stream().allMatch(Double::isFinite)) {
                accuracy.put(r.variant().label(), acc);
            }
            if (!trainLoss.isEmpty() && trainLoss.stream().allMatch(Double::isFinite)) {
                loss.put(r.variant().label(), trainLoss);
            }
        }
        List<XYChart> charts = new ArrayList<>();
        if (!accuracy.isEmpty()) {
            XYChart chart = Charts.trainingCurves(accuracy, options.model() + ": test accuracy", "accuracy (%)");
            Charts.save(chart, out.resolve("accuracy"), Charts.Format.PNG, Charts.Format.SVG);
            charts.add(chart);
        }
        if (!loss.isEmpty()) {
            XYChart chart = Charts.trainingCurves(loss, options.model() + ": training loss", "cross-entropy");
            Charts.save(chart, out.resolve("loss"), Charts.Format.PNG, Charts.Format.SVG);
            charts.add(chart);
        }
        AtomicFiles.writeString(out.resolve("results.json"), json(options, data, results));
        for (Result r : results) {
            AtomicFiles.writeString(out.resolve(memoryFileName(r.variant())), r.memory().report().toText());
        }

        HtmlReport report = new HtmlReport("QuadraLib explore: " + options.model());
        String clipping = options.clip() == null ? "gradients of quadratic models are clipped at a global norm of "
                + Trainer.DEFAULT_QUADRATIC_MAX_GRAD_NORM : options.clip() == 0 ? "gradients are not clipped"
                : "gradients are clipped at a global norm of " + options.clip();
        report.paragraph(String.format(Locale.ROOT, "%s on %s, %d epochs, batch %d, SGD lr %s momentum %s, seed %d. "
                        + "Quadratic twins start linear; their quadratic weights train at %sx the learning rate; %s.",
                options.model(), data.label(), options.epochs(), options.batchSize(), options.lr(), MOMENTUM,
                options.seed(), OptimizerFactory.QUADRATIC_LR_SCALE, clipping));
        report.table(profiledRows(results));
        for (XYChart chart : charts) {
            report.chart(chart.getTitle(), chart);
        }
        report.write(out.resolve("report.html"));
    }

    static String json(ExploreOptions options, Data data, List<Result> results) {
        JsonObject root = new JsonObject();
        root.addProperty("command", "explore");
        root.addProperty("model", options.model());
        root.addProperty("data", data.label());
        root.addProperty("trainImages", data.train().size());
        root.addProperty("testImages", data.test().size());
        root.addProperty("epochs", options.epochs());
        root.addProperty("batchSize", options.batchSize());
        root.addProperty("lr", options.lr());
        if (options.clip() != null) {
            root.addProperty("clip", options.clip());
        }
        root.addProperty("momentum", MOMENTUM);
        root.addProperty("threads", options.threads());
        root.addProperty("seed", options.seed());
        JsonArray list = new JsonArray();
        for (Result r : results) {
            JsonObject o = new JsonObject();
            o.addProperty("type", r.variant().label());
            o.addProperty("parameters", r.parameters());
            o.addProperty("testAccuracy", r.testAccuracy());
            o.addProperty("diverged", r.history().diverged());
            o.addProperty("secondsPerEpoch", r.secondsPerEpoch());
            o.addProperty("stepMillisMedian", r.stepMillisMedian());
            o.addProperty("peakTrackedBytes", r.peakTrackedBytes());
            o.addProperty("maxGradNorm", r.maxGradNorm());
            if (r.memory() != null) {
                JsonObject phases = new JsonObject();
                REPORTED_PHASES.forEach(p -> phases.addProperty(key(p), r.memory().peakBytes(p)));
                o.add("peakTrackedBytesByPhase", phases);
                o.addProperty("memoryReport", memoryFileName(r.variant()));
            }
            JsonArray kept = new JsonArray();
            r.keptFirstOrder().forEach(kept::add);
            o.add("keptFirstOrder", kept);
            JsonArray epochs = new JsonArray();
            for (EpochRecord e : r.history().epochs()) {
                JsonObject epoch = new JsonObject();
                epoch.addProperty("epoch", e.epoch() + 1);
                epoch.addProperty("trainLoss", e.trainLoss());
                epoch.addProperty("trainAccuracy", e.trainAccuracy());
                epoch.addProperty("testLoss", e.validationLoss());
                epoch.addProperty("testAccuracy", e.validationAccuracy());
                epoch.addProperty("seconds", e.seconds());
                epoch.addProperty("stepMillisMedian", e.stepMillisMedian());
                epochs.add(epoch);
            }
            o.add("epochs", epochs);
            list.add(o);
        }
        root.add("results", list);
        return new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(root) + "\n";
    }
}
