package org.quadralib.core;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.quadralib.core.kernels.ConvKernels;
import org.quadralib.core.kernels.Gemm;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.memory.MemoryTracker;

/**
 * Inference with the weights held still, on the current thread:
 *
 * <pre>
 * try (InferenceMode m = InferenceMode.enter()) {
 *     for (Tensor batch : batches) {
 *         Tensor logits = model.forward(batch);
 *         ...
 *     }
 * }
 * </pre>
 *
 * <p>Inside the scope no graph is recorded (as under {@link GradMode#noGrad()}), and the ops may keep a weight in
 * the layout their kernel reads for as long as the scope is open instead of rearranging it on every call: a linear
 * layer {@code y = x·Wᵀ + b} packs {@code Wᵀ} for the GEMM once, where packing it again for every batch took about
 * a seventh of an MLP's inference time. Results are bit-for-bit those computed outside the scope (the same
 * products over the same packed values).
 *
 * <p>The contract: the weights the scope has seen must not change until it is closed. A cached weight is a leaf
 * tensor that requires a gradient (a parameter), identified by the tensor object; other tensors are never cached.
 * {@code Optimizer.step()} and {@code Module.loadStateDict} inside the scope throw rather than leave stale layouts
 * behind; writing into a parameter's {@link Tensor#data()} array (or copying into it) inside the scope is not
 * detected and gives results computed with the old values. Closing the scope drops every cached layout (counted as
 * {@link MemoryCategory#WORKSPACE} while held) and restores the previous grad mode. Scopes nest; each caches for
 * itself. A scope belongs to the thread that entered it and must be closed there.
 */
public final class InferenceMode implements AutoCloseable {

    private static final ThreadLocal<InferenceMode> CURRENT = new ThreadLocal<>();

    private final InferenceMode outer;
    private final Thread owner;
    private final GradMode.Scope noGrad;
    private final Map<Key, Object> cache = new HashMap<>();
    private long bytes;
    private boolean closed;

    private InferenceMode() {
        this.outer = CURRENT.get();
        this.owner = Thread.currentThread();
        this.noGrad = GradMode.noGrad();
    }

    /** Opens a scope on the current thread: no graph recording, weights cached until {@link #close()}. */
    public static InferenceMode enter() {
        InferenceMode m = new InferenceMode();
        CURRENT.set(m);
        return m;
    }

    /** True while a scope is open on the current thread. */
    public static boolean isActive() {
        return CURRENT.get() != null;
    }

    /**
     * Throws if a scope is open on the current thread: for code about to change weights in place (an optimizer
     * step), which would leave the scope's cached layouts stale.
     *
     * @param what the operation, named in the message
     * @throws IllegalStateException if a scope is open on this thread
     */
    public static void checkWeightsMayChange(String what) {
        if (isActive()) {
            throw new IllegalStateException(what + ": weights must not change inside an InferenceMode scope, whose "
                    + "cached weight layouts would go stale; close the scope first");
        }
    }

    /**
     * {@code Wᵀ} of a {@code [out, in]} weight packed as the B operand of {@code x·Wᵀ}
     * ({@link Gemm#sgemm(boolean, int, float, float[], int, int, Gemm.PackedB, float, float[], int, int)}), packed
     * on first use in the current scope and reused after; null when no scope is open on this thread or the weight
     * is not a parameter (a leaf requiring a gradient) stored contiguously.
     *
     * @param weight a {@code [out, in]} matrix
     * @return the packed {@code Wᵀ} ({@code in × out}), or null
     * @throws IllegalArgumentException if {@code weight} is not 2-D
     */
    public static Gemm.PackedB transposedWeight(Tensor weight) {
        // called by every linear op: outside a scope, return before building the key
        return isActive() ? transposedWeights(List.of(weight)) : null;
    }

    /**
     * As {@link #transposedWeight}, for the weights {@code [out_i, in]} stacked row-wise into one
     * {@code [Σ out_i, in]} matrix (a quadratic layer's branches, multiplied in one product); null unless every
     * weight is a contiguous parameter.
     *
     * @param weights one or more {@code [out_i, in]} matrices with the same {@code in}
     * @return the packed transposed stack ({@code in × Σ out_i}), or null
     * @throws IllegalArgumentException if a weight is not 2-D or the widths differ, naming the shapes
     */
    public static Gemm.PackedB transposedWeights(List<Tensor> weights) {
        InferenceMode m = CURRENT.get();
        if (m == null || weights.isEmpty() || !cacheable(weights)) {
            return null;
        }
        int in = weights.get(0).dim() == 2 ? weights.get(0).size(1) : -1;
        int out = 0;
        for (Tensor w : weights) {
            if (w.dim() != 2 || w.size(1) != in) {
                throw new IllegalArgumentException("InferenceMode: linear weights must be [out, in] with one in, got "
                        + shapes(weights));
            }
            out += w.size(0);
        }
        Key key = new Key(List.copyOf(weights), null);
        Object hit = m.cache.get(key);
        if (hit != null) {
            return (Gemm.PackedB) hit;
        }
        float[] stack = m.stacked(weights, out * in);
        int size = Gemm.packedSizeB(in, out);
        Gemm.PackedB packed = Gemm.packB(true, in, out, stack, offset(weights), in, m.counted(size));
        m.cache.put(key, packed);
        return packed;
    }

    /**
     * {@link #convWeights} of one weight {@code [cout, c/groups, kh, kw]}; null at once when no scope is open.
     *
     * @throws IllegalArgumentException if the weight does not have the geometry's shape
     */
    public static ConvKernels.PackedWeight convWeight(ConvKernels.Geometry g, Tensor weight) {
        // called by every conv2d op: outside a scope, return before building the key
        return isActive() ? convWeights(g, List.of(weight)) : null;
    }

    /**
     * The forward weights of a convolution with geometry {@code g} as {@link ConvKernels#packWeight} prepares them
     * (packed for the GEMM, or transformed for Winograd's algorithm), prepared on first use in the current scope and
     * reused for any batch; null when no scope is open on this thread, a weight is not a contiguous parameter, or
     * the convolution packs nothing (grouped or depthwise).
     *
     * @param g the convolution (its batch size does not matter)
     * @param weights one or more weights {@code [cout_i, c/groups, kh, kw]} stacked along the output channels
     *        (several for a quadratic layer's branches); {@code g.cout()} must be their total
     * @return the prepared weights, or null
     * @throws IllegalArgumentException if the weights do not have the geometry's shape
     */
    public static ConvKernels.PackedWeight convWeights(ConvKernels.Geometry g, List<Tensor> weights) {
        InferenceMode m = CURRENT.get();
        if (m == null || weights.isEmpty() || !cacheable(weights) || g.groups() != 1) {
            return null;
        }
        int cout = 0;
        for (Tensor w : weights) {
            if (w.dim() != 4 || w.size(1) != g.c() || w.size(2) != g.kh() || w.size(3) != g.kw()) {
                throw new IllegalArgumentException("InferenceMode: conv2d weights " + shapes(weights)
                        + " do not fit " + g);
            }
            cout += w.size(0);
        }
        if (cout != g.cout()) {
            throw new IllegalArgumentException("InferenceMode: conv2d weights " + shapes(weights) + " have " + cout
                    + " output channels, the geometry " + g.cout());
        }
        ConvKernels.Geometry shape = new ConvKernels.Geometry(1, g.c(), g.h(), g.w(), g.cout(), g.kh(), g.kw(), g.sh(),
                g.sw(), g.ph(), g.pw(), g.dh(), g.dw(), g.groups());
        Key key = new Key(List.copyOf(weights), shape);
        Object hit = m.cache.get(key);
        if (hit != null) {
            return (ConvKernels.PackedWeight) hit;
        }
        int size = ConvKernels.packedWeightSize(shape, false);
        if (size == 0) {
            return null;
        }
        int floats = (int) g.weightSize();
        float[] stack = m.stacked(weights, floats);
        int off = offset(weights);
        if (off != 0) {
            // the kernels read a convolution's weights from index 0
            float[] copy = m.counted(floats);
            System.arraycopy(stack, off, copy, 0, floats);
            stack = copy;
        }
        ConvKernels.PackedWeight packed = ConvKernels.packWeight(shape, false, stack, m.counted(size));
        m.cache.put(key, packed);
        return packed;
    }

    /** What a cached layout was made from: the weights (by identity) and, for a convolution, its geometry. */
    private record Key(List<Tensor> weights, ConvKernels.Geometry conv) {
    }

    private static boolean cacheable(List<Tensor> weights) {
        for (Tensor w : weights) {
            if (!w.requiresGrad() || !w.isLeaf() || !w.isContiguous()) {
                return false;
            }
        }
        return true;
    }

    /**
     * One weight's own array, or a new array (held and counted with the scope's layouts, which read it) with the
     * weights' values one after the other.
     */
    private float[] stacked(List<Tensor> weights, int floats) {
        if (weights.size() == 1) {
            return weights.get(0).data();
        }
        float[] stack = counted(floats);
        int at = 0;
        for (Tensor w : weights) {
            System.arraycopy(w.data(), w.offset(), stack, at, w.numel());
            at += w.numel();
        }
        return stack;
    }

    /** Where {@link #stacked}'s values start. */
    private static int offset(List<Tensor> weights) {
        return weights.size() == 1 ? weights.get(0).offset() : 0;
    }

    private static String shapes(List<Tensor> weights) {
        StringBuilder sb = new StringBuilder();
        for (Tensor w : weights) {
            sb.append(sb.length() == 0 ? "" : ", ").append(Shapes.str(w.shape()));
        }
        return sb.toString();
    }

    /** A buffer held until the scope closes, counted as workspace. */
    private float[] counted(int size) {
        MemoryTracker.allocated(MemoryCategory.WORKSPACE, 4L * size);
        bytes += 4L * size;
        return new float[size];
    }

    /**
     * Drops the cached layouts and restores the grad mode and scope that were current when this one was entered.
     * Closing twice does nothing.
     *
     * @throws IllegalStateException if called on another thread, or while a scope entered after this one is open
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("InferenceMode: closed on " + Thread.currentThread().getName()
                    + ", entered on " + owner.getName());
        }
        if (CURRENT.get() != this) {
            throw new IllegalStateException("InferenceMode: closed while a scope entered after it is still open");
        }
        closed = true;
        cache.clear();
        MemoryTracker.released(MemoryCategory.WORKSPACE, bytes);
        bytes = 0;
        if (outer == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(outer);
        }
        noGrad.close();
    }
}
