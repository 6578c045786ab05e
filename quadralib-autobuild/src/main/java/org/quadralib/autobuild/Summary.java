package org.quadralib.autobuild;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.quadralib.core.Shapes;
import org.quadralib.core.Tensor;
import org.quadralib.layers.Module;
import org.quadralib.layers.Parameter;

/**
 * A torchinfo-like table of a model on an example input: per module call its path, type, output shape, parameters,
 * MACs and the bytes it saves for back-propagation, with totals.
 *
 * <p>The figures:
 * <ul>
 *   <li><b>parameters</b>: for a layer (see {@link Tracer#isLayer}) every parameter element it and its folded
 *       children own; for a container only its own (usually none, shown {@code --});</li>
 *   <li><b>MACs</b>: {@link Macs} (one multiply-accumulate per weight use), for the whole example batch;</li>
 *   <li><b>saved bytes</b>: bytes of the distinct tensor storages the call saved for backward during a traced
 *       forward pass in training mode, as the saved-tensor registry ({@link org.quadralib.core.SavedTensors}) counts
 *       them: a storage saved by two ops counts once, for the first; parameters count nowhere. A container's figure is
 *       what the ops in its own {@code compute} saved (the activation after a residual add). This is the activation
 *       memory training holds between forward and backward, measured rather than assumed, so a quadratic layer in
 *       hybrid mode shows its input only and one in standard mode its branch outputs as well.</li>
 * </ul>
 * {@link #predictedActivationBytes(int)} scales the measured figures linearly to another batch size, which is how a
 * memory prediction for a training run is built from a summary taken on a small example batch.
 */
public final class Summary {

    /**
     * One module call.
     *
     * @param path dotted module path ({@code ""} for the root)
     * @param type class name
     * @param depth nesting depth (0 for the root)
     * @param call 0 for the first call of this module in the pass, 1 for the second, ...
     * @param layer true for a layer (traced as one node), false for a container
     * @param inputShape shape of its input
     * @param outputShape shape of its output
     * @param params parameter elements (a layer: including folded children; a container: its own)
     * @param macs multiply-accumulates of this call
     * @param savedBytes bytes this call saved for backward
     */
    public record Row(String path, String type, int depth, int call, boolean layer, int[] inputShape, int[] outputShape, long params,
            long macs, long savedBytes) {
    }

    private final Module model;
    private final int[] inputShape;
    private final List<Row> rows;
    private final Graph graph;
    private final long totalParams;
    private final long quadraticParams;
    private final long savedOutsideModules;

    private Summary(Module model, int[] inputShape, List<Row> rows, Graph graph, long savedOutsideModules) {
        this.model = model;
        this.inputShape = inputShape;
        this.rows = Collections.unmodifiableList(rows);
        this.graph = graph;
        this.savedOutsideModules = savedOutsideModules;
        long total = 0;
        long quadratic = 0;
        for (Parameter p : model.namedParameters().values()) {
            total += p.tensor().numel();
            if (p.quadratic()) {
                quadratic += p.tensor().numel();
            }
        }
        this.totalParams = total;
        this.quadraticParams = quadratic;
    }

    /**
     * Traces {@code model} on {@code exampleInput} in training mode (every module's mode is restored afterwards) and
     * tabulates it. The model's parameters, buffers and gradients are left as they were (see {@link Tracer}).
     *
     * @param exampleInput a batch, e.g. {@code [N, C, H, W]} with N ≥ 2 if the model batch-normalises
     * @throws org.quadralib.layers.ShapeMismatchException if the model rejects the input
     */
    public static Summary of(Module model, Tensor exampleInput) {
        Map<Module, Boolean> modes = new LinkedHashMap<>();
        for (Module m : model.namedModules().values()) {
            modes.put(m, m.isTraining());
        }
        Tracer.Recording rec;
        model.train(true);
        try {
            rec = Tracer.record(model, exampleInput);
        } finally {
            // Pre-order: a parent's train() resets its children, which are then set to their own modes.
            modes.forEach((m, on) -> m.train(on));
        }
        List<Row> rows = new ArrayList<>();
        for (Tracer.Call c : rec.calls()) {
            long params = c.layer ? c.module.parameterCount() : localParams(c.module);
            long macs = c.layer ? Macs.of(c.module, c.inputShape, c.outputShape) : 0;
            rows.add(new Row(c.path, c.module.getClass().getSimpleName(), c.depth, c.call, c.layer, c.inputShape, c.outputShape, params,
                    macs, c.savedBytes));
        }
        return new Summary(model, exampleInput.shape(), rows, rec.graph(), rec.savedBytesOutsideModules());
    }

    private static long localParams(Module m) {
        long n = 0;
        for (Parameter p : m.localParameters().values()) {
            n += p.tensor().numel();
        }
        return n;
    }

    /** Every module call, parents before children, in call order. */
    public List<Row> rows() {
        return rows;
    }

    /** The layer calls only (the rows that carry parameters and MACs). */
    public List<Row> layers() {
        List<Row> out = new ArrayList<>();
        for (Row r : rows) {
            if (r.layer()) {
                out.add(r);
            }
        }
        return out;
    }

    /**
     * The first call of the module at {@code path}.
     *
     * @throws IllegalArgumentException if that module did not run in the traced pass
     */
    public Row row(String path) {
        for (Row r : rows) {
            if (r.path().equals(path) && r.call() == 0) {
                return r;
            }
        }
        throw new IllegalArgumentException("Summary: no module '" + path + "' ran on input " + Shapes.str(inputShape));
    }

    /** The traced graph. */
    public Graph graph() {
        return graph;
    }

    /** The example input's shape. */
    public int[] inputShape() {
        return inputShape.clone();
    }

    /** Parameter elements of the model (each shared tensor once per registration). */
    public long totalParams() {
        return totalParams;
    }

    /** Parameter elements registered as quadratic weights. */
    public long quadraticParams() {
        return quadraticParams;
    }

    /** MACs of the whole pass on the example input. */
    public long totalMacs() {
        long n = 0;
        for (Row r : rows) {
            n += r.macs();
        }
        return n;
    }

    /** Bytes saved for backward during the pass on the example input, all modules together. */
    public long savedActivationBytes() {
        long n = savedOutsideModules;
        for (Row r : rows) {
            n += r.savedBytes();
        }
        return n;
    }

    /** {@code 4 · totalParams()}: float32 weights. */
    public long parameterBytes() {
        return 4L * totalParams;
    }

    /**
     * Saved-for-backward bytes by module path (calls of one module summed, {@code ""} for the root and for ops run
     * outside any module), scaled linearly from the example batch to {@code batchSize}:
     * {@code bytes · batchSize / N}.
     *
     * @throws IllegalArgumentException if {@code batchSize} is not positive
     */
    public Map<String, Long> predictedActivationBytes(int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("Summary.predictedActivationBytes: batch size must be positive, got " + batchSize);
        }
        int n = inputShape.length == 0 ? 1 : inputShape[0];
        Map<String, Long> out = new LinkedHashMap<>();
        for (Row r : rows) {
            out.merge(r.path(), r.savedBytes(), Long::sum);
        }
        if (savedOutsideModules > 0) {
            out.merge("", savedOutsideModules, Long::sum);
        }
        out.replaceAll((k, v) -> v * batchSize / n);
        return out;
    }

    /**
     * Predicted training memory at {@code batchSize}: weights and their gradients ({@code 2 · parameterBytes()}) plus
     * the scaled saved activations; optimizer state (none for plain SGD, one weight-sized buffer per moment for momentum
     * and Adam) comes on top.
     *
     * @throws IllegalArgumentException if {@code batchSize} is not positive
     */
    public long predictedTrainingBytes(int batchSize) {
        long n = 2 * parameterBytes();
        for (long v : predictedActivationBytes(batchSize).values()) {
            n += v;
        }
        return n;
    }

    /** The table, torchinfo style, with totals. */
    @Override
    public String toString() {
        List<String[]> cells = new ArrayList<>();
        cells.add(new String[] {"Layer (type)", "Output shape", "Params", "MACs", "Saved bytes"});
        for (Row r : rows) {
            String name = r.path().isEmpty() ? model.getClass().getSimpleName() : r.path() + (r.call() > 0 ? "#" + (r.call() + 1) : "")
                    + " (" + r.type() + ")";
            cells.add(new String[] {"  ".repeat(r.depth()) + name, Shapes.str(r.outputShape()),
                    r.layer() || r.params() > 0 ? num(r.params()) : "--", r.layer() ? num(r.macs()) : "--", num(r.savedBytes())});
        }
        int[] w = new int[5];
        for (String[] row : cells) {
            for (int i = 0; i < w.length; i++) {
                w[i] = Math.max(w[i], row[i].length());
            }
        }
        int width = w[0] + w[1] + w[2] + w[3] + w[4] + 8;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String[] row = cells.get(i);
            sb.append(String.format(Locale.ROOT, "%-" + w[0] + "s  %-" + w[1] + "s  %" + w[2] + "s  %" + w[3] + "s  %" + w[4] + "s%n",
                    (Object[]) row));
            if (i == 0) {
                sb.append("=".repeat(width)).append(System.lineSeparator());
            }
        }
        sb.append("=".repeat(width)).append(System.lineSeparator());
        sb.append("Input shape: ").append(Shapes.str(inputShape)).append(System.lineSeparator());
        sb.append("Total params: ").append(num(totalParams)).append(" (quadratic: ").append(num(quadraticParams)).append(')')
                .append(System.lineSeparator());
        sb.append("Total MACs: ").append(num(totalMacs())).append(System.lineSeparator());
        sb.append("Parameter bytes: ").append(num(parameterBytes())).append(System.lineSeparator());
        sb.append("Saved activation bytes (training): ").append(num(savedActivationBytes())).append(System.lineSeparator());
        return sb.toString();
    }

    private static String num(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }
}
