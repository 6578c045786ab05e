package org.quadralib.layers;

import org.quadralib.core.kernels.ConvKernels;
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

    /** {@code y = W ⋆ patches(x[first .. first+count))}, y {@code [count, groups, rows, L]} overwritten. */
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

        @Override
        void forward(float[] x, int first, int count, float[] w, int rows, float[] y) {
            Gemm.sgemm(false, true, count, rows, patch, 1f, x, first * patch, patch, w, 0, patch, 0f, y, 0, rows);
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

        @Override
        void forward(float[] x, int first, int count, float[] w, int rows, float[] y) {
            ConvKernels.forward(geometry(count, rows), slice(x, first, count, "quadratic.x"), w, null, y);
        }

        @Override
        void backwardInput(float[] gy, int first, int count, float[] w, int rows, float[] gx) {
            int size = count * itemSize();
            float[] part = Workspace.get("quadratic.gx", size);
            ConvKernels.backwardInput(geometry(count, rows), gy, w, part);
            int off = first * itemSize();
            for (int i = 0; i < size; i++) {
                gx[off + i] += part[i];
            }
        }

        @Override
        void backwardWeight(float[] gy, float[] x, int first, int count, int rows, float[] gw) {
            ConvKernels.backwardWeight(geometry(count, rows), gy, slice(x, first, count, "quadratic.x"), gw, null);
        }
    }
}
