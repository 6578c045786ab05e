/**
 * File formats: safetensors ({@link org.quadralib.core.io.SafeTensors}), IDX ({@link org.quadralib.core.io.Idx})
 * and atomic replacement of files ({@link org.quadralib.core.io.AtomicFiles}). The readers take files from
 * strangers: every size, count and rank read is bounded before it is used, and every refusal is a
 * {@link org.quadralib.core.io.MalformedFileException} naming the file. Depends on the tensor type and Gson only.
 */
package org.quadralib.core.io;
