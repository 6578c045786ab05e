package org.quadralib.benchmarks;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Compares the GEMM of two or more builds of the library in one JVM, on a host whose speed drifts by tens of
 * percent from second to second (see benchmarks/HISTORY.md). Each build gets its own class loader, so each has its
 * own {@code Gemm}, worker pool and JIT-compiled kernels; the builds then run each shape in turn, in slices of a
 * fixed duration, and every slice of a build is divided by the same slice of the first build. The host's phases
 * hit all builds alike, and the median of those paired ratios is steady where the rates themselves are not.
 *
 * <p>A build is a class path (entries separated by the platform's path separator) holding quadralib-core and the
 * SLF4J API: the {@code benchmarks.jar} of another commit will do. It is reached by reflection through
 * {@code org.quadralib.core.kernels.Gemm.sgemm(boolean, boolean, int, int, int, float, float[], int, int, float[],
 * int, int, float, float[], int, int)} and {@code org.quadralib.core.Parallel.setThreads(int)}, so any build with
 * that public API can be compared, the current one included. A shape is {@code N} (N³) or {@code MxNxK}, with a
 * suffix {@code t} for {@code C = A·Bᵀ}; operands are filled from a fixed seed.
 *
 * <pre>
 * java --add-modules=jdk.incubator.vector -cp benchmarks/target/benchmarks.jar org.quadralib.benchmarks.BuildCompare \
 *     --builds /tmp/before.jar,benchmarks/target/benchmarks.jar --threads 2 256 1024 128x768x784t
 * </pre>
 *
 * <p>Prints, per shape, each build's median GFLOP/s with its quartiles and, for every build after the first, the
 * median and quartiles of its per-slice ratio to the first.
 */
public final class BuildCompare {

    private BuildCompare() {
    }

    /** {@code C[m×n] = A[m×k] · op(B)}, op(B) = B[k×n], or Bᵀ with B stored [n×k] when {@code transB}. */
    record Shape(int m, int n, int k, boolean transB) {

        /**
         * Parses {@code N}, {@code MxNxK} or either with a suffix {@code t}.
         *
         * @throws IllegalArgumentException naming the text when it is not such a shape of positive sizes
         */
        static Shape parse(String text) {
            String s = text.trim().toLowerCase(Locale.ROOT);
            boolean t = s.endsWith("t");
            String[] parts = (t ? s.substring(0, s.length() - 1) : s).split("x", -1);
            try {
                int[] v = new int[parts.length];
                for (int i = 0; i < parts.length; i++) {
                    v[i] = Integer.parseInt(parts[i]);
                    if (v[i] <= 0) {
                        throw new NumberFormatException("not positive");
                    }
                }
                if (v.length == 1) {
                    return new Shape(v[0], v[0], v[0], t);
                }
                if (v.length == 3) {
                    return new Shape(v[0], v[1], v[2], t);
                }
            } catch (NumberFormatException e) {
                // reported below with the text
            }
            throw new IllegalArgumentException("BuildCompare: expected a shape N or MxNxK (suffix t for A·Bᵀ), got '"
                    + text + "'");
        }

        double flops() {
            return 2.0 * m * n * k;
        }

        @Override
        public String toString() {
            return m + "x" + n + "x" + k + (transB ? " (A·Bᵀ)" : "");
        }
    }

    /** The parsed command line. */
    record Options(List<String> builds, int threads, int slices, int warmupSlices, double sliceMs, List<Shape> shapes) {

        /**
         * Parses {@code --builds a,b[,c...] [--threads T] [--slices S] [--warmup-slices W] [--slice-ms D] shape...}.
         *
         * @throws IllegalArgumentException naming the option and the value when one is unknown, missing or out of
         *     range (at least one build, at least one shape, threads ≥ 1, slices ≥ 4, warm-up slices ≥ 0, a slice of
         *     at least 1 ms)
         */
        static Options parse(String[] args) {
            List<String> builds = new ArrayList<>();
            int threads = 2;
            int slices = 30;
            int warmupSlices = 8;
            double sliceMs = 50;
            List<Shape> shapes = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (!a.startsWith("--")) {
                    shapes.add(Shape.parse(a));
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("BuildCompare: " + a + " needs a value");
                }
                String v = args[++i];
                switch (a) {
                    case "--builds" -> builds.addAll(buildList(v));
                    case "--threads" -> threads = StepBenchmark.Options.integer(a, v);
                    case "--slices" -> slices = StepBenchmark.Options.integer(a, v);
                    case "--warmup-slices" -> warmupSlices = StepBenchmark.Options.integer(a, v);
                    case "--slice-ms" -> sliceMs = StepBenchmark.Options.number(a, v);
                    default -> throw new IllegalArgumentException("BuildCompare: unknown option " + a
                            + "; valid: --builds, --threads, --slices, --warmup-slices, --slice-ms");
                }
            }
            if (builds.isEmpty()) {
                throw new IllegalArgumentException("BuildCompare: --builds a[,b...] is required");
            }
            if (shapes.isEmpty()) {
                throw new IllegalArgumentException("BuildCompare: give at least one shape (N or MxNxK[t])");
            }
            if (threads < 1 || slices < 4 || warmupSlices < 0 || !(sliceMs >= 1)) {
                throw new IllegalArgumentException("BuildCompare: need --threads ≥ 1, --slices ≥ 4, --warmup-slices ≥ 0 and "
                        + "--slice-ms ≥ 1, got " + threads + ", " + slices + ", " + warmupSlices + ", " + sliceMs);
            }
            return new Options(List.copyOf(builds), threads, slices, warmupSlices, sliceMs, List.copyOf(shapes));
        }
    }

    /** One build's {@code Gemm.sgemm} and {@code Parallel.setThreads}, in a class loader of its own. */
    static final class Build implements AutoCloseable {
        private final String name;
        private final URLClassLoader loader;
        private final Method sgemm;
        private final Method setThreads;

        /**
         * Loads the build on {@code classPath}.
         *
         * @throws IllegalArgumentException naming the class path when it does not hold the library's GEMM
         */
        Build(String classPath) {
            this.name = classPath;
            loader = new URLClassLoader(classPathUrls("BuildCompare", classPath), ClassLoader.getPlatformClassLoader());
            try {
                sgemm = loader.loadClass("org.quadralib.core.kernels.Gemm").getMethod("sgemm", boolean.class, boolean.class,
                        int.class, int.class, int.class, float.class, float[].class, int.class, int.class, float[].class,
                        int.class, int.class, float.class, float[].class, int.class, int.class);
                setThreads = loader.loadClass("org.quadralib.core.Parallel").getMethod("setThreads", int.class);
            } catch (ReflectiveOperationException | LinkageError e) {
                close();
                throw new IllegalArgumentException("BuildCompare: '" + classPath + "' does not hold quadralib-core's Gemm and "
                        + "Parallel (with the SLF4J API): " + e, e);
            }
        }

        String name() {
            return name;
        }

        /** The build's own {@code Gemm} class. */
        Class<?> gemmClass() {
            return sgemm.getDeclaringClass();
        }

        /** Runs {@code C = A·op(B)} on {@code threads} threads for at least {@code nanos}; returns GFLOP/s. */
        double rate(Shape s, float[] a, float[] b, float[] c, int threads, long nanos) {
            try {
                setThreads.invoke(null, threads);
                int ldb = s.transB() ? s.k() : s.n();
                long calls = 0;
                long t0 = System.nanoTime();
                long t;
                do {
                    sgemm.invoke(null, false, s.transB(), s.m(), s.n(), s.k(), 1f, a, 0, s.k(), b, 0, ldb, 0f, c, 0, s.n());
                    calls++;
                    t = System.nanoTime() - t0;
                } while (t < nanos);
                return calls * s.flops() / t;
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            } catch (InvocationTargetException e) {
                throw new IllegalStateException("BuildCompare: " + name + " failed on " + s + ": " + e.getCause(), e.getCause());
            }
        }

        @Override
        public void close() {
            try {
                loader.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The builds of a {@code --builds} value: comma-separated class paths, blanks dropped. */
    static List<String> buildList(String value) {
        List<String> builds = new ArrayList<>();
        for (String b : value.split(",")) {
            if (!b.isBlank()) {
                builds.add(b.trim());
            }
        }
        return builds;
    }

    /**
     * The entries of a class path as URLs.
     *
     * @throws IllegalArgumentException naming {@code tool} and the entry when one is not a valid path
     */
    static URL[] classPathUrls(String tool, String classPath) {
        List<URL> urls = new ArrayList<>();
        for (String entry : classPath.split(File.pathSeparator)) {
            try {
                urls.add(new File(entry).toURI().toURL());
            } catch (MalformedURLException e) {
                throw new IllegalArgumentException(tool + ": bad class path entry '" + entry + "'", e);
            }
        }
        return urls.toArray(new URL[0]);
    }

    /** {@code x[i] / base[i]} for every slice i. */
    static double[] pairedRatios(double[] x, double[] base) {
        if (x.length != base.length) {
            throw new IllegalArgumentException("BuildCompare: " + x.length + " slices against " + base.length);
        }
        double[] r = new double[x.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = x[i] / base[i];
        }
        return r;
    }

    /**
     * Runs every shape on every build, slice by slice in turn, and returns the rates, {@code [shape][build][slice]} in
     * GFLOP/s (warm-up slices not included).
     */
    static double[][][] measure(Options o, List<Build> builds) {
        int ns = o.shapes().size();
        double[][][] rates = new double[ns][builds.size()][o.slices()];
        float[][][] operands = new float[ns][][];
        for (int s = 0; s < ns; s++) {
            Shape sh = o.shapes().get(s);
            Random r = new Random(42 + s);
            float[] a = new float[sh.m() * sh.k()];
            float[] b = new float[sh.k() * sh.n()];
            for (int i = 0; i < a.length; i++) {
                a[i] = r.nextFloat() - 0.5f;
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = r.nextFloat() - 0.5f;
            }
            // Each build writes its own C, so no build reads lines another one left dirty in its cache.
            operands[s] = new float[2 + builds.size()][];
            operands[s][0] = a;
            operands[s][1] = b;
            for (int j = 0; j < builds.size(); j++) {
                operands[s][2 + j] = new float[sh.m() * sh.n()];
            }
        }
        long nanos = (long) (o.sliceMs() * 1e6);
        for (int slice = -o.warmupSlices(); slice < o.slices(); slice++) {
            for (int s = 0; s < ns; s++) {
                for (int j = 0; j < builds.size(); j++) {
                    double g = builds.get(j).rate(o.shapes().get(s), operands[s][0], operands[s][1], operands[s][2 + j],
                            o.threads(), nanos);
                    if (slice >= 0) {
                        rates[s][j][slice] = g;
                    }
                }
            }
        }
        return rates;
    }

    /** The report: per shape, each build's median rate and quartiles, and its paired ratio to the first build. */
    static String report(Options o, List<Build> builds, double[][][] rates) {
        StringBuilder sb = new StringBuilder(StepBenchmark.jdk()).append('\n');
        sb.append(String.format(Locale.ROOT, "%d thread(s), %d slices of %.0f ms after %d warm-up slices; GFLOP/s median "
                + "[q1-q3]; ratio = per-slice rate / first build's, median [q1-q3]%n", o.threads(), o.slices(), o.sliceMs(),
                o.warmupSlices()));
        for (int j = 0; j < builds.size(); j++) {
            sb.append("build ").append(j).append(": ").append(builds.get(j).name()).append('\n');
        }
        for (int s = 0; s < o.shapes().size(); s++) {
            sb.append(o.shapes().get(s)).append('\n');
            for (int j = 0; j < builds.size(); j++) {
                double[] r = rates[s][j];
                sb.append(String.format(Locale.ROOT, "  build %d %7.1f [%.1f-%.1f]", j, StepBenchmark.median(r),
                        StepBenchmark.quantile(r, 0.25), StepBenchmark.quantile(r, 0.75)));
                if (j > 0) {
                    double[] q = pairedRatios(r, rates[s][0]);
                    sb.append(String.format(Locale.ROOT, "   ratio %.3f [%.3f-%.3f]", StepBenchmark.median(q),
                            StepBenchmark.quantile(q, 0.25), StepBenchmark.quantile(q, 0.75)));
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    public static void main(String[] args) {
        Options o = Options.parse(args);
        List<Build> builds = new ArrayList<>();
        try {
            for (String b : o.builds()) {
                builds.add(new Build(b));
            }
            System.out.print(report(o, builds, measure(o, builds)));
        } finally {
            for (Build b : builds) {
                b.close();
            }
        }
        // The builds' worker pools are daemon threads; nothing else keeps the JVM alive.
    }
}
