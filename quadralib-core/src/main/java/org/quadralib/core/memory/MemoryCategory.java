package org.quadralib.core.memory;

/** What a tracked buffer holds. The profiler reports memory by these categories. */
public enum MemoryCategory {
    /** Trainable weights and biases. */
    PARAMETER,
    /** Gradients accumulated into parameters. */
    GRADIENT,
    /** Optimizer state such as momentum and Adam moments. */
    OPTIMIZER_STATE,
    /** Forward outputs and intermediate results. */
    ACTIVATION,
    /** Gradients of intermediate results flowing through backward. */
    ACTIVATION_GRADIENT,
    /** Scratch buffers reused across calls: im2col columns, GEMM packing. */
    WORKSPACE,
    /** Model inputs and labels. */
    INPUT,
    /** Non-trainable module state such as batch-norm running statistics. */
    BUFFER
}
