package org.quadralib.autobuild;

import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.regex.Pattern;

import org.quadralib.layers.Module;
import org.quadralib.layers.NeuronType;
import org.quadralib.layers.QuadraticOptions.BackpropMode;

/**
 * What {@link Converter#convert} converts and into what.
 *
 * <p><b>Which layers.</b> The converter enumerates the model's <em>weight layers</em> in traversal order (the
 * pre-order of {@link Module#namedModules()}): {@code Linear}, {@code Conv2d}, the quadratic layers, and any other
 * module that owns parameters and is not a batch norm (which the converter cannot convert and reports). Their
 * position in that order is their <em>index</em>. A weight layer is selected when all of these hold:
 * <ul>
 *   <li>it is in the {@link Scope} (convolutions, linear layers or both);</li>
 *   <li>it is not the first ({@code skipFirst}) or last ({@code skipLast}) weight layer of the scope;</li>
 *   <li>its path matches {@code namePattern}, a glob where {@code *} matches any run of characters (dots included)
 *       and {@code ?} one character, e.g. {@code layer2.*} or {@code features.*} (null: any path);</li>
 *   <li>its index is in {@code indices} (null: any index);</li>
 *   <li>{@code predicate} accepts its path and module (null: any).</li>
 * </ul>
 *
 * <p><b>Into what.</b> {@code neuronTypes} gives each selected layer's neuron type from its path (default
 * {@link NeuronType#PROPOSED} everywhere), built with back-propagation {@code mode}, branch batch norm on, off or as
 * each type trains by default ({@link NeuronType#trainsWithBranchNorm()}: on for T2, T3 and T4), and
 * either a <em>linear start</em> (the linear term takes the original weight and bias, the quadratic term starts at
 * zero, so the model computes what it did) or the quadratic layer's own fresh initialisation.
 *
 * @param scope which kinds of weight layer are candidates
 * @param skipFirst keep the first weight layer of the scope first-order
 * @param skipLast keep the last weight layer of the scope first-order
 * @param namePattern glob on the layer path, or null
 * @param indices traversal indices to convert, or null
 * @param predicate extra test on (path, layer), or null
 * @param neuronTypes neuron type per layer path
 * @param mode hybrid or standard back-propagation of the new layers
 * @param branchNorm batch norm on each normalisable branch ({@link NeuronType#supportsBranchNorm()}), or null for each
 *     type's default ({@link NeuronType#trainsWithBranchNorm()})
 * @param linearStart transfer the weights and zero the quadratic term (true) or initialise afresh (false)
 */
public record ConversionPolicy(Scope scope, boolean skipFirst, boolean skipLast, String namePattern, Set<Integer> indices,
        BiPredicate<String, Module> predicate, Function<String, NeuronType> neuronTypes, BackpropMode mode, Boolean branchNorm,
        boolean linearStart) {

    /** Which kinds of weight layer the policy looks at. */
    public enum Scope {
        /** Linear and convolution layers (and other parameterised layers, reported as unsupported). */
        ALL,
        /** Convolutions only. */
        CONVOLUTIONS,
        /** Linear layers only. */
        LINEARS
    }

    /**
     * @throws NullPointerException if {@code scope}, {@code neuronTypes} or {@code mode} is null
     * @throws IllegalArgumentException if an index is negative
     */
    public ConversionPolicy {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(neuronTypes, "neuronTypes");
        Objects.requireNonNull(mode, "mode");
        if (indices != null) {
            for (int i : indices) {
                if (i < 0) {
                    throw new IllegalArgumentException("ConversionPolicy: layer indices must be non-negative, got " + indices);
                }
            }
            indices = Set.copyOf(indices);
        }
    }

    /**
     * Every linear and convolution layer into PROPOSED neurons, hybrid back-propagation, branch norm as each type trains
     * by default (none for PROPOSED), linear start.
     */
    public static ConversionPolicy all() {
        return new ConversionPolicy(Scope.ALL, false, false, null, null, null, path -> NeuronType.PROPOSED, BackpropMode.HYBRID, null,
                true);
    }

    /** {@link #all()} restricted to convolutions. */
    public static ConversionPolicy convolutions() {
        return all().withScope(Scope.CONVOLUTIONS);
    }

    /** {@link #all()} restricted to linear layers. */
    public static ConversionPolicy linears() {
        return all().withScope(Scope.LINEARS);
    }

    /** A copy with another scope. */
    public ConversionPolicy withScope(Scope value) {
        return new ConversionPolicy(value, skipFirst, skipLast, namePattern, indices, predicate, neuronTypes, mode, branchNorm, linearStart);
    }

    /** A copy that keeps the first weight layer of the scope first-order. */
    public ConversionPolicy skippingFirst() {
        return new ConversionPolicy(scope, true, skipLast, namePattern, indices, predicate, neuronTypes, mode, branchNorm, linearStart);
    }

    /** A copy that keeps the last weight layer of the scope first-order. */
    public ConversionPolicy skippingLast() {
        return new ConversionPolicy(scope, skipFirst, true, namePattern, indices, predicate, neuronTypes, mode, branchNorm, linearStart);
    }

    /** A copy converting only layers whose path matches the glob {@code pattern} ({@code *}, {@code ?}). */
    public ConversionPolicy matching(String pattern) {
        return new ConversionPolicy(scope, skipFirst, skipLast, Objects.requireNonNull(pattern, "pattern"), indices, predicate, neuronTypes,
                mode, branchNorm, linearStart);
    }

    /**
     * A copy converting only the weight layers at these traversal indices.
     *
     * @throws IllegalArgumentException if an index is negative
     */
    public ConversionPolicy atIndices(int... values) {
        Set<Integer> set = new TreeSet<>();
        Arrays.stream(values).forEach(set::add);
        return new ConversionPolicy(scope, skipFirst, skipLast, namePattern, set, predicate, neuronTypes, mode, branchNorm, linearStart);
    }

    /** A copy converting only layers {@code test} accepts (given the path and the layer). */
    public ConversionPolicy where(BiPredicate<String, Module> test) {
        return new ConversionPolicy(scope, skipFirst, skipLast, namePattern, indices, Objects.requireNonNull(test, "test"), neuronTypes, mode,
                branchNorm, linearStart);
    }

    /** A copy converting every selected layer into {@code type}. */
    public ConversionPolicy withNeuronType(NeuronType type) {
        Objects.requireNonNull(type, "type");
        return withNeuronTypes(path -> type);
    }

    /** A copy choosing the neuron type per layer path; the function must not return null. */
    public ConversionPolicy withNeuronTypes(Function<String, NeuronType> byPath) {
        return new ConversionPolicy(scope, skipFirst, skipLast, namePattern, indices, predicate, byPath, mode, branchNorm, linearStart);
    }

    /** A copy with another back-propagation mode. */
    public ConversionPolicy withMode(BackpropMode value) {
        return new ConversionPolicy(scope, skipFirst, skipLast, namePattern, indices, predicate, neuronTypes, value, branchNorm, linearStart);
    }

    /** A copy with branch batch norm on or off for every type (instead of each type's default). */
    public ConversionPolicy withBranchNorm(boolean value) {
        return new ConversionPolicy(scope, skipFirst, skipLast, namePattern, indices, predicate, neuronTypes, mode, value, linearStart);
    }

    /** A copy with linear start (true) or fresh initialisation (false). */
    public ConversionPolicy withLinearStart(boolean value) {
        return new ConversionPolicy(scope, skipFirst, skipLast, namePattern, indices, predicate, neuronTypes, mode, branchNorm, value);
    }

    /**
     * Whether layers of {@code type} get branch norm: as the policy says where the type supports it, else the type's
     * default.
     */
    public boolean branchNormFor(NeuronType type) {
        return branchNorm == null ? type.trainsWithBranchNorm() : branchNorm && type.supportsBranchNorm();
    }

    /** True if {@code path} matches {@code namePattern} (always, when there is none). */
    boolean matchesName(String path) {
        return namePattern == null || globToRegex(namePattern).matcher(path).matches();
    }

    static Pattern globToRegex(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }

    /** One line for reports, e.g. {@code scope=CONVOLUTIONS, skip first, mode=HYBRID, linear start}. */
    String describe() {
        StringBuilder sb = new StringBuilder("scope=").append(scope);
        if (skipFirst) {
            sb.append(", skip first");
        }
        if (skipLast) {
            sb.append(", skip last");
        }
        if (namePattern != null) {
            sb.append(", names ").append(namePattern);
        }
        if (indices != null) {
            sb.append(", indices ").append(new TreeSet<>(indices));
        }
        if (predicate != null) {
            sb.append(", predicate");
        }
        sb.append(", mode=").append(mode).append(branchNorm == null ? "" : branchNorm ? ", branch norm" : ", no branch norm").append(linearStart ? ", linear start" : ", fresh init");
        return sb.toString();
    }
}
