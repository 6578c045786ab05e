package org.quadralib.profiler;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.quadralib.core.F;
import org.quadralib.core.GradMode;
import org.quadralib.core.Rng;
import org.quadralib.core.SavedTensors;
import org.quadralib.core.Tensor;
import org.quadralib.core.memory.Buffers;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.memory.MemoryScope;
import org.quadralib.core.memory.MemoryTracker;
import org.quadralib.layers.Module;
import org.quadralib.layers.Parameter;

/**
 * The batch-dependent part of a training step's memory, as a sequence of buffer events whose sizes are affine in
 * the batch size.
 *
 * <p>A probe runs one forward and backward pass at a small batch inside its own {@link MemoryScope} and records,
 * on the calling thread, every allocation and release of activations and activation gradients and every storage
 * saved for backward and released, in order, with the module that made it. Two probes at batches {@code n1 < n2}
 * give two event sequences; where they line up (same events, same modules, same order), each event's size is
 * fitted as {@code a + b·N} through the two probes, which is exact for a buffer that holds a fixed amount per
 * sample plus a fixed amount (a weight-sized temporary, the stacked weights a standard-mode layer saves). The
 * sequence is then replayed at the target batch: the live bytes after every event, whose maxima are the
 * activation, activation-gradient and saved peaks and, with everything the step holds throughout, the step's
 * peak. Buffers that a layer cuts into chunks of a fixed budget (hybrid quadratic layers' branch values) grow
 * with the batch only up to the chunk, which the affine fit does not know: it over-predicts them beyond it.
 */
final class StepReplay {

    /** The probe batches; two samples at least, so that batch norm in training mode sees a batch. */
    static final int SMALL = 2;
    static final int LARGE = 4;

    private enum Kind {
        ACTIVATION, ACTIVATION_GRADIENT, SAVED, WORKSPACE
    }

    private record Event(Kind kind, long bytes, String owner) {
    }

    /** An event list and the number of its events made before backward began. */
    private record Probe(List<Event> events, int backwardAt) {
    }

    /** Replayed peaks at one batch size. */
    record Peaks(long activation, long activationGradient, long saved, long transientTotal, Map<String, Long> transientByOwner,
            Map<String, Long> savedByOwner, boolean aligned, List<Long> transientAfterEvent, int backwardAt) {
    }

    private final List<Event> small;
    private final List<Event> large;
    private final int backwardAt;

    private StepReplay(Probe small, Probe large) {
        this.small = small.events();
        this.large = large.events();
        this.backwardAt = buffers(small.events().subList(0, small.backwardAt())).size();
    }

    /** Probes {@code model} at both probe batches; leaves parameters, gradients and buffers as they were. */
    static StepReplay probe(Module model, int[] sampleShape) {
        StepReplay first = new StepReplay(record(model, sampleShape, SMALL), record(model, sampleShape, LARGE));
        if (first.aligned()) {
            return first;
        }
        // A first pass can take another path than later ones (a kernel's per-thread scratch grown by the pass itself,
        // or by earlier work in this JVM, changes what it allocates): probe once more, now in the steady state.
        StepReplay second = new StepReplay(record(model, sampleShape, SMALL), record(model, sampleShape, LARGE));
        return second.aligned() ? second : first;
    }

    @SuppressWarnings("try") // the scopes are used for what they do on open and close
    private static Probe record(Module model, int[] sampleShape, int batch) {
        Map<Tensor, Tensor> restore = new IdentityHashMap<>();
        Map<Tensor, Boolean> hadGrad = new IdentityHashMap<>();
        Map<Module, Boolean> modes = new LinkedHashMap<>();
        for (Module m : model.namedModules().values()) {
            modes.put(m, m.isTraining());
        }
        List<Event> events = new ArrayList<>();
        int backwardAt;
        Thread thread = Thread.currentThread();
        MemoryTracker.Listener tracked = (category, bytes, owner) -> {
            if (Thread.currentThread() != thread) {
                return;
            }
            Kind k = switch (category) {
                case ACTIVATION -> Kind.ACTIVATION;
                case ACTIVATION_GRADIENT -> Kind.ACTIVATION_GRADIENT;
                case WORKSPACE -> Kind.WORKSPACE;
                case PARAMETER, GRADIENT, OPTIMIZER_STATE, INPUT, BUFFER -> null;
            };
            if (k != null) {
                events.add(new Event(k, bytes, owner));
            }
        };
        SavedTensors.Listener saved = (bytes, op, owner) -> {
            if (Thread.currentThread() == thread) {
                events.add(new Event(Kind.SAVED, bytes, owner));
            }
        };
        try (GradMode.Scope g = GradMode.noGrad()) {
            for (Module m : model.namedModules().values()) {
                for (Tensor b : m.localBuffers().values()) {
                    restore.put(b, b.copyAs(MemoryCategory.BUFFER));
                }
            }
            for (Parameter p : model.namedParameters().values()) {
                Tensor t = p.tensor();
                if (!hadGrad.containsKey(t)) {
                    hadGrad.put(t, t.grad() != null);
                    // A training step after the first finds every gradient allocated (zeroed, not dropped): so does the probe.
                    if (t.grad() == null) {
                        t.setGrad(Tensor.zeros(MemoryCategory.GRADIENT, t.shape()));
                    } else {
                        restore.put(t.grad(), t.grad().copyAs(MemoryCategory.GRADIENT));
                    }
                }
            }
        }
        model.train(true);
        MemoryScope.Pool pool = new MemoryScope.Pool();
        try (GradMode.Scope g = GradMode.enableGrad(); MemoryScope scope = MemoryScope.open(pool)) {
            int[] shape = new int[sampleShape.length + 1];
            shape[0] = batch;
            System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
            Tensor x;
            try (Buffers.CategoryScope c = Buffers.withCategory(MemoryCategory.INPUT)) {
                x = Tensor.randn(new Rng(1), shape);
            }
            MemoryTracker.addListener(tracked);
            SavedTensors.addListener(saved);
            try {
                Tensor logits = model.forward(x);
                int classes = logits.shape()[logits.shape().length - 1];
                int[] labels = new int[batch];
                for (int i = 0; i < batch; i++) {
                    labels[i] = i % classes;
                }
                Tensor loss = F.crossEntropy(logits, labels);
                backwardAt = events.size();
                loss.backward();
            } finally {
                MemoryTracker.removeListener(tracked);
                SavedTensors.removeListener(saved);
            }
        } finally {
            // Pre-order: a parent's train() resets its children, which are then set to their own modes.
            modes.forEach((m, on) -> m.train(on));
            try (GradMode.Scope g = GradMode.noGrad()) {
                restore.forEach(Tensor::copyFrom);
                hadGrad.forEach((t, had) -> {
                    if (!had) {
                        t.setGrad(null);
                    }
                });
            }
        }
        return new Probe(events, backwardAt);
    }

    /**
     * Bytes the probes' workspace requests added to the calling thread's scratch buffers (their growth: a thread that
     * ran larger layers before grows them less, or not at all).
     */
    long workspaceGrowth() {
        long n = 0;
        for (List<Event> events : List.of(small, large)) {
            for (Event e : events) {
                if (e.kind() == Kind.WORKSPACE) {
                    n += e.bytes();
                }
            }
        }
        return n;
    }

    /** True if the two probes made the same events in the same order, so that each event can be fitted on its own. */
    boolean aligned() {
        List<Event> small = buffers(this.small);
        List<Event> large = buffers(this.large);
        if (small.size() != large.size()) {
            return false;
        }
        for (int i = 0; i < small.size(); i++) {
            Event a = small.get(i);
            Event b = large.get(i);
            if (a.kind() != b.kind() || !a.owner().equals(b.owner()) || Long.signum(a.bytes()) != Long.signum(b.bytes())) {
                return false;
            }
        }
        return true;
    }

    /** The replay at {@code batch}: each event's size extrapolated, then the live bytes after each event. */
    Peaks at(int batch) {
        List<Event> small = buffers(this.small);
        List<Event> large = buffers(this.large);
        if (aligned()) {
            List<Event> fitted = new ArrayList<>(small.size());
            for (int i = 0; i < small.size(); i++) {
                Event a = small.get(i);
                fitted.add(new Event(a.kind(), affine(a.bytes(), large.get(i).bytes(), batch), a.owner()));
            }
            return replay(fitted, true, backwardAt);
        }
        // The probes took different paths (a layer chose other kernels or chunks at the two batches): fit the peaks.
        Peaks a = replay(small, false, backwardAt);
        Peaks b = replay(large, false, backwardAt);
        Map<String, Long> transientByOwner = new LinkedHashMap<>();
        a.transientByOwner().forEach((k, v) -> transientByOwner.put(k, affine(v, b.transientByOwner().getOrDefault(k, 0L), batch)));
        Map<String, Long> savedByOwner = new LinkedHashMap<>();
        a.savedByOwner().forEach((k, v) -> savedByOwner.put(k, affine(v, b.savedByOwner().getOrDefault(k, 0L), batch)));
        return new Peaks(affine(a.activation(), b.activation(), batch), affine(a.activationGradient(), b.activationGradient(), batch),
                affine(a.saved(), b.saved(), batch), affine(a.transientTotal(), b.transientTotal(), batch), transientByOwner, savedByOwner,
                false, List.of(), 0);
    }

    /** The events of activations, activation gradients and saved storages: not the workspace's. */
    private static List<Event> buffers(List<Event> events) {
        List<Event> out = new ArrayList<>(events.size());
        for (Event e : events) {
            if (e.kind() != Kind.WORKSPACE) {
                out.add(e);
            }
        }
        return out;
    }

    /** {@code a + (b − a)·(batch − SMALL)/(LARGE − SMALL)}, never below zero. */
    private static long affine(long atSmall, long atLarge, int batch) {
        double v = atSmall + (double) (atLarge - atSmall) * (batch - SMALL) / (LARGE - SMALL);
        long r = Math.round(v);
        return atSmall >= 0 ? Math.max(0, r) : Math.min(0, r);
    }

    private static Peaks replay(List<Event> events, boolean aligned, int backwardAt) {
        List<Long> curve = new ArrayList<>(events.size());
        long act = 0;
        long grad = 0;
        long saved = 0;
        long actPeak = 0;
        long gradPeak = 0;
        long savedPeak = 0;
        long transientPeak = 0;
        ReleaseLedger<String> ledger = new ReleaseLedger<>();
        ReleaseLedger<String> savedLedger = new ReleaseLedger<>();
        Map<String, long[]> owners = new LinkedHashMap<>();
        for (Event e : events) {
            switch (e.kind()) {
                case ACTIVATION -> act += e.bytes();
                case ACTIVATION_GRADIENT -> grad += e.bytes();
                case SAVED -> saved += e.bytes();
                case WORKSPACE -> throw new IllegalStateException("StepReplay: workspace events are not replayed");
            }
            ReleaseLedger<String> l = e.kind() == Kind.SAVED ? savedLedger : ledger;
            String who;
            if (e.bytes() > 0) {
                l.allocated(e.bytes(), e.owner());
                who = e.owner();
            } else {
                who = l.released(-e.bytes(), e.owner());
            }
            if (who != null) {
                // [transient current, transient peak, saved current, saved peak]
                long[] o = owners.computeIfAbsent(who, k -> new long[4]);
                int at = e.kind() == Kind.SAVED ? 2 : 0;
                o[at] += e.bytes();
                o[at + 1] = Math.max(o[at + 1], o[at]);
            }
            actPeak = Math.max(actPeak, act);
            gradPeak = Math.max(gradPeak, grad);
            savedPeak = Math.max(savedPeak, saved);
            transientPeak = Math.max(transientPeak, act + grad);
            curve.add(act + grad);
        }
        Map<String, Long> transientByOwner = new LinkedHashMap<>();
        Map<String, Long> savedByOwner = new LinkedHashMap<>();
        owners.forEach((k, v) -> {
            transientByOwner.put(k, v[1]);
            savedByOwner.put(k, v[3]);
        });
        return new Peaks(actPeak, gradPeak, savedPeak, transientPeak, transientByOwner, savedByOwner, aligned,
                aligned ? List.copyOf(curve) : List.of(), backwardAt);
    }
}
