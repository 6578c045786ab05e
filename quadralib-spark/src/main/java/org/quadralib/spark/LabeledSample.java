package org.quadralib.spark;

import java.io.Serializable;
import java.util.Objects;

/**
 * One training row: the sample's values, row-major in the data's sample shape, and its class index.
 *
 * @param features the sample's {@code numel(sampleShape)} values
 * @param label    the class index
 */
public record LabeledSample(float[] features, int label) implements Serializable {

    /** @throws NullPointerException if features is null */
    public LabeledSample {
        Objects.requireNonNull(features, "LabeledSample: features");
    }
}
