/**
 * Pictures of what a model learned and where its memory went: weight, gradient and activation histograms
 * ({@link org.quadralib.viz.Charts}, {@link org.quadralib.viz.ActivationRecorder}), activation maps of
 * convolution layers with a first-order model beside its quadratic twin, channel means on one colour scale
 * ({@link org.quadralib.viz.ActivationMaps}), training curves, memory charts of a
 * {@link org.quadralib.profiler.MemoryReport} and a {@link org.quadralib.profiler.MemoryPrediction}
 * ({@link org.quadralib.viz.MemoryCharts}), accuracy-against-cost Pareto charts
 * ({@link org.quadralib.viz.ParetoChart}), saved as PNG and SVG, one self-contained HTML page
 * ({@link org.quadralib.viz.HtmlReport}) and its check in headless Chromium ({@link org.quadralib.viz.BrowserCheck}).
 * Charts are drawn by XChart, in colour-blind-safe colours ({@link org.quadralib.viz.Palette}); inputs are plain
 * data (arrays, lists, maps, small records) so any program can feed them. Depends on the profiler, layers and core.
 *
 * <p>Headless: everything renders off-screen into images or vector documents and never opens a window. On a
 * server without a display the JVM should run with {@code -Djava.awt.headless=true} (Linux JVMs without a
 * {@code DISPLAY} assume it); this library does not set the property itself, since that would change AWT's
 * behaviour for an application that also shows a user interface. Text rendering needs a font, as any AWT
 * text does (Debian: {@code fonts-dejavu-core}).
 */
package org.quadralib.viz;
