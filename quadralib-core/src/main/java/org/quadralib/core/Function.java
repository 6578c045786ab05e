package org.quadralib.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.quadralib.core.memory.MemoryScope;
import org.quadralib.core.memory.Storage;

/**
 * A differentiable op written by hand: subclasses give the forward computation and its backward. This is the one
 * way to give an op its own backward, in the library (every op of {@code org.quadralib.core.ops}, the views of
 * {@link Tensor}, the hybrid quadratic layers) and outside it.
 *
 * <p>Write one only where speed or memory demands it: an op composed of existing ops (as {@code mse} is of
 * {@code sub}, {@code mul} and {@code mean}) needs no backward of its own. To write one:
 * <ol>
 *   <li>{@link #forward} computes the output from the inputs. It runs with recording switched off, so it may use
 *       any op or raw kernel. What backward needs goes through {@link Context#save} (and so through the
 *       saved-tensor registry, which the profiler counts); small non-tensor values (shapes, flags, statistics)
 *       through {@link Context#put} or fields of the function. {@link Context#needsInputGrad} and
 *       {@link Context#recordsGraph} say what backward will be asked for, so forward can skip the rest.</li>
 *   <li>{@link #backward} maps the output's gradient to one gradient per input (null where
 *       {@link Context#needsInputGrad} is false). A gradient may have the broadcast shape: the engine sums it
 *       back to its input's shape.</li>
 *   <li>{@link #apply} runs forward and, if gradients are recorded and an input requires one, records one graph
 *       node whose backward calls {@link #backward}. An instance that keeps values in fields is applied once.</li>
 * </ol>
 *
 * <p>A function that recomputes in backward instead of saving (hybrid back-propagation) simply saves less.
 * Inside a memory scope, every buffer forward allocates that is neither its output nor saved goes back to the
 * pool when {@link #apply} returns, so tensors backward needs must be saved, never stashed with
 * {@link Context#put} or in a field.
 *
 * <pre>{@code
 * final class Square extends Function {
 *     protected Tensor forward(Context ctx, Tensor... in) { ctx.save(in[0]); return in[0].mul(in[0]); }
 *     protected Tensor[] backward(Context ctx, Tensor g) { return new Tensor[] {g.mul(ctx.saved(0)).mul(2f)}; }
 * }
 * Tensor y = new Square().apply(x);
 * }</pre>
 */
public abstract class Function {

    /** What forward hands to backward. */
    public static final class Context {
        private final List<Tensor> pending = new ArrayList<>();
        private final List<SavedTensors.Saved> saved = new ArrayList<>();
        private Map<String, Object> values;
        private final boolean[] needsGrad;

        Context(boolean[] needsGrad) {
            this.needsGrad = needsGrad;
        }

        /** Keeps {@code t} for backward; it is counted by the saved-tensor registry. Returns its index. */
        public int save(Tensor t) {
            pending.add(t);
            return pending.size() - 1;
        }

        /**
         * The {@code i}-th saved tensor.
         *
         * @throws IllegalStateException if the graph was freed by an earlier backward
         */
        public Tensor saved(int i) {
            return saved.isEmpty() ? pending.get(i) : saved.get(i).get();
        }

        /** Stores a non-tensor value (shapes, flags, small statistics arrays). */
        public void put(String key, Object value) {
            if (values == null) {
                values = new HashMap<>();
            }
            values.put(key, value);
        }

        /** A value stored with {@link #put}. */
        @SuppressWarnings("unchecked")
        public <T> T get(String key) {
            return values == null ? null : (T) values.get(key);
        }

        /** True if input {@code i} needs a gradient; backward may return null for the others. */
        public boolean needsInputGrad(int i) {
            return needsGrad[i];
        }

        /**
         * True if the call is recorded in the graph, so backward may follow: gradients are being recorded and some
         * input requires one. Without it, forward may free or never build what only backward would read.
         */
        public boolean recordsGraph() {
            for (boolean b : needsGrad) {
                if (b) {
                    return true;
                }
            }
            return false;
        }

        boolean savesStorage(Storage s) {
            for (Tensor t : pending) {
                if (t.storage() == s) {
                    return true;
                }
            }
            return false;
        }

        void bind(Node node) {
            for (Tensor t : pending) {
                saved.add(node.save(t));
            }
        }
    }

    private final String name;

    /** A function named by its class's simple name. */
    protected Function() {
        this.name = null;
    }

    /** A function named {@code name} in the graph, errors and profiles (the library's ops: {@code "conv2d"}). */
    protected Function(String name) {
        this.name = name;
    }

    /** The op name used in the graph, errors and profiles; defaults to the constructor's name or the class's simple name. */
    protected String name() {
        return name != null ? name : getClass().getSimpleName();
    }

    /** Computes the output; runs without graph recording. */
    protected abstract Tensor forward(Context ctx, Tensor... inputs);

    /** Gradients of the inputs given the gradient of the output; one entry per input, null where not needed. */
    protected abstract Tensor[] backward(Context ctx, Tensor gradOutput);

    /** Runs the function and records it in the graph if any input requires a gradient. */
    public final Tensor apply(Tensor... inputs) {
        boolean[] needs = new boolean[inputs.length];
        boolean record = GradMode.isEnabled();
        for (int i = 0; i < inputs.length; i++) {
            needs[i] = record && inputs[i] != null && inputs[i].requiresGrad();
        }
        Context ctx = new Context(needs);
        MemoryScope scope = MemoryScope.current();
        int mark = scope == null ? 0 : scope.mark();
        Tensor out;
        if (record) {
            try (GradMode.Scope s = GradMode.noGrad()) {
                out = forward(ctx, inputs);
            }
        } else {
            out = forward(ctx, inputs);
        }
        if (out.gradFn() != null || out.requiresGrad()) {
            // forward returned an input or a leaf: give it a fresh identity so recording does not rewrite it.
            out = out.detach();
        }
        Node node = Autograd.record(name(), out, inputs);
        if (node != null) {
            ctx.bind(node);
            node.backward(g -> backward(ctx, g));
        }
        if (scope != null && MemoryScope.current() == scope) {
            // forward's scratch goes back to the pool now: only the output and the saved tensors outlive the call.
            for (Storage st : scope.handedOutSince(mark)) {
                if (st != out.storage() && !ctx.savesStorage(st)) {
                    scope.release(st);
                }
            }
        }
        return out;
    }
}
