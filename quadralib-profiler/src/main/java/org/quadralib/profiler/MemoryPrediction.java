package org.quadralib.profiler;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToLongFunction;

import org.quadralib.core.Tensor;
import org.quadralib.layers.Module;
import org.quadralib.layers.Parameter;

/**
 * What some model of memory expects a network to hold, per module path, for a {@link MemoryReport} to print
 * beside what the {@link MemoryProfiler} measured.
 *
 * <p>Anything can produce one: {@link #parametersOnly} counts parameters analytically; a graph tracer can add
 * the activation bytes each op saves for backward. Sizes are bytes of float32 storage ({@code 4·numel}).
 * A quantity the source does not predict is {@link #UNKNOWN}.
 *
 * @param source a label for where the numbers come from, printed in the report (e.g. {@code "traced graph"})
 * @param modules predictions by module path as {@link Module#path()} gives it ({@code ""} for the root), in
 *     display order; copied
 * @param optimizerStateBytes predicted optimizer state for the whole model, or {@link #UNKNOWN}
 */
public record MemoryPrediction(String source, Map<String, ModulePrediction> modules, long optimizerStateBytes) {

    /** Marks a quantity the prediction does not cover. */
    public static final long UNKNOWN = -1;

    /**
     * The prediction for one module's own tensors (not its children's).
     *
     * @param parameterBytes bytes of the module's own parameters
     * @param gradientBytes bytes of their gradients after a backward pass
     * @param savedActivationBytes bytes the module's ops keep for backward in one forward pass, or {@link #UNKNOWN}
     */
    public record ModulePrediction(long parameterBytes, long gradientBytes, long savedActivationBytes) {
        /**
         * @throws IllegalArgumentException if a value is negative and not {@link #UNKNOWN}
         */
        public ModulePrediction {
            checkBytes("parameterBytes", parameterBytes);
            checkBytes("gradientBytes", gradientBytes);
            checkBytes("savedActivationBytes", savedActivationBytes);
        }
    }

    /**
     * @throws NullPointerException if {@code source} or {@code modules} (or an entry) is null
     * @throws IllegalArgumentException if {@code optimizerStateBytes} is negative and not {@link #UNKNOWN}
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
