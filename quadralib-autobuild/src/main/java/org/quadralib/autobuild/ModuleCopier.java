package org.quadralib.autobuild;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

import org.quadralib.core.Tensor;
import org.quadralib.layers.Dropout;
import org.quadralib.layers.Module;
import org.quadralib.layers.Parameter;

/**
 * Structural deep copies of module trees: same classes, configuration, parameter and buffer values, train/eval
 * modes, dropout generator states and quadratic-term masks, sharing no tensor with the original. Hooks are not
 * copied; a tensor registered twice (tied weights) becomes two tensors.
 *
 * <p>How a module is copied, by its exact class:
 * <ol>
 *   <li>a copy rule registered for the class ({@link #register}), else the class's own
 *       {@link Module#freshCopy} (every layer and container of the library whose configuration lives in constructor
 *       arguments overrides it) builds a fresh module with the same configuration, containers from copies of their
 *       children;</li>
 *   <li>otherwise the class's no-argument constructor builds a fresh instance (stateless layers such as
 *       {@code ReLU}, and user-defined containers that build their children themselves);</li>
 *   <li>then a child the fresh module built itself is kept if it has the original child's class and description
 *       ({@link Module#toString()}: configuration and structure) and takes its values, and is replaced by a copy of
 *       the original's child otherwise (so a user-defined container copies correctly even after some of its children
 *       were converted); every parameter and buffer takes the original's value.</li>
 * </ol>
 * A module with neither a rule nor a no-argument constructor cannot be copied; the error says how to register a rule.
 */
public final class ModuleCopier {

    /**
     * Builds a fresh module of the same class and configuration as {@code original}; its values are overwritten
     * afterwards, so the rule need not copy weights.
     *
     * @param <M> the module type
     */
    @FunctionalInterface
    public interface Rule<M extends Module> {
        /**
         * @param original the module to copy
         * @param copyChild copies a child of {@code original}; containers build themselves from these copies
         * @return a new module of exactly {@code original}'s class
         */
        Module freshCopy(M original, UnaryOperator<Module> copyChild);
    }

    private static final Map<Class<?>, Rule<?>> RULES = new ConcurrentHashMap<>();

    private ModuleCopier() {
    }

    /**
     * Sets the copy rule for modules of exactly class {@code type}, for classes one cannot change; a layer of one's
     * own overrides {@link Module#freshCopy} instead.
     */
    public static <M extends Module> void register(Class<M> type, Rule<? super M> rule) {
        RULES.put(type, rule);
    }

    /**
     * A deep copy of {@code module} and its descendants, as a root (its path is {@code ""}).
     *
     * @throws UnsupportedOperationException naming the module and its class if some module in the tree has neither a
     *     copy rule nor a no-argument constructor, or a container does not follow child replacement
     * @throws IllegalStateException if a rule or constructor builds a module whose structure or state names differ from
     *     the original's (the message names both)
     */
    @SuppressWarnings("unchecked")
    public static <M extends Module> M copy(M module) {
        Module copy = copyTree(module);
        copy.makeRoot();
        List<Module> from = new ArrayList<>(module.namedModules().values());
        List<Module> to = new ArrayList<>(copy.namedModules().values());
        // Pre-order: a parent's train() resets its children, which then take their own modes.
        for (int i = 0; i < from.size(); i++) {
            to.get(i).train(from.get(i).isTraining());
        }
        return (M) copy;
    }

    private static Module copyTree(Module original) {
        Set<Module> copies = Collections.newSetFromMap(new IdentityHashMap<>());
        UnaryOperator<Module> copyChild = child -> {
            Module c = copyTree(child);
            copies.add(c);
            return c;
        };
        Module copy = fresh(original, copyChild);
        if (copy.getClass() != original.getClass()) {
            throw new IllegalStateException("ModuleCopier: the copy rule for " + original.getClass().getName() + " built a "
                    + copy.getClass().getName());
        }
        adopt(original, copy, copies);
        return copy;
    }

    /**
     * Makes {@code copy}'s subtree a copy of {@code original}'s: children in {@code copies} already are; a child the
     * fresh module built itself is kept when it has the original child's class and description (configuration and
     * structure, see {@link Module#toString()}) and takes its values, otherwise it is replaced by a copy.
     */
    private static void adopt(Module original, Module copy, Set<Module> copies) {
        for (Map.Entry<String, Module> e : original.children().entrySet()) {
            Module existing = copy.children().get(e.getKey());
            if (existing == null) {
                throw new IllegalStateException("ModuleCopier: the copy of " + original.describe() + " has no child '" + e.getKey()
                        + "' (its children: " + copy.children().keySet() + ")");
            }
            if (copies.contains(existing)) {
                continue;
            }
            Module child = e.getValue();
            if (existing.getClass() == child.getClass() && existing.toString().equals(child.toString())) {
                adopt(child, existing, Set.of());
            } else {
                Children.replace(copy, e.getKey(), copyTree(child));
            }
        }
        if (!copy.children().keySet().equals(original.children().keySet())) {
            throw new IllegalStateException("ModuleCopier: the copy of " + original.describe() + " has children "
                    + copy.children().keySet() + ", the original " + original.children().keySet());
        }
        copyLocalState(original, copy);
    }

    @SuppressWarnings("unchecked")
    private static <M extends Module> Module fresh(M original, UnaryOperator<Module> copyChild) {
        Rule<? super M> rule = (Rule<? super M>) RULES.get(original.getClass());
        if (rule != null) {
            return rule.freshCopy(original, copyChild);
        }
        if (declaresFreshCopy(original.getClass())) {
            Module copy = original.freshCopy(copyChild);
            if (copy == null) {
                throw new IllegalStateException("ModuleCopier: " + original.getClass().getName() + ".freshCopy returned null for "
                        + original.describe());
            }
            return copy;
        }
        Constructor<? extends Module> ctor;
        try {
            ctor = original.getClass().getDeclaredConstructor();
            ctor.setAccessible(true);
        } catch (NoSuchMethodException | RuntimeException e) {
            String type = original.getClass().getSimpleName();
            throw new UnsupportedOperationException("ModuleCopier: cannot copy " + original.describe() + ": " + type
                    + " has no copy rule and no accessible no-argument constructor; register one with ModuleCopier.register("
                    + type + ".class, (m, copyChild) -> new " + type + "(...))", e);
        }
        try {
            return ctor.newInstance();
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("ModuleCopier: the no-argument constructor of " + original.getClass().getName()
                    + " failed while copying " + original.describe(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("ModuleCopier: cannot instantiate " + original.getClass().getName(), e);
        }
    }

    /** True if {@code type} itself (not a superclass) overrides {@link Module#freshCopy}. */
    private static boolean declaresFreshCopy(Class<?> type) {
        try {
            type.getDeclaredMethod("freshCopy", UnaryOperator.class);
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    private static void copyLocalState(Module original, Module copy) {
        Map<String, Parameter> op = original.localParameters();
        Map<String, Parameter> cp = copy.localParameters();
        Map<String, Tensor> ob = original.localBuffers();
        Map<String, Tensor> cb = copy.localBuffers();
        if (!op.keySet().equals(cp.keySet()) || !ob.keySet().equals(cb.keySet())) {
            throw new IllegalStateException("ModuleCopier: the copy of " + original.describe() + " has parameters " + cp.keySet()
                    + " and buffers " + cb.keySet() + ", the original " + op.keySet() + " and " + ob.keySet());
        }
        for (Map.Entry<String, Parameter> e : op.entrySet()) {
            copyValue(original, e.getKey(), e.getValue().tensor(), cp.get(e.getKey()).tensor());
        }
        for (Map.Entry<String, Tensor> e : ob.entrySet()) {
            copyValue(original, e.getKey(), e.getValue(), cb.get(e.getKey()));
        }
        // A dropout layer's generator is state too: the copy drops the elements the original would drop next.
        if (original instanceof Dropout d) {
            ((Dropout) copy).rng().restore(d.rng().state());
        }
    }

    private static void copyValue(Module original, String name, Tensor from, Tensor to) {
        if (!Arrays.equals(from.shape(), to.shape())) {
            throw new IllegalStateException("ModuleCopier: the copy of " + original.describe() + " has '" + name + "' of shape "
                    + Arrays.toString(to.shape()) + ", the original " + Arrays.toString(from.shape()));
        }
        to.copyFrom(from);
    }
}
