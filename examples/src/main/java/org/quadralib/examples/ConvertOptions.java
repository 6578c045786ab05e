package org.quadralib.examples;

import java.util.List;
import java.util.Locale;

import org.quadralib.autobuild.ConversionPolicy;
import org.quadralib.layers.NeuronType;

/**
 * The conversion options shared by {@code explore} and {@code importance}: which layers of the first-order zoo model
 * {@link org.quadralib.autobuild.Converter} turns quadratic ({@code --convert all|conv|linear}, {@code --skip-first},
 * {@code --skip-last}). Every converted layer starts linearly where its neuron type allows, so a quadratic twin
 * starts from the very weights of its first-order model.
 *
 * @param scope which weight layers are converted
 * @param skipFirst keep the first weight layer of the scope first-order
 * @param skipLast keep the last weight layer of the scope first-order
 */
record ConvertOptions(ConversionPolicy.Scope scope, boolean skipFirst, boolean skipLast) {

    /** Every linear and convolution layer. */
    static final ConvertOptions DEFAULT = new ConvertOptions(ConversionPolicy.Scope.ALL, false, false);

    /** The help lines of the three options. */
    static final List<String> HELP = List.of(
            "  --convert SCOPE    which layers the quadratic twins convert: all, conv or linear (default all)",
            "  --skip-first       keep the first layer of that scope first-order",
            "  --skip-last        keep the last layer of that scope first-order (e.g. the classifier)");

    /**
     * Parses the value of {@code --convert}.
     *
     * @throws UsageException naming the accepted values
     */
    static ConversionPolicy.Scope parseScope(String value) throws UsageException {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "all" -> ConversionPolicy.Scope.ALL;
            case "conv" -> ConversionPolicy.Scope.CONVOLUTIONS;
            case "linear" -> ConversionPolicy.Scope.LINEARS;
            default -> throw new UsageException("--convert needs all, conv or linear, got '" + value + "'");
        };
    }

    /** The converter's policy for quadratic layers of {@code type}. */
    ConversionPolicy policy(NeuronType type) {
        ConversionPolicy p = ConversionPolicy.all().withScope(scope);
        if (skipFirst) {
            p = p.skippingFirst();
        }
        if (skipLast) {
            p = p.skippingLast();
        }
        return p.withNeuronType(type);
    }

    /** {@code convert all}, {@code convert conv, skip first}, ... */
    String label() {
        String s = switch (scope) {
            case ALL -> "all";
            case CONVOLUTIONS -> "conv";
            case LINEARS -> "linear";
        };
        return "convert " + s + (skipFirst ? ", skip first" : "") + (skipLast ? ", skip last" : "");
    }
}
