package org.quadralib.layers.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quadralib.core.Parallel;
import org.quadralib.core.Tensor;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.SyntheticData;
import org.quadralib.core.io.AtomicFiles;
import org.quadralib.core.io.MalformedFileException;
import org.quadralib.core.ops.InPlace;
import org.quadralib.core.optim.Optimizer;
import org.quadralib.core.optim.ParamGroup;
import org.quadralib.layers.Dropout;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;
import org.quadralib.layers.QuadraticOptimizers;
import org.quadralib.layers.ReLU;
import org.quadralib.layers.Sequential;

class CheckpointTest {

    /** 200 points, batch 16: 13 batches per epoch, so 10 steps stop mid-epoch and 20 cross into epoch 1. */
    private static final int SAMPLES = 200;
    private static final int BATCH = 16;

    @TempDir
    Path dir;

    private int threads;

    @BeforeEach
    void oneThread() {
        threads = Parallel.threads();
        Parallel.setThreads(1);
    }

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(threads);
    }

    /** An MLP with dropout, so the dropout generator's state must resume too. */
    private static Sequential mlp(long seed) {
        Init.manualSeed(seed);
        return new Sequential(new Linear(2, 32), new ReLU(), new Dropout(0.2f), new Linear(32, 2));
    }

    private static DataLoader loader() {
        return new DataLoader(SyntheticData.spirals(SAMPLES, 3), DataLoader.Options.defaults().withBatchSize(BATCH)
                .withShuffle(true).withSeed(11).withRandomCrop(0));
    }

    private static Trainer.Config config(long maxSteps) {
        // Every piece of state a checkpoint holds: momentum, a per-step schedule, clipping.
        return Trainer.Config.sgd(0.05f, 0.9f).withMaxGradNorm(1.0).withSchedule(Schedule.cosineWithWarmup(3, 0.1))
                .withMaxSteps(maxSteps);
    }

    @Test
    void tenStepsSaveResumeTenStepsEqualsTwentyStepsBitForBit() throws IOException {
        Sequential straight = mlp(5);
        History full = new Trainer(config(20)).fit(straight, loader(), null, 3);
        assertEquals(20, full.steps());
        assertEquals(History.StopReason.MAX_STEPS, full.stopReason());

        Checkpointing checkpoints = new Checkpointing(dir, 10, false, 0);
        History first = new Trainer(config(10), checkpoints).fit(mlp(5), loader(), null, 3);
        assertEquals(10, first.steps());
        Path saved = Checkpointing.latest(dir).orElseThrow();
        assertEquals(Checkpointing.folderFor(dir, 10), saved);

        // A model built from another seed, and the initialiser's generator moved on: the checkpoint must restore all.
        Sequential resumed = mlp(99);
        Init.rng().nextLong();
        History second = new Trainer(config(20)).resume(saved, resumed, loader(), null, 3);
        assertEquals(20, second.steps());
        assertEquals(1, second.epochs().size(), "epoch 0 ended after step 13, in the resumed part");
        assertEquals(full.epochs().get(0).trainLoss(), second.epochs().get(0).trainLoss(),
                "the resumed epoch's loss covers its steps before the checkpoint too");

        Map<String, Tensor> expected = straight.stateDict();
        for (Map.Entry<String, Tensor> e : resumed.stateDict().entrySet()) {
            assertArrayEquals(expected.get(e.getKey()).toFloatArray(), e.getValue().toFloatArray(), e.getKey());
        }
    }

    @Test
    void resumingAtAnEpochBoundaryContinuesHistoryAndWeights() throws IOException {
        Trainer.Config config = Trainer.Config.sgd(0.05f, 0.9f).withSchedule(Schedule.stepLr(1, 0.5));
        Sequential straight = mlp(8);
        History full = new Trainer(config).fit(straight, loader(), loader(), 3);

        Checkpointing checkpoints = new Checkpointing(dir, 0, true, 1);
        new Trainer(config.withMaxSteps(13), checkpoints).fit(mlp(8), loader(), loader(), 3);
        Path saved = Checkpointing.latest(dir).orElseThrow();
        Sequential resumed = mlp(8);
        History rest = new Trainer(config).resume(saved, resumed, loader(), loader(), 3);

        assertEquals(3, rest.epochs().size());
        for (int e = 0; e < 3; e++) {
            assertEquals(full.epochs().get(e).trainLoss(), rest.epochs().get(e).trainLoss(), "train loss of epoch " + e);
            assertEquals(full.epochs().get(e).validationAccuracy(), rest.epochs().get(e).validationAccuracy());
            assertEquals(full.epochs().get(e).learningRates(), rest.epochs().get(e).learningRates());
        }
        assertArrayEquals(straight.stateDict().get("3.weight").toFloatArray(),
                resumed.stateDict().get("3.weight").toFloatArray());
    }

    @Test
    void aCheckpointFolderHoldsExactlyItsThreeFilesAndReplacesAnOlderOne() throws IOException {
        Path target = dir.resolve("ckpt");
        Checkpointing everyStep = new Checkpointing(dir, 1, false, 2);
        new Trainer(Trainer.Config.sgd(0.1f, 0f).withMaxSteps(4), everyStep).fit(mlp(1), loader(), null, 1);
        try (Stream<Path> children = Files.list(dir)) {
            List<String> names = children.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("step-000000003", "step-000000004"), names, "keepLast=2, no temporary folders");
        }
        Path latest = Checkpointing.latest(dir).orElseThrow();
        try (Stream<Path> files = Files.list(latest)) {
            assertEquals(List.of(Checkpoint.MODEL_FILE, Checkpoint.OPTIMIZER_FILE, Checkpoint.STATE_FILE),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }

        // Overwriting the same folder: the second save replaces the first, and nothing is left beside it.
        Files.createDirectories(target);
        Files.writeString(target.resolve("stale.txt"), "old");
        Sequential model = mlp(2);
        new Trainer(Trainer.Config.sgd(0.1f, 0f).withMaxSteps(1), new SaveAtEnd(target)).fit(model, loader(), null, 1);
        assertFalse(Files.exists(target.resolve("stale.txt")));
        assertArrayEquals(model.stateDict().get("0.weight").toFloatArray(),
                Checkpoint.readModel(target).get("0.weight").toFloatArray());
        try (Stream<Path> siblings = Files.list(dir)) {
            assertTrue(siblings.noneMatch(p -> p.getFileName().toString().startsWith(".")));
        }
    }

    @Test
    void aFailedSaveLeavesNeitherTheFolderNorATemporaryOne() throws IOException {
        Path target = dir.resolve("ckpt");
        OptimizerFactory failing = model -> new Optimizer(QuadraticOptimizers.parameterGroups(model, 0.1f, 0.1f, 0f, 0f)) {
            @Override
            protected void update(ParamGroup group, Tensor param, Tensor grad) {
                InPlace.axpy(-group.lr(), grad, param);
            }

            @Override
            public Map<String, Tensor> stateDict() {
                throw new IllegalStateException("optimizer state unavailable");
            }
        };
        Trainer.Config config = new Trainer.Config(failing, Loss.CROSS_ENTROPY, null, null, 0, 1);
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> new Trainer(config, new SaveAtEnd(target)).fit(mlp(1), loader(), null, 1));
        assertTrue(e.getMessage().contains("optimizer state unavailable"), e.getMessage());
        try (Stream<Path> children = Files.list(dir)) {
            assertEquals(0, children.count(), "the model file was written before the failure, in a folder now gone");
        }
    }

    @Test
    void resumeRejectsOtherDataAndReportsBrokenCheckpoints() throws IOException {
        new Trainer(Trainer.Config.sgd(0.1f, 0.9f).withMaxSteps(2), new Checkpointing(dir, 2, false, 0))
                .fit(mlp(1), loader(), null, 1);
        Path saved = Checkpointing.latest(dir).orElseThrow();

        DataLoader otherBatch = new DataLoader(SyntheticData.spirals(SAMPLES, 3), 32, true, 11);
        IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class,
                () -> new Trainer(Trainer.Config.sgd(0.1f, 0.9f)).resume(saved, mlp(1), otherBatch, null, 1));
        assertTrue(mismatch.getMessage().contains("batch size: checkpoint 16, loader 32"), mismatch.getMessage());

        Trainer adam = new Trainer(new Trainer.Config(OptimizerFactory.adam(0.01f), Loss.CROSS_ENTROPY, null, null, 0, 0));
        IllegalArgumentException optimizer = assertThrows(IllegalArgumentException.class,
                () -> adam.resume(saved, mlp(1), loader(), null, 1));
        assertTrue(optimizer.getMessage().contains("optimizer: checkpoint SGD, trainer Adam"), optimizer.getMessage());

        Module wider = new Sequential(new Linear(2, 16), new ReLU(), new Dropout(0.2f), new Linear(16, 2));
        assertThrows(IllegalArgumentException.class,
                () -> new Trainer(Trainer.Config.sgd(0.1f, 0.9f)).resume(saved, wider, loader(), null, 1));

        AtomicFiles.writeString(saved.resolve(Checkpoint.STATE_FILE), "{\"format\": \"quadralib-trainer-checkpoint\"");
        assertThrows(MalformedFileException.class,
                () -> new Trainer(Trainer.Config.sgd(0.1f, 0.9f)).resume(saved, mlp(1), loader(), null, 1));

        Files.delete(saved.resolve(Checkpoint.OPTIMIZER_FILE));
        NoSuchFileException missing = assertThrows(NoSuchFileException.class,
                () -> new Trainer(Trainer.Config.sgd(0.1f, 0.9f)).resume(saved, mlp(1), loader(), null, 1));
        assertTrue(missing.getMessage().contains(Checkpoint.OPTIMIZER_FILE), missing.getMessage());
    }

    @Test
    void aDivergedHistorySurvivesTheRoundTrip() throws IOException {
        Trainer.Config diverging = Trainer.Config.sgd(1e30f, 0f);
        History first = new Trainer(diverging, new Checkpointing(dir, 0, true, 0)).fit(mlp(1), loader(), null, 1);
        assertTrue(first.diverged());
        Path saved = Checkpointing.latest(dir).orElseThrow();
        History resumed = new Trainer(diverging).resume(saved, mlp(1), loader(), null, 2);
        assertEquals(2, resumed.epochs().size());
        assertTrue(Double.isNaN(resumed.epochs().get(0).trainLoss()), "NaN is kept, not turned into a number");
        assertTrue(Double.isNaN(resumed.epochs().get(0).validationAccuracy()), "no validation stays no validation");
    }

    /** Saves one checkpoint into a fixed folder when the fit ends. */
    private static final class SaveAtEnd implements TrainingListener {
        private final Path target;

        SaveAtEnd(Path target) {
            this.target = target;
        }

        @Override
        public void onFitEnd(TrainingContext context, History history) {
            try {
                Checkpoint.save(target, context);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
