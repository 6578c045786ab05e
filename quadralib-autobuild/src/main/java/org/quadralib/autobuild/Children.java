package org.quadralib.autobuild;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import org.quadralib.layers.Module;

/**
 * Child replacement that a container demonstrably follows.
 *
 * <p>{@link Module#replaceChild} updates the registry of children, but a container that keeps a child in a field of
 * its own and calls that field in {@code compute} goes on running the old child unless it overrides
 * {@code onChildReplaced}. A converter that trusted the registry would report a layer as converted while the model
 * still ran the first-order one; so after each replacement the container's own fields (and the elements of its
 * collections, maps and arrays) are read, and a field still holding the old child undoes the replacement and fails.
 * Reading is reflective; a field the module system does not let us read is not checked.
 */
final class Children {

    private Children() {
    }

    /**
     * Replaces {@code container}'s child {@code name} with {@code replacement}.
     *
     * @return the old child
     * @throws UnsupportedOperationException naming the container, the child and the fields if the container keeps
     *     the old child in a field (the replacement is undone first)
     * @throws IllegalArgumentException if there is no such child
     */
    static Module replace(Module container, String name, Module replacement) {
        Module old = container.replaceChild(name, replacement);
        List<String> stale = fieldsHolding(container, old);
        if (!stale.isEmpty()) {
            container.replaceChild(name, old);
            throw new UnsupportedOperationException(container.describe() + " keeps its child '" + name + "' in field(s) " + stale
                    + " and does not follow replaceChild: declare the field as Module and override onChildReplaced to update it,"
                    + " or look the child up with children().get(\"" + name + "\")");
        }
        return old;
    }

    private static List<String> fieldsHolding(Module container, Module target) {
        List<String> out = new ArrayList<>();
        for (Class<?> c = container.getClass(); c != null && c != Module.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
                    continue;
                }
                Object value;
                try {
                    f.setAccessible(true);
                    value = f.get(container);
                } catch (RuntimeException | IllegalAccessException e) {
                    continue;
                }
                if (holds(value, target)) {
                    out.add(c.getSimpleName() + "." + f.getName());
                }
            }
        }
        return out;
    }

    private static boolean holds(Object value, Module target) {
        if (value == target) {
            return true;
        }
        if (value instanceof Collection<?> col) {
            for (Object o : col) {
                if (o == target) {
                    return true;
                }
            }
        } else if (value instanceof Map<?, ?> map) {
            for (Object o : map.values()) {
                if (o == target) {
                    return true;
                }
            }
        } else if (value instanceof Object[] arr) {
            for (Object o : arr) {
                if (o == target) {
                    return true;
                }
            }
        }
        return false;
    }
}
