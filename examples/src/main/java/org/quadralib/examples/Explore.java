package org.quadralib.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.quadralib.autobuild.Budget;
import org.quadralib.autobuild.DesignExploration;
import org.quadralib.autobuild.DesignExploration.Candidate;
import org.quadralib.autobuild.DesignExploration.Mix;
import org.quadralib.autobuild.DesignExploration.Result;
import org.quadralib.autobuild.Explorer;
import org.quadralib.autobuild.LayerImportance;
import org.quadralib.autobuild.Subset;
import org.quadralib.autobuild.Summary;
import org.quadralib.core.Parallel;
import org.quadralib.core.Tensor;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.Dataset;
import org.quadralib.core.io.AtomicFiles;
import org.quadralib.layers.Module;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.train.EpochRecord;
import org.quadralib.layers.train.OptimizerFactory;
import org.quadralib.layers.train.Trainer;
import org.quadralib.layers.train.TrainingContext;
import org.quadralib.layers.train.TrainingListener;
import org.quadralib.profiler.MemoryPrediction;
import org.quadralib.profiler.MemoryReport;
import org.quadralib.profiler.OptimizerState;
import org.quadralib.profiler.Phase;
import org.quadralib.profiler.ProfilingListener;
import org.quadralib.viz.Charts;
import org.quadralib.viz.HtmlReport;

/**
 * {@code explore}: the design exploration of the QuadraLib paper, every step a {@link DesignExploration} call. Trains
 * the first-order baseline (at the first of {@code --widths}), the quadratic twin of each requested neuron type and
 * the width-scaled variants, all with one recipe on the training images less a validation split; scores the layers
 * of the widest all-quadratic model of the first quadratic type that can meet the budget on that validation split,
 * keeps the most useful quadratic layers within {@code --budget} and fine-tunes that mixed model; then prints one
 * table (test accuracy, parameters, MACs, predicted and measured peak training memory, step time, Pareto-optimal
 * ones marked) and the best model within the budget. With {@code --out} every model is saved
 * ({@code models/NAME.safetensors} + {@code NAME.json}, read by {@code evaluate} and {@code importance}) beside
 * {@code results.json}, {@code report.html}, the charts and each model's memory profile.
 */
final class Explore implements Command {

    private static final float MOMENTUM = 0.9f;
    /** Folder of the saved models inside {@code --out}. */
    static final String MODELS = "models";

    /** One finished run. */
    record Run(ExploreOptions options, DataOptions.Data data, int validationImages, List<Result> results, Mix mix, Budget budget,
               Map<String, MemoryReport> memory, Map<String, Snapshots> snapshots) {
    }

    @Override
    public String name() {
        return "explore";
    }

    @Override
    public String summary() {
        return "design exploration: baseline, quadratic and width-scaled candidates, budgeted mixed model, one table";
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
        DataOptions.Data data = DataOptions.load(options.data());
        Subset.Split split;
        try {
            split = Subset.split(data.train(), options.validationFraction(), options.seed());
        } catch (IllegalArgumentException e) {
            throw new UsageException("--validation " + options.validationFraction() + ": " + e.getMessage());
        }
        Parallel.setThreads(options.threads());
        Progress progress = new Progress(options.quiet() ? null : err);

        int[] shape = data.train().sampleShape();
        DesignExploration.Space space = new DesignExploration.Space(options.model(), shape[0], shape[1], data.train().numClasses(),
                options.convert().policy(NeuronType.PROPOSED));
        List<Candidate> plan = plan(options, space);
        ToLongFunction<Module> predictor = memoryPredictor(shape, options.batchSize());
        Budget budget = budget(options, space, plan, predictor, shape);
        NeuronType mixType = mixType(options);
        progress.say("explore: " + options + "; data: " + data.label() + ", " + split.validation().size()
                + " training images held out for layer importance");

        DataLoader train = loader(split.train(), data, options, true);
        DataLoader validation = loader(split.validation(), data, options, false);
        DataLoader test = loader(data.test(), data, options, false);
        Trainer.Config config = Trainer.Config.sgd(options.lr(), MOMENTUM).withMaxGradNorm(options.clip());
        progress.plan(plan, options.epochs(), train.dataset().size(), budget != null && mixType != null ? options.fineTuneEpochs() : 0);

        // Trained from the cheapest up, so that each is charged its own workspaces; listed in the plan's order.
        Map<Candidate, Result> trained = new java.util.IdentityHashMap<>();
        Map<String, MemoryReport> memory = new LinkedHashMap<>();
        Map<String, Snapshots> snapshots = new LinkedHashMap<>();
        for (Candidate c : DesignExploration.trainingOrder(plan, example(shape))) {
            trained.put(c, train(c, train, test, config, options.epochs(), predictor, progress, memory, snapshots, options.out() != null));
        }
        List<Result> results = new ArrayList<>();
        plan.forEach(c -> results.add(trained.get(c)));
        Mix mix = null;
        if (budget != null && mixType != null) {
            mix = mix(results, mixType, validation, budget, predictor, progress);
            results.add(train(mix.candidate(), train, test, config, options.fineTuneEpochs(), predictor, progress, memory,
                    snapshots, options.out() != null));
        }
        Run run = new Run(options, data, split.validation().size(), results, mix, budget, memory, snapshots);
        out.print(table(run));
        if (mix != null) {
            out.println();
            out.print(mix.exploration());
        }
        out.flush();
        if (options.out() != null) {
            write(run);
            progress.say("explore: wrote results.json, report.html, charts, memory profiles and " + results.size()
                    + " models (" + MODELS + "/) to " + options.out());
        }
        return Main.EXIT_OK;
    }

    // ------------------------------------------------------------------ plan

    /** The baseline (first-order at the first width), then every requested type at every width. */
    static List<Candidate> plan(ExploreOptions options, DesignExploration.Space space) {
        List<Candidate> plan = new ArrayList<>();
        plan.add(DesignExploration.candidate(space, null, options.widths().get(0), options.seed()));
        for (float w : options.widths()) {
            for (ExploreOptions.Variant v : options.variants()) {
                if (v.type() == null && w == options.widths().get(0)) {
                    continue;
                }
                plan.add(DesignExploration.candidate(space, v.type(), w, options.seed()));
            }
        }
        return plan;
    }

    /** The first quadratic type of {@code --types}: the one the mixed model is made of; null if there is none. */
    private static NeuronType mixType(ExploreOptions options) {
        return options.variants().stream().map(ExploreOptions.Variant::type).filter(t -> t != null).findFirst().orElse(null);
    }

    /**
     * Resolves {@code --budget} against the baseline, and checks before any training that some mixed model can meet
     * it: the first-order model of the smallest width must.
     *
     * @return null when there is no budget
     */
    private static Budget budget(ExploreOptions options, DesignExploration.Space space, List<Candidate> plan,
                                 ToLongFunction<Module> predictor, int[] shape) throws UsageException {
        if (options.budget() == null) {
            return null;
        }
        ToLongFunction<Module> cost = costFunction(options.budget().measure(), predictor, shape);
        Budget budget = options.budget().resolve(cost.applyAsLong(plan.get(0).model()), options.batchSize());
        float smallest = options.widths().stream().min(Float::compare).orElseThrow();
        long floor = cost.applyAsLong(DesignExploration.candidate(space, null, smallest, options.seed()).model());
        if (floor > budget.limit()) {
            throw new UsageException(String.format(Locale.ROOT, "--budget %s: a limit of %s cannot be met: the cheapest "
                    + "candidate, first-order at width %s, costs %,d", options.budget(), budget,
                    DesignExploration.formatWidth(smallest), floor));
        }
        return budget;
    }

    /** A model's cost in {@code measure}: parameters, MACs per sample, or the predicted training-step peak. */
    static ToLongFunction<Module> costFunction(Budget.Measure measure, ToLongFunction<Module> predictor, int[] shape) {
        return switch (measure) {
            case PARAMETERS -> Module::parameterCount;
            case MACS -> m -> Summary.of(m, example(shape)).totalMacs() / 2;
            case TRAINING_MEMORY -> predictor;
        };
    }

    /** A batch of two zero images of {@code shape}, on which the graph is traced. */
    private static Tensor example(int[] shape) {
        return Tensor.zeros(2, shape[0], shape[1], shape[2]);
    }

    /**
     * The predicted peak memory of one training step at {@code batch} with SGD and momentum: the profiler's
     * {@link MemoryPrediction} (every category, workspaces and transient buffers included), counted like the measured
     * peak from before the model existed.
     */
    static ToLongFunction<Module> memoryPredictor(int[] shape, int batch) {
        return MemoryPrediction.peakFunction(shape, batch, OptimizerState.SGD_MOMENTUM);
    }

    private static DataLoader loader(Dataset data, DataOptions.Data source, ExploreOptions options, boolean training) {
        // No prefetching: a batch built on the prefetch thread lives outside the step's memory scope, so it is not
        // recycled and would count as tracked memory until the collector runs, while building a batch costs well under a
        // millisecond. Evaluation batches are of the training size, so the measured peak is the training step's.
        DataLoader.Options o = source.loaderOptions(options.batchSize());
        return new DataLoader(data, training ? o.withShuffle(true).withSeed(options.seed()) : o);
    }

    // ------------------------------------------------------------------ steps

    private static Result train(Candidate c, DataLoader train, DataLoader test, Trainer.Config config, int epochs,
                                ToLongFunction<Module> predictor, Progress progress, Map<String, MemoryReport> memory,
                                Map<String, Snapshots> snapshots, boolean profile) {
        progress.start(c, epochs);
        // Profiled only when the figures are written: the profiler's bookkeeping adds to every allocation.
        try (ProfilingListener profiling = profile ? ProfilingListener.attach(c.model()) : null) {
            Result r = profiling == null ? DesignExploration.train(c, train, test, config, epochs, predictor, progress)
                    : DesignExploration.train(c, train, test, config, epochs, predictor, progress, profiling,
                            snapshots.computeIfAbsent(c.name(), n -> new Snapshots()));
            if (profiling != null) {
                memory.put(c.name(), profiling.report());
            }
            progress.done(r);
            return r;
        }
    }

    /** The widest all-quadratic candidate of {@code type} whose mixed model keeps a quadratic layer within the budget. */
    private static Mix mix(List<Result> results, NeuronType type, DataLoader validation, Budget budget,
                           ToLongFunction<Module> predictor, Progress progress) throws UsageException {
        List<Result> sources = new ArrayList<>();
        for (Result r : results) {
            if (!r.candidate().spec().firstOrder() && r.candidate().spec().quadratic().values().stream().allMatch(t -> t == type)) {
                sources.add(r);
            }
        }
        sources.sort((a, b) -> Float.compare(b.candidate().spec().width(), a.candidate().spec().width()));
        ToLongFunction<Module> cost = budget.measure() == Budget.Measure.TRAINING_MEMORY ? predictor : null;
        Mix fallback = null;
        String why = "no " + type.displayName() + " candidate";
        for (Result source : sources) {
            progress.say("explore: layer importance of " + source.name() + " on " + validation.dataset().size()
                    + " validation images, selection under " + budget);
            try {
                Mix m = DesignExploration.mix(source, validation, budget, cost);
                if (!m.exploration().quadraticLayers().isEmpty()) {
                    return m;
                }
                fallback = fallback == null ? m : fallback;
            } catch (IllegalArgumentException e) {
                why = e.getMessage();
            }
        }
        if (fallback == null) {
            throw new UsageException("--budget " + budget + ": no mixed model can be built: " + why);
        }
        return fallback;
    }

    // ------------------------------------------------------------------ progress

    /** Progress on standard error: each candidate, each epoch, and the time left for the whole run. */
    static final class Progress implements TrainingListener {
        private final PrintStream err;
        private final long startNanos = System.nanoTime();
        private final Map<String, Double> plannedWork = new LinkedHashMap<>();
        private double workDone;
        private double secondsTraining;
        private Candidate current;
        private int index;
        private int total;
        private double workPerEpoch;
        private int samples;

        /** @param err where to print, or null for silence */
        Progress(PrintStream err) {
            this.err = err;
        }

        void say(String line) {
            if (err != null) {
                err.println(line);
            }
        }

        /** The work of the run, in MACs times samples, for the estimate of the time left. */
        void plan(List<Candidate> plan, int epochs, int trainSamples, int fineTuneEpochs) {
            samples = trainSamples;
            for (Candidate c : plan) {
                plannedWork.put(c.name(), work(c) * epochs);
            }
            total = plan.size() + (fineTuneEpochs > 0 ? 1 : 0);
            if (fineTuneEpochs > 0) {
                plannedWork.put("(mixed)", work(plan.get(0)) * fineTuneEpochs * 2);
            }
        }

        private double work(Candidate c) {
            return (double) Summary.of(c.model(), example(c)).totalMacs() / 2 * samples;
        }

        private static Tensor example(Candidate c) {
            return Explore.example(new int[] {c.spec().inChannels(), c.spec().imageSize(), c.spec().imageSize()});
        }

        void start(Candidate c, int epochs) {
            current = c;
            index++;
            workPerEpoch = work(c);
            plannedWork.remove(plannedWork.containsKey(c.name()) ? c.name() : "(mixed)");
            plannedWork.put(c.name() + " (training)", workPerEpoch * epochs);
            say(String.format(Locale.ROOT, "explore: [%d/%d] %s, %,d parameters, %d epoch%s", index, total, c.name(),
                    c.model().parameterCount(), epochs, epochs == 1 ? "" : "s"));
        }

        @Override
        public void onEpochEnd(TrainingContext context, EpochRecord record) {
            workDone += workPerEpoch;
            secondsTraining += record.seconds();
            plannedWork.computeIfPresent(current.name() + " (training)", (k, v) -> v - workPerEpoch);
            double left = plannedWork.values().stream().mapToDouble(Double::doubleValue).sum();
            double eta = workDone == 0 ? Double.NaN : left * secondsTraining / workDone;
            say(String.format(Locale.ROOT, "explore: [%d/%d] %s epoch %d/%d: loss %.4f, test accuracy %.2f%%, %.1f s; "
                    + "elapsed %s, ETA %s", index, total, current.name(), record.epoch() + 1, context.epochs(), record.trainLoss(),
                    100 * record.validationAccuracy(), record.seconds(), duration((System.nanoTime() - startNanos) / 1e9),
                    duration(eta)));
        }

        void done(Result r) {
            plannedWork.remove(r.name() + " (training)");
        }

        static String duration(double seconds) {
            if (!Double.isFinite(seconds)) {
                return "?";
            }
            long s = Math.round(seconds);
            return s < 60 ? s + " s" : String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
        }
    }

    // ------------------------------------------------------------------ output

    private static final String[] HEADER = {"model", "parameters", "MACs/sample", "test accuracy", "peak memory predicted",
        "peak memory measured", "step time (median)", "train time/epoch", "Pareto"};

    static List<List<String>> rows(Run run) {
        boolean[] pareto = DesignExploration.paretoOptimal(run.results());
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of(HEADER));
        for (int i = 0; i < run.results().size(); i++) {
            Result r = run.results().get(i);
            String accuracy = r.history().diverged() ? "diverged (NaN)" : String.format(Locale.ROOT, "%.2f%%", 100 * r.accuracy());
            rows.add(List.of(r.name(), String.format(Locale.ROOT, "%,d", r.parameters()), String.format(Locale.ROOT, "%,d", r.macsPerSample()),
                    accuracy, r.predictedPeakBytes() < 0 ? "-" : mib(r.predictedPeakBytes()), mib(r.measuredPeakBytes()),
                    String.format(Locale.ROOT, "%.1f ms", r.stepMillisMedian()), String.format(Locale.ROOT, "%.1f s", r.secondsPerEpoch()),
                    pareto[i] ? "*" : ""));
        }
        return rows;
    }

    /** The training phases whose measured peaks the JSON and the HTML table report. */
    private static final List<Phase> REPORTED_PHASES = List.of(Phase.FORWARD, Phase.BACKWARD, Phase.UPDATE);

    /** {@code forward}, {@code backward}, ...: the phase's name in the JSON and the HTML table. */
    private static String key(Phase phase) {
        return phase.name().toLowerCase(Locale.ROOT);
    }

    /** The rows of {@link #rows} followed by the measured peak of each {@link #REPORTED_PHASES} phase, where profiled. */
    static List<List<String>> profiledRows(Run run) {
        List<List<String>> rows = new ArrayList<>();
        for (List<String> row : rows(run)) {
            rows.add(new ArrayList<>(row));
        }
        for (Phase p : REPORTED_PHASES) {
            rows.get(0).add("peak in " + key(p));
            for (int i = 0; i < run.results().size(); i++) {
                Result r = run.results().get(i);
                MemoryReport m = run.memory().get(r.name());
                rows.get(i + 1).add(m == null ? "-" : mib(m.phases().get(p).peakTotalBytes() - r.baselineBytes()));
            }
        }
        return rows;
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    /** The cost of a result in the budget's measure (the memory budget counts the prediction). */
    private static long cost(Result r, Budget budget) {
        return switch (budget.measure()) {
            case PARAMETERS -> r.parameters();
            case MACS -> r.macsPerSample();
            case TRAINING_MEMORY -> r.predictedPeakBytes();
        };
    }

    /** The most accurate result within the budget (every result without one); null if none qualifies. */
    static Result best(Run run) {
        Result best = null;
        for (Result r : run.results()) {
            boolean fits = run.budget() == null || cost(r, run.budget()) <= run.budget().limit();
            if (fits && !Double.isNaN(r.accuracy()) && (best == null || r.accuracy() > best.accuracy())) {
                best = r;
            }
        }
        return best;
    }

    static String bestLine(Run run) {
        Result best = best(run);
        String within = run.budget() == null ? "" : " within " + run.budget() + " (" + run.options().budget() + ")";
        if (best == null) {
            return "No model trained" + within + " without diverging.";
        }
        return String.format(Locale.ROOT, "Best model%s: %s, %.2f%% test accuracy, %,d parameters, %,d MACs per sample.", within,
                best.name(), 100 * best.accuracy(), best.parameters(), best.macsPerSample());
    }

    static String heading(Run run) {
        ExploreOptions o = run.options();
        return String.format(Locale.ROOT, "%s on %s, %d held out for validation: %d epoch%s (mixed: +%d fine-tuning), batch %d, "
                        + "SGD lr %s momentum %s, %d threads, seed %d", o.model(), run.data().label(), run.validationImages(), o.epochs(),
                o.epochs() == 1 ? "" : "s", o.fineTuneEpochs(), o.batchSize(), o.lr(), MOMENTUM, o.threads(), o.seed());
    }

    static String table(Run run) {
        List<List<String>> rows = rows(run);
        int[] widths = new int[HEADER.length];
        for (List<String> row : rows) {
            for (int c = 0; c < widths.length; c++) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        StringBuilder sb = new StringBuilder(heading(run)).append("\n\n");
        for (int r = 0; r < rows.size(); r++) {
            List<String> row = rows.get(r);
            for (int c = 0; c < widths.length; c++) {
                String cell = row.get(c);
                // Names left-aligned, figures right-aligned, as a reader compares them digit by digit.
                sb.append(c == 0 || c == widths.length - 1 ? String.format("%-" + widths[c] + "s", cell)
                        : String.format("%" + widths[c] + "s", cell));
                sb.append(c + 1 < widths.length ? "   " : "\n");
            }
            if (r == 0) {
                int total = Arrays.stream(widths).sum() + 3 * (widths.length - 1);
                sb.append("-".repeat(total)).append('\n');
            }
        }
        sb.append("* Pareto-optimal: no other model is as accurate with no more parameters, MACs, measured memory and step time.\n");
        for (Result r : run.results()) {
            if (!r.candidate().keptFirstOrder().isEmpty()) {
                sb.append(String.format(Locale.ROOT, "%s: %s kept first-order (quadratic form over %,d weights)%n", r.name(),
                        String.join(", ", r.candidate().keptFirstOrder()), org.quadralib.layers.QuadraticLayer.MAX_QUADRATIC_FORM_WEIGHTS));
            }
        }
        sb.append(bestLine(run)).append('\n');
        return sb.toString();
    }

    /** {@code PROPOSED-x0.5}: a name with every run of characters unsafe in a file name replaced by {@code -}. */
    static String fileName(String name) {
        return name.replaceAll("[^A-Za-z0-9._-]+", "-");
    }

    private static void write(Run run) throws IOException {
        Path out = run.options().out();
        Path models = Files.createDirectories(out.resolve(MODELS));
        for (Result r : run.results()) {
            r.candidate().spec().save(r.candidate().model(), models, fileName(r.name()));
        }
        for (Map.Entry<String, MemoryReport> e : run.memory().entrySet()) {
            AtomicFiles.writeString(out.resolve("memory-" + fileName(e.getKey()) + ".txt"), e.getValue().toText());
        }
        List<XYChart> charts = new ArrayList<>();
        Map<String, XYChart> pareto = paretoCharts(run);
        for (Map.Entry<String, XYChart> e : pareto.entrySet()) {
            Charts.save(e.getValue(), out.resolve(e.getKey()), Charts.Format.PNG, Charts.Format.SVG);
        }
        for (boolean accuracyCurve : new boolean[] {true, false}) {
            Map<String, List<Double>> series = new LinkedHashMap<>();
            for (Result r : run.results()) {
                List<Double> values = new ArrayList<>();
                for (EpochRecord e : r.history().epochs()) {
                    values.add(accuracyCurve ? 100 * e.validationAccuracy() : e.trainLoss());
                }
                // A diverged curve (NaN) cannot be drawn; the table and results.json report it.
                if (!values.isEmpty() && values.stream().allMatch(Double::isFinite)) {
                    series.put(r.name(), values);
                }
            }
            if (!series.isEmpty()) {
                XYChart chart = accuracyCurve ? Charts.trainingCurves(series, run.options().model() + ": test accuracy", "accuracy (%)")
                        : Charts.trainingCurves(series, run.options().model() + ": training loss", "cross-entropy");
                Charts.save(chart, out.resolve(accuracyCurve ? "accuracy" : "loss"), Charts.Format.PNG, Charts.Format.SVG);
                charts.add(chart);
            }
        }
        AtomicFiles.writeString(out.resolve("results.json"), json(run));

        HtmlReport report = new HtmlReport("QuadraLib explore: " + run.options().model());
        ExploreOptions o = run.options();
        String clipping = o.clip() == null ? "gradients of quadratic models are clipped at a global norm of "
                + Trainer.DEFAULT_QUADRATIC_MAX_GRAD_NORM : o.clip() == 0 ? "gradients are not clipped"
                : "gradients are clipped at a global norm of " + o.clip();
        report.paragraph(heading(run) + ". Quadratic twins start linear; their quadratic weights train at "
                + OptimizerFactory.QUADRATIC_LR_SCALE + "x the learning rate; " + clipping + ".");
        report.table(profiledRows(run));
        report.paragraph(bestLine(run));
        pareto.values().forEach(chart -> report.chart("Pareto front: " + chart.getTitle() + " (* Pareto-optimal)", chart));
        if (run.mix() != null) {
            report.heading("Layer importance and selection");
            report.table(importanceRows(run.mix().exploration()));
            report.paragraph(String.format(Locale.ROOT, "Scored on %d validation images held out from training; %s.",
                    run.validationImages(), run.mix().exploration().quadraticLayers().isEmpty() ? "no layer stays quadratic"
                            : "quadratic: " + String.join(", ", run.mix().exploration().quadraticLayers())));
        }
        for (XYChart chart : charts) {
            report.chart(chart.getTitle(), chart);
        }
        ReportSections.add(report, run);
        report.write(out.resolve("report.html"));
    }

    /** The RI table: one row per quadratic layer of the mixed model's source. */
    static List<List<String>> importanceRows(Explorer.Exploration e) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("layer", "type", "P_M", "P_W", "masked accuracy", "δ_A", "RI", "extra cost", "decision"));
        for (Explorer.LayerDecision d : e.layers()) {
            LayerImportance.Score s = d.score();
            rows.add(List.of(s.path(), s.type(), String.format(Locale.ROOT, "%.2f%%", 100 * s.paramShare()),
                    String.format(Locale.ROOT, "%.2f%%", 100 * s.macShare()), String.format(Locale.ROOT, "%.4f", s.maskedAccuracy()),
                    String.format(Locale.ROOT, "%+.4f", s.accuracyDrop()),
                    Double.isInfinite(s.importance()) ? "+inf" : String.format(Locale.ROOT, "%.3e", s.importance()),
                    String.format(Locale.ROOT, "%,d", d.extraCost()), d.decision().name()));
        }
        return rows;
    }

    /** A cost axis of the Pareto charts: its file name, title and value. */
    private record Axis(String file, String title, boolean logarithmic, java.util.function.ToDoubleFunction<Result> value) {
    }

    private static final List<Axis> PARETO_AXES = List.of(
            new Axis("pareto-parameters", "parameters", true, Result::parameters),
            new Axis("pareto-macs", "MACs per sample", true, Result::macsPerSample),
            new Axis("pareto-memory", "measured peak training memory (MiB)", false, r -> r.measuredPeakBytes() / (1024.0 * 1024.0)),
            new Axis("pareto-step-time", "median step time (ms)", false, Result::stepMillisMedian));

    /** Test accuracy against each cost, the Pareto-optimal candidates (in all four costs at once) as diamonds and starred. */
    static Map<String, XYChart> paretoCharts(Run run) {
        boolean[] pareto = DesignExploration.paretoOptimal(run.results());
        Map<String, XYChart> charts = new LinkedHashMap<>();
        for (Axis axis : PARETO_AXES) {
            XYChart chart = new XYChartBuilder().width(Charts.WIDTH).height(Charts.HEIGHT)
                    .title(run.options().model() + ": test accuracy against " + axis.title()).xAxisTitle(axis.title())
                    .yAxisTitle("test accuracy (%)").build();
            chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            chart.getStyler().setXAxisLogarithmic(axis.logarithmic());
            for (int i = 0; i < run.results().size(); i++) {
                Result r = run.results().get(i);
                double x = axis.value().applyAsDouble(r);
                if (Double.isFinite(r.accuracy()) && Double.isFinite(x) && x > 0) {
                    XYSeries s = chart.addSeries(r.name() + (pareto[i] ? " *" : ""), new double[] {x}, new double[] {100 * r.accuracy()});
                    s.setMarker(pareto[i] ? SeriesMarkers.DIAMOND : SeriesMarkers.CIRCLE);
                }
            }
            if (chart.getSeriesMap().isEmpty()) {
                chart.addSeries("no model trained without diverging", new double[] {1}, new double[] {0});
            }
            charts.put(axis.file(), chart);
        }
        return charts;
    }

    static String json(Run run) {
        ExploreOptions o = run.options();
        JsonObject root = new JsonObject();
        root.addProperty("command", "explore");
        root.addProperty("model", o.model());
        root.addProperty("data", run.data().label());
        root.addProperty("trainImages", run.data().train().size() - run.validationImages());
        root.addProperty("validationImages", run.validationImages());
        root.addProperty("testImages", run.data().test().size());
        root.addProperty("epochs", o.epochs());
        root.addProperty("fineTuneEpochs", o.fineTuneEpochs());
        root.addProperty("batchSize", o.batchSize());
        root.addProperty("lr", o.lr());
        if (o.clip() != null) {
            root.addProperty("clip", o.clip());
        }
        root.addProperty("momentum", MOMENTUM);
        root.addProperty("threads", o.threads());
        root.addProperty("seed", o.seed());
        if (run.budget() != null) {
            JsonObject b = new JsonObject();
            b.addProperty("spec", o.budget().toString());
            b.addProperty("measure", run.budget().measure().name());
            b.addProperty("limit", run.budget().limit());
            root.add("budget", b);
        }
        Result best = best(run);
        root.addProperty("best", best == null ? null : best.name());
        boolean[] pareto = DesignExploration.paretoOptimal(run.results());
        JsonArray list = new JsonArray();
        for (int i = 0; i < run.results().size(); i++) {
            Result r = run.results().get(i);
            JsonObject j = new JsonObject();
            j.addProperty("name", r.name());
            j.addProperty("modelFile", MODELS + "/" + fileName(r.name()) + ".json");
            j.addProperty("width", r.candidate().spec().width());
            JsonObject layers = new JsonObject();
            r.candidate().spec().quadratic().forEach((p, t) -> layers.addProperty(p, t.name()));
            j.add("quadraticLayers", layers);
            j.addProperty("parameters", r.parameters());
            j.addProperty("macsPerSample", r.macsPerSample());
            j.addProperty("testAccuracy", r.accuracy());
            j.addProperty("diverged", r.history().diverged());
            j.addProperty("predictedPeakBytes", r.predictedPeakBytes());
            j.addProperty("measuredPeakBytes", r.measuredPeakBytes());
            j.addProperty("stepMillisMedian", r.stepMillisMedian());
            j.addProperty("secondsPerEpoch", r.secondsPerEpoch());
            j.addProperty("paretoOptimal", pareto[i]);
            if (run.budget() != null) {
                j.addProperty("withinBudget", cost(r, run.budget()) <= run.budget().limit());
            }
            JsonArray kept = new JsonArray();
            r.candidate().keptFirstOrder().forEach(kept::add);
            j.add("keptFirstOrder", kept);
            MemoryReport m = run.memory().get(r.name());
            if (m != null) {
                JsonObject phases = new JsonObject();
                REPORTED_PHASES.forEach(p -> phases.addProperty(key(p), m.phases().get(p).peakTotalBytes() - r.baselineBytes()));
                j.add("measuredPeakBytesByPhase", phases);
                j.addProperty("memoryReport", "memory-" + fileName(r.name()) + ".txt");
            }
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
            j.add("epochs", epochs);
            list.add(j);
        }
        root.add("results", list);
        if (run.mix() != null) {
            Explorer.Exploration e = run.mix().exploration();
            JsonObject m = new JsonObject();
            m.addProperty("from", run.mix().from().name());
            m.addProperty("validationAccuracyAllQuadratic", e.scores().baselineAccuracy());
            m.addProperty("validationAccuracyMixed", e.accuracy());
            m.addProperty("cost", e.cost());
            JsonArray layers = new JsonArray();
            for (Explorer.LayerDecision d : e.layers()) {
                JsonObject l = new JsonObject();
                l.addProperty("path", d.score().path());
                l.addProperty("paramShare", d.score().paramShare());
                l.addProperty("macShare", d.score().macShare());
                l.addProperty("maskedAccuracy", d.score().maskedAccuracy());
                l.addProperty("accuracyDrop", d.score().accuracyDrop());
                l.addProperty("importance", d.score().importance());
                l.addProperty("extraCost", d.extraCost());
                l.addProperty("decision", d.decision().name());
                layers.add(l);
            }
            m.add("layers", layers);
            root.add("mixed", m);
        }
        return new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(root) + "\n";
    }
}
