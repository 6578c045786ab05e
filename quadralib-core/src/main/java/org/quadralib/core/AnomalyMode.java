package org.quadralib.core;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scope in which the first op whose forward output, or whose backward's input gradient, holds NaN or infinity
 * throws an {@link AnomalyException} naming the op, the module path that was running when the op was recorded
 * (the path a module sets with {@link org.quadralib.core.memory.MemoryTracker#withOwner}) and the phase.
 *
 * <pre>{@code
 * try (AnomalyMode a = AnomalyMode.enter()) {
 *     Tensor loss = model.forward(x).crossEntropy(labels);
 *     loss.backward();
 * }
 * }</pre>
 *
 * <p>The scope belongs to the thread that entered it and nests. Every op's output is scanned once, so a step
 * runs slower inside the scope; outside every scope the check is one read of a boolean per op.
 */
public final class AnomalyMode implements AutoCloseable {

    /** Where a non-finite value appeared. */
    public enum Phase {
        /** In an op's output, computed in the forward pass. */
        FORWARD,
        /** In a gradient an op's backward returned for one of its inputs. */
        BACKWARD
    }

    /** Thrown inside an {@link AnomalyMode} scope by the first op that produced NaN or infinity. */
    public static final class AnomalyException extends ArithmeticException {
        private static final long serialVersionUID = 1L;
        private final String op;
        private final String modulePath;
        private final Phase phase;

        AnomalyException(String op, String modulePath, Phase phase, String message) {
            super(message);
            this.op = op;
            this.modulePath = modulePath;
            this.phase = phase;
        }

        /** The op's name, e.g. {@code "conv2d"}. */
        public String op() {
            return op;
        }

        /** The module path that ran the op, or {@code ""} outside any module. */
        public String modulePath() {
            return modulePath;
        }

        /** Forward or backward. */
        public Phase phase() {
            return phase;
        }
    }

    /** Open scopes over all threads: while none is, {@link #active} is false and ops skip every check. */
    private static final AtomicInteger OPEN = new AtomicInteger();
    /** Per thread: open scopes, and backward walks running (whose ops are checked as backward, not forward). */
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[2]);

    private boolean closed;

    private AnomalyMode() {
    }

    /** Enters the mode on this thread until the returned scope is closed. */
    public static AnomalyMode enter() {
        DEPTH.get()[0]++;
        OPEN.incrementAndGet();
        return new AnomalyMode();
    }

    /** Whether the mode is on for this thread. */
    public static boolean isEnabled() {
        return active() && DEPTH.get()[0] > 0;
    }

    /** Leaves the scope; closing it twice does nothing. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            DEPTH.get()[0]--;
            OPEN.decrementAndGet();
        }
    }

    /** True while some thread has the mode on: the one check every op makes. */
    static boolean active() {
        return OPEN.get() > 0;
    }

    /**
     * Marks the start ({@code +1}) or end ({@code -1}) of a backward walk on this thread: the ops a backward
     * function calls are checked through the gradients it returns, under the node's name.
     */
    static void backwardWalk(int delta) {
        DEPTH.get()[1] += delta;
    }

    /**
     * Throws if {@code output} of {@code op} holds a non-finite value and the mode is on for this thread.
     *
     * @throws AnomalyException naming the op, the current module path, the value, its index and the shape
     */
    static void checkForward(String op, Tensor output) {
        if (isEnabled() && DEPTH.get()[1] == 0) {
            int at = firstNonFinite(output);
            if (at >= 0) {
                throw anomaly(op, org.quadralib.core.memory.MemoryTracker.owner(), Phase.FORWARD, "output", output, at);
            }
        }
    }

    /**
     * Throws if a gradient {@code node}'s backward returned holds a non-finite value and the mode is on.
     *
     * @throws AnomalyException naming the op, the module path it was recorded in, the input, the value and the shape
     */
    static void checkBackward(Node node, Tensor[] inputGradients) {
        if (isEnabled()) {
            for (int i = 0; i < inputGradients.length; i++) {
                Tensor g = inputGradients[i];
                int at = g == null ? -1 : firstNonFinite(g);
                if (at >= 0) {
                    throw anomaly(node.op(), node.owner(), Phase.BACKWARD, "gradient of input " + i, g, at);
                }
            }
        }
    }

    private static AnomalyException anomaly(String op, String path, Phase phase, String what, Tensor t, int at) {
        float v = t.toFloatArray()[at];
        return new AnomalyException(op, path, phase, "anomaly mode: " + phase.name().toLowerCase(java.util.Locale.ROOT)
                + " of '" + op + "'" + (path.isEmpty() ? "" : " in module '" + path + "'") + ": " + what + " of shape "
                + Shapes.str(t.shape()) + " holds " + v + " at flat index " + at);
    }

    /** The row-major index of the first NaN or infinity in {@code t}, or -1. */
    private static int firstNonFinite(Tensor t) {
        float[] values = t.toFloatArray();
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                return i;
            }
        }
        return -1;
    }
}
