package org.quadralib.spark;

import java.util.Map;

import org.quadralib.core.Tensor;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.memory.MemoryScope;
import org.quadralib.layers.Module;
import org.quadralib.layers.Parameter;

/**
 * A model's state as one flat array, the form in which weights go to the executors and gradients come back:
 * parameters first (in {@link Module#namedParameters()} order), then buffers (the rest of
 * {@link Module#stateDict()}, in its order). A step's result from a partition is laid out as
 * {@code [gradients (parameterLength) | buffers | loss·n | correct]}.
 */
final class FlatState {

    private FlatState() {
    }

    /** Number of parameter values. */
    static int parameterLength(Module model) {
        return Math.toIntExact(model.parameterCount());
    }

    /** Number of parameter and buffer values. */
    static int stateLength(Module model) {
        long n = 0;
        for (Tensor t : model.stateDict().values()) {
            n += t.numel();
        }
        return Math.toIntExact(n);
    }

    /** The parameters, then the buffers, of {@code model}. */
    static float[] pack(Module model) {
        float[] out = new float[stateLength(model)];
        int at = 0;
        for (Tensor t : ordered(model)) {
            at = copyOut(t, out, at, 1f);
        }
        return out;
    }

    /** Writes {@code state} (laid out as {@link #pack}) into the parameters and buffers of {@code model}. */
    static void unpack(float[] state, Module model) {
        int at = 0;
        for (Tensor t : ordered(model)) {
            System.arraycopy(state, at, t.data(), t.offset(), t.numel());
            at += t.numel();
        }
        if (at != state.length) {
            throw new IllegalArgumentException("SparkTrainer: the driver's state has " + state.length
                    + " values, this replica's " + at + ": the model factory builds a different model");
        }
    }

    /**
     * Writes {@code scale}·(each parameter's gradient) into {@code out} from 0 and {@code scale}·(each buffer)
     * after them; a parameter without a gradient contributes zeros.
     *
     * @return the index after the last value written
     */
    static int gradientsAndBuffers(Module model, float scale, float[] out) {
        int at = 0;
        for (Parameter p : model.namedParameters().values()) {
            Tensor g = p.tensor().grad();
            at = g == null ? at + p.tensor().numel() : copyOut(g, out, at, scale);
        }
        for (Tensor b : buffers(model)) {
            at = copyOut(b, out, at, scale);
        }
        return at;
    }

    /**
     * Sets every parameter's gradient of {@code model} from {@code values[0, parameterLength)} and its buffers
     * from the values after them.
     */
    static void setGradientsAndBuffers(Module model, float[] values) {
        int at = 0;
        for (Parameter p : model.namedParameters().values()) {
            Tensor param = p.tensor();
            Tensor g = param.grad();
            if (g == null) {
                // Gradients outlive a step: allocate outside the trainer's step scope.
                g = MemoryScope.outside(() -> Tensor.zeros(MemoryCategory.GRADIENT, param.shape()));
                param.setGrad(g);
            }
            System.arraycopy(values, at, g.data(), g.offset(), g.numel());
            at += g.numel();
        }
        for (Tensor b : buffers(model)) {
            System.arraycopy(values, at, b.data(), b.offset(), b.numel());
            at += b.numel();
        }
    }

    private static int copyOut(Tensor t, float[] out, int at, float scale) {
        if (!t.isContiguous()) {
            throw new IllegalStateException("SparkTrainer: expected contiguous parameters, buffers and gradients");
        }
        float[] d = t.data();
        int off = t.offset();
        int n = t.numel();
        if (scale == 1f) {
            System.arraycopy(d, off, out, at, n);
        } else {
            for (int i = 0; i < n; i++) {
                out[at + i] = d[off + i] * scale;
            }
        }
        return at + n;
    }

    private static java.util.List<Tensor> ordered(Module model) {
        java.util.List<Tensor> out = new java.util.ArrayList<>(model.parameters());
        out.addAll(buffers(model));
        return out;
    }

    private static java.util.List<Tensor> buffers(Module model) {
        Map<String, Parameter> params = model.namedParameters();
        java.util.List<Tensor> out = new java.util.ArrayList<>();
        for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
            if (!params.containsKey(e.getKey())) {
                out.add(e.getValue());
            }
        }
        return out;
    }
}
