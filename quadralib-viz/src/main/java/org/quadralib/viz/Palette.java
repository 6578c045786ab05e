package org.quadralib.viz;

import java.awt.Color;

/**
 * Colours readable by colour-blind users: the eight-colour qualitative palette of Okabe and Ito (2008) for series,
 * and viridis (a perceptually uniform map that stays ordered in grey and under the common colour-vision
 * deficiencies) for values on a scale.
 */
public final class Palette {

    /** Okabe–Ito: blue, vermillion, bluish green, orange, reddish purple, sky blue, yellow, black. */
    private static final int[] QUALITATIVE = {0x0072B2, 0xD55E00, 0x009E73, 0xE69F00, 0xCC79A7, 0x56B4E9, 0xF0E442, 0x000000};
    /** Viridis at nine evenly spaced stops, interpolated linearly between them. */
    private static final int[] VIRIDIS = {0x440154, 0x472D7B, 0x3B528B, 0x2C728E, 0x21918C, 0x28AE80, 0x5EC962, 0xADDC30, 0xFDE725};

    private Palette() {
    }

    /** Number of distinct series colours before they repeat. */
    public static int size() {
        return QUALITATIVE.length;
    }

    /** The series colour for index {@code i} (wrapping around after {@link #size()}); negative indices wrap too. */
    public static Color series(int i) {
        return new Color(QUALITATIVE[Math.floorMod(i, QUALITATIVE.length)]);
    }

    /** Every series colour in order. */
    public static Color[] seriesColors() {
        Color[] out = new Color[QUALITATIVE.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = series(i);
        }
        return out;
    }

    /**
     * The viridis colour of {@code t} in {@code [0, 1]} (dark purple at 0, yellow at 1), as packed RGB; values
     * outside are clamped, NaN maps to 0.
     */
    public static int viridis(double t) {
        double v = Double.isNaN(t) ? 0 : Math.max(0, Math.min(1, t));
        double pos = v * (VIRIDIS.length - 1);
        int i = Math.min(VIRIDIS.length - 2, (int) pos);
        double f = pos - i;
        int a = VIRIDIS[i];
        int b = VIRIDIS[i + 1];
        int r = (int) Math.round(((a >> 16) & 0xFF) * (1 - f) + ((b >> 16) & 0xFF) * f);
        int g = (int) Math.round(((a >> 8) & 0xFF) * (1 - f) + ((b >> 8) & 0xFF) * f);
        int bl = (int) Math.round((a & 0xFF) * (1 - f) + (b & 0xFF) * f);
        return (r << 16) | (g << 8) | bl;
    }
}
