package org.quadralib.autobuild;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quadralib.core.Tensor;
import org.quadralib.core.data.ArrayDataset;
import org.quadralib.core.data.DataLoader;
import org.quadralib.core.data.Dataset;
import org.quadralib.core.io.MalformedFileException;
import org.quadralib.core.io.SafeTensors;
import org.quadralib.layers.Init;
import org.quadralib.layers.Module;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.train.Trainer;

/** The exploration workflow: candidates, training and measuring, the mixed model, saving, splits, budgets, Pareto. */
class DesignExplorationTest {

    @TempDir
    Path dir;

    private static final DesignExploration.Space LENET = new DesignExploration.Space("lenet5", 1, 28, 10, ConversionPolicy.all());

    /** {@code n} random 1×28×28 images, labels cycling through 10 classes. */
    private static Dataset images(int n, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] x = new float[n * 28 * 28];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 10;
        }
        return new ArrayDataset(x, y, new int[] {1, 28, 28}, 10);
    }

    @Test
    void candidatesScaleTheWidthBeforeConversionAndShareTheFirstOrderWeights() {
        DesignExploration.Candidate base = DesignExploration.candidate(LENET, null, 1f, 5);
        DesignExploration.Candidate half = DesignExploration.candidate(LENET, NeuronType.PROPOSED, 0.5f, 5);
        assertEquals("first-order", base.name());
        assertEquals("PROPOSED x0.5", half.name());
        assertTrue(base.spec().firstOrder());
        assertEquals(List.of("features.0", "features.3", "classifier.0", "classifier.2", "classifier.4"),
                List.copyOf(half.spec().quadratic().keySet()));
        // LeNet-5 at width 0.5: 3, 8, 60, 42 channels and features; PROPOSED triples each weight, not the biases.
        long weights = 1 * 3 * 25 + 3 * 8 * 25 + 8 * 5 * 5 * 60 + 60 * 42 + 42 * 10;
        long biases = 3 + 8 + 60 + 42 + 10;
        assertEquals(3 * weights + biases, half.model().parameterCount());
        assertEquals(61_706, base.model().parameterCount());
        // Same seed, same width: the quadratic twin's linear term holds the first-order model's weights.
        DesignExploration.Candidate fo = DesignExploration.candidate(LENET, null, 0.5f, 5);
        Tensor x = Tensor.zeros(2, 1, 28, 28);
        assertArrayEquals(fo.model().forward(x).toFloatArray(), half.model().forward(x).toFloatArray(), 1e-5f,
                "linear start: the twin computes what the first-order model does");
        assertThrows(IllegalArgumentException.class, () -> DesignExploration.candidate(LENET, null, 0f, 5));
    }

    @Test
    void trainMeasuresEveryFigureAndMixKeepsTheLayersThatFit() {
        Subset.Split split = Subset.split(images(160, 1), 0.25, 3);
        DataLoader train = new DataLoader(split.train(), 40, true, 1);
        DataLoader validation = new DataLoader(split.validation(), 40, false, 0);
        DataLoader test = new DataLoader(images(40, 2), 40, false, 0);
        Trainer.Config config = Trainer.Config.sgd(0.01f, 0.9f);
        DesignExploration.Candidate c = DesignExploration.candidate(LENET, NeuronType.PROPOSED, 0.5f, 1);
        long[] predicted = {0};
        DesignExploration.Result r = DesignExploration.train(c, train, test, config, 1, m -> ++predicted[0] * 1000);
        assertEquals(1, r.history().epochs().size());
        assertEquals(c.model().parameterCount(), r.parameters());
        assertEquals(Summary.of(c.model(), Tensor.zeros(2, 1, 28, 28)).totalMacs() / 2, r.macsPerSample());
        assertEquals(1000, r.predictedPeakBytes(), "the predictor is asked once");
        assertTrue(r.measuredPeakBytes() >= 4 * r.parameters(), "the peak holds at least the weights: " + r.measuredPeakBytes());
        assertTrue(r.stepMillisMedian() > 0 && r.secondsPerEpoch() > 0);
        assertTrue(r.accuracy() >= 0 && r.accuracy() <= 1);

        // A budget between all first-order and all quadratic: the classifier's big layer cannot stay quadratic.
        long firstOrder = DesignExploration.candidate(LENET, null, 0.5f, 1).model().parameterCount();
        Budget budget = Budget.parameters(firstOrder + 10_000);
        DesignExploration.Mix mix = DesignExploration.mix(r, validation, budget, null);
        assertEquals("mixed PROPOSED x0.5", mix.candidate().name());
        assertTrue(mix.candidate().model().parameterCount() <= budget.limit());
        assertFalse(mix.exploration().quadraticLayers().contains("classifier.0"));
        assertEquals(Set.copyOf(mix.exploration().quadraticLayers()), mix.candidate().spec().quadratic().keySet());
        assertEquals(r.candidate().model().parameterCount(), c.model().parameterCount(), "the source is left as it was");

        // With a cost function, every cost is its figure: here one unit per quadratic layer.
        DesignExploration.Mix counted = DesignExploration.mix(r, validation, Budget.trainingMemory(2, 40),
                m -> m.namedModules().values().stream().filter(x -> x instanceof org.quadralib.layers.QuadraticLayer).count() + 0);
        assertEquals(2, counted.exploration().quadraticLayers().size(), counted.exploration().toString());
        assertEquals(2, counted.exploration().cost());
    }

    @Test
    void aSavedModelLoadsBackComputingTheSameAndBadFilesAreNamed() throws IOException {
        DesignExploration.Candidate c = DesignExploration.candidate(LENET, NeuronType.QRES, 0.5f, 7);
        Module mixed = Explorer.demoted(c.model(), Set.of("classifier.0"));
        ModelSpec spec = ModelSpec.of("lenet5", 0.5f, 1, 28, 10, mixed);
        assertFalse(spec.quadratic().containsKey("classifier.0"));
        spec.save(mixed, dir, "mixed");
        assertTrue(Files.exists(dir.resolve("mixed.safetensors")) && Files.exists(dir.resolve("mixed.json")));
        assertEquals(spec, ModelSpec.parse(spec.toJson(), dir.resolve("x.json")));
        Init.manualSeed(99);
        ModelSpec.Loaded loaded = ModelSpec.load(dir.resolve("mixed.json"));
        assertEquals(spec, loaded.spec());
        Tensor x = Tensor.zeros(2, 1, 28, 28);
        mixed.eval();
        loaded.model().eval();
        assertArrayEquals(mixed.forward(x).toFloatArray(), loaded.model().forward(x).toFloatArray(), 0f);
        assertEquals(ModelSpec.load(dir.resolve("mixed.safetensors")).spec(), spec, "either file names the model");
        // PyTorch names in the weights file.
        assertTrue(SafeTensors.read(dir.resolve("mixed.safetensors")).containsKey("features.0.weight_b"));

        Files.writeString(dir.resolve("bad.json"), "{\"zoo\": \"lenet5\", \"width\": 0.5}");
        Files.copy(dir.resolve("mixed.safetensors"), dir.resolve("bad.safetensors"));
        MalformedFileException missingField = assertThrows(MalformedFileException.class, () -> ModelSpec.load(dir.resolve("bad.json")));
        assertTrue(missingField.getMessage().contains("bad.json") && missingField.getMessage().contains("missing"), missingField.getMessage());
        Files.writeString(dir.resolve("bad.json"), spec.toJson().replace("\"width\": 0.5", "\"width\": 1000.0"));
        MalformedFileException wide = assertThrows(MalformedFileException.class, () -> ModelSpec.load(dir.resolve("bad.json")));
        assertTrue(wide.getMessage().contains("width"), wide.getMessage());
        Files.writeString(dir.resolve("bad.json"), spec.toJson().replace("\"width\": 0.5", "\"width\": 1.0"));
        MalformedFileException misfit = assertThrows(MalformedFileException.class, () -> ModelSpec.load(dir.resolve("bad.json")));
        assertTrue(misfit.getMessage().contains("bad.safetensors"), misfit.getMessage());
        Files.delete(dir.resolve("bad.safetensors"));
        assertThrows(NoSuchFileException.class, () -> ModelSpec.load(dir.resolve("bad.json")));
        assertThrows(MalformedFileException.class, () -> ModelSpec.load(dir.resolve("model.bin")));
    }

    @Test
    void theSplitIsDisjointCompleteAndTheSameForTheSameSeed() {
        Dataset all = images(50, 4);
        Subset.Split a = Subset.split(all, 0.2, 11);
        Subset.Split b = Subset.split(all, 0.2, 11);
        Subset.Split other = Subset.split(all, 0.2, 12);
        assertEquals(10, a.validation().size());
        assertEquals(40, a.train().size());
        Set<Integer> seen = new HashSet<>();
        List<Integer> va = new ArrayList<>();
        for (int i = 0; i < a.validation().size(); i++) {
            seen.add(a.validation().sourceIndex(i));
            va.add(a.validation().sourceIndex(i));
            assertEquals(all.label(a.validation().sourceIndex(i)), a.validation().label(i));
        }
        for (int i = 0; i < a.train().size(); i++) {
            assertTrue(seen.add(a.train().sourceIndex(i)), "disjoint");
        }
        assertEquals(50, seen.size(), "every sample once");
        List<Integer> vb = new ArrayList<>();
        List<Integer> vo = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            vb.add(b.validation().sourceIndex(i));
            vo.add(other.validation().sourceIndex(i));
        }
        assertEquals(va, vb);
        assertFalse(va.equals(vo), "another seed, other samples");
        assertThrows(IllegalArgumentException.class, () -> Subset.split(all, 1.0, 1));
        assertThrows(IllegalArgumentException.class, () -> Subset.split(images(1, 1), 0.5, 1));
        assertEquals(3, Subset.first(all, 3).size());
        assertThrows(IllegalArgumentException.class, () -> Subset.first(all, 51));
    }

    @Test
    void budgetsParseAbsoluteAndRelativeAmounts() {
        assertEquals(new BudgetSpec(Budget.Measure.PARAMETERS, 1.5, true), BudgetSpec.parse("params=1.5x"));
        assertEquals(Budget.parameters(90_000), BudgetSpec.parse("params=1.5x").resolve(60_000, 64));
        assertEquals(Budget.macs(2_500_000), BudgetSpec.parse("macs=2.5M").resolve(1, 64));
        assertEquals(Budget.trainingMemory(64L << 20, 32), BudgetSpec.parse(" memory = 64MiB ").resolve(1, 32));
        assertEquals(Budget.trainingMemory(1_200, 32), BudgetSpec.parse("memory=1.2x").resolve(1_000, 32));
        assertEquals(Budget.parameters(60_000), BudgetSpec.parse("params=60k").resolve(1, 1));
        assertEquals("params=1.5x", BudgetSpec.parse("params=1.5x").toString());
        for (String bad : List.of("params", "flops=2x", "params=abc", "params=-1x", "params=0", "memory=12XB", "params=0.5")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BudgetSpec.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("budget '" + bad + "'"), e.getMessage());
        }
    }

    /** A candidate's figures for the Pareto test: accuracy and one cost. */
    private record Point(double accuracy, double cost) {
    }

    @Test
    void theParetoFrontKeepsWhatNothingDominates() {
        List<Point> points = List.of(new Point(0.9, 100), new Point(0.8, 50), new Point(0.85, 120), new Point(0.9, 100),
                new Point(Double.NaN, 1), new Point(0.7, 50), new Point(0.95, 300));
        boolean[] front = ParetoFront.optimal(points, Point::accuracy, List.of(Point::cost));
        // (0.85, 120) is dominated by (0.9, 100); (0.7, 50) by (0.8, 50); equal points both stay; NaN never.
        assertArrayEquals(new boolean[] {true, true, false, true, false, false, true}, front);
        assertArrayEquals(new boolean[] {true}, ParetoFront.optimal(List.of(new Point(0.5, 1)), Point::accuracy, List.of()));
    }
}
