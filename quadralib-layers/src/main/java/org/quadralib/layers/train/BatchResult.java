package org.quadralib.layers.train;

/**
 * What one training step produced, handed to {@link TrainingListener#onBatchEnd}.
 *
 * @param epoch      the epoch, from 0
 * @param batch      the batch's index in its epoch, from 0
 * @param globalStep the number of optimizer steps taken so far, this one included (1 after the first step)
 * @param loss       the batch's mean loss, copied out of the step's memory scope
 * @param correct    how many of the batch's samples were predicted right
 * @param size       the number of samples in the batch
 * @param nanos      the wall-clock time of the step (data, forward, backward, update), in nanoseconds
 */
public record BatchResult(int epoch, int batch, long globalStep, float loss, int correct, int size, long nanos) {

    /** {@code correct / size}. */
    public double accuracy() {
        return size == 0 ? Double.NaN : correct / (double) size;
    }
}
