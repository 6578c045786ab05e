package org.quadralib.core;

import java.util.Arrays;

import org.quadralib.core.memory.Buffers;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.memory.Storage;
import org.quadralib.core.kernels.StridedCopy;
import org.quadralib.core.ops.Binary;
import org.quadralib.core.ops.Linear;
import org.quadralib.core.ops.Reduce;
import org.quadralib.core.ops.Unary;

/**
 * A float32 n-dimensional array with reverse-mode automatic differentiation.
 *
 * <p>Storage is row-major with explicit strides and an offset, so {@link #reshape}, {@link #transpose},
 * {@link #permute}, {@link #narrow}, {@link #expand}, {@link #squeeze} and {@link #unsqueeze} return views that
 * share the storage. Images are NCHW. Binary operations broadcast as in NumPy and PyTorch.
 *
 * <p>A tensor that {@link #requiresGrad()} records, for every differentiable op applied to it, a node in the
 * graph; {@link #backward()} walks that graph once in reverse and accumulates gradients into the leaves'
 * {@link #grad()}. Inside {@link GradMode#noGrad()} nothing is recorded.
 */
public final class Tensor {

    private final Storage storage;
    private final int[] shape;
    private final int[] strides;
    private final int offset;
    private boolean requiresGrad;
    private Tensor grad;
    private Node gradFn;
    private String name;

    Tensor(Storage storage, int[] shape, int[] strides, int offset) {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
    }

    // ---------------------------------------------------------------- factories

    /** A zero tensor, counted in the thread's current memory category. */
    public static Tensor zeros(int... shape) {
        int[] s = shape.clone();
        return new Tensor(Buffers.allocate(Shapes.numel(s)), s, Shapes.contiguousStrides(s), 0);
    }

    /** A zero tensor counted in {@code category} (parameters, optimizer state, ...). */
    public static Tensor zeros(MemoryCategory category, int... shape) {
        int[] s = shape.clone();
        return new Tensor(Buffers.allocate(Shapes.numel(s), category, true), s, Shapes.contiguousStrides(s), 0);
    }

    /**
     * A tensor whose contents the caller overwrites completely (kernels' outputs); avoids zero-filling.
     */
    public static Tensor empty(int... shape) {
        int[] s = shape.clone();
        return new Tensor(Buffers.allocate(Shapes.numel(s), Buffers.category(), false), s, Shapes.contiguousStrides(s), 0);
    }

    /** A tensor of ones. */
    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    /** A tensor filled with {@code value}. */
    public static Tensor full(float value, int... shape) {
        Tensor t = empty(shape);
        Arrays.fill(t.storage.data(), value);
        return t;
    }

    /** A scalar (rank-0) tensor. */
    public static Tensor scalar(float value) {
        Tensor t = empty();
        t.storage.data()[0] = value;
        return t;
    }

    /** {@code [0, 1, ..., n-1]} as a rank-1 tensor. */
    public static Tensor arange(int n) {
        Tensor t = empty(n);
        float[] d = t.storage.data();
        for (int i = 0; i < n; i++) {
            d[i] = i;
        }
        return t;
    }

    /**
     * A tensor holding a copy of {@code data} in row-major order.
     *
     * @throws IllegalArgumentException if {@code data.length} differs from the product of {@code shape}
     */
    public static Tensor of(float[] data, int... shape) {
        int n = Shapes.numel(shape);
        if (data.length != n) {
            throw new IllegalArgumentException("Tensor.of: " + data.length + " values cannot fill shape " + Shapes.str(shape)
                    + " (" + n + " elements)");
        }
        Tensor t = empty(shape);
        System.arraycopy(data, 0, t.storage.data(), 0, n);
        return t;
    }

    /**
     * A tensor from a nested Java array of floats ({@code float[]}, {@code float[][]}, ...), shape inferred.
     *
     * @throws IllegalArgumentException if the array is ragged or is not made of {@code float} (for example
     *     {@code double[]} or {@code int[]}): the message names the element type found
     */
    public static Tensor of(Object nested) {
        if (nested == null) {
            throw new IllegalArgumentException("Tensor.of: null array");
        }
        java.util.List<Integer> dims = new java.util.ArrayList<>();
        Object cur = nested;
        while (cur != null && cur.getClass().isArray()) {
            int len = java.lang.reflect.Array.getLength(cur);
            dims.add(len);
            Class<?> comp = cur.getClass().getComponentType();
            if (comp.isPrimitive()) {
                if (comp != float.class) {
                    throw new IllegalArgumentException("Tensor.of: expected float data, got " + comp.getName()
                            + "[]; tensors are float32, convert the values first");
                }
                break;
            }
            cur = len > 0 ? java.lang.reflect.Array.get(cur, 0) : null;
        }
        if (cur == null || !cur.getClass().isArray()) {
            throw new IllegalArgumentException("Tensor.of: expected a (nested) float array, got "
                    + nested.getClass().getSimpleName());
        }
        int[] shape = dims.stream().mapToInt(Integer::intValue).toArray();
        Tensor t = empty(shape);
        int[] pos = {0};
        fill(nested, 0, shape, t.storage.data(), pos);
        return t;
    }

    private static void fill(Object arr, int depth, int[] shape, float[] dst, int[] pos) {
        int len = java.lang.reflect.Array.getLength(arr);
        if (len != shape[depth]) {
            throw new IllegalArgumentException("Tensor.of: ragged array, dimension " + depth + " has length " + len
                    + " but " + shape[depth] + " was expected");
        }
        if (depth == shape.length - 1) {
            if (!(arr instanceof float[] f)) {
                throw new IllegalArgumentException("Tensor.of: expected float[] at depth " + depth + ", got "
                        + arr.getClass().getSimpleName());
            }
            System.arraycopy(f, 0, dst, pos[0], len);
            pos[0] += len;
            return;
        }
        for (int i = 0; i < len; i++) {
            Object sub = java.lang.reflect.Array.get(arr, i);
            if (sub == null || !sub.getClass().isArray()) {
                throw new IllegalArgumentException("Tensor.of: ragged array at depth " + depth);
            }
            fill(sub, depth + 1, shape, dst, pos);
        }
    }

    /** Uniform values in [0, 1) from {@code rng}. */
    public static Tensor rand(Rng rng, int... shape) {
        Tensor t = empty(shape);
        rng.fillUniform(t.storage.data(), 0, t.numel(), 0f, 1f);
        return t;
    }

    /** Standard normal values from {@code rng}. */
    public static Tensor randn(Rng rng, int... shape) {
        Tensor t = empty(shape);
        rng.fillNormal(t.storage.data(), 0, t.numel(), 0f, 1f);
        return t;
    }

    // ---------------------------------------------------------------- metadata and raw access

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code d} (negative counts from the end). */
    public int size(int d) {
        return shape[Shapes.dim("size", d, shape.length)];
    }

    /** Number of dimensions. */
    public int dim() {
        return shape.length;
    }

    /** Number of elements. */
    public int numel() {
        return Shapes.numel(shape);
    }

    /** A copy of the strides, in elements. */
    public int[] strides() {
        return strides.clone();
    }

    /** Index of the first element in {@link #data()}. */
    public int offset() {
        return offset;
    }

    /**
     * The backing array shared with every view of this tensor. Element {@code [i0, i1, ...]} is at
     * {@code offset() + i0*strides()[0] + i1*strides()[1] + ...}. Kernels use it; writing to it bypasses autograd.
     *
     * @throws IllegalStateException if the storage was released by its memory scope
     */
    public float[] data() {
        return storage.data();
    }

    /** The storage, shared with views. */
    public Storage storage() {
        return storage;
    }

    /** True if elements are laid out row-major without gaps (so {@code data()[offset() + i]} is element i). */
    public boolean isContiguous() {
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != s) {
                return false;
            }
            s *= shape[i];
        }
        return true;
    }

    /** An optional name used in messages and profiles. */
    public String name() {
        return name;
    }

    /** Sets the name used in messages and profiles; returns this. */
    public Tensor named(String n) {
        this.name = n;
        return this;
    }

    /**
     * The values, row-major, in an array whose index 0 holds the first element: the backing array itself (no copy;
     * a kernel's writes reach this tensor) when the tensor is contiguous and starts at offset 0, else a contiguous
     * copy. For kernels that index from 0.
     *
     * @throws IllegalStateException if the storage was released by its memory scope
     */
    public float[] dataFromZero() {
        Tensor c = contiguous();
        return c.offset == 0 ? c.data() : c.toFloatArray();
    }

    /** The values, row-major, in a new array. */
    public float[] toFloatArray() {
        float[] out = new float[numel()];
        StridedCopy.copy(storage.data(), offset, shape, strides, out, 0);
        return out;
    }

    /**
     * The single value of a one-element tensor.
     *
     * @throws IllegalStateException if the tensor has more than one element
     */
    public float item() {
        if (numel() != 1) {
            throw new IllegalStateException("item: tensor of shape " + Shapes.str(shape) + " has " + numel() + " elements, not 1");
        }
        return storage.data()[offset];
    }

    /**
     * The element at {@code index}.
     *
     * @throws IndexOutOfBoundsException naming the index and the shape
     */
    public float get(int... index) {
        return storage.data()[flatIndex(index)];
    }

    /** Sets the element at {@code index} in place, bypassing autograd. */
    public void set(float value, int... index) {
        storage.data()[flatIndex(index)] = value;
    }

    private int flatIndex(int[] index) {
        if (index.length != shape.length) {
            throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " for shape " + Shapes.str(shape));
        }
        int p = offset;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " for shape " + Shapes.str(shape));
            }
            p += index[i] * strides[i];
        }
        return p;
    }

    // ---------------------------------------------------------------- autograd

    /** True if gradients flow to or through this tensor. */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /**
     * Marks a leaf as requiring a gradient; returns this.
     *
     * @throws IllegalStateException if this tensor is the output of an op (only leaves can be marked)
     */
    public Tensor requiresGrad(boolean value) {
        if (gradFn != null && !value) {
            throw new IllegalStateException("requiresGrad(false) on the output of '" + gradFn.op() + "': use detach()");
        }
        this.requiresGrad = value;
        return this;
    }

    /** The accumulated gradient of a leaf, or null before the first backward. */
    public Tensor grad() {
        return grad;
    }

    /**
     * Replaces the gradient (used by optimizers and checkpoint loading). A non-contiguous {@code g} (a transposed
     * or broadcast view) is stored as a contiguous copy counted as {@link MemoryCategory#GRADIENT}, because
     * accumulation, clipping and optimizers update gradients in place as flat arrays.
     *
     * @throws IllegalArgumentException if {@code g}'s shape differs from this tensor's
     */
    public void setGrad(Tensor g) {
        if (g != null && !Arrays.equals(g.shape, shape)) {
            throw new IllegalArgumentException("setGrad: gradient shape " + Shapes.str(g.shape) + " differs from tensor shape "
                    + Shapes.str(shape));
        }
        this.grad = g == null || g.isContiguous() ? g : g.copyAs(MemoryCategory.GRADIENT);
    }

    /** The node that produced this tensor, or null for a leaf. */
    public Node gradFn() {
        return gradFn;
    }

    void setGradFn(Node n) {
        this.gradFn = n;
        this.requiresGrad = true;
    }

    /** True if no op produced this tensor. */
    public boolean isLeaf() {
        return gradFn == null;
    }

    /**
     * Back-propagates from this scalar: d(this)/d(leaf) is accumulated into every leaf that requires a gradient.
     * The graph's saved tensors are freed afterwards.
     *
     * @throws IllegalStateException if this tensor does not require a gradient or has more than one element
     */
    public void backward() {
        Autograd.backward(this, null, false);
    }

    /**
     * Back-propagates with {@code seed} as d(loss)/d(this).
     *
     * @throws IllegalArgumentException if {@code seed}'s shape differs from this tensor's
     */
    public void backward(Tensor seed) {
        Autograd.backward(this, seed, false);
    }

    /** Back-propagates, keeping the saved tensors so that backward can run again through the same graph. */
    public void backward(Tensor seed, boolean retainGraph) {
        Autograd.backward(this, seed, retainGraph);
    }

    /** A tensor sharing this storage but cut from the graph. */
    public Tensor detach() {
        return new Tensor(storage, shape, strides, offset);
    }

    // ---------------------------------------------------------------- views

    /**
     * The same elements with a new shape; one size may be -1 and is inferred. A view when the strides allow it
     * (always for a contiguous tensor; for a strided one when every group of dimensions that is merged or split
     * is laid out as one run, as PyTorch's {@code view}), a copy otherwise. A view of a strided tensor is not
     * contiguous: kernels that index raw data call {@link #contiguous()} first.
     *
     * @throws IllegalArgumentException if the element counts differ
     */
    public Tensor reshape(int... newShape) {
        int[] s = inferShape(newShape);
        if (Arrays.equals(s, shape)) {
            return this;
        }
        int[] st = isContiguous() ? Shapes.contiguousStrides(s) : viewStrides(s);
        Tensor src = this;
        if (st == null) {
            src = contiguous();
            st = Shapes.contiguousStrides(s);
        }
        int[] inShape = shape.clone();
        return new ViewOp("reshape", new Tensor(src.storage, s, st, src.offset), g -> g.reshape(inShape)).apply(src);
    }

    /**
     * Strides that show this tensor's elements, in row-major order, with shape {@code s}; null if no strides can
     * (a dimension group to merge is not one run in memory). PyTorch's {@code computeStride}: walk the old
     * dimensions from the last, cut them into runs where a stride breaks, and lay the new dimensions over each
     * run.
     */
    private int[] viewStrides(int[] s) {
        int[] st = new int[s.length];
        if (numel() == 0) {
            return Shapes.contiguousStrides(s);
        }
        int viewD = s.length - 1;
        long chunkBase = strides[strides.length - 1];
        long tensorNumel = 1;
        long viewNumel = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            tensorNumel *= shape[d];
            if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensorNumel * chunkBase)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || s[viewD] == 1)) {
                    st[viewD] = (int) (viewNumel * chunkBase);
                    viewNumel *= s[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) {
                    return null;
                }
                if (d > 0) {
                    chunkBase = strides[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? st : null;
    }

    private int[] inferShape(int[] newShape) {
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("reshape: more than one -1 in " + Shapes.str(newShape));
                }
                infer = i;
            } else {
                if (s[i] < 0) {
                    throw new IllegalArgumentException("reshape: negative size in " + Shapes.str(newShape));
                }
                known *= s[i];
            }
        }
        int n = numel();
        if (infer >= 0) {
            if (known == 0 || n % known != 0) {
                throw new IllegalArgumentException("reshape: cannot reshape " + Shapes.str(shape) + " (" + n + " elements) to "
                        + Shapes.str(newShape));
            }
            s[infer] = (int) (n / known);
        } else if (known != n) {
            throw new IllegalArgumentException("reshape: cannot reshape " + Shapes.str(shape) + " (" + n + " elements) to "
                    + Shapes.str(newShape) + " (" + known + " elements)");
        }
        return s;
    }

    /** Flattens dimensions {@code from..end} into one: {@code [N, C, H, W].flatten(1) -> [N, C*H*W]}. */
    public Tensor flatten(int from) {
        int f = Shapes.dim("flatten", from, shape.length);
        int[] s = new int[f + 1];
        System.arraycopy(shape, 0, s, 0, f);
        s[f] = -1;
        if (numel() == 0) {
            s[f] = 0;
        }
        return reshape(s);
    }

    /**
     * Reorders dimensions: output dimension i is input dimension {@code dims[i]}. A view.
     *
     * @throws IllegalArgumentException if {@code dims} is not a permutation of the dimensions
     */
    public Tensor permute(int... dims) {
        if (dims.length != shape.length) {
            throw new IllegalArgumentException("permute: " + Arrays.toString(dims) + " for a tensor of shape " + Shapes.str(shape));
        }
        int[] s = new int[dims.length];
        int[] st = new int[dims.length];
        int[] inverse = new int[dims.length];
        boolean[] seen = new boolean[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int d = Shapes.dim("permute", dims[i], shape.length);
            if (seen[d]) {
                throw new IllegalArgumentException("permute: repeated dimension in " + Arrays.toString(dims));
            }
            seen[d] = true;
            s[i] = shape[d];
            st[i] = strides[d];
            inverse[d] = i;
        }
        return new ViewOp("permute", new Tensor(storage, s, st, offset), g -> g.permute(inverse)).apply(this);
    }

    /** Swaps two dimensions. A view. */
    public Tensor transpose(int d0, int d1) {
        int a = Shapes.dim("transpose", d0, shape.length);
        int b = Shapes.dim("transpose", d1, shape.length);
        int[] p = new int[shape.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = i;
        }
        p[a] = b;
        p[b] = a;
        return permute(p);
    }

    /** The transpose of a matrix: {@code transpose(0, 1)}. */
    public Tensor t() {
        if (shape.length != 2) {
            throw new IllegalArgumentException("t: expected a matrix, got shape " + Shapes.str(shape));
        }
        return transpose(0, 1);
    }

    /**
     * Elements {@code start .. start+length-1} along {@code dim}. A view.
     *
     * @throws IllegalArgumentException if the range is outside the dimension
     */
    public Tensor narrow(int dim, int start, int length) {
        int d = Shapes.dim("narrow", dim, shape.length);
        if (start < 0 || length < 0 || start + length > shape[d]) {
            throw new IllegalArgumentException("narrow: range [" + start + ", " + (start + length) + ") outside dimension " + d
                    + " of shape " + Shapes.str(shape));
        }
        int[] s = shape.clone();
        s[d] = length;
        Tensor out = new ViewOp("narrow", new Tensor(storage, s, strides.clone(), offset + start * strides[d]), g -> g)
                .apply(this);
        if (out.gradFn() != null) {
            // The window's own gradient: the backward walk places it in the input (Node.Window).
            out.gradFn().window(new Node.Window(d, start, shape.clone()));
        }
        return out;
    }

    /**
     * Broadcasts to {@code newShape} without copying (stride 0 on expanded dimensions); -1 keeps a size.
     *
     * @throws IllegalArgumentException if a non-1 dimension would change
     */
    public Tensor expand(int... newShape) {
        if (newShape.length < shape.length) {
            throw new IllegalArgumentException("expand: cannot expand " + Shapes.str(shape) + " to fewer dimensions " + Shapes.str(newShape));
        }
        int[] s = newShape.clone();
        int off = s.length - shape.length;
        for (int i = 0; i < shape.length; i++) {
            if (s[i + off] == -1) {
                s[i + off] = shape[i];
            }
            if (shape[i] != 1 && shape[i] != s[i + off]) {
                throw new IllegalArgumentException("expand: cannot expand " + Shapes.str(shape) + " to " + Shapes.str(newShape));
            }
        }
        for (int size : s) {
            if (size < 0) {
                // -1 keeps an existing size; a new leading dimension has none to keep.
                throw new IllegalArgumentException("expand: cannot expand " + Shapes.str(shape) + " to " + Shapes.str(newShape)
                        + ": -1 is only allowed for existing dimensions");
            }
        }
        if (Arrays.equals(s, shape)) {
            return this;
        }
        // The engine sums the gradient back over the broadcast axes.
        return new ViewOp("expand", new Tensor(storage, s, Shapes.broadcastStrides(shape, strides, s), offset), g -> g)
                .apply(this);
    }

    /** Removes dimension {@code dim} if its size is 1. A view, whatever the strides. */
    public Tensor squeeze(int dim) {
        int d = Shapes.dim("squeeze", dim, shape.length);
        if (shape[d] != 1) {
            return this;
        }
        int[] s = new int[shape.length - 1];
        int[] st = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i != d) {
                s[j] = shape[i];
                st[j++] = strides[i];
            }
        }
        return unitDimView("squeeze", s, st);
    }

    /** Inserts a dimension of size 1 at {@code dim} (negative counts from the end). A view, whatever the strides. */
    public Tensor unsqueeze(int dim) {
        int d = dim < 0 ? dim + shape.length + 1 : dim;
        if (d < 0 || d > shape.length) {
            throw new IllegalArgumentException("unsqueeze: dimension " + dim + " out of range for rank " + shape.length);
        }
        int[] s = new int[shape.length + 1];
        int[] st = new int[shape.length + 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (i == d) {
                s[i] = 1;
                // Any stride is valid for a size-1 dimension; this one keeps a contiguous tensor contiguous.
                st[i] = d < shape.length ? strides[d] * shape[d] : 1;
            } else {
                s[i] = shape[j];
                st[i] = strides[j++];
            }
        }
        return unitDimView("unsqueeze", s, st);
    }

    /** A view that only adds or removes size-1 dimensions, so the element order is unchanged. */
    private Tensor unitDimView(String op, int[] s, int[] st) {
        int[] inShape = shape.clone();
        return new ViewOp(op, new Tensor(storage, s, st, offset), g -> g.reshape(inShape)).apply(this);
    }

    /** This tensor if contiguous, else a contiguous copy (differentiable). */
    public Tensor contiguous() {
        if (isContiguous()) {
            return this;
        }
        Tensor out = empty(shape);
        StridedCopy.copy(this, out);
        return new ViewOp("contiguous", out, g -> g).apply(this);
    }

    /** A contiguous copy that shares nothing with this tensor (differentiable). */
    public Tensor copy() {
        Tensor out = empty(shape);
        StridedCopy.copy(this, out);
        return new ViewOp("copy", out, g -> g).apply(this);
    }

    /**
     * The differentiable op of a view or copy of one tensor, made before the call (a view needs no computation):
     * {@link Function#apply} records it, and backward maps the output's gradient to the input's.
     */
    private static final class ViewOp extends Function {
        private final Tensor out;
        private final java.util.function.UnaryOperator<Tensor> gradient;

        ViewOp(String name, Tensor out, java.util.function.UnaryOperator<Tensor> gradient) {
            super(name);
            this.out = out;
            this.gradient = gradient;
        }

        @Override
        protected Tensor forward(Context ctx, Tensor... inputs) {
            return out;
        }

        @Override
        protected Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {gradient.apply(g)};
        }
    }

    /** A contiguous copy outside the graph whose storage is counted in {@code category}. */
    public Tensor copyAs(MemoryCategory category) {
        Tensor out = zeros(category, shape);
        StridedCopy.copy(this, out);
        return out;
    }

    /**
     * Copies {@code src}'s values into this tensor in place, outside autograd (parameter loading, optimizers).
     *
     * @throws IllegalArgumentException if the shapes differ
     */
    public void copyFrom(Tensor src) {
        if (!Arrays.equals(src.shape, shape)) {
            throw new IllegalArgumentException("copyFrom: source shape " + Shapes.str(src.shape) + " differs from " + Shapes.str(shape));
        }
        StridedCopy.copy(src, this);
    }

    // ---------------------------------------------------------------- arithmetic (see org.quadralib.core.ops)

    /** Element-wise {@code this + other}, broadcasting. */
    public Tensor add(Tensor other) {
        return Binary.add(this, other);
    }

    /** {@code this + value}. */
    public Tensor add(float value) {
        return Unary.addScalar(this, value);
    }

    /** Element-wise {@code this - other}, broadcasting. */
    public Tensor sub(Tensor other) {
        return Binary.sub(this, other);
    }

    /** {@code this - value}. */
    public Tensor sub(float value) {
        return Unary.addScalar(this, -value);
    }

    /** Element-wise {@code this * other}, broadcasting. */
    public Tensor mul(Tensor other) {
        return Binary.mul(this, other);
    }

    /** {@code this * value}. */
    public Tensor mul(float value) {
        return Unary.mulScalar(this, value);
    }

    /** Element-wise {@code this / other}, broadcasting. */
    public Tensor div(Tensor other) {
        return Binary.div(this, other);
    }

    /** {@code this / value}. */
    public Tensor div(float value) {
        return Unary.mulScalar(this, 1f / value);
    }

    /** {@code -this}. */
    public Tensor neg() {
        return Unary.mulScalar(this, -1f);
    }

    /** {@code this ^ exponent}, element-wise. */
    public Tensor pow(float exponent) {
        return Unary.pow(this, exponent);
    }

    /** e^x. */
    public Tensor exp() {
        return Unary.exp(this);
    }

    /** Natural logarithm. */
    public Tensor log() {
        return Unary.log(this);
    }

    /** Square root. */
    public Tensor sqrt() {
        return Unary.sqrt(this);
    }

    /** |x|. */
    public Tensor abs() {
        return Unary.abs(this);
    }

    /** max(x, 0). */
    public Tensor relu() {
        return Unary.relu(this);
    }

    /** 1 / (1 + e^-x). */
    public Tensor sigmoid() {
        return Unary.sigmoid(this);
    }

    /** Hyperbolic tangent. */
    public Tensor tanh() {
        return Unary.tanh(this);
    }

    /** GELU, {@code x·Φ(x)} with the exact normal CDF Φ. */
    public Tensor gelu() {
        return Unary.gelu(this);
    }

    /** {@code x} where {@code x > 0}, {@code slope·x} elsewhere. */
    public Tensor leakyRelu(float slope) {
        return Unary.leakyRelu(this, slope);
    }

    /**
     * Each element limited to {@code [min, max]}; the gradient passes where the input lies within the bounds.
     *
     * @throws IllegalArgumentException if min &gt; max
     */
    public Tensor clamp(float min, float max) {
        return Unary.clamp(this, min, max);
    }

    /** Matrix product, batched over leading dimensions. See {@link Linear#matmul}. */
    public Tensor matmul(Tensor other) {
        return Linear.matmul(this, other);
    }

    /** Sum of all elements, as a scalar. */
    public Tensor sum() {
        return Reduce.sum(this, null, false);
    }

    /** Sum over {@code dims}. */
    public Tensor sum(int[] dims, boolean keepDim) {
        return Reduce.sum(this, dims, keepDim);
    }

    /** Mean of all elements. */
    public Tensor mean() {
        return Reduce.mean(this, null, false);
    }

    /** Mean over {@code dims}. */
    public Tensor mean(int[] dims, boolean keepDim) {
        return Reduce.mean(this, dims, keepDim);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor").append(Shapes.str(shape));
        if (gradFn != null) {
            sb.append(" grad_fn=").append(gradFn.op());
        } else if (requiresGrad) {
            sb.append(" requires_grad");
        }
        if (!storage.isReleased() && numel() <= 16) {
            sb.append(' ').append(Arrays.toString(toFloatArray()));
        }
        return sb.toString();
    }

    /** Creates a view; for ops in this library that build views by hand. */
    static Tensor view(Tensor base, int[] shape, int[] strides, int offset) {
        return new Tensor(base.storage, shape, strides, offset);
    }
}
