package org.quadralib.layers;

import org.quadralib.core.Tensor;

/** Element-wise {@code tanh x}, as PyTorch's {@code nn.Tanh}. Any input shape; output has the input's shape. */
public class Tanh extends Module {

    @Override
    protected Tensor compute(Tensor x) {
        return x.tanh();
    }
}
