package org.quadralib.layers;

import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;

/**
 * Weight initialisation. Layers draw from the default generator, seeded with {@link #manualSeed(long)} as
 * {@code torch.manual_seed}: the same seed builds the same model.
 */
public final class Init {

    private static Rng rng = new Rng(0);

    private Init() {
    }

    /** Reseeds the default generator. */
    public static synchronized void manualSeed(long seed) {
        rng = new Rng(seed);
    }

    /** The default generator layers initialise from. */
    public static synchronized Rng rng() {
        return rng;
    }

    /** Fills with U(lo, hi). */
    public static void uniform(Tensor t, float lo, float hi) {
        rng().fillUniform(t.data(), t.offset(), t.numel(), lo, hi);
    }

    /** Fills with N(mean, std²). */
    public static void normal(Tensor t, float mean, float std) {
        rng().fillNormal(t.data(), t.offset(), t.numel(), mean, std);
    }

    /** Fills with {@code value}. */
    public static void constant(Tensor t, float value) {
        java.util.Arrays.fill(t.data(), t.offset(), t.offset() + t.numel(), value);
    }

    /**
     * Kaiming (He) uniform: U(−b, b), {@code b = gain·√(3/fanIn)}, {@code gain = √(2/(1 + a²))} for leaky ReLU slope a.
     * PyTorch's default for Linear and Conv2d weights is {@code a = √5}, giving {@code b = 1/√fanIn}.
     */
    public static void kaimingUniform(Tensor t, int fanIn, double a) {
        double gain = Math.sqrt(2.0 / (1 + a * a));
        float b = (float) (gain * Math.sqrt(3.0 / fanIn));
        uniform(t, -b, b);
    }

    /** Kaiming (He) normal: N(0, (gain/√fanIn)²) with {@code gain = √(2/(1 + a²))}. */
    public static void kaimingNormal(Tensor t, int fanIn, double a) {
        double gain = Math.sqrt(2.0 / (1 + a * a));
        normal(t, 0f, (float) (gain / Math.sqrt(fanIn)));
    }

    /** Xavier (Glorot) uniform: U(−b, b), {@code b = gain·√(6/(fanIn + fanOut))}. */
    public static void xavierUniform(Tensor t, int fanIn, int fanOut, double gain) {
        float b = (float) (gain * Math.sqrt(6.0 / (fanIn + fanOut)));
        uniform(t, -b, b);
    }

    /** Xavier (Glorot) normal: N(0, gain²·2/(fanIn + fanOut)). */
    public static void xavierNormal(Tensor t, int fanIn, int fanOut, double gain) {
        normal(t, 0f, (float) (gain * Math.sqrt(2.0 / (fanIn + fanOut))));
    }

    /** PyTorch's default for a weight with fan-in {@code fanIn}: U(−1/√fanIn, 1/√fanIn); same bound for its bias. */
    public static void pytorchDefault(Tensor weight, Tensor bias, int fanIn) {
        kaimingUniform(weight, fanIn, Math.sqrt(5));
        if (bias != null) {
            float b = fanIn > 0 ? (float) (1 / Math.sqrt(fanIn)) : 0f;
            uniform(bias, -b, b);
        }
    }
}
