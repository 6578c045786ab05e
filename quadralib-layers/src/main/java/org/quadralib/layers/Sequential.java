package org.quadralib.layers;

import java.util.function.UnaryOperator;

/**
 * Runs its children in order, each on the previous one's output, as PyTorch's {@code nn.Sequential}. Children are
 * named {@code 0, 1, 2, ...}: a {@link NamedSequential} whose names are the indices.
 */
public class Sequential extends NamedSequential {

    /** A sequence of {@code layers}. */
    public Sequential(Module... layers) {
        for (Module m : layers) {
            add(m);
        }
    }

    /** Appends a layer named by its index; returns this. */
    public Sequential add(Module layer) {
        add(Integer.toString(size()), layer);
        return this;
    }

    /** The layer at {@code index}. */
    public Module get(int index) {
        return layers().get(index);
    }

    @Override
    public Module freshCopy(UnaryOperator<Module> copyChild) {
        Sequential copy = new Sequential();
        for (Module m : layers()) {
            copy.add(copyChild.apply(m));
        }
        return copy;
    }
}
