package org.quadralib.layers.train;

import java.util.LinkedHashMap;
import java.util.Map;

import org.quadralib.core.Tensor;
import org.quadralib.layers.Module;
import org.quadralib.layers.Parameter;

/**
 * What a {@link Trainer} does with a step whose loss, or any parameter's gradient after the
 * {@link TrainingListener#onGradients} listeners ran (after clipping), holds NaN or infinity. Set with
 * {@link Trainer#onNonFinite}.
 */
public enum NonFinitePolicy {
    /** Apply the step anyway: NaN spreads into the weights. The default, and what PyTorch does. */
    IGNORE,
    /**
     * Skip the update: the weights, the optimizer state (and its step count) and the batch-norm running
     * statistics stay as they were before the batch, which counts as done (the position, the global step and a
     * per-step schedule move on; the batch adds nothing to the epoch's loss and accuracy). A warning is logged
     * and {@link TrainingListener#onBatchEnd} still sees the batch, with its non-finite loss.
     */
    SKIP_STEP,
    /**
     * End the fit before the update, leaving the model as it was before the batch (which does not count as
     * done); the history's stop reason is {@link History.StopReason#NON_FINITE}.
     */
    STOP;

    /** The first parameter whose gradient holds NaN or infinity, described, or null if all are finite. */
    static String nonFiniteGradient(Module model) {
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            Tensor g = e.getValue().tensor().grad();
            if (g != null) {
                float[] d = g.toFloatArray();
                for (int i = 0; i < d.length; i++) {
                    if (!Float.isFinite(d[i])) {
                        return "the gradient of '" + e.getKey() + "' holds " + d[i] + " at flat index " + i;
                    }
                }
            }
        }
        return null;
    }

    /** Copies of the model's buffers (the state-dict entries that are not parameters). */
    static Map<String, float[]> buffers(Module model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        Map<String, Parameter> params = model.namedParameters();
        model.stateDict().forEach((name, t) -> {
            if (!params.containsKey(name)) {
                out.put(name, t.toFloatArray());
            }
        });
        return out;
    }

    static void restoreBuffers(Module model, Map<String, float[]> buffers) {
        Map<String, Tensor> state = model.stateDict();
        buffers.forEach((name, values) -> state.get(name).copyFrom(Tensor.of(values, state.get(name).shape())));
    }
}
