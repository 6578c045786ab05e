package org.quadralib.benchmarks;

import java.util.function.IntFunction;

import org.quadralib.core.F;
import org.quadralib.core.GradMode;
import org.quadralib.core.Parallel;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.memory.MemoryScope;
import org.quadralib.core.optim.SGD;
import org.quadralib.layers.Init;
import org.quadralib.layers.Module;

/**
 * One build's workload for {@link StepCompare}: the model, batch and optimizer {@link StepBenchmark} builds (same
 * seeds), and {@code apply(k)}, which runs {@code k} training steps or inference batches and returns each one's
 * nanoseconds. {@link StepCompare} defines this class in each build's own class loader, so it links against that
 * build's library; it uses only the step benchmark's workloads and the library's public training API (it ran
 * against a build of the sixth round), so its inference batches run under no-grad alone, not in the newer
 * {@code InferenceMode} scope.
 */
final class StepRunner implements IntFunction<long[]> {
    private final Module model;
    private final SGD optimizer;
    private final MemoryScope.Pool pool = new MemoryScope.Pool();
    private final Tensor x;
    private final int[] labels;
    private final boolean train;

    StepRunner(String workload, String variant, boolean train, int threads, float lr) {
        StepWorkload w = StepWorkload.parse(workload);
        Parallel.setThreads(threads);
        Init.manualSeed(1);
        model = w.build(StepWorkload.Variant.parse(variant).factory());
        Rng rng = new Rng(2);
        x = Tensor.randn(rng, w.inputShape());
        labels = new int[x.size(0)];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = rng.nextInt(StepWorkload.CLASSES);
        }
        optimizer = new SGD(model.parameters(), lr, 0.9f);
        this.train = train;
        model.train(train);
    }

    @Override
    public long[] apply(int k) {
        long[] ns = new long[k];
        for (int i = 0; i < k; i++) {
            long t0 = System.nanoTime();
            try (MemoryScope scope = MemoryScope.open(pool)) {
                if (train) {
                    Tensor loss = F.crossEntropy(model.forward(x), labels);
                    loss.item();
                    loss.backward();
                    optimizer.step();
                    optimizer.zeroGrad();
                } else {
                    try (GradMode.Scope g = GradMode.noGrad()) {
                        model.forward(x);
                    }
                }
            }
            ns[i] = System.nanoTime() - t0;
        }
        return ns;
    }
}
