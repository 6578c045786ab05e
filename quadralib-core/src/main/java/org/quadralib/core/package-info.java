/**
 * The core of QuadraLib: {@link org.quadralib.core.Tensor} (float32, strided views, broadcasting), the autograd
 * engine ({@link org.quadralib.core.Autograd}, its graph {@link org.quadralib.core.Node}, the buffer policy of its
 * backward walk, the saved-tensor registry {@link org.quadralib.core.SavedTensors}), the one way to write a custom
 * backward ({@link org.quadralib.core.Function}), the functional API {@link org.quadralib.core.F}, grad, inference
 * and anomaly modes, the worker pool ({@link org.quadralib.core.Parallel}) and the seeded
 * {@link org.quadralib.core.Rng}.
 *
 * <p>One spelling per op: arithmetic, element-wise functions, products, reductions and views are methods of
 * {@code Tensor}; ops with weights or settings are in {@code F}. This package depends on its subpackages
 * ({@code ops}, {@code kernels}, {@code memory}) and on nothing outside the JDK, EJML and the SLF4J API; every
 * other module may depend on it.
 */
package org.quadralib.core;
