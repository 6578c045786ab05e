package org.quadralib.core.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.quadralib.core.F;
import org.quadralib.core.Function;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;

/**
 * Buffers handed back to a scope's pool before it closes: a custom function's forward scratch when
 * {@code apply} returns, and backward's intermediate gradients as the walk goes.
 */
class EarlyReleaseTest {

    /** y = 2·x², computed through a scratch tensor that backward does not need. */
    private static final class SquareTwice extends Function {
        final List<Tensor> scratch = new ArrayList<>();

        @Override
        protected Tensor forward(Context ctx, Tensor... in) {
            Tensor sq = in[0].mul(in[0]);
            scratch.add(sq);
            ctx.save(in[0]);
            return sq.mul(2f);
        }

        @Override
        protected Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[] {g.mul(ctx.saved(0)).mul(4f)};
        }
    }

    @Test
    void forwardScratchIsReleasedWhenApplyReturnsButOutputAndSavedStay() {
        MemoryScope.Pool pool = new MemoryScope.Pool();
        try (MemoryScope scope = MemoryScope.open(pool)) {
            Tensor x = Tensor.randn(new Rng(3), 4, 5).requiresGrad(true);
            Tensor input = x.mul(1f);
            SquareTwice fn = new SquareTwice();
            Tensor y = fn.apply(input);
            assertTrue(fn.scratch.get(0).storage().isReleased(), "forward's scratch went back to the pool");
            assertFalse(y.storage().isReleased(), "the output stays");
            assertFalse(input.storage().isReleased(), "the saved input stays");
            y.sum().backward();
            float[] expected = x.toFloatArray();
            for (int i = 0; i < expected.length; i++) {
                expected[i] *= 4f;
            }
            assertArrayEquals(expected, x.grad().toFloatArray(), 1e-6f);
        }
    }

    @Test
    void backwardReturnsIntermediateGradientsButLeafGradientsStay() {
        Rng rng = new Rng(5);
        Tensor w = Tensor.randn(rng, 6, 4).requiresGrad(true);
        Tensor x = Tensor.randn(rng, 3, 4);
        float[] reference;
        Tensor h = F.linear(x, w, null).tanh();
        h.mul(h).sum().backward();
        reference = w.grad().toFloatArray();
        w.setGrad(null);
        MemoryScope.Pool pool = new MemoryScope.Pool();
        try (MemoryScope scope = MemoryScope.open(pool)) {
            int mark = scope.mark();
            Tensor hs = F.linear(x, w, null).tanh();
            hs.mul(hs).sum().backward();
            List<Storage> handed = new ArrayList<>(scope.handedOutSince(mark));
            long released = handed.stream().filter(Storage::isReleased).count();
            assertTrue(released > 0, "backward handed some buffers back before the scope closed");
            assertFalse(hs.storage().isReleased(), "forward outputs the caller holds stay readable");
            assertFalse(w.grad().storage().isReleased(), "the leaf gradient is persistent");
            assertArrayEquals(reference, w.grad().toFloatArray(), 0f, "recycling does not change the numbers");
        }
    }
}
