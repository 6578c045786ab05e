package org.quadralib.layers;

import org.quadralib.core.Tensor;

/**
 * A trainable tensor registered on a module, with what the optimizer needs to know about it.
 *
 * @param tensor the value; requires a gradient, counted as parameter memory
 * @param quadratic true for weights of a quadratic term (they go to the quadratic parameter group)
 */
public record Parameter(Tensor tensor, boolean quadratic) {
}
