/**
 * Modules: {@link org.quadralib.layers.Module} (parameters, buffers, named children, hooks, state dicts with
 * PyTorch's dotted names), {@link org.quadralib.layers.Parameter}, the first-order layers (linear, convolution,
 * pooling, batch norm, activations, containers) and the quadratic layers of every neuron type with their standard
 * and hybrid back-propagation.
 *
 * <p>Depends on quadralib-core only; the auto-builder, profiler, visualisation, examples and benchmarks depend on
 * it.
 */
package org.quadralib.layers;
