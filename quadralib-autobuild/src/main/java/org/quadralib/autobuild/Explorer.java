package org.quadralib.autobuild;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

import org.quadralib.core.Tensor;
import org.quadralib.core.data.DataLoader;
import org.quadralib.layers.Module;
import org.quadralib.layers.QuadraticLayer;
import org.quadralib.layers.train.Trainer;

/**
 * Design exploration: which layers of a trained quadratic model stay quadratic under a {@link Budget}.
 *
 * <p>Every quadratic layer is scored by {@link LayerImportance} (RI = P_M·P_W/δ_A, its cost per unit of accuracy).
 * The cost of a configuration is the all-first-order model's cost plus, for each layer kept quadratic, that layer's
 * extra cost over its first-order twin ({@link Converter#firstOrderTwin}): exact for parameters and MACs, which add
 * up layer by layer; for training memory the extra weights and gradients plus the change in the bytes the layer saves
 * for backward, as {@link Summary} measures them.
 *
 * <p><b>The choice is greedy by importance</b>, as a knapsack filled by value per cost: starting from the
 * all-first-order model, layers are considered in increasing RI (ties: the cheaper first) and each is kept quadratic
 * if its extra cost still fits the budget, otherwise made first-order; a layer that does not fit does not stop
 * cheaper ones later in the order from being kept. Layers with RI = +∞ (masking them cost no accuracy) come last, so
 * they are kept only with budget to spare. The mixed model is then built and summarised, and its actual cost checked;
 * should it exceed the budget (memory attribution between neighbouring layers can shift), the kept layer with the
 * highest RI is made first-order until it fits.
 *
 * <p>The result keeps the trained weights: it is a copy of the model in which the demoted layers are replaced by
 * their first-order twins (which keep the linear term's weights, so each computes what its masked quadratic layer
 * did); the input model is not modified.
 */
public final class Explorer {

    private Explorer() {
    }

    /** Whether a layer stays quadratic. */
    public enum Decision {
        /** The layer stays quadratic. */
        QUADRATIC,
        /** The layer is replaced by its first-order twin. */
        FIRST_ORDER
    }

    /**
     * One layer's figures and the decision.
     *
     * @param score its importance
     * @param extraCost what keeping it quadratic costs over its first-order twin, in the budget's measure
     * @param decision what was decided
     * @param reason why
     */
    public record LayerDecision(LayerImportance.Score score, long extraCost, Decision decision, String reason) {
    }

    /**
     * The outcome of an exploration.
     *
     * @param model the mixed model (a new module tree)
     * @param budget the budget
     * @param scores the layer importances of the input model
     * @param layers every quadratic layer of the input, in traversal order, with its decision
     * @param allQuadraticCost the input model's cost
     * @param allFirstOrderCost the cost with every quadratic layer made first-order
     * @param cost the mixed model's cost, measured on it
     * @param accuracy the mixed model's validation accuracy
     */
    public record Exploration(Module model, Budget budget, LayerImportance.Scores scores, List<LayerDecision> layers,
            long allQuadraticCost, long allFirstOrderCost, long cost, double accuracy) {

        /** Copies the list. */
        public Exploration {
            layers = List.copyOf(layers);
        }

        /** Paths of the layers that stayed quadratic. */
        public List<String> quadraticLayers() {
            List<String> out = new ArrayList<>();
            for (LayerDecision d : layers) {
                if (d.decision() == Decision.QUADRATIC) {
                    out.add(d.score().path());
                }
            }
            return out;
        }

        /** A table of every layer's figures and decision, and the costs and accuracies. */
        @Override
        public String toString() {
            int w = 5;
            for (LayerDecision d : layers) {
                w = Math.max(w, d.score().path().length());
            }
            String fmt = "%-" + w + "s  %-26s  %7s  %7s  %8s  %10s  %14s  %-11s  %s%n";
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "Design exploration under a budget of %s%n", budget));
            sb.append(String.format(Locale.ROOT, fmt, "Layer", "Type", "P_M", "P_W", "δ_A", "RI", "Extra cost", "Decision", "Reason"));
            for (LayerDecision d : layers) {
                LayerImportance.Score s = d.score();
                sb.append(String.format(Locale.ROOT, fmt, s.path(), s.type(), LayerImportance.pct(s.paramShare()),
                        LayerImportance.pct(s.macShare()), String.format(Locale.ROOT, "%+.4f", s.accuracyDrop()),
                        LayerImportance.ri(s.importance()), String.format(Locale.ROOT, "%,d", d.extraCost()), d.decision(), d.reason()));
            }
            sb.append(String.format(Locale.ROOT, "Cost: all quadratic %,d, all first-order %,d, chosen %,d (limit %,d)%n", allQuadraticCost,
                    allFirstOrderCost, cost, budget.limit()));
            sb.append(String.format(Locale.ROOT, "Accuracy: all quadratic %.4f, chosen %.4f (%d of %d layers quadratic)%n",
                    scores.baselineAccuracy(), accuracy, quadraticLayers().size(), layers.size()));
            return sb.toString();
        }
    }

    /**
     * Explores with accuracy measured on every batch of {@code validation} (evaluation mode) and costs counted on its
     * first batch.
     *
     * @throws IllegalArgumentException if the loader yields no batch, the model has no quadratic layer, or even the
     *     all-first-order model exceeds the budget (the message gives both figures)
     */
    public static Exploration explore(Module model, DataLoader validation, Budget budget) {
        Trainer evaluator = new Trainer(Trainer.Config.sgd(0f, 0f));
        return explore(model, LayerImportance.firstBatch(validation), m -> evaluator.evaluate(m, validation).accuracy(), budget);
    }

    /**
     * Explores {@code model} under {@code budget}, costs counted from the model's {@link Summary} on
     * {@code exampleInput}.
     *
     * @param exampleInput a batch on which costs are counted
     * @param accuracy validation accuracy of a model (higher is better)
     * @throws IllegalArgumentException if the model has no quadratic layer, or even the all-first-order model exceeds
     *     the budget (the message gives both figures)
     */
    public static Exploration explore(Module model, Tensor exampleInput, ToDoubleFunction<Module> accuracy, Budget budget) {
        return explore(model, exampleInput, accuracy, budget, null);
    }

    /**
     * Explores {@code model} under {@code budget}, with the cost of a model given by {@code cost} (for example the
     * profiler's memory prediction of one training step) instead of the {@link Summary}'s count. A layer's extra cost
     * is then {@code cost(all first-order but that layer) − cost(all first-order)}, one call per layer; the mixed
     * model's cost is {@code cost(mixed)}.
     *
     * @param cost the cost of a model in the budget's unit, or null for the {@link Summary}'s count of the budget's
     *     measure
     * @throws IllegalArgumentException if the model has no quadratic layer, or even the all-first-order model exceeds
     *     the budget (the message gives both figures)
     */
    public static Exploration explore(Module model, Tensor exampleInput, ToDoubleFunction<Module> accuracy, Budget budget,
                                      ToLongFunction<Module> cost) {
        Objects.requireNonNull(budget, "budget");
        ToLongFunction<Module> costOf = cost != null ? cost : m -> budget.cost(Summary.of(m, exampleInput));
        Summary quadratic = Summary.of(model, exampleInput);
        LayerImportance.Scores scores = LayerImportance.score(model, quadratic, accuracy);
        List<String> paths = scores.layers().stream().map(LayerImportance.Score::path).toList();
        Module allFirstOrder = demoted(model, Set.copyOf(paths));
        long allQuadraticCost = cost != null ? cost.applyAsLong(model) : budget.cost(quadratic);
        long allFirstOrderCost = costOf.applyAsLong(allFirstOrder);
        if (allFirstOrderCost > budget.limit()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "Explorer: even with every quadratic layer made first-order %s costs %,d, over the budget of %s", model.describe(),
                    allFirstOrderCost, budget));
        }
        Map<String, Long> extra;
        if (cost == null) {
            extra = extraCosts(budget, paths, quadratic, Summary.of(allFirstOrder, exampleInput));
        } else {
            extra = new LinkedHashMap<>();
            for (String p : paths) {
                Set<String> others = new java.util.HashSet<>(paths);
                others.remove(p);
                extra.put(p, cost.applyAsLong(demoted(model, others)) - allFirstOrderCost);
            }
        }
        List<LayerImportance.Score> order = new ArrayList<>(scores.layers());
        order.sort(Comparator.comparingDouble(LayerImportance.Score::importance).thenComparingLong(s -> extra.get(s.path())));
        Map<String, LayerDecision> decisions = new LinkedHashMap<>();
        long chosen = allFirstOrderCost;
        for (LayerImportance.Score s : order) {
            long e = extra.get(s.path());
            String ri = Double.isInfinite(s.importance()) ? "; masking it cost no accuracy" : "";
            if (chosen + e <= budget.limit()) {
                chosen += e;
                decisions.put(s.path(), new LayerDecision(s, e, Decision.QUADRATIC, String.format(Locale.ROOT, "fits: cost %,d%s", chosen, ri)));
            } else {
                decisions.put(s.path(), new LayerDecision(s, e, Decision.FIRST_ORDER,
                        String.format(Locale.ROOT, "over budget: would cost %,d%s", chosen + e, ri)));
            }
        }
        Module mixed;
        long measured;
        while (true) {
            Set<String> demote = new java.util.HashSet<>();
            decisions.forEach((p, d) -> {
                if (d.decision() == Decision.FIRST_ORDER) {
                    demote.add(p);
                }
            });
            mixed = demoted(model, demote);
            measured = costOf.applyAsLong(mixed);
            if (measured <= budget.limit()) {
                break;
            }
            LayerImportance.Score worst = null;
            for (LayerImportance.Score s : order) {
                if (decisions.get(s.path()).decision() == Decision.QUADRATIC) {
                    worst = s;
                }
            }
            // The all-first-order model fits, so some layer is still quadratic here.
            decisions.put(worst.path(), new LayerDecision(worst, extra.get(worst.path()), Decision.FIRST_ORDER,
                    String.format(Locale.ROOT, "over budget as measured: the mixed model cost %,d", measured)));
        }
        List<LayerDecision> inOrder = new ArrayList<>();
        for (String p : paths) {
            inOrder.add(decisions.get(p));
        }
        return new Exploration(mixed, budget, scores, inOrder, allQuadraticCost, allFirstOrderCost, measured, accuracy.applyAsDouble(mixed));
    }

    /** Extra cost of each layer staying quadratic, in the budget's measure. */
    private static Map<String, Long> extraCosts(Budget budget, List<String> paths, Summary quadratic, Summary firstOrder) {
        Map<String, Long> out = new LinkedHashMap<>();
        int n = quadratic.inputShape()[0];
        Map<String, Long> savedQ = quadratic.predictedActivationBytes(budget.batchSize());
        Map<String, Long> savedF = firstOrder.predictedActivationBytes(budget.batchSize());
        for (String p : paths) {
            long params = paramsOf(quadratic, p) - paramsOf(firstOrder, p);
            long e = switch (budget.measure()) {
                case PARAMETERS -> params;
                case MACS -> (LayerImportance.macsOf(quadratic, p) - LayerImportance.macsOf(firstOrder, p)) / n;
                case TRAINING_MEMORY -> 8 * params + savedQ.getOrDefault(p, 0L) - savedF.getOrDefault(p, 0L);
            };
            out.put(p, e);
        }
        return out;
    }

    private static long paramsOf(Summary s, String path) {
        for (Summary.Row r : s.rows()) {
            if (r.path().equals(path)) {
                return r.params();
            }
        }
        return 0;
    }

    /** A copy of {@code model} with the quadratic layers at {@code paths} replaced by their first-order twins. */
    static Module demoted(Module model, Set<String> paths) {
        Module copy = ModuleCopier.copy(model);
        if (paths.contains("")) {
            return Converter.firstOrderTwin((QuadraticLayer) copy);
        }
        Map<String, Module> modules = copy.namedModules();
        for (String p : paths) {
            int dot = p.lastIndexOf('.');
            Module parent = modules.get(dot < 0 ? "" : p.substring(0, dot));
            Children.replace(parent, p.substring(dot + 1), Converter.firstOrderTwin((QuadraticLayer) modules.get(p)));
        }
        return copy;
    }
}
