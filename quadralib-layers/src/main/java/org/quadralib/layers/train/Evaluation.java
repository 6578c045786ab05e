package org.quadralib.layers.train;

/**
 * The result of evaluating a model on a data set.
 *
 * @param loss     the mean loss per sample ({@code NaN} when there were no samples or the loss diverged)
 * @param accuracy the fraction of samples whose prediction (see {@link Trainer#countCorrect}) equals the label,
 *                 in [0, 1]
 * @param samples  the number of samples seen
 */
public record Evaluation(double loss, double accuracy, int samples) {
}
