package org.quadralib.autobuild;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.quadralib.core.Tensor;
import org.quadralib.layers.BatchNorm;
import org.quadralib.layers.Conv2d;
import org.quadralib.layers.Linear;
import org.quadralib.layers.Module;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.QuadraticConv2d;
import org.quadralib.layers.QuadraticLayer;
import org.quadralib.layers.QuadraticLinear;
import org.quadralib.layers.QuadraticOptions;

/**
 * Converts a first-order model into its quadratic twin: {@code Linear} layers become {@link QuadraticLinear} and
 * {@code Conv2d} layers {@link QuadraticConv2d} of the same configuration, as a {@link ConversionPolicy} selects.
 *
 * <p><b>The original is untouched.</b> The model is first deep-copied ({@link ModuleCopier}); layers are replaced in
 * the copy with {@link Module#replaceChild}, in any container (sequential, residual, user-defined) at any depth. A
 * container that keeps a child in a field of its own without following replacement is detected, and that layer is
 * reported unsupported rather than converted on paper only.
 *
 * <p><b>Weight transfer (linear start).</b> For a neuron type with a linear term the new layer is built with
 * {@link QuadraticOptions#linearStart()} (its quadratic term exactly zero) and the original weight and bias are
 * loaded into the linear term ({@link QuadraticLayer#loadLinearTerm}):
 * <ul>
 *   <li>PROPOSED {@code (W_a x)∘(W_b x) + W_c x + b}: W_c, b ← original, W_b = 0 (W_a random, so W_b gets gradients);</li>
 *   <li>T2&amp;4 {@code (W_r x + b_r)∘(W_g x + b_g) + W_b (x∘x) + c}: W_r, b_r ← original, W_g = 0, b_g = 1, W_b = 0,
 *       c = 0; the layer always gets its biases (b_g = 1 carries the function), and b_r = 0 when the original had no
 *       bias;</li>
 *   <li>QRes {@code (W_a x)∘(W_b x) + W_a x + b}: W_a, b ← original, W_b = 0;</li>
 *   <li>T1 {@code xᵀW_a x + W_b x + b}: W_b, b ← original, W_a = 0.</li>
 * </ul>
 * The converted model then computes what the original did, in training and in evaluation mode. With branch batch norm
 * the same holds for PROPOSED and QRes: the zero branch {@code W_b x} normalises to its shift β = 0 in training (the
 * batch variance is 0) and in evaluation (running mean 0), so the product stays 0; the linear term is not normalised.
 * T2&amp;4's constant branch cannot carry b_g = 1 through a batch norm, so T2&amp;4 with branch norm and a linear start
 * is reported unsupported. T1, T1&amp;2 and POLY have no branch to normalise: branch norm does not apply to them and
 * they are built without it (the note says so). T2, T3 and T4 have no linear term: they start from their own
 * initialisation, with branch norm unless the policy turns it off (the default that trains, see {@link NeuronType}), and
 * the report says plainly that the conversion does not preserve the function. So does a policy asking for fresh
 * initialisation.
 *
 * <p>The new layers take the mode (training or evaluation) of the layers they replace.
 */
public final class Converter {

    private Converter() {
    }

    /** What kind of weight layer a module is. */
    private enum Kind {
        LINEAR, CONV, QUADRATIC, OTHER
    }

    private record Candidate(int index, String path, Module module, Kind kind, boolean convLike) {
    }

    /**
     * Converts the weight layers of {@code model} that {@code policy} selects.
     *
     * @return a new model and the report; {@code model} itself is not modified
     * @throws UnsupportedOperationException if the model cannot be copied (see {@link ModuleCopier#copy})
     * @throws NullPointerException naming the layer if the policy's neuron-type function returns null
     */
    public static ConversionResult convert(Module model, ConversionPolicy policy) {
        Objects.requireNonNull(policy, "policy");
        long before = model.parameterCount();
        Module copy = ModuleCopier.copy(model);
        Map<String, Module> modules = copy.namedModules();
        List<Candidate> candidates = candidates(modules);
        int first = -1;
        int last = -1;
        for (Candidate c : candidates) {
            if (inScope(c, policy)) {
                first = first < 0 ? c.index() : first;
                last = c.index();
            }
        }
        List<ConversionReport.Entry> entries = new ArrayList<>();
        for (Candidate c : candidates) {
            String skip = skipReason(c, policy, first, last);
            entries.add(apply(c, skip, policy, modules));
        }
        // A model that is itself one weight layer has no parent to replace it in: the new layer is the model.
        Module result = modules.get("");
        return new ConversionResult(result, new ConversionReport(policy.describe(), entries, before, result.parameterCount()));
    }

    private static List<Candidate> candidates(Map<String, Module> modules) {
        List<Candidate> out = new ArrayList<>();
        for (Map.Entry<String, Module> e : modules.entrySet()) {
            Module m = e.getValue();
            Kind kind;
            if (m instanceof QuadraticLayer) {
                kind = Kind.QUADRATIC;
            } else if (m.getClass() == Linear.class) {
                kind = Kind.LINEAR;
            } else if (m.getClass() == Conv2d.class) {
                kind = Kind.CONV;
            } else if (m instanceof Linear || m instanceof Conv2d || !m.localParameters().isEmpty() && !(m instanceof BatchNorm)
                    && !isInsideQuadratic(e.getKey(), modules)) {
                kind = Kind.OTHER;
            } else {
                continue;
            }
            boolean convLike = m instanceof Conv2d || m instanceof QuadraticConv2d;
            out.add(new Candidate(out.size(), e.getKey(), m, kind, convLike));
        }
        return out;
    }

    private static boolean isInsideQuadratic(String path, Map<String, Module> modules) {
        for (int dot = path.lastIndexOf('.'); dot > 0; dot = path.lastIndexOf('.', dot - 1)) {
            if (modules.get(path.substring(0, dot)) instanceof QuadraticLayer) {
                return true;
            }
        }
        return false;
    }

    private static boolean inScope(Candidate c, ConversionPolicy p) {
        return switch (p.scope()) {
            case ALL -> true;
            case CONVOLUTIONS -> c.convLike();
            case LINEARS -> c.module() instanceof Linear || c.module() instanceof QuadraticLinear;
        };
    }

    /** Why the policy keeps {@code c} first-order, or null if it selects it. */
    private static String skipReason(Candidate c, ConversionPolicy p, int first, int last) {
        if (!inScope(c, p)) {
            return "not selected: outside scope " + p.scope();
        }
        if (p.skipFirst() && c.index() == first) {
            return "not selected: first weight layer of scope " + p.scope() + " (skip first)";
        }
        if (p.skipLast() && c.index() == last) {
            return "not selected: last weight layer of scope " + p.scope() + " (skip last)";
        }
        if (!p.matchesName(c.path())) {
            return "not selected: path does not match '" + p.namePattern() + "'";
        }
        if (p.indices() != null && !p.indices().contains(c.index())) {
            return "not selected: index " + c.index() + " not among " + new java.util.TreeSet<>(p.indices());
        }
        if (p.predicate() != null && !p.predicate().test(c.path(), c.module())) {
            return "not selected: rejected by the policy's predicate";
        }
        return null;
    }

    private static ConversionReport.Entry apply(Candidate c, String skip, ConversionPolicy policy, Map<String, Module> modules) {
        Module m = c.module();
        String before = oneLine(m);
        long params = m.parameterCount();
        if (c.kind() == Kind.QUADRATIC) {
            return entry(c, before, before, params, params, ConversionReport.Action.ALREADY_QUADRATIC, true,
                    "already quadratic (" + ((QuadraticLayer) m).neuronType().name() + "): left as it is");
        }
        if (skip != null) {
            return entry(c, before, before, params, params, ConversionReport.Action.NOT_SELECTED, true, skip);
        }
        if (c.kind() == Kind.OTHER) {
            String why = m instanceof Linear || m instanceof Conv2d
                    ? m.getClass().getSimpleName() + " subclasses " + (m instanceof Linear ? "Linear" : "Conv2d")
                            + ": a quadratic twin would drop its own behaviour"
                    : m.getClass().getSimpleName() + " is not a Linear or Conv2d layer: there is no quadratic twin of it";
            return entry(c, before, before, params, params, ConversionReport.Action.UNSUPPORTED, true, "cannot convert: " + why);
        }
        NeuronType type = Objects.requireNonNull(policy.neuronTypes().apply(c.path()),
                () -> "ConversionPolicy: the neuron-type function returned null for '" + c.path() + "'");
        boolean linearStart = policy.linearStart() && type.hasLinearTerm();
        boolean branchNorm = policy.branchNormFor(type);
        Tensor weight = c.kind() == Kind.LINEAR ? ((Linear) m).weight() : ((Conv2d) m).weight();
        Tensor bias = c.kind() == Kind.LINEAR ? ((Linear) m).bias() : ((Conv2d) m).bias();
        boolean withBias = bias != null || linearStart && type.linearStartNeedsBias();
        QuadraticOptions options = new QuadraticOptions(withBias, branchNorm, policy.mode(), linearStart, true);
        QuadraticLayer q;
        try {
            if (c.kind() == Kind.LINEAR) {
                Linear l = (Linear) m;
                q = new QuadraticLinear(l.inFeatures(), l.outFeatures(), type, options);
            } else {
                Conv2d.Config k = ((Conv2d) m).config();
                q = new QuadraticConv2d(new Conv2d.Config(k.inChannels(), k.outChannels(), k.kernelH(), k.kernelW(), k.strideH(), k.strideW(),
                        k.padH(), k.padW(), k.dilationH(), k.dilationW(), k.groups(), withBias), type, options);
            }
            if (linearStart) {
                q.loadLinearTerm(weight, bias != null ? bias : withBias ? Tensor.zeros(q.linearBias().shape()) : null);
            }
            if (c.path().isEmpty()) {
                modules.put("", q);
            } else {
                int dot = c.path().lastIndexOf('.');
                Module parent = modules.get(dot < 0 ? "" : c.path().substring(0, dot));
                Children.replace(parent, c.path().substring(dot + 1), q);
            }
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            return entry(c, before, before, params, params, ConversionReport.Action.UNSUPPORTED, true,
                    "cannot convert to " + type.name() + ": " + e.getMessage());
        }
        q.train(m.isTraining());
        StringBuilder note = new StringBuilder();
        if (linearStart) {
            note.append("function preserved: linear term <- original weight").append(bias != null ? " and bias" : "")
                    .append(", quadratic term 0");
            if (bias == null && withBias) {
                note.append("; biases added for b_g = 1 (b_r = 0, c = 0)");
            }
        } else if (!type.hasLinearTerm()) {
            note.append("does NOT preserve the function: ").append(type.name()).append(" (").append(type.formula())
                    .append(") has no linear term to carry the original weights; fresh initialisation");
        } else {
            note.append("does NOT preserve the function: fresh initialisation (the policy asked for no linear start)");
        }
        if (Boolean.TRUE.equals(policy.branchNorm()) && !branchNorm) {
            note.append("; branch norm does not apply to ").append(type.name()).append(" (no branch to normalise)");
        } else if (branchNorm && policy.branchNorm() == null) {
            note.append("; branch norm on, as ").append(type.name()).append(" trains by default");
        }
        return entry(c, before, oneLine(q), params, q.parameterCount(), ConversionReport.Action.CONVERTED, linearStart, note.toString());
    }

    /**
     * The first-order layer a quadratic layer falls back to, with the quadratic term dropped: a {@link Linear} or
     * {@link Conv2d} of the same configuration whose weight and bias are copies of the linear term's
     * ({@link QuadraticLayer#linearWeight()}, {@link QuadraticLayer#linearBias()}), so it computes what the quadratic
     * layer computes with its quadratic term masked. A type without a linear term (T2, T3, T4, T1&amp;2, T1 without its
     * linear term) has no weights to keep: the layer gets its own fresh initialisation, and its bias the output bias.
     * The new layer takes the quadratic layer's mode.
     */
    public static Module firstOrderTwin(QuadraticLayer q) {
        Tensor weight = q.linearWeight();
        Tensor bias = q.linearBias();
        Module twin;
        Tensor twinWeight;
        Tensor twinBias;
        if (q instanceof QuadraticLinear l) {
            Linear lin = new Linear(l.inFeatures(), l.outFeatures(), bias != null);
            twin = lin;
            twinWeight = lin.weight();
            twinBias = lin.bias();
        } else {
            Conv2d.Config k = ((QuadraticConv2d) q).config();
            Conv2d conv = new Conv2d(new Conv2d.Config(k.inChannels(), k.outChannels(), k.kernelH(), k.kernelW(), k.strideH(), k.strideW(),
                    k.padH(), k.padW(), k.dilationH(), k.dilationW(), k.groups(), bias != null));
            twin = conv;
            twinWeight = conv.weight();
            twinBias = conv.bias();
        }
        if (weight != null) {
            twinWeight.copyFrom(weight);
        }
        if (bias != null) {
            twinBias.copyFrom(bias);
        }
        twin.train(q.isTraining());
        return twin;
    }

    private static ConversionReport.Entry entry(Candidate c, String before, String after, long paramsBefore, long paramsAfter,
            ConversionReport.Action action, boolean preserves, String note) {
        return new ConversionReport.Entry(c.index(), c.path(), before, after, paramsBefore, paramsAfter, action, preserves, note);
    }

    /** The module's description without its children's lines. */
    static String oneLine(Module m) {
        String s = m.toString();
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl) + ")";
    }
}
