/**
 * Data sets and loading: the {@link org.quadralib.core.data.Dataset} interface, in-memory sets
 * ({@link org.quadralib.core.data.ArrayDataset}, {@link org.quadralib.core.data.ByteImageDataset}), Fashion-MNIST
 * from IDX files, synthetic sets (rings, spirals, XOR), and the {@link org.quadralib.core.data.DataLoader} that
 * batches, shuffles (seeded) and prefetches.
 *
 * <p>Depends on the core package and {@code io}; the layers' trainer and the examples depend on it.
 */
package org.quadralib.core.data;
