package org.quadralib.layers.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.quadralib.core.InferenceMode;
import org.quadralib.core.Parallel;
import org.quadralib.core.Tensor;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.memory.MemoryScope;
import org.quadralib.core.optim.LrScheduler;
import org.quadralib.core.optim.Optimizer;
import org.quadralib.core.optim.ParamGroup;
import org.quadralib.layers.Module;
import org.quadralib.layers.Parameter;
import org.quadralib.layers.QuadraticOptimizers;

/**
 * Trains a classification model: mini-batch steps over a {@link DataLoader}, an evaluation on validation data
 * after every epoch, and {@link TrainingListener} events around both.
 *
 * <p>One step: take the next batch, {@code loss = config.loss(model.forward(x), y)}, back-propagate, let the
 * listeners see the gradients ({@link GradientClipping} rescales them there), {@code optimizer.step()}, step a
 * per-step scheduler, zero the gradients. Each step runs inside a {@link MemoryScope} over a pool the trainer
 * keeps, so the activations of one step are recycled by the next instead of churning the garbage collector; the
 * loss and the accuracy are copied out before the scope closes.
 *
 * <p>The default listeners, ahead of the ones passed to the constructor: a {@link ProgressBar} (off unless the
 * output is a terminal), an {@link EpochLogger} (one SLF4J line per epoch) and, when gradients are clipped, a
 * {@link GradientClipping}. Metrics (mean loss and accuracy per epoch, validation loss and accuracy, epoch time,
 * median step time, learning rates) are kept by the trainer itself and returned as a {@link History}.
 *
 * <p><b>Quadratic models.</b> A model with any quadratic parameter ({@link Parameter#quadratic()}) is trained
 * the way the quadratic optimizer prescribes with no extra code: the built-in {@link OptimizerFactory} puts its
 * quadratic weights in their own group at a tenth of the learning rate, and gradients are clipped to a global
 * norm of {@value #DEFAULT_QUADRATIC_MAX_GRAD_NORM} unless the configuration says otherwise.
 *
 * <p><b>Reproducibility.</b> The data order is the loader's (its seed and epoch), the weights and dropout masks
 * come from the generators seeded before the model was built ({@link org.quadralib.layers.Init#manualSeed}). With
 * the same thread count a fit is deterministic, and {@link #resume} continues a {@link Checkpoint} on exactly the
 * trajectory an uninterrupted run takes.
 *
 * <p>A trainer is used from one thread at a time.
 */
public final class Trainer {

    /**
     * Global gradient-norm limit used for models with quadratic parameters when the configuration leaves
     * {@link Config#maxGradNorm()} null. A guard against the rare exploding step, not a brake on every step: on
     * PROPOSED LeNet-5 (full Fashion-MNIST, SGD 0.01, momentum 0.9, batch 64, linear start, quadratic weights at
     * 0.1×) the gradient norm has a median of 2–3 and a 99th percentile of 4–12, so the reference recipe's 0.5
     * ({@link QuadraticOptimizers#REFERENCE_MAX_GRAD_NORM}) scales nearly every step down several-fold: after 5
     * epochs this trainer reached 81.0% test accuracy with 0.5 and 89.3% with 5 (PyTorch: 83.3% with 0.5, 89.2%
     * with 5, 89.7% without clipping); see {@code examples/README.md}.
     */
    public static final float DEFAULT_QUADRATIC_MAX_GRAD_NORM = 5f;

    /**
     * How to train.
     *
     * @param optimizer   builds the optimizer when a fit starts
     * @param loss        the objective; {@link Loss#CROSS_ENTROPY} for classification logits
     * @param maxGradNorm the global gradient-norm limit: null for the library's default (clip at
     *                    {@value #DEFAULT_QUADRATIC_MAX_GRAD_NORM} when the model has quadratic parameters, not at all
     *                    otherwise), 0 to never clip, a positive value to always clip at it
     * @param schedule    the learning-rate schedule, or null for a constant rate
     * @param threads     worker threads for the kernels ({@link Parallel#setThreads}), or 0 to leave the current
     *                    count
     * @param maxSteps    stop after this many optimizer steps in total (possibly mid-epoch), or 0 for no limit
     */
    public record Config(OptimizerFactory optimizer, Loss loss, Double maxGradNorm, Schedule schedule, int threads,
                         long maxSteps) {

        /**
         * @throws NullPointerException     if the optimizer factory or the loss is null
         * @throws IllegalArgumentException if maxGradNorm is negative or NaN, or threads or maxSteps is negative
         */
        public Config {
            Objects.requireNonNull(optimizer, "Trainer.Config: optimizer");
            Objects.requireNonNull(loss, "Trainer.Config: loss");
            if (maxGradNorm != null && !(maxGradNorm >= 0) || maxGradNorm != null && maxGradNorm.isInfinite()) {
                throw new IllegalArgumentException("Trainer.Config: maxGradNorm must be null, 0 or a positive finite "
                        + "number, got " + maxGradNorm);
            }
            if (threads < 0) {
                throw new IllegalArgumentException("Trainer.Config: threads must be >= 0 (0 keeps the current "
                        + "count), got " + threads);
            }
            if (maxSteps < 0) {
                throw new IllegalArgumentException("Trainer.Config: maxSteps must be >= 0 (0 for no limit), got "
                        + maxSteps);
            }
        }

        /**
         * SGD with momentum ({@link OptimizerFactory#sgd}), cross-entropy, the default clipping, no schedule, the
         * current thread count, no step limit.
         */
        public static Config sgd(float lr, float momentum) {
            return new Config(OptimizerFactory.sgd(lr, momentum), Loss.CROSS_ENTROPY, null, null, 0, 0);
        }

        /**
         * As {@link #sgd(float, float)} with L2 weight decay on every parameter and the quadratic group's
         * learning-rate scale ({@link OptimizerFactory#sgd(float, float, float, float)}); add clipping with
         * {@link #withMaxGradNorm} and a schedule with {@link #withSchedule}.
         */
        public static Config sgd(float lr, float momentum, float weightDecay, float quadraticLrScale) {
            return new Config(OptimizerFactory.sgd(lr, momentum, weightDecay, quadraticLrScale), Loss.CROSS_ENTROPY,
                    null, null, 0, 0);
        }

        /** This configuration with another gradient-norm limit (null: the default, 0: off). */
        public Config withMaxGradNorm(Double norm) {
            return new Config(optimizer, loss, norm, schedule, threads, maxSteps);
        }

        /** This configuration with a learning-rate schedule (null for none). */
        public Config withSchedule(Schedule newSchedule) {
            return new Config(optimizer, loss, maxGradNorm, newSchedule, threads, maxSteps);
        }

        /** This configuration with another thread count (0 keeps the current one). */
        public Config withThreads(int count) {
            return new Config(optimizer, loss, maxGradNorm, schedule, count, maxSteps);
        }

        /** This configuration stopping after {@code steps} optimizer steps in total (0 for no limit). */
        public Config withMaxSteps(long steps) {
            return new Config(optimizer, loss, maxGradNorm, schedule, threads, steps);
        }

        /**
         * The gradient-norm limit for {@code model}: the configured one, else {@value #DEFAULT_QUADRATIC_MAX_GRAD_NORM}
         * for a model with quadratic parameters, else 0 (no clipping).
         */
        public float resolveMaxGradNorm(Module model) {
            if (maxGradNorm != null) {
                return maxGradNorm.floatValue();
            }
            return hasQuadraticParameters(model) ? DEFAULT_QUADRATIC_MAX_GRAD_NORM : 0f;
        }
    }

    private final Config config;
    private final List<TrainingListener> listeners;
    private final MemoryScope.Pool pool = new MemoryScope.Pool();

    /**
     * A trainer with the default listeners followed by {@code listeners}.
     *
     * @throws NullPointerException if the configuration or a listener is null
     */
    public Trainer(Config config, TrainingListener... listeners) {
        this.config = Objects.requireNonNull(config, "config");
        this.listeners = List.of(listeners);
    }

    /** The configuration. */
    public Config config() {
        return config;
    }

    /**
     * Trains {@code model} for {@code epochs} epochs of {@code train}, evaluating on {@code validation} after each.
     * The model is left in training mode.
     *
     * @param validation the validation data, or null to skip validation
     * @return the completed epochs and why training ended
     * @throws IllegalArgumentException if {@code epochs} is not positive, the training data yields no batch, or the
     *                                  optimizer or schedule rejects its settings
     * @throws RuntimeException         whatever the model, the loss or a listener throws (shape mismatches name
     *                                  the layer)
     */
    public History fit(Module model, DataLoader train, DataLoader validation, int epochs) {
        TrainingContext context = start(model, train, validation, epochs);
        return run(context);
    }

    /**
     * Continues a run from a checkpoint written by {@link Checkpoint#save}: loads the weights into {@code model}
     * (built the same way as the one that was saved), the optimizer and scheduler state, the generators (the
     * initialiser's and every dropout layer's) and the position, then trains on up to {@code epochs} epochs in
     * total. With the same thread count, the result is bit-identical to the run that was never interrupted.
     *
     * @param train must batch the same data the same way (size, batch size, shuffling, drop-last and seed as the
     *              checkpoint records), so the data order resumes exactly
     * @return the history of the whole run, the epochs before the checkpoint included
     * @throws IOException              if the checkpoint is missing, incomplete or malformed
     * @throws IllegalArgumentException if the model, the optimizer groups, the schedule or the training data do not
     *                                  match the checkpoint (the message lists what differs)
     */
    public History resume(Path checkpoint, Module model, DataLoader train, DataLoader validation, int epochs)
            throws IOException {
        TrainingContext context = start(model, train, validation, epochs);
        Checkpoint.restore(checkpoint, context);
        return run(context);
    }

    private TrainingContext start(Module model, DataLoader train, DataLoader validation, int epochs) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(train, "train");
        if (epochs <= 0) {
            throw new IllegalArgumentException("Trainer.fit: epochs must be positive, got " + epochs);
        }
        if (train.numBatches() == 0) {
            throw new IllegalArgumentException("Trainer.fit: the training data yields no batch ("
                    + train.dataset().size() + " samples, batch size " + train.options().batchSize()
                    + (train.options().dropLast() ? ", dropping the last batch)" : ")"));
        }
        if (config.threads() > 0) {
            Parallel.setThreads(config.threads());
        }
        Optimizer optimizer = config.optimizer().create(model);
        LrScheduler scheduler = config.schedule() == null ? null
                : config.schedule().create(optimizer, train.numBatches(), epochs);
        return new TrainingContext(config, model, optimizer, scheduler, train, validation, epochs,
                config.resolveMaxGradNorm(model));
    }

    private History run(TrainingContext context) {
        List<TrainingListener> all = new ArrayList<>();
        all.add(new ProgressBar());
        all.add(new EpochLogger());
        if (context.maxGradNorm() > 0) {
            all.add(new GradientClipping(context.maxGradNorm()));
        }
        all.addAll(listeners);

        Module model = context.model();
        DataLoader train = context.trainLoader();
        model.train(true);
        context.optimizer().zeroGrad();
        for (TrainingListener l : all) {
            l.onFitStart(context);
        }
        History.StopReason reason = History.StopReason.COMPLETED;
        epochs:
        while (context.epoch() < context.epochs()) {
            if (context.stopRequested()) {
                reason = History.StopReason.REQUESTED;
                break;
            }
            if (maxStepsReached(context)) {
                reason = History.StopReason.MAX_STEPS;
                break;
            }
            int epoch = context.epoch();
            model.train(true);
            for (TrainingListener l : all) {
                l.onEpochStart(context);
            }
            long epochStart = System.nanoTime();
            long[] stepNanos = new long[train.numBatches()];
            int steps = 0;
            Map<String, Float> rates = learningRates(context.optimizer());
            try (DataLoader.BatchIterator batches = train.iterator(epoch)) {
                skip(batches, context.batchesDone());
                while (batches.hasNext()) {
                    if (maxStepsReached(context)) {
                        reason = History.StopReason.MAX_STEPS;
                        break epochs;
                    }
                    rates = learningRates(context.optimizer());
                    BatchResult result = step(context, batches, all);
                    stepNanos[steps++] = result.nanos();
                    for (TrainingListener l : all) {
                        l.onBatchEnd(context, result);
                    }
                    if (context.stopRequested()) {
                        reason = History.StopReason.REQUESTED;
                        break epochs;
                    }
                }
            }
            double seconds = (System.nanoTime() - epochStart) / 1e9;
            Evaluation validation = null;
            if (context.validationLoader() != null) {
                validation = evaluate(model, context.validationLoader());
                for (TrainingListener l : all) {
                    l.onValidationEnd(context, validation);
                }
            }
            long samples = context.epochSamples();
            EpochRecord record = new EpochRecord(epoch,
                    samples == 0 ? Double.NaN : context.epochLossSum() / samples,
                    samples == 0 ? Double.NaN : context.epochCorrect() / (double) samples,
                    validation == null ? Double.NaN : validation.loss(),
                    validation == null ? Double.NaN : validation.accuracy(),
                    seconds, StepTimes.medianMillis(stepNanos, steps), rates);
            context.addEpoch(record);
            context.setEpochSums(0, 0, 0);
            context.moveTo(epoch + 1, 0);
            if (context.scheduler() != null && config.schedule().unit() == Schedule.Unit.EPOCH) {
                context.scheduler().step();
            }
            for (TrainingListener l : all) {
                l.onEpochEnd(context, record);
            }
        }
        History history = new History(context.history(), context.globalStep(), reason);
        for (TrainingListener l : all) {
            l.onFitEnd(context, history);
        }
        return history;
    }

    private boolean maxStepsReached(TrainingContext context) {
        return config.maxSteps() > 0 && context.globalStep() >= config.maxSteps();
    }

    /** Walks past batches a resumed epoch already trained on; they are built (and dropped) to keep the order. */
    @SuppressWarnings("try") // the scope is used for what it does on close
    private void skip(DataLoader.BatchIterator batches, int count) {
        for (int i = 0; i < count && batches.hasNext(); i++) {
            try (MemoryScope scope = MemoryScope.open(pool)) {
                batches.next();
            }
        }
    }

    @SuppressWarnings("try") // the scope is used for what it does on close
    private BatchResult step(TrainingContext context, DataLoader.BatchIterator batches, List<TrainingListener> all) {
        long start = System.nanoTime();
        int epoch = context.epoch();
        int batchIndex = context.batchesDone();
        Module model = context.model();
        Optimizer optimizer = context.optimizer();
        float lossValue;
        int correct;
        int size;
        try (MemoryScope scope = MemoryScope.open(pool)) {
            DataLoader.Batch batch = batches.next();
            phase(all, StepPhase.FORWARD);
            Tensor output = model.forward(batch.inputs());
            Tensor loss = config.loss().compute(output, batch.labels());
            if (loss.numel() != 1) {
                throw new IllegalArgumentException("Trainer: the loss must be one value (the batch mean), got shape "
                        + Arrays.toString(loss.shape()) + " for model output " + Arrays.toString(output.shape()));
            }
            lossValue = loss.item();
            correct = countCorrect(output, batch.labels());
            size = batch.size();
            phase(all, StepPhase.BACKWARD);
            loss.backward();
            phase(all, StepPhase.UPDATE);
            for (TrainingListener l : all) {
                l.onGradients(context);
            }
            optimizer.step();
            if (context.scheduler() != null && config.schedule().unit() == Schedule.Unit.STEP) {
                context.scheduler().step();
            }
            optimizer.zeroGrad();
            phase(all, StepPhase.OTHER);
        }
        context.recordBatch(lossValue, correct, size);
        return new BatchResult(epoch, batchIndex, context.globalStep(), lossValue, correct, size,
                System.nanoTime() - start);
    }

    private static void phase(List<TrainingListener> all, StepPhase phase) {
        for (TrainingListener l : all) {
            l.onPhase(phase);
        }
    }

    /**
     * Evaluates {@code model} on every batch of {@code loader} (its epoch-0 order) in evaluation mode inside an
     * {@link InferenceMode} scope (no gradient recording; each weight rearranged for its kernel once for all the
     * batches), then restores the model's previous mode.
     *
     * @return the mean loss per sample and the accuracy; NaN for both when the loader yields nothing
     * @throws RuntimeException whatever the model or the loss throws
     */
    @SuppressWarnings("try") // the scopes are used for what they do on open and close
    public Evaluation evaluate(Module model, DataLoader loader) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(loader, "loader");
        boolean wasTraining = model.isTraining();
        model.eval();
        double lossSum = 0;
        long correct = 0;
        int samples = 0;
        try (InferenceMode inference = InferenceMode.enter(); DataLoader.BatchIterator batches = loader.iterator(0)) {
            while (batches.hasNext()) {
                try (MemoryScope scope = MemoryScope.open(pool)) {
                    DataLoader.Batch batch = batches.next();
                    Tensor output = model.forward(batch.inputs());
                    Tensor loss = config.loss().compute(output, batch.labels());
                    lossSum += (double) loss.item() * batch.size();
                    correct += countCorrect(output, batch.labels());
                    samples += batch.size();
                }
            }
        } finally {
            model.train(wasTraining);
        }
        return samples == 0 ? new Evaluation(Double.NaN, Double.NaN, 0)
                : new Evaluation(lossSum / samples, correct / (double) samples, samples);
    }

    /**
     * How many rows of {@code output} predict their label: for logits {@code [B, C]} with {@code C ≥ 2} the
     * prediction is the first index of the row maximum (a row holding NaN predicts nothing); for one logit per
     * sample ({@code [B, 1]} or {@code [B]}) it is class 1 when the logit is positive, else class 0.
     *
     * @throws IllegalArgumentException if the output is not {@code [B]} or {@code [B, C]} with {@code B} the number
     *                                  of labels
     */
    public static int countCorrect(Tensor output, int[] labels) {
        int[] shape = output.shape();
        int rows = labels.length;
        if (shape.length < 1 || shape.length > 2 || shape[0] != rows) {
            throw new IllegalArgumentException("Trainer: expected model output [" + rows + ", C] or [" + rows
                    + "] for " + rows + " labels, got " + Arrays.toString(shape));
        }
        int classes = shape.length == 2 ? shape[1] : 1;
        float[] values = output.toFloatArray();
        int correct = 0;
        for (int i = 0; i < rows; i++) {
            int predicted;
            if (classes == 1) {
                predicted = values[i] > 0 ? 1 : 0;
            } else {
                predicted = -1;
                float best = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) {
                    float v = values[i * classes + c];
                    if (Float.isNaN(v)) {
                        predicted = -1;
                        break;
                    }
                    if (predicted < 0 || v > best) {
                        best = v;
                        predicted = c;
                    }
                }
            }
            if (predicted == labels[i]) {
                correct++;
            }
        }
        return correct;
    }

    /** True if any parameter of {@code model} is quadratic ({@link Parameter#quadratic()}). */
    public static boolean hasQuadraticParameters(Module model) {
        for (Parameter p : model.namedParameters().values()) {
            if (p.quadratic()) {
                return true;
            }
        }
        return false;
    }

    static Map<String, Float> learningRates(Optimizer optimizer) {
        Map<String, Float> rates = new LinkedHashMap<>();
        for (ParamGroup g : optimizer.groups()) {
            rates.put(g.name(), g.lr());
        }
        return rates;
    }
}
