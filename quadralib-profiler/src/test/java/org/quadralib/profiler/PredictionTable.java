package org.quadralib.profiler;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.quadralib.core.memory.MemoryCategory;

/**
 * Writes the profiler README's table: every zoo model of the issue in every mode at two batch sizes, each cell in a
 * fresh JVM (workspaces never shrink, so a cell measured after a larger one would inherit them), predicted beside
 * measured. Run by {@code PredictionTableTest} when the system property {@code quadralib.predictionTable} names
 * the output file.
 */
final class PredictionTable {

    /** Model and the two batch sizes of each row group. */
    static final String[][] MODELS = {{"mlp", "32", "128"}, {"lenet5", "16", "64"}, {"vgg11", "16", "64"}, {"resnet20", "16", "64"},
        {"mobilenet", "16", "64"}};

    private PredictionTable() {
    }

    /** Child JVM: {@code model variant batch}; prints one tab-separated line of figures. */
    public static void main(String[] args) {
        PredictionCells.Cell c = PredictionCells.run(args[0], PredictionCells.Variant.valueOf(args[1]), Integer.parseInt(args[2]));
        StringBuilder sb = new StringBuilder("CELL");
        sb.append('\t').append(c.predicted().peakBytes()).append('\t').append(c.measured().peakTotalBytes());
        sb.append('\t').append(c.predicted().savedPeakBytes()).append('\t').append(c.measured().peakSavedBytes());
        for (MemoryCategory cat : PredictionCells.COMPARED) {
            sb.append('\t').append(c.predicted().categoryPeakBytes().get(cat)).append('\t').append(c.measured().peakBytes().get(cat));
        }
        sb.append('\t').append(c.misses().isEmpty() ? "-" : c.misses());
        System.out.println(sb);
    }

    /** Runs every cell and writes the Markdown table to {@code out}. */
    static void write(Path out, String classPath) throws IOException, InterruptedException {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "Measured %s on %s, %d threads, JDK %s (%s). MiB predicted / measured (ratio); "
                + "SGD with momentum; the last of three steps.", LocalDate.now(ZoneOffset.UTC), cpu(), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), System.getProperty("java.vm.name")));
        lines.add("");
        lines.add("| model | variant | batch | step peak | activations | activation gradients | saved | workspace | parameters+gradients+state | missed (>10%, over 1 MiB) |");
        lines.add("|---|---|---|---|---|---|---|---|---|---|");
        String java = java();
        for (String[] m : MODELS) {
            for (int b = 1; b <= 2; b++) {
                for (PredictionCells.Variant v : PredictionCells.Variant.values()) {
                    String[] cell = runCell(java, classPath, m[0], v, m[b]);
                    lines.add(row(m[0], v, m[b], cell));
                    System.err.println(lines.get(lines.size() - 1));
                }
            }
        }
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        Files.write(tmp, lines, StandardCharsets.UTF_8);
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The cell's figures from a fresh JVM: {@code CELL}, peak, saved and {@link PredictionCells#COMPARED} pairs, misses. */
    static String[] runCell(String java, String classPath, String model, PredictionCells.Variant v, String batch)
            throws IOException, InterruptedException {
        Process p = new ProcessBuilder(java, "-cp", classPath, PredictionTable.class.getName(), model, v.name(), batch)
                .redirectErrorStream(true).start();
        String cell = null;
        StringBuilder all = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null;) {
                all.append(line).append('\n');
                if (line.startsWith("CELL\t")) {
                    cell = line;
                }
            }
        }
        if (p.waitFor() != 0 || cell == null) {
            throw new IllegalStateException("PredictionTable: cell " + model + " " + v + " " + batch + " failed:\n" + all);
        }
        return cell.split("\t");
    }

    /** The java launcher of this JVM. */
    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String row(String model, PredictionCells.Variant v, String batch, String[] f) {
        long[] n = new long[f.length - 2];
        for (int i = 1; i < f.length - 1; i++) {
            n[i - 1] = Long.parseLong(f[i]);
        }
        // n: peak p/m, saved p/m, then COMPARED pairs: PARAMETER, GRADIENT, OPTIMIZER_STATE, ACTIVATION, ACTIVATION_GRADIENT, WORKSPACE, INPUT
        long staticP = n[4] + n[6] + n[8];
        long staticM = n[5] + n[7] + n[9];
        return "| " + model + " | " + v.label() + " | " + batch + " | " + pair(n[0], n[1]) + " | " + pair(n[10], n[11]) + " | " + pair(n[12], n[13])
                + " | " + pair(n[2], n[3]) + " | " + pair(n[14], n[15]) + " | " + pair(staticP, staticM) + " | " + f[f.length - 1] + " |";
    }

    private static String pair(long predicted, long measured) {
        return String.format(Locale.ROOT, "%.2f / %.2f (%.2f)", predicted / 1048576.0, measured / 1048576.0,
                measured == 0 ? Double.NaN : (double) predicted / measured);
    }

    private static String cpu() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // fall through: not Linux
        }
        return System.getProperty("os.arch");
    }
}
