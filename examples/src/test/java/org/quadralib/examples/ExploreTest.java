package org.quadralib.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One tiny {@code explore} run end to end, the {@code evaluate} and {@code importance} commands on its models, and bad input. */
class ExploreTest {

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
        List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank()).toList();
        }
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void assertUsageError(Run r, String prefix) {
        assertEquals(Main.EXIT_USAGE, r.code(), r.err());
        assertEquals(1, r.errLines().size(), "one line, no stack trace: " + r.err());
        assertTrue(r.errLines().get(0).startsWith(prefix), r.err());
        assertEquals("", r.out());
    }

    private List<String> namesUnder(Path root) throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(p -> !p.equals(root)).forEach(p -> names.add(root.relativize(p).toString()));
        }
        return names.stream().sorted().toList();
    }

    private static final String[] TINY = {"--sample", "--train-size", "192", "--test-size", "64", "--epochs", "1", "--batch-size", "32",
        "--threads", "2"};

    private static String[] tiny(String... more) {
        List<String> args = new ArrayList<>(List.of("explore"));
        args.addAll(List.of(TINY));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    @Test
    void aTinyExplorationPrintsTheTableSavesEveryModelAndTheOtherCommandsReadThem() throws IOException {
        Path out = dir.resolve("report");
        Run r = run(tiny("--widths", "1,0.5", "--budget", "params=1.5x", "--out", out.toString()));
        assertEquals(Main.EXIT_OK, r.code(), r.err());

        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).startsWith("lenet5 on embedded Fashion-MNIST sample (192 training, 64 test images), 19 held out "
                + "for validation: 1 epoch (mixed: +1 fine-tuning), batch 32"), lines.get(0));
        for (String column : List.of("model", "parameters", "MACs/sample", "test accuracy", "peak memory predicted",
                "peak memory measured", "step time (median)", "Pareto")) {
            assertTrue(lines.get(2).contains(column), lines.get(2));
        }
        List<String> names = List.of("first-order", "PROPOSED", "first-order x0.5", "PROPOSED x0.5", "mixed PROPOSED");
        String figures = " +[\\d,]+ +[\\d,]+ +\\d+\\.\\d\\d% +\\d+\\.\\d MiB +\\d+\\.\\d MiB +\\d+\\.\\d ms +\\d+\\.\\d s +\\*? *";
        for (int i = 0; i < names.size(); i++) {
            assertTrue(lines.get(4 + i).matches(names.get(i).replace("+", "\\+") + figures), lines.get(4 + i));
        }
        assertTrue(lines.get(4).matches("first-order +61,706 .*"), lines.get(4));
        assertTrue(r.out().contains("Best model within 92,559 parameters (params=1.5x): "), r.out());
        assertTrue(r.out().contains("Design exploration under a budget of 92,559 parameters"), r.out());
        assertTrue(r.err().contains("[5/5] mixed PROPOSED epoch 1/1") && r.err().contains("ETA"), r.err());

        assertEquals(List.of("PROPOSED-x0.5.json", "PROPOSED-x0.5.safetensors", "PROPOSED.json", "PROPOSED.safetensors",
                "first-order-x0.5.json", "first-order-x0.5.safetensors", "first-order.json", "first-order.safetensors",
                "mixed-PROPOSED.json", "mixed-PROPOSED.safetensors"), namesUnder(out.resolve("models")));
        assertTrue(namesUnder(out).containsAll(List.of("report.html", "results.json", "pareto-parameters.png", "pareto-macs.svg", "pareto-memory.png",
                "pareto-step-time.svg", "accuracy.png",
                "loss.svg", "memory-mixed-PROPOSED.txt")), namesUnder(out).toString());

        JsonObject results = JsonParser.parseString(Files.readString(out.resolve("results.json"))).getAsJsonObject();
        assertEquals(5, results.getAsJsonArray("results").size());
        assertEquals(92_559, results.getAsJsonObject("budget").get("limit").getAsLong());
        int pareto = 0;
        for (JsonElement e : results.getAsJsonArray("results")) {
            JsonObject c = e.getAsJsonObject();
            for (String key : List.of("parameters", "macsPerSample", "testAccuracy", "predictedPeakBytes", "measuredPeakBytes",
                    "stepMillisMedian")) {
                assertTrue(c.get(key).getAsDouble() > 0 || key.equals("testAccuracy"), c.get("name") + " " + key);
            }
            long peak = c.get("measuredPeakBytes").getAsLong();
            for (String phase : List.of("forward", "backward", "update")) {
                long bytes = c.getAsJsonObject("measuredPeakBytesByPhase").get(phase).getAsLong();
                assertTrue(bytes > 0 && bytes <= peak, c.get("name") + " " + phase + " peak " + bytes + " of " + peak);
            }
            pareto += c.get("paretoOptimal").getAsBoolean() ? 1 : 0;
            assertTrue(Files.exists(out.resolve(c.get("modelFile").getAsString())));
        }
        assertTrue(pareto >= 1);
        JsonObject mixed = results.getAsJsonObject("mixed");
        assertEquals("PROPOSED", mixed.get("from").getAsString());
        assertEquals(5, mixed.getAsJsonArray("layers").size());
        String html = Files.readString(out.resolve("report.html"));
        for (String section : List.of("Layer importance and selection", "Pareto front", "peak in backward", "memory per layer",
                "Activation maps of one test image per class", "first-order beside PROPOSED",
                "features.0 weights, end of epoch 1", "Weights and gradients per layer")) {
            assertTrue(html.contains(section), section + " missing from report.html");
        }

        // evaluate: accuracy, confusion matrix and per-class accuracy of a saved model, equal to what explore measured.
        Path mixedModel = out.resolve("models/mixed-PROPOSED.json");
        Run eval = run("evaluate", "--model-file", mixedModel.toString(), "--sample", "--test-size", "64", "--threads", "2");
        assertEquals(Main.EXIT_OK, eval.code(), eval.err());
        double measured = results.getAsJsonArray("results").get(4).getAsJsonObject().get("testAccuracy").getAsDouble();
        assertTrue(eval.out().startsWith(String.format(java.util.Locale.ROOT, "Accuracy: %.2f%% (%d of 64 test images)",
                100 * measured, Math.round(measured * 64))), eval.out());
        assertTrue(eval.out().contains("Confusion matrix") && eval.out().contains("Per-class accuracy"), eval.out());
        assertEquals(10, eval.out().lines().filter(l -> l.startsWith("class ")).count(), eval.out());

        // importance on a saved model: no --model or --type needed; the mixed model's quadratic layers are scored.
        Run imp = run("importance", "--model-file", mixedModel.toString(), "--sample", "--test-size", "64", "--threads", "2");
        assertEquals(Main.EXIT_OK, imp.code(), imp.err());
        for (JsonElement l : mixed.getAsJsonArray("layers")) {
            JsonObject layer = l.getAsJsonObject();
            boolean quadratic = layer.get("decision").getAsString().equals("QUADRATIC");
            String path = layer.get("path").getAsString();
            assertEquals(quadratic, imp.out().lines().anyMatch(line -> line.startsWith(path + " ")), path + "\n" + imp.out());
        }
        Run firstOrder = run("importance", "--model-file", out.resolve("models/first-order.json").toString(), "--test-size", "64");
        assertUsageError(firstOrder, "importance: ");
        assertTrue(firstOrder.err().contains("has no quadratic layer"), firstOrder.err());
    }

    @Test
    void quietPrintsNoProgress() {
        Run r = run("explore", "--sample", "--train-size", "128", "--test-size", "32", "--epochs", "1", "--types", "first-order",
                "--widths", "0.5", "--budget", "none", "--quiet", "--threads", "2");
        assertEquals(Main.EXIT_OK, r.code(), r.err());
        assertTrue(r.err().lines().noneMatch(l -> l.startsWith("explore:")), r.err());
        assertTrue(r.out().contains("first-order x0.5") && r.out().contains("Best model: first-order x0.5"), r.out());
    }

    @Test
    void badInputIsOneLineAndWritesNothing() throws IOException {
        Path out = dir.resolve("out");
        assertUsageError(run(tiny("--widths", "1,abc", "--out", out.toString())), "explore: --widths: 'abc' is not a number");
        assertUsageError(run(tiny("--widths", "1,0", "--out", out.toString())), "explore: --widths: 0 is outside (0, 4.0]");
        assertUsageError(run(tiny("--budget", "flops=2x", "--out", out.toString())),
                "explore: --budget: budget 'flops=2x': the measure must be params, macs or memory");
        assertUsageError(run(tiny("--budget", "params=lots", "--out", out.toString())), "explore: --budget: budget 'params=lots'");
        Run unmeetable = run(tiny("--widths", "1,0.5", "--budget", "params=1000", "--out", out.toString()));
        assertUsageError(unmeetable, "explore: --budget params=1000: a limit of 1,000 parameters cannot be met: the cheapest "
                + "candidate, first-order at width 0.5, costs 15,738");
        assertUsageError(run(tiny("--budget", "memory=0.01x", "--out", out.toString())), "explore: --budget memory=0.01x: a limit of ");
        assertUsageError(run(tiny("--types", "first-order,T9", "--out", out.toString())), "explore: unknown neuron type 'T9'");
        assertUsageError(run(tiny("--model", "vgg99", "--out", out.toString())), "explore: unknown model 'vgg99'");
        Path notData = Files.createDirectories(dir.resolve("pictures"));
        Files.writeString(notData.resolve("cat.png"), "not an image set");
        assertUsageError(run("explore", "--data", notData.toString(), "--out", out.toString()),
                "explore: Fashion-MNIST training set not found in ");
        assertFalse(Files.exists(out), "nothing written");
        assertEquals(List.of("pictures", "pictures/cat.png"), namesUnder(dir));

        Run evalMissing = run("evaluate", "--model-file", dir.resolve("none.json").toString());
        assertUsageError(evalMissing, "evaluate: --model-file " + dir.resolve("none.json") + " does not exist");
        Files.writeString(dir.resolve("half.json"), "{}");
        assertUsageError(run("evaluate", "--model-file", dir.resolve("half.json").toString()), "evaluate: --model-file ");
        assertUsageError(run("evaluate"), "evaluate: --model-file is required");
    }

    @Test
    void anOutputFolderIsProbedByWritingAFileEvenAsRoot() throws Exception {
        // Under /proc nothing can be created, not even by root, whose permission bits say otherwise.
        UsageException proc = assertThrows(UsageException.class, () -> ExploreOptions.checkWritableFolder(Path.of("/proc/x")));
        assertTrue(proc.getMessage().startsWith("--out /proc/x cannot be created: /proc is not writable"), proc.getMessage());
        long start = System.nanoTime();
        assertUsageError(run(tiny("--out", "/proc/x")), "explore: --out /proc/x cannot be created");
        assertTrue((System.nanoTime() - start) / 1e9 < 10, "rejected before any training");

        Path ok = Files.createDirectories(dir.resolve("ok"));
        ExploreOptions.checkWritableFolder(ok);
        ExploreOptions.checkWritableFolder(ok.resolve("new/deeper"));
        assertEquals(List.of("ok"), namesUnder(dir), "the probe leaves nothing behind and creates no folder");
        if (!System.getProperty("user.name").equals("root")) {
            Path locked = Files.createDirectories(dir.resolve("locked"));
            Files.setPosixFilePermissions(locked, Set.of(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                    java.nio.file.attribute.PosixFilePermission.OWNER_EXECUTE));
            assertThrows(UsageException.class, () -> ExploreOptions.checkWritableFolder(locked));
        }
    }

    /** A CIFAR-10 binary archive of {@code perFile} random 32×32 RGB records per batch file, written here. */
    private Path cifar10(int perFile) throws IOException {
        Path folder = Files.createDirectories(dir.resolve("cifar"));
        java.util.Random r = new java.util.Random(5);
        for (String name : List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin",
                "test_batch.bin")) {
            byte[] bytes = new byte[perFile * 3073];
            r.nextBytes(bytes);
            for (int i = 0; i < perFile; i++) {
                bytes[i * 3073] = (byte) (i % 10);
            }
            Files.write(folder.resolve(name), bytes);
        }
        return folder;
    }

    @Test
    void otherDataFormatsTrainAndAFolderOfTheWrongFormatIsOneLine() throws IOException {
        Path cifar = cifar10(20);
        Run r = run("explore", "--data-format", "cifar10", "--data", cifar.toString(), "--types", "first-order,PROPOSED",
                "--widths", "0.5", "--budget", "none", "--epochs", "1", "--batch-size", "25", "--threads", "2", "--quiet");
        assertEquals(Main.EXIT_OK, r.code(), r.err());
        assertTrue(r.out().startsWith("lenet5 on cifar10 data in " + cifar + " (100 training, 20 test images)"), r.out());
        assertTrue(r.out().contains("PROPOSED x0.5"), r.out());

        Path out = dir.resolve("out");
        Run wrong = run("explore", "--data-format", "cifar100", "--data", cifar.toString(), "--out", out.toString());
        assertUsageError(wrong, "explore: ");
        assertTrue(wrong.err().contains("train.bin"), wrong.err());
        assertUsageError(run("explore", "--data-format", "jpeg", "--data", cifar.toString()),
                "explore: --data-format needs one of idx, cifar10, cifar100, folder, got 'jpeg'");
        assertUsageError(run("explore", "--data-format", "cifar10"), "explore: --data-format cifar10 needs --data DIR");
        assertFalse(Files.exists(out));
    }

    @Test
    void theConfusionReportCountsEachClass() {
        long[][] counts = {{3, 1, 0, 0}, {0, 2, 0, 1}, {0, 0, 0, 0}};
        String text = Evaluate.report(counts);
        assertTrue(text.startsWith("Accuracy: 71.43% (5 of 7 test images)"), text);
        assertTrue(text.contains("1 images got NaN logits"), text);
        assertTrue(text.contains("class 0    75.00%  (3 of 4)"), text);
        assertTrue(text.contains("class 1    66.67%  (2 of 3)"), text);
        assertTrue(text.contains("class 2         -  (0 of 0)"), text);
    }
}
