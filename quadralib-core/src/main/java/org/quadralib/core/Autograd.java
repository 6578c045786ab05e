package org.quadralib.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import org.quadralib.core.memory.Buffers;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.memory.MemoryScope;
import org.quadralib.core.memory.MemoryTracker;

/**
 * The reverse-mode engine: records nodes during forward and walks them in reverse topological order in
 * backward, accumulating gradients, as micrograd does.
 *
 * <p>Gradients returned by a node for an input whose shape was broadcast are summed back to the input's shape
 * ({@link GradientBuffers#toShape}, the one place). Leaves that require a gradient accumulate into
 * {@link Tensor#grad()} (a persistent buffer counted as {@link MemoryCategory#GRADIENT}); intermediate gradients
 * live only during the walk. Backward itself records nothing: higher-order gradients are not supported. Inside a
 * {@link MemoryScope} the walk hands its buffers back to the scope's pool as soon as no pending gradient refers
 * to them and sums into them in place ({@link GradientBuffers}: the walk's memory policy, beside it).
 *
 * <p>Ops record themselves through {@link Function}, the one way to write a backward.
 */
public final class Autograd {

    private Autograd() {
    }

    /**
     * Records a node for {@code output = op(inputs)} if recording is on and any input requires a gradient.
     *
     * @return the node, on which the op saves tensors and sets its backward function, or null if nothing is recorded
     */
    static Node record(String op, Tensor output, Tensor... inputs) {
        if (AnomalyMode.active()) {
            AnomalyMode.checkForward(op, output);
        }
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

    /**
     * Back-propagates {@code seed} (d(loss)/d(root); ones for a one-element root when null) through the graph
     * behind {@code root}: nodes in reverse topological order, each node's output gradient mapped to its inputs'
     * gradients, which are summed into the inputs' pending gradients or, for leaves, into {@link Tensor#grad()}.
     * How those sums use memory is the {@link GradientBuffers} policy's business.
     */
    static void backward(Tensor root, Tensor seed, boolean retainGraph) {
        seed = checkedSeed(root, seed);
        if (root.isLeaf()) {
            accumulateLeaf(root, seed);
            return;
        }
        boolean anomalies = AnomalyMode.active() && AnomalyMode.isEnabled();
        GradientBuffers buffers = GradientBuffers.of(MemoryScope.current());
        Map<Node, Tensor> grads = new IdentityHashMap<>();
        grads.put(root.gradFn(), seed);
        if (anomalies) {
            AnomalyMode.backwardWalk(1);
        }
        try (GradMode.Scope g = GradMode.noGrad();
                Buffers.CategoryScope c = Buffers.withCategory(MemoryCategory.ACTIVATION_GRADIENT)) {
            for (Node node : topologicalOrder(root.gradFn())) {
                Tensor gOut = grads.remove(node);
                Tensor[] gIn = gOut == null ? null : node.runBackward(gOut);
                if (!retainGraph) {
                    node.free();
                }
                if (gIn == null) {
                    continue;
                }
                if (anomalies) {
                    AnomalyMode.checkBackward(node, gIn);
                }
                Tensor[] inputs = node.inputArray();
                for (int i = 0; i < inputs.length; i++) {
                    Tensor in = inputs[i];
                    if (in == null || gIn[i] == null || !in.requiresGrad()) {
                        continue;
                    }
                    if (in.isLeaf()) {
                        accumulateLeaf(in, buffers.add(node, null, gIn[i], in.shape(), grads.values()));
                    } else {
                        Node from = in.gradFn();
                        grads.put(from, buffers.add(node, grads.get(from), gIn[i], in.shape(), grads.values()));
                    }
                }
                buffers.afterNode(grads.values());
            }
        } finally {
            if (anomalies) {
                AnomalyMode.backwardWalk(-1);
            }
        }
    }

    /**
     * The seed to start from: {@code seed} if its shape is the root's, ones for a one-element root.
     *
     * @throws IllegalStateException if root does not require a gradient, or seed is null for a root of several elements
     * @throws IllegalArgumentException if seed's shape differs from root's
     */
    private static Tensor checkedSeed(Tensor root, Tensor seed) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("backward: tensor of shape " + Shapes.str(root.shape())
                    + " does not require a gradient (no input of the computation had requiresGrad(true))");
        }
        if (seed == null) {
            if (root.numel() != 1) {
                throw new IllegalStateException("backward: implicit seed only for a one-element output; got shape "
                        + Shapes.str(root.shape()) + ", pass a seed gradient");
            }
            return Tensor.ones(root.shape());
        }
        if (!Arrays.equals(seed.shape(), root.shape())) {
            throw new IllegalArgumentException("backward: seed shape " + Shapes.str(seed.shape()) + " differs from output shape "
                    + Shapes.str(root.shape()));
        }
        return seed;
    }

    private static void accumulateLeaf(Tensor leaf, Tensor g) {
        Tensor existing = leaf.grad();
        if (existing == null) {
            leaf.setGrad(g.copyAs(MemoryCategory.GRADIENT));
        } else {
            GradientBuffers.addInto(existing, g);
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
