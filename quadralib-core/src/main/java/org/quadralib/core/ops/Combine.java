package org.quadralib.core.ops;

import java.util.Arrays;

import org.quadralib.core.Function;
import org.quadralib.core.Rng;
import org.quadralib.core.Shapes;
import org.quadralib.core.Tensor;
import org.quadralib.core.kernels.StridedCopy;

/** Concatenation, stacking, selection by mask and dropout. */
public final class Combine {

    private Combine() {
    }

    /**
     * Concatenates along {@code dim}; all other sizes must agree. Backward slices the gradient.
     *
     * @throws IllegalArgumentException naming the offending shapes
     */
    public static Tensor cat(int dim, Tensor... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("cat: no tensors");
        }
        int rank = parts[0].dim();
        int d = Shapes.dim("cat", dim, rank);
        int[] shape = parts[0].shape();
        int total = 0;
        for (Tensor p : parts) {
            int[] s = p.shape();
            if (s.length != rank) {
                throw new IllegalArgumentException("cat: ranks differ, " + Shapes.str(shape) + " and " + Shapes.str(s));
            }
            for (int i = 0; i < rank; i++) {
                if (i != d && s[i] != shape[i]) {
                    throw new IllegalArgumentException("cat: shapes " + Shapes.str(shape) + " and " + Shapes.str(s)
                            + " differ outside dimension " + d);
                }
            }
            total += s[d];
        }
        shape[d] = total;
        return new Function("cat") {
            private final int[] starts = new int[parts.length];

            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                Tensor out = Tensor.empty(shape);
                int at = 0;
                for (int i = 0; i < in.length; i++) {
                    starts[i] = at;
                    int len = in[i].size(d);
                    StridedCopy.copy(in[i], out.narrow(d, at, len));
                    at += len;
                }
                return out;
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                Tensor[] gs = new Tensor[parts.length];
                for (int i = 0; i < parts.length; i++) {
                    gs[i] = ctx.needsInputGrad(i) ? g.narrow(d, starts[i], parts[i].size(d)) : null;
                }
                return gs;
            }
        }.apply(parts);
    }

    /** Stacks equal-shaped tensors along a new dimension {@code dim}. */
    public static Tensor stack(int dim, Tensor... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("stack: no tensors");
        }
        Tensor[] u = new Tensor[parts.length];
        for (int i = 0; i < parts.length; i++) {
            if (!Arrays.equals(parts[i].shape(), parts[0].shape())) {
                throw new IllegalArgumentException("stack: shapes " + Shapes.str(parts[0].shape()) + " and "
                        + Shapes.str(parts[i].shape()) + " differ");
            }
            u[i] = parts[i].unsqueeze(dim);
        }
        return cat(dim, u);
    }

    /**
     * {@code out = mask ≠ 0 ? a : b}, all three broadcasting; the mask gets no gradient.
     */
    public static Tensor where(Tensor mask, Tensor a, Tensor b) {
        int[] shape = Shapes.broadcast("where", Shapes.broadcast("where", mask.shape(), a.shape()), b.shape());
        Tensor m = mask.detach().expand(shape).contiguous();
        Tensor keep = Tensor.empty(shape);
        float[] md = m.data();
        float[] kd = keep.data();
        for (int i = 0, n = keep.numel(); i < n; i++) {
            kd[i] = md[m.offset() + i] != 0f ? 1f : 0f;
        }
        Tensor drop = Unary.addScalar(Unary.mulScalar(keep, -1f), 1f);
        // Select, rather than blend, so that inf or NaN in the unselected branch cannot leak through 0·inf.
        Tensor ae = a.expand(shape).contiguous();
        Tensor be = b.expand(shape).contiguous();
        return new Function("where") {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                Tensor out = Tensor.empty(shape);
                float[] o = out.data();
                float[] av = in[0].data();
                float[] bv = in[1].data();
                int ao = in[0].offset();
                int bo = in[1].offset();
                for (int i = 0, n = out.numel(); i < n; i++) {
                    o[i] = kd[i] != 0f ? av[ao + i] : bv[bo + i];
                }
                return out;
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                return new Tensor[] {ctx.needsInputGrad(0) ? g.mul(keep) : null, ctx.needsInputGrad(1) ? g.mul(drop) : null};
            }
        }.apply(ae, be);
    }

    /**
     * Inverted dropout: in training each element is zeroed with probability p and the rest scaled by 1/(1−p);
     * the identity otherwise.
     *
     * @throws IllegalArgumentException if p is outside [0, 1)
     */
    public static Tensor dropout(Tensor x, float p, boolean training, Rng rng) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("dropout: probability must be in [0, 1), got " + p);
        }
        if (!training || p == 0f) {
            return x;
        }
        Tensor mask = Tensor.empty(x.shape());
        float[] md = mask.data();
        float scale = 1f / (1f - p);
        for (int i = 0, n = mask.numel(); i < n; i++) {
            md[i] = rng.nextDouble() < p ? 0f : scale;
        }
        return Binary.mul(x, mask);
    }
}
