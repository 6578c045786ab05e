package org.quadralib.autobuild;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.layers.BatchNorm2d;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.QuadraticOptions.BackpropMode;
import org.quadralib.layers.ReLU;
import org.quadralib.layers.Sequential;
import org.quadralib.layers.ShapeMismatchException;
import org.quadralib.layers.zoo.Zoo;

class SummaryTest {

    /** Builds the zoo model of a golden key {@code name/CxSxS/classes}. */
    static Module zooModel(String key) {
        String[] parts = key.split("/");
        String[] dims = parts[1].split("x");
        Init.manualSeed(1);
        return Zoo.build(parts[0], Integer.parseInt(dims[0]), Integer.parseInt(dims[1]), Integer.parseInt(parts[2]));
    }

    static Tensor input(int[] shape) {
        return Tensor.randn(new Rng(5), shape);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp/3x32x32/10", "mlp/1x28x28/10", "lenet5/3x32x32/10", "lenet5/1x28x28/10", "vgg7/3x32x32/10",
        "vgg11/3x32x32/10", "vgg13/3x32x32/10", "vgg16/3x32x32/10", "resnet14/3x32x32/10", "resnet20/3x32x32/10",
        "resnet32/3x32x32/10", "resnet18/3x32x32/10", "mobilenet/3x32x32/10"})
    void zooModelsMatchPyTorchParametersMacsAndShapes(String key) {
        Module model = zooModel(key);
        Summary s = Summary.of(model, input(SummaryGolden.inputShape(SummaryGolden.get(key))));
        SummaryGolden.check(key, s);
    }

    @ParameterizedTest
    @ValueSource(strings = {"lenet5/1x28x28/10", "resnet14/3x16x16/10"})
    void convertedZooModelsMatchPyTorchTwins(String key) {
        Module model = zooModel(key);
        Tensor x = input(SummaryGolden.inputShape(SummaryGolden.get(key + "/PROPOSED")));
        for (NeuronType type : new NeuronType[] {NeuronType.T2, NeuronType.T3, NeuronType.T4, NeuronType.T2_4, NeuronType.QRES,
            NeuronType.PROPOSED}) {
            Module q = Converter.convert(model, ConversionPolicy.all().withNeuronType(type).withBranchNorm(false)).model();
            SummaryGolden.check(key + "/" + type.name(), Summary.of(q, x));
        }
        Module bn = Converter.convert(model, ConversionPolicy.all().withBranchNorm(true)).model();
        SummaryGolden.check(key + "/PROPOSED+bn", Summary.of(bn, x));
    }

    @ParameterizedTest
    @EnumSource(value = NeuronType.class, names = {"T2", "QRES", "PROPOSED"})
    void convertedMobileNetWithDepthwiseConvolutionsMatchesItsPyTorchTwin(NeuronType type) {
        String key = "mobilenet/3x16x16/10";
        Module q = Converter.convert(zooModel(key), ConversionPolicy.all().withNeuronType(type).withBranchNorm(false)).model();
        SummaryGolden.check(key + "/" + type.name(), Summary.of(q, input(SummaryGolden.inputShape(SummaryGolden.get(key + "/" + type.name())))));
    }

    @ParameterizedTest
    @EnumSource(NeuronType.class)
    void everyNeuronTypeOnASmallMlpMatchesItsPyTorchTwin(NeuronType type) {
        Init.manualSeed(3);
        Module q = Converter.convert(Zoo.mlp(16, new int[] {8, 8}, 3), ConversionPolicy.all().withNeuronType(type).withBranchNorm(false)).model();
        String key = "mlp16/1x4x4/3/" + type.name();
        Summary s = Summary.of(q, input(SummaryGolden.inputShape(SummaryGolden.get(key))));
        SummaryGolden.check(key, s);
        assertTrue(s.quadraticParams() > 0);
    }

    @Test
    void hybridQuadraticLayersSaveWhatFirstOrderOnesSave() {
        Init.manualSeed(2);
        Module mlp = new Sequential(new Linear(8, 16), new ReLU(), new Linear(16, 4));
        Tensor x = input(new int[] {5, 8});
        Summary first = Summary.of(mlp, x);
        Summary hybrid = Summary.of(Converter.convert(mlp, ConversionPolicy.all()).model(), x);
        Summary standard = Summary.of(Converter.convert(mlp, ConversionPolicy.all().withMode(BackpropMode.STANDARD)).model(), x);
        assertEquals(first.savedActivationBytes(), hybrid.savedActivationBytes());
        assertEquals(first.row("0").savedBytes(), hybrid.row("0").savedBytes());
        // Standard mode keeps the stacked branch outputs [N, 3·out] alive for the product's backward.
        assertTrue(standard.row("0").savedBytes() >= first.row("0").savedBytes() + 4L * 5 * 3 * 16, standard.toString());
        assertEquals(2L * 8 * 16 + 2 * 16 * 4, hybrid.quadraticParams());
    }

    @Test
    void savedBytesOfAnMlpAreItsInputAndActivations() {
        // Linear saves its input for the weight gradient and ReLU its output for its own gradient; the next Linear saves
        // that same output, which the registry counts once, for the ReLU.
        Init.manualSeed(2);
        Sequential mlp = new Sequential(new Linear(8, 16), new ReLU(), new Linear(16, 4));
        int n = 5;
        Summary s = Summary.of(mlp, input(new int[] {n, 8}));
        assertEquals(4L * n * 8, s.row("0").savedBytes());
        assertEquals(4L * n * 16, s.row("1").savedBytes());
        assertEquals(0, s.row("2").savedBytes());
        assertEquals(4L * n * (8 + 16), s.savedActivationBytes());
        assertEquals((long) n * 8 * 16, s.row("0").macs());
        assertEquals((long) n * 16 * 4, s.row("2").macs());
        assertEquals(8 * 16 + 16 + 16 * 4 + 4, s.totalParams());
        assertEquals(0, s.quadraticParams());
        Map<String, Long> at20 = s.predictedActivationBytes(20);
        assertEquals(4L * 20 * 8, at20.get("0"));
        assertEquals(4L * 20 * 16, at20.get("1"));
        assertEquals(2 * 4L * s.totalParams() + 4L * 20 * 24, s.predictedTrainingBytes(20));
        assertThrows(IllegalArgumentException.class, () -> s.predictedActivationBytes(0));
    }

    @Test
    void summaryLeavesTheModelAsItFoundIt() {
        Module model = zooModel("resnet14/3x32x32/10");
        model.eval();
        model.namedModules().get("layer1.0.main.1").train(true);
        Map<String, float[]> before = new LinkedHashMap<>();
        model.stateDict().forEach((k, v) -> before.put(k, v.toFloatArray()));
        Summary.of(model, input(new int[] {2, 3, 8, 8}));
        model.stateDict().forEach((k, v) -> assertArrayEquals(before.get(k), v.toFloatArray(), k));
        for (Tensor p : model.parameters()) {
            assertNull(p.grad());
        }
        assertFalse(model.isTraining());
        assertTrue(model.namedModules().get("layer1.0.main.1").isTraining());
        assertFalse(model.namedModules().get("layer1.0.main.0").isTraining());
    }

    @Test
    void tableListsEveryCallWithTotals() {
        Module model = zooModel("lenet5/1x28x28/10");
        Summary s = Summary.of(model, input(new int[] {2, 1, 28, 28}));
        String table = s.toString();
        assertTrue(table.contains("features.0 (Conv2d)"), table);
        assertTrue(table.contains("[2, 6, 28, 28]"), table);
        assertTrue(table.contains("Total params: 61,706 (quadratic: 0)"), table);
        assertTrue(table.contains("Total MACs: 833,040"), table);
        List<Summary.Row> rows = s.rows();
        assertEquals("", rows.get(0).path());
        assertEquals(1, s.row("features").depth());
        assertEquals(2, s.row("features.0").depth());
        assertThrows(IllegalArgumentException.class, () -> s.row("features.9"));
    }

    @Test
    void sharedLayerGetsOneRowPerCall() {
        ReLU shared = new ReLU();
        Module net = new Module() {
            private final Module a = registerModule("a", new Linear(3, 3));
            private final Module act = registerModule("act", shared);

            @Override
            protected Tensor compute(Tensor x) {
                return act.forward(a.forward(act.forward(x)));
            }
        };
        Summary s = Summary.of(net, input(new int[] {2, 3}));
        assertEquals(List.of("", "act", "a", "act"), s.rows().stream().map(Summary.Row::path).toList());
        assertEquals(1, s.rows().get(3).call());
    }

    @Test
    void rejectedInputNamesTheLayer() {
        Module model = zooModel("lenet5/1x28x28/10");
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> Summary.of(model, input(new int[] {2, 3, 28, 28})));
        assertTrue(e.getMessage().contains("features.0"), e.getMessage());
        // The failed pass left no hook behind: a later summary works.
        assertEquals(61_706, Summary.of(model, input(new int[] {2, 1, 28, 28})).totalParams());
    }

    @Test
    void batchNormLayersCarryNoMacs() {
        Summary s = Summary.of(new Sequential(new BatchNorm2d(3)), input(new int[] {2, 3, 4, 4}));
        assertEquals(0, s.totalMacs());
        assertEquals(6, s.totalParams());
    }
}
