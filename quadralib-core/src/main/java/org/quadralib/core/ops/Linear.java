package org.quadralib.core.ops;

import java.util.Arrays;

import org.quadralib.core.Function;
import org.quadralib.core.InferenceMode;
import org.quadralib.core.Shapes;
import org.quadralib.core.Tensor;
import org.quadralib.core.kernels.Gemm;

/**
 * Matrix products on the GEMM kernel, with hand-written backward (transposed GEMMs, no transposed copies).
 */
public final class Linear {

    private Linear() {
    }

    /**
     * Matrix product. {@code a [..., m, k] @ b [..., k, n] -> [..., m, n]}, leading (batch) dimensions broadcast;
     * a rank-1 {@code a} is a row vector and a rank-1 {@code b} a column vector, their unit dimension dropped
     * from the result. Backward: dA = dC·Bᵀ, dB = Aᵀ·dC.
     *
     * @throws IllegalArgumentException naming both shapes if the inner dimensions differ or batch dims do not
     *     broadcast
     */
    public static Tensor matmul(Tensor a, Tensor b) {
        if (a.dim() == 0 || b.dim() == 0) {
            throw new IllegalArgumentException("matmul: scalar operand, shapes " + Shapes.str(a.shape()) + " and " + Shapes.str(b.shape()));
        }
        boolean vecA = a.dim() == 1;
        boolean vecB = b.dim() == 1;
        Tensor a2 = vecA ? a.unsqueeze(0) : a;
        Tensor b2 = vecB ? b.unsqueeze(1) : b;
        int[] sa = a2.shape();
        int[] sb = b2.shape();
        int m = sa[sa.length - 2];
        int k = sa[sa.length - 1];
        int n = sb[sb.length - 1];
        if (sb[sb.length - 2] != k) {
            throw new IllegalArgumentException("matmul: inner dimensions differ, shapes " + Shapes.str(a.shape()) + " and "
                    + Shapes.str(b.shape()));
        }
        Tensor out;
        if (sb.length == 2) {
            // Weight-like right operand: fold every batch dimension of a into m, one GEMM.
            Tensor flat = a2.reshape(-1, k);
            out = mm(flat, b2);
            int[] os = sa.clone();
            os[os.length - 1] = n;
            out = out.reshape(os);
        } else {
            int[] batchA = Arrays.copyOf(sa, sa.length - 2);
            int[] batchB = Arrays.copyOf(sb, sb.length - 2);
            int[] batch;
            try {
                batch = Shapes.broadcast("matmul", batchA, batchB);
            } catch (IllegalArgumentException e) {
                // The batch shapes alone do not tell the user which operands were meant.
                throw new IllegalArgumentException("matmul: batch dimensions of " + Shapes.str(a.shape()) + " and "
                        + Shapes.str(b.shape()) + " do not broadcast", e);
            }
            int[] ea = concat(batch, m, k);
            int[] eb = concat(batch, k, n);
            out = bmm(a2.expand(ea), b2.expand(eb), batch, m, k, n);
        }
        if (vecA) {
            out = out.squeeze(-2);
        }
        if (vecB) {
            out = out.squeeze(-1);
        }
        return out;
    }

    private static int[] concat(int[] batch, int r, int c) {
        int[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = r;
        s[batch.length + 1] = c;
        return s;
    }

    /** 2-D product {@code [m, k] @ [k, n]}. */
    private static Tensor mm(Tensor a, Tensor b) {
        Tensor ac = a.contiguous();
        Tensor bc = b.contiguous();
        int m = ac.size(0);
        int k = ac.size(1);
        int n = bc.size(1);
        return new Function("matmul") {
            private int savedA = -1;
            private int savedB = -1;

            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                Tensor out = Tensor.empty(m, n);
                Gemm.sgemm(false, false, m, n, k, 1f, in[0].data(), in[0].offset(), k, in[1].data(), in[1].offset(), n, 0f,
                        out.data(), 0, n);
                savedA = ctx.needsInputGrad(1) ? ctx.save(in[0]) : -1;
                savedB = ctx.needsInputGrad(0) ? ctx.save(in[1]) : -1;
                return out;
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                Tensor gc = g.contiguous();
                Tensor ga = null;
                Tensor gb = null;
                if (savedB >= 0) {
                    Tensor bb = ctx.saved(savedB);
                    ga = Tensor.empty(m, k);
                    Gemm.sgemm(false, true, m, k, n, 1f, gc.data(), gc.offset(), n, bb.data(), bb.offset(), n, 0f, ga.data(), 0, k);
                }
                if (savedA >= 0) {
                    Tensor aa = ctx.saved(savedA);
                    gb = Tensor.empty(k, n);
                    Gemm.sgemm(true, false, k, n, m, 1f, aa.data(), aa.offset(), k, gc.data(), gc.offset(), n, 0f, gb.data(), 0, n);
                }
                return new Tensor[] {ga, gb};
            }
        }.apply(ac, bc);
    }

    /** Batched product of {@code a [batch..., m, k]} and {@code b [batch..., k, n]} (already expanded). */
    private static Tensor bmm(Tensor a, Tensor b, int[] batch, int m, int k, int n) {
        Tensor ac = a.contiguous();
        Tensor bc = b.contiguous();
        int nb = Shapes.numel(batch);
        return new Function("bmm") {
            private int savedA = -1;
            private int savedB = -1;

            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                Tensor out = Tensor.empty(concat(batch, m, n));
                for (int i = 0; i < nb; i++) {
                    Gemm.sgemm(false, false, m, n, k, 1f, in[0].data(), in[0].offset() + i * m * k, k, in[1].data(),
                            in[1].offset() + i * k * n, n, 0f, out.data(), i * m * n, n);
                }
                savedA = ctx.needsInputGrad(1) ? ctx.save(in[0]) : -1;
                savedB = ctx.needsInputGrad(0) ? ctx.save(in[1]) : -1;
                return out;
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                Tensor gc = g.contiguous();
                Tensor ga = null;
                Tensor gb = null;
                if (savedB >= 0) {
                    Tensor bb = ctx.saved(savedB);
                    ga = Tensor.empty(concat(batch, m, k));
                    for (int i = 0; i < nb; i++) {
                        Gemm.sgemm(false, true, m, k, n, 1f, gc.data(), gc.offset() + i * m * n, n, bb.data(), bb.offset() + i * k * n, n,
                                0f, ga.data(), i * m * k, k);
                    }
                }
                if (savedA >= 0) {
                    Tensor aa = ctx.saved(savedA);
                    gb = Tensor.empty(concat(batch, k, n));
                    for (int i = 0; i < nb; i++) {
                        Gemm.sgemm(true, false, k, n, m, 1f, aa.data(), aa.offset() + i * m * k, k, gc.data(), gc.offset() + i * m * n, n,
                                0f, gb.data(), i * k * n, n);
                    }
                }
                return new Tensor[] {ga, gb};
            }
        }.apply(ac, bc);
    }

    /**
     * Affine map {@code y = x·Wᵀ + b}: x {@code [*, in]}, weight {@code [out, in]} (PyTorch's layout), bias
     * {@code [out]} or null; y {@code [*, out]}. One GEMM forward, two backward.
     *
     * @throws IllegalArgumentException naming the shapes if x's last dimension is not {@code in} or the bias length
     *     is not {@code out}
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        if (weight.dim() != 2) {
            throw new IllegalArgumentException("linear: weight must be [out, in], got " + Shapes.str(weight.shape()));
        }
        int outF = weight.size(0);
        int inF = weight.size(1);
        if (x.dim() == 0 || x.size(-1) != inF) {
            throw new IllegalArgumentException("linear: expected input [*, " + inF + "] for weight " + Shapes.str(weight.shape())
                    + ", got " + Shapes.str(x.shape()));
        }
        if (bias != null && (bias.dim() != 1 || bias.size(0) != outF)) {
            throw new IllegalArgumentException("linear: expected bias [" + outF + "], got " + Shapes.str(bias.shape()));
        }
        int[] xs = x.shape();
        Tensor xc = x.contiguous();
        Tensor wc = weight.contiguous();
        Tensor bc = bias == null ? null : bias.contiguous();
        int rows = xc.numel() / Math.max(1, inF);
        int[] ys = xs.clone();
        ys[ys.length - 1] = outF;
        Function linear = new Function("linear") {
            private int savedX = -1;
            private int savedW = -1;

            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                Tensor y = Tensor.empty(ys);
                float[] yd = y.data();
                float beta = 0f;
                if (bc != null) {
                    float[] bd = bc.data();
                    for (int r = 0; r < rows; r++) {
                        System.arraycopy(bd, bc.offset(), yd, r * outF, outF);
                    }
                    beta = 1f;
                }
                Gemm.PackedB packedW = InferenceMode.transposedWeight(weight);
                if (packedW != null) {
                    Gemm.sgemm(false, rows, 1f, xc.data(), xc.offset(), inF, packedW, beta, yd, 0, outF);
                } else {
                    Gemm.sgemm(false, true, rows, outF, inF, 1f, xc.data(), xc.offset(), inF, wc.data(), wc.offset(), inF, beta,
                            yd, 0, outF);
                }
                savedX = ctx.needsInputGrad(1) ? ctx.save(xc) : -1;
                savedW = ctx.needsInputGrad(0) ? ctx.save(wc) : -1;
                return y;
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                Tensor gc = g.contiguous();
                float[] gd = gc.data();
                int go = gc.offset();
                Tensor gx = null;
                Tensor gw = null;
                Tensor gb = null;
                if (savedW >= 0) {
                    Tensor w = ctx.saved(savedW);
                    gx = Tensor.empty(xs);
                    Gemm.sgemm(false, false, rows, inF, outF, 1f, gd, go, outF, w.data(), w.offset(), inF, 0f, gx.data(), 0, inF);
                }
                if (savedX >= 0) {
                    Tensor xx = ctx.saved(savedX);
                    gw = Tensor.empty(outF, inF);
                    Gemm.sgemm(true, false, outF, inF, rows, 1f, gd, go, outF, xx.data(), xx.offset(), inF, 0f, gw.data(), 0, inF);
                }
                if (bc != null && ctx.needsInputGrad(2)) {
                    gb = Tensor.empty(outF);
                    columnSums(gd, go, rows, outF, gb.data());
                }
                return bc == null ? new Tensor[] {gx, gw} : new Tensor[] {gx, gw, gb};
            }
        };
        return bc == null ? linear.apply(xc, wc) : linear.apply(xc, wc, bc);
    }

    /** {@code out[j] = Σ_r a[off + r*cols + j]}, accumulated in double for accuracy. */
    static void columnSums(float[] a, int off, int rows, int cols, float[] out) {
        double[] acc = new double[cols];
        for (int r = 0; r < rows; r++) {
            int base = off + r * cols;
            for (int j = 0; j < cols; j++) {
                acc[j] += a[base + j];
            }
        }
        for (int j = 0; j < cols; j++) {
            out[j] = (float) acc[j];
        }
    }
}
