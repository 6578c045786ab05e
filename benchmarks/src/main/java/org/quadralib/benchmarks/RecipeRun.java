package org.quadralib.benchmarks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.quadralib.autobuild.ConversionPolicy;
import org.quadralib.autobuild.Converter;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.DataSources;
import org.quadralib.layers.Init;
import org.quadralib.layers.Module;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.train.BatchResult;
import org.quadralib.layers.train.EpochRecord;
import org.quadralib.layers.train.History;
import org.quadralib.layers.train.Trainer;
import org.quadralib.layers.train.TrainingContext;
import org.quadralib.layers.train.TrainingListener;
import org.quadralib.layers.zoo.Zoo;

/**
 * Java side of the reference-recipe comparison ({@code benchmarks/peers/recipes.py} runs it beside
 * {@code examples/peers/lenet_recipe.py}): PROPOSED LeNet-5 on Fashion-MNIST IDX files with one of the reference
 * QuadraLib recipes, built from the library's recipe options.
 *
 * <ul>
 *   <li>{@code plain}: fresh initialisation ({@code ConversionPolicy.withLinearStart(false)}), every weight at the
 *       learning rate ({@code quadraticLrScale = 1}), no clipping ({@code withMaxGradNorm(0.0)});</li>
 *   <li>{@code clip0.5}: {@code plain} with the global gradient norm clipped at 0.5;</li>
 *   <li>{@code linear-start}: linear start, the quadratic weights at 0.1× the rate, no clipping.</li>
 * </ul>
 * Common to all: SGD momentum 0.9, no weight decay, batch 64, a seeded shuffle every epoch, pixels normalised with
 * mean 0.2860 and standard deviation 0.3530. Prints one JSON line per epoch and a summary line.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar org.quadralib.benchmarks.RecipeRun --recipe plain --data DIR
 * </pre>
 */
public final class RecipeRun {

    private static final float MEAN = 0.2860f;
    private static final float STD = 0.3530f;
    private static final float MOMENTUM = 0.9f;

    private RecipeRun() {
    }

    /**
     * Runs one recipe.
     *
     * @param args {@code --recipe plain|clip0.5|linear-start --data DIR [--epochs 5] [--batch-size 64] [--lr 0.01]
     *             [--seed 1] [--threads 2]}
     * @throws IOException if the data cannot be read
     */
    public static void main(String[] args) throws IOException {
        String recipe = "linear-start";
        Path data = Path.of("/usr/share/datasets/fashion-mnist");
        int epochs = 5;
        int batch = 64;
        float lr = 0.01f;
        long seed = 1;
        int threads = 2;
        for (int i = 0; i + 1 < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--recipe" -> recipe = v;
                case "--data" -> data = Path.of(v);
                case "--epochs" -> epochs = Integer.parseInt(v);
                case "--batch-size" -> batch = Integer.parseInt(v);
                case "--lr" -> lr = Float.parseFloat(v);
                case "--seed" -> seed = Long.parseLong(v);
                case "--threads" -> threads = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("RecipeRun: unknown option " + args[i]);
            }
        }
        boolean linearStart = recipe.equals("linear-start");
        double clip = switch (recipe) {
            case "plain", "linear-start" -> 0.0;
            case "clip0.5" -> 0.5;
            default -> throw new IllegalArgumentException("RecipeRun: unknown recipe " + recipe
                    + "; known: plain, clip0.5, linear-start");
        };
        float quadraticLrScale = linearStart ? 0.1f : 1f;

        DataSources.Splits splits = DataSources.open("idx", data);
        DataLoader train = new DataLoader(splits.train(), DataLoader.Options.defaults().withBatchSize(batch)
                .withShuffle(true).withSeed(seed).withNormalization(new float[] {MEAN}, new float[] {STD}));
        DataLoader test = new DataLoader(splits.test(), DataLoader.Options.defaults().withBatchSize(256)
                .withNormalization(new float[] {MEAN}, new float[] {STD}));
        Init.manualSeed(seed);
        int[] shape = splits.train().sampleShape();
        Module lenet = Zoo.build("lenet5", shape[0], shape[1], splits.train().numClasses());
        Module model = Converter.convert(lenet, ConversionPolicy.all().withNeuronType(NeuronType.PROPOSED)
                .withLinearStart(linearStart)).model();
        Trainer.Config config = Trainer.Config.sgd(lr, MOMENTUM, 0f, quadraticLrScale).withMaxGradNorm(clip)
                .withThreads(threads);
        StepMillis steps = new StepMillis();
        History history = new Trainer(config, steps).fit(model, train, test, epochs);

        List<String> accuracies = new ArrayList<>();
        double seconds = 0;
        for (EpochRecord e : history.epochs()) {
            accuracies.add(json(e.validationAccuracy()));
            seconds += e.seconds();
            System.out.printf(Locale.ROOT, "{\"epoch\": %d, \"train_loss\": %s, \"test_loss\": %s, \"test_acc\": %s, "
                    + "\"seconds\": %.3f}%n", e.epoch() + 1, json(e.trainLoss()), json(e.validationLoss()),
                    json(e.validationAccuracy()), e.seconds());
        }
        System.out.printf(Locale.ROOT, "{\"side\": \"java\", \"variant\": \"proposed\", \"recipe\": \"%s\", \"clip\": %s, "
                + "\"quadratic_lr_scale\": %s, \"linear_start\": %s, \"parameters\": %d, \"test_acc\": [%s], "
                + "\"seconds_per_epoch\": %.3f, \"step_ms_median\": %.3f, \"seed\": %d, \"threads\": %d, "
                + "\"java\": \"%s\"}%n", recipe, clip, quadraticLrScale, linearStart, model.parameterCount(),
                String.join(", ", accuracies), seconds / history.epochs().size(), steps.median(), seed, threads,
                System.getProperty("java.version"));
    }

    private static String json(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "NaN";
    }

    /** Every step's time, for the median over the run. */
    private static final class StepMillis implements TrainingListener {
        private final List<Long> nanos = new ArrayList<>();

        @Override
        public void onBatchEnd(TrainingContext context, BatchResult result) {
            nanos.add(result.nanos());
        }

        double median() {
            long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
            return sorted.length == 0 ? Double.NaN : sorted[sorted.length / 2] / 1e6;
        }
    }
}
