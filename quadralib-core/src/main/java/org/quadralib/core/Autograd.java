package org.quadralib.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import org.quadralib.core.memory.Buffers;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.memory.MemoryScope;
import org.quadralib.core.memory.MemoryTracker;
import org.quadralib.core.memory.Storage;
import org.quadralib.core.ops.Reduce;

/**
 * The reverse-mode engine: records nodes during forward and walks them in reverse topological order in
 * backward, accumulating gradients.
 *
 * <p>Gradients returned by a node for an input whose shape was broadcast are summed back to the input's shape
 * here, in one place. Leaves that require a gradient accumulate into {@link Tensor#grad()} (a persistent buffer
 * counted as {@link MemoryCategory#GRADIENT}); intermediate gradients live only during the walk. Backward itself
 * records nothing: higher-order gradients are not supported.
 *
 * <p>Inside a {@link MemoryScope} the walk hands every buffer it allocated back to the scope's pool as soon as
 * no pending gradient refers to it: a node's scratch (recomputed branches, packed operands) right after the
 * node, an intermediate gradient once the node it flowed into has run, a leaf's incoming gradient once it has
 * been added to {@link Tensor#grad()}. Later nodes of the same walk reuse those arrays, so a training step's
 * peak holds its activations and the gradient frontier rather than every gradient of the step. A second
 * gradient flowing into a node whose pending gradient is such a buffer is added into it in place; the gradient
 * of a narrowed view ({@link Node.Window}) is then added into its window only, and padded with zeros to the
 * input's shape only when it is the first to arrive (or outside a scope).
 */
public final class Autograd {

    private Autograd() {
    }

    /**
     * Records a node for {@code output = op(inputs)} if recording is on and any input requires a gradient.
     *
     * @return the node, on which the op saves tensors and sets its backward function, or null if nothing is recorded
     */
    public static Node record(String op, Tensor output, Tensor... inputs) {
        if (!GradMode.isEnabled()) {
            return null;
        }
        boolean any = false;
        for (Tensor t : inputs) {
            if (t != null && t.requiresGrad()) {
                any = true;
                break;
            }
        }
        if (!any) {
            return null;
        }
        Node n = new Node(op, inputs, MemoryTracker.owner());
        output.setGradFn(n);
        return n;
    }

    /** True if recording is on and any of {@code inputs} requires a gradient. */
    public static boolean needsGrad(Tensor... inputs) {
        if (!GradMode.isEnabled()) {
            return false;
        }
        for (Tensor t : inputs) {
            if (t != null && t.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Frees the saved tensors of every node behind {@code root} without back-propagating (a traced or abandoned
     * forward pass). Backward through the released graph then throws.
     */
    public static void release(Tensor root) {
        if (root.gradFn() != null) {
            for (Node n : topologicalOrder(root.gradFn())) {
                n.free();
            }
        }
    }

    static void backward(Tensor root, Tensor seed, boolean retainGraph) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("backward: tensor of shape " + Shapes.str(root.shape())
                    + " does not require a gradient (no input of the computation had requiresGrad(true))");
        }
        if (seed == null) {
            if (root.numel() != 1) {
                throw new IllegalStateException("backward: implicit seed only for a one-element output; got shape "
                        + Shapes.str(root.shape()) + ", pass a seed gradient");
            }
            seed = Tensor.ones(root.shape());
        } else if (!Arrays.equals(seed.shape(), root.shape())) {
            throw new IllegalArgumentException("backward: seed shape " + Shapes.str(seed.shape()) + " differs from output shape "
                    + Shapes.str(root.shape()));
        }
        if (root.isLeaf()) {
            accumulateLeaf(root, seed);
            return;
        }
        List<Node> order = topologicalOrder(root.gradFn());
        Map<Node, Tensor> grads = new IdentityHashMap<>();
        grads.put(root.gradFn(), seed);
        MemoryScope scope = MemoryScope.current();
        WalkBuffers buffers = scope == null ? null : new WalkBuffers(scope);
        try (GradMode.Scope g = GradMode.noGrad();
                Buffers.CategoryScope c = Buffers.withCategory(MemoryCategory.ACTIVATION_GRADIENT)) {
            for (Node node : order) {
                Tensor gOut = grads.remove(node);
                if (gOut == null) {
                    if (!retainGraph) {
                        node.free();
                    }
                    continue;
                }
                Tensor[] gIn;
                try (MemoryTracker.AutoCloseableOwner o = MemoryTracker.withOwner(node.owner())) {
                    gIn = node.runBackward(gOut);
                }
                if (!retainGraph) {
                    node.free();
                }
                Tensor[] inputs = node.inputArray();
                if (gIn.length != inputs.length) {
                    throw new IllegalStateException("backward of '" + node.op() + "' returned " + gIn.length + " gradients for "
                            + inputs.length + " inputs");
                }
                for (int i = 0; i < inputs.length; i++) {
                    Tensor in = inputs[i];
                    if (in == null || gIn[i] == null || !in.requiresGrad()) {
                        continue;
                    }
                    Tensor gi = gIn[i];
                    Node.Window window = node.window();
                    if (window != null) {
                        // The gradient of a window of the input (narrow): added into the input's pending gradient
                        // when this walk may write it, else padded with zeros to the input's shape.
                        Tensor pending = in.isLeaf() ? null : grads.get(in.gradFn());
                        if (pending != null && buffers != null && buffers.canAddInto(pending, gi, grads.values())) {
                            window.addInto(pending, gi);
                            continue;
                        }
                        gi = window.pad(gi);
                    }
                    gi = reduceToShape(node.op(), gi, in.shape());
                    if (in.isLeaf()) {
                        accumulateLeaf(in, gi);
                        continue;
                    }
                    Tensor pending = grads.get(in.gradFn());
                    if (pending == null) {
                        grads.put(in.gradFn(), gi);
                    } else if (buffers != null && buffers.canAddInto(pending, gi, grads.values())) {
                        org.quadralib.core.ops.InPlace.addInto(pending, gi);
                    } else {
                        grads.put(in.gradFn(), pending.add(gi));
                    }
                }
                if (buffers != null) {
                    buffers.releaseAllBut(grads.values());
                }
            }
        }
    }

    /**
     * The buffers a backward walk allocated from its memory scope and has not released yet. A buffer can go back
     * to the pool once no pending gradient refers to its storage: backward functions record nothing and hand
     * back only their input gradients, so nothing else in the walk can still read it.
     */
    private static final class WalkBuffers {
        private final MemoryScope scope;
        private final List<Storage> live = new ArrayList<>();
        private int collected;

        WalkBuffers(MemoryScope scope) {
            this.scope = scope;
            this.collected = scope.mark();
        }

        /** Adds the storages the scope handed out since the last call. */
        private void collect() {
            for (Storage s : scope.handedOutSince(collected)) {
                if (!s.isReleased()) {
                    live.add(s);
                }
            }
            collected = scope.mark();
        }

        /**
         * True if {@code gi} may be added into {@code pending} in place: pending is a contiguous buffer of this walk
         * (not the caller's seed, not an activation), no other pending gradient shares its storage, and gi does not.
         */
        boolean canAddInto(Tensor pending, Tensor gi, Collection<Tensor> allPending) {
            collect();
            Storage s = pending.storage();
            if (!pending.isContiguous() || gi.storage() == s || !containsIdentity(live, s)) {
                return false;
            }
            int uses = 0;
            for (Tensor t : allPending) {
                if (t.storage() == s) {
                    uses++;
                }
            }
            return uses == 1;
        }

        /** Releases every buffer of the walk that no tensor of {@code pending} refers to. */
        void releaseAllBut(Collection<Tensor> pending) {
            collect();
            live.removeIf(s -> {
                for (Tensor t : pending) {
                    if (t.storage() == s) {
                        return false;
                    }
                }
                scope.release(s);
                return true;
            });
        }

        private static boolean containsIdentity(List<Storage> list, Storage s) {
            for (Storage x : list) {
                if (x == s) {
                    return true;
                }
            }
            return false;
        }
    }

    private static Tensor reduceToShape(String op, Tensor g, int[] shape) {
        int[] gs = g.shape();
        if (Arrays.equals(gs, shape)) {
            return g;
        }
        int lead = gs.length - shape.length;
        if (lead < 0) {
            throw new IllegalStateException("backward of '" + op + "': gradient shape " + Shapes.str(gs)
                    + " has fewer dimensions than input shape " + Shapes.str(shape));
        }
        List<Integer> dims = new ArrayList<>();
        for (int i = 0; i < gs.length; i++) {
            if (i < lead) {
                dims.add(i);
            } else if (shape[i - lead] == 1 && gs[i] != 1) {
                dims.add(i);
            } else if (shape[i - lead] != gs[i]) {
                throw new IllegalStateException("backward of '" + op + "': gradient shape " + Shapes.str(gs)
                        + " does not broadcast to input shape " + Shapes.str(shape));
            }
        }
        if (dims.isEmpty()) {
            return g.reshape(shape);
        }
        return Reduce.sum(g, dims.stream().mapToInt(Integer::intValue).toArray(), true).reshape(shape);
    }

    private static void accumulateLeaf(Tensor leaf, Tensor g) {
        Tensor existing = leaf.grad();
        if (existing == null) {
            leaf.setGrad(g.copyAs(MemoryCategory.GRADIENT));
        } else {
            org.quadralib.core.ops.InPlace.addInto(existing, g);
        }
    }

    private static List<Node> topologicalOrder(Node root) {
        // Iterative post-order DFS, reversed: every node comes before the nodes that produced its inputs.
        List<Node> post = new ArrayList<>();
        Map<Node, Boolean> visited = new IdentityHashMap<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        visited.put(root, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            Node n = (Node) top[0];
            int i = (Integer) top[1];
            Tensor[] inputs = n.inputArray();
            if (i < inputs.length) {
                top[1] = i + 1;
                Tensor in = inputs[i];
                if (in != null && in.gradFn() != null && !visited.containsKey(in.gradFn())) {
                    visited.put(in.gradFn(), Boolean.TRUE);
                    stack.push(new Object[] {in.gradFn(), 0});
                }
            } else {
                stack.pop();
                post.add(n);
            }
        }
        java.util.Collections.reverse(post);
        return post;
    }
}
