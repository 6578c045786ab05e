package org.quadralib.core.ops;

import java.util.Arrays;

import org.quadralib.core.Parallel;
import org.quadralib.core.Shapes;
import org.quadralib.core.Tensor;
import org.quadralib.core.kernels.Elementwise;

/**
 * In-place updates outside autograd: gradient accumulation and optimizer steps. They write through
 * {@link Tensor#data()} and must not be applied to tensors a recorded graph still needs.
 */
public final class InPlace {

    private InPlace() {
    }

    /**
     * {@code dst += src}.
     *
     * @throws IllegalArgumentException if the shapes differ or {@code dst} is not contiguous
     */
    public static void addInto(Tensor dst, Tensor src) {
        axpy(1f, src, dst);
    }

    /**
     * {@code dst += alpha * src}.
     *
     * @throws IllegalArgumentException if the shapes differ or {@code dst} is not contiguous
     */
    public static void axpy(float alpha, Tensor src, Tensor dst) {
        if (!Arrays.equals(dst.shape(), src.shape())) {
            throw new IllegalArgumentException("axpy: shapes " + Shapes.str(src.shape()) + " and " + Shapes.str(dst.shape()) + " differ");
        }
        if (!dst.isContiguous()) {
            throw new IllegalArgumentException("axpy: destination must be contiguous");
        }
        Tensor s = src.contiguous();
        // Gradient accumulation runs on activation-sized tensors in backward: split like any element-wise op.
        Elementwise.axpy(alpha, s.data(), s.offset(), dst.data(), dst.offset(), dst.numel());
    }

    /** {@code dst *= alpha}. */
    public static void scale(Tensor dst, float alpha) {
        float[] d = dst.data();
        int off = dst.offset();
        for (int i = 0, n = dst.numel(); i < n; i++) {
            d[off + i] *= alpha;
        }
    }

    /** Sets every element of a contiguous tensor to {@code value}. */
    public static void fill(Tensor dst, float value) {
        float[] d = dst.data();
        int off = dst.offset();
        Parallel.forRange(dst.numel(), 1 << 16, (from, to) -> Arrays.fill(d, off + from, off + to, value));
    }
}
