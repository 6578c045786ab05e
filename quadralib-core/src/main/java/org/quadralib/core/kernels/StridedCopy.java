package org.quadralib.core.kernels;

import java.util.Arrays;

import org.quadralib.core.Tensor;

/** Copies between strided layouts: the kernel behind {@code contiguous()}, {@code toFloatArray()} and slice writes. */
public final class StridedCopy {

    private StridedCopy() {
    }

    /**
     * Copies the elements of a strided source into a contiguous destination, row-major.
     *
     * @param src source array; element {@code idx} is at {@code srcOff + sum(idx[i] * srcStrides[i])}
     * @param dst destination, written at {@code dst[dstOff .. dstOff + numel)}
     */
    public static void copy(float[] src, int srcOff, int[] shape, int[] srcStrides, float[] dst, int dstOff) {
        if (shape.length == 0) {
            dst[dstOff] = src[srcOff];
            return;
        }
        copyRec(src, srcOff, shape, srcStrides, dst, dstOff, contiguous(shape), 0);
    }

    /**
     * Copies {@code src} into {@code dst} element by element; both may be strided views.
     *
     * @throws IllegalArgumentException if the shapes differ
     */
    public static void copy(Tensor src, Tensor dst) {
        int[] shape = src.shape();
        if (!Arrays.equals(shape, dst.shape())) {
            throw new IllegalArgumentException("copy: source shape " + Arrays.toString(shape) + " differs from destination "
                    + Arrays.toString(dst.shape()));
        }
        if (shape.length == 0) {
            dst.data()[dst.offset()] = src.data()[src.offset()];
            return;
        }
        if (src.isContiguous() && dst.isContiguous()) {
            System.arraycopy(src.data(), src.offset(), dst.data(), dst.offset(), src.numel());
            return;
        }
        copyRec(src.data(), src.offset(), shape, src.strides(), dst.data(), dst.offset(), dst.strides(), 0);
    }

    private static int[] contiguous(int[] shape) {
        int[] st = new int[shape.length];
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= shape[i];
        }
        return st;
    }

    private static void copyRec(float[] src, int so, int[] shape, int[] ss, float[] dst, int dOff, int[] ds, int d) {
        int n = shape[d];
        int sst = ss[d];
        int dst_ = ds[d];
        if (d == shape.length - 1) {
            if (sst == 1 && dst_ == 1) {
                System.arraycopy(src, so, dst, dOff, n);
            } else {
                for (int i = 0; i < n; i++) {
                    dst[dOff + i * dst_] = src[so + i * sst];
                }
            }
            return;
        }
        for (int i = 0; i < n; i++) {
            copyRec(src, so + i * sst, shape, ss, dst, dOff + i * dst_, ds, d + 1);
        }
    }
}
