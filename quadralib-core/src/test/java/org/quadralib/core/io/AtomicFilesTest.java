package org.quadralib.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @TempDir
    Path dir;

    @Test
    void writesAndReplacesContent() throws IOException {
        Path file = dir.resolve("state.json");
        AtomicFiles.writeString(file, "{\"step\": 1}");
        AtomicFiles.writeString(file, "{\"step\": 2}");
        assertEquals("{\"step\": 2}", Files.readString(file));
        assertEquals(List.of(file), list(dir));
    }

    @Test
    void createsMissingFoldersAndToleratesAWriterThatCloses() throws IOException {
        Path file = dir.resolve("a/b/weights.bin");
        AtomicFiles.writeAtomically(file, out -> {
            out.write(new byte[] {1, 2, 3});
            out.close();
        });
        assertEquals(3, Files.size(file));
    }

    @Test
    void aFailingWriterLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path file = dir.resolve("checkpoint.json");
        AtomicFiles.writeString(file, "old");
        IOException failure = new IOException("disk full");
        IOException thrown = assertThrows(IOException.class, () -> AtomicFiles.writeAtomically(file, out -> {
            out.write("new and half-writ".getBytes(StandardCharsets.UTF_8));
            throw failure;
        }));
        assertSame(failure, thrown);
        assertEquals("old", Files.readString(file));
        assertEquals(List.of(file), list(dir));
    }

    @Test
    void anUncheckedFailureCleansUpToo() throws IOException {
        Path file = dir.resolve("never.bin");
        assertThrows(IllegalStateException.class, () -> AtomicFiles.writeAtomically(file, out -> {
            out.write(42);
            throw new IllegalStateException("bug in the writer");
        }));
        assertEquals(List.of(), list(dir));
    }

    private static List<Path> list(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.toList();
        }
    }
}
