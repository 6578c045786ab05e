package org.quadralib.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.quadralib.autobuild.ConversionPolicy;
import org.quadralib.autobuild.ConversionResult;
import org.quadralib.autobuild.Converter;
import org.quadralib.autobuild.LayerImportance;
import org.quadralib.core.Parallel;
import org.quadralib.core.Tensor;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.io.MalformedFileException;
import org.quadralib.core.io.SafeTensors;
import org.quadralib.layers.Init;
import org.quadralib.layers.Module;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.QuadraticLayer;
import org.quadralib.layers.train.Checkpoint;
import org.quadralib.layers.zoo.Zoo;

/**
 * {@code importance}: loads a trained quadratic zoo model and prints the relative importance of each quadratic layer
 * ({@link LayerImportance}: {@code RI = P_M·P_W/δ_A}, with δ_A the test-accuracy drop when the layer's quadratic term
 * is masked). A model {@code explore} saved ({@code --model-file}) is rebuilt from its configuration; a checkpoint
 * ({@code --checkpoint}) is loaded into the first-order zoo model converted with the given {@code --convert} options
 * and neuron type, whose names and shapes it must match.
 */
final class Importance implements Command {

    private static final int TEST_BATCH = 256;

    /**
     * The options of {@code importance}.
     *
     * @param checkpoint a trainer checkpoint folder or a state-dict safetensors file, or null with a model file
     * @param modelFile a model saved by {@code explore} ({@code NAME.json} + {@code NAME.safetensors}), or null
     * @param model the zoo model name
     * @param type the neuron type of the quadratic layers
     * @param convert which layers were converted
     * @param data which data (scored on its test images)
     * @param threads kernel threads
     */
    record Options(Path checkpoint, Path modelFile, String model, NeuronType type, ConvertOptions convert, DataOptions.Spec data,
                   int threads) {
    }

    @Override
    public String name() {
        return "importance";
    }

    @Override
    public String summary() {
        return "score the quadratic layers of a saved model or checkpoint (RI = P_M·P_W/δ_A), print the table";
    }

    @Override
    public String help() {
        StringBuilder sb = new StringBuilder(String.join("\n",
                "Usage: importance --model-file NAME.json | --checkpoint PATH [options]",
                "",
                "Rebuilds the zoo model as explore builds its quadratic twin, loads the checkpoint's weights and prints",
                "for every quadratic layer its share of parameters (P_M) and MACs (P_W), the test accuracy with its",
                "quadratic term masked, the drop δ_A and RI = P_M·P_W/δ_A (+inf when masking costs no accuracy).",
                "",
                "  --model-file F     a model explore saved (models/NAME.json or NAME.safetensors): needs no",
                "                     --model, --type or --convert",
                "  --checkpoint PATH  a trainer checkpoint folder (holding " + Checkpoint.MODEL_FILE + ") or a state-dict",
                "                     .safetensors file",
                "  --model NAME       zoo model: " + String.join(", ", Zoo.NAMES) + " (default " + ExploreOptions.DEFAULT_MODEL + ")",
                "  --type T           neuron type of the quadratic layers (default PROPOSED)"));
        sb.append('\n');
        ConvertOptions.HELP.forEach(l -> sb.append(l).append('\n'));
        DataOptions.HELP.forEach(l -> sb.append(l).append('\n'));
        sb.append(String.join("\n",
                "  --threads N        kernel threads (default: all " + Runtime.getRuntime().availableProcessors() + ")",
                "  --help             this text",
                ""));
        return sb.toString();
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) throws Exception {
        Options o = parse(args);
        Parallel.setThreads(o.threads());
        DataOptions.Data data = DataOptions.load(o.data());
        Module model;
        String what;
        if (o.modelFile() != null) {
            model = Evaluate.loadModel(o.modelFile(), data.test()).model();
            what = o.modelFile().toString();
        } else {
            int[] shape = data.test().sampleShape();
            Init.manualSeed(ExploreOptions.DEFAULT_SEED);
            ConversionResult converted = Converter.convert(Zoo.build(o.model(), shape[0], shape[1], data.test().numClasses()),
                    o.convert().policy(o.type()));
            model = converted.model();
            load(model, o);
            what = o.model() + " " + o.type().displayName() + " (" + o.convert().label() + ") from " + o.checkpoint();
        }
        if (model.namedModules().values().stream().noneMatch(QuadraticLayer.class::isInstance)) {
            throw new UsageException(what + " has no quadratic layer to score");
        }
        err.println("importance: " + what + "; data: " + data.label());
        DataLoader test = new DataLoader(data.test(), data.loaderOptions(TEST_BATCH));
        out.print(LayerImportance.score(model, test));
        out.flush();
        return Main.EXIT_OK;
    }

    /** Loads the checkpoint's weights into {@code model}, strictly. */
    private static void load(Module model, Options o) throws IOException, UsageException {
        Map<String, Tensor> state;
        try {
            state = SafeTensors.read(Files.isDirectory(o.checkpoint()) ? o.checkpoint().resolve(Checkpoint.MODEL_FILE) : o.checkpoint());
        } catch (MalformedFileException | java.nio.file.NoSuchFileException e) {
            throw new UsageException("--checkpoint " + o.checkpoint() + ": " + e.getMessage());
        }
        try {
            model.loadStateDict(state, true);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--checkpoint " + o.checkpoint() + " does not hold a " + o.model() + " with " + o.type().displayName()
                    + " layers (" + o.convert().label() + "): " + e.getMessage());
        }
    }

    /**
     * Parses {@code importance}'s arguments.
     *
     * @throws UsageException naming the option for an unknown or repeated option, a missing or malformed value, a
     *     missing checkpoint, an unknown model or a first-order type
     */
    static Options parse(List<String> args) throws UsageException {
        Path checkpoint = null;
        Path modelFile = null;
        String model = ExploreOptions.DEFAULT_MODEL;
        NeuronType type = NeuronType.PROPOSED;
        ConversionPolicy.Scope scope = ConvertOptions.DEFAULT.scope();
        boolean skipFirst = false;
        boolean skipLast = false;
        DataOptions data = new DataOptions();
        int threads = Runtime.getRuntime().availableProcessors();
        Set<String> flags = new HashSet<>(Set.of("--skip-first", "--skip-last"));
        flags.addAll(DataOptions.FLAGS);
        Set<String> valued = new HashSet<>(Set.of("--checkpoint", "--model-file", "--model", "--type", "--convert", "--threads"));
        valued.addAll(DataOptions.VALUED);
        OptionReader in = new OptionReader("importance", args, flags, valued);
        while (in.hasNext()) {
            String option = in.next();
            if (data.accept(option, in)) {
                continue;
            }
            switch (option) {
                case "--skip-first" -> skipFirst = true;
                case "--skip-last" -> skipLast = true;
                case "--checkpoint" -> checkpoint = ExploreOptions.path(option, in.value());
                case "--model-file" -> modelFile = ExploreOptions.path(option, in.value());
                case "--model" -> model = in.value();
                case "--type" -> {
                    ExploreOptions.Variant v = ExploreOptions.Variant.parse(in.value());
                    if (v.type() == null) {
                        throw new UsageException("--type needs a quadratic neuron type: a first-order model has no quadratic layer");
                    }
                    type = v.type();
                }
                case "--convert" -> scope = ConvertOptions.parseScope(in.value());
                case "--threads" -> threads = ExploreOptions.positiveInt(option, in.value());
                default -> throw new IllegalStateException(option);
            }
        }
        if ((checkpoint == null) == (modelFile == null)) {
            throw new UsageException("--checkpoint is required: the trained model to score (or --model-file, not both)");
        }
        Path given = checkpoint != null ? checkpoint : modelFile;
        if (!Files.exists(given)) {
            throw new UsageException((checkpoint != null ? "--checkpoint " : "--model-file ") + given + " does not exist");
        }
        DataOptions.Spec dataSpec = data.spec();
        if (!Zoo.NAMES.contains(model)) {
            throw new UsageException("unknown model '" + model + "' for --model; models: " + String.join(", ", Zoo.NAMES));
        }
        return new Options(checkpoint, modelFile, model, type, new ConvertOptions(scope, skipFirst, skipLast), dataSpec, threads);
    }
}
