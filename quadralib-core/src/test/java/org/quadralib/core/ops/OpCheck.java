package org.quadralib.core.ops;

import java.util.Arrays;
import java.util.function.Function;

import org.quadralib.core.Tensor;
import org.quadralib.core.testing.Golden;
import org.quadralib.core.testing.GradCheck;

/**
 * The one helper behind the op tests: runs a function against its PyTorch golden (forward values and the
 * gradients of every input PyTorch differentiated) and against central finite differences on the same inputs.
 * Fixtures come from {@code goldens/core_ops.py}.
 */
public final class OpCheck {

    private OpCheck() {
    }

    /** Golden forward and backward at the default float32 tolerance (1e-4 absolute, 1e-3 relative), then GradCheck. */
    public static void check(String golden, Function<Tensor[], Tensor> fn) {
        check(golden, 1e-4f, 1e-3f, fn);
    }

    /**
     * Golden forward and backward at the given tolerance, then finite differences if any input is differentiable
     * (forward-only cases such as argmax have none).
     *
     * @throws AssertionError naming the case, the input and the worst element on any mismatch
     */
    public static void check(String golden, float atol, float rtol, Function<Tensor[], Tensor> fn) {
        Golden g = Golden.load(golden);
        g.check(fn, atol, rtol);
        Tensor[] inputs = g.inputs();
        if (Arrays.stream(inputs).anyMatch(Tensor::requiresGrad)) {
            GradCheck.check(golden, fn, inputs);
        }
    }

    /**
     * Golden forward and backward only, for inputs exactly at a kink or a tie (relu at 0, equal maxima), where
     * finite differences are meaningless and PyTorch's convention is the reference.
     */
    public static void golden(String golden, Function<Tensor[], Tensor> fn) {
        Golden.load(golden).check(fn);
    }

    /** Class labels stored by the generator as a float tensor, as the {@code int[]} the losses take. */
    public static int[] labels(Tensor t) {
        float[] v = t.toFloatArray();
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Math.round(v[i]);
        }
        return out;
    }
}
