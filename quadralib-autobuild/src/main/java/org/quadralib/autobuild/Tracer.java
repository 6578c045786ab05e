package org.quadralib.autobuild;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.quadralib.core.Autograd;
import org.quadralib.core.GradMode;
import org.quadralib.core.SavedTensors;
import org.quadralib.core.Tensor;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.layers.Module;

/**
 * Records the data flow of one forward pass into a {@link Graph}.
 *
 * <p>How: every layer gets a pre- and a post-hook, which give the tensor each call consumed and produced. What
 * happens between layers (a residual add, a flatten, an activation written with {@code F} inside a container's
 * {@code compute}) is not a module call; it is found by walking the autograd graph back from each layer's input
 * (and from the model's output) through {@link org.quadralib.core.Node#inputs()} until a tensor some layer
 * produced, or the model's input, is reached. For that walk to see every op, the example input is copied into a
 * tensor that requires a gradient, so every op records a node.
 *
 * <p>A <em>layer</em> (a module traced as one node) is a module that has no children, or owns parameters or buffers
 * of its own, or has a MAC rule in {@link Macs} (the quadratic layers); its children are folded into it (a quadratic
 * layer's branch batch norms are part of that layer). Every other module is a container: its calls are recorded for
 * the {@link Summary} but it is not a node, its layers and ops are.
 *
 * <p>The pass runs in the model's current mode with gradients recorded. It leaves the model as it found it: buffers
 * that the pass updates (batch-norm running statistics) are restored, the graph is released with
 * {@link Autograd#release} (no backward pass, so parameter gradients are untouched). Dropout layers in training mode draw from their
 * generator, which is not restored. Saved-tensor bytes are counted only on the calling thread.
 */
public final class Tracer {

    private Tracer() {
    }

    /**
     * Traces {@code model} on {@code exampleInput} (e.g. {@code [N, C, H, W]}, N ≥ 2 when the model batch-normalises in
     * training mode).
     *
     * @return the graph: input node 0, layer and op nodes in execution order, output node last
     * @throws org.quadralib.layers.ShapeMismatchException if the model rejects the input (the message names the layer)
     */
    public static Graph trace(Module model, Tensor exampleInput) {
        return record(model, exampleInput).graph();
    }

    /** True if {@code m} is traced as one node: no children, own parameters or buffers, or a MAC rule. */
    public static boolean isLayer(Module m) {
        return m.children().isEmpty() || !m.localParameters().isEmpty() || !m.localBuffers().isEmpty() || Macs.hasRule(m);
    }

    /** One call of a module (layer or container) during a traced pass, in call order (parents before children). */
    static final class Call {
        final Module module;
        final String path;
        final int depth;
        final int call;
        final boolean layer;
        final int[] inputShape;
        int[] outputShape;
        long savedBytes;

        Call(Module module, String path, int depth, int call, boolean layer, int[] inputShape) {
            this.module = module;
            this.path = path;
            this.depth = depth;
            this.call = call;
            this.layer = layer;
            this.inputShape = inputShape;
        }
    }

    /** Everything one traced pass saw. */
    record Recording(Graph graph, List<Call> calls, long savedBytesOutsideModules) {
    }

    static Recording record(Module model, Tensor exampleInput) {
        Builder b = new Builder(model);
        return b.run(exampleInput);
    }

    private static final class Builder {
        private final Module model;
        private final List<Graph.Node> nodes = new ArrayList<>();
        private final Map<Tensor, Integer> producers = new IdentityHashMap<>();
        private final Map<org.quadralib.core.Node, Integer> opNodes = new IdentityHashMap<>();
        private final Map<Module, Integer> callCounts = new IdentityHashMap<>();
        private final List<Call> calls = new ArrayList<>();
        private final Deque<Call> open = new ArrayDeque<>();
        private final Deque<Integer> pendingInputs = new ArrayDeque<>();
        private final Thread thread = Thread.currentThread();
        private long savedOutside;

        Builder(Module model) {
            this.model = model;
        }

        @SuppressWarnings("try") // the grad-mode scope is used for what it does on open and close
        Recording run(Tensor exampleInput) {
            Map<Tensor, Tensor> buffers = snapshotBuffers();
            List<Module.HookHandle> hooks = new ArrayList<>();
            SavedTensors.Listener listener = (bytes, op, owner) -> {
                if (bytes > 0 && Thread.currentThread() == thread) {
                    Call c = open.peek();
                    if (c == null) {
                        savedOutside += bytes;
                    } else {
                        c.savedBytes += bytes;
                    }
                }
            };
            Tensor output = null;
            try (GradMode.Scope g = GradMode.enableGrad()) {
                hook(model, "", hooks);
                Tensor leaf = exampleInput.detach().requiresGrad(true);
                Tensor x = leaf.copy();
                nodes.add(new Graph.Node(0, Graph.Kind.INPUT, "input", "input", "", 0, null, x.shape(), List.of()));
                producers.put(x, 0);
                SavedTensors.addListener(listener);
                try {
                    output = model.forward(x);
                } finally {
                    SavedTensors.removeListener(listener);
                }
                int last = resolve(output);
                nodes.add(new Graph.Node(nodes.size(), Graph.Kind.OUTPUT, "output", "output", "", 0, null, output.shape(),
                        last < 0 ? List.of() : List.of(last)));
            } finally {
                hooks.forEach(Module.HookHandle::close);
                if (output != null) {
                    release(output);
                }
                buffers.forEach(Tensor::copyFrom);
            }
            return new Recording(new Graph(nodes), calls, savedOutside);
        }

        private void hook(Module m, String path, List<Module.HookHandle> hooks) {
            boolean layer = isLayer(m);
            int depth = path.isEmpty() ? 0 : path.split("\\.").length;
            hooks.add(m.addPreHook((mod, in) -> {
                int call = callCounts.merge(mod, 1, Integer::sum) - 1;
                Call c = new Call(mod, path, depth, call, layer, in.shape());
                calls.add(c);
                open.push(c);
                if (layer) {
                    pendingInputs.push(resolve(in));
                }
                return null;
            }));
            hooks.add(m.addPostHook((mod, in, out) -> {
                Call c = open.pop();
                c.outputShape = out.shape();
                if (layer) {
                    int from = pendingInputs.pop();
                    int id = nodes.size();
                    nodes.add(new Graph.Node(id, Graph.Kind.MODULE, path, mod.getClass().getSimpleName(), path, c.call, mod, out.shape(),
                            from < 0 ? List.of() : List.of(from)));
                    producers.put(out, id);
                }
                return null;
            }));
            if (!layer) {
                for (Map.Entry<String, Module> e : m.children().entrySet()) {
                    hook(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey(), hooks);
                }
            }
        }

        /**
         * The node that produced {@code t}: a layer or the input if one did, else an op node for its autograd node
         * (created on first sight, after the nodes of its own inputs), or -1 for a constant or a parameter.
         */
        private int resolve(Tensor t) {
            Integer known = producers.get(t);
            if (known != null) {
                return known;
            }
            org.quadralib.core.Node fn = t.gradFn();
            if (fn == null) {
                return -1;
            }
            Integer op = opNodes.get(fn);
            if (op != null) {
                return op;
            }
            List<Integer> from = new ArrayList<>();
            for (Tensor in : fn.inputs()) {
                if (in != null) {
                    int id = resolve(in);
                    if (id >= 0 && !from.contains(id)) {
                        from.add(id);
                    }
                }
            }
            int id = nodes.size();
            nodes.add(new Graph.Node(id, Graph.Kind.OP, fn.op(), fn.op(), fn.owner(), 0, null, t.shape(), from));
            opNodes.put(fn, id);
            producers.put(t, id);
            return id;
        }

        @SuppressWarnings("try") // the grad-mode scope is used for what it does on open and close
        private Map<Tensor, Tensor> snapshotBuffers() {
            Map<Tensor, Tensor> out = new LinkedHashMap<>();
            try (GradMode.Scope g = GradMode.noGrad()) {
                for (Module m : model.namedModules().values()) {
                    for (Tensor t : m.localBuffers().values()) {
                        out.put(t, t.copyAs(MemoryCategory.BUFFER));
                    }
                }
            }
            return out;
        }

        /** Frees the saved tensors of the pass's graph; parameter gradients are untouched. */
        private void release(Tensor output) {
            Autograd.release(output);
        }
    }
}
