package org.quadralib.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * Compares whole training steps (or inference batches) of two builds of the library in one JVM, as
 * {@link BuildCompare} does for the GEMM: each build in a class loader of its own (its own kernels, worker pool and
 * JIT-compiled code), both warmed up, then slices of a few steps alternate between them (the first build of a pair
 * alternating too), and each slice's median of the second build is divided by the same pair's median of the first.
 * The host's phases hit both alike; the median of the paired ratios is what a change is judged by.
 *
 * <p>A build is a class path holding the benchmarks module and its dependencies: another commit's
 * {@code benchmarks.jar} will do. The workload is the step benchmark's ({@link StepRunner}, defined in each build's
 * loader).
 *
 * <pre>
 * java --add-modules=jdk.incubator.vector -cp benchmarks/target/benchmarks.jar org.quadralib.benchmarks.StepCompare \
 *     --builds /tmp/before.jar,benchmarks/target/benchmarks.jar --workload W3 --variant first-order --mode train \
 *     --seconds 40 --steps-per-slice 3
 * </pre>
 */
public final class StepCompare {

    private StepCompare() {
    }

    /** The parsed command line. */
    record Options(List<String> builds, String workload, String variant, boolean train, int threads, double seconds,
                   double warmupSeconds, int stepsPerSlice, float lr) {

        /**
         * Parses {@code --builds a,b --workload W [--variant V] [--mode train|infer] [--threads T] [--seconds S]
         * [--warmup-seconds S] [--steps-per-slice K] [--lr LR]}.
         *
         * @throws IllegalArgumentException naming the option and the value when one is unknown, missing or out of
         *     range (two builds, a workload and variant the step benchmark knows, threads ≥ 1, steps per slice ≥ 1,
         *     seconds &gt; 0, warm-up ≥ 0, lr &gt; 0)
         */
        static Options parse(String[] args) {
            List<String> builds = new ArrayList<>();
            String workload = null;
            String variant = "first-order";
            String mode = "train";
            int threads = 2;
            double seconds = 40;
            double warmup = 12;
            int steps = 3;
            double lr = 0.0001;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("StepCompare: " + a + " needs a value");
                }
                String v = args[++i];
                switch (a) {
                    case "--builds" -> builds.addAll(BuildCompare.buildList(v));
                    case "--workload" -> workload = v;
                    case "--variant" -> variant = v;
                    case "--mode" -> mode = v;
                    case "--threads" -> threads = StepBenchmark.Options.integer(a, v);
                    case "--seconds" -> seconds = StepBenchmark.Options.number(a, v);
                    case "--warmup-seconds" -> warmup = StepBenchmark.Options.number(a, v);
                    case "--steps-per-slice" -> steps = StepBenchmark.Options.integer(a, v);
                    case "--lr" -> lr = StepBenchmark.Options.number(a, v);
                    default -> throw new IllegalArgumentException("StepCompare: unknown option " + a + "; valid: --builds, "
                            + "--workload, --variant, --mode, --threads, --seconds, --warmup-seconds, --steps-per-slice, --lr");
                }
            }
            if (builds.size() != 2) {
                throw new IllegalArgumentException("StepCompare: --builds needs two class paths, got " + builds);
            }
            if (workload == null) {
                throw new IllegalArgumentException("StepCompare: --workload W1|W2|W3 is required");
            }
            StepWorkload.parse(workload);
            StepWorkload.Variant.parse(variant);
            if (!mode.equals("train") && !mode.equals("infer")) {
                throw new IllegalArgumentException("StepCompare: --mode: expected train or infer, got '" + mode + "'");
            }
            if (threads < 1 || steps < 1 || !(seconds > 0) || !(warmup >= 0) || !(lr > 0)) {
                throw new IllegalArgumentException("StepCompare: need --threads ≥ 1, --steps-per-slice ≥ 1, --seconds > 0, "
                        + "--warmup-seconds ≥ 0 and --lr > 0, got " + threads + ", " + steps + ", " + seconds + ", " + warmup
                        + ", " + lr);
            }
            return new Options(List.copyOf(builds), workload, variant, mode.equals("train"), threads, seconds, warmup, steps,
                    (float) lr);
        }
    }

    /** A build's class path in a loader of its own, with {@link StepRunner} defined in it from this build's bytes. */
    static final class Build extends URLClassLoader {
        private static final String RUNNER = StepRunner.class.getName();
        private final String name;

        /**
         * @throws IllegalArgumentException naming the class path when an entry is not a valid path
         */
        Build(String classPath) {
            super(BuildCompare.classPathUrls("StepCompare", classPath), ClassLoader.getPlatformClassLoader());
            this.name = classPath;
        }

        @Override
        protected Class<?> findClass(String className) throws ClassNotFoundException {
            if (!className.equals(RUNNER)) {
                return super.findClass(className);
            }
            try (InputStream in = StepRunner.class.getResourceAsStream(StepRunner.class.getSimpleName() + ".class")) {
                if (in == null) {
                    throw new ClassNotFoundException(className);
                }
                byte[] bytes = in.readAllBytes();
                return defineClass(className, bytes, 0, bytes.length);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        protected Class<?> loadClass(String className, boolean resolve) throws ClassNotFoundException {
            // The runner comes from this build's bytes even when the build holds its own copy.
            if (className.equals(RUNNER)) {
                synchronized (getClassLoadingLock(className)) {
                    Class<?> c = findLoadedClass(className);
                    return c != null ? c : findClass(className);
                }
            }
            return super.loadClass(className, resolve);
        }

        /**
         * The build's runner for the options' workload.
         *
         * @throws IllegalArgumentException naming the class path when it does not hold the step benchmark's workloads
         */
        @SuppressWarnings("unchecked")
        IntFunction<long[]> runner(Options o) {
            try {
                var c = loadClass(RUNNER).getDeclaredConstructor(String.class, String.class, boolean.class, int.class, float.class);
                c.setAccessible(true);
                return (IntFunction<long[]>) c.newInstance(o.workload(), o.variant(), o.train(), o.threads(), o.lr());
            } catch (InvocationTargetException e) {
                throw new IllegalArgumentException("StepCompare: " + name + " failed to build " + o.workload() + " "
                        + o.variant() + ": " + e.getCause(), e.getCause());
            } catch (ReflectiveOperationException | LinkageError e) {
                throw new IllegalArgumentException("StepCompare: '" + name + "' does not hold the step benchmark's workloads: "
                        + e, e);
            }
        }

        String name() {
            return name;
        }
    }

    /** Per-slice medians in ms, {@code [build][slice]}: both runners warmed up, then slices alternating for the time. */
    static double[][] measure(Options o, List<IntFunction<long[]>> runners) {
        long warmEnd = System.nanoTime() + (long) (o.warmupSeconds() * 1e9);
        do {
            runners.get(0).apply(o.stepsPerSlice());
            runners.get(1).apply(o.stepsPerSlice());
        } while (System.nanoTime() < warmEnd);
        List<double[]> slices = new ArrayList<>();
        long end = System.nanoTime() + (long) (o.seconds() * 1e9);
        do {
            double[] pair = new double[2];
            int first = slices.size() % 2;
            for (int q = 0; q < 2; q++) {
                int b = q == 0 ? first : 1 - first;
                long[] ns = runners.get(b).apply(o.stepsPerSlice());
                double[] ms = new double[ns.length];
                for (int i = 0; i < ns.length; i++) {
                    ms[i] = ns[i] / 1e6;
                }
                pair[b] = StepBenchmark.median(ms);
            }
            slices.add(pair);
        } while (System.nanoTime() < end || slices.size() < 2);
        double[][] out = new double[2][slices.size()];
        for (int i = 0; i < slices.size(); i++) {
            out[0][i] = slices.get(i)[0];
            out[1][i] = slices.get(i)[1];
        }
        return out;
    }

    /** One line: each build's median slice time and quartiles, and the second's paired ratio to the first. */
    static String report(Options o, List<Build> builds, double[][] ms) {
        double[] ratio = BuildCompare.pairedRatios(ms[1], ms[0]);
        return StepBenchmark.jdk() + "\n" + String.format(Locale.ROOT, "%s %s %s, %d thread(s), %d slices of %d step(s)%n"
                + "  build 0 %.3f ms [%.3f-%.3f]  %s%n  build 1 %.3f ms [%.3f-%.3f]  %s%n"
                + "  build 1 / build 0 per slice: median %.3f [%.3f-%.3f]%n",
                o.workload(), o.variant(), o.train() ? "training step" : "inference batch", o.threads(), ms[0].length,
                o.stepsPerSlice(), StepBenchmark.median(ms[0]), StepBenchmark.quantile(ms[0], 0.25),
                StepBenchmark.quantile(ms[0], 0.75), builds.get(0).name(), StepBenchmark.median(ms[1]),
                StepBenchmark.quantile(ms[1], 0.25), StepBenchmark.quantile(ms[1], 0.75), builds.get(1).name(),
                StepBenchmark.median(ratio), StepBenchmark.quantile(ratio, 0.25), StepBenchmark.quantile(ratio, 0.75));
    }

    public static void main(String[] args) throws IOException {
        Options o = Options.parse(args);
        try (Build a = new Build(o.builds().get(0)); Build b = new Build(o.builds().get(1))) {
            List<IntFunction<long[]>> runners = Arrays.asList(a.runner(o), b.runner(o));
            System.out.print(report(o, List.of(a, b), measure(o, runners)));
        }
    }
}
