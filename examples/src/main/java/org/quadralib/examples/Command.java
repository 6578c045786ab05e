package org.quadralib.examples;

import java.io.PrintStream;
import java.util.List;

/** A sub-command of the examples jar, named by the first command-line argument. */
public interface Command {

    /** The name typed on the command line, e.g. {@code explore}. */
    String name();

    /** One line for the command list of {@code --help}. */
    String summary();

    /** The command's own help: usage line and every option with its default. */
    String help();

    /**
     * Runs the command.
     *
     * @param args the arguments after the command name
     * @param out  where results go (tables)
     * @param err  where progress and diagnostics go
     * @return the exit code: 0 on success
     * @throws UsageException if the arguments or the files they name are not usable; nothing has been written then
     * @throws Exception      if the work itself fails
     */
    int run(List<String> args, PrintStream out, PrintStream err) throws Exception;
}
