package org.quadralib.layers;

import org.quadralib.core.Tensor;

/** Element-wise {@code max(x, 0)}, as PyTorch's {@code nn.ReLU}. Any input shape; output has the input's shape. */
public class ReLU extends Module {

    @Override
    protected Tensor compute(Tensor x) {
        return x.relu();
    }
}
