package org.quadralib.examples;

/**
 * Bad input from the command line (an unknown name, a malformed number, a missing data folder, an output folder
 * that cannot be written): {@link Main} prints the message as one line on standard error and exits with
 * {@link Main#EXIT_USAGE}. The message must say what was wrong and, where it helps, what is accepted.
 */
public final class UsageException extends Exception {

    private static final long serialVersionUID = 1L;

    /** @param message one line naming the offending option or value */
    public UsageException(String message) {
        super(message);
    }
}
