package org.quadralib.profiler;

/**
 * What an optimizer keeps per parameter, for a {@link MemoryPrediction}: the number of parameter-sized state
 * tensors ({@link org.quadralib.core.optim.SGD} without momentum keeps none, with momentum one velocity,
 * {@link org.quadralib.core.optim.Adam} two moments).
 */
public enum OptimizerState {
    /** Plain SGD: no state. */
    SGD(0),
    /** SGD with momentum (Nesterov or not): one velocity per parameter. */
    SGD_MOMENTUM(1),
    /** Adam and AdamW: first and second moments. */
    ADAM(2);

    private final int tensorsPerParameter;

    OptimizerState(int tensorsPerParameter) {
        this.tensorsPerParameter = tensorsPerParameter;
    }

    /** Parameter-sized state tensors per parameter. */
    public int tensorsPerParameter() {
        return tensorsPerParameter;
    }
}
