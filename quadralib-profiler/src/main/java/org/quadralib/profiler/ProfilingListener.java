package org.quadralib.profiler;

import java.util.Objects;

import org.quadralib.layers.Module;
import org.quadralib.layers.train.BatchResult;
import org.quadralib.layers.train.StepPhase;
import org.quadralib.layers.train.Trainer;
import org.quadralib.layers.train.TrainingContext;
import org.quadralib.layers.train.TrainingListener;

/**
 * Profiles a {@link Trainer}'s steps: a {@link TrainingListener} that drives a {@link MemoryProfiler}, so that
 * memory per phase and per step is measured with no hand-written {@code stepStart}/{@code phase}/{@code stepEnd}
 * calls.
 *
 * <pre>{@code
 * try (ProfilingListener profiling = ProfilingListener.attach(model)) {
 *     new Trainer(config, profiling).fit(model, train, validation, epochs);
 *     System.out.println(profiling.report().toText());
 * }
 * }</pre>
 *
 * <p>What is recorded: one profiler step per training batch, opened at the batch's first
 * {@link TrainingListener#onPhase} event (after the batch was loaded) and ended at
 * {@link TrainingListener#onBatchEnd} (after the step's memory scope closed). Each {@link StepPhase} selects the
 * {@link Phase} of the same name: {@link StepPhase#OTHER}, which the trainer announces at the end of a step
 * before its memory scope releases the activations, becomes {@link Phase#OTHER}. Between steps the phase is
 * {@link Phase#OTHER} and no step is open; the trainer fires no event while it evaluates the validation data, so
 * evaluation is never a profiled step and its memory counts towards {@link Phase#OTHER} only. (What other
 * listeners do in {@code onBatchEnd} counts in the step when they come before this one.) Everything else is
 * the {@link MemoryProfiler}'s, as its documentation describes: per phase peaks and allocations, per step peaks,
 * the timeline, per-module figures.
 *
 * <p>Several fits: one listener may serve several fits in turn (of one model: the report reads parameter figures
 * from the model it was attached to). Their steps add up in one report, numbered on from the previous fit. A fit
 * that ended because a step threw leaves that step open; the next fit started with this listener ends it first,
 * so it is recorded, partial. For figures per fit, attach a listener per fit.
 *
 * <p>Thread safety: the trainer calls the listener on its training thread, and one listener serves one fit at a
 * time. {@link #report()}, {@link #profiler()} and {@link #close()} may be called from any thread: the profiler
 * serialises them with its own bookkeeping. Closing it during a fit makes the fit throw
 * {@link IllegalStateException} at the listener's next event; a fit started after closing throws it before its
 * first step.
 */
public final class ProfilingListener implements TrainingListener, AutoCloseable {

    private final MemoryProfiler profiler;
    /** Touched only on the training thread. */
    private boolean stepOpen;
    private Phase phase = Phase.OTHER;

    /**
     * A listener driving {@code profiler}, which it takes over: {@link #close()} closes it. The profiler should
     * not be driven by other calls while a fit runs.
     *
     * @throws NullPointerException if {@code profiler} is null
     */
    public ProfilingListener(MemoryProfiler profiler) {
        this.profiler = Objects.requireNonNull(profiler, "profiler");
    }

    /**
     * Starts profiling {@code model} ({@link MemoryProfiler#attach(Module)}) and returns the listener to pass to
     * the {@link Trainer} that trains it.
     *
     * @throws NullPointerException if {@code model} is null
     */
    public static ProfilingListener attach(Module model) {
        return new ProfilingListener(MemoryProfiler.attach(model));
    }

    /** The profiler this listener drives. */
    public MemoryProfiler profiler() {
        return profiler;
    }

    /** The profiler's report ({@link MemoryProfiler#report()}): as it was at closing once closed. */
    public MemoryReport report() {
        return profiler.report();
    }

    /**
     * Ends a step a failed earlier fit left open and returns to {@link Phase#OTHER}.
     *
     * @throws IllegalStateException if the profiler is closed: the fit ends before its first step
     */
    @Override
    public void onFitStart(TrainingContext context) {
        profiler.phase(Phase.OTHER);
        phase = Phase.OTHER;
        if (stepOpen) {
            stepOpen = false;
            profiler.stepEnd();
        }
    }

    /**
     * Opens a profiler step if none is open, then switches to the profiler phase of the same name.
     *
     * @throws IllegalStateException if the profiler was closed during the fit
     */
    @Override
    public void onPhase(StepPhase stepPhase) {
        if (!stepOpen) {
            profiler.stepStart();
            stepOpen = true;
        }
        enter(switch (stepPhase) {
            case FORWARD -> Phase.FORWARD;
            case BACKWARD -> Phase.BACKWARD;
            case UPDATE -> Phase.UPDATE;
            case OTHER -> Phase.OTHER;
        });
    }

    /**
     * Ends the open step in {@link Phase#OTHER}, so that whatever runs before the next step (validation included)
     * counts there.
     *
     * @throws IllegalStateException if the profiler was closed during the fit
     */
    @Override
    public void onBatchEnd(TrainingContext context, BatchResult result) {
        enter(Phase.OTHER);
        if (stepOpen) {
            stepOpen = false;
            profiler.stepEnd();
        }
    }

    private void enter(Phase next) {
        if (next != phase) {
            profiler.phase(next);
            phase = next;
        }
    }

    /**
     * Closes the profiler ({@link MemoryProfiler#close()}): it stops listening and its report is frozen; a step
     * still open is not recorded. A later fit with this listener throws {@link IllegalStateException} at its
     * start. Idempotent.
     */
    @Override
    public void close() {
        profiler.close();
    }
}
