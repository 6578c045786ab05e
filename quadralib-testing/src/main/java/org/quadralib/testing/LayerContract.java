package org.quadralib.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

import org.quadralib.autobuild.ConversionPolicy;
import org.quadralib.autobuild.ConversionReport;
import org.quadralib.autobuild.ConversionResult;
import org.quadralib.autobuild.Converter;
import org.quadralib.autobuild.ModuleCopier;
import org.quadralib.core.GradMode;
import org.quadralib.core.InferenceMode;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.testing.Golden;
import org.quadralib.core.testing.GradCheck;
import org.quadralib.layers.Module;
import org.quadralib.layers.NamedSequential;
import org.quadralib.layers.QuadraticConv2d;
import org.quadralib.layers.QuadraticLayer;
import org.quadralib.layers.QuadraticLinear;
import org.quadralib.layers.QuadraticOptions.BackpropMode;
import org.quadralib.layers.StateDicts;

/**
 * The contract every layer and model of the library keeps, as a check a user runs on their own:
 *
 * <pre>{@code
 * LayerContract.of(() -> new Scale(4), 3, 4)   // a factory of the layer and the shape of a valid input
 *         .rejecting(3, 5)                     // the shape of an input it must refuse
 *         .check();
 * }</pre>
 *
 * <p>{@link #check()} runs, on fresh layers from the factory:
 * <ol>
 *   <li>{@link #checkGradients() gradients}: central finite differences ({@link GradCheck}) of the input and of
 *       every parameter, in training mode (in evaluation mode when training mode is not deterministic, as with
 *       dropout);</li>
 *   <li>{@link #checkStateDictRoundTrip() state dict round trip}: parameters and buffers changed away from their
 *       initial values, saved to a safetensors file ({@link StateDicts}), loaded strictly into a second layer from the
 *       factory: the same state dict, bit for bit, and the same output in evaluation mode;</li>
 *   <li>{@link #checkTrainEval() train/eval}: {@code train(true)} and {@code eval()} reach every descendant; in
 *       evaluation mode the output is repeatable, leaves the state dict unchanged, and equals the output inside an
 *       {@link InferenceMode} scope bit for bit;</li>
 *   <li>{@link #checkConverterCopy() copy through the converter}: {@link ModuleCopier#copy} gives a layer of the same
 *       class with an equal state dict that shares no tensor with the original and computes the same output;
 *       {@link Converter#convert} with {@link ConversionPolicy#all()} leaves the original unchanged, and where it
 *       reports every conversion function-preserving, the converted model computes the original's output;</li>
 *   <li>{@link #checkHybridEqualsStandard() hybrid equals standard}: for a layer holding quadratic layers, the same
 *       model with every {@link QuadraticLinear} and {@link QuadraticConv2d} in the other back-propagation mode gives
 *       the same output and the same gradients of the input and of every parameter;</li>
 *   <li>{@link #checkRejectsBadInput() bad input}, when {@link #rejecting} gave a shape: the layer, placed in a
 *       container under the name {@value #PROBE}, throws an {@link IllegalArgumentException} whose message names
 *       its path.</li>
 * </ol>
 * Every check is public on its own too. Inputs are drawn from a fixed seed, away from zero (at least 0.1 in
 * magnitude) so that kinks such as ReLU's at 0 are not straddled by the finite differences. A failure is a plain
 * {@link AssertionError} naming the layer, the check and the values, so any test framework reports it.
 *
 * <p>The factory must build an equivalent layer each time (same class and configuration); the weights it draws may
 * differ. Gradients are checked at the {@link GradCheck} defaults (eps 1e-2, tolerance 2e-2): keep the input small
 * (tens to a few hundred elements), since every element of the input and of every parameter costs two forwards.
 */
public final class LayerContract {

    /** The name under which {@link #checkRejectsBadInput()} places the layer in a container. */
    public static final String PROBE = "probe";

    private static final long INPUT_SEED = 20240501L;
    private static final float CLOSE_ATOL = 1e-5f;
    private static final float CLOSE_RTOL = 1e-4f;

    private final Supplier<? extends Module> factory;
    private final int[] inputShape;
    private final int[] badInputShape;

    private LayerContract(Supplier<? extends Module> factory, int[] inputShape, int[] badInputShape) {
        this.factory = factory;
        this.inputShape = inputShape;
        this.badInputShape = badInputShape;
    }

    /**
     * The contract of the layers {@code factory} builds, on inputs of shape {@code inputShape}.
     *
     * @throws NullPointerException     if the factory is null
     * @throws IllegalArgumentException if the shape is empty or has a non-positive size
     */
    public static LayerContract of(Supplier<? extends Module> factory, int... inputShape) {
        Objects.requireNonNull(factory, "LayerContract: factory");
        return new LayerContract(factory, checkedShape(inputShape), null);
    }

    /**
     * This contract, also requiring that an input of shape {@code shape} is refused
     * ({@link #checkRejectsBadInput()}).
     *
     * @throws IllegalArgumentException if the shape is empty or has a non-positive size
     */
    public LayerContract rejecting(int... shape) {
        return new LayerContract(factory, inputShape, checkedShape(shape));
    }

    /**
     * Runs every check of the class comment, in its order.
     *
     * @throws AssertionError naming the layer and the check that failed
     */
    public void check() {
        checkGradients();
        checkStateDictRoundTrip();
        checkTrainEval();
        checkConverterCopy();
        checkHybridEqualsStandard();
        if (badInputShape != null) {
            checkRejectsBadInput();
        }
    }

    /**
     * Finite differences of the input and of every parameter against back-propagation.
     *
     * @throws AssertionError naming the layer, the input or parameter, the element and both values
     */
    public void checkGradients() {
        Module layer = fresh();
        String name = name(layer) + " gradients";
        if (!deterministicInTraining(layer)) {
            layer.eval();
            name += " (evaluation mode: training mode is not deterministic)";
        }
        List<Tensor> inputs = new ArrayList<>();
        inputs.add(input().requiresGrad(true));
        inputs.addAll(layer.parameters());
        GradCheck.check(name, in -> layer.forward(in[0]), inputs.toArray(new Tensor[0]));
    }

    /**
     * Save, load into a fresh layer, compare.
     *
     * @throws AssertionError if the file does not load strictly, or the state or the output differs
     */
    public void checkStateDictRoundTrip() {
        Module original = fresh();
        perturb(original);
        Module loaded = fresh();
        String name = name(original) + " state dict round trip";
        Path file = null;
        try {
            file = Files.createTempFile("layer-contract", ".safetensors");
            StateDicts.save(original, file);
            StateDicts.LoadResult result = StateDicts.load(loaded, file, true);
            if (!result.missing().isEmpty() || !result.unexpected().isEmpty()) {
                throw new AssertionError(name + ": missing " + result.missing() + ", unexpected " + result.unexpected());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(name + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new AssertionError(name + ": the saved file does not load into a fresh layer: " + e.getMessage(), e);
        } finally {
            deleteQuietly(file);
        }
        assertSameState(name, original.stateDict(), loaded.stateDict());
        assertSameOutput(name, original, loaded);
    }

    /**
     * Modes reach every descendant; evaluation is repeatable, stateless and the same inside an inference scope.
     *
     * @throws AssertionError naming the module whose mode is wrong or the output that differs
     */
    @SuppressWarnings("try") // the scope is used for what it does on open and close
    public void checkTrainEval() {
        Module layer = fresh();
        String name = name(layer) + " train/eval";
        layer.eval();
        assertModes(name + ": after eval()", layer, false);
        layer.train(true);
        assertModes(name + ": after train(true)", layer, true);
        perturb(layer);
        layer.eval();
        Map<String, Tensor> before = snapshot(layer.stateDict());
        Tensor x = input();
        Tensor first = evaluate(layer, x);
        Tensor second = evaluate(layer, x);
        Golden.assertClose(name + ": two forwards in evaluation mode", first, second, 0f, 0f);
        assertSameState(name + ": evaluation changed the state dict", before, layer.stateDict());
        Tensor inInference;
        try (InferenceMode inference = InferenceMode.enter()) {
            inInference = layer.forward(x).copy();
        }
        Golden.assertClose(name + ": evaluation inside an InferenceMode scope", first, inInference, 0f, 0f);
    }

    /**
     * A structural copy and a conversion.
     *
     * @throws AssertionError if the copy differs or shares a tensor, or the conversion changes the original or, where
     *                        reported function-preserving, the output
     */
    public void checkConverterCopy() {
        Module original = fresh();
        perturb(original);
        String name = name(original) + " copy through the converter";
        Module copy;
        try {
            copy = ModuleCopier.copy(original);
        } catch (UnsupportedOperationException | IllegalStateException e) {
            throw new AssertionError(name + ": " + e.getMessage(), e);
        }
        if (copy.getClass() != original.getClass()) {
            throw new AssertionError(name + ": the copy is a " + copy.getClass().getName() + ", not a "
                    + original.getClass().getName());
        }
        assertSameState(name, original.stateDict(), copy.stateDict());
        Set<Tensor> originalTensors = Collections.newSetFromMap(new IdentityHashMap<>());
        originalTensors.addAll(original.stateDict().values());
        for (Map.Entry<String, Tensor> e : copy.stateDict().entrySet()) {
            if (originalTensors.contains(e.getValue())) {
                throw new AssertionError(name + ": the copy shares tensor '" + e.getKey() + "' with the original");
            }
        }
        assertSameOutput(name, original, copy);

        Map<String, Tensor> before = snapshot(original.stateDict());
        ConversionResult converted = Converter.convert(original, ConversionPolicy.all());
        assertSameState(name + ": Converter.convert changed the original", before, original.stateDict());
        List<ConversionReport.Entry> changed = converted.report().entries(ConversionReport.Action.CONVERTED);
        if (!changed.isEmpty() && changed.stream().allMatch(ConversionReport.Entry::preservesFunction)) {
            Tensor x = input();
            Golden.assertClose(name + ": the function-preserving conversion's output", evaluate(original, x),
                    evaluate(converted.model(), x), CLOSE_ATOL, CLOSE_RTOL);
        }
    }

    /**
     * Hybrid and standard back-propagation agree on a model with quadratic layers; nothing to check without any.
     *
     * @throws AssertionError naming the output or the gradient that differs
     */
    public void checkHybridEqualsStandard() {
        Module layer = fresh();
        if (layer.namedModules().values().stream().noneMatch(m -> m instanceof QuadraticLayer)) {
            return;
        }
        perturb(layer);
        Module twin = otherMode(layer);
        String name = name(layer) + " hybrid equals standard";
        Rng rng = new Rng(INPUT_SEED + 1);
        Tensor x = input();
        Tensor xa = x.copy().requiresGrad(true);
        Tensor xb = x.copy().requiresGrad(true);
        Tensor ya = layer.forward(xa);
        Tensor yb = twin.forward(xb);
        Golden.assertClose(name + ": output", ya, yb, CLOSE_ATOL, CLOSE_RTOL);
        Tensor seed = Tensor.randn(rng, ya.shape());
        ya.backward(seed);
        yb.backward(seed);
        Golden.assertClose(name + ": gradient of the input", xa.grad(), xb.grad(), CLOSE_ATOL, CLOSE_RTOL);
        Map<String, Tensor> pb = new java.util.HashMap<>();
        twin.namedParameters().forEach((k, p) -> pb.put(k, p.tensor()));
        layer.namedParameters().forEach((k, p) -> {
            Tensor ga = p.tensor().grad();
            Tensor gb = pb.get(k).grad();
            if (ga == null || gb == null) {
                throw new AssertionError(name + ": no gradient of '" + k + "' in " + (ga == null ? "one mode" : "the other"));
            }
            Golden.assertClose(name + ": gradient of '" + k + "'", ga, gb, CLOSE_ATOL, CLOSE_RTOL);
        });
    }

    /**
     * The bad input is refused with the layer's path in the message.
     *
     * @throws IllegalStateException if no bad input shape was given ({@link #rejecting})
     * @throws AssertionError        if the input is accepted, or refused otherwise than by an
     *                               {@link IllegalArgumentException} naming the path {@value #PROBE}
     */
    public void checkRejectsBadInput() {
        if (badInputShape == null) {
            throw new IllegalStateException("LayerContract: no bad input shape given (call rejecting(shape) first)");
        }
        Module layer = fresh();
        NamedSequential container = new NamedSequential().add(PROBE, layer);
        String name = name(layer) + " bad input " + Arrays.toString(badInputShape);
        Tensor bad = Tensor.randn(new Rng(INPUT_SEED), badInputShape);
        try {
            Tensor out = container.forward(bad);
            throw new AssertionError(name + ": accepted, returning " + Arrays.toString(out.shape()));
        } catch (IllegalArgumentException e) {
            String message = String.valueOf(e.getMessage());
            if (!message.contains(PROBE)) {
                throw new AssertionError(name + ": the message does not name the layer's path '" + PROBE + "': "
                        + message, e);
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private Module fresh() {
        Module m = Objects.requireNonNull(factory.get(), "LayerContract: the factory returned null");
        m.train(true);
        return m;
    }

    /** A fixed input, every element at least 0.1 away from zero. */
    private Tensor input() {
        float[] v = Tensor.randn(new Rng(INPUT_SEED), inputShape).toFloatArray();
        for (int i = 0; i < v.length; i++) {
            v[i] += Math.copySign(0.1f, v[i]);
        }
        return Tensor.of(v, inputShape);
    }

    /**
     * Moves every parameter and buffer away from its initial value (a training-mode forward, then noise on every
     * tensor), so a round trip that dropped a tensor shows.
     */
    @SuppressWarnings("try") // the scope is used for what it does on open and close
    private void perturb(Module m) {
        Rng rng = new Rng(INPUT_SEED + 2);
        try (GradMode.Scope s = GradMode.noGrad()) {
            boolean deterministic = deterministicInTraining(m);
            if (deterministic) {
                m.forward(input());
            }
            for (Tensor t : m.stateDict().values()) {
                float[] v = t.toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    // Positive-only buffers (variances) stay positive: scale, then shift only what may be signed.
                    v[i] = v[i] * (1f + 0.1f * (float) rng.nextGaussian()) + (v[i] > 0 ? 0f : 0.05f * (float) rng.nextGaussian());
                }
                t.copyFrom(Tensor.of(v, t.shape()));
            }
        }
    }

    @SuppressWarnings("try") // the scope is used for what it does on open and close
    private boolean deterministicInTraining(Module m) {
        Map<String, Tensor> state = snapshot(m.stateDict());
        try (GradMode.Scope s = GradMode.noGrad()) {
            Tensor x = input();
            float[] a = m.forward(x).toFloatArray();
            float[] b = m.forward(x).toFloatArray();
            return Arrays.equals(a, b);
        } finally {
            m.loadStateDict(state, true);
        }
    }

    @SuppressWarnings("try") // the scope is used for what it does on open and close
    private static Tensor evaluate(Module m, Tensor x) {
        boolean wasTraining = m.isTraining();
        m.eval();
        try (GradMode.Scope s = GradMode.noGrad()) {
            return m.forward(x).copy();
        } finally {
            m.train(wasTraining);
        }
    }

    private void assertSameOutput(String name, Module expected, Module actual) {
        Tensor x = input();
        Golden.assertClose(name + ": output in evaluation mode", evaluate(expected, x), evaluate(actual, x), 0f, 0f);
    }

    private static void assertSameState(String name, Map<String, Tensor> expected, Map<String, Tensor> actual) {
        if (!expected.keySet().equals(actual.keySet())) {
            throw new AssertionError(name + ": state dict names " + actual.keySet() + ", expected " + expected.keySet());
        }
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            Golden.assertClose(name + ": '" + e.getKey() + "'", e.getValue(), actual.get(e.getKey()), 0f, 0f);
        }
    }

    private static void assertModes(String name, Module root, boolean training) {
        for (Map.Entry<String, Module> e : root.namedModules().entrySet()) {
            if (e.getValue().isTraining() != training) {
                throw new AssertionError(name + ": " + e.getValue().describe() + " (at '" + e.getKey() + "') is in "
                        + (training ? "evaluation" : "training") + " mode");
            }
        }
    }

    private static Map<String, Tensor> snapshot(Map<String, Tensor> state) {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        state.forEach((k, t) -> out.put(k, t.copy()));
        return out;
    }

    /** A copy of {@code m} with every quadratic layer in the other back-propagation mode. */
    private static Module otherMode(Module m) {
        Module copy = ModuleCopier.copy(m);
        if (copy instanceof QuadraticLayer q) {
            return switched(q);
        }
        for (Map.Entry<String, Module> e : new ArrayList<>(copy.namedModules().entrySet())) {
            if (e.getValue() instanceof QuadraticLayer q && !e.getKey().isEmpty()) {
                int dot = e.getKey().lastIndexOf('.');
                Module parent = copy.namedModules().get(dot < 0 ? "" : e.getKey().substring(0, dot));
                parent.replaceChild(e.getKey().substring(dot + 1), switched(q));
            }
        }
        return copy;
    }

    private static QuadraticLayer switched(QuadraticLayer q) {
        BackpropMode other = switch (q.options().mode()) {
            case HYBRID -> BackpropMode.STANDARD;
            case STANDARD -> BackpropMode.HYBRID;
        };
        QuadraticLayer t;
        if (q.getClass() == QuadraticLinear.class) {
            QuadraticLinear l = (QuadraticLinear) q;
            t = new QuadraticLinear(l.inFeatures(), l.outFeatures(), l.neuronType(), l.options().withMode(other));
        } else if (q.getClass() == QuadraticConv2d.class) {
            t = new QuadraticConv2d(((QuadraticConv2d) q).config(), q.neuronType(), q.options().withMode(other));
        } else {
            throw new AssertionError("LayerContract: cannot build " + q.describe() + " (" + q.getClass().getName()
                    + ") in the other back-propagation mode: only QuadraticLinear and QuadraticConv2d are known");
        }
        t.quadraticTermMasked(q.quadraticTermMasked());
        t.loadStateDict(q.stateDict(), true);
        t.train(q.isTraining());
        return t;
    }

    private static String name(Module m) {
        return "LayerContract " + m.getClass().getSimpleName();
    }

    private static int[] checkedShape(int[] shape) {
        if (shape == null || shape.length == 0 || Arrays.stream(shape).anyMatch(d -> d <= 0)) {
            throw new IllegalArgumentException("LayerContract: a shape needs at least one dimension, every size positive, got "
                    + Arrays.toString(shape));
        }
        return shape.clone();
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a temporary file: the operating system's cleanup removes it
            }
        }
    }
}
