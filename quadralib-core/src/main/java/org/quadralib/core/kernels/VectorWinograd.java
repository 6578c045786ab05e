package org.quadralib.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The input and output transforms of {@link Winograd} on the JDK Vector API, a vector of consecutive tiles per
 * operation:
 * the same additions in the same order as the plain loops, lane by lane, so both give the same results. C2 leaves
 * the plain loops scalar (16 loads, 32 additions and 16 scattered stores per tile, measured at 30–40 ns a tile and
 * channel); here each instruction serves {@code lanes} tiles.
 *
 * <p>No vector leaves a method (an argument or a result that is a vector is boxed on the heap unless C2 inlines
 * the call), and the allocation counters of the step benchmark are the check that C2 intrinsified every
 * operation: when it does not, each vector operation allocates.
 *
 * <p>Only loaded when the {@code jdk.incubator.vector} module is in the boot layer ({@link Winograd} checks).
 */
final class VectorWinograd {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorWinograd() {
    }

    /**
     * {@link Winograd#inputRunScalar}, a vector of tiles at a time, the remainder by the plain loop. The 16 planes are
     * written in two passes of eight, each its own method: with all 64 vector operations of a tile in one method, an
     * allocation profile of the W3 step found this loop's vectors allocated on the heap (C2 had left operations it
     * could not intrinsify), 10 MB per thread per step, in some JVM runs and not others.
     */
    static void inputRun(float[] rows, int span, int from, int to, float[] v, int o, int plane) {
        int end = from + (to - from) / L * L;
        inputUpper(rows, span, from, end, v, o, plane);
        inputLower(rows, span, from, end, v, o, plane);
        Winograd.inputRunScalar(rows, span, end, to, v, o, plane);
    }

    /** Rows 0 and 1 of {@code Bᵀ d} ({@code d0 − d2}, {@code d1 + d2}) times B: planes 0–7. */
    private static void inputUpper(float[] rows, int span, int from, int to, float[] v, int o, int plane) {
        for (int tx = from; tx < to; tx += L) {
            FloatVector d00 = FloatVector.fromArray(S, rows, tx);
            FloatVector d01 = FloatVector.fromArray(S, rows, span + tx);
            FloatVector d02 = FloatVector.fromArray(S, rows, tx + 1);
            FloatVector d03 = FloatVector.fromArray(S, rows, span + tx + 1);
            FloatVector d10 = FloatVector.fromArray(S, rows, 2 * span + tx);
            FloatVector d11 = FloatVector.fromArray(S, rows, 3 * span + tx);
            FloatVector d12 = FloatVector.fromArray(S, rows, 2 * span + tx + 1);
            FloatVector d13 = FloatVector.fromArray(S, rows, 3 * span + tx + 1);
            FloatVector d20 = FloatVector.fromArray(S, rows, 4 * span + tx);
            FloatVector d21 = FloatVector.fromArray(S, rows, 5 * span + tx);
            FloatVector d22 = FloatVector.fromArray(S, rows, 4 * span + tx + 1);
            FloatVector d23 = FloatVector.fromArray(S, rows, 5 * span + tx + 1);
            int p = o + tx;
            FloatVector r0 = d00.sub(d20);
            FloatVector r1 = d01.sub(d21);
            FloatVector r2 = d02.sub(d22);
            FloatVector r3 = d03.sub(d23);
            r0.sub(r2).intoArray(v, p);
            r1.add(r2).intoArray(v, p + plane);
            r2.sub(r1).intoArray(v, p + 2 * plane);
            r1.sub(r3).intoArray(v, p + 3 * plane);
            p += 4 * plane;
            r0 = d10.add(d20);
            r1 = d11.add(d21);
            r2 = d12.add(d22);
            r3 = d13.add(d23);
            r0.sub(r2).intoArray(v, p);
            r1.add(r2).intoArray(v, p + plane);
            r2.sub(r1).intoArray(v, p + 2 * plane);
            r1.sub(r3).intoArray(v, p + 3 * plane);
        }
    }

    /** Rows 2 and 3 of {@code Bᵀ d} ({@code d2 − d1}, {@code d1 − d3}) times B: planes 8–15. */
    private static void inputLower(float[] rows, int span, int from, int to, float[] v, int o, int plane) {
        for (int tx = from; tx < to; tx += L) {
            FloatVector d10 = FloatVector.fromArray(S, rows, 2 * span + tx);
            FloatVector d11 = FloatVector.fromArray(S, rows, 3 * span + tx);
            FloatVector d12 = FloatVector.fromArray(S, rows, 2 * span + tx + 1);
            FloatVector d13 = FloatVector.fromArray(S, rows, 3 * span + tx + 1);
            FloatVector d20 = FloatVector.fromArray(S, rows, 4 * span + tx);
            FloatVector d21 = FloatVector.fromArray(S, rows, 5 * span + tx);
            FloatVector d22 = FloatVector.fromArray(S, rows, 4 * span + tx + 1);
            FloatVector d23 = FloatVector.fromArray(S, rows, 5 * span + tx + 1);
            FloatVector d30 = FloatVector.fromArray(S, rows, 6 * span + tx);
            FloatVector d31 = FloatVector.fromArray(S, rows, 7 * span + tx);
            FloatVector d32 = FloatVector.fromArray(S, rows, 6 * span + tx + 1);
            FloatVector d33 = FloatVector.fromArray(S, rows, 7 * span + tx + 1);
            int p = o + tx + 8 * plane;
            FloatVector r0 = d20.sub(d10);
            FloatVector r1 = d21.sub(d11);
            FloatVector r2 = d22.sub(d12);
            FloatVector r3 = d23.sub(d13);
            r0.sub(r2).intoArray(v, p);
            r1.add(r2).intoArray(v, p + plane);
            r2.sub(r1).intoArray(v, p + 2 * plane);
            r1.sub(r3).intoArray(v, p + 3 * plane);
            p += 4 * plane;
            r0 = d10.sub(d30);
            r1 = d11.sub(d31);
            r2 = d12.sub(d32);
            r3 = d13.sub(d33);
            r0.sub(r2).intoArray(v, p);
            r1.add(r2).intoArray(v, p + plane);
            r2.sub(r1).intoArray(v, p + 2 * plane);
            r1.sub(r3).intoArray(v, p + 3 * plane);
        }
    }


    /**
     * {@link Winograd#outputRunScalar}: the top output row and the bottom one in a method each, a vector of tiles at
     * a time (12 loads each, the middle rows of M read twice), then the remaining tiles in plain Java. C2 inlines
     * only so much into one compiled method: the whole transform in one method (in some JVM runs), both halves
     * inlined into the caller, or each half unrolled twice (in every run) left the operations past some point as
     * calls, and every vector they made was allocated on the heap (28–43% of the activation bytes of a quadratic VGG
     * step). Each half
     * keeps its own scalar tail, which also puts it over C2's size limit for inlining hot methods (325 bytecodes),
     * so each is compiled on its own.
     */
    static void outputRun(float[] m, int i0, int plane, int from, int to, float bias, float[] rows, int stride) {
        outputTop(m, i0, plane, from, to, bias, rows, stride);
        outputBottom(m, i0, plane, from, to, bias, rows, stride);
    }

    /** Row 0 of {@code Aᵀ M A}: {@code s0x = m0x + m1x + m2x}, then {@code s00 + s01 + s02} and {@code s01 − s02 − s03}. */
    private static void outputTop(float[] m, int i0, int plane, int from, int to, float bias, float[] rows, int stride) {
        FloatVector b = FloatVector.broadcast(S, bias);
        int j = from;
        for (; j + L <= to; j += L) {
            int i = i0 + j;
            FloatVector s00 = load(m, i).add(load(m, 4 * plane + i)).add(load(m, 8 * plane + i));
            FloatVector s01 = load(m, plane + i).add(load(m, 5 * plane + i)).add(load(m, 9 * plane + i));
            FloatVector s02 = load(m, 2 * plane + i).add(load(m, 6 * plane + i)).add(load(m, 10 * plane + i));
            FloatVector s03 = load(m, 3 * plane + i).add(load(m, 7 * plane + i)).add(load(m, 11 * plane + i));
            s00.add(s01).add(s02).add(b).intoArray(rows, j);
            s01.sub(s02).sub(s03).add(b).intoArray(rows, stride + j);
        }
        for (; j < to; j++) {
            int i = i0 + j;
            float s00 = m[i] + m[4 * plane + i] + m[8 * plane + i];
            float s01 = m[plane + i] + m[5 * plane + i] + m[9 * plane + i];
            float s02 = m[2 * plane + i] + m[6 * plane + i] + m[10 * plane + i];
            float s03 = m[3 * plane + i] + m[7 * plane + i] + m[11 * plane + i];
            rows[j] = s00 + s01 + s02 + bias;
            rows[stride + j] = s01 - s02 - s03 + bias;
        }
    }

    /** Row 1 of {@code Aᵀ M A}: {@code s1x = m1x − m2x − m3x}, then {@code s10 + s11 + s12} and {@code s11 − s12 − s13}. */
    private static void outputBottom(float[] m, int i0, int plane, int from, int to, float bias, float[] rows,
                                     int stride) {
        FloatVector b = FloatVector.broadcast(S, bias);
        int j = from;
        for (; j + L <= to; j += L) {
            int i = i0 + j;
            FloatVector s10 = load(m, 4 * plane + i).sub(load(m, 8 * plane + i)).sub(load(m, 12 * plane + i));
            FloatVector s11 = load(m, 5 * plane + i).sub(load(m, 9 * plane + i)).sub(load(m, 13 * plane + i));
            FloatVector s12 = load(m, 6 * plane + i).sub(load(m, 10 * plane + i)).sub(load(m, 14 * plane + i));
            FloatVector s13 = load(m, 7 * plane + i).sub(load(m, 11 * plane + i)).sub(load(m, 15 * plane + i));
            s10.add(s11).add(s12).add(b).intoArray(rows, 2 * stride + j);
            s11.sub(s12).sub(s13).add(b).intoArray(rows, 3 * stride + j);
        }
        for (; j < to; j++) {
            int i = i0 + j;
            float s10 = m[4 * plane + i] - m[8 * plane + i] - m[12 * plane + i];
            float s11 = m[5 * plane + i] - m[9 * plane + i] - m[13 * plane + i];
            float s12 = m[6 * plane + i] - m[10 * plane + i] - m[14 * plane + i];
            float s13 = m[7 * plane + i] - m[11 * plane + i] - m[15 * plane + i];
            rows[2 * stride + j] = s10 + s11 + s12 + bias;
            rows[3 * stride + j] = s11 - s12 - s13 + bias;
        }
    }

    private static FloatVector load(float[] x, int at) {
        return FloatVector.fromArray(S, x, at);
    }
}
