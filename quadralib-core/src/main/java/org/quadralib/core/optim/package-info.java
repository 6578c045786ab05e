/**
 * Optimizers over parameter groups: {@link org.quadralib.core.optim.SGD} and {@link org.quadralib.core.optim.Adam},
 * each {@link org.quadralib.core.optim.ParamGroup} with its own learning rate and weight decay, global
 * gradient-norm clipping ({@link org.quadralib.core.optim.GradClip}) and learning-rate schedulers.
 *
 * <p>Depends on the core package and {@code ops}' in-place updates; the layers' trainer depends on it.
 */
package org.quadralib.core.optim;
