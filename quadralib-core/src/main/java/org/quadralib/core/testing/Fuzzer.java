package org.quadralib.core.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * A small deterministic mutational fuzzer for the file readers: inputs are derived from seed files (valid files
 * the library writes, plus hostile hand-made ones) by stacking 1 to 4 mutations (bit flips, interesting integers
 * in either byte order, JSON tokens, inserted, deleted, duplicated and spliced ranges, truncation). It is
 * coverage-free: the same seed gives the same inputs on every machine, which makes a finding reproducible from
 * its iteration number alone.
 *
 * <p>Every input must end in a result or a documented exception within {@link #PER_INPUT_NANOS} of CPU time;
 * anything else (another exception, an {@link Error} such as {@code OutOfMemoryError} or
 * {@code StackOverflowError}, a slow input) is a finding, printed with its bytes in Base64 and saved in the work
 * folder. Targets run in a child JVM with a 256 MiB heap ({@link #fork}), so "bounded memory" is checked too.
 */
public final class Fuzzer {

    /**
     * No input may take longer than this, in CPU time of the reading thread: the work an input costs, which a
     * loaded machine does not inflate the way it inflates wall-clock time.
     */
    public static final long PER_INPUT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    /** Reads one input file; returns normally on a valid file, throws on a refused one. */
    @FunctionalInterface
    public interface Target {
        /**
         * @param file the input, written to disk
         * @throws Exception whatever the reader throws
         */
        void read(Path file) throws Exception;
    }

    /** What a run found. */
    public record Result(String target, long inputs, long accepted, long refused, long maxMicros, double seconds,
                         List<String> findings) {
        /** One line for logs and the README. */
        public String summary() {
            return String.format(java.util.Locale.ROOT,
                    "%s: %d inputs in %.1f s, %d valid, %d refused as documented, slowest %.1f ms of CPU, %d findings",
                    target, inputs, seconds, accepted, refused, maxMicros / 1000.0, findings.size());
        }
    }

    private static final String[] TOKENS = {"{", "}", "[", "]", "\"", ",", ":", "null", "true", "-1", "0", "-0",
        "1e9999999999", "1e0", "0.0", "4.5", "9223372036854775807", "9223372036854775808", "18446744073709551616",
        "2147483648", "NaN", "Infinity", "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"", "\"F32\"",
        "\"U8\"", "\"\"", "\\u0000", "\\ud800", "\\", "\u00e9", "[[[[[[[[[[[[[[[[", "\"epoch\"", "\"step\"",
        "\"globalStep\"", "\"batchesDone\"", "\"version\"", "\"draws\""};
    private static final long[] INTERESTING = {0, 1, -1, 2, 7, 8, 16, 255, 256, 0x7f, 0x80, 0x7fff, 0x8000,
        0x7fffffffL, 0x80000000L, 0xffffffffL, Long.MAX_VALUE, Long.MIN_VALUE, 100L * 1024 * 1024,
        100L * 1024 * 1024 + 1};

    private final SplittableRandom random;
    private final List<byte[]> seeds;

    /**
     * @param seeds the inputs mutations start from (at least one)
     * @param seed  the generator seed: the same seed gives the same inputs
     */
    public Fuzzer(List<byte[]> seeds, long seed) {
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("Fuzzer: no seed input");
        }
        this.seeds = List.copyOf(seeds);
        this.random = new SplittableRandom(seed);
    }

    /** The next input: a seed with 1 to 4 stacked mutations (or, one time in 20, the seed itself). */
    public byte[] next() {
        byte[] data = seeds.get(random.nextInt(seeds.size())).clone();
        if (random.nextInt(20) == 0) {
            return data;
        }
        int mutations = 1 + random.nextInt(4);
        for (int i = 0; i < mutations; i++) {
            data = mutate(data);
        }
        return data;
    }

    private byte[] mutate(byte[] d) {
        int n = d.length;
        int at = n == 0 ? 0 : random.nextInt(n);
        switch (random.nextInt(10)) {
            case 0 -> {
                if (n > 0) {
                    d[at] ^= (byte) (1 << random.nextInt(8));
                }
                return d;
            }
            case 1 -> {
                if (n > 0) {
                    d[at] = (byte) random.nextInt(256);
                }
                return d;
            }
            case 2 -> {
                // An interesting integer of 1, 2, 4 or 8 bytes, either byte order.
                long v = INTERESTING[random.nextInt(INTERESTING.length)];
                int width = 1 << random.nextInt(4);
                boolean little = random.nextBoolean();
                for (int i = 0; i < width && at + i < n; i++) {
                    int shift = 8 * (little ? i : width - 1 - i);
                    d[at + i] = (byte) (v >>> shift);
                }
                return d;
            }
            case 3, 4 -> {
                byte[] token = TOKENS[random.nextInt(TOKENS.length)].getBytes(StandardCharsets.UTF_8);
                if (random.nextBoolean()) {
                    return splice(d, at, at, token);
                }
                return splice(d, at, Math.min(n, at + 1 + random.nextInt(Math.max(1, Math.min(8, n - at)))), token);
            }
            case 5 -> {
                int len = n == 0 ? 0 : 1 + random.nextInt(Math.min(64, n - at));
                return splice(d, at, at + len, new byte[0]);
            }
            case 6 -> {
                int len = n == 0 ? 0 : 1 + random.nextInt(Math.min(64, n - at));
                byte[] copy = java.util.Arrays.copyOfRange(d, at, at + len);
                int to = random.nextInt(n + 1);
                return splice(d, to, to, copy);
            }
            case 7 -> {
                byte[] other = seeds.get(random.nextInt(seeds.size()));
                int from = other.length == 0 ? 0 : random.nextInt(other.length);
                int len = Math.min(other.length - from, 1 + random.nextInt(256));
                return splice(d, at, Math.min(n, at + len), java.util.Arrays.copyOfRange(other, from, from + len));
            }
            case 8 -> {
                return java.util.Arrays.copyOf(d, n == 0 ? 0 : random.nextInt(n));
            }
            default -> {
                byte[] junk = new byte[1 + random.nextInt(16)];
                for (int i = 0; i < junk.length; i++) {
                    junk[i] = (byte) random.nextInt(256);
                }
                return splice(d, n, n, junk);
            }
        }
    }

    private static byte[] splice(byte[] d, int from, int to, byte[] insert) {
        byte[] out = new byte[d.length - (to - from) + insert.length];
        System.arraycopy(d, 0, out, 0, from);
        System.arraycopy(insert, 0, out, from, insert.length);
        System.arraycopy(d, to, out, from + insert.length, d.length - to);
        return out;
    }

    /**
     * Runs {@code inputs} inputs through {@code target}.
     *
     * @param documented whether a thrown exception is the documented refusal for {@code file}
     * @param work       a folder for the input file and any finding
     * @param prepare    writes one input as the target expects it (a file, or a file inside a folder) and returns
     *                   the path the target reads
     */
    public Result run(String name, long inputs, Path work, InputWriter prepare, Target target,
                      Documented documented) throws IOException {
        List<String> findings = new ArrayList<>();
        long accepted = 0;
        long refused = 0;
        long maxNanos = 0;
        long start = System.nanoTime();
        for (long i = 0; i < inputs; i++) {
            byte[] input = next();
            Path file = prepare.write(input, i);
            long t0 = CPU.getCurrentThreadCpuTime();
            String problem = null;
            try {
                target.read(file);
                accepted++;
            } catch (Throwable e) {
                if (e instanceof Exception ex && documented.test(ex, file)) {
                    refused++;
                } else {
                    problem = e.toString();
                    if (e instanceof VirtualMachineError) {
                        findings.add(finding(name, i, input, problem, work));
                        break;
                    }
                }
            }
            long nanos = CPU.getCurrentThreadCpuTime() - t0;
            maxNanos = Math.max(maxNanos, nanos);
            if (problem == null && nanos > PER_INPUT_NANOS) {
                problem = "took " + nanos / 1_000_000 + " ms of CPU";
            }
            if (problem != null) {
                findings.add(finding(name, i, input, problem, work));
                if (findings.size() >= 10) {
                    break;
                }
            }
        }
        return new Result(name, inputs, accepted, refused, maxNanos / 1000, (System.nanoTime() - start) / 1e9,
                findings);
    }

    /** Writes one input where the target reads it. */
    @FunctionalInterface
    public interface InputWriter {
        /**
         * @param input the bytes
         * @param index the input's number in the run
         * @return the path the target reads
         * @throws IOException if writing fails
         */
        Path write(byte[] input, long index) throws IOException;
    }

    /** Whether an exception is the documented refusal of an input. */
    @FunctionalInterface
    public interface Documented {
        /**
         * @param e    what the target threw
         * @param file the input the target read
         * @return true if {@code e} is documented for such input and names the file
         */
        boolean test(Exception e, Path file);
    }

    private static String finding(String name, long index, byte[] input, String problem, Path work) {
        String line = "FINDING " + name + " input " + index + ": " + problem + "\n  base64 "
                + Base64.getEncoder().encodeToString(input.length > 4096 ? java.util.Arrays.copyOf(input, 4096) : input);
        try {
            Files.write(work.resolve("finding-" + name + "-" + index + ".bin"), input);
        } catch (IOException | RuntimeException ignored) {
            // the message still carries the input
        }
        return line;
    }

    /**
     * Runs {@code main} in a child JVM with a 256 MiB heap on this JVM's class path; returns its exit code and
     * its output (standard error merged).
     *
     * @param args the child's arguments
     */
    public static Child fork(Class<?> main, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx256m");
        command.add("-Xss512k");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Child(p.waitFor(), out);
    }

    /** A finished child JVM. */
    public record Child(int exitCode, String output) {
    }

    /**
     * Prints the results and exits with 1 if any has a finding, keeping {@code work} (which holds the findings'
     * inputs), else deletes it and exits with 0: the end of a fuzzing child's main.
     */
    public static void report(List<Result> results, Path work) throws IOException {
        boolean found = false;
        for (Result r : results) {
            System.out.println("FUZZ " + r.summary());
            for (String f : r.findings()) {
                System.out.println(f);
                found = true;
            }
        }
        if (found) {
            System.out.println("inputs kept in " + work);
        } else {
            try (java.util.stream.Stream<Path> walk = Files.walk(work)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        System.out.flush();
        System.exit(found ? 1 : 0);
    }

    /** {@code key=value} arguments, e.g. {@code inputs=2000 seed=1}. */
    public static long arg(String[] args, String key, long fallback) {
        for (String a : args) {
            if (a.startsWith(key + "=")) {
                return Long.parseLong(a.substring(key.length() + 1));
            }
        }
        return fallback;
    }
}
