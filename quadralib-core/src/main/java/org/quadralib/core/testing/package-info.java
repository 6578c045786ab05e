/**
 * Test support that users share with the library's own tests: {@link org.quadralib.core.testing.GradCheck}, the
 * central finite-difference check of the gradients of any function of tensors (ops, custom
 * {@link org.quadralib.core.Function}s, layers), and {@link org.quadralib.core.testing.Golden}, the comparison
 * of a function's forward value and gradients with a reference stored as a safetensors file (the PyTorch goldens
 * under {@code goldens/}). Failures are plain {@link java.lang.AssertionError}s, so any test framework reports
 * them and none is needed at run time. Depends on the rest of {@code org.quadralib.core} only; the layer-level
 * contract lives in {@code quadralib-testing} ({@code org.quadralib.testing}).
 */
package org.quadralib.core.testing;
