package org.quadralib.core;

/**
 * Switches graph recording off on the current thread:
 * {@code try (var g = GradMode.noGrad()) { ... }} runs ops without recording nodes (evaluation, optimizer
 * updates, backward itself).
 */
public final class GradMode {

    private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> Boolean.TRUE);

    private GradMode() {
    }

    /** True if ops record the graph on this thread. */
    public static boolean isEnabled() {
        return ENABLED.get();
    }

    /** Disables recording until the returned scope is closed, which restores the previous mode. */
    public static Scope noGrad() {
        return set(false);
    }

    /** Enables recording until the returned scope is closed. */
    public static Scope enableGrad() {
        return set(true);
    }

    private static Scope set(boolean enabled) {
        Boolean previous = ENABLED.get();
        ENABLED.set(enabled);
        return () -> ENABLED.set(previous);
    }

    /** Restores the previous mode on close. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
