package org.quadralib.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import org.quadralib.core.kernels.Elementwise.BinaryOp;

/**
 * Binary element-wise runs on the JDK Vector API: contiguous ({@code a[i] op b[i]}) and with one scalar operand
 * ({@code a[i] op v}, {@code v op b[i]}). Each lane computes the same IEEE operation as the plain loop, so the
 * results are identical. Every op has its own loop: a lane-wise operator passed as a value is not compiled to
 * vector instructions.
 *
 * <p>Only loaded when the {@code jdk.incubator.vector} module is in the boot layer ({@link Elementwise} checks).
 */
final class VectorElementwise {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorElementwise() {
    }

    /** {@code out[oo+i] = a[ao+i*as] op b[bo+i*bs]} with strides {@code (1, 1)}, {@code (1, 0)} or {@code (0, 1)}. */
    static void binary(BinaryOp op, float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        int v = S.loopBound(n);
        if (as == 1 && bs == 1) {
            switch (op) {
                case ADD -> {
                    for (int i = 0; i < v; i += L) {
                        load(a, ao + i).add(load(b, bo + i)).intoArray(out, oo + i);
                    }
                }
                case SUB -> {
                    for (int i = 0; i < v; i += L) {
                        load(a, ao + i).sub(load(b, bo + i)).intoArray(out, oo + i);
                    }
                }
                case MUL -> {
                    for (int i = 0; i < v; i += L) {
                        load(a, ao + i).mul(load(b, bo + i)).intoArray(out, oo + i);
                    }
                }
                case DIV -> {
                    for (int i = 0; i < v; i += L) {
                        load(a, ao + i).div(load(b, bo + i)).intoArray(out, oo + i);
                    }
                }
            }
        } else if (as == 1) {
            FloatVector s = FloatVector.broadcast(S, b[bo]);
            switch (op) {
                case ADD -> {
                    for (int i = 0; i < v; i += L) {
                        load(a, ao + i).add(s).intoArray(out, oo + i);
                    }
                }
                case SUB -> {
                    for (int i = 0; i < v; i += L) {
                        load(a, ao + i).sub(s).intoArray(out, oo + i);
                    }
                }
                case MUL -> {
                    for (int i = 0; i < v; i += L) {
                        load(a, ao + i).mul(s).intoArray(out, oo + i);
                    }
                }
                case DIV -> {
                    for (int i = 0; i < v; i += L) {
                        load(a, ao + i).div(s).intoArray(out, oo + i);
                    }
                }
            }
        } else {
            FloatVector s = FloatVector.broadcast(S, a[ao]);
            switch (op) {
                case ADD -> {
                    for (int i = 0; i < v; i += L) {
                        s.add(load(b, bo + i)).intoArray(out, oo + i);
                    }
                }
                case SUB -> {
                    for (int i = 0; i < v; i += L) {
                        s.sub(load(b, bo + i)).intoArray(out, oo + i);
                    }
                }
                case MUL -> {
                    for (int i = 0; i < v; i += L) {
                        s.mul(load(b, bo + i)).intoArray(out, oo + i);
                    }
                }
                case DIV -> {
                    for (int i = 0; i < v; i += L) {
                        s.div(load(b, bo + i)).intoArray(out, oo + i);
                    }
                }
            }
        }
        if (v < n) {
            Elementwise.binaryScalar(op, a, ao + v * as, as, b, bo + v * bs, bs, out, oo + v, n - v);
        }
    }

    /**
     * {@code dst[to+i] = src[from+i]} for {@code i < n}, for non-overlapping runs: whole vectors, then one vector
     * ending at the run's end (it rewrites a few elements with the same values), or plain stores below one vector.
     */
    static void copy(float[] src, int from, float[] dst, int to, int n) {
        if (n < L) {
            for (int i = 0; i < n; i++) {
                dst[to + i] = src[from + i];
            }
            return;
        }
        int i = 0;
        for (; i + L <= n; i += L) {
            load(src, from + i).intoArray(dst, to + i);
        }
        if (i < n) {
            load(src, from + n - L).intoArray(dst, to + n - L);
        }
    }

    /**
     * {@code dst[to+i] += src[from+i]} for {@code i < n}, {@code src} and {@code dst} different arrays: whole vectors,
     * then the vector ending at the run's end, whose sums are computed before any store (so the elements it shares
     * with the last whole vector get the same sum twice, never a sum added twice); plain adds below one vector.
     */
    static void addTo(float[] src, int from, float[] dst, int to, int n) {
        if (n < L) {
            for (int i = 0; i < n; i++) {
                dst[to + i] += src[from + i];
            }
            return;
        }
        FloatVector last = load(dst, to + n - L).add(load(src, from + n - L));
        for (int i = 0; i + L <= n; i += L) {
            load(dst, to + i).add(load(src, from + i)).intoArray(dst, to + i);
        }
        last.intoArray(dst, to + n - L);
    }

    /** {@link Elementwise#sum}: two float accumulators per block of values, each block reduced into a double. */
    static double sum(float[] a, int off, int n) {
        double total = 0;
        int v = S.loopBound(n);
        for (int b = 0; b < v; b += Elementwise.SUM_BLOCK) {
            int e = Math.min(v, b + Elementwise.SUM_BLOCK);
            FloatVector s0 = FloatVector.zero(S);
            FloatVector s1 = s0;
            int i = b;
            for (; i + 2 * L <= e; i += 2 * L) {
                s0 = s0.add(load(a, off + i));
                s1 = s1.add(load(a, off + i + L));
            }
            if (i < e) {
                s0 = s0.add(load(a, off + i));
            }
            total += VectorLanes.sum(s0.add(s1));
        }
        for (int i = v; i < n; i++) {
            total += a[off + i];
        }
        return total;
    }

    /** {@link Elementwise#axpy} on the calling thread: whole vectors, then the plain loop for the tail. */
    static void axpy(float alpha, float[] src, int sOff, float[] dst, int dOff, int n) {
        FloatVector a = FloatVector.broadcast(S, alpha);
        int v = S.loopBound(n);
        for (int i = 0; i < v; i += L) {
            load(dst, dOff + i).add(load(src, sOff + i).mul(a)).intoArray(dst, dOff + i);
        }
        Elementwise.axpyScalar(alpha, src, sOff + v, dst, dOff + v, n - v);
    }

    /**
     * {@link Elementwise#sgdMomentum} over {@code [from, to)}: the same operations lane by lane, one loop per
     * combination of the two flags (a flag tested inside the loop kept it from compiling to vector code).
     */
    static void sgdMomentum(float[] p, int po, float[] g, int go, float[] v, int from, int to, float lr, float wd,
                            float mu, boolean first, boolean nesterov) {
        FloatVector rate = FloatVector.broadcast(S, lr);
        FloatVector decay = FloatVector.broadcast(S, wd);
        FloatVector m = FloatVector.broadcast(S, mu);
        int end = from + S.loopBound(to - from);
        int i = from;
        if (first && !nesterov) {
            for (; i < end; i += L) {
                FloatVector pi = load(p, po + i);
                FloatVector gi = load(g, go + i).add(pi.mul(decay));
                gi.intoArray(v, i);
                pi.sub(gi.mul(rate)).intoArray(p, po + i);
            }
        } else if (!nesterov) {
            for (; i < end; i += L) {
                FloatVector pi = load(p, po + i);
                FloatVector gi = load(g, go + i).add(pi.mul(decay));
                FloatVector vi = load(v, i).mul(m).add(gi);
                vi.intoArray(v, i);
                pi.sub(vi.mul(rate)).intoArray(p, po + i);
            }
        } else if (first) {
            for (; i < end; i += L) {
                FloatVector pi = load(p, po + i);
                FloatVector gi = load(g, go + i).add(pi.mul(decay));
                gi.intoArray(v, i);
                pi.sub(gi.add(gi.mul(m)).mul(rate)).intoArray(p, po + i);
            }
        } else {
            for (; i < end; i += L) {
                FloatVector pi = load(p, po + i);
                FloatVector gi = load(g, go + i).add(pi.mul(decay));
                FloatVector vi = load(v, i).mul(m).add(gi);
                vi.intoArray(v, i);
                pi.sub(gi.add(vi.mul(m)).mul(rate)).intoArray(p, po + i);
            }
        }
        Elementwise.sgdMomentumScalar(p, po, g, go, v, i, to, lr, wd, mu, first, nesterov);
    }

    private static FloatVector load(float[] x, int at) {
        return FloatVector.fromArray(S, x, at);
    }
}
