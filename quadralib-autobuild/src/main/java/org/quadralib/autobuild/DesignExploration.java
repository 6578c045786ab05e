package org.quadralib.autobuild;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.ToLongFunction;

import org.quadralib.core.Tensor;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.memory.MemoryTracker;
import org.quadralib.layers.Init;
import org.quadralib.layers.Module;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.train.EpochRecord;
import org.quadralib.layers.train.History;
import org.quadralib.layers.train.StepTimes;
import org.quadralib.layers.train.Trainer;
import org.quadralib.layers.train.TrainingListener;
import org.quadralib.layers.zoo.Zoo;

/**
 * The steps of the QuadraLib paper's design exploration, each one call: build the candidates (the first-order
 * baseline, its quadratic twin of each neuron type, width-scaled variants of both: {@link #candidate}), train and
 * measure each with one recipe ({@link #train}), score the layers of an all-quadratic candidate on held-out
 * validation data and keep the most useful quadratic layers within a {@link Budget} ({@link #mix}), fine-tune the
 * mixed model with {@link #train} again, and mark the Pareto-optimal candidates ({@link #paretoOptimal}).
 *
 * <p>The validation data for {@link #mix} must not be the test data the candidates are compared on: carve it from
 * the training set with {@link Subset#split} and train every candidate on the rest.
 */
public final class DesignExploration {

    private DesignExploration() {
    }

    /**
     * The data and model every candidate of one exploration shares.
     *
     * @param zoo the {@link Zoo} model
     * @param inChannels input channels
     * @param imageSize input height and width
     * @param classes classes
     * @param conversion which layers a quadratic candidate converts (its neuron type is replaced per candidate)
     */
    public record Space(String zoo, int inChannels, int imageSize, int classes, ConversionPolicy conversion) {

        /**
         * @throws IllegalArgumentException if the zoo name is unknown
         */
        public Space {
            if (!Zoo.NAMES.contains(zoo)) {
                throw new IllegalArgumentException("DesignExploration: unknown zoo model '" + zoo + "'; valid: "
                        + String.join(", ", Zoo.NAMES));
            }
            Objects.requireNonNull(conversion, "conversion");
        }
    }

    /**
     * A model to train.
     *
     * @param name a label such as {@code first-order}, {@code PROPOSED x0.5} or {@code mixed PROPOSED x0.75}
     * @param spec how to rebuild it
     * @param model the model (fresh, or carrying trained weights for a mixed candidate)
     * @param keptFirstOrder layers the conversion was asked to make quadratic but could not (e.g. a T1 quadratic form
     *     over the size limit), by path
     */
    public record Candidate(String name, ModelSpec spec, Module model, List<String> keptFirstOrder) {

        /** Copies the list. */
        public Candidate {
            keptFirstOrder = List.copyOf(keptFirstOrder);
        }
    }

    /**
     * A trained candidate's figures.
     *
     * @param candidate the candidate (its model now trained)
     * @param history every epoch's loss and accuracy on the evaluation data
     * @param parameters parameter elements
     * @param macsPerSample multiply-accumulates of one forward pass per sample ({@link Summary})
     * @param predictedPeakBytes the memory predictor's figure for one training step, or -1 without a predictor
     * @param measuredPeakBytes the peak of the library's tracked memory while training, counted from before the
     *     model existed (parameters, buffers, gradients, optimizer state, activations, batches) and with every
     *     workspace the process holds; workspaces only grow, so a model trained after a larger one is charged the
     *     larger one's (train the candidates from the cheapest up, as {@link #trainingOrder} orders them)
     * @param stepMillisMedian the median wall-clock time of one training step over the run
     * @param secondsPerEpoch mean training time per epoch (evaluation excluded)
     * @param baselineBytes the tracked bytes before the model existed, from which {@code measuredPeakBytes} is counted
     *     (to count a profiler's peaks the same way)
     */
    public record Result(Candidate candidate, History history, long parameters, long macsPerSample, long predictedPeakBytes,
                         long measuredPeakBytes, double stepMillisMedian, double secondsPerEpoch, long baselineBytes) {

        /** The candidate's name. */
        public String name() {
            return candidate.name();
        }

        /** The evaluation accuracy after the last epoch; NaN if training diverged or ran no epoch. */
        public double accuracy() {
            return history.diverged() || history.epochs().isEmpty() ? Double.NaN : history.last().validationAccuracy();
        }
    }

    /**
     * A mixed model chosen under a budget.
     *
     * @param candidate the mixed model, with the trained weights of the all-quadratic model it came from, ready to be
     *     fine-tuned by {@link #train}
     * @param from the all-quadratic candidate it was derived from
     * @param exploration the layer scores, decisions and costs
     */
    public record Mix(Candidate candidate, Result from, Explorer.Exploration exploration) {
    }

    /**
     * {@code first-order}, {@code PROPOSED}, {@code T1&2 x0.5}: the type's display name, and the width when it is not 1.
     *
     * @param type the neuron type, or null for first-order
     */
    public static String label(NeuronType type, float width) {
        String base = type == null ? "first-order" : type.displayName();
        return width == 1f ? base : base + " x" + formatWidth(width);
    }

    /** {@code 0.5}, {@code 0.75}, {@code 2}: the shortest form. */
    public static String formatWidth(float width) {
        return width == Math.rint(width) ? String.format(Locale.ROOT, "%.0f", width) : Float.toString(width);
    }

    /**
     * A fresh candidate: the zoo model at {@code width}, converted to {@code type} by the space's conversion policy
     * (unless first-order), its weights drawn after {@code Init.manualSeed(seed)}, so every candidate of the same
     * width starts from the same first-order weights.
     *
     * @param type the neuron type, or null for the first-order model
     * @throws IllegalArgumentException if the width is not positive and finite
     */
    public static Candidate candidate(Space space, NeuronType type, float width, long seed) {
        Init.manualSeed(seed);
        Module model = Zoo.build(space.zoo(), space.inChannels(), space.imageSize(), space.classes(), width,
                org.quadralib.layers.zoo.LayerFactory.FIRST_ORDER);
        List<String> kept = List.of();
        if (type != null) {
            ConversionResult converted = Converter.convert(model, space.conversion().withNeuronType(type));
            model = converted.model();
            kept = converted.report().entries(ConversionReport.Action.UNSUPPORTED).stream().map(ConversionReport.Entry::path).toList();
        }
        ModelSpec spec = ModelSpec.of(space.zoo(), width, space.inChannels(), space.imageSize(), space.classes(), model);
        return new Candidate(label(type, width), spec, model, kept);
    }

    /**
     * Trains {@code candidate.model()} for {@code epochs} epochs of {@code train} with {@code config}, evaluating on
     * {@code evaluation} after every epoch, and measures it.
     *
     * @param memoryPredictor predicts the peak memory of one training step of a model, or null
     * @param listeners more training listeners (progress, profiling)
     * @throws IllegalArgumentException if the training data yields no batch
     */
    public static Result train(Candidate candidate, DataLoader train, DataLoader evaluation, Trainer.Config config, int epochs,
                               ToLongFunction<Module> memoryPredictor, TrainingListener... listeners) {
        Module model = candidate.model();
        Tensor example = LayerImportance.firstBatch(train);
        long macs = Summary.of(model, example).totalMacs() / example.shape()[0];
        long predicted = memoryPredictor == null ? -1 : memoryPredictor.applyAsLong(model);
        MemoryTracker.settle();
        // Counted from before the model existed: its parameters and buffers are part of what training holds, and so
        // are the per-thread workspaces, which persist from earlier work and only grow.
        long baseline = heldBefore(model);
        MemoryTracker.resetPeaks();
        StepTimes steps = new StepTimes();
        List<TrainingListener> all = new ArrayList<>(List.of(listeners));
        all.add(0, steps);
        History history = new Trainer(config, all.toArray(TrainingListener[]::new)).fit(model, train, evaluation, epochs);
        long peak = MemoryTracker.peakTotal() - baseline;
        double seconds = history.epochs().stream().mapToDouble(EpochRecord::seconds).average().orElse(Double.NaN);
        return new Result(candidate, history, model.parameterCount(), macs, predicted, peak, steps.medianMillis(), seconds, baseline);
    }

    /**
     * The candidates in the order to train them so that each is charged its own workspaces: fewest MACs per sample
     * first (ties: fewer parameters), from a trace on {@code example}. The list is not modified.
     */
    public static List<Candidate> trainingOrder(List<Candidate> candidates, Tensor example) {
        List<Candidate> order = new ArrayList<>(candidates);
        java.util.Map<Candidate, Long> macs = new java.util.IdentityHashMap<>();
        for (Candidate c : order) {
            macs.put(c, Summary.of(c.model(), example).totalMacs());
        }
        order.sort(java.util.Comparator.<Candidate>comparingLong(macs::get).thenComparingLong(c -> c.model().parameterCount()));
        return order;
    }

    /**
     * The tracked bytes held now less {@code model}'s parameters and buffers and the per-thread workspaces: what
     * was held before the model existed, the baseline from which a candidate's training memory is counted (the
     * workspaces persist from earlier work and only grow, so they are charged to the step that uses them).
     */
    public static long heldBefore(Module model) {
        return MemoryTracker.currentTotal() - stateBytes(model) - MemoryTracker.current(MemoryCategory.WORKSPACE);
    }

    private static long stateBytes(Module model) {
        long n = 0;
        for (Tensor t : model.stateDict().values()) {
            n += 4L * t.numel();
        }
        return n;
    }

    /**
     * Scores every quadratic layer of a trained candidate on {@code validation} ({@link LayerImportance}) and keeps
     * quadratic the layers that fit {@code budget} ({@link Explorer}), the rest made first-order, weights kept.
     *
     * @param cost the cost of a model in the budget's unit (e.g. a memory prediction), or null for the
     *     {@link Summary}'s count of the budget's measure
     * @throws IllegalArgumentException if the candidate has no quadratic layer, or even its all-first-order version
     *     exceeds the budget
     */
    public static Mix mix(Result allQuadratic, DataLoader validation, Budget budget, ToLongFunction<Module> cost) {
        Trainer evaluator = new Trainer(Trainer.Config.sgd(0f, 0f));
        Module model = allQuadratic.candidate().model();
        Explorer.Exploration e = Explorer.explore(model, LayerImportance.firstBatch(validation),
                m -> evaluator.evaluate(m, validation).accuracy(), budget, cost);
        ModelSpec from = allQuadratic.candidate().spec();
        ModelSpec spec = ModelSpec.of(from.zoo(), from.width(), from.inChannels(), from.imageSize(), from.classes(), e.model());
        Candidate mixed = new Candidate("mixed " + allQuadratic.name(), spec, e.model(), List.of());
        return new Mix(mixed, allQuadratic, e);
    }

    /**
     * Which results are Pareto-optimal in accuracy against parameters, MACs, measured peak memory and step time
     * ({@link ParetoFront}).
     */
    public static boolean[] paretoOptimal(List<Result> results) {
        return ParetoFront.optimal(results, Result::accuracy, List.<java.util.function.ToDoubleFunction<Result>>of(
                r -> r.parameters(), r -> r.macsPerSample(), r -> r.measuredPeakBytes(), Result::stepMillisMedian));
    }
}
