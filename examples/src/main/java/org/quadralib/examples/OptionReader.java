package org.quadralib.examples;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads a command's arguments one option at a time: flags, and options followed by a value. Each option may be given
 * once; anything else is a {@link UsageException} that names it and the command whose {@code --help} lists the
 * options.
 */
final class OptionReader {

    private final String command;
    private final List<String> args;
    private final Set<String> flags;
    private final Set<String> valued;
    private final Set<String> seen = new HashSet<>();
    private int next;
    private String option;

    /**
     * @param command the command's name, for messages
     * @param flags the options that take no value
     * @param valued the options followed by a value
     */
    OptionReader(String command, List<String> args, Set<String> flags, Set<String> valued) {
        this.command = command;
        this.args = args;
        this.flags = flags;
        this.valued = valued;
    }

    boolean hasNext() {
        return next < args.size();
    }

    /**
     * The next option; for an option that takes a value, {@link #value()} then returns it.
     *
     * @throws UsageException if the option was given before, is unknown, is not an option, or lacks its value
     */
    String next() throws UsageException {
        option = args.get(next++);
        if (!seen.add(option)) {
            throw new UsageException("option " + option + " given twice");
        }
        if (valued.contains(option)) {
            if (next >= args.size() || args.get(next).startsWith("--")) {
                throw new UsageException("option " + option + " needs a value");
            }
        } else if (!flags.contains(option)) {
            throw new UsageException((option.startsWith("-") ? "unknown option " : "unexpected argument ")
                    + "'" + option + "' (" + command + " --help lists the options)");
        }
        return option;
    }

    /** The value of the option {@link #next()} returned last, which must be one that takes a value. */
    String value() {
        if (!valued.contains(option)) {
            throw new IllegalStateException(option + " takes no value");
        }
        return args.get(next++);
    }
}
