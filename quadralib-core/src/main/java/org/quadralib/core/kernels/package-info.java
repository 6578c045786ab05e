/**
 * The numerical kernels on raw {@code float[]} storage: the GEMM ({@link org.quadralib.core.kernels.Gemm}, packed,
 * register-blocked, on the JDK Vector API or in plain Java), convolution by im2col or Winograd and depthwise,
 * pooling, batch norm, element-wise and unary loops, and strided copies. {@link org.quadralib.core.kernels.Simd} is
 * the one place that chooses the Vector API or the plain-Java loops; the {@code Vector*} classes are linked only when
 * it chose the Vector API.
 *
 * <p>Kernels know nothing of graphs or modules and, but for {@link org.quadralib.core.kernels.StridedCopy}, of
 * tensors; they depend on {@link org.quadralib.core.Parallel} and the {@code memory} package's workspaces. The
 * {@code ops} package, the engine and the layers' fused engines call them.
 */
package org.quadralib.core.kernels;
