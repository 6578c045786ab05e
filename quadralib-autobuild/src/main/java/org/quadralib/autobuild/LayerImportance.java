package org.quadralib.autobuild;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

import org.quadralib.core.Tensor;
import org.quadralib.core.data.DataLoader;
import org.quadralib.layers.Module;
import org.quadralib.layers.QuadraticLayer;
import org.quadralib.layers.train.Trainer;

/**
 * The relative importance of each quadratic layer, as the QuadraLib paper defines it:
 * {@code RI = P_M · P_W / δ_A}, with {@code P_M} the layer's share of the model's parameters, {@code P_W} its share of
 * the model's MACs, and {@code δ_A} the drop in validation accuracy when the layer's quadratic term is masked.
 *
 * <p>RI is the cost of the quadratic term per unit of accuracy it buys: a layer with a high RI is expensive and
 * contributes little (the first to make first-order), one with a low RI is cheap and contributes much.
 *
 * <p>Masking is deterministic: {@link QuadraticLayer#quadraticTermMasked(boolean)} makes the layer compute its
 * linear term only (the quadratic term exactly zero), one layer at a time, every other layer intact; nothing is
 * dropped at random, so the same model and data give the same scores.
 *
 * <p><b>δ_A ≤ 0.</b> When masking a layer's quadratic term costs no accuracy (or gains some), the term buys nothing
 * measurable on this validation set, and its cost per unit of accuracy is unbounded: RI = +∞, the layer is safe to
 * make first-order. (Dividing by a zero or negative drop would give a meaningless or negative importance.) The
 * accuracy resolution is one validation sample, so a small validation set makes more layers +∞; {@link Explorer}
 * keeps such layers only after every layer that measurably helps.
 */
public final class LayerImportance {

    private LayerImportance() {
    }

    /**
     * One quadratic layer's figures.
     *
     * @param path module path
     * @param type neuron type and layer class, e.g. {@code PROPOSED QuadraticConv2d}
     * @param params the layer's parameter elements
     * @param macs the layer's MACs on the example batch
     * @param paramShare P_M = params / the model's parameters
     * @param macShare P_W = macs / the model's MACs
     * @param maskedAccuracy validation accuracy with this layer's quadratic term masked
     * @param accuracyDrop δ_A = baseline accuracy − masked accuracy
     * @param importance RI = P_M·P_W/δ_A, {@code +∞} when δ_A ≤ 0
     */
    public record Score(String path, String type, long params, long macs, double paramShare, double macShare, double maskedAccuracy,
            double accuracyDrop, double importance) {
    }

    /**
     * The scores of a model.
     *
     * @param baselineAccuracy validation accuracy with every quadratic term active
     * @param totalParams the model's parameter elements
     * @param totalMacs the model's MACs on the example batch
     * @param layers one score per quadratic layer, in traversal order
     */
    public record Scores(double baselineAccuracy, long totalParams, long totalMacs, List<Score> layers) {

        /** Copies the list. */
        public Scores {
            layers = List.copyOf(layers);
        }

        /**
         * The score of the layer at {@code path}.
         *
         * @throws IllegalArgumentException if there is no quadratic layer there
         */
        public Score layer(String path) {
            for (Score s : layers) {
                if (s.path().equals(path)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("LayerImportance: no quadratic layer '" + path + "' was scored");
        }

        /** A table: path, type, parameters, MACs, P_M, P_W, masked accuracy, δ_A, RI. */
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "Layer importance (baseline accuracy %.4f)%n", baselineAccuracy));
            String fmt = "%-" + width() + "s  %-26s  %12s  %15s  %7s  %7s  %9s  %8s  %10s%n";
            sb.append(String.format(Locale.ROOT, fmt, "Layer", "Type", "Params", "MACs", "P_M", "P_W", "Masked acc", "δ_A", "RI"));
            for (Score s : layers) {
                sb.append(String.format(Locale.ROOT, fmt, s.path(), s.type(), String.format(Locale.ROOT, "%,d", s.params()),
                        String.format(Locale.ROOT, "%,d", s.macs()), pct(s.paramShare()), pct(s.macShare()),
                        String.format(Locale.ROOT, "%.4f", s.maskedAccuracy()), String.format(Locale.ROOT, "%+.4f", s.accuracyDrop()),
                        ri(s.importance())));
            }
            return sb.toString();
        }

        private int width() {
            int w = 5;
            for (Score s : layers) {
                w = Math.max(w, s.path().length());
            }
            return w;
        }
    }

    static String pct(double share) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * share);
    }

    static String ri(double value) {
        return Double.isInfinite(value) ? "+inf" : String.format(Locale.ROOT, "%.3e", value);
    }

    /**
     * Scores every quadratic layer of {@code model} by its accuracy on {@code validation} (all of its batches, epoch-0
     * order, evaluation mode), with the shares of parameters and MACs measured on the loader's first batch.
     *
     * @throws IllegalArgumentException if the loader yields no batch or the model has no quadratic layer
     */
    public static Scores score(Module model, DataLoader validation) {
        Trainer evaluator = new Trainer(Trainer.Config.sgd(0f, 0f));
        return score(model, firstBatch(validation), m -> evaluator.evaluate(m, validation).accuracy());
    }

    /**
     * Scores every quadratic layer of {@code model}.
     *
     * @param exampleInput a batch on which parameters and MACs are counted ({@link Summary})
     * @param accuracy the validation accuracy of a model (any metric where higher is better); called once with every
     *     quadratic term active and once per layer with that layer's quadratic term masked
     * @throws IllegalArgumentException if the model has no quadratic layer
     */
    public static Scores score(Module model, Tensor exampleInput, ToDoubleFunction<Module> accuracy) {
        return score(model, Summary.of(model, exampleInput), accuracy);
    }

    static Scores score(Module model, Summary summary, ToDoubleFunction<Module> accuracy) {
        Objects.requireNonNull(accuracy, "accuracy");
        Map<String, QuadraticLayer> layers = quadraticLayers(model);
        long totalParams = summary.totalParams();
        long totalMacs = summary.totalMacs();
        double baseline = accuracy.applyAsDouble(model);
        List<Score> scores = new ArrayList<>();
        for (Map.Entry<String, QuadraticLayer> e : layers.entrySet()) {
            QuadraticLayer q = e.getValue();
            boolean wasMasked = q.quadraticTermMasked();
            double masked;
            q.quadraticTermMasked(true);
            try {
                masked = accuracy.applyAsDouble(model);
            } finally {
                q.quadraticTermMasked(wasMasked);
            }
            long params = q.parameterCount();
            long macs = macsOf(summary, e.getKey());
            double pm = totalParams == 0 ? 0 : (double) params / totalParams;
            double pw = totalMacs == 0 ? 0 : (double) macs / totalMacs;
            double drop = baseline - masked;
            double ri = drop > 0 ? pm * pw / drop : Double.POSITIVE_INFINITY;
            scores.add(new Score(e.getKey(), q.neuronType().name() + " " + q.getClass().getSimpleName(), params, macs, pm, pw, masked,
                    drop, ri));
        }
        return new Scores(baseline, totalParams, totalMacs, scores);
    }

    /**
     * The quadratic layers of {@code model} by path, in traversal order.
     *
     * @throws IllegalArgumentException if there is none
     */
    static Map<String, QuadraticLayer> quadraticLayers(Module model) {
        Map<String, QuadraticLayer> out = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            if (e.getValue() instanceof QuadraticLayer q) {
                out.put(e.getKey(), q);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("LayerImportance: " + model.describe() + " has no quadratic layer to score"
                    + " (convert it first with Converter.convert)");
        }
        return Collections.unmodifiableMap(out);
    }

    /** MACs of every call of the module at {@code path}. */
    static long macsOf(Summary summary, String path) {
        long n = 0;
        for (Summary.Row r : summary.rows()) {
            if (r.path().equals(path)) {
                n += r.macs();
            }
        }
        return n;
    }

    /**
     * The inputs of the loader's first batch (epoch-0 order).
     *
     * @throws IllegalArgumentException if the loader yields no batch
     */
    static Tensor firstBatch(DataLoader loader) {
        try (DataLoader.BatchIterator it = loader.iterator(0)) {
            if (!it.hasNext()) {
                throw new IllegalArgumentException("LayerImportance: the validation loader yields no batch");
            }
            return it.next().inputs();
        }
    }
}
