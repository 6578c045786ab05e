package org.quadralib.layers;

import org.quadralib.core.Tensor;

/** Returns its input unchanged, as PyTorch's {@code nn.Identity}; the shortcut of a residual block. */
public class Identity extends Module {

    @Override
    protected Tensor compute(Tensor x) {
        return x;
    }
}
