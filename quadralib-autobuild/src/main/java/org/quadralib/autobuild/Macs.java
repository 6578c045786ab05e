package org.quadralib.autobuild;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.quadralib.core.Shapes;
import org.quadralib.layers.Conv2d;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;
import org.quadralib.layers.QuadraticLayer;

/**
 * Multiply-accumulate counts per layer call, by the usual convention: one MAC per use of a weight.
 *
 * <ul>
 *   <li>{@link Linear}: {@code rows · in · out}, rows = every leading dimension of the input (the batch);</li>
 *   <li>{@link Conv2d}: {@code numel(output) · in/groups · kh · kw};</li>
 *   <li>quadratic layers: the sum of their branches' weight products (each a linear or convolution count as above),
 *       plus one MAC per output element for the element-wise product of the branches (the product and the addition
 *       of the remaining terms form one multiply-add), one per input element for the squared input {@code x∘x}
 *       (T2, T1&amp;2, T2&amp;4), and {@code n² + n} per output for a quadratic form {@code xᵀW_a x} of fan-in n (T1,
 *       T1&amp;2: {@code W_a x}, then its dot product with x). Per output element, with n the fan-in: T1 {@code n² + 2n}
 *       ({@code n² + n} without its linear term), T2 {@code n}, T3 {@code n + 1}, T4 and QRes {@code 2n + 1}, T1&amp;2
 *       {@code n² + 2n}, T2&amp;4 and PROPOSED {@code 3n + 1}; branch norms add nothing. These count the formula, not
 *       the implementation: hybrid back-propagation's recomputation in backward is not a forward MAC;</li>
 *   <li>everything else (normalisation, activations, pooling, element-wise ops, the residual add): 0. Batch norm
 *       folds into the preceding weights at inference, and the counts match what PyTorch-side MAC counters built on
 *       the same convention report (the golden script {@code goldens/autobuild.py} counts Linear and Conv2d with
 *       forward hooks).</li>
 * </ul>
 *
 * <p>Counts are for the whole input, batch included. Library users register rules for their own layer types with
 * {@link #register}; a registered type is also traced as one node even if it has children.
 */
public final class Macs {

    /**
     * The MACs of one call of a layer of type {@code M}.
     *
     * @param <M> the layer type
     */
    @FunctionalInterface
    public interface Rule<M extends Module> {
        /**
         * @param layer the layer
         * @param inputShape the shape of the tensor it consumed
         * @param outputShape the shape of the tensor it produced
         * @return multiply-accumulates, ≥ 0
         */
        long macs(M layer, int[] inputShape, int[] outputShape);
    }

    private static final Map<Class<?>, Rule<?>> RULES = new ConcurrentHashMap<>();

    static {
        register(Linear.class, (l, in, out) -> (long) Shapes.numel(out) * l.inFeatures());
        register(Conv2d.class, (c, in, out) -> (long) Shapes.numel(out) * c.config().fanIn());
        register(QuadraticLayer.class, Macs::quadratic);
    }

    private Macs() {
    }

    /** Sets the rule for {@code type} and its subclasses that have no rule of their own. */
    public static <M extends Module> void register(Class<M> type, Rule<? super M> rule) {
        RULES.put(type, rule);
    }

    /**
     * The MACs of one call of {@code layer}: the rule of its class or nearest superclass that has one, else 0.
     *
     * @throws IllegalStateException naming the layer if its rule returns a negative count
     */
    public static long of(Module layer, int[] inputShape, int[] outputShape) {
        Rule<?> rule = ruleFor(layer.getClass());
        if (rule == null) {
            return 0;
        }
        long n = apply(rule, layer, inputShape, outputShape);
        if (n < 0) {
            throw new IllegalStateException("Macs: rule for " + layer.describe() + " returned " + n + " for input " + Shapes.str(inputShape));
        }
        return n;
    }

    private static long quadratic(QuadraticLayer q, int[] in, int[] out) {
        long n = q.fanIn();
        long perOutput = switch (q.neuronType()) {
            case T1 -> n * n + n + (q.options().linearTerm() ? n : 0);
            case T2 -> n;
            case T3 -> n + 1;
            case T4, QRES -> 2 * n + 1;
            case T1_2 -> n * n + 2 * n;
            case T2_4, PROPOSED -> 3 * n + 1;
        };
        long squares = switch (q.neuronType()) {
            case T2, T1_2, T2_4 -> Shapes.numel(in);
            default -> 0;
        };
        return Shapes.numel(out) * perOutput + squares;
    }

    /** True if a rule covers {@code layer}'s class. */
    static boolean hasRule(Module layer) {
        return ruleFor(layer.getClass()) != null;
    }

    private static Rule<?> ruleFor(Class<?> type) {
        for (Class<?> c = type; c != null && Module.class.isAssignableFrom(c); c = c.getSuperclass()) {
            Rule<?> r = RULES.get(c);
            if (r != null) {
                return r;
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static <M extends Module> long apply(Rule<M> rule, Module layer, int[] in, int[] out) {
        return rule.macs((M) layer, in, out);
    }
}
