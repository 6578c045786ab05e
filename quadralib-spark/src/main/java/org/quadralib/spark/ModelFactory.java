package org.quadralib.spark;

import java.io.Serializable;

import org.quadralib.layers.Module;

/**
 * Builds the model's architecture on an executor (the weights it starts with are overwritten by the driver's before
 * every step). A model is never Java-serialized: what travels to the executors is this factory and, every step, the
 * driver's weights as a flat array. It must build the same module tree (names, shapes, buffers) every time.
 */
@FunctionalInterface
public interface ModelFactory extends Serializable {

    /** A new model with the architecture of the one being trained. */
    Module build();
}
