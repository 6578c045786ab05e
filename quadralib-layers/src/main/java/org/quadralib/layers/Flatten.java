package org.quadralib.layers;

import java.util.Arrays;
import java.util.function.UnaryOperator;

import org.quadralib.core.Tensor;

/**
 * Merges dimensions {@code start..end} into one, as PyTorch's {@code nn.Flatten}: {@code [N, C, H, W] -> [N, C·H·W]}
 * with the defaults {@code start = 1, end = -1} (negative dimensions count from the end). A view when the input is
 * contiguous.
 */
public class Flatten extends Module {
    private final int startDim;
    private final int endDim;

    /** Flattens {@code startDim..endDim}; the range is checked against each input's rank. */
    public Flatten(int startDim, int endDim) {
        this.startDim = startDim;
        this.endDim = endDim;
    }

    /** Flattens every dimension but the batch one. */
    public Flatten() {
        this(1, -1);
    }

    /** The first flattened dimension (negative counts from the end). */
    public int startDim() {
        return startDim;
    }

    /** The last flattened dimension (negative counts from the end). */
    public int endDim() {
        return endDim;
    }

    /** @throws ShapeMismatchException naming this layer's path if the input has too few dimensions for the range */
    @Override
    protected Tensor compute(Tensor x) {
        int rank = x.dim();
        int s = startDim < 0 ? startDim + rank : startDim;
        int e = endDim < 0 ? endDim + rank : endDim;
        int minRank = Math.max(startDim < 0 ? -startDim : startDim + 1, endDim < 0 ? -endDim : endDim + 1);
        expectShape(s >= 0 && e < rank && s <= e, "rank ≥ " + minRank + " (start_dim=" + startDim + ", end_dim=" + endDim + ")", x);
        int[] shape = x.shape();
        int[] out = new int[rank - (e - s)];
        System.arraycopy(shape, 0, out, 0, s);
        int merged = 1;
        for (int d = s; d <= e; d++) {
            merged *= shape[d];
        }
        out[s] = merged;
        System.arraycopy(shape, e + 1, out, s + 1, rank - e - 1);
        return Arrays.equals(out, shape) ? x : x.reshape(out);
    }

    @Override
    protected String extraRepr() {
        return "start_dim=" + startDim + ", end_dim=" + endDim;
    }

    @Override
    public Module freshCopy(UnaryOperator<Module> copyChild) {
        return new Flatten(startDim(), endDim());
    }
}
