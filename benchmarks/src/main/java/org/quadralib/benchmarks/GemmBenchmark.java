package org.quadralib.benchmarks;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.quadralib.core.Parallel;
import org.quadralib.core.kernels.Gemm;

/**
 * Square single-precision GEMM {@code C = A·B} ({@code size³}) per kernel and thread count. The secondary
 * result {@code sgemm:gflops} is the rate in GFLOP/s ({@code 2·size³} flops per call; JMH labels it ops/s).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar GemmBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx2g"})
public class GemmBenchmark {

    @Param({"64", "256", "1024"})
    public int size;

    @Param({"VECTOR", "SCALAR", "EJML"})
    public Gemm.Kernel kernel;

    @Param({"1", "2"})
    public int threads;

    private float[] a;
    private float[] b;
    private float[] c;

    /** GFLOP done, reported by JMH as a rate: GFLOP/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double gflops;

        @Setup(Level.Iteration)
        public void reset() {
            gflops = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        if (!kernel.available()) {
            throw new IllegalStateException(kernel + " kernel unavailable: run the fork with --add-modules=jdk.incubator.vector");
        }
        Parallel.setThreads(threads);
        Random r = new Random(42);
        a = new float[size * size];
        b = new float[size * size];
        c = new float[size * size];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextFloat() - 0.5f;
            b[i] = r.nextFloat() - 0.5f;
        }
    }

    @Benchmark
    public float[] sgemm(Flops flops) {
        Gemm.sgemm(kernel, false, false, size, size, size, 1f, a, 0, size, b, 0, size, 0f, c, 0, size);
        flops.gflops += 2e-9 * size * size * size;
        return c;
    }
}
