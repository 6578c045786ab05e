package org.quadralib.layers.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quadralib.core.Parallel;
import org.quadralib.core.Tensor;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.SyntheticData;
import org.quadralib.core.io.MalformedFileException;
import org.quadralib.core.io.SafeTensors;
import org.quadralib.core.optim.Optimizer;
import org.quadralib.core.optim.LrScheduler;
import org.quadralib.layers.BatchNorm1d;
import org.quadralib.layers.Dropout;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;
import org.quadralib.layers.ReLU;
import org.quadralib.layers.Sequential;

/**
 * Every kind of corrupt checkpoint is refused with a message naming the file, and leaves the model, the
 * optimizer, the scheduler and every generator exactly as they were: compared tensor by tensor.
 */
class CheckpointCorruptionTest {

    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().create();

    @TempDir
    Path dir;

    private Path good;
    private Path earlier;

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

    @BeforeEach
    void twoCheckpoints() throws IOException {
        new Trainer(config().withMaxSteps(6), new Checkpointing(dir.resolve("run"), 3, false, 0))
                .fit(model(), loader(), null, 3);
        earlier = Checkpointing.folderFor(dir.resolve("run"), 3);
        good = Checkpointing.folderFor(dir.resolve("run"), 6);
    }

    /** A context as {@code Trainer.resume} builds it, with state loaded from the earlier checkpoint. */
    private TrainingContext victim() throws IOException {
        Module m = model();
        Optimizer optimizer = config().optimizer().create(m);
        DataLoader train = loader();
        LrScheduler scheduler = config().schedule().create(optimizer, train.numBatches(), 3);
        TrainingContext context = new TrainingContext(config(), m, optimizer, scheduler, train, null, 3, 0f);
        Checkpoint.restore(earlier, context);
        Init.rng().nextLong(); // the global generator moved on since
        return context;
    }

    /** Every tensor, step, rate, generator state and position of a context, as comparable values. */
    private static Map<String, Object> snapshot(TrainingContext c) {
        Map<String, Object> s = new TreeMap<>();
        c.model().stateDict().forEach((k, v) -> s.put("model." + k, List.of(toList(v))));
        c.optimizer().stateDict().forEach((k, v) -> s.put("optimizer." + k, List.of(toList(v))));
        s.put("scheduler.step", c.scheduler().currentStep());
        s.put("lr", Trainer.learningRates(c.optimizer()).toString());
        s.put("rng.init", toList(Init.rng().state()));
        c.model().namedModules().forEach((k, v) -> {
            if (v instanceof Dropout d) {
                s.put("rng.dropout." + k, toList(d.rng().state()));
            }
        });
        s.put("position", List.of(c.epoch(), c.batchesDone(), c.globalStep(), c.history().size()));
        s.put("sums", List.of(c.epochLossSum(), c.epochCorrect(), c.epochSamples()));
        return s;
    }

    private static List<Float> toList(Tensor t) {
        List<Float> out = new java.util.ArrayList<>();
        for (float f : t.toFloatArray()) {
            out.add(f);
        }
        return out;
    }

    private static List<Long> toList(long[] values) {
        return java.util.Arrays.stream(values).boxed().toList();
    }

    private Path copyOfGood(String name) throws IOException {
        Path copy = dir.resolve(name);
        Files.createDirectories(copy);
        try (Stream<Path> files = Files.list(good)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        return copy;
    }

    private void editState(Path folder, Consumer<JsonObject> edit) throws IOException {
        Path file = folder.resolve(Checkpoint.STATE_FILE);
        JsonObject meta = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        edit.accept(meta);
        Files.writeString(file, GSON.toJson(meta));
    }

    private void editOptimizer(Path folder, Consumer<Map<String, Tensor>> edit) throws IOException {
        Path file = folder.resolve(Checkpoint.OPTIMIZER_FILE);
        Map<String, Tensor> state = new LinkedHashMap<>(SafeTensors.read(file));
        edit.accept(state);
        SafeTensors.write(file, state);
    }

    /** Restoring {@code folder} fails as {@code kind} mentioning {@code detail}, and changes nothing. */
    private void assertRefusedUnchanged(Path folder, Class<? extends Exception> kind, String file, String detail)
            throws IOException {
        TrainingContext context = victim();
        Map<String, Object> before = snapshot(context);
        Exception e = assertThrows(Exception.class, () -> Checkpoint.restore(folder, context));
        assertTrue(kind.isInstance(e), folder.getFileName() + ": " + e);
        assertTrue(e.getMessage().contains(file), e.getMessage());
        assertTrue(e.getMessage().contains(detail), () -> "expected '" + detail + "' in " + e.getMessage());
        assertEquals(before, snapshot(context), folder.getFileName() + " changed state before it was refused");
    }

    @Test
    void theUncorruptedCheckpointDoesChangeTheState() throws IOException {
        // Guards the comparison itself: a restore that succeeds must show up in the snapshot.
        TrainingContext context = victim();
        Map<String, Object> before = snapshot(context);
        Checkpoint.restore(good, context);
        Map<String, Object> after = snapshot(context);
        assertFalse(before.get("model.0.weight").equals(after.get("model.0.weight")));
        assertFalse(before.get("optimizer.linear.0.momentum").equals(after.get("optimizer.linear.0.momentum")));
        assertFalse(before.get("scheduler.step").equals(after.get("scheduler.step")));
        assertFalse(before.get("rng.init").equals(after.get("rng.init")));
        assertFalse(before.get("rng.dropout.3").equals(after.get("rng.dropout.3")));
    }

    @Test
    void corruptTrainerStateIsRefusedBeforeAnythingChanges() throws IOException {
        String state = Checkpoint.STATE_FILE;
        Class<MalformedFileException> malformed = MalformedFileException.class;
        Map<String, Consumer<JsonObject>> edits = new LinkedHashMap<>();
        edits.put("negative epoch", m -> m.getAsJsonObject("position").addProperty("epoch", -1));
        edits.put("negative batches", m -> m.getAsJsonObject("position").addProperty("batchesDone", -4));
        edits.put("too many batches", m -> m.getAsJsonObject("position").addProperty("batchesDone", 5));
        edits.put("inconsistent step", m -> m.getAsJsonObject("position").addProperty("globalStep", 7));
        edits.put("float step", m -> m.getAsJsonObject("position").addProperty("globalStep", 6.5));
        edits.put("string epoch", m -> m.getAsJsonObject("position").addProperty("epoch", "one"));
        edits.put("huge epoch", m -> m.getAsJsonObject("position").addProperty("epoch", 1e30));
        edits.put("negative scheduler", m -> m.getAsJsonObject("scheduler").addProperty("step", -100));
        edits.put("scheduler ahead", m -> m.getAsJsonObject("scheduler").addProperty("step", 9));
        edits.put("rng length", m -> m.getAsJsonObject("rng").add("init", new JsonArray()));
        edits.put("rng draws", m -> m.getAsJsonObject("rng").getAsJsonArray("init").set(1,
                new com.google.gson.JsonPrimitive("-5")));
        edits.put("rng text", m -> m.getAsJsonObject("rng").getAsJsonObject("dropout").getAsJsonArray("3").set(0,
                new com.google.gson.JsonPrimitive("99999999999999999999")));
        edits.put("rng spare", m -> m.getAsJsonObject("rng").getAsJsonArray("init").set(2,
                new com.google.gson.JsonPrimitive("7")));
        edits.put("history length", m -> m.getAsJsonArray("history").add(m.getAsJsonArray("history").get(0)));
        edits.put("correct above samples", m -> m.getAsJsonObject("epochSums").addProperty("correct", 1000));
        edits.put("negative samples", m -> m.getAsJsonObject("epochSums").addProperty("samples", -16));
        edits.put("version", m -> m.addProperty("version", 2));
        edits.put("no position", m -> m.remove("position"));
        for (Map.Entry<String, Consumer<JsonObject>> e : edits.entrySet()) {
            Path folder = copyOfGood(e.getKey().replace(' ', '-'));
            editState(folder, e.getValue());
            assertRefusedUnchanged(folder, malformed, state, "");
        }
        Path missingDropout = copyOfGood("missing-dropout");
        editState(missingDropout, m -> m.getAsJsonObject("rng").getAsJsonObject("dropout").remove("3"));
        assertRefusedUnchanged(missingDropout, IllegalArgumentException.class, "", "dropout layers differ");
        Path unit = copyOfGood("scheduler-unit");
        editState(unit, m -> m.getAsJsonObject("scheduler").addProperty("unit", "EPOCH"));
        assertRefusedUnchanged(unit, IllegalArgumentException.class, "", "schedule unit: checkpoint EPOCH");
    }

    @Test
    void notUtf8OrNotJsonIsRefusedNamingTheFile() throws IOException {
        Path latin1 = copyOfGood("latin1");
        Files.write(latin1.resolve(Checkpoint.STATE_FILE), "{\"format\": \"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1));
        assertRefusedUnchanged(latin1, MalformedFileException.class, Checkpoint.STATE_FILE, "not valid UTF-8");
        Path deep = copyOfGood("deep");
        Files.writeString(deep.resolve(Checkpoint.STATE_FILE), "[".repeat(100_000));
        assertRefusedUnchanged(deep, MalformedFileException.class, Checkpoint.STATE_FILE, "not valid JSON");
        Path array = copyOfGood("array");
        Files.writeString(array.resolve(Checkpoint.STATE_FILE), "[1, 2]");
        assertRefusedUnchanged(array, MalformedFileException.class, Checkpoint.STATE_FILE, "object");
    }

    @Test
    void corruptOptimizerOrModelFilesAreRefusedBeforeAnythingChanges() throws IOException {
        Path unknownKey = copyOfGood("unknown-key");
        editOptimizer(unknownKey, s -> s.put("linear.0.velocity", s.get("linear.0.momentum")));
        assertRefusedUnchanged(unknownKey, IllegalArgumentException.class, Checkpoint.OPTIMIZER_FILE, "velocity");
        Path negativeSteps = copyOfGood("negative-steps");
        editOptimizer(negativeSteps, s -> s.put("steps", Tensor.of(new float[] {-1}, 1)));
        assertRefusedUnchanged(negativeSteps, IllegalArgumentException.class, Checkpoint.OPTIMIZER_FILE, "steps");
        Path aheadSteps = copyOfGood("ahead-steps");
        editOptimizer(aheadSteps, s -> s.put("steps", Tensor.of(new float[] {1000}, 1)));
        assertRefusedUnchanged(aheadSteps, MalformedFileException.class, Checkpoint.OPTIMIZER_FILE, "exceed");
        Path misShaped = copyOfGood("mis-shaped");
        editOptimizer(misShaped, s -> s.put("linear.0.momentum", Tensor.zeros(3, 3)));
        assertRefusedUnchanged(misShaped, IllegalArgumentException.class, Checkpoint.OPTIMIZER_FILE, "shape");

        Path garbage = copyOfGood("garbage-model");
        Files.write(garbage.resolve(Checkpoint.MODEL_FILE), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
        assertRefusedUnchanged(garbage, MalformedFileException.class, Checkpoint.MODEL_FILE, "");
        Path truncated = copyOfGood("truncated-model");
        byte[] bytes = Files.readAllBytes(truncated.resolve(Checkpoint.MODEL_FILE));
        Files.write(truncated.resolve(Checkpoint.MODEL_FILE), java.util.Arrays.copyOf(bytes, bytes.length - 5));
        assertRefusedUnchanged(truncated, MalformedFileException.class, Checkpoint.MODEL_FILE, "");
        Path wrongWeight = copyOfGood("wrong-weight");
        Map<String, Tensor> weights = new LinkedHashMap<>(SafeTensors.read(wrongWeight.resolve(Checkpoint.MODEL_FILE)));
        weights.put("4.weight", Tensor.zeros(2, 9));
        SafeTensors.write(wrongWeight.resolve(Checkpoint.MODEL_FILE), weights);
        assertRefusedUnchanged(wrongWeight, IllegalArgumentException.class, Checkpoint.MODEL_FILE, "4.weight");
        // The optimizer file broken while the model file is valid: the old code had loaded the weights already.
        Path brokenOptimizer = copyOfGood("broken-optimizer");
        Files.write(brokenOptimizer.resolve(Checkpoint.OPTIMIZER_FILE), new byte[3]);
        assertRefusedUnchanged(brokenOptimizer, MalformedFileException.class, Checkpoint.OPTIMIZER_FILE, "");
    }

    @Test
    void aHugeDrawCountRestoresAtOnce() throws IOException {
        Path huge = copyOfGood("huge-draws");
        editState(huge, m -> m.getAsJsonObject("rng").getAsJsonArray("init").set(1,
                new com.google.gson.JsonPrimitive(Long.toString(Long.MAX_VALUE))));
        TrainingContext context = victim();
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> Checkpoint.restore(huge, context));
        assertEquals(Long.MAX_VALUE, Init.rng().state()[1]);
    }

    @Test
    void staleTemporaryFoldersAreClearedAndOddNamesIgnored() throws IOException {
        Path run = dir.resolve("run");
        Path staleTmp = Files.createDirectories(run.resolve(".step-000000009.1a2b.tmp"));
        Files.writeString(staleTmp.resolve(Checkpoint.MODEL_FILE), "half");
        // A crash between moving the old checkpoint aside and moving the new one in: the old one comes back.
        Path moved = run.resolve(".step-000000003.ff.old");
        Files.move(earlier, moved);
        Path odd = Files.createDirectories(run.resolve("step-99999999999999999999"));
        Files.writeString(odd.resolve(Checkpoint.STATE_FILE), "{}");
        assertEquals(good, Checkpointing.latest(run).orElseThrow(), "the 20-digit name is not a checkpoint");

        new Trainer(config().withMaxSteps(9), new Checkpointing(run, 3, false, 0))
                .resume(good, model(), loader(), null, 3);
        try (Stream<Path> children = Files.list(run)) {
            assertEquals(List.of("step-000000003", "step-000000006", "step-000000009", "step-99999999999999999999"),
                    children.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertTrue(Files.isRegularFile(earlier.resolve(Checkpoint.STATE_FILE)));
        assertEquals(Checkpointing.folderFor(run, 9), Checkpointing.latest(run).orElseThrow());
    }
}
