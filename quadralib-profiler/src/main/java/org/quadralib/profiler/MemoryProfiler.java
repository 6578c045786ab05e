package org.quadralib.profiler;

import java.lang.management.MemoryUsage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.quadralib.core.SavedTensors;
import org.quadralib.core.Tensor;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.memory.MemoryScope;
import org.quadralib.core.memory.MemoryTracker;
import org.quadralib.layers.Module;
import org.quadralib.layers.Parameter;

/**
 * Watches a model's memory while it runs: every allocation and release the {@link MemoryTracker} reports
 * (with its category and the module path that asked for it) and every storage the {@link SavedTensors}
 * registry keeps for backward (with its op and module path).
 *
 * <pre>{@code
 * try (MemoryProfiler prof = MemoryProfiler.attach(model)) {
 *     for (int step = 0; step < n; step++) {
 *         prof.stepStart();
 *         Tensor loss;
 *         try (var p = prof.enter(Phase.FORWARD)) { loss = F.crossEntropy(model.forward(x), y); }
 *         try (var p = prof.enter(Phase.BACKWARD)) { loss.backward(); }
 *         try (var p = prof.enter(Phase.UPDATE)) { opt.step(); opt.zeroGrad(); }
 *         prof.stepEnd();
 *     }
 *     System.out.println(prof.report(MemoryPrediction.parametersOnly(model, 1)).toText());
 * }
 * }</pre>
 *
 * <p>What it records, all since {@code attach}: per category the current, peak and allocated bytes; per module
 * path and category the same, plus its peak transient bytes (activations, activation gradients, workspace,
 * inputs); per phase the peaks and allocations; per step the peaks, the bytes the library allocated and the
 * JVM's heap use and allocated bytes; bytes saved for backward by module and by op; a bounded timeline (see
 * {@link MemoryReport.Timeline}) sampled at every phase change and step boundary and at the highest point
 * between two such samples. Parameter, gradient and buffer bytes are read from the model itself.
 *
 * <p>Attribution of releases: the tracker reports a release without saying which allocation it ends (a memory
 * scope or the garbage collector releases buffers for everyone). A release made while a {@link MemoryScope} is
 * open on the releasing thread (the scope closing) ends an allocation the scope handed out; any other release
 * (the collector's cleaner thread) ends one made outside a scope, or of a category scopes never hand out; among those, the oldest open allocation of the
 * same category and size, preferring one by the module the release event names. Category totals are exact;
 * per-module values are exact whenever buffer sizes tell owners apart, and a scope that closes returns every
 * module's scoped bytes to zero. Outside a memory scope the tracker counts a release only when the collector
 * reclaims the buffer, so per-module current bytes then include garbage not yet collected.
 *
 * <p>JVM figures: heap used is {@link java.lang.management.MemoryMXBean}'s; allocated bytes come from
 * {@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes}, both for the thread that opened the step (or
 * attached the profiler) and summed over every live thread, counted against a per-thread baseline so that
 * threads born later count from zero and threads that died are left out. They are -1 on a JVM that cannot
 * count allocations.
 *
 * <p>Thread safety: listeners may fire on any thread (the collector's cleaner releases buffers on its own); the
 * profiler serialises them and the caller's calls on one lock. Profiling costs a few map operations per tensor
 * allocation. {@link #close()} removes both listeners; afterwards the profiler changes no more and
 * {@link #report()} returns the report as it was at closing.
 */
public final class MemoryProfiler implements AutoCloseable {

    /** Timeline samples kept by {@link #attach(Module)}. */
    public static final int DEFAULT_TIMELINE_CAPACITY = 4096;
    /** Completed steps kept by {@link #attach(Module)}. */
    public static final int DEFAULT_STEP_CAPACITY = 10_000;

    private static final int N = MemoryCategory.values().length;
    private static final Set<MemoryCategory> TRANSIENT = Collections.unmodifiableSet(EnumSet.of(
            MemoryCategory.ACTIVATION, MemoryCategory.ACTIVATION_GRADIENT, MemoryCategory.WORKSPACE, MemoryCategory.INPUT));
    /** Categories a memory scope never hands out (see {@link MemoryScope}): released by the collector only. */
    private static final Set<MemoryCategory> OUTLIVE_SCOPES = Collections.unmodifiableSet(EnumSet.of(
            MemoryCategory.PARAMETER, MemoryCategory.GRADIENT, MemoryCategory.OPTIMIZER_STATE, MemoryCategory.BUFFER));

    /** A handle that restores the previous phase when closed. */
    @FunctionalInterface
    public interface PhaseScope extends AutoCloseable {
        @Override
        void close();
    }

    private record SavedClaim(String owner, String op) {
    }

    private static final class OwnerStats {
        final long[] current = new long[N];
        final long[] peak = new long[N];
        final long[] allocated = new long[N];
        long transientCurrent;
        long transientPeak;
        long savedCurrent;
        long savedPeak;
        long savedTotal;

        void change(int c, long bytes) {
            current[c] += bytes;
            peak[c] = Math.max(peak[c], current[c]);
            if (bytes > 0) {
                allocated[c] += bytes;
            }
            if (TRANSIENT.contains(MemoryCategory.values()[c])) {
                transientCurrent += bytes;
                transientPeak = Math.max(transientPeak, transientCurrent);
            }
        }

        void saved(long bytes) {
            savedCurrent += bytes;
            savedPeak = Math.max(savedPeak, savedCurrent);
            if (bytes > 0) {
                savedTotal += bytes;
            }
        }
    }

    private static final class PhaseStats {
        long entries;
        long peakTotal;
        long peakSaved;
        final long[] peak = new long[N];
        final long[] allocated = new long[N];
    }

    private final Module model;
    private final int stepCapacity;
    private final long startNanos = System.nanoTime();
    /** Null when the timeline is off. */
    private final TimelineBuffer timeline;
    private final JvmCounters.Baseline attachBaseline;
    private final MemoryTracker.Listener trackerListener = this::onTracked;
    private final SavedTensors.Listener savedListener = this::onSaved;

    private final long[] current = new long[N];
    private final long[] peak = new long[N];
    private final long[] allocated = new long[N];
    private long total;
    private long peakTotal;
    private long savedCurrent;
    private long savedPeak;
    private long savedTotal;
    private long events;
    private long unmatched;
    private final Map<String, OwnerStats> owners = new LinkedHashMap<>();
    private final Map<String, long[]> savedByOp = new LinkedHashMap<>();
    /** Per category, allocations made outside a memory scope (index c) and inside one (index N + c). */
    private final List<ReleaseLedger<String>> ledgers = new ArrayList<>(2 * N);
    private final ReleaseLedger<SavedClaim> savedLedger = new ReleaseLedger<>();

    private Phase phase = Phase.OTHER;
    private final Map<Phase, PhaseStats> phases = new EnumMap<>(Phase.class);

    // The highest point since the last timeline sample, emitted as a PEAK sample when the next one is taken.
    private boolean segmentPeakPending;
    private long segmentPeakTotal;
    private long segmentPeakEvent;
    private long segmentPeakNanos;
    private long segmentPeakSaved;
    private final long[] segmentPeakBytes = new long[N];

    private boolean stepOpen;
    private int stepIndex;
    private int nextStep;
    private long stepPeakTotal;
    private long stepPeakSaved;
    private final long[] stepPeak = new long[N];
    private long stepAllocated;
    private JvmCounters.Baseline stepBaseline;
    private final ArrayDeque<MemoryReport.StepMemory> steps = new ArrayDeque<>();
    private long droppedSteps;

    private boolean closed;
    private MemoryReport frozen;

    private MemoryProfiler(Module model, int timelineCapacity, int stepCapacity) {
        this.model = Objects.requireNonNull(model, "model");
        if (stepCapacity < 1) {
            throw new IllegalArgumentException("MemoryProfiler: step capacity must be >= 1, got " + stepCapacity);
        }
        this.stepCapacity = stepCapacity;
        this.timeline = timelineCapacity == 0 ? null : new TimelineBuffer(timelineCapacity);
        for (int i = 0; i < 2 * N; i++) {
            ledgers.add(new ReleaseLedger<>());
        }
        for (Phase p : Phase.values()) {
            phases.put(p, new PhaseStats());
        }
        this.attachBaseline = JvmCounters.baseline();
        synchronized (this) {
            for (MemoryCategory c : MemoryCategory.values()) {
                current[c.ordinal()] = MemoryTracker.current(c);
            }
            total = sum(current);
            System.arraycopy(current, 0, peak, 0, N);
            peakTotal = total;
            enterPhase(Phase.OTHER);
        }
        MemoryTracker.addListener(trackerListener);
        SavedTensors.addListener(savedListener);
    }

    /**
     * Starts profiling {@code model} with {@link #DEFAULT_TIMELINE_CAPACITY} timeline samples and
     * {@link #DEFAULT_STEP_CAPACITY} steps; the phase is {@link Phase#OTHER} until the caller sets one.
     *
     * @throws NullPointerException if {@code model} is null
     */
    public static MemoryProfiler attach(Module model) {
        return attach(model, DEFAULT_TIMELINE_CAPACITY, DEFAULT_STEP_CAPACITY);
    }

    /**
     * Starts profiling {@code model}.
     *
     * @param timelineCapacity most timeline samples kept (see {@link MemoryReport.Timeline}), or 0 for no timeline
     *     (the report's timeline is then empty, with capacity 0, and no sample or highest point is tracked)
     * @param stepCapacity most completed steps kept; older ones are dropped and counted
     * @throws IllegalArgumentException if {@code timelineCapacity} is 1 or negative, or {@code stepCapacity < 1}
     * @throws NullPointerException if {@code model} is null
     */
    public static MemoryProfiler attach(Module model, int timelineCapacity, int stepCapacity) {
        return new MemoryProfiler(model, timelineCapacity, stepCapacity);
    }

    // ------------------------------------------------------------------ listeners

    private synchronized void onTracked(MemoryCategory category, long bytes, String owner) {
        if (closed) {
            return;
        }
        events++;
        int c = category.ordinal();
        // Listeners run on the allocating or releasing thread, so this is that thread's scope.
        boolean scoped = MemoryScope.current() != null && !OUTLIVE_SCOPES.contains(category);
        ReleaseLedger<String> ledger = ledgers.get(scoped ? N + c : c);
        // The tracker's own counter, not a running sum of events: a sum would drift by whatever happened
        // between reading the tracker at attach and the listener going live.
        current[c] = MemoryTracker.current(category);
        total = sum(current);
        if (bytes > 0) {
            allocated[c] += bytes;
            phases.get(phase).allocated[c] += bytes;
            if (stepOpen) {
                stepAllocated += bytes;
            }
            owner(owner).change(c, bytes);
            ledger.allocated(bytes, owner);
        } else {
            String who = ledger.released(-bytes, owner);
            if (who == null) {
                unmatched -= bytes;
            } else {
                owner(who).change(c, bytes);
            }
        }
        observe();
    }

    private synchronized void onSaved(long bytes, String op, String owner) {
        if (closed) {
            return;
        }
        events++;
        // Counted from events rather than read from the registry: graphs built before attach (and never
        // back-propagated) would otherwise sit in every figure, and module and op rows would not add up.
        if (bytes > 0) {
            savedCurrent += bytes;
            savedTotal += bytes;
            SavedClaim claim = new SavedClaim(owner, op);
            savedLedger.allocated(bytes, claim);
            credit(claim, bytes);
        } else {
            SavedClaim claim = savedLedger.released(-bytes, new SavedClaim(owner, op));
            if (claim == null) {
                unmatched -= bytes;
            } else {
                savedCurrent += bytes;
                credit(claim, bytes);
            }
        }
        observe();
    }

    private void credit(SavedClaim claim, long bytes) {
        owner(claim.owner()).saved(bytes);
        long[] s = savedByOp.computeIfAbsent(claim.op(), k -> new long[3]);
        s[0] += bytes;
        s[1] = Math.max(s[1], s[0]);
        if (bytes > 0) {
            s[2] += bytes;
        }
    }

    private OwnerStats owner(String path) {
        return owners.computeIfAbsent(path, k -> new OwnerStats());
    }

    /** Folds the current values into every peak: global, phase, step and the timeline's pending peak. */
    private void observe() {
        peakTotal = Math.max(peakTotal, total);
        savedPeak = Math.max(savedPeak, savedCurrent);
        PhaseStats ps = phases.get(phase);
        ps.peakTotal = Math.max(ps.peakTotal, total);
        ps.peakSaved = Math.max(ps.peakSaved, savedCurrent);
        for (int i = 0; i < N; i++) {
            peak[i] = Math.max(peak[i], current[i]);
            ps.peak[i] = Math.max(ps.peak[i], current[i]);
        }
        if (stepOpen) {
            stepPeakTotal = Math.max(stepPeakTotal, total);
            stepPeakSaved = Math.max(stepPeakSaved, savedCurrent);
            for (int i = 0; i < N; i++) {
                stepPeak[i] = Math.max(stepPeak[i], current[i]);
            }
        }
        if (timeline != null && total > segmentPeakTotal) {
            segmentPeakPending = true;
            segmentPeakTotal = total;
            segmentPeakEvent = events;
            segmentPeakNanos = System.nanoTime() - startNanos;
            segmentPeakSaved = savedCurrent;
            System.arraycopy(current, 0, segmentPeakBytes, 0, N);
        }
    }

    // ------------------------------------------------------------------ phases, steps, timeline

    /**
     * Makes {@code p} the current phase: later allocations and peaks count towards it.
     *
     * @throws IllegalStateException if the profiler is closed
     * @throws NullPointerException if {@code p} is null
     */
    public synchronized void phase(Phase p) {
        Objects.requireNonNull(p, "phase");
        checkOpen("phase");
        enterPhase(p);
    }

    /**
     * Makes {@code p} the current phase until the returned handle is closed, which restores the previous one
     * (closing it after the profiler closed does nothing).
     *
     * @throws IllegalStateException if the profiler is closed
     * @throws NullPointerException if {@code p} is null
     */
    public synchronized PhaseScope enter(Phase p) {
        Phase previous = phase;
        phase(p);
        return () -> {
            synchronized (MemoryProfiler.this) {
                if (!closed) {
                    enterPhase(previous);
                }
            }
        };
    }

    private void enterPhase(Phase p) {
        flushSegmentPeak();
        phase = p;
        PhaseStats ps = phases.get(p);
        ps.entries++;
        observe();
        sample(MemoryReport.SampleKind.PHASE);
    }

    /**
     * Opens the next step (numbered from 0, or from one past the last {@link #step(int)} index).
     *
     * @throws IllegalStateException if a step is already open or the profiler is closed
     */
    public synchronized void stepStart() {
        checkOpen("stepStart");
        if (stepOpen) {
            throw new IllegalStateException("MemoryProfiler.stepStart: step " + stepIndex + " is still open; call stepEnd first");
        }
        openStep(nextStep);
    }

    /**
     * Ends the open step, if any, and opens step {@code index}.
     *
     * @throws IllegalArgumentException if {@code index} is negative
     * @throws IllegalStateException if the profiler is closed
     */
    public synchronized void step(int index) {
        checkOpen("step");
        if (index < 0) {
            throw new IllegalArgumentException("MemoryProfiler.step: step index must be >= 0, got " + index);
        }
        if (stepOpen) {
            stepEnd();
        }
        openStep(index);
    }

    private void openStep(int index) {
        flushSegmentPeak();
        stepOpen = true;
        stepIndex = index;
        nextStep = index + 1;
        stepPeakTotal = total;
        stepPeakSaved = savedCurrent;
        System.arraycopy(current, 0, stepPeak, 0, N);
        stepAllocated = 0;
        stepBaseline = JvmCounters.baseline();
        sample(MemoryReport.SampleKind.STEP);
    }

    /**
     * Ends the open step and records its peaks, the bytes allocated during it (by the library's allocator and,
     * as the JVM counts them, by the thread that opened the step and by all threads) and the heap in use.
     *
     * @throws IllegalStateException if no step is open or the profiler is closed
     */
    public synchronized void stepEnd() {
        checkOpen("stepEnd");
        if (!stepOpen) {
            throw new IllegalStateException("MemoryProfiler.stepEnd: no step is open; call stepStart first");
        }
        flushSegmentPeak();
        long threadBytes = JvmCounters.threadSince(stepBaseline);
        long allBytes = JvmCounters.allThreadsSince(stepBaseline);
        steps.addLast(new MemoryReport.StepMemory(stepIndex, stepPeakTotal, stepPeakSaved, TimelineBuffer.byCategory(stepPeak.clone()),
                stepAllocated, JvmCounters.heap().getUsed(), threadBytes, allBytes));
        if (steps.size() > stepCapacity) {
            steps.removeFirst();
            droppedSteps++;
        }
        sample(MemoryReport.SampleKind.STEP);
        stepOpen = false;
    }

    private void sample(MemoryReport.SampleKind kind) {
        if (timeline == null) {
            return;
        }
        timeline.add(new TimelineBuffer.Raw(events, System.nanoTime() - startNanos, stepOpen ? stepIndex : -1, phase, kind, total,
                savedCurrent, current.clone()));
        segmentPeakPending = false;
        segmentPeakTotal = total;
    }

    private void flushSegmentPeak() {
        TimelineBuffer.Raw p = pendingPeak();
        // Without a timeline nothing is ever pending.
        if (p != null) {
            timeline.add(p);
            segmentPeakPending = false;
        }
    }

    private TimelineBuffer.Raw pendingPeak() {
        return segmentPeakPending
                ? new TimelineBuffer.Raw(segmentPeakEvent, segmentPeakNanos, stepOpen ? stepIndex : -1, phase,
                        MemoryReport.SampleKind.PEAK, segmentPeakTotal, segmentPeakSaved, segmentPeakBytes.clone())
                : null;
    }

    private void checkOpen(String method) {
        if (closed) {
            throw new IllegalStateException("MemoryProfiler." + method + ": the profiler is closed");
        }
    }

    // ------------------------------------------------------------------ report

    /** The report without a prediction. After {@link #close()}, the report as it was at closing. */
    public synchronized MemoryReport report() {
        return closed ? frozen : build();
    }

    /** The report with {@code prediction} beside the measurement (null for none). */
    public MemoryReport report(MemoryPrediction prediction) {
        return report().withPrediction(prediction);
    }

    private MemoryReport build() {
        List<MemoryReport.ModuleMemory> rows = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        long params = 0;
        long grads = 0;
        long buffers = 0;
        for (Module m : model.namedModules().values()) {
            long p = 0;
            long g = 0;
            long b = 0;
            for (Parameter par : m.localParameters().values()) {
                p += MemoryPrediction.tensorBytes(par.tensor());
                Tensor grad = par.tensor().grad();
                if (grad != null) {
                    g += MemoryPrediction.tensorBytes(grad);
                }
            }
            for (Tensor buf : m.localBuffers().values()) {
                b += MemoryPrediction.tensorBytes(buf);
            }
            // A module registered twice in the tree appears (and counts) once: its path, not its position, names it.
            if (seen.add(m.path())) {
                params += p;
                grads += g;
                buffers += b;
                rows.add(moduleRow(m.path(), m.getClass().getSimpleName(), p, g, b));
            }
        }
        for (String owner : owners.keySet()) {
            if (seen.add(owner)) {
                rows.add(moduleRow(owner, "-", 0, 0, 0));
            }
        }
        Map<MemoryCategory, MemoryReport.Usage> categories = new EnumMap<>(MemoryCategory.class);
        for (MemoryCategory c : MemoryCategory.values()) {
            int i = c.ordinal();
            categories.put(c, new MemoryReport.Usage(current[i], peak[i], allocated[i]));
        }
        Map<String, MemoryReport.Usage> byOp = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : savedByOp.entrySet()) {
            long[] s = e.getValue();
            byOp.put(e.getKey(), new MemoryReport.Usage(s[0], s[1], s[2]));
        }
        Map<Phase, MemoryReport.PhaseMemory> phaseRows = new EnumMap<>(Phase.class);
        for (Map.Entry<Phase, PhaseStats> e : phases.entrySet()) {
            PhaseStats s = e.getValue();
            phaseRows.put(e.getKey(), new MemoryReport.PhaseMemory(s.entries, s.peakTotal, s.peakSaved,
                    TimelineBuffer.byCategory(s.peak.clone()), TimelineBuffer.byCategory(s.allocated.clone())));
        }
        MemoryUsage heap = JvmCounters.heap();
        MemoryReport.JvmMemory jvm = new MemoryReport.JvmMemory(heap.getUsed(), heap.getCommitted(), heap.getMax(),
                JvmCounters.threadSince(attachBaseline), JvmCounters.allThreadsSince(attachBaseline));
        MemoryReport.StaticMemory statics = new MemoryReport.StaticMemory(params, grads, buffers,
                current[MemoryCategory.OPTIMIZER_STATE.ordinal()]);
        return new MemoryReport(model.getClass().getSimpleName(), List.copyOf(rows), Collections.unmodifiableMap(categories),
                peakTotal, new MemoryReport.Usage(savedCurrent, savedPeak, savedTotal), Collections.unmodifiableMap(byOp),
                Collections.unmodifiableMap(phaseRows), List.copyOf(steps), droppedSteps, timeline == null ? new MemoryReport.Timeline(List.of(), 0, 1, 0) : timeline.snapshot(pendingPeak()), statics,
                jvm, unmatched, null);
    }

    private MemoryReport.ModuleMemory moduleRow(String path, String type, long params, long grads, long buffers) {
        OwnerStats s = owners.get(path);
        Map<MemoryCategory, MemoryReport.Usage> tracked = new EnumMap<>(MemoryCategory.class);
        for (MemoryCategory c : MemoryCategory.values()) {
            int i = c.ordinal();
            tracked.put(c, s == null ? new MemoryReport.Usage(0, 0, 0) : new MemoryReport.Usage(s.current[i], s.peak[i], s.allocated[i]));
        }
        MemoryReport.Usage saved = s == null ? new MemoryReport.Usage(0, 0, 0) : new MemoryReport.Usage(s.savedCurrent, s.savedPeak, s.savedTotal);
        return new MemoryReport.ModuleMemory(path, type, params, grads, buffers, saved, Collections.unmodifiableMap(tracked),
                s == null ? 0 : s.transientPeak);
    }

    /** Stops listening; the report is frozen as it is now. An open step is not recorded. Idempotent. */
    @Override
    public void close() {
        MemoryTracker.removeListener(trackerListener);
        SavedTensors.removeListener(savedListener);
        synchronized (this) {
            if (!closed) {
                frozen = build();
                closed = true;
            }
        }
    }

    private static long sum(long[] values) {
        long s = 0;
        for (long v : values) {
            s += v;
        }
        return s;
    }
}
