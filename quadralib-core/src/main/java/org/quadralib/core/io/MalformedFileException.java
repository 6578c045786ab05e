package org.quadralib.core.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that does not follow its format: a safetensors header that lies about its tensors, an IDX file whose
 * payload is shorter or longer than its dimensions say. The message names the file and, where there is one,
 * the entry (tensor name) at fault, so a user can tell which of many checkpoint files is broken and why.
 */
public final class MalformedFileException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    /** @serial the tensor or record at fault, or null when the problem is with the file as a whole */
    private final String entry;

    /**
     * @param file   the file being read (or a resource name turned into a path), never null
     * @param entry  the tensor or record at fault, or null when the problem is with the file as a whole
     * @param detail what is wrong, e.g. {@code "dtype 'Q4' is not supported"}
     */
    public MalformedFileException(Path file, String entry, String detail) {
        this(file, entry, detail, null);
    }

    /**
     * @param file   the file being read, never null
     * @param entry  the tensor or record at fault, or null
     * @param detail what is wrong
     * @param cause  the underlying parser error, or null
     */
    public MalformedFileException(Path file, String entry, String detail, Throwable cause) {
        super(file + ": " + (entry == null ? "" : "tensor '" + entry + "': ") + detail, cause);
        this.file = file;
        this.entry = entry;
    }

    /** The file that failed to parse. */
    public Path file() {
        return file;
    }

    /** The tensor (or other named entry) at fault, or null when the problem concerns the whole file. */
    public String entry() {
        return entry;
    }
}
