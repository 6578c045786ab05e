package org.quadralib.layers.train;

import java.util.Arrays;
import java.util.function.Consumer;

import org.quadralib.core.Tensor;
import org.quadralib.core.data.DataLoader;
import org.quadralib.layers.Module;

/**
 * How one {@link Trainer} step obtains the gradients of its batch. {@link #LOCAL} is the single-machine step:
 * {@code loss = loss(model.forward(x), y)}, then back-propagation, leaving {@code ∂loss/∂p} accumulated in every
 * parameter's gradient. A distributed trainer computes the same quantity elsewhere (each worker running
 * {@link #LOCAL} on its share of the batch) and writes the combined gradient into the model's parameters; the
 * trainer then clips, steps the optimizer and records the batch exactly as it does for a local step.
 */
@FunctionalInterface
public interface GradientStep {

    /**
     * What a step reports besides the gradients.
     *
     * @param loss    the mean loss over the batch
     * @param correct how many samples of the batch the model predicted right ({@link Trainer#countCorrect})
     */
    record Outcome(float loss, int correct) {
    }

    /** The single-machine step: forward, loss and back-propagation in this thread ({@link #local}). */
    GradientStep LOCAL = GradientStep::local;

    /**
     * Leaves the gradient of the mean loss over {@code batch} accumulated in the parameters of {@code model}.
     *
     * @param phases told when the forward and the backward pass start (profilers attribute memory by phase)
     * @return the batch's mean loss and correct count
     * @throws RuntimeException whatever the model or the loss throws
     */
    Outcome compute(Module model, Loss loss, DataLoader.Batch batch, Consumer<StepPhase> phases);

    /**
     * Forward, loss and back-propagation of {@code batch} through {@code model} in the calling thread: the step
     * every {@link Trainer} runs by default and every worker of a distributed trainer runs on its share.
     *
     * @throws IllegalArgumentException if the loss is not one value
     * @throws RuntimeException         whatever the model or the loss throws (shape mismatches name the layer)
     */
    static Outcome local(Module model, Loss loss, DataLoader.Batch batch, Consumer<StepPhase> phases) {
        phases.accept(StepPhase.FORWARD);
        Tensor output = model.forward(batch.inputs());
        Tensor value = loss.compute(output, batch.labels());
        if (value.numel() != 1) {
            throw new IllegalArgumentException("Trainer: the loss must be one value (the batch mean), got shape "
                    + Arrays.toString(value.shape()) + " for model output " + Arrays.toString(output.shape()));
        }
        float lossValue = value.item();
        int correct = Trainer.countCorrect(output, batch.labels());
        phases.accept(StepPhase.BACKWARD);
        value.backward();
        return new Outcome(lossValue, correct);
    }
}
