package org.quadralib.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

import org.apache.spark.api.java.JavaSparkContext;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.Dataset;
import org.quadralib.layers.Module;
import org.quadralib.layers.train.Checkpoint;
import org.quadralib.layers.train.GradientStep;
import org.quadralib.layers.train.History;
import org.quadralib.layers.train.Loss;
import org.quadralib.layers.train.Trainer;
import org.quadralib.layers.train.TrainingListener;

/**
 * Synchronous data-parallel training on Spark: the library's {@link Trainer}, with each step's gradient computed
 * by {@code k} partitions of the cluster.
 *
 * <p><b>One step.</b> The driver holds the model and its optimizer. For a global batch of {@code n} samples
 * (the batching's batch size; the order is the one a single-machine {@link DataLoader} with the same options
 * walks), partition {@code j} takes the samples at positions {@code [j·n/k, (j+1)·n/k)}, {@code n_j} of them. The
 * driver ships its weights with the step's task (which Spark broadcasts once per executor); each partition loads
 * them into its replica, runs
 * {@link GradientStep#local} (forward, loss, back-propagation: hybrid back-propagation included) on its share and
 * returns {@code (n_j/n)·∇L_j}, where {@code L_j} is the mean loss over its share; the driver sums those in
 * partition order, which gives {@code ∇L} of the mean loss over the whole batch, and the trainer clips it (global
 * norm, as on one machine), steps the optimizer (its parameter groups and schedule) and records the batch. So k
 * workers with {@code n/k} samples each follow the single-process trajectory with batch {@code n}, to float
 * rounding, and every replica starts each step from the same weights.
 *
 * <p><b>Batch norm.</b> Per-replica statistics, as PyTorch's DistributedDataParallel: each replica normalises its
 * share by the share's own mean and variance; the running statistics (every buffer) become the mean of the
 * replicas' updated buffers, weighted by {@code n_j/n}. With equal shares the running mean is then exactly the one
 * a single process with batch {@code n} keeps; the running variance is the mean of the shares' variances, and
 * training differs from a single process (as it does under DDP).
 *
 * <p><b>Dropout</b> masks are drawn by each replica's own generators, so a model with dropout does not follow the
 * single-machine trajectory; everything else does.
 *
 * <p><b>Checkpoints</b> are the {@link Trainer}'s own ({@link Checkpoint}, {@link
 * org.quadralib.layers.train.Checkpointing} as a listener): a checkpoint written here resumes with a
 * single-machine {@code Trainer} over a {@link DataLoader} with the same batching, and the other way round.
 *
 * <p><b>Faults.</b> A failed task is retried by Spark with the same weights and share (tasks are pure functions
 * of the weights they carry and the placed data), so training continues on the same trajectory. The model and the
 * optimizer live on the driver: losing executors between steps loses nothing but cached data and replicas, which
 * Spark recomputes from lineage and the next task rebuilds.
 *
 * <p>Executors size their kernel thread pool by {@code -Dquadralib.threads} ({@code spark.executor.extraJavaOptions});
 * the configuration's thread count applies to the driver. A trainer is used from one thread at a time.
 */
public final class SparkTrainer {

    /** Most samples a data set may hold (sample indices travel as exact floats). */
    public static final long MAX_SAMPLES = 1 << 24;

    /** How the partitions' gradients are summed. */
    public enum Reduction {
        /**
         * Every partition sends its result to the driver, which sums them in partition order: one stage, the
         * driver receives {@code k} results, bit-reproducible.
         */
        DRIVER,
        /**
         * Spark's {@code treeAggregate} (depth 2): partial sums on executors, fewer results at the driver for
         * large {@code k}, at the price of a shuffle stage; the summation order follows task completion, so results
         * may differ in the last bits from run to run.
         */
        TREE
    }

    private final JavaSparkContext sc;
    private final ModelFactory factory;
    private final Trainer.Config config;
    private final int workers;
    private final Reduction reduction;
    private final List<TrainingListener> listeners;
    private DistributedStep.TaskProbe probe;
    private DistributedStep current;

    /**
     * A trainer on {@code workers} partitions with the {@link Reduction#DRIVER} reduction.
     *
     * @param factory builds the model's architecture on the executors
     * @param config  as for {@link Trainer}; its loss must be {@link Loss#CROSS_ENTROPY} or {@link Serializable}
     * @throws IllegalArgumentException if workers is not positive or the loss cannot travel to the executors
     */
    public SparkTrainer(JavaSparkContext sc, ModelFactory factory, Trainer.Config config, int workers,
                        TrainingListener... listeners) {
        this(sc, factory, config, workers, Reduction.DRIVER, listeners);
    }

    /**
     * A trainer on {@code workers} partitions with the given reduction.
     *
     * @throws IllegalArgumentException if workers is not positive or the loss cannot travel to the executors
     */
    public SparkTrainer(JavaSparkContext sc, ModelFactory factory, Trainer.Config config, int workers,
                        Reduction reduction, TrainingListener... listeners) {
        this.sc = Objects.requireNonNull(sc, "sc");
        this.factory = Objects.requireNonNull(factory, "factory");
        this.config = Objects.requireNonNull(config, "config");
        this.reduction = Objects.requireNonNull(reduction, "reduction");
        if (workers < 1) {
            throw new IllegalArgumentException("SparkTrainer: workers must be positive, got " + workers);
        }
        workerLoss(config.loss());
        this.workers = workers;
        this.listeners = List.of(listeners);
    }

    /**
     * Trains {@code model} (the driver's copy, built as {@code factory} builds) for {@code epochs} epochs of
     * {@code train}, batched by {@code batching} (its batch size is the global batch, split over the workers),
     * evaluating on the driver on {@code validation} after each epoch.
     *
     * @throws IllegalArgumentException if the batching normalises or augments (prepare the data instead), or as
     *                                  {@link Trainer#fit} throws
     * @throws RuntimeException         a Spark job failure after its retries, with the task's cause
     */
    public History fit(Module model, SparkData train, DataLoader.Options batching, DataLoader validation,
                       int epochs) {
        DistributedStep step = stepFor(train, batching);
        try {
            return trainer(step).fit(model, step.indexLoader(), validation, epochs);
        } finally {
            step.release();
        }
    }

    /**
     * Continues from a checkpoint written by {@link Checkpoint#save} here or on one machine ({@link
     * Trainer#resume}'s contract: the same model, optimizer, schedule and batching).
     *
     * @throws IOException              if the checkpoint is missing or malformed
     * @throws IllegalArgumentException if the model, optimizer, schedule or batching differ from the checkpoint's
     */
    public History resume(Path checkpoint, Module model, SparkData train, DataLoader.Options batching,
                          DataLoader validation, int epochs) throws IOException {
        DistributedStep step = stepFor(train, batching);
        try {
            return trainer(step).resume(checkpoint, model, step.indexLoader(), validation, epochs);
        } finally {
            step.release();
        }
    }

    /** The cost of the last step taken, or null before the first. */
    public StepCost lastStepCost() {
        return current == null ? null : current.lastCost();
    }

    /** Number of partitions computing each step. */
    public int workers() {
        return workers;
    }

    /** Test hook: a probe every task calls after computing its gradient. */
    void setProbe(DistributedStep.TaskProbe taskProbe) {
        probe = taskProbe;
    }

    /** Test hook: forgets cached shards and replicas, as losing every executor between steps would. */
    void forgetExecutorState() {
        current.forgetExecutorState();
    }

    private Trainer trainer(DistributedStep step) {
        List<TrainingListener> all = new ArrayList<>();
        all.add(step);
        all.addAll(listeners);
        return new Trainer(config, step, all.toArray(new TrainingListener[0]));
    }

    private DistributedStep stepFor(SparkData train, DataLoader.Options batching) {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(batching, "batching");
        if (batching.mean() != null || batching.cropPadding() > 0 || batching.horizontalFlip()) {
            throw new IllegalArgumentException("SparkTrainer: the batching normalises or augments; prepare the "
                    + "data before training on Spark (batch size, shuffle, drop-last and seed are what it uses)");
        }
        DataLoader indexLoader = new DataLoader(new Indices(Math.toIntExact(train.size())),
                batching.withPrefetch(false));
        current = new DistributedStep(sc, train, factory, workerLoss(config.loss()), workers, reduction,
                indexLoader, UUID.randomUUID().toString(), probe);
        return current;
    }

    private static Loss workerLoss(Loss loss) {
        if (loss == Loss.CROSS_ENTROPY) {
            return new CrossEntropy();
        }
        if (loss instanceof Serializable) {
            return loss;
        }
        throw new IllegalArgumentException("SparkTrainer: the loss must be Loss.CROSS_ENTROPY or Serializable, so "
                + "the executors can compute it; got " + loss);
    }

    /** {@link Loss#CROSS_ENTROPY} in a form that travels to the executors. */
    private static final class CrossEntropy implements Loss, Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public org.quadralib.core.Tensor compute(org.quadralib.core.Tensor output, int[] labels) {
            return Loss.CROSS_ENTROPY.compute(output, labels);
        }
    }

    /**
     * The data set the driver's trainer walks: sample {@code i} is the one value {@code i}. Batching it as the real
     * data would be batched yields each batch's global sample indices, in the single-machine order, and a
     * checkpoint records the same batching a single-machine loader over the real data has.
     */
    static final class Indices implements Dataset {
        private final int size;

        Indices(int size) {
            this.size = size;
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public int[] sampleShape() {
            return new int[] {1};
        }

        @Override
        public void copySample(int index, float[] dst, int dstOff) {
            java.util.Objects.checkIndex(index, size);
            dst[dstOff] = index;
        }

        @Override
        public int label(int index) {
            java.util.Objects.checkIndex(index, size);
            return 0;
        }

        @Override
        public int numClasses() {
            return 1;
        }
    }
}
