package org.quadralib.spark;

/**
 * What one distributed step cost. Bytes are counted as Spark's serializer writes them (the weights, which travel in
 * the step's serialized task that Spark broadcasts once per executor, and each partition's result sent back to the
 * driver); what Spark adds around them (the rest of the task, task metrics: a few hundred bytes) is not included.
 *
 * @param workers       partitions that computed a share of the batch
 * @param weightBytes   serialized weights (parameters and buffers) each executor fetches once per step
 * @param resultBytes   serialized result each partition sends (its scaled gradient, buffers, loss and count)
 * @param rounds        Spark stages the step ran (each one a scheduling round trip from the driver)
 * @param driverMillis  wall time of the whole step on the driver (broadcast, job, sum, write-back)
 * @param computeMillis the longest partition's time inside its task (weights loaded, batch built, forward and
 *                      backward, result packed)
 */
public record StepCost(int workers, long weightBytes, long resultBytes, int rounds, double driverMillis,
                       double computeMillis) {

    /** Bytes one worker moves per step: the weights in, its result out. */
    public long bytesPerWorker() {
        return weightBytes + resultBytes;
    }
}
