package org.quadralib.layers;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

import org.quadralib.core.InferenceMode;
import org.quadralib.core.Tensor;
import org.quadralib.core.kernels.ConvKernels;
import org.quadralib.core.kernels.Elementwise;
import org.quadralib.core.kernels.Gemm;
import org.quadralib.core.memory.Workspace;

/**
 * The geometry-dependent half of a quadratic layer's hand-written computation: stacked weights applied to the
 * patches of an input, on raw arrays, forward and transposed.
 *
 * <p>An input holds {@code items} (rows of a linear layer, images of a convolution); each item has {@code groups}
 * blocks of {@code positions} (L) patches of {@code patch} (n) values. A stacked weight {@code [groups, rows, n]}
 * applied to items {@code first .. first+count-1} gives {@code [count, groups, rows, L]}: for a linear layer
 * {@code [count, rows]}, for a convolution the NCHW output of a convolution with {@code groups·rows} channels. All
 * arrays are contiguous and start at index 0; offsets of an item range are computed here.
 */
abstract class QuadraticProjection {

    final int items;
    final int groups;
    final int patch;
    final int positions;

    QuadraticProjection(int items, int groups, int patch, int positions) {
        this.items = items;
        this.groups = groups;
        this.patch = patch;
        this.positions = positions;
    }

    /** Floats of one input item. */
    abstract int itemSize();

    /**
     * True if the patches are the input rows themselves (a linear layer); false if they only exist unfolded
     * (a convolution, where a quadratic form gets them from identity rows stacked onto its weights).
     */
    abstract boolean patchesAreInput();

    /**
     * Prepares the stacked weight {@code w} ({@code rows} per group) for the chunk loop that follows: until
     * {@link #release()}, {@link #forward} (when {@code forward}) and {@link #backwardInput} (when {@code backward})
     * called with this very array read what is computed here once (a convolution packs its weights for the GEMM, which
     * it otherwise does for every chunk). {@code alloc} supplies the counted buffers. The default prepares nothing.
     */
    void prepare(float[] w, int rows, boolean forward, boolean backward, IntFunction<float[]> alloc) {
    }

    /**
     * Inside an {@link InferenceMode} scope, takes the layout of {@code weights} stacked ({@code rows} per group) from
     * the scope's cache, made there on first use: until {@link #release()}, {@link #forward} called with a null weight
     * array reads it, and the caller need not stack the weights at all. False, with nothing prepared, outside a scope
     * or when the weights cannot be cached (see {@link InferenceMode}).
     */
    abstract boolean prepareFromScope(List<Tensor> weights, int rows);

    /** Ends what {@link #prepare} and {@link #prepareFromScope} began: later calls read their weight arrays afresh. */
    void release() {
    }

    /**
     * {@code y = W ⋆ patches(x[first .. first+count))}, y {@code [count, groups, rows, L]} overwritten; a null
     * {@code w} stands for the weights of {@link #prepareFromScope}.
     */
    abstract void forward(float[] x, int first, int count, float[] w, int rows, float[] y);

    /** {@code gx[first .. first+count) += Wᵀ ⋆ gy}: the input gradient of {@link #forward}, accumulated. */
    abstract void backwardInput(float[] gy, int first, int count, float[] w, int rows, float[] gx);

    /** {@code gw = Σ gy · patchesᵀ} over items {@code first .. first+count)}; gw {@code [groups, rows, n]} overwritten. */
    abstract void backwardWeight(float[] gy, float[] x, int first, int count, int rows, float[] gw);

    /** A linear layer: rows of {@code n} values, one patch each. */
    static final class Dense extends QuadraticProjection {

        Dense(int rows, int features) {
            super(rows, 1, features, 1);
        }

        @Override
        int itemSize() {
            return patch;
        }

        @Override
        boolean patchesAreInput() {
            return true;
        }

        /** The scope's packed {@code Wᵀ} of the stacked weights, between prepareFromScope and release. */
        private Gemm.PackedB scoped;

        @Override
        boolean prepareFromScope(List<Tensor> weights, int rows) {
            scoped = InferenceMode.transposedWeights(weights);
            return scoped != null;
        }

        @Override
        void release() {
            scoped = null;
        }

        @Override
        void forward(float[] x, int first, int count, float[] w, int rows, float[] y) {
            if (w == null) {
                Gemm.sgemm(false, count, 1f, x, first * patch, patch, scoped, 0f, y, 0, rows);
            } else {
                Gemm.sgemm(false, true, count, rows, patch, 1f, x, first * patch, patch, w, 0, patch, 0f, y, 0, rows);
            }
        }

        @Override
        void backwardInput(float[] gy, int first, int count, float[] w, int rows, float[] gx) {
            Gemm.sgemm(false, false, count, patch, rows, 1f, gy, 0, rows, w, 0, patch, 1f, gx, first * patch, patch);
        }

        @Override
        void backwardWeight(float[] gy, float[] x, int first, int count, int rows, float[] gw) {
            Gemm.sgemm(true, false, rows, patch, count, 1f, gy, 0, rows, x, first * patch, patch, 0f, gw, 0, patch);
        }
    }

    /** A convolution: im2col + GEMM through {@link ConvKernels}, so the unfolding lives in one place. */
    static final class Conv extends QuadraticProjection {
        private final ConvKernels.Geometry geometry;

        /** @param geometry the layer's convolution for the whole batch; its output channel count is ignored */
        Conv(ConvKernels.Geometry geometry) {
            super(geometry.n(), geometry.groups(), geometry.patch(), geometry.outH() * geometry.outW());
            this.geometry = geometry;
        }

        @Override
        int itemSize() {
            return geometry.c() * geometry.h() * geometry.w();
        }

        @Override
        boolean patchesAreInput() {
            return false;
        }

        private ConvKernels.Geometry geometry(int count, int rows) {
            ConvKernels.Geometry g = geometry;
            return new ConvKernels.Geometry(count, g.c(), g.h(), g.w(), g.groups() * rows, g.kh(), g.kw(), g.sh(), g.sw(), g.ph(), g.pw(),
                    g.dh(), g.dw(), g.groups());
        }

        /** The kernels read images from index 0: a sub-range is copied to a workspace first. */
        private float[] slice(float[] x, int first, int count, String key) {
            if (first == 0) {
                return x;
            }
            float[] s = Workspace.get(key, count * itemSize());
            System.arraycopy(x, first * itemSize(), s, 0, count * itemSize());
            return s;
        }

        /** A stacked weight packed by {@link #prepare}, for the forward pass and (or) the input gradient. */
        private record Packed(float[] w, int rows, ConvKernels.PackedWeight forward,
                              ConvKernels.PackedWeight backward) {
        }

        private final List<Packed> prepared = new ArrayList<>();

        @Override
        void prepare(float[] w, int rows, boolean forward, boolean backward, IntFunction<float[]> alloc) {
            ConvKernels.Geometry g = geometry(1, rows);
            ConvKernels.PackedWeight f = forward && ConvKernels.packedWeightSize(g, false) > 0
                    ? ConvKernels.packWeight(g, false, w, alloc.apply(ConvKernels.packedWeightSize(g, false))) : null;
            ConvKernels.PackedWeight b = backward && ConvKernels.packedWeightSize(g, true) > 0
                    ? ConvKernels.packWeight(g, true, w, alloc.apply(ConvKernels.packedWeightSize(g, true))) : null;
            prepared.add(new Packed(w, rows, f, b));
        }

        /** The scope's prepared forward weights of the stacked weights, between prepareFromScope and release. */
        private ConvKernels.PackedWeight scoped;

        @Override
        boolean prepareFromScope(List<Tensor> weights, int rows) {
            scoped = InferenceMode.convWeights(geometry(1, rows), weights);
            return scoped != null;
        }

        @Override
        void release() {
            prepared.clear();
            scoped = null;
        }

        /** The prepared weight for {@code w} and {@code rows}, or null. */
        private Packed packed(float[] w, int rows) {
            for (Packed p : prepared) {
                if (p.w() == w && p.rows() == rows) {
                    return p;
                }
            }
            return null;
        }

        @Override
        void forward(float[] x, int first, int count, float[] w, int rows, float[] y) {
            Packed p = w == null ? null : packed(w, rows);
            ConvKernels.forward(geometry(count, rows), slice(x, first, count, "quadratic.x"), w,
                    w == null ? scoped : p == null ? null : p.forward(), null, y);
        }

        @Override
        void backwardInput(float[] gy, int first, int count, float[] w, int rows, float[] gx) {
            int size = count * itemSize();
            float[] part = Workspace.get("quadratic.gx", size);
            Packed p = packed(w, rows);
            ConvKernels.backwardInput(geometry(count, rows), gy, w, p == null ? null : p.backward(), part);
            // gx += part for these items, split over threads
            Elementwise.axpy(1f, part, 0, gx, first * itemSize(), size);
        }

        @Override
        void backwardWeight(float[] gy, float[] x, int first, int count, int rows, float[] gw) {
            ConvKernels.backwardWeight(geometry(count, rows), gy, slice(x, first, count, "quadratic.x"), gw, null);
        }
    }
}
