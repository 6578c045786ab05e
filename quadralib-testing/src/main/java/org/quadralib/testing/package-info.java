/**
 * The layer contract ({@link org.quadralib.testing.LayerContract}): the checks every layer and model of the
 * library passes, for users to run in their own tests on their own layers (a test-scope dependency). It builds on
 * {@code org.quadralib.core.testing} (finite differences, golden comparisons) and depends on layers and autobuild;
 * nothing in the library's main code depends on it.
 */
package org.quadralib.testing;
