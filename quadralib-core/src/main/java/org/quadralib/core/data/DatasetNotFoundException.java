package org.quadralib.core.data;

import java.io.IOException;
import java.util.List;

/**
 * A data set's files are not where they were looked for. The message lists each file looked for, where, and
 * how to get them, because "file not found" alone leaves a first-time user guessing.
 */
public final class DatasetNotFoundException extends IOException {

    private static final long serialVersionUID = 1L;

    /** @serial the folder or classpath location searched */
    private final String location;
    /** @serial the file names not found there */
    @SuppressWarnings("serial") // an immutable list; exceptions are never Java-serialized by the library
    private final List<String> missing;

    /**
     * @param message  the full explanation shown to the user
     * @param location the folder or classpath location searched
     * @param missing  the file names not found there
     */
    public DatasetNotFoundException(String message, String location, List<String> missing) {
        super(message);
        this.location = location;
        this.missing = List.copyOf(missing);
    }

    /** The folder (or {@code classpath:} location) that was searched. */
    public String location() {
        return location;
    }

    /** The files that were missing, by name (alternatives such as {@code .gz} joined with " or "). */
    public List<String> missing() {
        return missing;
    }
}
