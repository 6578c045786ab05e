package org.quadralib.layers;

/** A module received an input of the wrong shape; the message names the module's path and both shapes. */
public final class ShapeMismatchException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** @param message names the module, its path, the expected and the actual shape */
    public ShapeMismatchException(String message) {
        super(message);
    }
}
