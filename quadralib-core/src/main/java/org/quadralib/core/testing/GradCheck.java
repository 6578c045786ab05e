package org.quadralib.core.testing;

import java.util.Arrays;
import java.util.function.Function;

import org.quadralib.core.GradMode;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;

/**
 * Central finite-difference check of analytic gradients, as PyTorch's {@code torch.autograd.gradcheck}, for any
 * function of tensors: an op, a composition of ops, a hand-written {@link org.quadralib.core.Function}, or a layer
 * ({@code in -> layer.forward(in[0])} with the layer's parameters passed as further inputs, so they are perturbed
 * and checked too; {@code org.quadralib.testing.LayerContract} does that for a whole module).
 *
 * <p>The output is reduced to the scalar {@code L = Σ out ∘ R} with a fixed random {@code R}, so every output
 * element contributes; each element of every input that requires a gradient is perturbed by {@code ±eps} in
 * float32 and the difference quotient {@code (L(x + eps) − L(x − eps)) / 2eps}, computed in double from the two
 * losses, is compared with the gradient back-propagation gives: the check fails when
 * {@code |numeric − analytic| / max(1, |numeric|) > tol}. Each input costs {@code 2·numel} extra evaluations of
 * the function, so keep the inputs small (tens to a few hundred elements).
 *
 * <p>Failures are plain {@link AssertionError}s naming the check, the input, the element and both values.
 */
public final class GradCheck {

    private GradCheck() {
    }

    /**
     * Checks d L / d input for every input that requires a gradient.
     *
     * @param name   names the check in failure messages
     * @param fn     the function; must be deterministic (same inputs, same output) and must read the inputs it is
     *               given (it is called again on the same tensors with one element changed)
     * @param inputs the inputs; those that require a gradient must be contiguous leaves
     * @param eps    perturbation, e.g. 1e-2 for float32 inputs of order 1
     * @param tol    tolerance on {@code |numeric − analytic| / max(1, |numeric|)}
     * @throws AssertionError           naming the input, the element and both values on a mismatch, or when no
     *                                  gradient reached an input that requires one
     * @throws IllegalArgumentException if an input that requires a gradient is not a contiguous leaf
     */
    public static void check(String name, Function<Tensor[], Tensor> fn, Tensor[] inputs, float eps, float tol) {
        for (int k = 0; k < inputs.length; k++) {
            Tensor in = inputs[k];
            if (in.requiresGrad() && !(in.isLeaf() && in.isContiguous())) {
                throw new IllegalArgumentException("GradCheck " + name + ": input " + k + " " + Arrays.toString(in.shape())
                        + " requires a gradient but is not a contiguous leaf (pass x.copy().requiresGrad(true))");
            }
        }
        Tensor out = fn.apply(inputs);
        Rng rng = new Rng(1234);
        Tensor r = Tensor.randn(rng, out.shape());
        for (Tensor in : inputs) {
            if (in.requiresGrad()) {
                in.setGrad(null);
            }
        }
        out.mul(r).sum().backward();
        for (int k = 0; k < inputs.length; k++) {
            Tensor in = inputs[k];
            if (!in.requiresGrad()) {
                continue;
            }
            if (in.grad() == null) {
                throw new AssertionError(name + ": no gradient reached input " + k);
            }
            float[] analytic = in.grad().toFloatArray();
            float[] data = in.data();
            int n = in.numel();
            // A contiguous leaf: element i is data[offset + i].
            for (int i = 0; i < n; i++) {
                int idx = in.offset() + i;
                float orig = data[idx];
                double plus;
                double minus;
                try (GradMode.Scope s = GradMode.noGrad()) {
                    data[idx] = orig + eps;
                    plus = loss(fn.apply(inputs), r);
                    data[idx] = orig - eps;
                    minus = loss(fn.apply(inputs), r);
                } finally {
                    data[idx] = orig;
                }
                double numeric = (plus - minus) / (2.0 * eps);
                double err = Math.abs(numeric - analytic[i]) / Math.max(1.0, Math.abs(numeric));
                if (!(err <= tol)) {
                    throw new AssertionError(name + ": d/d input " + k + "[" + i + "]: finite difference " + numeric
                            + ", backward " + analytic[i] + " (relative error " + err + " > " + tol + ")");
                }
            }
        }
    }

    /**
     * {@link #check(String, Function, Tensor[], float, float)} with eps 1e-2 and tolerance 2e-2, suitable for
     * float32 ops on inputs of order 1.
     *
     * @throws AssertionError on a mismatch, as the full form
     */
    public static void check(String name, Function<Tensor[], Tensor> fn, Tensor... inputs) {
        check(name, fn, inputs, 1e-2f, 2e-2f);
    }

    private static double loss(Tensor out, Tensor r) {
        float[] o = out.toFloatArray();
        float[] w = r.toFloatArray();
        double s = 0;
        for (int i = 0; i < o.length; i++) {
            s += (double) o[i] * w[i];
        }
        return s;
    }
}
