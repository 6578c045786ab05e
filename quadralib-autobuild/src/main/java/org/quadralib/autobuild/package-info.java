/**
 * The auto-builder: tracing a model into a {@link org.quadralib.autobuild.Graph} with shapes, parameters, MACs and
 * activation bytes per node ({@link org.quadralib.autobuild.Summary}), first-order to quadratic conversion by a
 * {@link org.quadralib.autobuild.ConversionPolicy} ({@link org.quadralib.autobuild.Converter}), and design
 * exploration by layer importance under a {@link org.quadralib.autobuild.Budget}.
 *
 * <p>Depends on quadralib-core and quadralib-layers; the profiler, visualisation and examples depend on it.
 */
package org.quadralib.autobuild;
