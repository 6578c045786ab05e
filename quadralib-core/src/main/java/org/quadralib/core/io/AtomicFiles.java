package org.quadralib.core.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes files so that readers see either the old content or the complete new content, never a half-written
 * file: the bytes go to a temporary file in the target's folder, are flushed to disk, and the temporary file is
 * then renamed over the target. If anything fails the temporary file is deleted and the target is untouched.
 *
 * <p>The temporary file lives in the same folder because a rename is only atomic within one file system.
 * Its name starts with a dot and ends with {@code .tmp}, so a crash (the one case where it can survive) leaves
 * an obviously disposable file rather than a truncated checkpoint under the real name.
 */
public final class AtomicFiles {

    private static final int BUFFER_BYTES = 1 << 16;

    private AtomicFiles() {
    }

    /**
     * Something that writes to a stream and may fail with an {@link IOException}.
     *
     * @param <T> what it consumes
     */
    @FunctionalInterface
    public interface IOConsumer<T> {
        /**
         * Consumes {@code value}.
         *
         * @throws IOException when writing fails
         */
        void accept(T value) throws IOException;
    }

    /**
     * Replaces {@code target} atomically with what {@code writer} writes. Missing parent folders are created.
     * The stream handed to the writer is buffered; the writer need not close it (closing it is harmless).
     *
     * @param target the file to create or replace
     * @param writer writes the complete new content
     * @throws IOException          if the writer or the file system fails; the target is then unchanged and no
     *                              temporary file remains
     * @throws RuntimeException     whatever the writer throws unchecked, after the same clean-up
     */
    public static void writeAtomically(Path target, IOConsumer<OutputStream> writer) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path folder = absolute.getParent();
        Files.createDirectories(folder);
        Path temp = createTempSibling(absolute);
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                OutputStream out = new BufferedOutputStream(new CloseShield(Channels.newOutputStream(channel)),
                        BUFFER_BYTES);
                writer.accept(out);
                out.flush();
                // Without the fsync a power cut after the rename can leave the new name pointing at empty blocks.
                channel.force(true);
            }
            moveIntoPlace(temp, absolute);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Replaces {@code target} atomically with {@code bytes}.
     *
     * @throws IOException if writing fails; the target is then unchanged
     */
    public static void write(Path target, byte[] bytes) throws IOException {
        writeAtomically(target, out -> out.write(bytes));
    }

    /**
     * Replaces {@code target} atomically with {@code text} encoded as UTF-8.
     *
     * @throws IOException if writing fails; the target is then unchanged
     */
    public static void writeString(Path target, String text) throws IOException {
        write(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Creates an empty, uniquely named file beside {@code target}. Not {@code Files.createTempFile}: that one
     * makes the file owner-only (0600), and the rename would then silently tighten the target's permissions;
     * a plain create honours the umask like any other file the user writes.
     */
    private static Path createTempSibling(Path target) throws IOException {
        Path folder = target.getParent();
        for (int attempt = 0; ; attempt++) {
            String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
            Path temp = folder.resolve("." + target.getFileName() + "." + suffix + ".tmp");
            try {
                return Files.createFile(temp);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw e;
                }
            }
        }
    }

    private static void moveIntoPlace(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            // Some file systems (certain network and FUSE mounts) refuse atomic renames; a plain replace is the
            // best they offer, and still never exposes a partially written file under the target name.
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Keeps a writer's {@code close()} from closing the channel before we flush and fsync it. */
    private static final class CloseShield extends FilterOutputStream {
        CloseShield(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
