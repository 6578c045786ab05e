package org.quadralib.layers;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;

import org.quadralib.core.Tensor;

/**
 * Runs its children in order, each on the previous one's output, under names of the caller's choosing, as PyTorch's
 * {@code nn.Sequential(OrderedDict(...))} or a model whose {@code forward} chains its attributes. Gives models
 * PyTorch-style state-dict names such as {@code features.0.weight} and {@code classifier.weight}.
 */
public class NamedSequential extends Module {
    private final List<Module> layers = new ArrayList<>();
    private final List<String> names = new ArrayList<>();

    /** An empty sequence; fill it with {@link #add}. */
    public NamedSequential() {
    }

    /**
     * Appends {@code layer} under {@code name}; returns this.
     *
     * @throws IllegalArgumentException if the name is empty, contains a dot or is taken
     */
    public NamedSequential add(String name, Module layer) {
        registerModule(name, layer);
        names.add(name);
        layers.add(layer);
        return this;
    }

    /** The layers in order. */
    public List<Module> layers() {
        return Collections.unmodifiableList(layers);
    }

    /** Number of layers. */
    public int size() {
        return layers.size();
    }

    /**
     * The layer registered under {@code name}.
     *
     * @throws IllegalArgumentException if there is none
     */
    public Module get(String name) {
        int i = names.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException(describe() + ": no layer named '" + name + "' (have " + names + ")");
        }
        return layers.get(i);
    }

    @Override
    protected void onChildReplaced(String name, Module old, Module replacement) {
        layers.set(names.indexOf(name), replacement);
    }

    @Override
    public Module freshCopy(UnaryOperator<Module> copyChild) {
        NamedSequential copy = new NamedSequential();
        for (int i = 0; i < layers.size(); i++) {
            copy.add(names.get(i), copyChild.apply(layers.get(i)));
        }
        return copy;
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
