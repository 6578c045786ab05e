package org.quadralib.viz;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;

import org.knowm.xchart.XYChart;
import org.quadralib.layers.Module;

/**
 * Keeps a copy of the latest forward output of chosen modules (through post-hooks), for activation
 * histograms. Only the latest output per module is kept; each is copied to a {@code float[]} so it stays
 * readable after a memory scope closes. Close it to remove the hooks.
 */
public final class ActivationRecorder implements AutoCloseable {

    private final Map<String, float[]> values = new LinkedHashMap<>();
    private final Map<String, int[]> shapes = new LinkedHashMap<>();
    private final Map<String, String> types = new LinkedHashMap<>();
    private final List<Module.HookHandle> hooks = new ArrayList<>();

    private ActivationRecorder() {
    }

    /** Records the output of every leaf module (one without children) of {@code model}. */
    public static ActivationRecorder attach(Module model) {
        return attach(model, (name, m) -> m.children().isEmpty());
    }

    /**
     * Records the output of the modules of {@code model} accepted by {@code which}, given each module's name
     * in {@link Module#namedModules()} and the module.
     */
    public static ActivationRecorder attach(Module model, BiPredicate<String, Module> which) {
        ActivationRecorder r = new ActivationRecorder();
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            if (which.test(e.getKey(), e.getValue())) {
                String name = e.getKey();
                r.types.put(name, e.getValue().getClass().getSimpleName());
                r.hooks.add(e.getValue().addPostHook((m, in, out) -> {
                    r.record(name, out.toFloatArray(), out.shape());
                    return null;
                }));
            }
        }
        return r;
    }

    private synchronized void record(String name, float[] v, int[] shape) {
        values.put(name, v);
        shapes.put(name, shape.clone());
    }

    /** The latest output values by module name, in the order the modules first ran. */
    public synchronized Map<String, float[]> outputs() {
        return new LinkedHashMap<>(values);
    }

    /** The latest output shape by module name. */
    public synchronized Map<String, int[]> shapes() {
        return new LinkedHashMap<>(shapes);
    }

    /**
     * One histogram per recorded module, titled {@code <type> '<name>' activations [shape]}.
     *
     * @throws IllegalArgumentException if {@code bins < 1}
     */
    public synchronized Map<String, XYChart> histograms(int bins) {
        Map<String, XYChart> out = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : values.entrySet()) {
            String name = e.getKey();
            out.put(name, Charts.histogram(types.get(name) + " '" + name + "' activations " + Arrays.toString(shapes.get(name)),
                    e.getValue(), bins));
        }
        return out;
    }

    /** Removes the hooks; recorded values stay available. */
    @Override
    public void close() {
        hooks.forEach(Module.HookHandle::close);
        hooks.clear();
    }
}
