package org.quadralib.core;

import java.util.Arrays;

/** Shape arithmetic shared by tensors and ops: sizes, strides, broadcasting, dimension checks. */
public final class Shapes {

    private Shapes() {
    }

    /** Product of the sizes; throws if it overflows an int. */
    public static int numel(int[] shape) {
        long n = 1;
        for (int s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException("negative size in shape " + str(shape));
            }
            n *= s;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + str(shape) + " has more than 2^31-1 elements");
            }
        }
        return (int) n;
    }

    /** Row-major strides for {@code shape}. */
    public static int[] contiguousStrides(int[] shape) {
        int[] st = new int[shape.length];
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= Math.max(shape[i], 1);
        }
        return st;
    }

    /** {@code [2, 3, 4]}. */
    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    /**
     * Normalises a possibly negative dimension index.
     *
     * @throws IllegalArgumentException naming {@code op} if out of range
     */
    public static int dim(String op, int d, int rank) {
        int r = d < 0 ? d + rank : d;
        if (r < 0 || r >= rank) {
            throw new IllegalArgumentException(op + ": dimension " + d + " out of range for a tensor of rank " + rank);
        }
        return r;
    }

    /**
     * The NumPy broadcast of two shapes.
     *
     * @throws IllegalArgumentException naming {@code op} and both shapes if they do not broadcast
     */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i - (rank - a.length);
            int db = i - (rank - b.length);
            int sa = da >= 0 ? a[da] : 1;
            int sb = db >= 0 ? b[db] : 1;
            if (sa != sb && sa != 1 && sb != 1) {
                throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b) + " do not broadcast (dimension "
                        + i + ": " + sa + " vs " + sb + ")");
            }
            out[i] = sa == 1 ? sb : sa;
        }
        return out;
    }

    /** Strides to read a tensor of {@code shape}/{@code strides} as if it had {@code target} shape (0 on broadcast dims). */
    public static int[] broadcastStrides(int[] shape, int[] strides, int[] target) {
        int[] out = new int[target.length];
        int off = target.length - shape.length;
        for (int i = 0; i < shape.length; i++) {
            out[i + off] = shape[i] == 1 && target[i + off] != 1 ? 0 : strides[i];
        }
        return out;
    }
}
