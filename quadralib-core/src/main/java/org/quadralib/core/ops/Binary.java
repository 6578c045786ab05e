package org.quadralib.core.ops;

import java.util.Arrays;

import org.quadralib.core.Autograd;
import org.quadralib.core.Node;
import org.quadralib.core.SavedTensors;
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
        Tensor out = compute("add", BinaryOp.ADD, a, b);
        Node n = Autograd.record("add", out, a, b);
        if (n != null) {
            n.backward(g -> new Tensor[] {g, g});
        }
        return out;
    }

    /** {@code a - b}, broadcasting. @throws IllegalArgumentException if the shapes do not broadcast */
    public static Tensor sub(Tensor a, Tensor b) {
        Tensor out = compute("sub", BinaryOp.SUB, a, b);
        Node n = Autograd.record("sub", out, a, b);
        if (n != null) {
            n.backward(g -> new Tensor[] {g, n.needsGrad(1) ? g.neg() : null});
        }
        return out;
    }

    /** {@code a * b}, element-wise, broadcasting. d/da = b, d/db = a. */
    public static Tensor mul(Tensor a, Tensor b) {
        Tensor out = compute("mul", BinaryOp.MUL, a, b);
        Node n = Autograd.record("mul", out, a, b);
        if (n != null) {
            SavedTensors.Saved sa = n.needsGrad(1) ? n.save(a) : null;
            SavedTensors.Saved sb = n.needsGrad(0) ? n.save(b) : null;
            n.backward(g -> new Tensor[] {sb == null ? null : g.mul(sb.get()), sa == null ? null : g.mul(sa.get())});
        }
        return out;
    }

    /** {@code a / b}, element-wise, broadcasting. d/da = 1/b, d/db = -a/b². */
    public static Tensor div(Tensor a, Tensor b) {
        Tensor out = compute("div", BinaryOp.DIV, a, b);
        Node n = Autograd.record("div", out, a, b);
        if (n != null) {
            SavedTensors.Saved sa = n.needsGrad(1) ? n.save(a) : null;
            SavedTensors.Saved sb = n.save(b);
            n.backward(g -> {
                Tensor bb = sb.get();
                Tensor ga = n.needsGrad(0) ? g.div(bb) : null;
                Tensor gb = sa == null ? null : g.mul(sa.get()).div(bb.mul(bb)).neg();
                return new Tensor[] {ga, gb};
            });
        }
        return out;
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
