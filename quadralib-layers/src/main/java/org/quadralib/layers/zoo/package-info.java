/**
 * The model zoo: ready-made first-order networks (MLPs, LeNet-5, VGG- and ResNet-style models) built from the
 * layers package through a {@link org.quadralib.layers.zoo.LayerFactory}, so the same architecture can be built
 * first-order or quadratic.
 *
 * <p>Depends on the layers package; the auto-builder, examples and benchmarks depend on it.
 */
package org.quadralib.layers.zoo;
