package org.quadralib.layers.train;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;

import org.quadralib.core.InferenceMode;
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
     * Missing parent folders are created. What an earlier save of the same folder left when its process died is
     * cleared first ({@link #recoverInterrupted}).
     *
     * @throws IOException if writing fails; {@code folder} then holds the previous checkpoint (if any) or nothing,
     *                     and no temporary folder remains
     */
    public static void save(Path folder, TrainingContext context) throws IOException {
        Path target = folder.toAbsolutePath().normalize();
        Path parent = target.getParent();
        Files.createDirectories(parent);
        recoverInterrupted(parent, target.getFileName().toString());
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
     * scheduler step, generators, position, running sums and history.
     *
     * <p>Transactional: the three files are read and every value is checked into a staging copy first (types
     * and ranges of every field, the position against the training data, the scheduler step against the
     * position, the generator states, the optimizer state against the optimizer, the weights against the
     * model); only then is anything changed. A refused checkpoint leaves the model, the optimizer, the
     * scheduler and every generator exactly as they were.
     *
     * @throws IOException              if a file is missing or malformed (a {@link MalformedFileException} names
     *                                  the file and the field)
     * @throws IllegalArgumentException if the model, the optimizer, the schedule or the training data differ from
     *                                  the checkpoint's
     */
    static void restore(Path folder, TrainingContext context) throws IOException {
        stage(folder, context).applyTo(context);
    }

    /** Everything a checkpoint restores, parsed and checked, not yet applied. */
    private record Staged(Map<String, Tensor> weights, Map<String, Tensor> optimizerState, Integer schedulerStep,
                          long[] initRng, Map<Dropout, long[]> dropoutRngs, int epoch, int batchesDone,
                          long globalStep, double lossSum, long correct, long samples, List<EpochRecord> history) {

        /** Applies the staged state; every value was checked, so nothing here refuses. */
        void applyTo(TrainingContext context) {
            // The model's load is the only step that checks again, and it checks everything before it copies.
            context.model().loadStateDict(weights, true);
            context.optimizer().loadStateDict(optimizerState);
            if (schedulerStep != null) {
                context.scheduler().setStep(schedulerStep);
            }
            Init.rng().restore(initRng);
            dropoutRngs.forEach((d, state) -> d.rng().restore(state));
            history.forEach(context::addEpoch);
            context.moveTo(epoch, batchesDone);
            context.setGlobalStep(globalStep);
            context.setEpochSums(lossSum, correct, samples);
        }
    }

    private static Staged stage(Path folder, TrainingContext context) throws IOException {
        Path stateFile = requireFile(folder, STATE_FILE);
        Path modelFile = requireFile(folder, MODEL_FILE);
        Path optimizerFile = requireFile(folder, OPTIMIZER_FILE);
        Json meta = new Json(stateFile, readJson(stateFile), "");
        String format = meta.string("format");
        if (!FORMAT.equals(format)) {
            throw new MalformedFileException(stateFile, null, "not a QuadraLib trainer checkpoint (format '"
                    + format + "')");
        }
        long version = meta.integer("version", 0, Integer.MAX_VALUE);
        if (version != FORMAT_VERSION) {
            throw new MalformedFileException(stateFile, null, "checkpoint format version " + version
                    + ", this library reads version " + FORMAT_VERSION);
        }
        Map<String, Tensor> weights = SafeTensors.read(modelFile);
        Map<String, Tensor> optimizerState = SafeTensors.read(optimizerFile);

        // Whether this checkpoint belongs to this model, optimizer, schedule and data: IllegalArgumentException.
        List<String> problems = new ArrayList<>();
        checkData(meta.object("data"), context.trainLoader(), problems);
        checkGroups(meta.object("optimizer"), context.optimizer(), problems);
        Json scheduler = meta.optionalObject("scheduler");
        if ((scheduler != null) != (context.scheduler() != null)) {
            problems.add(scheduler != null ? "the checkpoint has a learning-rate schedule, the trainer has none"
                    : "the trainer has a learning-rate schedule, the checkpoint has none");
        }
        Schedule.Unit unit = context.config().schedule() == null ? null : context.config().schedule().unit();
        if (scheduler != null && unit != null && !unit.name().equals(scheduler.string("unit"))) {
            problems.add("schedule unit: checkpoint " + scheduler.string("unit") + ", trainer " + unit);
        }
        Map<String, Dropout> dropouts = dropouts(context.model());
        Json rng = meta.object("rng");
        Json savedDropouts = rng.object("dropout");
        if (!savedDropouts.keys().equals(dropouts.keySet())) {
            problems.add("dropout layers differ: checkpoint " + savedDropouts.keys() + ", model " + dropouts.keySet());
        }
        problems.addAll(modelProblems(weights, context.model()));
        problems.addAll(context.optimizer().checkStateDict(optimizerState).stream()
                .map(p -> OPTIMIZER_FILE + ": " + p).toList());
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Trainer.resume from " + folder + ": " + String.join("; ", problems));
        }

        // Whether its values are consistent: MalformedFileException naming the file and the field.
        long[] initRng = rng.rngState("init");
        Map<Dropout, long[]> dropoutRngs = new IdentityHashMap<>();
        for (Map.Entry<String, Dropout> e : dropouts.entrySet()) {
            dropoutRngs.put(e.getValue(), savedDropouts.rngState(e.getKey()));
        }
        int batchesPerEpoch = context.trainLoader().numBatches();
        Json position = meta.object("position");
        int epoch = (int) position.integer("epoch", 0, Integer.MAX_VALUE);
        int batchesDone = (int) position.integer("batchesDone", 0, batchesPerEpoch);
        long globalStep = position.integer("globalStep", 0, Long.MAX_VALUE);
        if (globalStep != (long) epoch * batchesPerEpoch + batchesDone) {
            throw new MalformedFileException(stateFile, null, "position: global step " + globalStep + " is not epoch "
                    + epoch + " × " + batchesPerEpoch + " batches + " + batchesDone + " batches done");
        }
        Integer schedulerStep = null;
        if (scheduler != null) {
            long step = scheduler.integer("step", 0, Integer.MAX_VALUE);
            long expected = unit == Schedule.Unit.STEP ? globalStep : epoch;
            if (step != expected) {
                throw new MalformedFileException(stateFile, null, "scheduler.step " + step + " disagrees with the "
                        + "position (a per-" + unit.name().toLowerCase(java.util.Locale.ROOT) + " schedule at "
                        + (unit == Schedule.Unit.STEP ? "global step " : "epoch ") + expected + ")");
            }
            String why = context.scheduler().checkStep((int) step);
            if (why != null) {
                throw new MalformedFileException(stateFile, null, "scheduler.step " + step + ": " + why);
            }
            schedulerStep = (int) step;
        }
        Tensor steps = optimizerState.get("steps");
        if (steps != null && steps.item() > globalStep) {
            throw new MalformedFileException(optimizerFile, "steps", "optimizer steps " + (long) steps.item()
                    + " exceed the global step " + globalStep);
        }
        Json sums = meta.object("epochSums");
        double lossSum = sums.number("lossSum");
        long samples = sums.integer("samples", 0, (long) batchesDone * context.trainLoader().options().batchSize());
        long correct = sums.integer("correct", 0, samples);
        List<EpochRecord> history = new ArrayList<>();
        JsonArray records = meta.array("history");
        if (records.size() != epoch) {
            throw new MalformedFileException(stateFile, null, "history holds " + records.size() + " epochs, the "
                    + "position says " + epoch + " were completed");
        }
        for (int i = 0; i < records.size(); i++) {
            EpochRecord r = record(new Json(stateFile, records.get(i), "history[" + i + "]"));
            if (r.epoch() != i) {
                throw new MalformedFileException(stateFile, null, "history[" + i + "].epoch is " + r.epoch());
            }
            history.add(r);
        }
        InferenceMode.checkWeightsMayChange("Trainer.resume");
        return new Staged(weights, optimizerState, schedulerStep, initRng, dropoutRngs, epoch, batchesDone,
                globalStep, lossSum, correct, samples, history);
    }

    /** Names missing from, unknown to or mis-shaped in {@code weights} against the model's state dict. */
    private static List<String> modelProblems(Map<String, Tensor> weights, Module model) {
        List<String> problems = new ArrayList<>();
        Map<String, Tensor> own = model.stateDict();
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor t = weights.get(e.getKey());
            if (t == null) {
                problems.add(MODEL_FILE + ": missing " + e.getKey());
            } else if (!java.util.Arrays.equals(t.shape(), e.getValue().shape())) {
                problems.add(MODEL_FILE + ": " + e.getKey() + " has shape " + java.util.Arrays.toString(t.shape())
                        + ", the model " + java.util.Arrays.toString(e.getValue().shape()));
            }
        }
        for (String k : weights.keySet()) {
            if (!own.containsKey(k)) {
                problems.add(MODEL_FILE + ": unexpected " + k);
            }
        }
        return problems;
    }

    /** Largest {@value #STATE_FILE} read: far above any history, far below what would strain memory. */
    private static final long MAX_STATE_BYTES = 64L * 1024 * 1024;

    /** The JSON object in {@code file}, which must be UTF-8. */
    private static JsonObject readJson(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_STATE_BYTES) {
            throw new MalformedFileException(file, null, size + " bytes, more than the " + MAX_STATE_BYTES
                    + " a trainer state file may have");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedFileException(file, null, "not valid UTF-8: " + e, e);
        }
        try {
            // Lenient only for NaN and infinity, which the writer emits for a diverged run's losses.
            JsonReader reader = new JsonReader(new StringReader(text));
            reader.setStrictness(Strictness.LENIENT);
            JsonElement parsed = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new MalformedFileException(file, null, "content after the JSON object");
            }
            if (!parsed.isJsonObject()) {
                throw new MalformedFileException(file, null, "expected a JSON object");
            }
            return parsed.getAsJsonObject();
        } catch (JsonParseException | IllegalStateException | StackOverflowError e) {
            throw new MalformedFileException(file, null, "not valid JSON: " + e, e);
        } catch (MalformedFileException e) {
            throw e;
        } catch (IOException e) {
            throw new MalformedFileException(file, null, "not valid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * A JSON object of the state file with typed, range-checked accessors: a missing or mistyped field is a
     * {@link MalformedFileException} naming the file and the field's path.
     */
    private static final class Json {
        private final Path file;
        private final JsonObject object;
        private final String path;

        Json(Path file, JsonElement element, String path) throws MalformedFileException {
            if (element == null || !element.isJsonObject()) {
                throw new MalformedFileException(file, null, (path.isEmpty() ? "the file" : "'" + path + "'")
                        + " must be an object");
            }
            this.file = file;
            this.object = element.getAsJsonObject();
            this.path = path;
        }

        private String name(String field) {
            return path.isEmpty() ? field : path + "." + field;
        }

        private MalformedFileException bad(String field, String expected) {
            JsonElement v = object.get(field);
            String got = v == null ? "nothing" : v.toString();
            return new MalformedFileException(file, null, "field '" + name(field) + "' must be " + expected + ", got "
                    + (got.length() > 60 ? got.substring(0, 60) + "..." : got));
        }

        private JsonPrimitive primitive(String field, String expected) throws MalformedFileException {
            JsonElement v = object.get(field);
            if (v == null || !v.isJsonPrimitive()) {
                throw bad(field, expected);
            }
            return v.getAsJsonPrimitive();
        }

        Set<String> keys() {
            return object.keySet();
        }

        Json object(String field) throws MalformedFileException {
            if (!object.has(field) || !object.get(field).isJsonObject()) {
                throw bad(field, "an object");
            }
            return new Json(file, object.get(field), name(field));
        }

        /** An object, or null where the field is absent or holds JSON null. */
        Json optionalObject(String field) throws MalformedFileException {
            JsonElement v = object.get(field);
            if (v == null || v.isJsonNull()) {
                return null;
            }
            return object(field);
        }

        JsonArray array(String field) throws MalformedFileException {
            if (!object.has(field) || !object.get(field).isJsonArray()) {
                throw bad(field, "an array");
            }
            return object.get(field).getAsJsonArray();
        }

        String string(String field) throws MalformedFileException {
            JsonPrimitive p = primitive(field, "a string");
            if (!p.isString()) {
                throw bad(field, "a string");
            }
            return p.getAsString();
        }

        boolean bool(String field) throws MalformedFileException {
            JsonPrimitive p = primitive(field, "true or false");
            if (!p.isBoolean()) {
                throw bad(field, "true or false");
            }
            return p.getAsBoolean();
        }

        /** A double, NaN and infinities included (a diverged run's figures). */
        double number(String field) throws MalformedFileException {
            JsonPrimitive p = primitive(field, "a number");
            if (p.isNumber()) {
                return p.getAsDouble();
            }
            // Gson's lenient reader hands the writer's NaN and Infinity literals back as strings.
            return switch (p.isString() ? p.getAsString() : "") {
                case "NaN" -> Double.NaN;
                case "Infinity" -> Double.POSITIVE_INFINITY;
                case "-Infinity" -> Double.NEGATIVE_INFINITY;
                default -> throw bad(field, "a number");
            };
        }

        /** An integer written without fraction or exponent, in {@code [min, max]}. */
        long integer(String field, long min, long max) throws MalformedFileException {
            JsonPrimitive p = primitive(field, "an integer");
            String text = p.isNumber() ? p.getAsString() : "";
            if (!text.matches("-?[0-9]{1,19}")) {
                throw bad(field, "an integer in [" + min + ", " + max + "]");
            }
            long v;
            try {
                v = Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw bad(field, "an integer in [" + min + ", " + max + "]");
            }
            if (v < min || v > max) {
                throw bad(field, "an integer in [" + min + ", " + max + "]");
            }
            return v;
        }

        /** A generator state written by {@link #strings(long[])}, checked by {@link Rng#checkState}. */
        long[] rngState(String field) throws MalformedFileException {
            JsonArray a = array(field);
            long[] values = new long[a.size()];
            for (int i = 0; i < values.length; i++) {
                JsonElement e = a.get(i);
                String text = e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() ? e.getAsString() : "";
                try {
                    values[i] = Long.parseLong(text);
                } catch (NumberFormatException ex) {
                    throw bad(field, "an array of 64-bit integers as strings");
                }
            }
            String why = Rng.checkState(values);
            if (why != null) {
                throw new MalformedFileException(file, null, "field '" + name(field) + "': " + why);
            }
            return values;
        }
    }

    private static void checkData(Json data, DataLoader loader, List<String> problems) throws MalformedFileException {
        DataLoader.Options o = loader.options();
        compare(problems, "training samples", data.integer("samples", 0, Long.MAX_VALUE), loader.dataset().size());
        compare(problems, "batch size", data.integer("batchSize", 1, Integer.MAX_VALUE), o.batchSize());
        compare(problems, "data seed", data.integer("seed", Long.MIN_VALUE, Long.MAX_VALUE), o.seed());
        if (data.bool("shuffle") != o.shuffle()) {
            problems.add("shuffle: checkpoint " + data.bool("shuffle") + ", loader " + o.shuffle());
        }
        if (data.bool("dropLast") != o.dropLast()) {
            problems.add("drop-last: checkpoint " + data.bool("dropLast") + ", loader " + o.dropLast());
        }
    }

    private static void compare(List<String> problems, String what, long saved, long now) {
        if (saved != now) {
            problems.add(what + ": checkpoint " + saved + ", loader " + now);
        }
    }

    private static void checkGroups(Json optimizer, Optimizer current, List<String> problems)
            throws MalformedFileException {
        List<String> saved = new ArrayList<>();
        JsonArray groups = optimizer.array("groups");
        for (int i = 0; i < groups.size(); i++) {
            Json group = new Json(optimizer.file, groups.get(i), optimizer.name("groups") + "[" + i + "]");
            saved.add(group.string("name") + "[" + group.integer("parameters", 0, Integer.MAX_VALUE) + "]");
        }
        List<String> now = new ArrayList<>();
        for (ParamGroup g : current.groups()) {
            now.add(g.name() + "[" + g.params().size() + "]");
        }
        if (!saved.equals(now)) {
            problems.add("optimizer groups: checkpoint " + saved + ", trainer " + now);
        }
        String savedClass = optimizer.string("class");
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

    private static EpochRecord record(Json o) throws MalformedFileException {
        Map<String, Float> rates = new LinkedHashMap<>();
        Json lr = o.object("learningRates");
        for (String group : lr.keys()) {
            rates.put(group, (float) lr.number(group));
        }
        return new EpochRecord((int) o.integer("epoch", 0, Integer.MAX_VALUE), o.number("trainLoss"),
                o.number("trainAccuracy"), o.number("validationLoss"), o.number("validationAccuracy"),
                o.number("seconds"), o.number("stepMillisMedian"), rates);
    }

    /** Generator states as strings: 64-bit values do not survive JSON readers that parse numbers as doubles. */
    private static JsonArray strings(long[] values) {
        JsonArray a = new JsonArray();
        for (long v : values) {
            a.add(Long.toString(v));
        }
        return a;
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

    /** The hidden siblings {@link #save} creates: {@code .<name>.<hex>.tmp} and {@code .<name>.<hex>.old}. */
    private static final java.util.regex.Pattern SIBLING =
            java.util.regex.Pattern.compile("\\.(.+)\\.[0-9a-f]{1,16}\\.(tmp|old)");

    /**
     * Clears what saves into {@code parent} left when their process died: every temporary folder is deleted, and
     * a previous checkpoint that was moved aside ({@code .old}) is moved back if nothing replaced it, else
     * deleted. Call it only while no other save into {@code parent} is under way.
     *
     * @throws IOException if the folder cannot be listed or a leftover cannot be removed
     */
    static void recoverInterrupted(Path parent) throws IOException {
        recoverInterrupted(parent, null);
    }

    /** As {@link #recoverInterrupted(Path)}, for the siblings of checkpoint {@code name} only (null for all). */
    private static void recoverInterrupted(Path parent, String name) throws IOException {
        if (!Files.isDirectory(parent)) {
            return;
        }
        List<Path> leftovers;
        try (Stream<Path> children = Files.list(parent)) {
            leftovers = children.filter(p -> {
                java.util.regex.Matcher m = SIBLING.matcher(p.getFileName().toString());
                return m.matches() && (name == null || m.group(1).equals(name));
            }).sorted().toList();
        }
        for (Path p : leftovers) {
            java.util.regex.Matcher m = SIBLING.matcher(p.getFileName().toString());
            m.matches();
            Path target = parent.resolve(m.group(1));
            if (m.group(2).equals("old") && !Files.exists(target)) {
                move(p, target);
            } else {
                deleteRecursively(p);
            }
        }
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
