package org.quadralib.core.ops;

import org.quadralib.core.Tensor;

/** Raw array access for kernels that index from 0. */
final class Raw {

    private Raw() {
    }

    /** The data of a contiguous tensor with its first element at index 0 (a copy if the tensor is offset). */
    static float[] data(Tensor t) {
        Tensor c = t.contiguous();
        return c.offset() == 0 ? c.data() : c.toFloatArray();
    }
}
