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
import org.quadralib.core.kernels.ConvKernels;
import org.quadralib.core.kernels.Gemm;

/**
 * 3×3, padding 1 convolutions of the CIFAR VGG layers on a batch of 32: forward, input gradient and weight
 * gradient, each beside the bare GEMMs of the same shapes ({@code gemm*}: per image, split over the batch
 * like the convolution, on a fixed pre-unfolded matrix), so {@code conv / gemm} is the efficiency of the
 * convolution around its GEMM. The secondary result {@code :gflops} is in GFLOP/s ({@code 2·N·O·oh·ow·C·9}
 * flops for every pass; JMH labels it ops/s).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar ConvBenchmark -p threads=2</pre>
 *
 * <p>{@code -p winograd=false} times the forward pass by im2col + GEMM, as the gradients always run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx2g"})
public class ConvBenchmark {

    /** {@code cin-cout-size}: the VGG layer shapes at 32, 16 and 8 pixels. */
    @Param({"3-32-32", "32-32-32", "64-64-16", "128-128-8"})
    public String layer;

    @Param({"1", "2"})
    public int threads;

    /** Whether the forward pass may take the Winograd path ({@link ConvKernels#setWinograd}); the gradients never do. */
    @Param({"true", "false"})
    public boolean winograd;

    private static final int BATCH = 32;

    private ConvKernels.Geometry geo;
    private float[] x;
    private float[] weight;
    private float[] bias;
    private float[] y;
    private float[] gradY;
    private float[] gradX;
    private float[] gradW;
    private float[] gradB;
    /** One image's unfolded input [patch, oh·ow], the fixed operand of the bare GEMMs. */
    private float[] cols;
    /** Per-thread outputs of the bare backward GEMMs, as the convolution has per-thread workspaces. */
    private float[][] gradCols;
    private float[][] gradWs;
    private double gflopPerPass;

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
        Parallel.setThreads(threads);
        ConvKernels.setWinograd(winograd);
        String[] p = layer.split("-");
        int cin = Integer.parseInt(p[0]);
        int cout = Integer.parseInt(p[1]);
        int px = Integer.parseInt(p[2]);
        geo = new ConvKernels.Geometry(BATCH, cin, px, px, cout, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        Random r = new Random(42);
        x = random(r, geo.inputSize());
        weight = random(r, geo.weightSize());
        bias = random(r, cout);
        gradY = random(r, geo.outputSize());
        y = new float[(int) geo.outputSize()];
        gradX = new float[(int) geo.inputSize()];
        gradW = new float[(int) geo.weightSize()];
        gradB = new float[cout];
        cols = random(r, (long) geo.patch() * px * px);
        gradCols = new float[threads][cols.length];
        gradWs = new float[threads][gradW.length];
        gflopPerPass = geo.flops() * 1e-9;
    }

    private static float[] random(Random r, long size) {
        float[] a = new float[(int) size];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextFloat() - 0.5f;
        }
        return a;
    }

    @Benchmark
    public float[] forward(Flops flops) {
        ConvKernels.forward(geo, x, weight, bias, y);
        flops.gflops += gflopPerPass;
        return y;
    }

    @Benchmark
    public float[] backwardInput(Flops flops) {
        ConvKernels.backwardInput(geo, gradY, weight, gradX);
        flops.gflops += gflopPerPass;
        return gradX;
    }

    @Benchmark
    public float[] backwardWeight(Flops flops) {
        ConvKernels.backwardWeight(geo, gradY, x, gradW, gradB);
        flops.gflops += gflopPerPass;
        return gradW;
    }

    /** The forward GEMMs alone: {@code Y_b = W · cols}, [O, patch] × [patch, oh·ow] per image. */
    @Benchmark
    public float[] gemmForward(Flops flops) {
        int plane = geo.outH() * geo.outW();
        int k = geo.patch();
        perImage((b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                Gemm.sgemm(false, false, geo.cout(), plane, k, 1f, weight, 0, k, cols, 0, plane,
                        0f, y, b * geo.cout() * plane, plane);
            }
        });
        flops.gflops += gflopPerPass;
        return y;
    }

    /** The input-gradient GEMMs alone: {@code dcols = Wᵀ · dY_b}, [patch, O] × [O, oh·ow] per image. */
    @Benchmark
    public float[] gemmBackwardInput(Flops flops) {
        int plane = geo.outH() * geo.outW();
        int k = geo.patch();
        perImage((b0, b1) -> {
            float[] out = gradCols[chunkOf(b0)];
            for (int b = b0; b < b1; b++) {
                Gemm.sgemm(true, false, k, plane, geo.cout(), 1f, weight, 0, k, gradY, b * geo.cout() * plane, plane,
                        0f, out, 0, plane);
            }
        });
        flops.gflops += gflopPerPass;
        return gradCols[0];
    }

    /** The weight-gradient GEMMs alone: {@code dW += dY_b · colsᵀ}, [O, oh·ow] × [oh·ow, patch] per image. */
    @Benchmark
    public float[] gemmBackwardWeight(Flops flops) {
        int plane = geo.outH() * geo.outW();
        int k = geo.patch();
        perImage((b0, b1) -> {
            float[] out = gradWs[chunkOf(b0)];
            for (int b = b0; b < b1; b++) {
                Gemm.sgemm(false, true, geo.cout(), k, plane, 1f, gradY, b * geo.cout() * plane, plane, cols, 0, plane,
                        b == b0 ? 0f : 1f, out, 0, k);
            }
        });
        flops.gflops += gflopPerPass;
        return gradWs[0];
    }

    /** The convolution's own split: one contiguous block of images per thread. */
    private void perImage(Parallel.RangeBody body) {
        if (threads > 1) {
            Parallel.forChunks(BATCH, threads, body);
        } else {
            body.run(0, BATCH);
        }
    }

    private int chunkOf(int firstImage) {
        int i = 0;
        while (i + 1 < threads && Parallel.chunkStart(BATCH, threads, i + 1) <= firstImage) {
            i++;
        }
        return i;
    }
}
