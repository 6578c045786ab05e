package org.quadralib.layers.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.SyntheticData;
import org.quadralib.core.io.MalformedFileException;
import org.quadralib.core.optim.LrScheduler;
import org.quadralib.core.optim.Optimizer;
import org.quadralib.core.testing.Fuzzer;
import org.quadralib.layers.BatchNorm1d;
import org.quadralib.layers.Dropout;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;
import org.quadralib.layers.ReLU;
import org.quadralib.layers.Sequential;

/**
 * Fuzzes the checkpoint loader: each target mutates one of the three files of valid checkpoints and restores the
 * folder into a live training context. Every input must load, or be refused with a {@link MalformedFileException}
 * naming a file of the folder or an {@link IllegalArgumentException} naming the folder, and a refused input must
 * leave every tensor of the model and the optimizer, the scheduler step and every generator as they were. Run
 * by {@link CheckpointFuzzTest} in a child JVM with a 256 MiB heap; arguments {@code inputs=N seed=S}.
 */
public final class CheckpointFuzzMain {

    private CheckpointFuzzMain() {
    }

    private static Sequential model() {
        Init.manualSeed(3);
        return new Sequential(new Linear(2, 8), new BatchNorm1d(8), new ReLU(), new Dropout(0.2f), new Linear(8, 2));
    }

    private static DataLoader loader() {
        return new DataLoader(SyntheticData.spirals(64, 2), DataLoader.Options.defaults().withBatchSize(16)
                .withShuffle(true).withSeed(5).withRandomCrop(0));
    }

    private static Trainer.Config config() {
        return Trainer.Config.sgd(0.05f, 0.9f).withSchedule(Schedule.cosineWithWarmup(2, 0.1)).withThreads(1);
    }

    private static TrainingContext context() {
        Module m = model();
        Optimizer optimizer = config().optimizer().create(m);
        DataLoader train = loader();
        LrScheduler scheduler = config().schedule().create(optimizer, train.numBatches(), 3);
        return new TrainingContext(config(), m, optimizer, scheduler, train, null, 3, 0f);
    }

    /** Every value a refused restore must leave alone. */
    private static String snapshot(TrainingContext c) {
        StringBuilder sb = new StringBuilder();
        c.model().stateDict().forEach((k, v) -> sb.append(k).append(java.util.Arrays.toString(v.toFloatArray())));
        c.optimizer().stateDict().forEach((k, v) -> sb.append(k).append(java.util.Arrays.toString(v.toFloatArray())));
        sb.append(c.scheduler().currentStep()).append(Trainer.learningRates(c.optimizer()));
        sb.append(java.util.Arrays.toString(Init.rng().state()));
        c.model().namedModules().forEach((k, v) -> {
            if (v instanceof Dropout d) {
                sb.append(k).append(java.util.Arrays.toString(d.rng().state()));
            }
        });
        sb.append(c.epoch()).append(',').append(c.batchesDone()).append(',').append(c.globalStep())
                .append(',').append(c.history().size());
        return sb.toString();
    }

    /** @param args {@code inputs=N} per file (default 300) and {@code seed=S} (default 1) */
    public static void main(String[] args) throws IOException {
        long inputs = Fuzzer.arg(args, "inputs", 300);
        long seed = Fuzzer.arg(args, "seed", 1);
        Path work = Files.createTempDirectory("quadralib-checkpoint-fuzz");
        Path run = work.resolve("run");
        new Trainer(config().withMaxSteps(6), new Checkpointing(run, 3, false, 0)).fit(model(), loader(), null, 3);
        List<Path> valid = List.of(Checkpointing.folderFor(run, 3), Checkpointing.folderFor(run, 6));

        TrainingContext context = context();
        List<Fuzzer.Result> results = new ArrayList<>();
        for (String name : List.of(Checkpoint.STATE_FILE, Checkpoint.MODEL_FILE, Checkpoint.OPTIMIZER_FILE)) {
            List<byte[]> seeds = new ArrayList<>();
            for (Path v : valid) {
                seeds.add(Files.readAllBytes(v.resolve(name)));
            }
            Path folder = work.resolve("input-" + name);
            Files.createDirectories(folder);
            for (String other : List.of(Checkpoint.STATE_FILE, Checkpoint.MODEL_FILE, Checkpoint.OPTIMIZER_FILE)) {
                Files.copy(valid.get(1).resolve(other), folder.resolve(other));
            }
            Fuzzer.InputWriter writer = (bytes, i) -> {
                Files.write(folder.resolve(name), bytes);
                return folder;
            };
            Map<String, String> before = new LinkedHashMap<>();
            Fuzzer.Target target = f -> {
                before.put("state", snapshot(context));
                try {
                    Checkpoint.restore(f, context);
                } catch (IOException | RuntimeException e) {
                    if (!before.get("state").equals(snapshot(context))) {
                        throw new AssertionError("refused (" + e + ") after changing the state");
                    }
                    throw e;
                }
            };
            Fuzzer.Documented documented = (e, f) -> e instanceof MalformedFileException m
                    && f.equals(m.file().getParent()) && m.getMessage().startsWith(m.file().toString())
                    || e instanceof IllegalArgumentException && e.getMessage().contains(f.toString());
            results.add(new Fuzzer(seeds, seed).run("checkpoint-" + name, inputs, work, writer, target, documented));
        }
        Fuzzer.report(results, work);
    }
}
