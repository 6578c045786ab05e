package org.quadralib.autobuild;

import java.util.List;
import java.util.Objects;

import org.quadralib.core.optim.ParamGroup;
import org.quadralib.layers.Module;
import org.quadralib.layers.QuadraticOptimizers;

/**
 * The outcome of {@link Converter#convert}: the converted model (a new module tree; the original is untouched) and
 * the report of what was done to each weight layer.
 *
 * @param model the converted model, in the original's train/eval modes
 * @param report what happened to every weight layer
 */
public record ConversionResult(Module model, ConversionReport report) {

    /** @throws NullPointerException if an argument is null */
    public ConversionResult {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(report, "report");
    }

    /**
     * The converted model's parameters split for the quadratic optimizer ({@link QuadraticOptimizers#parameterGroups}):
     * {@code "linear"} at learning rate {@code lr} and decay {@code weightDecay}, {@code "quadratic"} (the quadratic-term
     * weights the conversion created) at {@code lr·quadraticLrScale} and {@code quadraticWeightDecay}; an empty group is
     * left out.
     *
     * @throws IllegalArgumentException if a rate, scale or decay is negative or not finite
     */
    public List<ParamGroup> parameterGroups(float lr, float quadraticLrScale, float weightDecay, float quadraticWeightDecay) {
        return QuadraticOptimizers.parameterGroups(model, lr, quadraticLrScale, weightDecay, quadraticWeightDecay);
    }
}
