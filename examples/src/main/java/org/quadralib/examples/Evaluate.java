package org.quadralib.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.quadralib.autobuild.ModelSpec;
import org.quadralib.core.InferenceMode;
import org.quadralib.core.Parallel;
import org.quadralib.core.Tensor;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.Dataset;
import org.quadralib.core.io.MalformedFileException;
import org.quadralib.layers.Module;

/**
 * {@code evaluate}: a model saved by {@code explore} ({@code NAME.json} + {@code NAME.safetensors}) on the test
 * images of a data set: accuracy, the confusion matrix (rows the true class, columns the predicted one) and the
 * accuracy of each class.
 */
final class Evaluate implements Command {

    private static final int BATCH = 256;

    /**
     * The options of {@code evaluate}.
     *
     * @param modelFile the saved model
     * @param data which data (its test images are scored)
     * @param threads kernel threads
     */
    record Options(Path modelFile, DataOptions.Spec data, int threads) {
    }

    @Override
    public String name() {
        return "evaluate";
    }

    @Override
    public String summary() {
        return "a model explore saved on a data set: accuracy, confusion matrix, per-class accuracy";
    }

    @Override
    public String help() {
        StringBuilder sb = new StringBuilder(String.join("\n",
                "Usage: evaluate --model-file NAME.json [options]",
                "",
                "Loads a model explore saved (models/NAME.json with NAME.safetensors beside it) and scores it on the",
                "test images: accuracy, the confusion matrix (rows: true class, columns: predicted) and per-class accuracy.",
                "",
                "  --model-file F     the saved model: its .json or its .safetensors"));
        sb.append('\n');
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
        ModelSpec.Loaded loaded = loadModel(o.modelFile(), data.test());
        err.println("evaluate: " + o.modelFile() + " (" + loaded.spec().zoo() + " at width " + loaded.spec().width() + ", "
                + loaded.spec().quadratic().size() + " quadratic layers); data: " + data.label());
        DataLoader test = new DataLoader(data.test(), data.loaderOptions(BATCH));
        out.print(report(confusion(loaded.model(), test, data.test().numClasses())));
        out.flush();
        return Main.EXIT_OK;
    }

    /**
     * Reads a saved model and checks it takes the data's images and classes.
     *
     * @throws UsageException if a file is missing or malformed, or the model does not fit the data
     */
    static ModelSpec.Loaded loadModel(Path file, Dataset data) throws IOException, UsageException {
        ModelSpec.Loaded loaded;
        try {
            loaded = ModelSpec.load(file);
        } catch (NoSuchFileException e) {
            throw new UsageException("--model-file " + file + ": " + e.getFile() + " does not exist"
                    + (e.getReason() == null ? "" : " (" + e.getReason() + ")"));
        } catch (MalformedFileException e) {
            throw new UsageException("--model-file " + file + ": " + e.getMessage());
        }
        ModelSpec s = loaded.spec();
        int[] shape = data.sampleShape();
        if (shape.length != 3 || shape[0] != s.inChannels() || shape[1] != s.imageSize() || shape[2] != s.imageSize()
                || data.numClasses() != s.classes()) {
            throw new UsageException(String.format(Locale.ROOT, "--model-file %s takes [%d, %d, %d] images of %d classes; the data has "
                    + "%s images of %d classes", file, s.inChannels(), s.imageSize(), s.imageSize(), s.classes(), Arrays.toString(shape),
                    data.numClasses()));
        }
        return loaded;
    }

    /** Predicts every batch of {@code loader} in evaluation mode and counts truth against prediction. */
    @SuppressWarnings("try") // the inference scope is used for what it does on open and close
    static long[][] confusion(Module model, DataLoader loader, int classes) {
        long[][] counts = new long[classes][classes + 1];
        boolean wasTraining = model.isTraining();
        model.eval();
        try (InferenceMode inference = InferenceMode.enter(); DataLoader.BatchIterator batches = loader.iterator(0)) {
            while (batches.hasNext()) {
                DataLoader.Batch batch = batches.next();
                Tensor logits = model.forward(batch.inputs());
                float[] v = logits.toFloatArray();
                int width = logits.shape()[1];
                for (int i = 0; i < batch.size(); i++) {
                    int predicted = -1;
                    float best = Float.NEGATIVE_INFINITY;
                    for (int c = 0; c < width; c++) {
                        float x = v[i * width + c];
                        if (Float.isNaN(x)) {
                            predicted = -1;
                            break;
                        }
                        if (predicted < 0 || x > best) {
                            best = x;
                            predicted = c;
                        }
                    }
                    // The last column counts the rows that predicted nothing (NaN logits).
                    counts[batch.labels()[i]][predicted < 0 ? classes : predicted]++;
                }
            }
        } finally {
            model.train(wasTraining);
        }
        return counts;
    }

    /** Accuracy, the confusion matrix and per-class accuracy, as text. */
    static String report(long[][] counts) {
        int classes = counts.length;
        long total = 0;
        long correct = 0;
        long nan = 0;
        for (int t = 0; t < classes; t++) {
            for (int p = 0; p <= classes; p++) {
                total += counts[t][p];
            }
            correct += counts[t][t];
            nan += counts[t][classes];
        }
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "Accuracy: %.2f%% (%,d of %,d test images)%n",
                total == 0 ? Double.NaN : 100.0 * correct / total, correct, total));
        if (nan > 0) {
            sb.append(String.format(Locale.ROOT, "%,d images got NaN logits and count as wrong%n", nan));
        }
        int w = 6;
        for (long[] row : counts) {
            for (long v : row) {
                w = Math.max(w, Long.toString(v).length() + 1);
            }
        }
        sb.append("\nConfusion matrix (rows: true class, columns: predicted class)\n");
        sb.append(String.format(Locale.ROOT, "%-6s", "true"));
        for (int p = 0; p < classes; p++) {
            sb.append(String.format(Locale.ROOT, "%" + w + "d", p));
        }
        sb.append(nan > 0 ? String.format(Locale.ROOT, "%" + w + "s", "NaN") : "").append('\n');
        for (int t = 0; t < classes; t++) {
            sb.append(String.format(Locale.ROOT, "%-6d", t));
            for (int p = 0; p < classes; p++) {
                sb.append(String.format(Locale.ROOT, "%" + w + "d", counts[t][p]));
            }
            sb.append(nan > 0 ? String.format(Locale.ROOT, "%" + w + "d", counts[t][classes]) : "").append('\n');
        }
        sb.append("\nPer-class accuracy\n");
        for (int t = 0; t < classes; t++) {
            long support = Arrays.stream(counts[t]).sum();
            sb.append(String.format(Locale.ROOT, "class %-3d %7s  (%,d of %,d)%n", t,
                    support == 0 ? "-" : String.format(Locale.ROOT, "%.2f%%", 100.0 * counts[t][t] / support), counts[t][t], support));
        }
        return sb.toString();
    }

    /**
     * Parses {@code evaluate}'s arguments.
     *
     * @throws UsageException for an unknown or repeated option, a malformed value, or a missing model file
     */
    static Options parse(List<String> args) throws UsageException {
        Path modelFile = null;
        int threads = Runtime.getRuntime().availableProcessors();
        DataOptions data = new DataOptions();
        Set<String> valued = new HashSet<>(Set.of("--model-file", "--threads"));
        valued.addAll(DataOptions.VALUED);
        OptionReader in = new OptionReader("evaluate", args, DataOptions.FLAGS, valued);
        while (in.hasNext()) {
            String option = in.next();
            if (data.accept(option, in)) {
                continue;
            }
            switch (option) {
                case "--model-file" -> modelFile = ExploreOptions.path(option, in.value());
                case "--threads" -> threads = ExploreOptions.positiveInt(option, in.value());
                default -> throw new IllegalStateException(option);
            }
        }
        if (modelFile == null) {
            throw new UsageException("--model-file is required: a model explore saved (models/NAME.json)");
        }
        if (!Files.exists(modelFile)) {
            throw new UsageException("--model-file " + modelFile + " does not exist");
        }
        return new Options(modelFile, data.spec(), threads);
    }
}
