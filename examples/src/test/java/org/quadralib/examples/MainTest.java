package org.quadralib.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

    @TempDir
    Path dir;

    /** What one run of the CLI printed and returned. */
    private record Run(int code, String out, String err) {
        List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank()).toList();
        }
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Asserts a bad-input exit: code 2, one line on stderr starting with {@code prefix}, nothing on stdout. */
    private static void assertUsageError(Run r, String prefix) {
        assertEquals(Main.EXIT_USAGE, r.code(), r.err());
        assertEquals(1, r.errLines().size(), "one line, no stack trace: " + r.err());
        assertTrue(r.errLines().get(0).startsWith(prefix), r.err());
        assertEquals("", r.out());
    }

    private List<Path> filesUnder(Path root) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(p -> !p.equals(root)).forEach(files::add);
        }
        return files;
    }

    @Test
    void helpListsTheCommandsAndTheirOptions() {
        Run top = run("--help");
        assertEquals(Main.EXIT_OK, top.code());
        assertTrue(top.out().contains("explore"), top.out());
        assertTrue(top.out().contains("--add-modules jdk.incubator.vector -jar quadralib-examples.jar"), top.out());

        Run explore = run("explore", "--help");
        assertEquals(Main.EXIT_OK, explore.code());
        for (String option : List.of("--model", "--types", "--epochs", "--batch-size", "--lr", "--threads", "--data",
                "--full", "--sample", "--train-size", "--test-size", "--out", "--seed", "--help")) {
            assertTrue(explore.out().contains(option), option + " missing from explore --help");
        }
        Run nothing = run();
        assertEquals(Main.EXIT_USAGE, nothing.code(), "no command at all is a usage error");
        assertTrue(nothing.err().startsWith("Usage: "), nothing.err());
        assertEquals("", nothing.out());
    }

    @Test
    void badCommandLinesExitWithOneLineAndWriteNothing() throws IOException {
        Path out = dir.resolve("out");
        assertUsageError(run("train"), "quadralib-examples: unknown command 'train'; commands: explore");
        assertUsageError(run("explore", "--model", "alexnet", "--out", out.toString()), "explore: unknown model 'alexnet'");
        assertUsageError(run("explore", "--types", "first-order,T7", "--out", out.toString()),
                "explore: unknown neuron type 'T7'");
        assertUsageError(run("explore", "--epochs", "-1", "--out", out.toString()), "explore: --epochs needs a positive");
        assertUsageError(run("explore", "--sample", "--train-size", "6000", "--out", out.toString()),
                "explore: --train-size 6000 exceeds the 5000 training images");
        assertFalse(Files.exists(out));
    }

    @Test
    void aDataFolderWithoutIdxFilesIsOneLineNamingWhatIsMissing() throws IOException {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        Path out = dir.resolve("out");
        Run r = run("explore", "--data", empty.toString(), "--out", out.toString());
        assertUsageError(r, "explore: Fashion-MNIST training set not found in " + empty.toAbsolutePath());
        assertTrue(r.err().contains("train-images-idx3-ubyte"), r.err());
        assertFalse(Files.exists(out));

        Run missing = run("explore", "--data", dir.resolve("nowhere").toString());
        assertUsageError(missing, "explore: Fashion-MNIST training set not found");
        assertTrue(missing.err().contains("does not exist"), missing.err());
    }

    @Test
    void malformedIdxFilesAreOneLineNamingTheFile() throws IOException {
        Path broken = Files.createDirectory(dir.resolve("broken"));
        for (String name : List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte")) {
            Files.write(broken.resolve(name), new byte[] {0, 0, 8, 3, 0, 0});
        }
        Run r = run("explore", "--data", broken.toString());
        assertUsageError(r, "explore: ");
        assertTrue(r.err().contains("train-images-idx3-ubyte"), r.err());
    }

    @Test
    void anOutputFolderThatCannotBeWrittenIsRejectedBeforeTraining() throws IOException {
        Path file = Files.writeString(dir.resolve("file.txt"), "not a folder");
        assertUsageError(run("explore", "--out", file.toString()), "explore: --out " + file + " is a file, not a folder");
        Path under = file.resolve("results");
        assertUsageError(run("explore", "--out", under.toString()),
                "explore: --out " + under + " cannot be created: " + file + " is not a folder");
        assertEquals(List.of(file), filesUnder(dir));
        assertEquals("not a folder", Files.readString(file));
    }

    @Test
    void oneLineTurnsMultiLineMessagesIntoOne() {
        assertEquals("a b c", Main.oneLine("a\n  b\r\nc\n"));
    }
}
