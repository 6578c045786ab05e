package org.quadralib.core.data;

import org.quadralib.core.Rng;

/**
 * Small two-class problems in the plane on which a single quadratic neuron beats a linear one: none of them is
 * linearly separable, and rings and XOR are separated exactly by a quadratic form ({@code x² + y²} and
 * {@code x·y}).
 *
 * <p>Every set has samples of shape {@code [2]} (the point's x and y), two classes, and labels alternating
 * {@code 0, 1, 0, 1, ...} so the classes are balanced (their sizes differ by at most one). The same {@code n}
 * and seed give the same points on every machine.
 */
public final class SyntheticData {

    /** Radius of the inner (class 0) and outer (class 1) ring. */
    public static final double INNER_RADIUS = 0.5;
    /** Radius of the outer ring. */
    public static final double OUTER_RADIUS = 1.0;
    /** Standard deviation of the Gaussian noise added to a ring point's radius. */
    public static final double RING_NOISE = 0.08;
    /** Standard deviation of the Gaussian noise added to each spiral coordinate. */
    public static final double SPIRAL_NOISE = 0.02;
    /** Half-turns each spiral arm makes. */
    public static final double SPIRAL_HALF_TURNS = 3;
    /** Distance XOR points keep from the axes, so the quadrants do not touch. */
    public static final double XOR_MARGIN = 0.05;

    private SyntheticData() {
    }

    /**
     * Two concentric rings: class 0 on the inner ring (radius {@value #INNER_RADIUS}), class 1 on the outer one
     * (radius {@value #OUTER_RADIUS}), each point's radius perturbed by Gaussian noise of standard deviation
     * {@value #RING_NOISE}, angles uniform.
     *
     * @param n number of points
     * @throws IllegalArgumentException if {@code n} is negative
     */
    public static ArrayDataset rings(int n, long seed) {
        Rng rng = new Rng(seed);
        float[] xy = new float[checkedSize(n)];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int label = i % 2;
            double radius = (label == 0 ? INNER_RADIUS : OUTER_RADIUS) + RING_NOISE * rng.nextGaussian();
            double angle = 2 * Math.PI * rng.nextDouble();
            xy[2 * i] = (float) (radius * Math.cos(angle));
            xy[2 * i + 1] = (float) (radius * Math.sin(angle));
            labels[i] = label;
        }
        return new ArrayDataset(xy, labels, new int[] {2}, 2);
    }

    /**
     * Two interleaved spirals: a point at parameter {@code t} uniform in [0, 1) lies at radius {@code t} and
     * angle {@code t·}{@value #SPIRAL_HALF_TURNS}{@code π}, class 1 rotated by π against class 0, plus Gaussian
     * noise of standard deviation {@value #SPIRAL_NOISE} on each coordinate.
     *
     * @param n number of points
     * @throws IllegalArgumentException if {@code n} is negative
     */
    public static ArrayDataset spirals(int n, long seed) {
        Rng rng = new Rng(seed);
        float[] xy = new float[checkedSize(n)];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int label = i % 2;
            double t = rng.nextDouble();
            double angle = t * SPIRAL_HALF_TURNS * Math.PI + label * Math.PI;
            xy[2 * i] = (float) (t * Math.cos(angle) + SPIRAL_NOISE * rng.nextGaussian());
            xy[2 * i + 1] = (float) (t * Math.sin(angle) + SPIRAL_NOISE * rng.nextGaussian());
            labels[i] = label;
        }
        return new ArrayDataset(xy, labels, new int[] {2}, 2);
    }

    /**
     * XOR: points uniform in the four quadrants of [-1, 1]², kept {@value #XOR_MARGIN} away from the axes;
     * class 0 where x and y have the same sign, class 1 where they differ. Quadrants are visited in turn, so
     * each holds a quarter of the points (±1).
     *
     * @param n number of points
     * @throws IllegalArgumentException if {@code n} is negative
     */
    public static ArrayDataset xor(int n, long seed) {
        Rng rng = new Rng(seed);
        float[] xy = new float[checkedSize(n)];
        int[] labels = new int[n];
        // Quadrants in the order (+,+), (-,+), (-,-), (+,-): classes 0, 1, 0, 1.
        int[] signX = {1, -1, -1, 1};
        int[] signY = {1, 1, -1, -1};
        for (int i = 0; i < n; i++) {
            int quadrant = i % 4;
            xy[2 * i] = (float) (signX[quadrant] * (XOR_MARGIN + (1 - XOR_MARGIN) * rng.nextDouble()));
            xy[2 * i + 1] = (float) (signY[quadrant] * (XOR_MARGIN + (1 - XOR_MARGIN) * rng.nextDouble()));
            labels[i] = quadrant % 2;
        }
        return new ArrayDataset(xy, labels, new int[] {2}, 2);
    }

    private static int checkedSize(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("number of points must be non-negative, got " + n);
        }
        return Math.multiplyExact(n, 2);
    }
}
