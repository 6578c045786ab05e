package org.quadralib.layers.zoo;

import org.quadralib.layers.Conv2d;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;

/**
 * Makes the weight layers of a zoo model, so one builder yields both a first-order model ({@link #FIRST_ORDER}) and
 * its quadratic twin (a factory returning quadratic layers of the same configuration).
 *
 * <p>{@code role} is the dotted path the layer will have in the built model, e.g. {@code features.0},
 * {@code layer2.0.shortcut.0} or {@code classifier}: the key of {@link Module#namedModules()} and the prefix of its
 * state-dict names, so a factory can decide per layer (keep the first and last layers first-order, say).
 */
public interface LayerFactory {

    /**
     * A layer mapping {@code [*, in]} to {@code [*, out]}.
     *
     * @param role the layer's path in the model being built
     */
    Module linear(String role, int in, int out, boolean bias);

    /**
     * A layer mapping {@code [N, config.inChannels, H, W]} to
     * {@code [N, config.outChannels, config.outHeight(H), config.outWidth(W)]}.
     *
     * @param role the layer's path in the model being built
     */
    Module conv2d(String role, Conv2d.Config config);

    /** Plain {@link Linear} and {@link Conv2d} layers. */
    LayerFactory FIRST_ORDER = new LayerFactory() {
        @Override
        public Module linear(String role, int in, int out, boolean bias) {
            return new Linear(in, out, bias);
        }

        @Override
        public Module conv2d(String role, Conv2d.Config config) {
            return new Conv2d(config);
        }

        @Override
        public String toString() {
            return "FIRST_ORDER";
        }
    };
}
