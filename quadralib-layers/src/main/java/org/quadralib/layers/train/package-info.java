/**
 * Training: the {@link org.quadralib.layers.train.Trainer} and its configuration, losses, schedules, the listener
 * events ({@link org.quadralib.layers.train.TrainingListener}) and the listeners built on them (progress bar, epoch
 * log, gradient clipping, early stopping, checkpoints), and the history a fit returns.
 *
 * <p>Depends on quadralib-core and the layers package; the examples, profiler and benchmarks depend on it.
 */
package org.quadralib.layers.train;
