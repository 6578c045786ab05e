/**
 * File formats: safetensors ({@link org.quadralib.core.io.SafeTensors}) for weights, IDX for image data sets, and
 * atomic file writes ({@link org.quadralib.core.io.AtomicFiles}). Readers bound every size read from a file before
 * allocating and refuse bad input with {@link org.quadralib.core.io.MalformedFileException} naming the file.
 *
 * <p>Depends on the core package ({@code Tensor}); checkpoints, data sets and the examples depend on it.
 */
package org.quadralib.core.io;
