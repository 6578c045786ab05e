package org.quadralib.core.optim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.quadralib.core.GradMode;
import org.quadralib.core.InferenceMode;
import org.quadralib.core.Tensor;
import org.quadralib.core.memory.MemoryCategory;
import org.quadralib.core.ops.InPlace;

/**
 * Base of the optimizers: parameter groups, per-parameter state (counted as
 * {@link MemoryCategory#OPTIMIZER_STATE}), zeroing gradients, and state export for checkpoints.
 */
public abstract class Optimizer {

    private final List<ParamGroup> groups;
    private final Map<Tensor, Map<String, Tensor>> state = new IdentityHashMap<>();
    private long steps;
    /** Largest step count a float32 {@code steps} entry holds exactly. */
    private static final float STEPS_EXACT = 1 << 24;

    /**
     * @throws IllegalArgumentException if a parameter appears twice or no group is given
     */
    protected Optimizer(List<ParamGroup> groups) {
        if (groups.isEmpty()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": no parameter groups");
        }
        Map<Tensor, String> seen = new IdentityHashMap<>();
        for (ParamGroup g : groups) {
            for (Tensor p : g.params()) {
                String prev = seen.put(p, g.name());
                if (prev != null) {
                    throw new IllegalArgumentException(getClass().getSimpleName() + ": a parameter appears in groups '" + prev
                            + "' and '" + g.name() + "'");
                }
            }
        }
        this.groups = List.copyOf(groups);
    }

    /** The groups, in order. */
    public List<ParamGroup> groups() {
        return groups;
    }

    /** Every parameter of every group. */
    public List<Tensor> params() {
        List<Tensor> all = new ArrayList<>();
        for (ParamGroup g : groups) {
            all.addAll(g.params());
        }
        return Collections.unmodifiableList(all);
    }

    /** Number of completed {@link #step()} calls. */
    public long steps() {
        return steps;
    }

    /** Sets every parameter's gradient to zero, keeping the buffers for the next step. */
    public void zeroGrad() {
        for (ParamGroup g : groups) {
            for (Tensor p : g.params()) {
                if (p.grad() != null) {
                    InPlace.fill(p.grad(), 0f);
                }
            }
        }
    }

    /**
     * Applies one update to every parameter that has a gradient.
     *
     * @throws IllegalStateException inside an {@link InferenceMode} scope, whose cached weight layouts the update
     *         would leave stale
     */
    public final void step() {
        InferenceMode.checkWeightsMayChange(getClass().getSimpleName() + ".step()");
        try (GradMode.Scope s = GradMode.noGrad()) {
            steps++;
            for (ParamGroup g : groups) {
                for (Tensor p : g.params()) {
                    if (p.grad() != null) {
                        update(g, p, p.grad());
                    }
                }
            }
        }
    }

    /** Updates one parameter in place from its gradient. {@link #steps()} is already incremented. */
    protected abstract void update(ParamGroup group, Tensor param, Tensor grad);

    /** The named state buffer of {@code param}, created as zeros of its shape on first use. */
    protected Tensor state(Tensor param, String key) {
        return state.computeIfAbsent(param, k -> new LinkedHashMap<>())
                .computeIfAbsent(key, k -> Tensor.zeros(MemoryCategory.OPTIMIZER_STATE, param.shape()));
    }

    /**
     * The state for checkpoints: {@code "<group>.<index>.<key>"} → tensor, plus {@code "steps"} as a one-element
     * tensor (exact up to 2^24 steps).
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (ParamGroup g : groups) {
            List<Tensor> ps = g.params();
            for (int i = 0; i < ps.size(); i++) {
                Map<String, Tensor> st = state.get(ps.get(i));
                if (st != null) {
                    for (Map.Entry<String, Tensor> e : st.entrySet()) {
                        out.put(g.name() + "." + i + "." + e.getKey(), e.getValue());
                    }
                }
            }
        }
        out.put("steps", Tensor.of(new float[] {steps}, 1));
        return out;
    }

    /**
     * Restores state written by {@link #stateDict()} for the same groups. Everything is checked before anything
     * is copied: a refused dictionary leaves the state as it was.
     *
     * @throws IllegalArgumentException listing every name that does not match a parameter or a state buffer of
     *                                  this optimizer or has the wrong shape, and a step count that is not an
     *                                  integer in [0, 2^24]
     */
    public void loadStateDict(Map<String, Tensor> dict) {
        List<String> problems = checkStateDict(dict);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".loadStateDict: " + String.join(", ", problems));
        }
        for (Map.Entry<String, Tensor> e : dict.entrySet()) {
            if (!e.getKey().equals("steps")) {
                String[] parts = e.getKey().split("\\.", 3);
                state(group(parts[0]).params().get(Integer.parseInt(parts[1])), parts[2]).copyFrom(e.getValue());
            }
        }
        Tensor s = dict.get("steps");
        if (s != null) {
            steps = (long) s.item();
        }
    }

    /**
     * What {@link #loadStateDict} would refuse in {@code dict}, without changing anything: one line per problem,
     * empty if it would load.
     */
    public List<String> checkStateDict(Map<String, Tensor> dict) {
        List<String> problems = new ArrayList<>();
        Set<String> keys = stateKeys();
        for (Map.Entry<String, Tensor> e : dict.entrySet()) {
            String k = e.getKey();
            if (k.equals("steps")) {
                Tensor s = e.getValue();
                float v = s.numel() == 1 ? s.item() : Float.NaN;
                if (!(v >= 0 && v <= STEPS_EXACT && v == Math.rint(v))) {
                    problems.add("steps (expected one integer in [0, 2^24], got shape "
                            + java.util.Arrays.toString(s.shape()) + (s.numel() == 1 ? ", value " + v : "") + ")");
                }
                continue;
            }
            String[] parts = k.split("\\.", 3);
            ParamGroup g = parts.length == 3 ? group(parts[0]) : null;
            int idx = g != null && parts[1].matches("\\d{1,9}") ? Integer.parseInt(parts[1]) : -1;
            if (g == null || idx < 0 || idx >= g.params().size()) {
                problems.add(k + " (no such group or parameter)");
                continue;
            }
            if (keys != null && !keys.contains(parts[2])) {
                problems.add(k + " (" + getClass().getSimpleName() + " keeps no state '" + parts[2] + "'; it keeps "
                        + new java.util.TreeSet<>(keys) + ")");
                continue;
            }
            Tensor p = g.params().get(idx);
            if (!java.util.Arrays.equals(p.shape(), e.getValue().shape())) {
                problems.add(k + " (shape " + java.util.Arrays.toString(e.getValue().shape()) + ", parameter "
                        + java.util.Arrays.toString(p.shape()) + ")");
            }
        }
        return problems;
    }

    /**
     * The names of the per-parameter state buffers this optimizer keeps (the last part of a
     * {@link #stateDict()} name), or null to accept any name.
     */
    protected Set<String> stateKeys() {
        return null;
    }

    private ParamGroup group(String name) {
        for (ParamGroup g : groups) {
            if (g.name().equals(name)) {
                return g;
            }
        }
        return null;
    }
}
