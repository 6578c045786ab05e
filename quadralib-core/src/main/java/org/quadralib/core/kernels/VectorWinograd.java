package org.quadralib.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The per-run transforms of {@link Winograd} on the JDK Vector API, a vector of consecutive tiles per operation:
 * the same additions in the same order as the plain loops, lane by lane, so both give the same results. C2 leaves
 * the plain loops scalar (16 loads, 32 additions and 16 scattered stores per tile, measured at 30–40 ns a tile and
 * channel); here each instruction serves {@code lanes} tiles.
 *
 * <p>Only loaded when the {@code jdk.incubator.vector} module is in the boot layer ({@link Winograd} checks).
 */
final class VectorWinograd {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorWinograd() {
    }

    /** {@link Winograd#inputRunScalar}, a vector of tiles at a time, the remainder by the plain loop. */
    static void inputRun(float[] rows, int span, int from, int to, float[] v, int o, int plane) {
        int tx = from;
        for (; tx + L <= to; tx += L) {
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
            int at = o + tx;
            // each row of Bᵀ d, times B, into four planes (written out: C2 does not always inline a helper
            // taking vectors, and a vector that leaves compiled code is boxed on the heap)
            FloatVector r0 = d00.sub(d20);
            FloatVector r1 = d01.sub(d21);
            FloatVector r2 = d02.sub(d22);
            FloatVector r3 = d03.sub(d23);
            int p0 = at;
            r0.sub(r2).intoArray(v, p0);
            r1.add(r2).intoArray(v, p0 + plane);
            r2.sub(r1).intoArray(v, p0 + 2 * plane);
            r1.sub(r3).intoArray(v, p0 + 3 * plane);
            r0 = d10.add(d20);
            r1 = d11.add(d21);
            r2 = d12.add(d22);
            r3 = d13.add(d23);
            int p4 = 4 * plane + at;
            r0.sub(r2).intoArray(v, p4);
            r1.add(r2).intoArray(v, p4 + plane);
            r2.sub(r1).intoArray(v, p4 + 2 * plane);
            r1.sub(r3).intoArray(v, p4 + 3 * plane);
            r0 = d20.sub(d10);
            r1 = d21.sub(d11);
            r2 = d22.sub(d12);
            r3 = d23.sub(d13);
            int p8 = 8 * plane + at;
            r0.sub(r2).intoArray(v, p8);
            r1.add(r2).intoArray(v, p8 + plane);
            r2.sub(r1).intoArray(v, p8 + 2 * plane);
            r1.sub(r3).intoArray(v, p8 + 3 * plane);
            r0 = d10.sub(FloatVector.fromArray(S, rows, 6 * span + tx));
            r1 = d11.sub(FloatVector.fromArray(S, rows, 7 * span + tx));
            r2 = d12.sub(FloatVector.fromArray(S, rows, 6 * span + tx + 1));
            r3 = d13.sub(FloatVector.fromArray(S, rows, 7 * span + tx + 1));
            int p12 = 12 * plane + at;
            r0.sub(r2).intoArray(v, p12);
            r1.add(r2).intoArray(v, p12 + plane);
            r2.sub(r1).intoArray(v, p12 + 2 * plane);
            r1.sub(r3).intoArray(v, p12 + 3 * plane);
        }
        Winograd.inputRunScalar(rows, span, tx, to, v, o, plane);
    }

    /** {@link Winograd#outputRun}, a vector of tiles at a time, the remainder by the plain loop. */
    static void outputRun(float[] m, int i0, int plane, int from, int to, float bias, float[] rows, int tw) {
        int j = from;
        for (; j + L <= to; j += L) {
            int i = i0 + j;
            FloatVector m10 = FloatVector.fromArray(S, m, 4 * plane + i);
            FloatVector m11 = FloatVector.fromArray(S, m, 5 * plane + i);
            FloatVector m12 = FloatVector.fromArray(S, m, 6 * plane + i);
            FloatVector m13 = FloatVector.fromArray(S, m, 7 * plane + i);
            FloatVector m20 = FloatVector.fromArray(S, m, 8 * plane + i);
            FloatVector m21 = FloatVector.fromArray(S, m, 9 * plane + i);
            FloatVector m22 = FloatVector.fromArray(S, m, 10 * plane + i);
            FloatVector m23 = FloatVector.fromArray(S, m, 11 * plane + i);
            // rows: Aᵀ M (2 × 4)
            FloatVector s00 = FloatVector.fromArray(S, m, i).add(m10).add(m20);
            FloatVector s01 = FloatVector.fromArray(S, m, plane + i).add(m11).add(m21);
            FloatVector s02 = FloatVector.fromArray(S, m, 2 * plane + i).add(m12).add(m22);
            FloatVector s03 = FloatVector.fromArray(S, m, 3 * plane + i).add(m13).add(m23);
            s00.add(s01).add(s02).add(bias).intoArray(rows, j);
            s01.sub(s02).sub(s03).add(bias).intoArray(rows, tw + j);
            FloatVector s10 = m10.sub(m20).sub(FloatVector.fromArray(S, m, 12 * plane + i));
            FloatVector s11 = m11.sub(m21).sub(FloatVector.fromArray(S, m, 13 * plane + i));
            FloatVector s12 = m12.sub(m22).sub(FloatVector.fromArray(S, m, 14 * plane + i));
            FloatVector s13 = m13.sub(m23).sub(FloatVector.fromArray(S, m, 15 * plane + i));
            s10.add(s11).add(s12).add(bias).intoArray(rows, 2 * tw + j);
            s11.sub(s12).sub(s13).add(bias).intoArray(rows, 3 * tw + j);
        }
        Winograd.outputRun(m, i0, plane, j, to, bias, rows, tw);
    }
}
