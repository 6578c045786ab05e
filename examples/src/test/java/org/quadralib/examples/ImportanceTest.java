package org.quadralib.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quadralib.autobuild.ConversionPolicy;
import org.quadralib.autobuild.Converter;
import org.quadralib.core.io.SafeTensors;
import org.quadralib.layers.Init;
import org.quadralib.layers.Module;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.StateDicts;
import org.quadralib.layers.train.Checkpoint;
import org.quadralib.layers.zoo.Zoo;

/** The {@code importance} command and the {@code --convert} options of {@code explore}. */
class ImportanceTest {

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** LeNet-5 converted as {@code explore} converts it, with the given options. */
    private static Module lenet(ConvertOptions convert, NeuronType type) {
        Init.manualSeed(3);
        return Converter.convert(Zoo.build("lenet5", 1, 28, 10), convert.policy(type)).model();
    }

    @Test
    void scoresEveryQuadraticLayerOfAStateDictFile() throws Exception {
        Path file = dir.resolve("lenet-proposed.safetensors");
        StateDicts.save(lenet(ConvertOptions.DEFAULT, NeuronType.PROPOSED), file);
        Run r = run("importance", "--checkpoint", file.toString(), "--test-size", "64", "--threads", "1");
        assertEquals(Main.EXIT_OK, r.code(), r.err());
        assertTrue(r.out().startsWith("Layer importance (baseline accuracy "), r.out());
        for (String path : List.of("features.0", "features.3", "classifier.0", "classifier.2", "classifier.4")) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(path + " ") && l.contains("PROPOSED Quadratic")), path + "\n" + r.out());
        }
    }

    @Test
    void readsACheckpointFolderConvertedWithSkips() throws Exception {
        ConvertOptions convert = new ConvertOptions(ConversionPolicy.Scope.ALL, true, true);
        Path folder = Files.createDirectories(dir.resolve("step-000000010"));
        SafeTensors.write(folder.resolve(Checkpoint.MODEL_FILE), lenet(convert, NeuronType.QRES).stateDict());
        Run r = run("importance", "--checkpoint", folder.toString(), "--type", "QRes", "--skip-first", "--skip-last", "--test-size", "64");
        assertEquals(Main.EXIT_OK, r.code(), r.err());
        assertTrue(r.out().contains("QRES QuadraticConv2d") && r.out().contains("classifier.2"), r.out());
        assertTrue(r.out().lines().noneMatch(l -> l.startsWith("features.0 ") || l.startsWith("classifier.4 ")), r.out());
    }

    @Test
    void aCheckpointOfAnotherArchitectureIsAUsageError() throws Exception {
        Path file = dir.resolve("lenet-proposed.safetensors");
        StateDicts.save(lenet(ConvertOptions.DEFAULT, NeuronType.PROPOSED), file);
        Run r = run("importance", "--checkpoint", file.toString(), "--type", "T4", "--test-size", "64");
        assertEquals(Main.EXIT_USAGE, r.code(), r.err());
        assertTrue(r.err().startsWith("importance: --checkpoint ") && r.err().contains("does not hold a lenet5 with T4 layers"), r.err());
        assertEquals("", r.out());

        Run missing = run("importance", "--test-size", "64");
        assertEquals(Main.EXIT_USAGE, missing.code());
        assertTrue(missing.err().contains("--checkpoint is required"), missing.err());
        Run firstOrder = run("importance", "--checkpoint", file.toString(), "--type", "first-order");
        assertEquals(Main.EXIT_USAGE, firstOrder.code());
        assertTrue(firstOrder.err().contains("--type needs a quadratic neuron type"), firstOrder.err());
    }

    @Test
    void exploreParsesTheConvertOptions() throws Exception {
        ExploreOptions o = ExploreOptions.parse(List.of("--convert", "conv", "--skip-first"));
        assertEquals(new ConvertOptions(ConversionPolicy.Scope.CONVOLUTIONS, true, false), o.convert());
        assertEquals(ConvertOptions.DEFAULT, ExploreOptions.parse(List.of()).convert());
        ConversionPolicy p = ExploreOptions.parse(List.of("--skip-last", "--convert", "linear")).convert().policy(NeuronType.T2_4);
        assertEquals(ConversionPolicy.Scope.LINEARS, p.scope());
        assertTrue(p.skipLast());
        UsageException e = assertThrows(UsageException.class, () -> ExploreOptions.parse(List.of("--convert", "dense")));
        assertTrue(e.getMessage().contains("all, conv or linear"), e.getMessage());
        assertTrue(ExploreOptions.help().contains("--skip-last"));
    }
}
