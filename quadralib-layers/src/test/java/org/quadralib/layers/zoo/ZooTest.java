package org.quadralib.layers.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.quadralib.core.GradMode;
import org.quadralib.core.Tensor;
import org.quadralib.layers.Conv2d;
import org.quadralib.layers.Init;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;
import org.quadralib.layers.NamedSequential;

class ZooTest {

    @BeforeEach
    void seed() {
        Init.manualSeed(0);
    }

    private static JsonObject pytorchCounts() throws IOException {
        try (InputStream in = ZooTest.class.getResourceAsStream("/golden/zoo_param_counts.json")) {
            assertNotNull(in, "missing /golden/zoo_param_counts.json (regenerate with goldens/zoo.py)");
            try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                return JsonParser.parseReader(r).getAsJsonObject();
            }
        }
    }

    /** Parameters and state-dict shapes equal PyTorch's, layer by layer, for every registered model and input. */
    @Test
    void parameterCountsNamesAndShapesMatchPyTorch() throws IOException {
        JsonObject all = pytorchCounts();
        int[][] inputs = {{1, 28, 10}, {3, 32, 10}};
        int checked = 0;
        for (String name : Zoo.NAMES) {
            for (int[] in : inputs) {
                String key = name + "/" + in[0] + "x" + in[1] + "x" + in[1] + "/" + in[2];
                JsonObject expected = all.getAsJsonObject(key);
                assertNotNull(expected, "no PyTorch counts for " + key);
                compare(key, expected, Zoo.build(name, in[0], in[1], in[2]));
                checked++;
            }
        }
        int[] w3 = {32, 32, Zoo.M, 64, 64, Zoo.M, 128, 128, Zoo.M};
        compare("w3/3x32x32/10", all.getAsJsonObject("w3/3x32x32/10"), Zoo.vgg(w3, 3, 32, 10));
        assertEquals(all.size(), checked + 1, "every PyTorch model was compared");
    }

    private static void compare(String key, JsonObject expected, Module model) {
        assertEquals(expected.get("total").getAsLong(), model.parameterCount(), key + ": total parameters");
        Map<String, Long> perLayer = new TreeMap<>();
        for (Map.Entry<String, Module> m : model.namedModules().entrySet()) {
            long n = m.getValue().localParameters().values().stream().mapToLong(p -> p.tensor().numel()).sum();
            if (n > 0) {
                perLayer.put(m.getKey(), n);
            }
        }
        Map<String, Long> expectedPerLayer = new TreeMap<>();
        expected.getAsJsonObject("layers").entrySet().forEach(e -> expectedPerLayer.put(e.getKey(), e.getValue().getAsLong()));
        assertEquals(expectedPerLayer, perLayer, key + ": parameters per layer");
        Map<String, List<Integer>> shapes = new LinkedHashMap<>();
        model.stateDict().forEach((n, t) -> shapes.put(n, boxed(t.shape())));
        Map<String, List<Integer>> expectedShapes = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : expected.getAsJsonObject("state").entrySet()) {
            List<Integer> s = new ArrayList<>();
            for (JsonElement d : (JsonArray) e.getValue()) {
                s.add(d.getAsInt());
            }
            expectedShapes.put(e.getKey(), s);
        }
        assertEquals(new TreeMap<>(expectedShapes), new TreeMap<>(shapes), key + ": state-dict names and shapes");
    }

    private static List<Integer> boxed(int[] shape) {
        List<Integer> out = new ArrayList<>();
        for (int s : shape) {
            out.add(s);
        }
        return out;
    }

    @Test
    void everyModelMapsItsInputToLogits() {
        try (GradMode.Scope s = GradMode.noGrad()) {
            for (String name : List.of("mlp", "lenet5", "vgg7", "resnet14", "mobilenet")) {
                for (int[] in : new int[][] {{1, 28, 10}, {3, 32, 7}}) {
                    Module model = Zoo.build(name, in[0], in[1], in[2]).eval();
                    Tensor y = model.forward(Tensor.zeros(2, in[0], in[1], in[1]));
                    assertArrayEquals(new int[] {2, in[2]}, y.shape(), name + " " + in[1] + " px");
                }
            }
        }
    }

    /** The role a factory sees is the layer's path in the built model, and the layer it returns is the one used. */
    @Test
    void factoryRolesAreTheLayersPaths() {
        for (String name : Zoo.NAMES) {
            Map<String, Module> made = new LinkedHashMap<>();
            LayerFactory recording = new LayerFactory() {
                @Override
                public Module linear(String role, int in, int out, boolean bias) {
                    Module m = LayerFactory.FIRST_ORDER.linear(role, in, out, bias);
                    assertTrue(made.put(role, m) == null, name + ": role " + role + " given twice");
                    return m;
                }

                @Override
                public Module conv2d(String role, Conv2d.Config config) {
                    Module m = LayerFactory.FIRST_ORDER.conv2d(role, config);
                    assertTrue(made.put(role, m) == null, name + ": role " + role + " given twice");
                    return m;
                }
            };
            Module model = Zoo.build(name, 3, 32, 10, recording);
            Map<String, Module> weightLayers = new LinkedHashMap<>();
            model.namedModules().forEach((path, m) -> {
                if (m instanceof Conv2d || m instanceof Linear) {
                    weightLayers.put(path, m);
                }
            });
            assertEquals(weightLayers.keySet(), made.keySet(), name);
            made.forEach((role, m) -> assertSame(m, weightLayers.get(role), name + " " + role));
        }
    }

    @Test
    void lenet5FlattensTo400FeaturesFor28And32Pixels() {
        NamedSequential small = Zoo.lenet5(1, 28, 10);
        NamedSequential large = Zoo.lenet5(3, 32, 10);
        assertArrayEquals(new int[] {2, 2}, ((Conv2d) small.namedModules().get("features.0")).padding());
        assertArrayEquals(new int[] {0, 0}, ((Conv2d) large.namedModules().get("features.0")).padding());
        for (NamedSequential m : List.of(small, large)) {
            assertEquals(400, ((Linear) m.namedModules().get("classifier.0")).inFeatures());
        }
    }

    @Test
    void benchmarkWorkloadW3HasA2048To10Classifier() {
        Module w3 = Zoo.vgg(new int[] {32, 32, Zoo.M, 64, 64, Zoo.M, 128, 128, Zoo.M}, 3, 32, 10);
        Linear fc = (Linear) w3.namedModules().get("classifier");
        assertEquals(2048, fc.inFeatures());
        assertEquals(10, fc.outFeatures());
    }

    @Test
    void resnetsUseProjectionShortcutsOnlyWhereTheShapeChanges() {
        Map<String, Module> modules = Zoo.resnet(20, 3, 32, 10).namedModules();
        assertTrue(modules.get("layer1.0.shortcut") instanceof org.quadralib.layers.Identity);
        assertArrayEquals(new int[] {2, 2}, ((Conv2d) modules.get("layer2.0.shortcut.0")).stride());
        assertTrue(modules.get("layer2.1.shortcut") instanceof org.quadralib.layers.Identity);
        assertFalse(modules.containsKey("layer4"));
        assertEquals(3, ((org.quadralib.layers.Sequential) modules.get("layer3")).size(), "n = (20 − 2)/6 blocks per stage");
        assertFalse(Zoo.resnet18(3, 32, 10).namedModules().containsKey("maxpool"), "no max-pool in the small-image stem");
        assertTrue(Zoo.resnet18(3, 96, 10).namedModules().containsKey("maxpool"));
    }

    @Test
    void mobilenetIsDepthwiseSeparableAndScalesWithTheWidthMultiplier() {
        Map<String, Module> full = Zoo.mobilenetV1(3, 32, 10).namedModules();
        Conv2d dw = (Conv2d) full.get("features.1.0");
        assertEquals(32, dw.groups());
        assertEquals(32, dw.inChannels());
        assertArrayEquals(new int[] {1, 1}, ((Conv2d) full.get("features.0.0")).stride(), "stride-1 stem for 32 px");
        assertArrayEquals(new int[] {1, 1}, ((Conv2d) full.get("features.1.3")).kernelSize());
        Map<String, Module> half = Zoo.mobilenetV1(3, 32, 10, 0.5f, LayerFactory.FIRST_ORDER).namedModules();
        assertEquals(512, ((Linear) half.get("classifier")).inFeatures());
        assertArrayEquals(new int[] {2, 2}, ((Conv2d) Zoo.mobilenetV1(3, 128, 10).namedModules().get("features.0.0")).stride());
    }

    @Test
    void theWidthMultiplierScalesEveryHiddenCountAndKeepsTheNames() {
        Map<String, Module> half = Zoo.build("lenet5", 1, 28, 10, 0.5f, LayerFactory.FIRST_ORDER).namedModules();
        assertEquals(3, ((Conv2d) half.get("features.0")).outChannels());
        assertEquals(8, ((Conv2d) half.get("features.3")).outChannels());
        assertEquals(8 * 5 * 5, ((Linear) half.get("classifier.0")).inFeatures());
        assertEquals(60, ((Linear) half.get("classifier.0")).outFeatures());
        assertEquals(42, ((Linear) half.get("classifier.2")).outFeatures());
        assertEquals(10, ((Linear) half.get("classifier.4")).outFeatures(), "the classes are not scaled");
        assertEquals(1, ((Conv2d) half.get("features.0")).inChannels(), "the input is not scaled");
        for (String name : Zoo.NAMES) {
            int size = name.equals("mlp") || name.equals("lenet5") ? 28 : 32;
            Module full = Zoo.build(name, 3, size, 10);
            Module one = Zoo.build(name, 3, size, 10, 1f, LayerFactory.FIRST_ORDER);
            Module quarter = Zoo.build(name, 3, size, 10, 0.25f, LayerFactory.FIRST_ORDER);
            assertEquals(full.parameterCount(), one.parameterCount(), name + " at width 1");
            assertEquals(full.stateDict().keySet(), quarter.stateDict().keySet(), name + ": the same names at any width");
            assertTrue(quarter.parameterCount() < full.parameterCount() / 4, name + ": " + quarter.parameterCount());
        }
        Map<String, Module> resnet = Zoo.build("resnet20", 3, 32, 10, 0.5f, LayerFactory.FIRST_ORDER).namedModules();
        assertEquals(8, ((Conv2d) resnet.get("conv1")).outChannels());
        assertEquals(32, ((Linear) resnet.get("fc")).inFeatures());
        assertEquals(16, ((Conv2d) Zoo.build("vgg7", 1, 28, 10, 0.25f, LayerFactory.FIRST_ORDER).namedModules().get("features.0"))
                .outChannels());
        assertThrows(IllegalArgumentException.class, () -> Zoo.build("lenet5", 1, 28, 10, 0f, LayerFactory.FIRST_ORDER));
        assertThrows(IllegalArgumentException.class, () -> Zoo.build("vgg7", 1, 28, 10, Float.NaN, LayerFactory.FIRST_ORDER));
    }

    @Test
    void unknownNamesAndBadArgumentsAreExplained() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Zoo.build("resnet50", 3, 32, 10));
        assertTrue(e.getMessage().contains("'resnet50'"), e.getMessage());
        for (String n : Zoo.NAMES) {
            assertTrue(e.getMessage().contains(n), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Zoo.build(null, 3, 32, 10));
        assertThrows(IllegalArgumentException.class, () -> Zoo.resnet(15, 3, 32, 10));
        assertThrows(IllegalArgumentException.class, () -> Zoo.vgg("vgg19", 3, 32, 10));
        assertThrows(IllegalArgumentException.class, () -> Zoo.vgg(new int[] {Zoo.M}, 3, 32, 10));
        assertThrows(IllegalArgumentException.class, () -> Zoo.lenet5(0, 28, 10));
        assertThrows(IllegalArgumentException.class, () -> Zoo.mobilenetV1(3, 32, 10, 0f, LayerFactory.FIRST_ORDER));
        LayerFactory broken = new LayerFactory() {
            @Override
            public Module linear(String role, int in, int out, boolean bias) {
                return null;
            }

            @Override
            public Module conv2d(String role, Conv2d.Config config) {
                return null;
            }
        };
        NullPointerException npe = assertThrows(NullPointerException.class, () -> Zoo.build("lenet5", 1, 28, 10, broken));
        assertTrue(npe.getMessage().contains("features.0"), npe.getMessage());
    }
}
