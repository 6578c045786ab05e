package org.quadralib.profiler;

import java.util.List;
import java.util.Map;

import com.google.gson.GsonBuilder;

import org.quadralib.core.memory.MemoryCategory;

/**
 * What a {@link MemoryProfiler} measured, as plain data, with an optional {@link MemoryPrediction} beside it.
 * All sizes are bytes; maps keyed by category or phase hold every constant of the enum.
 *
 * <p>Three sources feed it, and they differ in exactness: the tracker's category totals ({@code categories},
 * {@code phases}, {@code steps}, {@code timeline}) and the saved-tensor registry ({@code saved},
 * {@code savedByOp}, {@link ModuleMemory#saved()}) are exact; the per-module tracked bytes
 * ({@link ModuleMemory#tracked()}) attribute releases to modules as {@link MemoryProfiler} explains; the static
 * figures ({@code statics}, {@link ModuleMemory#parameterBytes()} ...) are read from the model itself.
 *
 * @param model the profiled model's class name
 * @param modules one row per module of the model (depth-first, as {@code Module.namedModules}), then one per
 *     other owner that allocated memory (ops run outside any module are owned by {@code ""}, like a root module)
 * @param categories per category, since the profiler attached: bytes held now, the peak, bytes allocated
 * @param peakTotalBytes highest sum over all categories since the profiler attached
 * @param saved bytes saved for backward (distinct storages) since the profiler attached: now, peak, and ever
 *     saved; graphs built before attach are not counted
 * @param savedByOp the same per op name, counted under the op that saved a storage first
 * @param phases per phase, over every time it was entered
 * @param steps per completed step, oldest first; at most the profiler's step capacity, the oldest dropped
 * @param droppedSteps completed steps no longer in {@code steps}
 * @param timeline bounded samples of bytes per category over time
 * @param statics parameter, gradient, buffer and optimizer-state totals
 * @param jvm the JVM's view when the report was made (or when the profiler closed)
 * @param unmatchedReleaseBytes released bytes the tracker reported that match no allocation seen while
 *     attached (buffers allocated before {@code attach}, released by the collector later)
 * @param prediction the prediction printed beside the measurement, or null
 */
public record MemoryReport(
        String model,
        List<ModuleMemory> modules,
        Map<MemoryCategory, Usage> categories,
        long peakTotalBytes,
        Usage saved,
        Map<String, Usage> savedByOp,
        Map<Phase, PhaseMemory> phases,
        List<StepMemory> steps,
        long droppedSteps,
        Timeline timeline,
        StaticMemory statics,
        JvmMemory jvm,
        long unmatchedReleaseBytes,
        MemoryPrediction prediction) {

    /**
     * Bytes of one kind of memory.
     *
     * @param currentBytes held now
     * @param peakBytes the highest value of {@code currentBytes} seen
     * @param allocatedBytes sum of every allocation (released or not)
     */
    public record Usage(long currentBytes, long peakBytes, long allocatedBytes) {
    }

    /**
     * One module (or owner) of the model. Static figures count the module's own tensors, not its children's.
     *
     * @param path the module path ({@code ""} for the root)
     * @param type the module's class name, or {@code "-"} for an owner that is not a module of the model
     * @param parameterBytes its own parameters, {@code 4·numel} each
     * @param gradientBytes gradients currently held by those parameters
     * @param bufferBytes its own buffers (running statistics)
     * @param saved bytes its ops saved for backward
     * @param tracked bytes the tracker attributed to it, per category
     * @param peakTransientBytes highest sum of its activation, activation-gradient, workspace and input bytes
     */
    public record ModuleMemory(String path, String type, long parameterBytes, long gradientBytes, long bufferBytes,
            Usage saved, Map<MemoryCategory, Usage> tracked, long peakTransientBytes) {
    }

    /**
     * One phase, over all the times it was entered.
     *
     * @param entries how many times it was entered
     * @param peakTotalBytes highest tracked total while in it
     * @param peakSavedBytes highest saved-for-backward bytes while in it
     * @param peakBytes highest bytes per category while in it (each category's own peak)
     * @param allocatedBytes bytes allocated per category while in it
     */
    public record PhaseMemory(long entries, long peakTotalBytes, long peakSavedBytes, Map<MemoryCategory, Long> peakBytes,
            Map<MemoryCategory, Long> allocatedBytes) {
    }

    /**
     * One training step, between {@code stepStart} and {@code stepEnd}.
     *
     * @param step the step's index
     * @param peakTotalBytes highest tracked total during the step
     * @param peakSavedBytes highest saved-for-backward bytes during the step
     * @param peakBytes highest bytes per category during the step
     * @param trackedAllocatedBytes bytes the library's allocator handed out during the step (pooled arrays
     *     included)
     * @param heapUsedBytes the JVM heap in use at the end of the step
     * @param jvmAllocatedBytes bytes the JVM allocated on the thread that started and ended the step, or -1
     *     if the JVM cannot count them
     * @param jvmAllocatedBytesAllThreads bytes the JVM allocated on every thread alive at the end of the step
     *     (threads that died during it are missed), or -1
     */
    public record StepMemory(int step, long peakTotalBytes, long peakSavedBytes, Map<MemoryCategory, Long> peakBytes,
            long trackedAllocatedBytes, long heapUsedBytes, long jvmAllocatedBytes, long jvmAllocatedBytesAllThreads) {
    }

    /** Why a timeline sample was taken. */
    public enum SampleKind {
        /** A phase was entered (the first sample, at attach, is one for {@link Phase#OTHER}). */
        PHASE,
        /** A step started or ended. */
        STEP,
        /** The highest total between two other samples. */
        PEAK
    }

    /**
     * The tracked bytes at one moment.
     *
     * @param event the number of tracker and saved-tensor events seen since attach when it was taken
     * @param elapsedNanos time since attach
     * @param step the open step's index, or -1 between steps
     * @param phase the phase then
     * @param kind why it was taken
     * @param totalBytes sum over categories
     * @param savedBytes saved for backward (a part of the activation categories, not added to the total)
     * @param bytes per category
     */
    public record TimelineSample(long event, long elapsedNanos, int step, Phase phase, SampleKind kind, long totalBytes,
            long savedBytes, Map<MemoryCategory, Long> bytes) {
    }

    /**
     * A bounded timeline. When {@code capacity} samples are kept, adjacent pairs merge into the one with the
     * higher total, and from then on every {@code stride} raw samples make one kept sample: the timeline always
     * spans the whole run, at a resolution that halves each time it fills, and the peak survives every merge.
     *
     * @param samples the kept samples in time order
     * @param capacity the most samples kept
     * @param stride raw samples per kept sample
     * @param recorded raw samples taken
     */
    public record Timeline(List<TimelineSample> samples, int capacity, int stride, long recorded) {
    }

    /**
     * Totals read from the model and the tracker.
     *
     * @param parameterBytes every parameter, {@code 4·numel}
     * @param gradientBytes every gradient the parameters hold
     * @param bufferBytes every module buffer
     * @param optimizerStateBytes the tracker's current {@link MemoryCategory#OPTIMIZER_STATE} bytes (all
     *     optimizers in the process)
     */
    public record StaticMemory(long parameterBytes, long gradientBytes, long bufferBytes, long optimizerStateBytes) {
    }

    /**
     * The JVM's own figures. Allocation counters are -1 when the JVM does not support them.
     *
     * @param heapUsedBytes heap in use
     * @param heapCommittedBytes heap the JVM has reserved from the system
     * @param heapMaxBytes the heap limit, or -1 if undefined
     * @param allocatedBytesThisThread bytes allocated since attach by the thread that attached the profiler
     * @param allocatedBytesAllThreads bytes allocated since attach by the threads alive now
     */
    public record JvmMemory(long heapUsedBytes, long heapCommittedBytes, long heapMaxBytes, long allocatedBytesThisThread,
            long allocatedBytesAllThreads) {
    }

    /** The same report with {@code p} as its prediction (null removes it). */
    public MemoryReport withPrediction(MemoryPrediction p) {
        return new MemoryReport(model, modules, categories, peakTotalBytes, saved, savedByOp, phases, steps, droppedSteps,
                timeline, statics, jvm, unmatchedReleaseBytes, p);
    }

    /**
     * The report as text tables: modules (params, grads, saved activations measured / predicted, peak), totals
     * per category, per phase, saved bytes per op, steps (the first and last few when there are many), JVM
     * figures.
     */
    public String toText() {
        return ReportText.render(this);
    }

    /** The report as pretty-printed JSON (Gson): field names as the record components, enums by name. */
    public String toJson() {
        return new GsonBuilder().setPrettyPrinting().create().toJson(this);
    }
}
