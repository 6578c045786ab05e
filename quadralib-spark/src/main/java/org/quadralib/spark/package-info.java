/**
 * Synchronous data-parallel training on Apache Spark. {@link org.quadralib.spark.SparkTrainer} runs the library's
 * own {@link org.quadralib.layers.train.Trainer} on the driver, which holds the one authoritative model and its
 * optimizer; every step, each of the {@code k} partitions computes the gradient of its share of the global batch
 * with {@link org.quadralib.layers.train.GradientStep#LOCAL} on a replica of the model, the gradients are summed
 * on the driver in partition order, and the driver clips and steps the optimizer once. Training data comes from
 * {@link org.quadralib.spark.SparkData}: an RDD or {@code Dataset<Row>} of (features, label) rows, a local data
 * set, or files each executor reads itself ({@link org.quadralib.spark.DatasetFormat}).
 *
 * <p>This package depends on {@code quadralib-layers} and on Spark (provided by the cluster); nothing else in the
 * library depends on it, and no Spark type appears outside it.
 */
package org.quadralib.spark;
