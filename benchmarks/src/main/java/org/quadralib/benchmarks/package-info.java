/**
 * Benchmarks: JMH micro-benchmarks of the GEMM and the convolutions, the end-to-end training-step benchmark
 * ({@link org.quadralib.benchmarks.StepBenchmark}) matched by a PyTorch peer script, and the in-JVM comparisons of
 * two builds ({@link org.quadralib.benchmarks.StepCompare}, {@link org.quadralib.benchmarks.BuildCompare}); see
 * {@code benchmarks/README.md}.
 *
 * <p>Depends on every library module; nothing depends on it.
 */
package org.quadralib.benchmarks;
