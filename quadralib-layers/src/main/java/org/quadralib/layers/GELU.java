package org.quadralib.layers;

import org.quadralib.core.Tensor;

/** Element-wise {@code x·Φ(x)} with the exact normal CDF, as PyTorch's {@code nn.GELU()}. Any input shape; output has the input's shape. */
public class GELU extends Module {

    @Override
    protected Tensor compute(Tensor x) {
        return x.gelu();
    }
}
