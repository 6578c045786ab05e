package org.quadralib.viz;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.quadralib.core.GradMode;
import org.quadralib.core.Tensor;
import org.quadralib.core.memory.MemoryScope;
import org.quadralib.layers.Module;

/**
 * Images of a convolution layer's output for one input: every channel as a small picture in a grid, each
 * normalised to its own minimum and maximum and coloured with a viridis-like map (dark violet = the channel's
 * minimum, yellow = its maximum), and a first-order model's maps beside its quadratic twin's.
 *
 * <p>Drawing is off-screen on a {@link BufferedImage}; it works on a headless JVM.
 */
public final class ActivationMaps {

    /** Viridis at 0, 1/4, 1/2, 3/4 and 1; linear in between. */
    private static final int GAP = 4;
    private static final int LABEL_HEIGHT = 14;
    private static final int HEADER_HEIGHT = 28;
    /** Cells are scaled up to at least this many pixels on their longer side by {@link #grid(Tensor, int)}. */
    private static final int MIN_CELL = 48;

    private ActivationMaps() {
    }

    /**
     * The channels of {@code activations[sample]} as a grid, scaled so each cell is at least 48 pixels on
     * its longer side (at most 8 times the map).
     *
     * @param activations a layer output {@code [N, C, H, W]}
     * @throws IllegalArgumentException if the tensor is not 4-D or {@code sample} is out of range
     */
    public static BufferedImage grid(Tensor activations, int sample) {
        int side = activations.dim() == 4 ? Math.max(activations.size(2), activations.size(3)) : 1;
        return grid(activations, sample, Math.min(8, Math.max(1, (MIN_CELL + side - 1) / side)));
    }

    /**
     * The channels of {@code activations[sample]} as a grid of {@code ceil(sqrt(C))} columns, each cell the
     * {@code H × W} map enlarged {@code scale} times (nearest neighbour) under a label {@code c<index>}.
     * A constant channel is drawn in the minimum colour.
     *
     * @param activations a layer output {@code [N, C, H, W]}
     * @throws IllegalArgumentException if the tensor is not 4-D, {@code sample} is out of range or
     *     {@code scale < 1}
     */
    public static BufferedImage grid(Tensor activations, int sample, int scale) {
        int[] shape = activations.shape();
        if (shape.length != 4) {
            throw new IllegalArgumentException("ActivationMaps.grid: expected a layer output [N, C, H, W], got " + Arrays.toString(shape));
        }
        if (sample < 0 || sample >= shape[0]) {
            throw new IllegalArgumentException("ActivationMaps.grid: sample " + sample + " out of range for " + Arrays.toString(shape));
        }
        if (scale < 1) {
            throw new IllegalArgumentException("ActivationMaps.grid: scale must be >= 1, got " + scale);
        }
        int channels = shape[1];
        int h = shape[2];
        int w = shape[3];
        float[] v = activations.narrow(0, sample, 1).toFloatArray();
        int cols = (int) Math.ceil(Math.sqrt(channels));
        int rows = (channels + cols - 1) / cols;
        int cellW = w * scale;
        int cellH = h * scale;
        BufferedImage img = new BufferedImage(GAP + cols * (cellW + GAP), GAP + rows * (cellH + LABEL_HEIGHT + GAP),
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, img.getWidth(), img.getHeight());
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            g.setColor(Color.DARK_GRAY);
            for (int c = 0; c < channels; c++) {
                int x0 = GAP + (c % cols) * (cellW + GAP);
                int y0 = GAP + (c / cols) * (cellH + LABEL_HEIGHT + GAP);
                g.drawString("c" + c, x0, y0 + LABEL_HEIGHT - 3);
                paintChannel(img, v, c * h * w, h, w, scale, x0, y0 + LABEL_HEIGHT);
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    private static void paintChannel(BufferedImage img, float[] v, int off, int h, int w, int scale, int x0, int y0) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < h * w; i++) {
            float x = v[off + i];
            if (Float.isFinite(x)) {
                lo = Math.min(lo, x);
                hi = Math.max(hi, x);
            }
        }
        double range = hi > lo ? hi - lo : 1;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float val = v[off + y * w + x];
                int rgb = Float.isFinite(val) ? Palette.viridis((val - lo) / range) : 0xFF0000;
                for (int dy = 0; dy < scale; dy++) {
                    for (int dx = 0; dx < scale; dx++) {
                        img.setRGB(x0 + x * scale + dx, y0 + y * scale + dy, rgb);
                    }
                }
            }
        }
    }


    /**
     * The channel mean of one sample of a convolution's output: {@code m[y][x] = (1/C)·Σ_c a[sample, c, y, x]}.
     *
     * @param activations a layer output {@code [N, C, H, W]}
     * @return {@code [H][W]}
     * @throws IllegalArgumentException if the tensor is not 4-D or {@code sample} is out of range
     */
    public static float[][] channelMean(Tensor activations, int sample) {
        int[] shape = activations.shape();
        if (shape.length != 4) {
            throw new IllegalArgumentException("ActivationMaps.channelMean: expected a layer output [N, C, H, W], got " + Arrays.toString(shape));
        }
        if (sample < 0 || sample >= shape[0]) {
            throw new IllegalArgumentException("ActivationMaps.channelMean: sample " + sample + " out of range for " + Arrays.toString(shape));
        }
        int c = shape[1];
        int h = shape[2];
        int w = shape[3];
        float[] v = activations.narrow(0, sample, 1).toFloatArray();
        float[][] out = new float[h][w];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    out[y][x] += v[(ch * h + y) * w + x] / c;
                }
            }
        }
        return out;
    }

    /**
     * A table of maps on one colour scale (viridis from the smallest to the largest finite value of all of
     * them; non-finite values red), with row and column labels and a colour bar: e.g. one row per class (its test
     * image), one column per conv layer of the first-order model followed by the same layers of the quadratic
     * model, each cell {@link #channelMean} of that layer's output. Each map is scaled up to at least 48 pixels.
     *
     * @param title drawn above the table
     * @param rowLabels one label per row
     * @param columnLabels one label per column
     * @param maps {@code maps.get(row).get(column)} is a map {@code [H][W]} (sizes may differ between columns)
     * @throws IllegalArgumentException if the labels and maps disagree in number, a map is empty or ragged, or no
     *     value is finite
     */
    public static BufferedImage panel(String title, List<String> rowLabels, List<String> columnLabels, List<List<float[][]>> maps) {
        if (maps.size() != rowLabels.size() || maps.isEmpty()) {
            throw new IllegalArgumentException("ActivationMaps.panel: " + rowLabels.size() + " row labels for " + maps.size() + " rows of maps");
        }
        int cols = columnLabels.size();
        int[] cellW = new int[cols];
        int[] cellH = new int[cols];
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int r = 0; r < maps.size(); r++) {
            if (maps.get(r).size() != cols) {
                throw new IllegalArgumentException("ActivationMaps.panel: row " + r + " has " + maps.get(r).size() + " maps for " + cols + " columns");
            }
            for (int c = 0; c < cols; c++) {
                float[][] m = maps.get(r).get(c);
                if (m.length == 0 || m[0].length == 0) {
                    throw new IllegalArgumentException("ActivationMaps.panel: map at row " + r + ", column " + c + " is empty");
                }
                for (float[] line : m) {
                    if (line.length != m[0].length) {
                        throw new IllegalArgumentException("ActivationMaps.panel: map at row " + r + ", column " + c + " is ragged");
                    }
                    for (float v : line) {
                        if (Float.isFinite(v)) {
                            lo = Math.min(lo, v);
                            hi = Math.max(hi, v);
                        }
                    }
                }
                int scale = Math.max(1, (MIN_CELL + Math.max(m.length, m[0].length) - 1) / Math.max(m.length, m[0].length));
                cellW[c] = Math.max(cellW[c], m[0].length * scale);
                cellH[c] = Math.max(cellH[c], m.length * scale);
            }
        }
        if (lo > hi) {
            throw new IllegalArgumentException("ActivationMaps.panel: no finite value in any map");
        }
        double range = hi > lo ? hi - lo : 1;
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        Font bold = new Font(Font.SANS_SERIF, Font.BOLD, 15);
        BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D sg = scratch.createGraphics();
        FontMetrics fm = sg.getFontMetrics(font);
        sg.dispose();
        int labelW = 0;
        for (String l : rowLabels) {
            labelW = Math.max(labelW, fm.stringWidth(l));
        }
        int[] colW = new int[cols];
        int[] colX = new int[cols];
        int x = GAP + labelW + 2 * GAP;
        for (int c = 0; c < cols; c++) {
            colW[c] = Math.max(cellW[c], fm.stringWidth(columnLabels.get(c)));
            colX[c] = x;
            x += colW[c] + 2 * GAP;
        }
        int rowH = 0;
        for (int h : cellH) {
            rowH = Math.max(rowH, h);
        }
        int top = HEADER_HEIGHT + LABEL_HEIGHT + 2 * GAP;
        int barTop = top + maps.size() * (rowH + GAP) + 2 * GAP;
        int width = Math.max(x, GAP + 320);
        int height = barTop + 16 + LABEL_HEIGHT + 2 * GAP;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.BLACK);
            g.setFont(bold);
            g.drawString(title, GAP, HEADER_HEIGHT - 8);
            g.setFont(font);
            for (int c = 0; c < cols; c++) {
                g.drawString(columnLabels.get(c), colX[c], HEADER_HEIGHT + LABEL_HEIGHT);
            }
            for (int r = 0; r < maps.size(); r++) {
                int y0 = top + r * (rowH + GAP);
                g.setColor(Color.BLACK);
                g.drawString(rowLabels.get(r), GAP, y0 + rowH / 2 + fm.getAscent() / 2);
                for (int c = 0; c < cols; c++) {
                    float[][] m = maps.get(r).get(c);
                    int scale = Math.max(1, Math.min(cellW[c] / m[0].length, cellH[c] / m.length));
                    for (int yy = 0; yy < m.length; yy++) {
                        for (int xx = 0; xx < m[0].length; xx++) {
                            float v = m[yy][xx];
                            int rgb = Float.isFinite(v) ? Palette.viridis((v - lo) / range) : 0xFF0000;
                            g.setColor(new Color(rgb));
                            g.fillRect(colX[c] + xx * scale, y0 + yy * scale, scale, scale);
                        }
                    }
                }
            }
            int barW = width - 2 * GAP - 160;
            for (int i = 0; i < barW; i++) {
                g.setColor(new Color(Palette.viridis(i / (double) (barW - 1))));
                g.fillRect(GAP + 80 + i, barTop, 1, 16);
            }
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%.3g", lo), GAP, barTop + 13);
            g.drawString(String.format(Locale.ROOT, "%.3g", hi), GAP + 84 + barW, barTop + 13);
            g.drawString("channel-mean activation (one scale for every map)", GAP + 80, barTop + 16 + LABEL_HEIGHT);
        } finally {
            g.dispose();
        }
        return img;
    }

    /**
     * Two images side by side, each under its label (a panel is as wide as the wider of its image and its
     * label), on a white background.
     */
    public static BufferedImage sideBySide(String leftLabel, BufferedImage left, String rightLabel, BufferedImage right) {
        Font font = new Font(Font.SANS_SERIF, Font.BOLD, 14);
        BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D sg = scratch.createGraphics();
        FontMetrics fm = sg.getFontMetrics(font);
        sg.dispose();
        int leftW = Math.max(left.getWidth(), fm.stringWidth(leftLabel));
        int rightW = Math.max(right.getWidth(), fm.stringWidth(rightLabel));
        int rightX = GAP + leftW + 4 * GAP;
        int width = rightX + rightW + GAP;
        int height = HEADER_HEIGHT + Math.max(left.getHeight(), right.getHeight()) + GAP;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(font);
            g.setColor(Color.BLACK);
            int baseline = (HEADER_HEIGHT + fm.getAscent()) / 2;
            g.drawString(leftLabel, GAP, baseline);
            g.drawString(rightLabel, rightX, baseline);
            g.drawImage(left, GAP, HEADER_HEIGHT, null);
            g.drawImage(right, rightX, HEADER_HEIGHT, null);
        } finally {
            g.dispose();
        }
        return img;
    }

    /**
     * The output of the module at {@code layerPath} (a name of {@link Module#namedModules()}) when
     * {@code model} runs on {@code input}, without recording gradients. The copy is made outside any memory
     * scope, so it stays readable after the caller's scope closes. The model's train/eval mode is left as is.
     *
     * @throws IllegalArgumentException if the model has no module at {@code layerPath}, or that module did not
     *     run
     */
    public static Tensor capture(Module model, String layerPath, Tensor input) {
        Map<String, Module> modules = model.namedModules();
        Module layer = modules.get(layerPath);
        if (layer == null) {
            throw new IllegalArgumentException("ActivationMaps.capture: " + model.describe() + " has no module '" + layerPath
                    + "'; modules: " + modules.keySet());
        }
        Tensor[] captured = new Tensor[1];
        try (Module.HookHandle h = layer.addPostHook((m, in, out) -> {
            captured[0] = MemoryScope.outside(() -> Tensor.of(out.toFloatArray(), out.shape()));
            return null;
        }); GradMode.Scope s = GradMode.noGrad()) {
            model.forward(input);
        }
        if (captured[0] == null) {
            throw new IllegalArgumentException("ActivationMaps.capture: " + layer.describe() + " did not run in " + model.describe()
                    + ".forward");
        }
        return captured[0];
    }

    /**
     * The channel grids of the module at {@code layerPath} in a first-order model and in its quadratic twin,
     * for the same input, side by side under the labels {@code first-order: <layer>} and
     * {@code quadratic: <layer>}.
     *
     * @param input a batch {@code [N, ...]}; sample {@code sample} is shown
     * @throws IllegalArgumentException if either model lacks the module or its output is not {@code [N, C, H, W]}
     */
    public static BufferedImage compare(Module firstOrder, Module quadratic, String layerPath, Tensor input, int sample) {
        Tensor a = capture(firstOrder, layerPath, input);
        Tensor b = capture(quadratic, layerPath, input);
        return sideBySide("first-order: " + firstOrder.namedModules().get(layerPath).describe(), grid(a, sample),
                "quadratic: " + quadratic.namedModules().get(layerPath).describe(), grid(b, sample));
    }
}
