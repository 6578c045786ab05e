/**
 * The differentiable ops behind {@link org.quadralib.core.Tensor}'s methods and {@link org.quadralib.core.F}:
 * arithmetic, element-wise functions, matrix products, convolution, pooling, batch norm, soft-max and losses,
 * reductions, joining and selecting. Each op is a {@link org.quadralib.core.Function} (its forward on the
 * {@code kernels}, its backward written by hand) or a composition of other ops; {@link org.quadralib.core.ops.InPlace}
 * holds the in-place updates outside autograd (gradient accumulation, optimizer steps).
 *
 * <p>Callers use {@code Tensor} and {@code F}, not these classes (their Javadoc holds each op's formula, shapes and
 * errors). This package depends on the core package and {@code kernels}; the engine ({@code Autograd}) does not
 * depend on it.
 */
package org.quadralib.core.ops;
