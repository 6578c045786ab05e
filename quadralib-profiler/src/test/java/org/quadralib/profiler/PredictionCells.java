package org.quadralib.profiler;

import java.util.Locale;

import org.quadralib.core.F;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.memory.Buffers;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.memory.MemoryScope;
import org.quadralib.core.memory.MemoryTracker;
import org.quadralib.core.optim.SGD;
import org.quadralib.layers.Conv2d;
import org.quadralib.layers.Init;
import org.quadralib.layers.Module;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.QuadraticConv2d;
import org.quadralib.layers.QuadraticLinear;
import org.quadralib.layers.QuadraticOptions;
import org.quadralib.layers.QuadraticOptions.BackpropMode;
import org.quadralib.layers.zoo.LayerFactory;
import org.quadralib.layers.zoo.Zoo;

/** One cell of the prediction-against-measurement table: a zoo model in one mode at one batch, predicted and measured. */
final class PredictionCells {

    /** The categories compared, in table order. */
    static final MemoryCategory[] COMPARED = {MemoryCategory.PARAMETER, MemoryCategory.GRADIENT, MemoryCategory.OPTIMIZER_STATE,
            MemoryCategory.ACTIVATION, MemoryCategory.ACTIVATION_GRADIENT, MemoryCategory.WORKSPACE, MemoryCategory.INPUT};

    /** A category (or the saved bytes, or the peak) held to the target only above this size. */
    static final long MIN_CHECKED_BYTES = 1L << 20;

    private PredictionCells() {
    }

    /** The model's variants: first-order, or every weight layer PROPOSED in one mode. */
    enum Variant {
        FIRST_ORDER, STANDARD, HYBRID;

        LayerFactory factory() {
            if (this == FIRST_ORDER) {
                return LayerFactory.FIRST_ORDER;
            }
            QuadraticOptions options = QuadraticOptions.DEFAULT.withMode(this == STANDARD ? BackpropMode.STANDARD : BackpropMode.HYBRID);
            return new LayerFactory() {
                @Override
                public Module linear(String role, int in, int out, boolean bias) {
                    return new QuadraticLinear(in, out, NeuronType.PROPOSED, options.withBias(bias));
                }

                @Override
                public Module conv2d(String role, Conv2d.Config config) {
                    return new QuadraticConv2d(config, NeuronType.PROPOSED, options.withBias(config.bias()));
                }
            };
        }

        String label() {
            return switch (this) {
                case FIRST_ORDER -> "first-order";
                case STANDARD -> "PROPOSED standard";
                case HYBRID -> "PROPOSED hybrid";
            };
        }
    }

    /** The prediction and the measurement of the last of three profiled steps. */
    record Cell(String model, Variant variant, int batch, MemoryPrediction predicted, MemoryReport.StepMemory measured) {

        /** predicted / measured. */
        double ratio(MemoryCategory c) {
            return (double) predicted.categoryPeakBytes().get(c) / measured.peakBytes().get(c);
        }

        double peakRatio() {
            return (double) predicted.peakBytes() / measured.peakTotalBytes();
        }

        double savedRatio() {
            return (double) predicted.savedPeakBytes() / measured.peakSavedBytes();
        }

        /** The figures held to 10% (those over {@link #MIN_CHECKED_BYTES}, and the peak) that miss it, described. */
        String misses() {
            StringBuilder sb = new StringBuilder();
            if (Math.abs(peakRatio() - 1) > 0.10) {
                sb.append(String.format(Locale.ROOT, " peak %.3f", peakRatio()));
            }
            if (measured.peakSavedBytes() > MIN_CHECKED_BYTES && Math.abs(savedRatio() - 1) > 0.10) {
                sb.append(String.format(Locale.ROOT, " saved %.3f", savedRatio()));
            }
            for (MemoryCategory c : COMPARED) {
                if (measured.peakBytes().get(c) > MIN_CHECKED_BYTES && Math.abs(ratio(c) - 1) > 0.10) {
                    sb.append(String.format(Locale.ROOT, " %s %.3f", c, ratio(c)));
                }
            }
            return sb.toString().trim();
        }
    }

    /** The input shape (one sample) the table uses for {@code model}: Fashion-MNIST for MLP and LeNet-5, CIFAR otherwise. */
    static int[] sampleShape(String model) {
        return model.equals("mlp") || model.equals("lenet5") ? new int[] {1, 28, 28} : new int[] {3, 32, 32};
    }

    /**
     * Builds the model, predicts a step (SGD with momentum), then trains three steps as the trainer does (one memory
     * scope each, the batch as input memory) under a {@link MemoryProfiler} and keeps the last.
     */
    @SuppressWarnings("try") // the scopes are used for what they do on open and close
    static Cell run(String model, Variant variant, int batch) {
        int[] sample = sampleShape(model);
        Init.manualSeed(1);
        Module m = Zoo.build(model, sample[0], sample[1], 10, variant.factory());
        MemoryPrediction predicted = MemoryPrediction.predict(m, sample, batch, OptimizerState.SGD_MOMENTUM);
        SGD opt = new SGD(m.parameters(), 0.01f, 0.9f);
        MemoryScope.Pool pool = new MemoryScope.Pool();
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = i % 10;
        }
        int[] shape = {batch, sample[0], sample[1], sample[2]};
        // The probes' garbage is counted until the collector reclaims it.
        MemoryTracker.settle();
        try (MemoryProfiler prof = MemoryProfiler.attach(m)) {
            for (int s = 0; s < 3; s++) {
                prof.stepStart();
                try (MemoryScope scope = MemoryScope.open(pool)) {
                    Tensor x;
                    try (Buffers.CategoryScope c = Buffers.withCategory(MemoryCategory.INPUT)) {
                        x = Tensor.randn(new Rng(3 + s), shape);
                    }
                    Tensor loss;
                    try (MemoryProfiler.PhaseScope p = prof.enter(Phase.FORWARD)) {
                        loss = F.crossEntropy(m.forward(x), labels);
                    }
                    try (MemoryProfiler.PhaseScope p = prof.enter(Phase.BACKWARD)) {
                        loss.backward();
                    }
                    try (MemoryProfiler.PhaseScope p = prof.enter(Phase.UPDATE)) {
                        opt.step();
                        opt.zeroGrad();
                    }
                }
                prof.stepEnd();
            }
            MemoryReport r = prof.report();
            return new Cell(model, variant, batch, predicted, r.steps().get(r.steps().size() - 1));
        }
    }
}
