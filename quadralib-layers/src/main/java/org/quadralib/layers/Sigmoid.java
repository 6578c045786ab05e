package org.quadralib.layers;

import org.quadralib.core.Tensor;

/** Element-wise {@code 1/(1 + e^(−x))}, as PyTorch's {@code nn.Sigmoid}. Any input shape; output has the input's shape. */
public class Sigmoid extends Module {

    @Override
    protected Tensor compute(Tensor x) {
        return x.sigmoid();
    }
}
