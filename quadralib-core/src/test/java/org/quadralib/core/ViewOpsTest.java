package org.quadralib.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.quadralib.core.ops.OpCheck.check;

import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.quadralib.core.memory.MemoryScope;
import org.quadralib.core.testing.GradCheck;

/**
 * Views (reshape, permute, transpose, narrow, expand, squeeze, unsqueeze, flatten, contiguous) followed by a
 * non-linear op, against PyTorch and finite differences; and the view contract: shared storage, no copy.
 */
class ViewOpsTest {

    @Test
    void reshape() {
        check("view_reshape", in -> in[0].reshape(4, 6).tanh());
        check("view_reshape_infer", in -> in[0].reshape(3, -1).tanh());
        check("view_reshape_noncontiguous", in -> in[0].transpose(0, 1).reshape(3, 8).tanh());
    }

    @Test
    void permuteAndTranspose() {
        check("view_permute", in -> in[0].permute(2, 0, 1).tanh());
        check("view_transpose", in -> in[0].transpose(0, 2).tanh());
        check("view_t", in -> in[0].t().tanh());
    }

    @Test
    void narrow() {
        check("view_narrow", in -> in[0].narrow(1, 1, 2).tanh());
        check("view_narrow_matmul", in -> in[0].narrow(1, 1, 3).matmul(in[1]).tanh());
    }

    /**
     * Branches narrowed from one computed tensor, overlapping and not, with a gradient also from the whole tensor.
     * Inside a memory scope the backward walk adds each window's gradient into the pending sum; outside it pads each
     * with zeros first: the same gradient, and the finite differences agree.
     */
    @Test
    void narrowedBranchesOfOneTensorAccumulateTheirWindows() {
        Function<Tensor[], Tensor> fn = in -> {
            Tensor t = in[0].mul(in[0]).reshape(2, 6, 5);
            Tensor a = t.narrow(1, 0, 2);
            Tensor b = t.narrow(1, 2, 2);
            Tensor c = t.narrow(1, 3, 3);
            return a.mul(b).add(c.narrow(1, 0, 2).tanh()).sum().add(t.mul(t).sum());
        };
        GradCheck.check("narrowed branches", fn, Tensor.randn(new Rng(31), 60).requiresGrad(true));
        Tensor outside = Tensor.randn(new Rng(32), 60).requiresGrad(true);
        fn.apply(new Tensor[] {outside}).backward();
        MemoryScope.Pool pool = new MemoryScope.Pool();
        float[] inside;
        try (MemoryScope scope = MemoryScope.open(pool)) {
            Tensor xi = Tensor.randn(new Rng(32), 60).requiresGrad(true);
            fn.apply(new Tensor[] {xi}).backward();
            inside = xi.grad().toFloatArray();
        }
        assertArrayEquals(outside.grad().toFloatArray(), inside);
    }

    @Test
    void expand() {
        check("view_expand", in -> in[0].expand(2, 3, 4).tanh());
    }

    @Test
    void squeezeUnsqueezeFlatten() {
        check("view_squeeze", in -> in[0].squeeze(1).tanh());
        check("view_unsqueeze", in -> in[0].unsqueeze(-1).mul(in[1]).tanh());
        check("view_flatten", in -> in[0].flatten(1).tanh());
    }

    @Test
    void contiguousAndChains() {
        check("view_contiguous", in -> in[0].t().contiguous().tanh());
        check("view_chain", in -> in[0].permute(1, 0, 2).narrow(0, 1, 2).reshape(-1).tanh());
    }

    @Test
    void viewsShareStorageAndCopiesDoNot() {
        Tensor x = Tensor.arange(24).reshape(2, 3, 4);
        Tensor p = x.permute(2, 0, 1);
        Tensor n = x.narrow(2, 1, 2);
        Tensor e = Tensor.arange(3).reshape(3, 1).expand(2, 3, 4);
        assertSame(x.storage(), p.storage());
        assertSame(x.storage(), n.storage());
        assertSame(x.storage(), x.unsqueeze(0).squeeze(0).storage());
        assertArrayEquals(new int[] {0, 1, 0}, e.strides(), "expand broadcasts with stride 0");
        assertEquals(x.get(1, 2, 3), p.get(3, 1, 2));
        assertEquals(x.get(1, 2, 2), n.get(1, 2, 1));
        assertEquals(1, n.offset(), "narrow moves the offset, not the data");
        Tensor c = p.contiguous();
        assertNotSame(x.storage(), c.storage(), "contiguous() of a permuted view copies");
        assertSame(x, x.contiguous(), "contiguous() of a contiguous tensor is the tensor itself");
        Tensor copy = x.copy();
        x.set(-1f, 0, 0, 0);
        assertEquals(-1f, p.get(0, 0, 0), "a view sees writes to its base");
        assertEquals(0f, copy.get(0, 0, 0), "a copy does not");
    }

    @Test
    void squeezeAndUnsqueezeAreViewsOfNonContiguousTensorsToo() {
        Tensor x = Tensor.arange(6).reshape(2, 3);
        Tensor u = x.t().unsqueeze(1);
        assertArrayEquals(new int[] {3, 1, 2}, u.shape());
        assertSame(x.storage(), u.storage(), "unsqueeze of a transposed view shares the storage");
        assertSame(x.storage(), u.squeeze(1).storage());
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, u.toFloatArray());
        x.set(9f, 1, 0);
        assertEquals(9f, u.get(0, 0, 1), "writes to the base show through");
        assertSame(u, u.squeeze(0), "squeezing a dimension that is not 1 is a no-op");
        GradCheck.check("unsqueeze/squeeze of a transposed view",
                in -> in[0].t().unsqueeze(0).unsqueeze(-1).tanh().squeeze(-1).mul(in[0].t().unsqueeze(0)),
                Tensor.randn(new Rng(2), 2, 3).requiresGrad(true));
    }

    @Test
    void reshapeOfANonContiguousViewReadsInLogicalOrder() {
        Tensor x = Tensor.arange(6).reshape(2, 3);
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, x.t().reshape(6).toFloatArray());
        assertArrayEquals(new float[] {1, 2, 4, 5}, x.narrow(1, 1, 2).flatten(0).toFloatArray());
    }
}
