package org.quadralib.layers;

import java.util.Arrays;
import java.util.Locale;

import org.quadralib.core.Function;
import org.quadralib.core.Tensor;

/**
 * Hybrid back-propagation of one quadratic layer call: a custom autograd function whose forward computes the
 * output without keeping the branch outputs, and whose backward recomputes the ones it needs from the saved input
 * with one stacked GEMM or convolution ({@link QuadraticEngine}).
 *
 * <p>Inputs: the layer input, then every parameter of the layer (its branch norms' included), in
 * {@link Module#parameters()} order. Saved for backward: the input only (its contiguous form), plus the
 * per-channel branch-norm statistics as plain values, which the saved-tensor registry does not see because they
 * are a few floats per channel.
 */
final class HybridQuadraticFunction extends Function {

    private static final String STATE = "branch_state";
    private static final String ENGINE = "engine";
    private static final String PARAMS = "params";

    private final QuadraticLayer layer;
    private final QuadraticProjection projection;
    private final boolean masked;
    private final int[] outputShape;

    HybridQuadraticFunction(QuadraticLayer layer, QuadraticProjection projection, boolean masked, int[] outputShape) {
        this.layer = layer;
        this.projection = projection;
        this.masked = masked;
        this.outputShape = outputShape;
    }

    @Override
    protected String name() {
        return "quadratic_" + layer.neuronType().name().toLowerCase(Locale.ROOT);
    }

    @Override
    protected Tensor forward(Context ctx, Tensor... inputs) {
        Tensor x = inputs[0].contiguous();
        Tensor y = Tensor.empty(outputShape);
        // One engine per call: forward's scratch is released once y is written, the engine itself kept for backward.
        QuadraticEngine engine = new QuadraticEngine(layer, projection, masked);
        QuadraticEngine.BranchState state = engine.forward(QuadraticEngine.raw(x), y.data(), ctx.recordsGraph());
        engine.releaseScratch();
        ctx.save(x);
        ctx.put(STATE, state);
        ctx.put(ENGINE, engine);
        ctx.put(PARAMS, Arrays.copyOfRange(inputs, 1, inputs.length));
        return y;
    }

    @Override
    protected Tensor[] backward(Context ctx, Tensor gradOutput) {
        Tensor x = ctx.saved(0);
        Tensor[] params = ctx.get(PARAMS);
        QuadraticEngine engine = ctx.get(ENGINE);
        QuadraticEngine.Gradients g = engine.backward(QuadraticEngine.raw(x), x.shape(), QuadraticEngine.raw(gradOutput),
                ctx.get(STATE), ctx.needsInputGrad(0));
        engine.releaseScratch();
        Tensor[] out = new Tensor[params.length + 1];
        // Masked, only the linear term reached the output: like autograd, leave the others without a gradient
        // (a zero one would still move them through momentum and weight decay).
        out[0] = masked && layer.linearWeight() == null ? null : g.input();
        for (int i = 0; i < params.length; i++) {
            boolean used = !masked || params[i] == layer.linearWeight() || params[i] == layer.linearBias();
            if (used && ctx.needsInputGrad(i + 1)) {
                out[i + 1] = g.params().get(params[i]);
            }
        }
        return out;
    }
}
