package org.quadralib.layers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;

import org.quadralib.core.InferenceMode;
import org.quadralib.core.Tensor;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.memory.MemoryTracker;

/**
 * A layer or a container of layers, as PyTorch's {@code nn.Module}: named parameters, buffers and children,
 * train/eval mode, state dicts with dotted names ({@code features.0.weight}), and forward hooks.
 *
 * <p>Subclasses implement the one method {@link #compute(Tensor)}; callers use {@link #forward(Tensor)}, which runs
 * the pre-hooks, attributes memory to this module's path, calls {@code compute} and runs the post-hooks.
 */
public abstract class Module {

    /** Called before {@code compute}; may return a replacement input, or null to keep it. */
    @FunctionalInterface
    public interface PreHook {
        /**
         * @param module the module about to compute
         * @param input  its input
         * @return a replacement input, or null to keep {@code input}
         */
        Tensor apply(Module module, Tensor input);
    }

    /** Called after {@code compute}; may return a replacement output, or null to keep it. */
    @FunctionalInterface
    public interface PostHook {
        /**
         * @param module the module that computed
         * @param input  its input
         * @param output its output
         * @return a replacement output, or null to keep {@code output}
         */
        Tensor apply(Module module, Tensor input, Tensor output);
    }

    /** Removes a hook when closed. */
    @FunctionalInterface
    public interface HookHandle extends AutoCloseable {
        @Override
        void close();
    }

    private final Map<String, Parameter> params = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final List<PreHook> preHooks = new CopyOnWriteArrayList<>();
    private final List<PostHook> postHooks = new CopyOnWriteArrayList<>();
    private boolean training = true;
    private String path = "";

    /** The computation; implementations check their input shape with {@link #expectShape}. */
    protected abstract Tensor compute(Tensor input);

    /** Runs the module on {@code input} with its hooks. */
    public final Tensor forward(Tensor input) {
        Tensor x = input;
        for (PreHook h : preHooks) {
            Tensor r = h.apply(this, x);
            if (r != null) {
                x = r;
            }
        }
        Tensor y;
        try (MemoryTracker.AutoCloseableOwner o = MemoryTracker.withOwner(path)) {
            y = compute(x);
        }
        for (PostHook h : postHooks) {
            Tensor r = h.apply(this, x, y);
            if (r != null) {
                y = r;
            }
        }
        return y;
    }

    // ------------------------------------------------------------------ registration

    /**
     * Registers a trainable tensor under {@code name}; it is made to require a gradient and returned.
     *
     * @throws IllegalArgumentException if the name is taken or contains a dot
     */
    protected Tensor registerParameter(String name, Tensor value, boolean quadratic) {
        checkName(name);
        value.requiresGrad(true);
        params.put(name, new Parameter(value, quadratic));
        return value;
    }

    /** Registers a first-order (non-quadratic) parameter. */
    protected Tensor registerParameter(String name, Tensor value) {
        return registerParameter(name, value, false);
    }

    /** Registers a non-trainable state tensor (running statistics); part of the state dict. */
    protected Tensor registerBuffer(String name, Tensor value) {
        checkName(name);
        buffers.put(name, value);
        return value;
    }

    /**
     * Registers a child module under {@code name}; its path becomes {@code <this path>.<name>}.
     *
     * @throws IllegalArgumentException if the name is taken or contains a dot
     */
    protected <M extends Module> M registerModule(String name, M child) {
        checkName(name);
        children.put(name, child);
        child.setPath(path.isEmpty() ? name : path + "." + name);
        return child;
    }

    /** Replaces the child registered under {@code name} (used by the converter); returns the old one. */
    public Module replaceChild(String name, Module replacement) {
        if (!children.containsKey(name)) {
            throw new IllegalArgumentException(describe() + ": no child named '" + name + "'");
        }
        Module old = children.put(name, replacement);
        replacement.setPath(path.isEmpty() ? name : path + "." + name);
        replacement.train(training);
        onChildReplaced(name, old, replacement);
        return old;
    }

    /** Lets containers that keep their own references to children follow a replacement. */
    protected void onChildReplaced(String name, Module old, Module replacement) {
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException(describe() + ": invalid name '" + name + "' (non-empty, no dots)");
        }
        if (params.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException(describe() + ": name '" + name + "' is already registered");
        }
    }

    final void setPath(String p) {
        this.path = p;
        for (Map.Entry<String, Module> e : children.entrySet()) {
            e.getValue().setPath(p.isEmpty() ? e.getKey() : p + "." + e.getKey());
        }
    }

    /** The dotted path of this module in the model ({@code ""} for the root). */
    public String path() {
        return path;
    }

    /** Makes this module a root: its path becomes {@code ""} and its children's paths follow. */
    public void makeRoot() {
        setPath("");
    }

    // ------------------------------------------------------------------ traversal

    /** Direct children, in registration order. */
    public Map<String, Module> children() {
        return java.util.Collections.unmodifiableMap(children);
    }

    /** This module and every descendant, depth-first pre-order, by dotted name ({@code ""} for this one). */
    public Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out);
        return out;
    }

    private void collectModules(String prefix, Map<String, Module> out) {
        out.put(prefix, this);
        for (Map.Entry<String, Module> e : children.entrySet()) {
            e.getValue().collectModules(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), out);
        }
    }

    /** Parameters of this module and its descendants by dotted name, in registration order. */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (Map.Entry<String, Module> m : namedModules().entrySet()) {
            for (Map.Entry<String, Parameter> p : m.getValue().params.entrySet()) {
                out.put(m.getKey().isEmpty() ? p.getKey() : m.getKey() + "." + p.getKey(), p.getValue());
            }
        }
        return out;
    }

    /** Every parameter tensor, in the order of {@link #namedParameters()}. */
    public List<Tensor> parameters() {
        List<Tensor> out = new ArrayList<>();
        for (Parameter p : namedParameters().values()) {
            out.add(p.tensor());
        }
        return out;
    }

    /** This module's own parameters (not its children's), by local name. */
    public Map<String, Parameter> localParameters() {
        return java.util.Collections.unmodifiableMap(params);
    }

    /** This module's own buffers, by local name. */
    public Map<String, Tensor> localBuffers() {
        return java.util.Collections.unmodifiableMap(buffers);
    }

    /** Total number of parameter elements. */
    public long parameterCount() {
        long n = 0;
        for (Tensor t : parameters()) {
            n += t.numel();
        }
        return n;
    }

    // ------------------------------------------------------------------ mode

    /** Sets training mode on this module and every descendant; returns this. */
    public Module train(boolean on) {
        training = on;
        for (Module c : children.values()) {
            c.train(on);
        }
        return this;
    }

    /** Evaluation mode: {@code train(false)}. */
    public Module eval() {
        return train(false);
    }

    /** True in training mode. */
    public boolean isTraining() {
        return training;
    }

    /** Sets every parameter's gradient to zero (keeping the buffers). */
    public void zeroGrad() {
        for (Tensor p : parameters()) {
            if (p.grad() != null) {
                org.quadralib.core.ops.InPlace.fill(p.grad(), 0f);
            }
        }
    }

    // ------------------------------------------------------------------ state dict

    /** Parameters and buffers by dotted name (PyTorch's names and layouts); the tensors are the live ones. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Module> m : namedModules().entrySet()) {
            String pre = m.getKey().isEmpty() ? "" : m.getKey() + ".";
            for (Map.Entry<String, Parameter> p : m.getValue().params.entrySet()) {
                out.put(pre + p.getKey(), p.getValue().tensor());
            }
            for (Map.Entry<String, Tensor> b : m.getValue().buffers.entrySet()) {
                out.put(pre + b.getKey(), b.getValue());
            }
        }
        return out;
    }

    /**
     * Copies values from {@code state} into this module's parameters and buffers.
     *
     * @param strict if true, names in the model missing from {@code state} and names in {@code state} unknown to
     *     the model are errors; shape mismatches are always errors
     * @return the names in the model that {@code state} lacked (empty when strict)
     * @throws IllegalArgumentException listing every missing, unexpected and mis-shaped name; nothing is copied
     * @throws IllegalStateException inside an {@link InferenceMode} scope, whose cached weight layouts the new values
     *     would leave stale; nothing is copied
     */
    public List<String> loadStateDict(Map<String, Tensor> state, boolean strict) {
        InferenceMode.checkWeightsMayChange("loadStateDict");
        Map<String, Tensor> own = stateDict();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> misShaped = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(src.shape(), e.getValue().shape())) {
                misShaped.add(e.getKey() + " (file " + Arrays.toString(src.shape()) + ", model " + Arrays.toString(e.getValue().shape()) + ")");
            }
        }
        for (String k : state.keySet()) {
            if (!own.containsKey(k)) {
                unexpected.add(k);
            }
        }
        if (!misShaped.isEmpty() || strict && (!missing.isEmpty() || !unexpected.isEmpty())) {
            StringBuilder sb = new StringBuilder(describe()).append(".loadStateDict:");
            if (!missing.isEmpty()) {
                sb.append(" missing ").append(missing).append(';');
            }
            if (!unexpected.isEmpty()) {
                sb.append(" unexpected ").append(unexpected).append(';');
            }
            if (!misShaped.isEmpty()) {
                sb.append(" wrong shape ").append(misShaped).append(';');
            }
            throw new IllegalArgumentException(sb.substring(0, sb.length() - 1));
        }
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src != null) {
                e.getValue().copyFrom(src);
            }
        }
        return missing;
    }

    // ------------------------------------------------------------------ hooks

    /** Adds a hook run before every forward. */
    public HookHandle addPreHook(PreHook hook) {
        preHooks.add(hook);
        return () -> preHooks.remove(hook);
    }

    /** Adds a hook run after every forward. */
    public HookHandle addPostHook(PostHook hook) {
        postHooks.add(hook);
        return () -> postHooks.remove(hook);
    }

    /** Adds a post-hook to this module and every descendant; closing the handle removes them all. */
    public HookHandle addPostHookEverywhere(BiFunction<String, Module, PostHook> hookFor) {
        List<HookHandle> handles = new ArrayList<>();
        for (Map.Entry<String, Module> e : namedModules().entrySet()) {
            handles.add(e.getValue().addPostHook(hookFor.apply(e.getKey(), e.getValue())));
        }
        return () -> handles.forEach(HookHandle::close);
    }

    // ------------------------------------------------------------------ description and checks

    /** A one-line description of the configuration, e.g. {@code in=784, out=10, bias=true}. */
    protected String extraRepr() {
        return "";
    }

    /** {@code Conv2d 'features.3'} (or just the type for a root). */
    public String describe() {
        return getClass().getSimpleName() + (path.isEmpty() ? "" : " '" + path + "'");
    }

    /**
     * Throws {@link ShapeMismatchException} naming this module, its path, the expected shape (described as
     * {@code expected}, e.g. {@code "[N, 64, H, W]"}) and the actual one, unless {@code ok}.
     */
    protected void expectShape(boolean ok, String expected, Tensor input) {
        if (!ok) {
            throw new ShapeMismatchException(describe() + ": expected input " + expected + ", got " + Arrays.toString(input.shape()));
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        appendTree(sb, "", 0);
        return sb.toString();
    }

    private void appendTree(StringBuilder sb, String name, int depth) {
        sb.append(getClass().getSimpleName()).append('(').append(extraRepr());
        if (!children.isEmpty()) {
            sb.append('\n');
            for (Map.Entry<String, Module> e : children.entrySet()) {
                sb.append("  ".repeat(depth + 1)).append('(').append(e.getKey()).append("): ");
                e.getValue().appendTree(sb, e.getKey(), depth + 1);
                sb.append('\n');
            }
            sb.append("  ".repeat(depth));
        }
        sb.append(')');
    }

    /** A new zero tensor for a parameter, counted as parameter memory. */
    protected static Tensor parameterTensor(int... shape) {
        return Tensor.zeros(MemoryCategory.PARAMETER, shape);
    }

    /** A new zero tensor for a buffer, counted as buffer memory. */
    protected static Tensor bufferTensor(int... shape) {
        return Tensor.zeros(MemoryCategory.BUFFER, shape);
    }

    /**
     * A new module of exactly this class and configuration, for deep copies (autobuild's {@code ModuleCopier}): a
     * container builds itself from {@code copyChild} applied to each of its children; parameter and buffer values are
     * copied afterwards, so they need not be. The default, null, leaves it to the class's no-argument constructor; a
     * class whose configuration lives in constructor arguments overrides this, and a subclass that does not override
     * it again is built by its own no-argument constructor.
     *
     * @param copyChild copies one of this module's children
     * @return the fresh module, or null to use the no-argument constructor
     */
    public Module freshCopy(UnaryOperator<Module> copyChild) {
        return null;
    }

    /**
     * Multiply-accumulates of one call on an input of shape {@code inputShape} that produced {@code outputShape}, by
     * the convention of one MAC per use of a weight (autobuild's {@code Macs} and model summaries read it). The
     * default, 0, is for layers without weight products: normalisation (it folds into the preceding weights at
     * inference), activations, pooling, element-wise ops, and containers, whose children count their own.
     *
     * @return multiply-accumulates, at least 0
     */
    public long macs(int[] inputShape, int[] outputShape) {
        return 0;
    }
}
