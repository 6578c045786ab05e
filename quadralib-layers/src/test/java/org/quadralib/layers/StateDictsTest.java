package org.quadralib.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quadralib.core.GradMode;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;
import org.quadralib.core.io.SafeTensors;

class StateDictsTest {

    @TempDir
    Path dir;

    private static NamedSequential model() {
        Sequential features = new Sequential(new Conv2d(2, 4, 3, 1, 1), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2));
        return new NamedSequential().add("features", features).add("flatten", new Flatten()).add("classifier", new Linear(16, 3));
    }

    @Test
    void roundTripRestoresParametersBuffersAndOutputs() throws IOException {
        Init.manualSeed(1);
        NamedSequential a = model();
        try (GradMode.Scope s = GradMode.noGrad()) {
            a.forward(Tensor.randn(new Rng(1), 4, 2, 4, 4));
            a.forward(Tensor.randn(new Rng(2), 4, 2, 4, 4));
        }
        Path file = dir.resolve("model.safetensors");
        StateDicts.save(a, file, Map.of("epoch", "3"));

        Init.manualSeed(2);
        NamedSequential b = model();
        StateDicts.LoadResult r = StateDicts.load(b, file, true);
        assertTrue(r.missing().isEmpty() && r.unexpected().isEmpty());
        assertEquals("pt", r.metadata().get(StateDicts.FORMAT_KEY));
        assertEquals("quadralib", r.metadata().get(StateDicts.PRODUCER_KEY));
        assertEquals("NamedSequential", r.metadata().get(StateDicts.MODEL_KEY));
        assertEquals("3", r.metadata().get("epoch"));
        Map<String, Tensor> sa = a.stateDict();
        Map<String, Tensor> sb = b.stateDict();
        assertEquals(sa.keySet(), sb.keySet());
        for (String k : sa.keySet()) {
            assertArrayEquals(sa.get(k).toFloatArray(), sb.get(k).toFloatArray(), k);
        }
        assertEquals(2f, sb.get("features.1.num_batches_tracked").item());
        a.eval();
        b.eval();
        Tensor x = Tensor.randn(new Rng(3), 2, 2, 4, 4);
        assertArrayEquals(a.forward(x).toFloatArray(), b.forward(x).toFloatArray());
    }

    @Test
    void strictLoadListsEveryMissingUnexpectedAndMisShapedName() throws IOException {
        Init.manualSeed(3);
        NamedSequential model = model();
        Map<String, Tensor> state = new LinkedHashMap<>(model.stateDict());
        state.remove("features.0.bias");
        state.remove("features.1.running_var");
        state.put("classifier.weight", Tensor.zeros(3, 15));
        state.put("features.1.running_mean", Tensor.zeros(5));
        state.put("fc.weight", Tensor.zeros(3, 16));
        state.put("features.9.weight", Tensor.zeros(1));
        Path file = dir.resolve("bad.safetensors");
        SafeTensors.write(file, state);
        float[] before = model.stateDict().get("features.0.weight").toFloatArray();

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StateDicts.load(model, file, true));
        String m = e.getMessage();
        for (String name : List.of("features.0.bias", "features.1.running_var", "fc.weight", "features.9.weight",
                "classifier.weight (file [3, 15], model [3, 16])", "features.1.running_mean (file [5], model [4])", "bad.safetensors")) {
            assertTrue(m.contains(name), "message lacks " + name + ": " + m);
        }
        assertArrayEquals(before, model.stateDict().get("features.0.weight").toFloatArray(), "nothing is copied on failure");

        // Non-strict: mis-shaped tensors are still errors ...
        assertThrows(IllegalArgumentException.class, () -> StateDicts.load(model, file, false));
        // ... and without them the missing and unexpected names are reported, the rest loaded.
        state.remove("classifier.weight");
        state.remove("features.1.running_mean");
        state.put("features.0.weight", Tensor.full(0.5f, 4, 2, 3, 3));
        SafeTensors.write(file, state);
        StateDicts.LoadResult r = StateDicts.load(model, file, false);
        assertEquals(List.of("features.0.bias", "features.1.running_mean", "features.1.running_var", "classifier.weight"), r.missing());
        assertEquals(List.of("fc.weight", "features.9.weight"), r.unexpected());
        assertEquals(0.5f, model.stateDict().get("features.0.weight").get(1, 1, 2, 2));
    }

    @Test
    void savingReplacesTheFileAndReservedKeysAreRefused() throws IOException {
        Path file = dir.resolve("m.safetensors");
        Files.writeString(file, "old contents");
        Linear fc = new Linear(2, 2);
        StateDicts.save(fc, file);
        assertEquals(List.of("bias", "weight"), List.copyOf(SafeTensors.read(file).keySet()));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file is left behind");
        }
        assertThrows(IllegalArgumentException.class, () -> StateDicts.save(fc, file, Map.of("format", "other")));
    }
}
