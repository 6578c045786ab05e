package org.quadralib.examples;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Entry point of {@code quadralib-examples.jar}: {@code java --add-modules jdk.incubator.vector -jar
 * quadralib-examples.jar <command> [options]}. The first argument names the command; {@code --help} (or no
 * argument) lists the commands, {@code <command> --help} describes one.
 *
 * <p>Exit codes: {@value #EXIT_OK} on success, {@value #EXIT_USAGE} for bad input (one line on standard error, no
 * stack trace, nothing written), {@value #EXIT_FAILURE} when the work itself failed.
 */
public final class Main {

    /** Success. */
    public static final int EXIT_OK = 0;
    /** The work failed (an unexpected error while training or writing). */
    public static final int EXIT_FAILURE = 1;
    /** Bad command line or input files. */
    public static final int EXIT_USAGE = 2;

    private static final String JAR = "java --add-modules jdk.incubator.vector -jar quadralib-examples.jar";

    private Main() {
    }

    /** Runs the command and exits the JVM with its code. */
    public static void main(String[] args) {
        // Charts are rendered to files; without this a machine with no display makes AWT fail or hang.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        System.exit(run(args, System.out, System.err));
    }

    /** The commands by name, in the order {@code --help} lists them. */
    static Map<String, Command> commands() {
        Map<String, Command> commands = new LinkedHashMap<>();
        Command explore = new Explore();
        commands.put(explore.name(), explore);
        Command importance = new Importance();
        commands.put(importance.name(), importance);
        Command sparkTrain = new SparkTrain();
        commands.put(sparkTrain.name(), sparkTrain);
        Command evaluate = new Evaluate();
        commands.put(evaluate.name(), evaluate);
        return commands;
    }

    /**
     * Runs the command {@code args[0]} with the remaining arguments.
     *
     * @return the exit code
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Map<String, Command> commands = commands();
        if (args.length == 0) {
            // Asked for nothing: the usage is the error message, so it goes where errors go.
            err.print(usage(commands));
            return EXIT_USAGE;
        }
        if (args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            out.print(usage(commands));
            return EXIT_OK;
        }
        Command command = commands.get(args[0]);
        if (command == null) {
            err.println("quadralib-examples: unknown command '" + args[0] + "'; commands: "
                    + String.join(", ", commands.keySet()) + " (--help lists them)");
            return EXIT_USAGE;
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        if (rest.contains("--help") || rest.contains("-h")) {
            out.print(command.help());
            return EXIT_OK;
        }
        try {
            return command.run(rest, out, err);
        } catch (UsageException e) {
            err.println(command.name() + ": " + oneLine(e.getMessage()));
            return EXIT_USAGE;
        } catch (Exception | OutOfMemoryError e) {
            err.println(command.name() + ": failed: " + oneLine(describe(e)));
            return EXIT_FAILURE;
        }
    }

    /** The exception's message with its type when the message alone would not say what happened. */
    private static String describe(Throwable e) {
        String message = e.getMessage();
        String type = e.getClass().getSimpleName();
        return message == null || message.isBlank() ? type : type + ": " + message;
    }

    /** Messages from lower layers may span lines; the contract is one line. */
    static String oneLine(String message) {
        return message == null ? "" : message.replaceAll("\\s*\\R\\s*", " ").trim();
    }

    private static String usage(Map<String, Command> commands) {
        StringBuilder sb = new StringBuilder("Usage: ").append(JAR).append(" <command> [options]\n\nCommands:\n");
        for (Command c : commands.values()) {
            sb.append(String.format("  %-10s %s%n", c.name(), c.summary()));
        }
        sb.append("\n").append(JAR).append(" <command> --help describes a command's options.\n");
        return sb.toString();
    }
}
