package org.quadralib.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.quadralib.core.memory.MemoryTracker;

/** Anomaly mode: the first non-finite forward output or backward gradient throws, naming op, module and phase. */
class AnomalyModeTest {

    @Test
    void forwardNaNThrowsNamingTheOpAndTheModule() {
        Tensor x = Tensor.of(new float[] {1f, -1f}, 2).requiresGrad(true);
        assertTrue(Float.isNaN(x.log().toFloatArray()[1]), "outside the scope NaN passes silently");
        AnomalyMode.AnomalyException e;
        try (AnomalyMode a = AnomalyMode.enter();
                MemoryTracker.AutoCloseableOwner o = MemoryTracker.withOwner("features.3")) {
            Tensor y = x.mul(2f);
            e = assertThrows(AnomalyMode.AnomalyException.class, () -> y.log());
        }
        assertEquals("log", e.op());
        assertEquals("features.3", e.modulePath());
        assertEquals(AnomalyMode.Phase.FORWARD, e.phase());
        assertTrue(e.getMessage().contains("forward of 'log' in module 'features.3'") && e.getMessage().contains("NaN")
                && e.getMessage().contains("[2]") && e.getMessage().contains("index 1"), e.getMessage());
    }

    @Test
    void forwardCheckAlsoRunsWithoutGradients() {
        try (AnomalyMode a = AnomalyMode.enter()) {
            Tensor x = Tensor.of(new float[] {1f, 0f}, 2);
            AnomalyMode.AnomalyException e = assertThrows(AnomalyMode.AnomalyException.class, () -> Tensor.ones(2).div(x));
            assertEquals("div", e.op());
            assertTrue(e.getMessage().contains("Infinity"), e.getMessage());
        }
    }

    @Test
    void backwardInfinityThrowsNamingTheNodeItsModuleAndThePhase() {
        Tensor x = Tensor.of(new float[] {0f, 4f}, 2).requiresGrad(true);
        Tensor loss;
        try (MemoryTracker.AutoCloseableOwner o = MemoryTracker.withOwner("head")) {
            loss = x.sqrt().sum();
        }
        assertTrue(Float.isFinite(loss.item()), "the forward pass is finite");
        AnomalyMode.AnomalyException e;
        try (AnomalyMode a = AnomalyMode.enter()) {
            e = assertThrows(AnomalyMode.AnomalyException.class, loss::backward);
        }
        assertEquals("sqrt", e.op(), e.getMessage());
        assertEquals("head", e.modulePath());
        assertEquals(AnomalyMode.Phase.BACKWARD, e.phase());
        assertTrue(e.getMessage().startsWith("anomaly mode: backward of 'sqrt' in module 'head': gradient of input 0"),
                e.getMessage());
        assertTrue(x.grad() == null, "nothing reached the leaf past the anomaly");
    }

    @Test
    void finiteStepsPassAndTheScopeEndsOnClose() {
        Tensor x = Tensor.of(new float[] {1f, 2f}, 2).requiresGrad(true);
        try (AnomalyMode a = AnomalyMode.enter()) {
            assertTrue(AnomalyMode.isEnabled());
            x.mul(x).sum().backward();
        }
        assertEquals(4f, x.grad().toFloatArray()[1]);
        assertFalse(AnomalyMode.isEnabled());
        Tensor z = Tensor.of(new float[] {-1f}, 1);
        assertTrue(Float.isNaN(z.log().item()), "closed: no check");
    }

    @Test
    void theScopeBelongsToItsThread() throws InterruptedException {
        AtomicBoolean otherThreadSawIt = new AtomicBoolean(true);
        try (AnomalyMode a = AnomalyMode.enter()) {
            Thread t = new Thread(() -> otherThreadSawIt.set(AnomalyMode.isEnabled()
                    || !Float.isNaN(Tensor.of(new float[] {-1f}, 1).log().item())));
            t.start();
            t.join();
        }
        assertFalse(otherThreadSawIt.get());
    }
}
