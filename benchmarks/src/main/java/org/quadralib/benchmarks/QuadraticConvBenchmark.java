package org.quadralib.benchmarks;

import java.util.List;
import java.util.concurrent.TimeUnit;

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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.quadralib.core.Parallel;
import org.quadralib.core.Rng;
import org.quadralib.core.SavedTensors;
import org.quadralib.core.Tensor;
import org.quadralib.core.memory.MemoryScope;
import org.quadralib.core.ops.InPlace;
import org.quadralib.layers.Conv2d;
import org.quadralib.layers.Init;
import org.quadralib.layers.Module;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.QuadraticConv2d;
import org.quadralib.layers.QuadraticOptions;
import org.quadralib.layers.QuadraticOptions.BackpropMode;

/**
 * One PROPOSED quadratic convolution, {@code y = (W_a*x)∘(W_b*x) + W_c*x + b}, forward + backward, three ways:
 * the fused layer in hybrid mode (one stacked im2col+GEMM, input saved, branches recomputed in backward), the
 * fused layer in standard mode (branch outputs saved), and the unfused form a user would write from three
 * {@link Conv2d} layers and element-wise ops. Each iteration runs inside a memory scope, as a training step does.
 * Saved-for-backward bytes of one forward are printed at setup.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar QuadraticConvBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx3g"})
public class QuadraticConvBenchmark {

    /** {@code cin-cout-size} at batch 32, 3×3 kernel, padding 1. */
    @Param({"32-32-32", "64-64-16", "128-128-8"})
    public String layer;

    /** {@code hybrid}, {@code standard} (fused layer) or {@code three-convs} (unfused). */
    @Param({"hybrid", "standard", "three-convs"})
    public String impl;

    @Param({"2"})
    public int threads;

    private static final int BATCH = 32;

    private Module fused;
    private Conv2d convA;
    private Conv2d convB;
    private Conv2d convC;
    private Tensor input;
    private final MemoryScope.Pool pool = new MemoryScope.Pool();

    @Setup(Level.Trial)
    public void setUp() {
        Parallel.setThreads(threads);
        String[] p = layer.split("-");
        int cin = Integer.parseInt(p[0]);
        int cout = Integer.parseInt(p[1]);
        int size = Integer.parseInt(p[2]);
        Init.manualSeed(1);
        if (impl.equals("three-convs")) {
            convA = new Conv2d(cin, cout, 3, 1, 1, 1, 1, false);
            convB = new Conv2d(cin, cout, 3, 1, 1, 1, 1, false);
            convC = new Conv2d(cin, cout, 3, 1, 1, 1, 1, true);
        } else {
            BackpropMode mode = impl.equals("hybrid") ? BackpropMode.HYBRID : BackpropMode.STANDARD;
            fused = new QuadraticConv2d(Conv2d.Config.of(cin, cout, 3, 1, 1, 1, 1, true), NeuronType.PROPOSED,
                    QuadraticOptions.DEFAULT.withMode(mode));
        }
        input = Tensor.randn(new Rng(2), BATCH, cin, size, size).requiresGrad(true);
        long[] livePeak = {0, 0};
        SavedTensors.Listener l = (bytes, op, owner) -> {
            livePeak[0] += bytes;
            livePeak[1] = Math.max(livePeak[1], livePeak[0]);
        };
        SavedTensors.addListener(l);
        try (MemoryScope s = MemoryScope.open(pool)) {
            step();
        } finally {
            SavedTensors.removeListener(l);
        }
        System.out.printf("%n[%s %s] saved for backward by one forward: %.2f MiB%n", impl, layer, livePeak[1] / 1048576.0);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.clear();
    }

    private float step() {
        // The layer's input as it is inside a network: the output of an earlier op, so its saved bytes count.
        Tensor x = input.mul(1f);
        Tensor y;
        if (fused != null) {
            y = fused.forward(x);
        } else {
            Tensor a = convA.forward(x);
            Tensor b = convB.forward(x);
            y = a.mul(b).add(convC.forward(x));
        }
        y.sum().backward();
        return input.grad().data()[0];
    }

    @Benchmark
    public float forwardBackward() {
        try (MemoryScope s = MemoryScope.open(pool)) {
            for (Tensor t : params()) {
                InPlace.fill(t.grad(), 0f);
            }
            InPlace.fill(input.grad(), 0f);
            return step();
        }
    }

    private List<Tensor> params() {
        return fused != null ? fused.parameters() : List.of(convA.weight(), convB.weight(), convC.weight(), convC.bias());
    }
}
