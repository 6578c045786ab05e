package org.quadralib.profiler;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToLongFunction;

import org.quadralib.core.Parallel;
import org.quadralib.core.Tensor;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.memory.MemoryTracker;
import org.quadralib.layers.Module;
import org.quadralib.layers.Parameter;

/**
 * What some model of memory expects a network to hold, per module path and per category, for a
 * {@link MemoryReport} to print beside what the {@link MemoryProfiler} measured.
 *
 * <p>{@link #predict} is the prediction of a training step: every category and the step's peak, per module and in
 * total, before anything trains. {@link #parametersOnly} counts parameters analytically and nothing else. Sizes are
 * bytes of float32 storage ({@code 4·numel}). A quantity the source does not predict is {@link #UNKNOWN}.
 *
 * @param source a label for where the numbers come from, printed in the report (e.g. {@code "step replay"})
 * @param modules predictions by module path as {@link Module#path()} gives it ({@code ""} for the root), in
 *     display order; copied
 * @param optimizerStateBytes predicted optimizer state for the whole model, or {@link #UNKNOWN}
 * @param categoryPeakBytes per category, the highest value it reaches during the step (what
 *     {@link MemoryReport.StepMemory#peakBytes()} measures); categories not predicted are absent; copied
 * @param peakBytes the step's predicted peak of all categories together (what
 *     {@link MemoryReport.StepMemory#peakTotalBytes()} measures), or {@link #UNKNOWN}
 * @param savedPeakBytes the step's predicted peak of bytes saved for backward (what
 *     {@link MemoryReport.StepMemory#peakSavedBytes()} measures; part of the activations), or {@link #UNKNOWN}
 */
public record MemoryPrediction(String source, Map<String, ModulePrediction> modules, long optimizerStateBytes,
        Map<MemoryCategory, Long> categoryPeakBytes, long peakBytes, long savedPeakBytes) {

    /** Marks a quantity the prediction does not cover. */
    public static final long UNKNOWN = -1;

    /**
     * The prediction for one module's own tensors (not its children's).
     *
     * @param parameterBytes bytes of the module's own parameters
     * @param gradientBytes bytes of their gradients after a backward pass
     * @param savedActivationBytes bytes the module's ops keep for backward in one forward pass, or {@link #UNKNOWN}
     * @param transientPeakBytes the module's peak of activations and activation gradients together during a step
     *     (what {@link MemoryReport.ModuleMemory#peakTransientBytes()} measures, less the workspace and inputs it counts), or
     *     {@link #UNKNOWN}
     */
    public record ModulePrediction(long parameterBytes, long gradientBytes, long savedActivationBytes, long transientPeakBytes) {
        /**
         * @throws IllegalArgumentException if a value is negative and not {@link #UNKNOWN}
         */
        public ModulePrediction {
            checkBytes("parameterBytes", parameterBytes);
            checkBytes("gradientBytes", gradientBytes);
            checkBytes("savedActivationBytes", savedActivationBytes);
            checkBytes("transientPeakBytes", transientPeakBytes);
        }

        /**
         * A prediction without transient bytes.
         *
         * @throws IllegalArgumentException if a value is negative and not {@link #UNKNOWN}
         */
        public ModulePrediction(long parameterBytes, long gradientBytes, long savedActivationBytes) {
            this(parameterBytes, gradientBytes, savedActivationBytes, UNKNOWN);
        }
    }

    /**
     * @throws NullPointerException if {@code source}, {@code modules} or {@code categoryPeakBytes} (or an entry) is null
     * @throws IllegalArgumentException if a byte count is negative and not {@link #UNKNOWN}
     */
    public MemoryPrediction {
        Objects.requireNonNull(source, "source");
        Map<String, ModulePrediction> copy = new LinkedHashMap<>();
        for (Map.Entry<String, ModulePrediction> e : modules.entrySet()) {
            copy.put(Objects.requireNonNull(e.getKey(), "module path"),
                    Objects.requireNonNull(e.getValue(), () -> "prediction for module '" + e.getKey() + "'"));
        }
        modules = Collections.unmodifiableMap(copy);
        checkBytes("optimizerStateBytes", optimizerStateBytes);
        Map<MemoryCategory, Long> categories = new EnumMap<>(MemoryCategory.class);
        for (Map.Entry<MemoryCategory, Long> e : categoryPeakBytes.entrySet()) {
            long v = Objects.requireNonNull(e.getValue(), () -> "category " + e.getKey());
            checkBytes(String.valueOf(e.getKey()), v);
            categories.put(Objects.requireNonNull(e.getKey(), "category"), v);
        }
        categoryPeakBytes = Collections.unmodifiableMap(categories);
        checkBytes("peakBytes", peakBytes);
        checkBytes("savedPeakBytes", savedPeakBytes);
    }

    /**
     * A prediction of module figures and optimizer state only (no categories, no peak).
     *
     * @throws NullPointerException if {@code source} or {@code modules} (or an entry) is null
     * @throws IllegalArgumentException if {@code optimizerStateBytes} is negative and not {@link #UNKNOWN}
     */
    public MemoryPrediction(String source, Map<String, ModulePrediction> modules, long optimizerStateBytes) {
        this(source, modules, optimizerStateBytes, Map.of(), UNKNOWN, UNKNOWN);
    }

    /**
     * Predicts one training step of {@code model} (forward, cross-entropy loss, backward, optimizer update, as the
     * {@link org.quadralib.layers.train.Trainer} runs it in its memory scope, after the first step) at
     * {@code batchSize} samples of shape {@code sampleShape}.
     *
     * <p>The model: a step holds throughout its parameters, their gradients (allocated by the first step and
     * zeroed, not freed, after each), {@code optimizer.tensorsPerParameter()} parameter-sized state tensors,
     * module buffers, the batch ({@code 4·batchSize·∏sampleShape} bytes of {@link MemoryCategory#INPUT}) and the
     * workspaces (per-thread scratch buffers that grow to the largest request and never shrink). On top come the
     * step's activations, which its memory scope keeps until the step ends, and the activation gradients of
     * backward, which the autograd engine returns to the scope's pool as soon as they are consumed: their sum
     * peaks in backward. Those are replayed: two probe passes (forward and backward at batches 2 and 4, on this
     * thread, inside their own memory scope) record every activation and activation-gradient buffer and every
     * saved storage, in order, with the module that made it; each buffer's size is fitted as {@code a + b·N}
     * (a fixed part such as a weight-sized temporary or the stacked weights a standard-mode quadratic layer
     * saves, plus a part per sample), and the sequence is replayed at {@code batchSize}. The back-propagation
     * mode (first-order, standard or hybrid) is the one the model's layers are built with; the probes run it.
     * Workspaces (per-thread scratch buffers keyed by kernel, grown to the largest request, never shrunk): what
     * the probes' requests grew on this thread, held once per {@link Parallel#threads() thread} (every thread that
     * runs a share of a layer packs its own blocks), or the workspace the JVM already holds if that is more (it
     * keeps the buffers of larger layers run before). They depend on kernel blocking and threads more than on the
     * batch; a batch that changes the kernels' blocking grows them beyond the probes'.
     * Known limit: a hybrid quadratic layer recomputes its branches in chunks of a fixed budget, so its transient
     * buffers stop growing with the batch beyond it; the fit does not know the budget and over-predicts them there.
     *
     * <p>The probes leave the model as they found it: parameters, their gradients (none stays allocated where
     * there was none), buffers and train/eval modes. They cost about two training steps at batch 4.
     *
     * @param model the model, its quadratic layers in the mode to predict
     * @param sampleShape one sample's shape, e.g. {@code [1, 28, 28]} (no batch dimension)
     * @param batchSize the training batch size
     * @param optimizer what the optimizer keeps per parameter
     * @return the prediction, per module (parameters, gradients, saved activations, transient peak) and per category
     * @throws IllegalArgumentException if {@code batchSize} is not positive or {@code sampleShape} is empty or has a
     *     non-positive size
     * @throws NullPointerException if an argument is null
     * @throws org.quadralib.layers.ShapeMismatchException if the model rejects the input (the message names the layer)
     */
    public static MemoryPrediction predict(Module model, int[] sampleShape, int batchSize, OptimizerState optimizer) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(optimizer, "optimizer");
        long sample = sampleElements(sampleShape, batchSize);
        StepReplay probes = StepReplay.probe(model, sampleShape);
        StepReplay.Peaks replay = probes.at(batchSize);
        Map<String, ModulePrediction> modules = new LinkedHashMap<>();
        long params = 0;
        long buffers = 0;
        for (Module m : model.namedModules().values()) {
            long bytes = 0;
            for (Parameter p : m.localParameters().values()) {
                bytes += tensorBytes(p.tensor());
            }
            for (Tensor b : m.localBuffers().values()) {
                buffers += tensorBytes(b);
            }
            params += bytes;
            modules.putIfAbsent(m.path(), new ModulePrediction(bytes, bytes, replay.savedByOwner().getOrDefault(m.path(), 0L),
                    replay.transientByOwner().getOrDefault(m.path(), 0L)));
        }
        for (String owner : replay.transientByOwner().keySet()) {
            modules.putIfAbsent(owner, new ModulePrediction(0, 0, replay.savedByOwner().getOrDefault(owner, 0L),
                    replay.transientByOwner().get(owner)));
        }
        long state = (long) optimizer.tensorsPerParameter() * params;
        long input = 4L * sample * batchSize;
        // Every thread that runs a share of a layer holds its own scratch buffers of the same keys.
        long workspace = Math.max(MemoryTracker.current(MemoryCategory.WORKSPACE), Parallel.threads() * probes.workspaceGrowth());
        Map<MemoryCategory, Long> categories = new EnumMap<>(MemoryCategory.class);
        for (MemoryCategory c : MemoryCategory.values()) {
            categories.put(c, switch (c) {
                case PARAMETER, GRADIENT -> params;
                case OPTIMIZER_STATE -> state;
                case ACTIVATION -> replay.activation();
                case ACTIVATION_GRADIENT -> replay.activationGradient();
                case WORKSPACE -> workspace;
                case INPUT -> input;
                case BUFFER -> buffers;
            });
        }
        long peak = 2 * params + state + buffers + workspace + input + replay.transientTotal();
        return new MemoryPrediction("step replay at batch " + batchSize + (replay.aligned() ? "" : " (peaks fitted)"), modules, state,
                categories, peak, replay.saved());
    }

    /**
     * {@link #predict}'s {@link #peakBytes()} as a function of the model, for callers that may not depend on the
     * profiler (the explorer's memory budget takes a {@code ToLongFunction<Module>}).
     *
     * @throws IllegalArgumentException if {@code batchSize} is not positive or {@code sampleShape} is empty or has a
     *     non-positive size (checked now, not when the function runs)
     * @throws NullPointerException if {@code sampleShape} or {@code optimizer} is null
     */
    public static ToLongFunction<Module> peakFunction(int[] sampleShape, int batchSize, OptimizerState optimizer) {
        Objects.requireNonNull(optimizer, "optimizer");
        sampleElements(sampleShape, batchSize);
        int[] shape = sampleShape.clone();
        return model -> predict(model, shape, batchSize, optimizer).peakBytes();
    }

    private static long sampleElements(int[] sampleShape, int batchSize) {
        Objects.requireNonNull(sampleShape, "sampleShape");
        if (batchSize <= 0) {
            throw new IllegalArgumentException("MemoryPrediction.predict: batch size must be positive, got " + batchSize);
        }
        if (sampleShape.length == 0) {
            throw new IllegalArgumentException("MemoryPrediction.predict: the sample shape is empty; give one sample's shape, e.g. [1, 28, 28]");
        }
        long n = 1;
        for (int d : sampleShape) {
            if (d <= 0) {
                throw new IllegalArgumentException("MemoryPrediction.predict: sample shape " + Arrays.toString(sampleShape)
                        + " has a non-positive size");
            }
            n *= d;
        }
        return n;
    }

    private static void checkBytes(String what, long value) {
        if (value < 0 && value != UNKNOWN) {
            throw new IllegalArgumentException("MemoryPrediction: " + what + " must be >= 0 or UNKNOWN (-1), got " + value);
        }
    }

    /**
     * The minimal analytical prediction: each module's parameters are {@code 4·numel} bytes, every parameter
     * gets a gradient of the same size, the optimizer keeps {@code optimizerStateFactor} tensors of each
     * parameter's size (0 for plain SGD, 1 for SGD with momentum, 2 for Adam), and saved activations are
     * {@link #UNKNOWN}.
     *
     * @param model the model; every module of its tree gets an entry under its path
     * @param optimizerStateFactor state tensors per parameter tensor
     * @throws IllegalArgumentException if {@code optimizerStateFactor} is negative or not finite
     */
    public static MemoryPrediction parametersOnly(Module model, double optimizerStateFactor) {
        if (!(optimizerStateFactor >= 0) || Double.isInfinite(optimizerStateFactor)) {
            throw new IllegalArgumentException("MemoryPrediction.parametersOnly: optimizerStateFactor must be finite and >= 0, got "
                    + optimizerStateFactor);
        }
        Map<String, ModulePrediction> modules = new LinkedHashMap<>();
        long total = 0;
        for (Module m : model.namedModules().values()) {
            long bytes = 0;
            for (Parameter p : m.localParameters().values()) {
                bytes += tensorBytes(p.tensor());
            }
            total += bytes;
            modules.put(m.path(), new ModulePrediction(bytes, bytes, UNKNOWN));
        }
        return new MemoryPrediction("parameters only (optimizer state " + optimizerStateFactor + "x)", modules,
                Math.round(optimizerStateFactor * total));
    }

    static long tensorBytes(Tensor t) {
        return 4L * t.numel();
    }

    /** Sum of every module's predicted parameter bytes. */
    public long totalParameterBytes() {
        return sum(ModulePrediction::parameterBytes);
    }

    /** Sum of every module's predicted gradient bytes. */
    public long totalGradientBytes() {
        return sum(ModulePrediction::gradientBytes);
    }

    /** Sum of the predicted saved-activation bytes, or {@link #UNKNOWN} if no module predicts them. */
    public long totalSavedActivationBytes() {
        return sum(ModulePrediction::savedActivationBytes);
    }

    private long sum(ToLongFunction<ModulePrediction> field) {
        long total = 0;
        boolean any = false;
        for (ModulePrediction p : modules.values()) {
            long v = field.applyAsLong(p);
            if (v != UNKNOWN) {
                total += v;
                any = true;
            }
        }
        return any ? total : UNKNOWN;
    }
}
