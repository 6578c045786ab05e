package org.quadralib.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

import org.quadralib.core.F;
import org.quadralib.core.GradMode;
import org.quadralib.core.InferenceMode;
import org.quadralib.core.Parallel;
import org.quadralib.core.Rng;
import org.quadralib.core.SavedTensors;
import org.quadralib.core.Tensor;
import org.quadralib.core.memory.Buffers;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.memory.MemoryScope;
import org.quadralib.core.memory.MemoryTracker;
import org.quadralib.core.optim.SGD;
import org.quadralib.layers.Init;
import org.quadralib.layers.Module;
import org.quadralib.profiler.MemoryProfiler;
import org.quadralib.profiler.Phase;

/**
 * The end-to-end training-step benchmark, the Java side of {@code benchmarks/peers/compare.py}.
 *
 * <p>One training step is forward, cross-entropy, backward and an SGD update with momentum 0.9, run inside a
 * {@link MemoryScope} over a pool reused across steps, as the trainer runs it. After a warm-up of at least
 * {@code --warmup} steps and {@code --warmup-seconds} seconds (default 10: the JIT compiles for the first 8–10
 * seconds, and while a compiler thread holds a core the worker shares the caller's, so W1's steps ran 1.5–2× slower
 * after 3 seconds than after 10) it times
 * {@code --steps} steps and reports their median (and the CPU time per step summed over all threads, steadier than
 * wall time on a loaded machine); then it times as many inference batches in evaluation mode, first in an
 * {@link InferenceMode} scope (no gradient recording, each weight rearranged for its kernel once: {@code infer_ms}),
 * then under {@link GradMode#noGrad()} alone ({@code infer_nograd_ms}). Memory over the timed steps: the tracker's peak in total and by category, the peak of bytes
 * saved for backward, the bytes handed out per step by category (activations, activation gradients), and the JVM's
 * own heap allocation per step ({@code com.sun.management.ThreadMXBean}, summed over all live threads), which a
 * pooled step keeps far below its activation bytes.
 *
 * <pre>
 * java --add-modules=jdk.incubator.vector -cp benchmarks/target/benchmarks.jar org.quadralib.benchmarks.StepBenchmark \
 *     --workload W3 --variant quadratic-hybrid --steps 30 --warmup 10 --threads 2 --lr 0.0001
 * </pre>
 *
 * <p>With {@code --profiled true} it then times as many steps again under a {@link MemoryProfiler} with the timeline
 * off, interleaved in blocks of five with unprofiled ones: {@code profiled_over_unprofiled} is the ratio of their
 * medians.
 *
 * <p>Prints one JSON line, with the fields of {@code torch_step.py} (times in milliseconds) plus the memory figures and
 * the JDK ({@code java}: {@code java.version}, {@code java_vm}: {@code java.vm.version}).
 */
public final class StepBenchmark {

    /**
     * The JDK the figures are measured on, for the headers of every benchmark report: {@code JDK <java.version>
     * (VM <java.vm.name> <java.vm.version>)}.
     */
    static String jdk() {
        return "JDK " + System.getProperty("java.version") + " (VM " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.vm.version") + ")";
    }

    /** Steps of the allocation accounting pass, after the timed ones. */
    private static final int ACCOUNTING_STEPS = 3;

    private StepBenchmark() {
    }

    /** The parsed command line. */
    record Options(StepWorkload workload, StepWorkload.Variant variant, int steps, int warmup, double warmupSeconds, int threads,
            float lr, long seed, boolean profiled) {

        /**
         * Parses {@code --name value} pairs.
         *
         * @throws IllegalArgumentException naming the option and the value when one is unknown, missing or out of
         *     range (steps ≥ 20, warmup ≥ 0, warmup seconds ≥ 0, threads ≥ 1, lr finite and positive)
         */
        static Options parse(String[] args) {
            StepWorkload workload = null;
            StepWorkload.Variant variant = StepWorkload.Variant.FIRST_ORDER;
            int steps = 30;
            int warmup = 10;
            double warmupSeconds = 10;
            int threads = 2;
            float lr = 1e-4f;
            long seed = 0;
            boolean profiled = false;
            for (int i = 0; i < args.length; i++) {
                String name = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(name + ": missing value");
                }
                String v = args[++i];
                switch (name) {
                    case "--workload" -> workload = StepWorkload.parse(v);
                    case "--variant" -> variant = StepWorkload.Variant.parse(v);
                    case "--steps" -> steps = integer(name, v);
                    case "--warmup" -> warmup = integer(name, v);
                    case "--warmup-seconds" -> warmupSeconds = number(name, v);
                    case "--threads" -> threads = integer(name, v);
                    case "--lr" -> lr = number(name, v);
                    case "--seed" -> seed = integer(name, v);
                    case "--profiled" -> profiled = bool(name, v);
                    default -> throw new IllegalArgumentException("unknown option " + name
                            + "; options: --workload W1|W2|W3 --variant first-order|quadratic-standard|quadratic-hybrid --steps N"
                            + " --warmup N --warmup-seconds S --threads N --lr X --seed N --profiled true|false");
                }
            }
            if (workload == null) {
                throw new IllegalArgumentException("--workload W1|W2|W3 is required");
            }
            if (steps < 20) {
                throw new IllegalArgumentException("--steps: at least 20 timed steps, got " + steps);
            }
            if (warmup < 0 || threads < 1 || !(warmupSeconds >= 0)) {
                throw new IllegalArgumentException("--warmup and --warmup-seconds must be ≥ 0 and --threads ≥ 1, got " + warmup + ", "
                        + warmupSeconds + " and " + threads);
            }
            if (!(lr > 0) || Float.isInfinite(lr)) {
                throw new IllegalArgumentException("--lr: expected a positive learning rate, got " + lr);
            }
            return new Options(workload, variant, steps, warmup, warmupSeconds, threads, lr, seed, profiled);
        }

        static boolean bool(String name, String v) {
            return switch (v) {
                case "true" -> true;
                case "false" -> false;
                default -> throw new IllegalArgumentException(name + ": expected true or false, got '" + v + "'");
            };
        }

        static int integer(String name, String v) {
            try {
                return Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + ": expected an integer, got '" + v + "'", e);
            }
        }

        static float number(String name, String v) {
            try {
                return Float.parseFloat(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + ": expected a number, got '" + v + "'", e);
            }
        }
    }

    /** What one run measured. */
    record Result(Options options, double[] trainMs, double[] inferMs, double[] inferNoGradMs, double trainCpuMs, float finalLoss, long peakBytes,
            Map<MemoryCategory, Long> peakByCategory, long savedPeakBytes, long[] bytesPerStepByCategory, long heapBytesPerStep,
            long freshPoolBytesLastStep, double[] profiledTrainMs, double[] unprofiledTrainMs) {

        /** The result as one JSON object on one line. */
        String toJson() {
            StringBuilder sb = new StringBuilder("{");
            field(sb, "side", "java");
            field(sb, "workload", options.workload().name());
            field(sb, "variant", options.variant().label());
            field(sb, "threads", options.threads());
            field(sb, "steps", options.steps());
            field(sb, "warmup", options.warmup());
            field(sb, "warmup_seconds", options.warmupSeconds());
            field(sb, "lr", options.lr());
            field(sb, "train_ms", median(trainMs));
            field(sb, "train_ms_q1", quantile(trainMs, 0.25));
            field(sb, "train_ms_q3", quantile(trainMs, 0.75));
            field(sb, "train_cpu_ms", trainCpuMs);
            field(sb, "infer_ms", median(inferMs));
            field(sb, "infer_ms_q1", quantile(inferMs, 0.25));
            field(sb, "infer_ms_q3", quantile(inferMs, 0.75));
            field(sb, "infer_nograd_ms", median(inferNoGradMs));
            field(sb, "final_loss", finalLoss);
            field(sb, "peak_bytes", peakBytes);
            sb.append("\"peak_by_category\": {");
            boolean first = true;
            for (Map.Entry<MemoryCategory, Long> e : peakByCategory.entrySet()) {
                sb.append(first ? "" : ", ").append('"').append(e.getKey().name().toLowerCase(Locale.ROOT)).append("\": ")
                        .append(e.getValue());
                first = false;
            }
            sb.append("}, ");
            field(sb, "saved_peak_bytes", savedPeakBytes);
            long act = bytesPerStepByCategory[MemoryCategory.ACTIVATION.ordinal()];
            field(sb, "activation_bytes_per_step", act);
            field(sb, "activation_grad_bytes_per_step", bytesPerStepByCategory[MemoryCategory.ACTIVATION_GRADIENT.ordinal()]);
            field(sb, "tracked_bytes_per_step", Arrays.stream(bytesPerStepByCategory).sum());
            field(sb, "heap_alloc_bytes_per_step", heapBytesPerStep);
            field(sb, "heap_alloc_over_activation", act == 0 ? Double.NaN : (double) heapBytesPerStep / act);
            field(sb, "pool_fresh_bytes_last_step", freshPoolBytesLastStep);
            if (profiledTrainMs.length > 0) {
                field(sb, "train_ms_unprofiled_interleaved", median(unprofiledTrainMs));
                field(sb, "train_ms_profiled", median(profiledTrainMs));
                field(sb, "profiled_over_unprofiled", median(profiledTrainMs) / median(unprofiledTrainMs));
            }
            field(sb, "java", System.getProperty("java.version"));
            sb.append("\"java_vm\": \"").append(System.getProperty("java.vm.version")).append("\"}");
            return sb.toString();
        }

        private static void field(StringBuilder sb, String name, Object value) {
            sb.append('"').append(name).append("\": ");
            if (value instanceof String s) {
                sb.append('"').append(s).append('"');
            } else if (value instanceof Double d && !Double.isFinite(d) || value instanceof Float f && !Float.isFinite(f)) {
                sb.append("null");
            } else {
                sb.append(value);
            }
            sb.append(", ");
        }
    }

    /**
     * Runs one workload and variant and prints its JSON line.
     *
     * @param args see {@link Options#parse}
     */
    public static void main(String[] args) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("StepBenchmark: " + e.getMessage());
            System.exit(2);
            return;
        }
        Result r = run(o);
        System.out.println(r.toJson());
        if (!Float.isFinite(r.finalLoss())) {
            System.err.println("StepBenchmark: " + o.workload() + " " + o.variant().label() + " diverged (loss " + r.finalLoss()
                    + ") at lr " + o.lr());
            System.exit(1);
        }
    }

    /** Builds the model, trains and evaluates it as described on the class, and returns the figures. */
    static Result run(Options o) {
        Parallel.setThreads(o.threads());
        Init.manualSeed(o.seed());
        Module model = o.workload().build(o.variant().factory());
        model.train(true);
        Rng rng = new Rng(o.seed() + 1);
        Tensor x;
        try (Buffers.CategoryScope c = Buffers.withCategory(MemoryCategory.INPUT)) {
            x = Tensor.randn(rng, o.workload().inputShape());
        }
        int[] labels = new int[x.size(0)];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = rng.nextInt(StepWorkload.CLASSES);
        }
        SGD optimizer = new SGD(model.parameters(), o.lr(), 0.9f);
        MemoryScope.Pool pool = new MemoryScope.Pool();

        float loss = Float.NaN;
        long warmStart = System.nanoTime();
        for (int i = 0; i < o.warmup() || System.nanoTime() - warmStart < o.warmupSeconds() * 1e9; i++) {
            loss = trainStep(model, optimizer, pool, x, labels).loss();
        }
        // Let the collector reclaim the warm-up's garbage, so dead buffers do not count in the steady-state peak.
        MemoryTracker.settle();
        MemoryTracker.resetPeaks();
        SavedTensors.resetPeak();
        long heapBefore = heapAllocated();
        long cpuBefore = cpuTime();
        double[] trainMs = new double[o.steps()];
        long fresh = 0;
        for (int i = 0; i < o.steps(); i++) {
            long t0 = System.nanoTime();
            StepStats s = trainStep(model, optimizer, pool, x, labels);
            trainMs[i] = (System.nanoTime() - t0) / 1e6;
            loss = s.loss();
            fresh = s.freshBytes();
        }
        double cpuMs = (cpuTime() - cpuBefore) / 1e6 / o.steps();
        long heapPerStep = (heapAllocated() - heapBefore) / o.steps();
        long peak = MemoryTracker.peakTotal();
        Map<MemoryCategory, Long> peakByCategory = new EnumMap<>(MemoryCategory.class);
        for (MemoryCategory c : MemoryCategory.values()) {
            peakByCategory.put(c, MemoryTracker.peak(c));
        }
        long savedPeak = SavedTensors.peakBytes();

        long[] perStep = handedOutPerStep(model, optimizer, pool, x, labels);
        double[][] profiling = o.profiled() ? profilingCost(model, optimizer, pool, x, labels, o.steps()) : new double[2][0];

        model.eval();
        double[] inferMs = new double[o.steps()];
        try (InferenceMode m = InferenceMode.enter()) {
            warmStart = System.nanoTime();
            for (int i = 0; i < o.warmup() || System.nanoTime() - warmStart < o.warmupSeconds() * 1e9; i++) {
                inferenceBatch(model, pool, x);
            }
            timeInference(model, pool, x, inferMs);
        }
        // The same batches under no-grad alone: every op rearranges its weights again on every call. The code is
        // warm by now (the same kernels ran in training and above), so the warm-up is short.
        double[] inferNoGradMs = new double[o.steps()];
        try (GradMode.Scope g = GradMode.noGrad()) {
            for (int i = 0; i < o.warmup(); i++) {
                inferenceBatch(model, pool, x);
            }
            timeInference(model, pool, x, inferNoGradMs);
        }
        return new Result(o, trainMs, inferMs, inferNoGradMs, cpuMs, loss, peak, peakByCategory, savedPeak, perStep, heapPerStep, fresh,
                profiling[0], profiling[1]);
    }

    /** Blocks of interleaved steps, so that drift on a shared machine falls on both sides alike. */
    private static final int PROFILING_BLOCK = 5;

    /**
     * The cost of profiling: {@code steps} steps under a {@link MemoryProfiler} with the timeline off (each opened and
     * ended as a step, its forward, backward and update as phases, as {@code ProfilingListener} drives it), interleaved
     * in blocks of {@link #PROFILING_BLOCK} with as many unprofiled steps.
     *
     * @return the profiled steps' milliseconds, then the unprofiled ones'
     */
    @SuppressWarnings("try") // the scopes are used for what they do on open and close
    private static double[][] profilingCost(Module model, SGD optimizer, MemoryScope.Pool pool, Tensor x, int[] labels, int steps) {
        double[] profiled = new double[steps];
        double[] plain = new double[steps];
        for (int done = 0; done < steps; done += PROFILING_BLOCK) {
            int n = Math.min(PROFILING_BLOCK, steps - done);
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                trainStep(model, optimizer, pool, x, labels);
                plain[done + i] = (System.nanoTime() - t0) / 1e6;
            }
            try (MemoryProfiler prof = MemoryProfiler.attach(model, 0, MemoryProfiler.DEFAULT_STEP_CAPACITY)) {
                for (int i = 0; i < n; i++) {
                    long t0 = System.nanoTime();
                    prof.stepStart();
                    try (MemoryScope scope = MemoryScope.open(pool)) {
                        Tensor loss;
                        try (MemoryProfiler.PhaseScope p = prof.enter(Phase.FORWARD)) {
                            loss = F.crossEntropy(model.forward(x), labels);
                            loss.item();
                        }
                        try (MemoryProfiler.PhaseScope p = prof.enter(Phase.BACKWARD)) {
                            loss.backward();
                        }
                        try (MemoryProfiler.PhaseScope p = prof.enter(Phase.UPDATE)) {
                            optimizer.step();
                            optimizer.zeroGrad();
                        }
                    }
                    prof.stepEnd();
                    profiled[done + i] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        return new double[][] {profiled, plain};
    }

    /** The loss of a step and the bytes its scope could not take from the pool. */
    private record StepStats(float loss, long freshBytes) {
    }

    /** Forward, cross-entropy, backward and the SGD update, in a scope over {@code pool}. */
    private static StepStats trainStep(Module model, SGD optimizer, MemoryScope.Pool pool, Tensor x, int[] labels) {
        try (MemoryScope scope = MemoryScope.open(pool)) {
            Tensor loss = F.crossEntropy(model.forward(x), labels);
            float value = loss.item();
            loss.backward();
            optimizer.step();
            optimizer.zeroGrad();
            return new StepStats(value, scope.freshBytes());
        }
    }

    /** Times {@code ms.length} inference batches, each into its slot of {@code ms}. */
    private static void timeInference(Module model, MemoryScope.Pool pool, Tensor x, double[] ms) {
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            inferenceBatch(model, pool, x);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
    }

    /** One forward pass in a scope over {@code pool}; the caller has switched recording off and the model to eval. */
    private static void inferenceBatch(Module model, MemoryScope.Pool pool, Tensor x) {
        try (MemoryScope scope = MemoryScope.open(pool)) {
            model.forward(x);
        }
    }

    /** Bytes the tracker hands out per training step, by category, averaged over {@link #ACCOUNTING_STEPS} steps. */
    private static long[] handedOutPerStep(Module model, SGD optimizer, MemoryScope.Pool pool, Tensor x, int[] labels) {
        AtomicLongArray bytes = new AtomicLongArray(MemoryCategory.values().length);
        MemoryTracker.Listener counter = (category, b, owner) -> {
            if (b > 0) {
                bytes.addAndGet(category.ordinal(), b);
            }
        };
        MemoryTracker.addListener(counter);
        try {
            for (int i = 0; i < ACCOUNTING_STEPS; i++) {
                trainStep(model, optimizer, pool, x, labels);
            }
        } finally {
            MemoryTracker.removeListener(counter);
        }
        long[] out = new long[bytes.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = bytes.get(i) / ACCOUNTING_STEPS;
        }
        return out;
    }

    /** Bytes allocated on the heap so far by every live thread (the caller and the kernel workers). */
    private static long heapAllocated() {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] ids = bean.getAllThreadIds();
        long total = 0;
        for (long b : bean.getThreadAllocatedBytes(ids)) {
            if (b > 0) {
                total += b;
            }
        }
        return total;
    }

    /**
     * CPU nanoseconds used so far by every live thread: on a shared machine the work a step does, whatever the
     * load made it wait.
     */
    private static long cpuTime() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (long id : bean.getAllThreadIds()) {
            long t = bean.getThreadCpuTime(id);
            if (t > 0) {
                total += t;
            }
        }
        return total;
    }

    static double median(double[] v) {
        return quantile(v, 0.5);
    }

    /** Linear-interpolated quantile {@code q} of {@code v}, as numpy's default. */
    static double quantile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(s.length - 1, lo + 1);
        return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    }
}
