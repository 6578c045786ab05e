package org.quadralib.autobuild;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.quadralib.core.Shapes;
import org.quadralib.layers.Module;

/**
 * Multiply-accumulate counts per layer call, by the usual convention: one MAC per use of a weight. Each layer counts its
 * own ({@link Module#macs}): {@code Linear} {@code rows · in · out}, {@code Conv2d} {@code numel(output) · in/groups ·
 * kh · kw}, a quadratic layer what its neuron type's declaration says ({@link
 * org.quadralib.layers.NeuronType#macsPerOutput}: its branches' weight products, one MAC per output for the product,
 * one per input element for {@code x∘x}); normalisation, activations, pooling and element-wise ops count 0. The counts
 * match what PyTorch-side MAC counters built on the same convention report (the golden script {@code
 * goldens/autobuild.py} counts Linear and Conv2d with forward hooks).
 *
 * <p>Counts are for the whole input, batch included. Library users may register a rule for a layer type they cannot
 * change with {@link #register} (it takes precedence over the layer's own count); a registered type is also traced as
 * one node even if it has children.
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

    private Macs() {
    }

    /** Sets the rule for {@code type} and its subclasses that have no rule of their own. */
    public static <M extends Module> void register(Class<M> type, Rule<? super M> rule) {
        RULES.put(type, rule);
    }

    /**
     * The MACs of one call of {@code layer}: the registered rule of its class or nearest superclass that has one, else
     * the layer's own {@link Module#macs}.
     *
     * @throws IllegalStateException naming the layer if its rule returns a negative count
     */
    public static long of(Module layer, int[] inputShape, int[] outputShape) {
        Rule<?> rule = ruleFor(layer.getClass());
        long n = rule == null ? layer.macs(inputShape, outputShape) : apply(rule, layer, inputShape, outputShape);
        if (n < 0) {
            throw new IllegalStateException("Macs: the count for " + layer.describe() + " is " + n + " for input " + Shapes.str(inputShape));
        }
        return n;
    }

    /** True if a registered rule covers {@code layer}'s class. */
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
