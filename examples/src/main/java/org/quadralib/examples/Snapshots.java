package org.quadralib.examples;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.quadralib.core.Tensor;
import org.quadralib.layers.Parameter;
import org.quadralib.layers.train.BatchResult;
import org.quadralib.layers.train.EpochRecord;
import org.quadralib.layers.train.TrainingContext;
import org.quadralib.layers.train.TrainingListener;

/**
 * What {@code explore}'s report draws of one candidate's training beyond its history: the loss of every step, and
 * copies of every weight-like parameter and its gradient (of the epoch's last step, before the update) at the end of
 * the first and of the last epoch.
 */
final class Snapshots implements TrainingListener {

    /** Parameter values and gradients by dotted name, at the end of one epoch. */
    record Epoch(int epoch, Map<String, float[]> weights, Map<String, float[]> gradients) {
    }

    private final List<Double> stepLosses = new ArrayList<>();
    private Map<String, float[]> lastGradients = Map.of();
    private Epoch first;
    private Epoch last;

    @Override
    public void onGradients(TrainingContext context) {
        if (context.batchesDone() + 1 < context.batchesPerEpoch()) {
            return;
        }
        Map<String, float[]> g = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : context.model().namedParameters().entrySet()) {
            Tensor grad = e.getValue().tensor().grad();
            if (grad != null && isWeight(e.getKey())) {
                g.put(e.getKey(), grad.toFloatArray());
            }
        }
        lastGradients = g;
    }

    @Override
    public void onBatchEnd(TrainingContext context, BatchResult result) {
        stepLosses.add((double) result.loss());
    }

    @Override
    public void onEpochEnd(TrainingContext context, EpochRecord record) {
        Map<String, float[]> w = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : context.model().namedParameters().entrySet()) {
            if (isWeight(e.getKey())) {
                w.put(e.getKey(), e.getValue().tensor().toFloatArray());
            }
        }
        last = new Epoch(record.epoch() + 1, w, lastGradients);
        if (first == null) {
            first = last;
        }
    }

    /** {@code weight}, {@code weight_a}, {@code weight_b}, {@code weight_c}: not biases or normalisation scales. */
    static boolean isWeight(String name) {
        String leaf = name.substring(name.lastIndexOf('.') + 1);
        return leaf.startsWith("weight");
    }

    List<Double> stepLosses() {
        return stepLosses;
    }

    /** The end of the first epoch, or null before one ended. */
    Epoch first() {
        return first;
    }

    /** The end of the last epoch, or null before one ended. */
    Epoch last() {
        return last;
    }
}
