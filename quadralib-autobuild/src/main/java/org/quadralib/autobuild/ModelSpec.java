package org.quadralib.autobuild;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import org.quadralib.core.io.AtomicFiles;
import org.quadralib.core.io.MalformedFileException;
import org.quadralib.layers.Module;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.QuadraticLayer;
import org.quadralib.layers.QuadraticOptions.BackpropMode;
import org.quadralib.layers.StateDicts;
import org.quadralib.layers.zoo.LayerFactory;
import org.quadralib.layers.zoo.Zoo;

/**
 * What it takes to rebuild a model of the design space: a {@link Zoo} model at a width multiplier, for an input
 * and a class count, with the listed layers quadratic. {@link #build()} makes the first-order zoo model and
 * converts exactly those layers ({@link Converter}); the weights come separately, from a state dict.
 *
 * <p>On disk a model is two files side by side: {@code NAME.safetensors}, its state dict under PyTorch's names
 * ({@link StateDicts}), and {@code NAME.json}, this record:
 * <pre>{"zoo": "lenet5", "width": 0.5, "inChannels": 1, "imageSize": 28, "classes": 10, "mode": "HYBRID",
 *  "branchNorm": false, "quadratic": {"features.0": "PROPOSED", ...}}</pre>
 *
 * @param zoo a {@link Zoo#NAMES} name
 * @param width the width multiplier of {@link Zoo#build(String, int, int, int, float, LayerFactory)}
 * @param inChannels input channels
 * @param imageSize input height and width
 * @param classes classes
 * @param mode the back-propagation mode of the quadratic layers
 * @param branchNorm whether the quadratic layers normalise their branches
 * @param quadratic neuron type by layer path, in traversal order (empty: first-order); copied
 */
public record ModelSpec(String zoo, float width, int inChannels, int imageSize, int classes, BackpropMode mode,
                        boolean branchNorm, Map<String, NeuronType> quadratic) {

    /** Largest accepted width multiplier, channel count and image side: sizes read from a file are bounded. */
    public static final float MAX_WIDTH = 16f;
    /** Largest accepted input channels, image side or class count. */
    public static final int MAX_SIZE = 1 << 16;
    /** Largest configuration file read. */
    public static final long MAX_CONFIG_BYTES = 1 << 20;
    /** Extension of the configuration file. */
    public static final String CONFIG_EXTENSION = ".json";
    /** Extension of the weights file. */
    public static final String WEIGHTS_EXTENSION = ".safetensors";

    /**
     * @throws IllegalArgumentException if the zoo name is unknown or a size, the width or a layer entry is out of range
     */
    public ModelSpec {
        if (!Zoo.NAMES.contains(zoo)) {
            throw new IllegalArgumentException("ModelSpec: unknown zoo model '" + zoo + "'; valid: " + String.join(", ", Zoo.NAMES));
        }
        if (!(width > 0 && width <= MAX_WIDTH)) {
            throw new IllegalArgumentException("ModelSpec: width must be in (0, " + MAX_WIDTH + "], got " + width);
        }
        for (int v : new int[] {inChannels, imageSize, classes}) {
            if (v <= 0 || v > MAX_SIZE) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "ModelSpec: input channels, image size and classes must be in [1, %d], got %d, %d, %d", MAX_SIZE, inChannels,
                        imageSize, classes));
            }
        }
        Objects.requireNonNull(mode, "mode");
        Map<String, NeuronType> copy = new LinkedHashMap<>();
        quadratic.forEach((path, type) -> copy.put(Objects.requireNonNull(path, "layer path"),
                Objects.requireNonNull(type, () -> "ModelSpec: no neuron type for layer '" + path + "'")));
        quadratic = java.util.Collections.unmodifiableMap(copy);
    }

    /**
     * The specification of {@code model}, a zoo model as {@link #build()} would make it: its quadratic layers (type,
     * mode and branch normalisation) are read from the model itself.
     *
     * @throws IllegalArgumentException if the quadratic layers differ in mode or branch normalisation
     */
    public static ModelSpec of(String zoo, float width, int inChannels, int imageSize, int classes, Module model) {
        Map<String, NeuronType> types = new LinkedHashMap<>();
        BackpropMode mode = null;
        Boolean branchNorm = null;
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            if (e.getValue() instanceof QuadraticLayer q) {
                types.put(e.getKey(), q.neuronType());
                if (mode != null && (mode != q.options().mode() || branchNorm != q.options().branchNorm())) {
                    throw new IllegalArgumentException("ModelSpec: quadratic layer '" + e.getKey()
                            + "' differs from the others in back-propagation mode or branch normalisation");
                }
                mode = q.options().mode();
                branchNorm = q.options().branchNorm();
            }
        }
        return new ModelSpec(zoo, width, inChannels, imageSize, classes, mode == null ? BackpropMode.HYBRID : mode,
                branchNorm != null && branchNorm, types);
    }

    /** True if no layer is quadratic. */
    public boolean firstOrder() {
        return quadratic.isEmpty();
    }

    /**
     * A new model of this specification, weights initialised from {@link org.quadralib.layers.Init}'s generator (seed
     * it first for a reproducible model), quadratic layers starting linearly where their type allows.
     *
     * @throws IllegalArgumentException if a listed layer is not a weight layer of the zoo model, or the converter
     *     cannot make it quadratic
     */
    public Module build() {
        Module model = Zoo.build(zoo, inChannels, imageSize, classes, width, LayerFactory.FIRST_ORDER);
        if (quadratic.isEmpty()) {
            return model;
        }
        ConversionPolicy policy = ConversionPolicy.all().where((path, layer) -> quadratic.containsKey(path))
                .withNeuronTypes(path -> quadratic.getOrDefault(path, NeuronType.PROPOSED)).withMode(mode).withBranchNorm(branchNorm);
        Module converted = Converter.convert(model, policy).model();
        Map<String, NeuronType> built = of(zoo, width, inChannels, imageSize, classes, converted).quadratic();
        if (!built.equals(quadratic)) {
            throw new IllegalArgumentException("ModelSpec: " + zoo + " at width " + width + " has quadratic layers " + built
                    + " after conversion, not the requested " + quadratic);
        }
        return converted;
    }

    /** The configuration as JSON (the format in the class comment). */
    public String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("zoo", zoo);
        o.addProperty("width", width);
        o.addProperty("inChannels", inChannels);
        o.addProperty("imageSize", imageSize);
        o.addProperty("classes", classes);
        o.addProperty("mode", mode.name());
        o.addProperty("branchNorm", branchNorm);
        JsonObject layers = new JsonObject();
        quadratic.forEach((path, type) -> layers.addProperty(path, type.name()));
        o.add("quadratic", layers);
        return GSON.toJson(o) + "\n";
    }

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    /**
     * Parses {@link #toJson()}'s format.
     *
     * @param source the file the text was read from, for messages
     * @throws MalformedFileException naming the source and the field that is missing, mistyped or out of range
     */
    public static ModelSpec parse(String json, Path source) throws MalformedFileException {
        try {
            JsonElement root = JsonParser.parseString(json);
            if (!root.isJsonObject()) {
                throw new MalformedFileException(source, null, "a model configuration must be a JSON object");
            }
            JsonObject o = root.getAsJsonObject();
            Map<String, NeuronType> layers = new LinkedHashMap<>();
            JsonElement q = require(o, "quadratic", source);
            if (!q.isJsonObject()) {
                throw new MalformedFileException(source, null, "'quadratic' must be an object of layer path to neuron type");
            }
            for (Map.Entry<String, JsonElement> e : q.getAsJsonObject().entrySet()) {
                layers.put(e.getKey(), enumValue(NeuronType.class, e.getValue().getAsString(), "quadratic." + e.getKey(), source));
            }
            return new ModelSpec(require(o, "zoo", source).getAsString(), require(o, "width", source).getAsFloat(),
                    require(o, "inChannels", source).getAsInt(), require(o, "imageSize", source).getAsInt(),
                    require(o, "classes", source).getAsInt(),
                    enumValue(BackpropMode.class, require(o, "mode", source).getAsString(), "mode", source),
                    require(o, "branchNorm", source).getAsBoolean(), layers);
        } catch (JsonParseException | IllegalStateException | UnsupportedOperationException | IllegalArgumentException e) {
            throw new MalformedFileException(source, null, "not a model configuration: " + e.getMessage());
        }
    }

    private static JsonElement require(JsonObject o, String key, Path source) throws MalformedFileException {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            throw new MalformedFileException(source, null, "missing '" + key + "'");
        }
        return e;
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, String name, String key, Path source)
            throws MalformedFileException {
        try {
            return Enum.valueOf(type, name);
        } catch (IllegalArgumentException e) {
            throw new MalformedFileException(source, null, "'" + key + "' is '" + name + "', not a " + type.getSimpleName());
        }
    }

    // ------------------------------------------------------------------ files

    /**
     * A model read back from disk.
     *
     * @param spec its configuration
     * @param model the rebuilt model with the saved weights
     */
    public record Loaded(ModelSpec spec, Module model) {
    }

    /**
     * Writes {@code model} as {@code folder/NAME.safetensors} (state dict, PyTorch names) and
     * {@code folder/NAME.json} (this configuration), each atomically, the configuration last, so a configuration
     * file always has its weights beside it.
     *
     * @throws IllegalArgumentException if the model's state dict does not fit this configuration
     * @throws IOException if writing fails
     */
    public void save(Module model, Path folder, String name) throws IOException {
        Map<String, org.quadralib.core.Tensor> expected = build().stateDict();
        Map<String, org.quadralib.core.Tensor> actual = model.stateDict();
        if (!expected.keySet().equals(actual.keySet())) {
            throw new IllegalArgumentException("ModelSpec.save: " + name + "'s state dict " + actual.keySet()
                    + " does not match its configuration's " + expected.keySet());
        }
        StateDicts.save(model, folder.resolve(name + WEIGHTS_EXTENSION), Map.of("zoo", zoo));
        AtomicFiles.writeString(folder.resolve(name + CONFIG_EXTENSION), toJson());
    }

    /**
     * Reads a model written by {@link #save}: {@code file} is its {@code .json} or its {@code .safetensors}; the
     * other is found beside it.
     *
     * @throws NoSuchFileException if either file is missing
     * @throws MalformedFileException if the configuration is malformed or the weights do not fit it (naming the file)
     * @throws IOException if reading fails
     */
    public static Loaded load(Path file) throws IOException {
        String fileName = file.getFileName() == null ? "" : file.getFileName().toString();
        String base = fileName.endsWith(CONFIG_EXTENSION) ? fileName.substring(0, fileName.length() - CONFIG_EXTENSION.length())
                : fileName.endsWith(WEIGHTS_EXTENSION) ? fileName.substring(0, fileName.length() - WEIGHTS_EXTENSION.length()) : null;
        if (base == null) {
            throw new MalformedFileException(file, null, "a saved model is a " + CONFIG_EXTENSION + " configuration or a "
                    + WEIGHTS_EXTENSION + " state dict");
        }
        Path config = file.resolveSibling(base + CONFIG_EXTENSION);
        Path weights = file.resolveSibling(base + WEIGHTS_EXTENSION);
        for (Path p : new Path[] {config, weights}) {
            if (!Files.isRegularFile(p)) {
                throw new NoSuchFileException(p.toString(), null, "a saved model needs both " + base + CONFIG_EXTENSION + " and "
                        + base + WEIGHTS_EXTENSION);
            }
        }
        long size = Files.size(config);
        if (size > MAX_CONFIG_BYTES) {
            throw new MalformedFileException(config, null, size + " bytes, more than a model configuration's " + MAX_CONFIG_BYTES);
        }
        ModelSpec spec = parse(Files.readString(config, StandardCharsets.UTF_8), config);
        Module model;
        try {
            model = spec.build();
        } catch (IllegalArgumentException e) {
            throw new MalformedFileException(config, null, e.getMessage());
        }
        try {
            StateDicts.load(model, weights, true);
        } catch (IllegalArgumentException e) {
            throw new MalformedFileException(weights, null, "does not fit " + config + ": " + e.getMessage());
        }
        return new Loaded(spec, model);
    }
}
