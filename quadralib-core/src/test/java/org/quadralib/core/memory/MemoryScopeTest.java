package org.quadralib.core.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.quadralib.core.F;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.optim.SGD;

/** Per-step buffer recycling: what a scope takes and returns, what it must never take, and stale reads. */
class MemoryScopeTest {

    private static Tensor param(Rng rng, int... shape) {
        Tensor p = Tensor.zeros(MemoryCategory.PARAMETER, shape);
        rng.fillNormal(p.data(), 0, p.numel(), 0f, 0.3f);
        return p.requiresGrad(true);
    }

    @Test
    void aRepeatedStepAllocatesNothingFresh() {
        Rng rng = new Rng(1);
        Tensor w1 = param(rng, 16, 8);
        Tensor b1 = param(rng, 16);
        Tensor w2 = param(rng, 3, 16);
        SGD opt = new SGD(List.of(w1, b1, w2), 0.1f, 0.9f);
        MemoryScope.Pool pool = new MemoryScope.Pool();
        long[] fresh = new long[3];
        for (int step = 0; step < 3; step++) {
            try (MemoryScope scope = MemoryScope.open(pool)) {
                assertSame(scope, MemoryScope.current());
                opt.zeroGrad();
                Tensor x = Tensor.randn(rng, 4, 8);
                Tensor h = F.linear(x, w1, b1).relu();
                F.crossEntropy(F.linear(h, w2, null), new int[] {0, 2, 1, 2}).backward();
                opt.step();
                fresh[step] = scope.freshBytes();
            }
            assertNull(MemoryScope.current());
            assertEquals(fresh[0], pool.pooledBytes(), "every array of the step is back in the pool");
        }
        assertTrue(fresh[0] > 0, "the first step fills the pool");
        assertEquals(0, fresh[1], "the second identical step reuses every array");
        assertEquals(0, fresh[2]);
    }

    /** A step through every op family; returns the loss followed by every parameter's gradient, flattened. */
    private static float[] everyOpStep(List<Tensor> ps, Tensor x, int[] labels) {
        for (Tensor p : ps) {
            p.setGrad(null);
        }
        int[] one = {1, 1};
        Tensor c = F.conv2d(x, ps.get(0), ps.get(1), one, one, one, 1);
        Tensor h = F.batchNorm(c, null, null, ps.get(2), ps.get(3), true, 0.1f, 1e-5f).relu();
        Tensor pooled = F.cat(1, F.maxPool2d(h, 2, 2), F.avgPool2d(h, 3, 3, 2, 2, 1, 1));
        Tensor feat = F.adaptiveAvgPool2d(pooled, 1, 1).flatten(1);
        Tensor gated = F.where(feat, feat.sigmoid(), feat.tanh()).mul(F.dropout(feat, 0.25f, true, new Rng(3)));
        Tensor logits = F.linear(gated, ps.get(4), ps.get(5)).add(F.var(feat, new int[] {1}, true, true));
        Tensor loss = F.crossEntropy(logits, labels, 0.1f).add(F.softmax(logits, 0).narrow(1, 0, 2).mean())
                .add(F.logSoftmax(logits, 1).t().matmul(logits).pow(2f).mean().mul(1e-3f));
        loss.backward();
        List<Float> out = new java.util.ArrayList<>();
        out.add(loss.item());
        for (Tensor p : ps) {
            for (float v : p.grad().toFloatArray()) {
                out.add(v);
            }
        }
        float[] r = new float[out.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = out.get(i);
        }
        return r;
    }

    @Test
    void recycledArraysGiveTheSameNumbersAsFreshOnes() {
        Rng rng = new Rng(4);
        List<Tensor> ps = List.of(param(rng, 4, 2, 3, 3), param(rng, 4), param(rng, 4), param(rng, 4), param(rng, 3, 8), param(rng, 3));
        Tensor x = Tensor.randn(rng, 3, 2, 6, 6);
        int[] labels = {2, 0, 1};
        float[] fresh = everyOpStep(ps, x, labels);
        MemoryScope.Pool pool = new MemoryScope.Pool();
        for (int step = 0; step < 2; step++) {
            try (MemoryScope scope = MemoryScope.open(pool)) {
                // Every array of the second step held the first step's numbers: no op may rely on zeroed memory.
                assertArrayEquals(fresh, everyOpStep(ps, x, labels), "scoped step " + step);
                if (step == 1) {
                    assertEquals(0, scope.freshBytes());
                }
            }
        }
    }

    @Test
    void parametersGradientsAndOptimizerStateOutliveTheScope() {
        Rng rng = new Rng(2);
        Tensor w = param(rng, 3, 4);
        SGD opt = new SGD(List.of(w), 0.1f, 0.9f);
        Tensor created;
        Tensor persistent;
        try (MemoryScope scope = MemoryScope.open(new MemoryScope.Pool())) {
            F.linear(Tensor.randn(rng, 2, 4), w, null).sum().backward();
            opt.step();
            created = Tensor.zeros(MemoryCategory.PARAMETER, 5);
            persistent = MemoryScope.outside(() -> Tensor.ones(2));
        }
        assertFalse(w.storage().isReleased());
        assertFalse(w.grad().storage().isReleased(), "gradients accumulate across steps");
        assertEquals(MemoryCategory.GRADIENT, w.grad().storage().category());
        assertEquals(12, opt.stateDict().get("default.0.momentum").toFloatArray().length, "optimizer state is readable");
        assertArrayEquals(new float[5], created.toFloatArray(), "a parameter made inside a scope is not the scope's");
        assertArrayEquals(new float[] {1, 1}, persistent.toFloatArray(), "outside() allocates past the scope");
    }

    @Test
    void readingAReleasedTensorThrows() {
        Tensor t;
        try (MemoryScope scope = MemoryScope.open(new MemoryScope.Pool())) {
            t = Tensor.ones(2, 2).mul(3f);
            assertEquals(3f, t.get(1, 1));
        }
        assertTrue(t.storage().isReleased());
        IllegalStateException e = assertThrows(IllegalStateException.class, t::toFloatArray);
        assertTrue(e.getMessage().contains("MemoryScope"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> t.get(0, 0));
        assertThrows(IllegalStateException.class, t::data);
        assertThrows(IllegalStateException.class, () -> t.add(t));
    }

    @Test
    void scopesCloseInnermostFirst() {
        MemoryScope.Pool pool = new MemoryScope.Pool();
        MemoryScope outer = MemoryScope.open(pool);
        MemoryScope inner = MemoryScope.open(pool);
        Tensor a = Tensor.ones(3);
        IllegalStateException e = assertThrows(IllegalStateException.class, outer::close);
        assertTrue(e.getMessage().contains("inner scope"), e.getMessage());
        assertFalse(a.storage().isReleased(), "a refused close releases nothing");
        inner.close();
        assertTrue(a.storage().isReleased());
        assertSame(outer, MemoryScope.current());
        outer.close();
        assertNull(MemoryScope.current());
    }

    @Test
    void recycledArraysComeBackZeroedWhenAskedForZeros() {
        MemoryScope.Pool pool = new MemoryScope.Pool();
        try (MemoryScope s = MemoryScope.open(pool)) {
            Tensor.full(7f, 64);
        }
        try (MemoryScope s = MemoryScope.open(pool)) {
            Tensor z = Tensor.zeros(64);
            assertEquals(0, s.freshBytes(), "the array was recycled");
            assertArrayEquals(new float[64], z.toFloatArray());
        }
    }
}
