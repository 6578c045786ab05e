package org.quadralib.core.ops;

import java.util.Arrays;

import org.quadralib.core.Function;
import org.quadralib.core.Shapes;
import org.quadralib.core.Tensor;
import org.quadralib.core.kernels.Elementwise;
import org.quadralib.core.kernels.Elementwise.BinaryOp;

/**
 * Broadcasting binary arithmetic: add, sub, mul, div. Gradients are returned in the broadcast shape; the
 * engine sums them back to each input's shape.
 */
public final class Binary {

    private Binary() {
    }

    /** {@code a + b}, broadcasting. @throws IllegalArgumentException if the shapes do not broadcast */
    public static Tensor add(Tensor a, Tensor b) {
        return new Function("add") {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                return compute("add", BinaryOp.ADD, in[0], in[1]);
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                return new Tensor[] {g, g};
            }
        }.apply(a, b);
    }

    /** {@code a - b}, broadcasting. @throws IllegalArgumentException if the shapes do not broadcast */
    public static Tensor sub(Tensor a, Tensor b) {
        return new Function("sub") {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                return compute("sub", BinaryOp.SUB, in[0], in[1]);
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                return new Tensor[] {g, ctx.needsInputGrad(1) ? g.neg() : null};
            }
        }.apply(a, b);
    }

    /** {@code a * b}, element-wise, broadcasting. d/da = b, d/db = a. */
    public static Tensor mul(Tensor a, Tensor b) {
        return new Function("mul") {
            private int savedA = -1;
            private int savedB = -1;

            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                savedA = ctx.needsInputGrad(1) ? ctx.save(in[0]) : -1;
                savedB = ctx.needsInputGrad(0) ? ctx.save(in[1]) : -1;
                return compute("mul", BinaryOp.MUL, in[0], in[1]);
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                return new Tensor[] {savedB < 0 ? null : g.mul(ctx.saved(savedB)), savedA < 0 ? null : g.mul(ctx.saved(savedA))};
            }
        }.apply(a, b);
    }

    /** {@code a / b}, element-wise, broadcasting. d/da = 1/b, d/db = -a/b². */
    public static Tensor div(Tensor a, Tensor b) {
        return new Function("div") {
            private int savedA = -1;
            private int savedB;

            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                savedA = ctx.needsInputGrad(1) ? ctx.save(in[0]) : -1;
                savedB = ctx.save(in[1]);
                return compute("div", BinaryOp.DIV, in[0], in[1]);
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                Tensor bb = ctx.saved(savedB);
                Tensor ga = ctx.needsInputGrad(0) ? g.div(bb) : null;
                Tensor gb = savedA < 0 ? null : g.mul(ctx.saved(savedA)).div(bb.mul(bb)).neg();
                return new Tensor[] {ga, gb};
            }
        }.apply(a, b);
    }

    /** The forward value of {@code a op b} without recording. */
    static Tensor compute(String name, BinaryOp op, Tensor a, Tensor b) {
        int[] sa = a.shape();
        int[] sb = b.shape();
        if (Arrays.equals(sa, sb) && a.isContiguous() && b.isContiguous()) {
            Tensor out = Tensor.empty(sa);
            Elementwise.binary(op, a.data(), a.offset(), b.data(), b.offset(), out.data(), 0, out.numel());
            return out;
        }
        int[] shape = Shapes.broadcast(name, sa, sb);
        Tensor out = Tensor.empty(shape);
        if (out.numel() == 0) {
            return out;
        }
        Elementwise.binaryBroadcast(op, a.data(), a.offset(), Shapes.broadcastStrides(sa, a.strides(), shape),
                b.data(), b.offset(), Shapes.broadcastStrides(sb, b.strides(), shape), out.data(), shape);
        return out;
    }
}
