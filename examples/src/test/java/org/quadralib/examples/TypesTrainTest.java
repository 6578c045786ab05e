package org.quadralib.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Locale;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.quadralib.autobuild.Subset;
import org.quadralib.autobuild.ConversionPolicy;
import org.quadralib.autobuild.Converter;
import org.quadralib.core.Parallel;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.Dataset;
import org.quadralib.core.data.FashionMnist;
import org.quadralib.layers.Init;
import org.quadralib.layers.Module;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.train.Evaluation;
import org.quadralib.layers.train.Trainer;
import org.quadralib.layers.zoo.Zoo;

/**
 * Every neuron type trains with the default recipe: LeNet-5 converted with {@link ConversionPolicy#all()} (linear start
 * where the type has a linear term, branch norm where it trains with one), then {@value #STEPS} steps of batch
 * {@value #BATCH} with the optimizer {@code explore} runs by default (SGD 0.01, momentum 0.9, the trainer's quadratic
 * defaults) on the embedded
 * Fashion-MNIST sample. Each must beat chance (10%) by a clear margin on the sample's test images. T1 and T1&amp;2,
 * whose quadratic forms cost n² per output, are converted on the last layer only.
 */
class TypesTrainTest {

    private static final int STEPS = 300;
    private static final int BATCH = 16;
    private static final double REQUIRED = 0.40;
    private static Dataset train;
    private static Dataset test;

    @BeforeAll
    static void load() throws IOException {
        train = FashionMnist.fromClasspath(DataOptions.SAMPLE, true);
        test = Subset.first(FashionMnist.fromClasspath(DataOptions.SAMPLE, false), 500);
    }

    private static boolean hasForm(NeuronType type) {
        return type.declaration().terms().stream().anyMatch(t -> t instanceof NeuronType.Term.Form);
    }

    @ParameterizedTest
    @EnumSource(NeuronType.class)
    void everyTypeBeatsChanceOnLeNet5(NeuronType type) {
        int threads = Parallel.threads();
        Parallel.setThreads(2);
        try {
            Init.manualSeed(1);
            ConversionPolicy policy = ConversionPolicy.all().withNeuronType(type);
            // A quadratic form has n² weights per output: on the last layer only (84 inputs), so the test stays fast.
            Module model = Converter.convert(Zoo.build("lenet5", 1, 28, 10), hasForm(type) ? policy.matching("classifier.4") : policy)
                    .model();
            DataLoader loader = new DataLoader(train, DataLoader.Options.defaults().withBatchSize(BATCH).withShuffle(true).withSeed(1)
                    .withNormalization(new float[] {DataOptions.MEAN}, new float[] {DataOptions.STD}));
            DataLoader eval = new DataLoader(test, DataLoader.Options.defaults().withBatchSize(250)
                    .withNormalization(new float[] {DataOptions.MEAN}, new float[] {DataOptions.STD}));
            long t0 = System.nanoTime();
            Trainer trainer = new Trainer(Trainer.Config.sgd(ExploreOptions.DEFAULT_LR, 0.9f).withMaxSteps(STEPS));
            trainer.fit(model, loader, null, 1);
            Evaluation e = trainer.evaluate(model, eval);
            System.out.printf(Locale.ROOT, "TypesTrainTest %s: test accuracy %.3f after %d steps (%.1f s)%n", type, e.accuracy(), STEPS,
                    (System.nanoTime() - t0) / 1e9);
            assertTrue(e.accuracy() >= REQUIRED, type + " reached " + e.accuracy() + " test accuracy after " + STEPS + " steps, under "
                    + REQUIRED);
        } finally {
            Parallel.setThreads(threads);
        }
    }
}
