package org.quadralib.profiler;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.quadralib.core.memory.MemoryCategory;

/** Renders a {@link MemoryReport} as aligned text tables. */
final class ReportText {

    /** Steps shown at each end of a long step table. */
    private static final int STEP_ROWS_EACH_END = 5;

    private ReportText() {
    }

    static String render(MemoryReport r) {
        MemoryPrediction pred = r.prediction();
        StringBuilder sb = new StringBuilder();
        sb.append("Memory report: ").append(r.model());
        sb.append(pred == null ? " (no prediction)" : " (prediction: " + pred.source() + ")").append("\n\n");

        Table modules = new Table(2, "module", "type", "params meas / pred", "grads meas / pred", "saved act. peak meas / pred",
                "peak transient");
        long savedSum = 0;
        long transientSum = 0;
        for (MemoryReport.ModuleMemory m : r.modules()) {
            MemoryPrediction.ModulePrediction mp = pred == null ? null : pred.modules().get(m.path());
            modules.row(m.path().isEmpty() ? "<root>" : m.path(), m.type(),
                    pair(m.parameterBytes(), pred == null ? null : mp == null ? MemoryPrediction.UNKNOWN : mp.parameterBytes()),
                    pair(m.gradientBytes(), pred == null ? null : mp == null ? MemoryPrediction.UNKNOWN : mp.gradientBytes()),
                    pair(m.saved().peakBytes(), pred == null ? null : mp == null ? MemoryPrediction.UNKNOWN : mp.savedActivationBytes()),
                    bytes(m.peakTransientBytes()));
            savedSum += m.saved().peakBytes();
            transientSum += m.peakTransientBytes();
        }
        MemoryReport.StaticMemory st = r.statics();
        modules.row("total (sum of rows)", "",
                pair(st.parameterBytes(), pred == null ? null : pred.totalParameterBytes()),
                pair(st.gradientBytes(), pred == null ? null : pred.totalGradientBytes()),
                pair(savedSum, pred == null ? null : pred.totalSavedActivationBytes()),
                bytes(transientSum));
        modules.appendTo(sb);
        sb.append("Buffers ").append(bytes(st.bufferBytes())).append("; optimizer state ")
                .append(bytes(r.categories().get(MemoryCategory.OPTIMIZER_STATE).allocatedBytes())).append(" allocated since attach, ")
                .append(bytes(st.optimizerStateBytes())).append(" held process-wide");
        if (pred != null) {
            sb.append(" (predicted ").append(predicted(pred.optimizerStateBytes())).append(')');
        }
        sb.append("\n\n");

        sb.append("Totals per category since attach\n");
        Table cats = new Table(1, "category", "current", "peak", "allocated");
        for (Map.Entry<MemoryCategory, MemoryReport.Usage> e : r.categories().entrySet()) {
            MemoryReport.Usage u = e.getValue();
            cats.row(e.getKey().name(), bytes(u.currentBytes()), bytes(u.peakBytes()), bytes(u.allocatedBytes()));
        }
        cats.row("all categories", "", bytes(r.peakTotalBytes()), "");
        MemoryReport.Usage s = r.saved();
        cats.row("saved for backward", bytes(s.currentBytes()), bytes(s.peakBytes()), bytes(s.allocatedBytes()));
        cats.appendTo(sb);
        sb.append('\n');

        if (!r.savedByOp().isEmpty()) {
            sb.append("Saved for backward by op\n");
            Table ops = new Table(1, "op", "current", "peak", "total saved");
            for (Map.Entry<String, MemoryReport.Usage> e : r.savedByOp().entrySet()) {
                MemoryReport.Usage u = e.getValue();
                ops.row(e.getKey(), bytes(u.currentBytes()), bytes(u.peakBytes()), bytes(u.allocatedBytes()));
            }
            ops.appendTo(sb);
            sb.append('\n');
        }

        sb.append("Per phase\n");
        Table ph = new Table(1, "phase", "entries", "peak total", "peak saved", "allocated");
        for (Map.Entry<Phase, MemoryReport.PhaseMemory> e : r.phases().entrySet()) {
            MemoryReport.PhaseMemory p = e.getValue();
            long alloc = 0;
            for (long v : p.allocatedBytes().values()) {
                alloc += v;
            }
            ph.row(e.getKey().name(), Long.toString(p.entries()), bytes(p.peakTotalBytes()), bytes(p.peakSavedBytes()), bytes(alloc));
        }
        ph.appendTo(sb);
        sb.append('\n');

        List<MemoryReport.StepMemory> steps = r.steps();
        sb.append("Steps: ").append(steps.size()).append(" recorded");
        if (r.droppedSteps() > 0) {
            sb.append(", ").append(r.droppedSteps()).append(" older dropped");
        }
        sb.append('\n');
        if (!steps.isEmpty()) {
            Table t = new Table(1, "step", "peak total", "peak saved", "allocated (library)", "JVM alloc (thread)", "JVM alloc (all)",
                    "heap used");
            for (int i = 0; i < steps.size(); i++) {
                if (steps.size() > 2 * STEP_ROWS_EACH_END && i == STEP_ROWS_EACH_END) {
                    t.row("...", "", "", "", "", "", "");
                    i = steps.size() - STEP_ROWS_EACH_END;
                }
                MemoryReport.StepMemory m = steps.get(i);
                t.row(Integer.toString(m.step()), bytes(m.peakTotalBytes()), bytes(m.peakSavedBytes()), bytes(m.trackedAllocatedBytes()),
                        bytes(m.jvmAllocatedBytes()), bytes(m.jvmAllocatedBytesAllThreads()), bytes(m.heapUsedBytes()));
            }
            t.appendTo(sb);
        }
        sb.append('\n');

        MemoryReport.JvmMemory j = r.jvm();
        sb.append("JVM: heap used ").append(bytes(j.heapUsedBytes())).append(", committed ").append(bytes(j.heapCommittedBytes()))
                .append(", max ").append(bytes(j.heapMaxBytes())).append("; allocated since attach: ")
                .append(bytes(j.allocatedBytesThisThread())).append(" (attaching thread), ")
                .append(bytes(j.allocatedBytesAllThreads())).append(" (all threads)\n");
        MemoryReport.Timeline tl = r.timeline();
        sb.append("Timeline: ").append(tl.samples().size()).append(" samples kept of ").append(tl.recorded())
                .append(" recorded (").append(tl.stride()).append(" per kept sample, capacity ").append(tl.capacity()).append(")\n");
        if (r.unmatchedReleaseBytes() > 0) {
            sb.append("Released but allocated before attach: ").append(bytes(r.unmatchedReleaseBytes())).append('\n');
        }
        return sb.toString();
    }

    private static String pair(long measured, Long predicted) {
        return predicted == null ? bytes(measured) : bytes(measured) + " / " + predicted(predicted);
    }

    private static String predicted(long v) {
        return v == MemoryPrediction.UNKNOWN ? "?" : bytes(v);
    }

    /** {@code 512 B}, {@code 3.0 KiB}, {@code 1.25 MiB}, {@code 2.00 GiB}; negative (not measured) is {@code n/a}. */
    static String bytes(long b) {
        if (b < 0) {
            return "n/a";
        }
        if (b < 1024) {
            return b + " B";
        }
        if (b < 1024L * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        }
        if (b < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.2f MiB", b / (1024.0 * 1024));
        }
        return String.format(Locale.ROOT, "%.2f GiB", b / (1024.0 * 1024 * 1024));
    }

    /** Columns padded to their widest cell; the leading text columns left-aligned, the numbers right-aligned. */
    private static final class Table {
        private final int textColumns;
        private final List<String[]> rows = new ArrayList<>();

        Table(int textColumns, String... header) {
            this.textColumns = textColumns;
            rows.add(header);
        }

        void row(String... cells) {
            rows.add(cells);
        }

        void appendTo(StringBuilder sb) {
            int cols = rows.get(0).length;
            int[] width = new int[cols];
            for (String[] r : rows) {
                for (int c = 0; c < cols; c++) {
                    width[c] = Math.max(width[c], r[c].length());
                }
            }
            for (String[] r : rows) {
                StringBuilder line = new StringBuilder();
                for (int c = 0; c < cols; c++) {
                    if (c > 0) {
                        line.append("  ");
                    }
                    String pad = " ".repeat(width[c] - r[c].length());
                    line.append(c < textColumns ? r[c] + pad : pad + r[c]);
                }
                sb.append(line.toString().stripTrailing()).append('\n');
            }
        }
    }
}
