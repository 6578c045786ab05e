package org.quadralib.core.optim;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.quadralib.core.Parallel;
import org.quadralib.core.Tensor;
import org.quadralib.core.kernels.Elementwise;

/**
 * Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay, as PyTorch's SGD:
 * {@code g ← g + wd·p; v ← μ·v + g; p ← p − lr·(nesterov ? g + μ·v : v)} (v starts as the first g).
 */
public final class SGD extends Optimizer {
    private final float momentum;
    private final boolean nesterov;
    /** Parameters whose momentum buffer holds a value: PyTorch starts the buffer at the first gradient. */
    private final Set<Tensor> used = Collections.newSetFromMap(new IdentityHashMap<>());

    /**
     * @throws IllegalArgumentException if momentum is outside [0, 1) or Nesterov is asked without momentum
     */
    public SGD(List<ParamGroup> groups, float momentum, boolean nesterov) {
        super(groups);
        if (!(momentum >= 0f && momentum < 1f)) {
            throw new IllegalArgumentException("SGD: momentum must be in [0, 1), got " + momentum);
        }
        if (nesterov && momentum == 0f) {
            throw new IllegalArgumentException("SGD: Nesterov momentum requires momentum > 0");
        }
        this.momentum = momentum;
        this.nesterov = nesterov;
    }

    /** One group with learning rate {@code lr}. */
    public SGD(List<Tensor> params, float lr, float momentum) {
        this(List.of(new ParamGroup("default", params, lr, 0f)), momentum, false);
    }

    @Override
    protected Set<String> stateKeys() {
        return Set.of("momentum");
    }

    @Override
    protected void update(ParamGroup group, Tensor param, Tensor grad) {
        float[] p = param.data();
        float[] g = grad.data();
        int po = param.offset();
        int go = grad.offset();
        int n = param.numel();
        float lr = group.lr();
        float wd = group.weightDecay();
        if (momentum == 0f) {
            Parallel.forRange(n, Elementwise.GRAIN, (from, to) -> {
                for (int i = from; i < to; i++) {
                    p[po + i] -= lr * (g[go + i] + wd * p[po + i]);
                }
            });
            return;
        }
        boolean first = !used.contains(param);
        Tensor vt = state(param, "momentum");
        // Split like an element-wise op: the update streams parameter, gradient and momentum through memory.
        Elementwise.sgdMomentum(p, po, g, go, vt.data(), n, lr, wd, momentum, first, nesterov);
        used.add(param);
    }

    @Override
    public void loadStateDict(Map<String, Tensor> dict) {
        super.loadStateDict(dict);
        for (ParamGroup g : groups()) {
            for (int i = 0; i < g.params().size(); i++) {
                if (dict.containsKey(g.name() + "." + i + ".momentum")) {
                    used.add(g.params().get(i));
                }
            }
        }
    }
}
