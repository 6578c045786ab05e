/**
 * Runnable programs: the {@code explore} command (the paper's design-exploration workflow: baseline, quadratic
 * candidates, layer importance, selection under a budget, training, table, Pareto chart and HTML report), the
 * {@code convert} command and their option parsing; see {@code examples/README.md}.
 *
 * <p>Depends on every library module; nothing depends on it.
 */
package org.quadralib.examples;
