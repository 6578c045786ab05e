package org.quadralib.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

import org.quadralib.core.kernels.Elementwise;
import org.quadralib.core.memory.MemoryScope;
import org.quadralib.core.memory.Storage;

/**
 * The buffer policy of a backward walk: how a gradient arriving at an input is summed into the input's pending
 * gradient, and when the walk's buffers go back to the pool. {@link Autograd#backward} says what is summed where;
 * this says into which arrays.
 *
 * <p>{@link #of} picks the policy: outside a {@link MemoryScope}, plain sums ({@code pending + g}, a narrowed
 * view's gradient padded with zeros); inside one, the pooled policy: every buffer the walk allocated goes back to
 * the scope's pool as soon as no pending gradient refers to it (a node's scratch right after the node, an
 * intermediate gradient once the node it flowed into has run, a leaf's incoming gradient once it has been added to
 * {@link Tensor#grad()}), and a gradient arriving on top of a pending one that is such a buffer is added into it in
 * place; a narrowed view's gradient ({@link Node.Window}) is then added into its window alone. A step's peak then
 * holds its activations and the gradient frontier rather than every gradient of the step.
 */
interface GradientBuffers {

    /**
     * The pending gradient of an input of {@code shape} after {@code g} arrived from {@code node}.
     *
     * @param pending the input's pending gradient, or null if {@code g} is the first (always null for a leaf)
     * @param g the gradient the node's backward returned, of the broadcast shape or, with a window, of the window
     * @param allPending every pending gradient of the walk, {@code pending} included
     * @return the new pending gradient, of {@code shape}
     */
    Tensor add(Node node, Tensor pending, Tensor g, int[] shape, Collection<Tensor> allPending);

    /** Called after each node: buffers of the walk that no tensor of {@code allPending} refers to may be reused. */
    void afterNode(Collection<Tensor> allPending);

    /** The policy for a walk on this thread: pooled inside a memory scope, plain outside. */
    static GradientBuffers of(MemoryScope scope) {
        return scope == null ? Plain.INSTANCE : new Pooled(scope);
    }

    /** Plain sums: nothing is written in place, nothing released early. */
    final class Plain implements GradientBuffers {
        static final Plain INSTANCE = new Plain();

        @Override
        public Tensor add(Node node, Tensor pending, Tensor g, int[] shape, Collection<Tensor> allPending) {
            Tensor full = toShape(node, g, shape);
            return pending == null ? full : pending.add(full);
        }

        @Override
        public void afterNode(Collection<Tensor> allPending) {
        }
    }

    /**
     * The buffers a walk allocated from its memory scope and has not released yet. A buffer can go back to the
     * pool once no pending gradient refers to its storage: backward functions record nothing and hand back only
     * their input gradients, so nothing else in the walk can still read it.
     */
    final class Pooled implements GradientBuffers {
        private final MemoryScope scope;
        private final List<Storage> live = new ArrayList<>();
        private int collected;

        Pooled(MemoryScope scope) {
            this.scope = scope;
            this.collected = scope.mark();
        }

        @Override
        public Tensor add(Node node, Tensor pending, Tensor g, int[] shape, Collection<Tensor> allPending) {
            Node.Window window = node.window();
            if (window != null && pending != null && canAddInto(pending, g, allPending)) {
                window.addInto(pending, g);
                return pending;
            }
            Tensor full = toShape(node, g, shape);
            if (pending == null) {
                return full;
            }
            if (canAddInto(pending, full, allPending)) {
                addInto(pending, full);
                return pending;
            }
            return pending.add(full);
        }

        @Override
        public void afterNode(Collection<Tensor> allPending) {
            collect();
            live.removeIf(s -> {
                for (Tensor t : allPending) {
                    if (t.storage() == s) {
                        return false;
                    }
                }
                scope.release(s);
                return true;
            });
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
         * True if {@code g} may be added into {@code pending} in place: pending is a contiguous buffer of this walk
         * (not the caller's seed, not an activation), no other pending gradient shares its storage, and g does not.
         */
        private boolean canAddInto(Tensor pending, Tensor g, Collection<Tensor> allPending) {
            collect();
            Storage s = pending.storage();
            if (!pending.isContiguous() || g.storage() == s || !containsIdentity(live, s)) {
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

        private static boolean containsIdentity(List<Storage> list, Storage s) {
            for (Storage x : list) {
                if (x == s) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * {@code g} as a gradient of an input of {@code shape}: a window's gradient padded with zeros, a broadcast
     * gradient summed over the broadcast axes. The one place gradients are reduced to their input's shape.
     *
     * @throws IllegalStateException naming the op if g's shape does not broadcast to {@code shape}
     */
    static Tensor toShape(Node node, Tensor g, int[] shape) {
        Node.Window window = node.window();
        Tensor full = window == null ? g : window.pad(g);
        int[] gs = full.shape();
        if (Arrays.equals(gs, shape)) {
            return full;
        }
        int lead = gs.length - shape.length;
        if (lead < 0) {
            throw new IllegalStateException("backward of '" + node.op() + "': gradient shape " + Shapes.str(gs)
                    + " has fewer dimensions than input shape " + Shapes.str(shape));
        }
        List<Integer> dims = new ArrayList<>();
        for (int i = 0; i < gs.length; i++) {
            if (i < lead) {
                dims.add(i);
            } else if (shape[i - lead] == 1 && gs[i] != 1) {
                dims.add(i);
            } else if (shape[i - lead] != gs[i]) {
                throw new IllegalStateException("backward of '" + node.op() + "': gradient shape " + Shapes.str(gs)
                        + " does not broadcast to input shape " + Shapes.str(shape));
            }
        }
        if (dims.isEmpty()) {
            return full.reshape(shape);
        }
        return full.sum(dims.stream().mapToInt(Integer::intValue).toArray(), true).reshape(shape);
    }

    /**
     * {@code dst += src}, both of one shape, dst contiguous.
     *
     * @throws IllegalStateException if the shapes differ
     */
    static void addInto(Tensor dst, Tensor src) {
        if (!Arrays.equals(dst.shape(), src.shape())) {
            throw new IllegalStateException("backward: gradient of shape " + Shapes.str(src.shape())
                    + " added into one of shape " + Shapes.str(dst.shape()));
        }
        Tensor s = src.contiguous();
        Elementwise.axpy(1f, s.data(), s.offset(), dst.data(), dst.offset(), dst.numel());
    }
}
