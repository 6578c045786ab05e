package org.quadralib.layers;

import java.util.ArrayList;
import java.util.List;

import org.quadralib.core.Tensor;

/** Runs its children in order, each on the previous one's output. Children are named {@code 0, 1, 2, ...}. */
public class Sequential extends Module {
    private final List<Module> layers = new ArrayList<>();

    /** A sequence of {@code layers}. */
    public Sequential(Module... layers) {
        for (Module m : layers) {
            add(m);
        }
    }

    /** Appends a layer named by its index; returns this. */
    public Sequential add(Module layer) {
        registerModule(Integer.toString(layers.size()), layer);
        layers.add(layer);
        return this;
    }

    /** The layers in order. */
    public List<Module> layers() {
        return java.util.Collections.unmodifiableList(layers);
    }

    /** The layer at {@code index}. */
    public Module get(int index) {
        return layers.get(index);
    }

    /** Number of layers. */
    public int size() {
        return layers.size();
    }

    @Override
    protected void onChildReplaced(String name, Module old, Module replacement) {
        layers.set(Integer.parseInt(name), replacement);
    }

    @Override
    protected Tensor compute(Tensor x) {
        Tensor y = x;
        for (Module m : layers) {
            y = m.forward(y);
        }
        return y;
    }
}
