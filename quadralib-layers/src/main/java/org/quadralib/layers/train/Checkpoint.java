package org.quadralib.layers.train;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.io.AtomicFiles;
import org.quadralib.core.io.MalformedFileException;
import org.quadralib.core.io.SafeTensors;
import org.quadralib.core.optim.Optimizer;
import org.quadralib.core.optim.ParamGroup;
import org.quadralib.layers.Dropout;
import org.quadralib.layers.Init;
import org.quadralib.layers.Module;

/**
 * A training checkpoint: a folder holding
 * <ul>
 *   <li>{@value #MODEL_FILE}: the model's state dict (parameters and buffers, PyTorch's names and layouts);</li>
 *   <li>{@value #OPTIMIZER_FILE}: the optimizer's state ({@link Optimizer#stateDict()}: momentum or moment
 *       buffers by {@code <group>.<index>.<key>}, and the step count);</li>
 *   <li>{@value #STATE_FILE}: JSON metadata: the position (epoch, batches done in it, global step), the running
 *       sums of the epoch in progress, the scheduler step, the generator states ({@link Init#rng()} and each
 *       {@link Dropout} layer's, by module path), the training data's batching (size, batch size, shuffle,
 *       drop-last, seed), the optimizer's groups, the configuration and the completed epochs' history.</li>
 * </ul>
 * The folder is written beside its final name and renamed into place, so a checkpoint is either complete or
 * absent, never half-written; an existing checkpoint of the same name is replaced the same way.
 */
public final class Checkpoint {

    /** The model's state dict. */
    public static final String MODEL_FILE = "model.safetensors";
    /** The optimizer's state. */
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    /** The JSON metadata. */
    public static final String STATE_FILE = "trainer.json";
    /** The format written in {@value #STATE_FILE}; a reader refuses other versions. */
    public static final int FORMAT_VERSION = 1;

    private static final String FORMAT = "quadralib-trainer-checkpoint";
    // NaN losses are legitimate history (a diverged run) and must survive the round trip.
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
            .disableHtmlEscaping().create();

    private Checkpoint() {
    }

    /**
     * Writes the state of {@code context} as a checkpoint folder {@code folder}, replacing one already there.
     * Missing parent folders are created.
     *
     * @throws IOException if writing fails; {@code folder} then holds the previous checkpoint (if any) or nothing,
     *                     and no temporary folder remains
     */
    public static void save(Path folder, TrainingContext context) throws IOException {
        Path target = folder.toAbsolutePath().normalize();
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Path temp = createSibling(target, "tmp");
        try {
            SafeTensors.write(temp.resolve(MODEL_FILE), context.model().stateDict());
            SafeTensors.write(temp.resolve(OPTIMIZER_FILE), context.optimizer().stateDict());
            AtomicFiles.writeString(temp.resolve(STATE_FILE), GSON.toJson(metadata(context)));
            moveIntoPlace(temp, target);
        } catch (IOException | RuntimeException | Error e) {
            try {
                deleteRecursively(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Reads a checkpoint's model weights (to load them into a model for inference with
     * {@link Module#loadStateDict}).
     *
     * @throws IOException if the file is missing or malformed
     */
    public static Map<String, Tensor> readModel(Path folder) throws IOException {
        return SafeTensors.read(requireFile(folder, MODEL_FILE));
    }

    /**
     * Loads the checkpoint in {@code folder} into the freshly started {@code context}: weights, optimizer state,
     * scheduler step, generators, position, running sums and history. Everything is read and checked before
     * anything is changed.
     *
     * @throws IOException              if a file is missing or malformed
     * @throws IllegalArgumentException if the model, the optimizer, the schedule or the training data differ from
     *                                  the checkpoint's
     */
    static void restore(Path folder, TrainingContext context) throws IOException {
        Path stateFile = requireFile(folder, STATE_FILE);
        Map<String, Tensor> weights = SafeTensors.read(requireFile(folder, MODEL_FILE));
        Map<String, Tensor> optimizerState = SafeTensors.read(requireFile(folder, OPTIMIZER_FILE));
        JsonObject meta;
        try {
            JsonElement parsed = JsonParser.parseString(Files.readString(stateFile));
            if (!parsed.isJsonObject()) {
                throw new MalformedFileException(stateFile, null, "expected a JSON object");
            }
            meta = parsed.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new MalformedFileException(stateFile, null, "not valid JSON: " + e.getMessage(), e);
        }
        try {
            restore(stateFile, meta, weights, optimizerState, context);
        } catch (NullPointerException | UnsupportedOperationException | IllegalStateException
                 | NumberFormatException | ClassCastException e) {
            // Gson signals a missing or mistyped field this way; report it as what it is, a malformed file.
            throw new MalformedFileException(stateFile, null, "missing or mistyped field: " + e, e);
        }
    }

    private static void restore(Path stateFile, JsonObject meta, Map<String, Tensor> weights,
                                Map<String, Tensor> optimizerState, TrainingContext context) throws IOException {
        if (!meta.has("format") || !FORMAT.equals(meta.get("format").getAsString())) {
            throw new MalformedFileException(stateFile, null, "not a QuadraLib trainer checkpoint (format field "
                    + meta.get("format") + ")");
        }
        int version = meta.get("version").getAsInt();
        if (version != FORMAT_VERSION) {
            throw new MalformedFileException(stateFile, null, "checkpoint format version " + version
                    + ", this library reads version " + FORMAT_VERSION);
        }
        List<String> problems = new ArrayList<>();
        checkData(meta.getAsJsonObject("data"), context.trainLoader(), problems);
        checkGroups(meta.getAsJsonObject("optimizer"), context.optimizer(), problems);
        JsonElement scheduler = meta.get("scheduler");
        boolean savedScheduler = scheduler != null && !scheduler.isJsonNull();
        if (savedScheduler != (context.scheduler() != null)) {
            problems.add(savedScheduler ? "the checkpoint has a learning-rate schedule, the trainer has none"
                    : "the trainer has a learning-rate schedule, the checkpoint has none");
        }
        Map<String, Dropout> dropouts = dropouts(context.model());
        JsonObject rng = meta.getAsJsonObject("rng");
        JsonObject savedDropouts = rng.getAsJsonObject("dropout");
        if (!savedDropouts.keySet().equals(dropouts.keySet())) {
            problems.add("dropout layers differ: checkpoint " + savedDropouts.keySet() + ", model " + dropouts.keySet());
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Trainer.resume from " + stateFile.getParent() + ": "
                    + String.join("; ", problems));
        }
        long[] initState = longs(rng.getAsJsonArray("init"));
        Map<String, long[]> dropoutStates = new LinkedHashMap<>();
        for (String path : dropouts.keySet()) {
            dropoutStates.put(path, longs(savedDropouts.getAsJsonArray(path)));
        }
        JsonObject position = meta.getAsJsonObject("position");
        JsonObject sums = meta.getAsJsonObject("epochSums");
        List<EpochRecord> history = new ArrayList<>();
        for (JsonElement e : meta.getAsJsonArray("history")) {
            history.add(record(e.getAsJsonObject()));
        }

        // Everything is parsed and checked; from here on the model and trainer change.
        context.model().loadStateDict(weights, true);
        context.optimizer().loadStateDict(optimizerState);
        if (savedScheduler) {
            context.scheduler().setStep(scheduler.getAsJsonObject().get("step").getAsInt());
        }
        Init.rng().restore(initState);
        for (Map.Entry<String, long[]> e : dropoutStates.entrySet()) {
            dropouts.get(e.getKey()).rng().restore(e.getValue());
        }
        history.forEach(context::addEpoch);
        context.moveTo(position.get("epoch").getAsInt(), position.get("batchesDone").getAsInt());
        context.setGlobalStep(position.get("globalStep").getAsLong());
        context.setEpochSums(sums.get("lossSum").getAsDouble(), sums.get("correct").getAsLong(),
                sums.get("samples").getAsLong());
    }

    private static void checkData(JsonObject data, DataLoader loader, List<String> problems) {
        DataLoader.Options o = loader.options();
        compare(problems, "training samples", data.get("samples").getAsLong(), loader.dataset().size());
        compare(problems, "batch size", data.get("batchSize").getAsLong(), o.batchSize());
        compare(problems, "data seed", data.get("seed").getAsLong(), o.seed());
        if (data.get("shuffle").getAsBoolean() != o.shuffle()) {
            problems.add("shuffle: checkpoint " + data.get("shuffle") + ", loader " + o.shuffle());
        }
        if (data.get("dropLast").getAsBoolean() != o.dropLast()) {
            problems.add("drop-last: checkpoint " + data.get("dropLast") + ", loader " + o.dropLast());
        }
    }

    private static void compare(List<String> problems, String what, long saved, long now) {
        if (saved != now) {
            problems.add(what + ": checkpoint " + saved + ", loader " + now);
        }
    }

    private static void checkGroups(JsonObject optimizer, Optimizer current, List<String> problems) {
        List<String> saved = new ArrayList<>();
        for (JsonElement g : optimizer.getAsJsonArray("groups")) {
            JsonObject group = g.getAsJsonObject();
            saved.add(group.get("name").getAsString() + "[" + group.get("parameters").getAsInt() + "]");
        }
        List<String> now = new ArrayList<>();
        for (ParamGroup g : current.groups()) {
            now.add(g.name() + "[" + g.params().size() + "]");
        }
        if (!saved.equals(now)) {
            problems.add("optimizer groups: checkpoint " + saved + ", trainer " + now);
        }
        String savedClass = optimizer.get("class").getAsString();
        if (!savedClass.equals(current.getClass().getSimpleName())) {
            problems.add("optimizer: checkpoint " + savedClass + ", trainer " + current.getClass().getSimpleName());
        }
    }

    private static JsonObject metadata(TrainingContext context) {
        JsonObject meta = new JsonObject();
        meta.addProperty("format", FORMAT);
        meta.addProperty("version", FORMAT_VERSION);

        JsonObject position = new JsonObject();
        position.addProperty("epoch", context.epoch());
        position.addProperty("batchesDone", context.batchesDone());
        position.addProperty("globalStep", context.globalStep());
        meta.add("position", position);

        JsonObject sums = new JsonObject();
        sums.addProperty("lossSum", context.epochLossSum());
        sums.addProperty("correct", context.epochCorrect());
        sums.addProperty("samples", context.epochSamples());
        meta.add("epochSums", sums);

        if (context.scheduler() != null) {
            JsonObject scheduler = new JsonObject();
            scheduler.addProperty("unit", context.config().schedule().unit().name());
            scheduler.addProperty("step", context.scheduler().currentStep());
            meta.add("scheduler", scheduler);
        } else {
            meta.add("scheduler", com.google.gson.JsonNull.INSTANCE);
        }

        JsonObject rng = new JsonObject();
        rng.add("init", strings(Init.rng().state()));
        JsonObject dropout = new JsonObject();
        for (Map.Entry<String, Dropout> e : dropouts(context.model()).entrySet()) {
            dropout.add(e.getKey(), strings(e.getValue().rng().state()));
        }
        rng.add("dropout", dropout);
        meta.add("rng", rng);

        DataLoader loader = context.trainLoader();
        DataLoader.Options o = loader.options();
        JsonObject data = new JsonObject();
        data.addProperty("samples", loader.dataset().size());
        data.addProperty("batchSize", o.batchSize());
        data.addProperty("shuffle", o.shuffle());
        data.addProperty("dropLast", o.dropLast());
        data.addProperty("seed", o.seed());
        data.addProperty("batchesPerEpoch", loader.numBatches());
        meta.add("data", data);

        Optimizer optimizer = context.optimizer();
        JsonObject opt = new JsonObject();
        opt.addProperty("class", optimizer.getClass().getSimpleName());
        opt.addProperty("steps", optimizer.steps());
        JsonArray groups = new JsonArray();
        for (ParamGroup g : optimizer.groups()) {
            JsonObject group = new JsonObject();
            group.addProperty("name", g.name());
            group.addProperty("parameters", g.params().size());
            group.addProperty("baseLr", g.baseLr());
            group.addProperty("lr", g.lr());
            group.addProperty("weightDecay", g.weightDecay());
            groups.add(group);
        }
        opt.add("groups", groups);
        meta.add("optimizer", opt);

        JsonObject model = new JsonObject();
        model.addProperty("class", context.model().getClass().getName());
        model.addProperty("parameters", context.model().parameterCount());
        meta.add("model", model);

        Trainer.Config c = context.config();
        JsonObject config = new JsonObject();
        config.addProperty("epochs", context.epochs());
        config.addProperty("maxGradNorm", context.maxGradNorm());
        config.addProperty("maxSteps", c.maxSteps());
        config.addProperty("threads", c.threads());
        config.addProperty("loss", c.loss() == Loss.CROSS_ENTROPY ? "cross-entropy" : c.loss().getClass().getName());
        config.addProperty("schedule", c.schedule() == null ? "none" : c.schedule().unit().name());
        meta.add("config", config);

        JsonArray history = new JsonArray();
        for (EpochRecord r : context.history()) {
            history.add(json(r));
        }
        meta.add("history", history);
        return meta;
    }

    private static JsonObject json(EpochRecord r) {
        JsonObject o = new JsonObject();
        o.addProperty("epoch", r.epoch());
        o.addProperty("trainLoss", r.trainLoss());
        o.addProperty("trainAccuracy", r.trainAccuracy());
        o.addProperty("validationLoss", r.validationLoss());
        o.addProperty("validationAccuracy", r.validationAccuracy());
        o.addProperty("seconds", r.seconds());
        o.addProperty("stepMillisMedian", r.stepMillisMedian());
        JsonObject rates = new JsonObject();
        r.learningRates().forEach(rates::addProperty);
        o.add("learningRates", rates);
        return o;
    }

    private static EpochRecord record(JsonObject o) {
        Map<String, Float> rates = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : o.getAsJsonObject("learningRates").entrySet()) {
            rates.put(e.getKey(), e.getValue().getAsFloat());
        }
        return new EpochRecord(o.get("epoch").getAsInt(), o.get("trainLoss").getAsDouble(),
                o.get("trainAccuracy").getAsDouble(), o.get("validationLoss").getAsDouble(),
                o.get("validationAccuracy").getAsDouble(), o.get("seconds").getAsDouble(),
                o.get("stepMillisMedian").getAsDouble(), rates);
    }

    /** Generator states as strings: 64-bit values do not survive JSON readers that parse numbers as doubles. */
    private static JsonArray strings(long[] values) {
        JsonArray a = new JsonArray();
        for (long v : values) {
            a.add(Long.toString(v));
        }
        return a;
    }

    private static long[] longs(JsonArray a) {
        long[] values = new long[a.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = Long.parseLong(a.get(i).getAsString());
        }
        return values;
    }

    private static Map<String, Dropout> dropouts(Module model) {
        Map<String, Dropout> out = new LinkedHashMap<>();
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            if (e.getValue() instanceof Dropout d) {
                out.put(e.getKey(), d);
            }
        }
        return out;
    }

    private static Path requireFile(Path folder, String name) throws IOException {
        Path file = folder.resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, Files.isDirectory(folder)
                    ? "not a complete trainer checkpoint (expected " + MODEL_FILE + ", " + OPTIMIZER_FILE + " and "
                    + STATE_FILE + ")" : "no checkpoint folder " + folder);
        }
        return file;
    }

    /** An empty folder beside {@code target}, hidden and named so a crash leaves something obviously disposable. */
    private static Path createSibling(Path target, String kind) throws IOException {
        for (int attempt = 0; ; attempt++) {
            String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
            Path sibling = target.resolveSibling("." + target.getFileName() + "." + suffix + "." + kind);
            try {
                return Files.createDirectory(sibling);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw e;
                }
            }
        }
    }

    private static void moveIntoPlace(Path temp, Path target) throws IOException {
        if (!Files.exists(target)) {
            move(temp, target);
            return;
        }
        // A folder cannot be renamed over a non-empty one: move the old one aside first, then drop it.
        Path old = createSibling(target, "old");
        Files.delete(old);
        move(target, old);
        try {
            move(temp, target);
        } catch (IOException e) {
            move(old, target);
            throw e;
        }
        deleteRecursively(old);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    static void deleteRecursively(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(folder)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
