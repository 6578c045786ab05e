package org.quadralib.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;

import org.quadralib.core.kernels.Elementwise;
import org.quadralib.core.memory.MemoryTracker;

/**
 * One recorded op in the autograd graph: its inputs, the tensors it saved for backward, and the function that
 * maps the gradient of its output to the gradients of its inputs.
 *
 * <p>Nodes are made by {@link org.quadralib.core.Function#apply}, the one way an op records itself: the node keeps
 * what the function's context saved (through the saved-tensor registry) and calls the function's backward. A
 * backward returns one gradient per input (null where an input needs none); a gradient may have the broadcast
 * shape, the engine sums it back to the input's shape. The graph is read through {@link #op}, {@link #owner} and
 * {@link #inputs} (tracing, profiles).
 */
public final class Node {

    private final String op;
    private final Tensor[] inputs;
    private final List<SavedTensors.Saved> saved = new ArrayList<>(2);
    private final String owner;
    private Function<Tensor, Tensor[]> backward;
    private boolean freed;

    Node(String op, Tensor[] inputs, String owner) {
        this.op = op;
        this.inputs = inputs;
        this.owner = owner;
    }

    /** The op's name, e.g. {@code "conv2d"}. */
    public String op() {
        return op;
    }

    /** The module path that was running when the op was recorded, or {@code ""}. */
    public String owner() {
        return owner;
    }

    /**
     * The op's inputs, in the op's order; an optional input that was absent (a batch norm without weight or
     * bias) is null.
     */
    public List<Tensor> inputs() {
        // List.of would throw on those nulls.
        return Collections.unmodifiableList(Arrays.asList(inputs));
    }

    Tensor[] inputArray() {
        return inputs;
    }

    /**
     * Keeps {@code t} for backward, counted by the saved-tensor registry.
     *
     * @return a handle whose {@code get()} returns {@code t} until the graph is freed
     */
    SavedTensors.Saved save(Tensor t) {
        SavedTensors.Saved s = SavedTensors.save(t, this);
        saved.add(s);
        return s;
    }

    /**
     * Where a narrowed view sits in its input ({@link Tensor#narrow}): elements {@code start ..} along {@code dim} of
     * an input of {@code inputShape}. A node with a window hands back the gradient of the window alone, and the
     * backward walk places it: added straight into the input's pending gradient when there is one, padded with
     * zeros to the input's shape otherwise. Branches narrowed from one stacked tensor then cost one padded gradient
     * and a window's worth of additions each, not a padded gradient each and a whole tensor's additions.
     */
    record Window(int dim, int start, int[] inputShape) {

        /** The gradient {@code g} of the window placed in zeros of the input's shape. */
        Tensor pad(Tensor g) {
            Tensor gc = g.contiguous();
            Tensor full = Tensor.empty(inputShape);
            float[] f = full.data();
            float[] gd = gc.data();
            int go = gc.offset();
            int size = inputShape[dim];
            int inner = inner();
            int length = gc.shape()[dim];
            int outer = full.numel() / Math.max(1, size * inner);
            // Every element written once: zero-filling the whole tensor first wrote the window twice.
            Parallel.forRange(outer, Math.max(1, Elementwise.GRAIN / Math.max(1, size * inner)), (from, to) -> {
                for (int o = from; o < to; o++) {
                    int base = o * size * inner;
                    Arrays.fill(f, base, base + start * inner, 0f);
                    System.arraycopy(gd, go + o * length * inner, f, base + start * inner, length * inner);
                    Arrays.fill(f, base + (start + length) * inner, base + size * inner, 0f);
                }
            });
            return full;
        }

        /** {@code pending[window] += g}, {@code pending} a contiguous gradient of the input's shape. */
        void addInto(Tensor pending, Tensor g) {
            Tensor gc = g.contiguous();
            int size = inputShape[dim];
            int inner = inner();
            int length = gc.shape()[dim];
            int outer = pending.numel() / Math.max(1, size * inner);
            for (int o = 0; o < outer; o++) {
                Elementwise.axpy(1f, gc.data(), gc.offset() + o * length * inner, pending.data(),
                        pending.offset() + (o * size + start) * inner, length * inner);
            }
        }

        private int inner() {
            int inner = 1;
            for (int i = dim + 1; i < inputShape.length; i++) {
                inner *= inputShape[i];
            }
            return inner;
        }
    }

    private Window window;

    /** Marks this node's input gradient as the gradient of a window of its input (see {@link Window}). */
    void window(Window w) {
        this.window = w;
    }

    /** The window, or null when backward hands back whole input gradients. */
    Window window() {
        return window;
    }

    /** Sets the backward function: gradient of the output to gradients of the inputs. */
    void backward(Function<Tensor, Tensor[]> fn) {
        this.backward = fn;
    }

    /**
     * The gradients of the inputs given the gradient of the output, one per input, computed with this node's
     * module path as the owner of what they allocate.
     *
     * @throws IllegalStateException if the node was freed, has no backward function, or it returned the wrong count
     */
    Tensor[] runBackward(Tensor gradOutput) {
        if (freed) {
            throw new IllegalStateException("backward through '" + op + "' a second time: its saved tensors were freed by the first"
                    + " backward; call backward(seed, true) to keep the graph");
        }
        if (backward == null) {
            throw new IllegalStateException("op '" + op + "' recorded no backward function");
        }
        Tensor[] gIn;
        try (MemoryTracker.AutoCloseableOwner o = MemoryTracker.withOwner(owner)) {
            gIn = backward.apply(gradOutput);
        }
        if (gIn.length != inputs.length) {
            throw new IllegalStateException("backward of '" + op + "' returned " + gIn.length + " gradients for "
                    + inputs.length + " inputs");
        }
        return gIn;
    }

    /** Releases the saved tensors; later backward calls through this node throw. */
    void free() {
        if (!freed) {
            freed = true;
            for (SavedTensors.Saved s : saved) {
                s.release();
            }
            saved.clear();
            backward = null;
        }
    }

    /** True once backward freed this node. */
    public boolean isFreed() {
        return freed;
    }

    @Override
    public String toString() {
        return "Node(" + op + (owner.isEmpty() ? "" : " in " + owner) + ")";
    }
}
