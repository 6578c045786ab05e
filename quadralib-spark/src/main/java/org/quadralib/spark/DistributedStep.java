package org.quadralib.spark;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;

import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.memory.MemoryScope;
import org.quadralib.layers.Module;
import org.quadralib.layers.train.GradientStep;
import org.quadralib.layers.train.Loss;
import org.quadralib.layers.train.StepPhase;
import org.quadralib.layers.train.TrainingContext;
import org.quadralib.layers.train.TrainingListener;

import scala.reflect.ClassTag$;

/**
 * The driver's side of a distributed step, plugged into the {@link org.quadralib.layers.train.Trainer}: told the
 * epoch by {@link #onEpochStart}, it places the epoch's samples on the partitions; given a batch of global sample
 * indices, it ships the driver's weights with the step's task, runs one job in which partition {@code j} computes
 * {@code (n_j/n)·∇L_j} on its share of {@code n_j} samples, sums the results in partition order and writes the sum
 * into the driver model's gradients (and the weighted mean of the replicas' buffers into its buffers).
 */
final class DistributedStep implements GradientStep, TrainingListener {

    private final JavaSparkContext sc;
    private final SparkData data;
    private final ModelFactory factory;
    private final Loss workerLoss;
    private final int workers;
    private final SparkTrainer.Reduction reduction;
    private final DataLoader indexLoader;
    private final String run;
    private final TaskProbe probe;
    private int epoch = -1;
    private int placedEpoch = -1;
    private JavaRDD<Shard> shards;
    private Broadcast<int[]> placement;
    private long steps;
    private StepCost lastCost;
    private long weightBytes = -1;
    private long resultBytes = -1;

    DistributedStep(JavaSparkContext sc, SparkData data, ModelFactory factory, Loss workerLoss, int workers,
                    SparkTrainer.Reduction reduction, DataLoader indexLoader, String run, TaskProbe probe) {
        this.sc = sc;
        this.data = data;
        this.factory = factory;
        this.workerLoss = workerLoss;
        this.workers = workers;
        this.reduction = reduction;
        this.indexLoader = indexLoader;
        this.run = run;
        this.probe = probe;
    }

    @Override
    public void onEpochStart(TrainingContext context) {
        epoch = context.epoch();
    }

    /** The loader of global sample indices the driver's trainer walks. */
    DataLoader indexLoader() {
        return indexLoader;
    }

    /** The cost of the last step, or null before the first. */
    StepCost lastCost() {
        return lastCost;
    }

    /** Unpersists the placed shards and forgets this JVM's replicas (the driver keeps the model). */
    void release() {
        if (shards != null) {
            shards.unpersist(false);
            placement.destroy();
            shards = null;
        }
        Replicas.drop(run);
    }

    /** Drops the cached shards and this JVM's replicas, as losing every executor between steps would. */
    void forgetExecutorState() {
        if (shards != null) {
            shards.unpersist(true);
        }
        Replicas.drop(run);
    }

    @Override
    public Outcome compute(Module model, Loss loss, DataLoader.Batch batch, Consumer<StepPhase> phases) {
        long start = System.nanoTime();
        if (placedEpoch != epoch) {
            place(epoch);
        }
        int[] indices = indicesOf(batch);
        int[][] shares = split(indices, workers);
        phases.accept(StepPhase.FORWARD);
        float[] state = FlatState.pack(model);
        int resultLength = state.length + 3;
        // The weights travel inside the task: Spark broadcasts each stage's serialized task once per executor, so
        // a broadcast of our own would only add a block to register and remove every step.
        PartitionStep task = new PartitionStep(state, shares, factory, workerLoss, run, data.sampleShape(),
                indices.length, resultLength, steps, probe);
        JavaRDD<float[]> results = shards.mapPartitionsWithIndex(task, true);
        float[] sum = switch (reduction) {
            case DRIVER -> sumInOrder(results.collect(), resultLength);
            case TREE -> results.treeAggregate(new float[resultLength], DistributedStep::combine,
                    DistributedStep::combine, 2);
        };
        phases.accept(StepPhase.BACKWARD);
        FlatState.setGradientsAndBuffers(model, sum);
        steps++;
        int reported = (int) Math.min(workers, indices.length);
        if (weightBytes < 0) {
            // The sizes are the same every step: serialize arrays of these lengths once.
            weightBytes = serializedBytes(new float[state.length]);
            resultBytes = serializedBytes(new float[resultLength]);
        }
        lastCost = new StepCost(reported, weightBytes, resultBytes, 1,
                (System.nanoTime() - start) / 1e6, sum[resultLength - 1]);
        return new Outcome(sum[state.length] / indices.length, Math.round(sum[state.length + 1]));
    }

    /** Places epoch {@code e}'s samples: sample at position p of batch t goes to the partition of p's share. */
    private void place(int e) {
        int n = Math.toIntExact(data.size());
        int[] owner = new int[n];
        java.util.Arrays.fill(owner, -1);
        try (DataLoader.BatchIterator batches = indexLoader.iterator(e)) {
            while (batches.hasNext()) {
                int[][] shares = split(indicesOf(batches.next()), workers);
                for (int j = 0; j < shares.length; j++) {
                    for (int i : shares[j]) {
                        owner[i] = j;
                    }
                }
            }
        }
        if (shards != null) {
            shards.unpersist(false);
            placement.destroy();
        }
        placement = sc.broadcast(owner);
        shards = data.place(sc, placement, workers).persist(StorageLevel.MEMORY_AND_DISK());
        // Placed now, in a job of its own, so every step is one stage.
        shards.count();
        placedEpoch = e;
    }

    /** The global sample indices of a batch of the index loader (each sample's one value is its index). */
    static int[] indicesOf(DataLoader.Batch batch) {
        float[] values = batch.inputs().toFloatArray();
        int[] out = new int[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (int) values[i];
        }
        return out;
    }

    /** Share {@code j} of {@code n} indices: positions {@code [j·n/k, (j+1)·n/k)}. */
    static int[][] split(int[] indices, int k) {
        int[][] shares = new int[k][];
        long n = indices.length;
        for (int j = 0; j < k; j++) {
            int from = (int) (j * n / k);
            int to = (int) ((j + 1) * n / k);
            shares[j] = java.util.Arrays.copyOfRange(indices, from, to);
        }
        return shares;
    }

    private static float[] sumInOrder(List<float[]> parts, int length) {
        float[] sum = new float[length];
        for (float[] part : parts) {
            combine(sum, part);
        }
        return sum;
    }

    /** Adds {@code b} into {@code a}; the last slot (task milliseconds) takes the maximum. */
    private static float[] combine(float[] a, float[] b) {
        int last = a.length - 1;
        for (int i = 0; i < last; i++) {
            a[i] += b[i];
        }
        a[last] = Math.max(a[last], b[last]);
        return a;
    }

    private static long serializedBytes(float[] values) {
        ByteBuffer bytes = SparkEnv.get().serializer().newInstance()
                .serialize(values, ClassTag$.MODULE$.apply(float[].class));
        return bytes.remaining();
    }

    /** Test hook run by a task after its gradient is computed (null in normal use). */
    interface TaskProbe extends Serializable {
        /** Called with the step number, the partition and {@link TaskContext#attemptNumber()}. */
        void afterGradient(long step, int partition, int attempt);
    }

    /** What each partition runs in a step. */
    private static final class PartitionStep implements Function2<Integer, Iterator<Shard>, Iterator<float[]>> {
        private static final long serialVersionUID = 1L;

        private final float[] weights;
        private final int[][] shares;
        private final ModelFactory factory;
        private final Loss loss;
        private final String run;
        private final int[] sampleShape;
        private final int globalBatch;
        private final int resultLength;
        private final long step;
        private final TaskProbe probe;

        PartitionStep(float[] weights, int[][] shares, ModelFactory factory, Loss loss, String run,
                      int[] sampleShape, int globalBatch, int resultLength, long step, TaskProbe probe) {
            this.weights = weights;
            this.shares = shares;
            this.factory = factory;
            this.loss = loss;
            this.run = run;
            this.sampleShape = sampleShape;
            this.globalBatch = globalBatch;
            this.resultLength = resultLength;
            this.step = step;
            this.probe = probe;
        }

        @Override
        @SuppressWarnings("try") // the scope is used for what it does on close
        public Iterator<float[]> call(Integer partition, Iterator<Shard> shardIterator) {
            long start = System.nanoTime();
            float[] result = new float[resultLength];
            int[] share = shares[partition];
            if (share.length > 0) {
                Shard shard = shardIterator.next();
                Replicas.Replica replica = Replicas.take(run, factory);
                try {
                    Module model = replica.model();
                    FlatState.unpack(weights, model);
                    model.zeroGrad();
                    try (MemoryScope scope = MemoryScope.open(replica.pool())) {
                        DataLoader.Batch batch = shard.batch(share, sampleShape);
                        Outcome outcome = GradientStep.local(model, loss, batch, phase -> { });
                        float scale = share.length / (float) globalBatch;
                        int at = FlatState.gradientsAndBuffers(model, scale, result);
                        result[at] = outcome.loss() * share.length;
                        result[at + 1] = outcome.correct();
                    }
                    if (probe != null) {
                        probe.afterGradient(step, partition, TaskContext.get().attemptNumber());
                    }
                } finally {
                    Replicas.give(run, replica);
                }
            }
            result[resultLength - 1] = (System.nanoTime() - start) / 1e6f;
            List<float[]> out = new ArrayList<>(1);
            out.add(result);
            return out.iterator();
        }
    }
}
