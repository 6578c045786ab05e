package org.quadralib.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles and runs every Java snippet of every {@code README.md} in the repository, so a README example that
 * does not compile or throws fails {@code mvn verify}.
 *
 * <p>The convention, for everyone writing a README:
 * <ul>
 *   <li>Every block fenced as {@code ```java} is code; fence anything else as {@code ```text}, {@code ```xml},
 *       {@code ```sh}... (those are not compiled). Every {@code README.md} below the repository root is read,
 *       except under {@code target} and hidden folders.</li>
 *   <li><b>The {@code java} blocks of one README are one program</b>, in order: a later block sees the variables of
 *       the earlier ones. Its {@code import} lines, from every block, go to the top of the program. A block that
 *       declares a type ({@code class}, {@code record}, {@code interface}, {@code enum}, possibly after annotations
 *       or {@code final}/{@code abstract}/{@code public}) becomes a top-level type of the program (a leading
 *       {@code public} is dropped); every other block is statements, run in order in one method that may throw any
 *       exception.</li>
 *   <li>A type with {@code @Test} methods (JUnit 5's {@code org.junit.jupiter.api.Test}) is a test class: after the
 *       statements, each of its {@code @Test} methods runs on a fresh instance (no other JUnit lifecycle). A failed
 *       assertion fails the build.</li>
 *   <li>The line before a fence may hold a hidden marker: {@code <!-- snippet: new -->} starts a new program at that
 *       block (for a README with independent examples whose names clash); {@code <!-- snippet: compile-only -->}
 *       compiles the block but does not run its statements, only for code that needs what a build cannot give (a
 *       cluster, a user's files); its variables are not visible to later blocks.</li>
 *   <li>Snippets compile against the class path of this module's tests (every library module, and the test
 *       dependencies of this module: {@code quadralib-testing}, JUnit) at Java 17, and run in its JVM, with standard
 *       output and error captured (shown only when a snippet fails). Keep them fast: a few seconds each.</li>
 * </ul>
 */
class ReadmeSnippetsTest {

    private static final Pattern MARKER = Pattern.compile("<!--\\s*snippet:\\s*([a-z-]+)\\s*-->");
    private static final Pattern TYPE_START = Pattern.compile(
            "^(@\\w+(\\([^)]*\\))?\\s+)*((public|final|abstract|static|sealed)\\s+)*(class|record|interface|enum)\\s+\\w+.*");

    /** One line of a snippet and where it came from. */
    record Line(String text, int number) {
    }

    /** One fenced {@code java} block. */
    record Block(List<Line> lines, boolean compileOnly, boolean startsProgram) {
    }

    /** The blocks of one program of one README. */
    record Program(Path readme, int index, List<Block> blocks) {
        String name() {
            return readme + (index == 0 ? "" : " (program " + (index + 1) + ")");
        }
    }

    @TestFactory
    Stream<DynamicTest> everyReadmeSnippetCompilesAndRuns(@TempDir Path work) throws IOException {
        Path root = repositoryRoot();
        List<Program> programs = new ArrayList<>();
        for (Path readme : readmes(root)) {
            programs.addAll(programs(root.relativize(readme), Files.readAllLines(readme, StandardCharsets.UTF_8)));
        }
        assertTrue(programs.stream().anyMatch(p -> p.readme().toString().equals("README.md")),
                "the root README's snippets were found");
        return programs.stream().map(p -> DynamicTest.dynamicTest(p.name(), () -> compileAndRun(p, work)));
    }

    @Test
    void blocksAreSplitIntoImportsTypesAndStatements(@TempDir Path work) throws Exception {
        List<String> readme = List.of(
                "# Title", "```java", "import java.util.List;", "List<Integer> xs = List.of(1, 2);", "```",
                "text", "```text", "not java", "```",
                "```java", "record Pair(int a, int b) {", "}", "```",
                "```java", "Pair p = new Pair(xs.get(0), xs.get(1));", "if (p.b() != 2) throw new AssertionError();",
                "```",
                "<!-- snippet: new -->", "```java", "int xs = 3;", "```");
        List<Program> programs = programs(Path.of("X.md"), readme);
        assertEquals(2, programs.size(), "the marker starts a second program");
        assertEquals(3, programs.get(0).blocks().size(), "the text block is not code");
        String source = source(programs.get(0), "Snippets").text();
        assertTrue(source.startsWith("import java.util.List;\n"), source);
        assertTrue(source.contains("\nrecord Pair(int a, int b) {"), source);
        compileAndRun(programs.get(0), work.resolve("a"));
        compileAndRun(programs.get(1), work.resolve("b"));
    }

    @Test
    void aSnippetThatDoesNotCompileOrFailsFailsWithItsReadmeLine(@TempDir Path work) {
        List<Program> broken = programs(Path.of("Broken.md"), List.of("```java", "int x = 1;", "undefinedCall(x);", "```"));
        AssertionError e = assertThrows(AssertionError.class, () -> compileAndRun(broken.get(0), work.resolve("a")));
        assertTrue(e.getMessage().contains("Broken.md:3"), e.getMessage());

        List<Program> failing = programs(Path.of("Failing.md"), List.of("```java", "import org.junit.jupiter.api.Test;",
                "class T {", "    @Test", "    void fails() {", "        throw new AssertionError(\"expected failure\");", "    }",
                "}", "```"));
        AssertionError f = assertThrows(AssertionError.class, () -> compileAndRun(failing.get(0), work.resolve("b")));
        assertTrue(f.getMessage().contains("T.fails") && f.getMessage().contains("expected failure"), f.getMessage());
    }

    // ------------------------------------------------------------------ finding and splitting

    private static Path repositoryRoot() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("README.md")) && Files.isDirectory(p.resolve("quadralib-core"))) {
                return p;
            }
        }
        throw new AssertionError("no repository root (README.md beside quadralib-core) above " + here);
    }

    private static List<Path> readmes(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(p -> p.getFileName().toString().equals("README.md"))
                    .filter(p -> {
                        for (Path part : root.relativize(p)) {
                            String s = part.toString();
                            if (s.equals("target") || s.startsWith(".")) {
                                return false;
                            }
                        }
                        return true;
                    })
                    .sorted()
                    .toList();
        }
    }

    static List<Program> programs(Path readme, List<String> lines) {
        List<List<Block>> programs = new ArrayList<>();
        String marker = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.startsWith("```") && !line.equals("```java")) {
                // Skip a non-Java block whole, so its content is never read as markers or fences.
                for (i++; i < lines.size() && !lines.get(i).strip().equals("```"); i++) {
                    // inside a text, xml, sh... block
                }
                marker = null;
                continue;
            }
            if (line.equals("```java")) {
                List<Line> block = new ArrayList<>();
                for (i++; i < lines.size() && !lines.get(i).strip().equals("```"); i++) {
                    block.add(new Line(lines.get(i), i + 1));
                }
                if (i == lines.size()) {
                    throw new AssertionError(readme + ": the java block opened before line " + (block.isEmpty() ? i
                            : block.get(0).number()) + " is never closed");
                }
                boolean starts = programs.isEmpty() || "new".equals(marker);
                if (starts) {
                    programs.add(new ArrayList<>());
                }
                programs.get(programs.size() - 1).add(new Block(block, "compile-only".equals(marker), starts));
                marker = null;
                continue;
            }
            Matcher m = MARKER.matcher(line);
            if (m.find()) {
                marker = m.group(1);
                if (!marker.equals("new") && !marker.equals("compile-only")) {
                    throw new AssertionError(readme + ":" + (i + 1) + ": unknown snippet marker '" + marker
                            + "' (known: new, compile-only)");
                }
            } else if (!line.isEmpty()) {
                marker = null;
            }
        }
        List<Program> out = new ArrayList<>();
        for (int k = 0; k < programs.size(); k++) {
            out.add(new Program(readme, k, programs.get(k)));
        }
        return out;
    }

    /** A generated compilation unit, with the README line of every generated line (0 for generated ones). */
    record Source(String className, String text, int[] readmeLines) {
    }

    static Source source(Program program, String className) {
        Set<String> imports = new LinkedHashSet<>();
        List<Line> statements = new ArrayList<>();
        List<Line> types = new ArrayList<>();
        for (Block b : program.blocks()) {
            List<Line> body = new ArrayList<>();
            for (Line l : b.lines()) {
                if (l.text().strip().startsWith("import ")) {
                    imports.add(l.text().strip());
                } else {
                    body.add(l);
                }
            }
            Line first = body.stream().filter(l -> !l.text().isBlank() && !l.text().strip().startsWith("//")).findFirst()
                    .orElse(null);
            if (first != null && TYPE_START.matcher(first.text()).matches()) {
                for (Line l : body) {
                    // A top-level type is declared at column 0; a public one would need a file of its own.
                    String t = l.text().startsWith("public ") ? l.text().substring("public ".length()) : l.text();
                    types.add(new Line(t, l.number()));
                }
            } else if (!b.compileOnly()) {
                statements.addAll(body);
            } else {
                statements.add(new Line("if (Boolean.getBoolean(\"readme.never\")) {", 0));
                statements.addAll(body);
                statements.add(new Line("}", 0));
            }
        }
        List<Line> out = new ArrayList<>();
        imports.forEach(i -> out.add(new Line(i, 0)));
        out.add(new Line("public final class " + className + " {", 0));
        out.add(new Line("    public static void run() throws Exception {", 0));
        statements.forEach(l -> out.add(new Line("        " + l.text(), l.number())));
        out.add(new Line("    }", 0));
        out.add(new Line("}", 0));
        out.addAll(types);
        StringBuilder text = new StringBuilder();
        int[] numbers = new int[out.size() + 1];
        for (int i = 0; i < out.size(); i++) {
            text.append(out.get(i).text()).append('\n');
            numbers[i + 1] = out.get(i).number();
        }
        return new Source(className, text.toString(), numbers);
    }

    // ------------------------------------------------------------------ compiling and running

    static void compileAndRun(Program program, Path work) throws Exception {
        String className = "ReadmeSnippet" + Math.abs(program.name().hashCode());
        Source source = source(program, className);
        Path classes = Files.createDirectories(work.resolve(className));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        JavaFileObject file = new SimpleJavaFileObject(java.net.URI.create("string:///" + className + ".java"),
                JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return source.text();
            }
        };
        List<String> options = List.of("--release", "17", "-proc:none", "-encoding", "UTF-8",
                "-classpath", System.getProperty("java.class.path"), "-d", classes.toString());
        StringWriter javacOut = new StringWriter();
        boolean ok;
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            ok = javac.getTask(javacOut, files, diagnostics, options, null, List.of(file)).call();
        }
        if (!ok) {
            StringBuilder msg = new StringBuilder(program.name() + ": the snippets do not compile");
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                if (d.getKind() == Diagnostic.Kind.ERROR) {
                    long line = d.getLineNumber();
                    int readmeLine = line > 0 && line < source.readmeLines().length ? source.readmeLines()[(int) line] : 0;
                    msg.append("\n  ").append(program.readme()).append(':').append(readmeLine > 0 ? readmeLine : "?")
                            .append(": ").append(d.getMessage(Locale.ROOT));
                }
            }
            throw new AssertionError(msg + "\n--- generated source ---\n" + numbered(source.text()));
        }
        run(program, className, classes);
    }

    private static void run(Program program, String className, Path classes) throws Exception {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8);
        String current = "the statements";
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                ReadmeSnippetsTest.class.getClassLoader())) {
            System.setOut(capture);
            System.setErr(capture);
            Class<?> main = loader.loadClass(className);
            main.getMethod("run").invoke(null);
            for (Class<?> type : topLevelTypes(loader, classes, className)) {
                for (Method m : type.getDeclaredMethods()) {
                    if (m.isAnnotationPresent(Test.class)) {
                        current = type.getSimpleName() + "." + m.getName();
                        Constructor<?> c = type.getDeclaredConstructor();
                        c.setAccessible(true);
                        m.setAccessible(true);
                        m.invoke(c.newInstance());
                    }
                }
            }
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            throw new AssertionError(program.name() + ": " + current + " threw " + cause + "\n--- output ---\n"
                    + captured.toString(StandardCharsets.UTF_8), cause);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private static List<Class<?>> topLevelTypes(ClassLoader loader, Path classes, String main) throws Exception {
        List<Class<?>> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(classes)) {
            for (Path p : files.sorted().toList()) {
                String name = p.getFileName().toString();
                if (name.endsWith(".class") && !name.contains("$") && !name.equals(main + ".class")) {
                    out.add(loader.loadClass(name.substring(0, name.length() - ".class".length())));
                }
            }
        }
        return out;
    }

    private static String numbered(String text) {
        StringBuilder sb = new StringBuilder();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            sb.append(String.format(Locale.ROOT, "%4d  %s%n", i + 1, lines[i]));
        }
        return sb.toString();
    }
}
