package org.quadralib.core.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.quadralib.core.Parallel;

class GemmTest {

    /**
     * (m, n, k) triples: tiny, odd, straddling micro-tiles, K blocks (512), N panels (256) and M blocks (960);
     * with B transposed, those of at most {@link PackedGemm#DOT_MAX_OUTPUTS} outputs run as dot products; with
     * neither transposed, those of at most {@link PackedGemm#FEW_ROWS} rows (and a short K) run unpacked.
     */
    private static final int[][] SIZES = {
        {1, 1, 1}, {1, 17, 3}, {3, 1, 17}, {17, 3, 1}, {2, 2, 300}, {5, 16, 8}, {6, 32, 9},
        {63, 65, 17}, {65, 63, 257}, {64, 64, 64}, {17, 257, 63}, {257, 17, 65}, {200, 70, 1100},
        {3, 4100, 5}, {1000, 20, 30}, {6, 25, 784}, {16, 150, 100}, {64, 64, 7}, {7, 37, 200}, {6, 784, 25}, {4, 24, 10},
    };

    private static List<Gemm.Kernel> kernels() {
        List<Gemm.Kernel> ks = new ArrayList<>();
        for (Gemm.Kernel k : Gemm.Kernel.values()) {
            if (k.available()) {
                ks.add(k);
            }
        }
        return ks;
    }

    /** A stored rows × cols operand embedded in a larger array at an offset, with padded leading dimension. */
    private record Operand(float[] data, int off, int ld) {
        static Operand random(Random r, int rows, int cols, int off, int pad) {
            int ld = cols + pad;
            float[] d = new float[off + rows * ld + 3];
            for (int i = 0; i < d.length; i++) {
                d[i] = r.nextFloat() * 2 - 1;
            }
            return new Operand(d, off, ld);
        }

        double get(int i, int j) {
            return data[off + i * ld + j];
        }
    }

    private static void checkOne(Gemm.Kernel kernel, boolean ta, boolean tb, int m, int n, int k,
                                 float alpha, float beta, int off, int pad, long seed) {
        Random r = new Random(seed);
        Operand a = ta ? Operand.random(r, k, m, off, pad) : Operand.random(r, m, k, off, pad);
        Operand b = tb ? Operand.random(r, n, k, off + 1, pad) : Operand.random(r, k, n, off + 1, pad);
        Operand c = Operand.random(r, m, n, off + 2, pad);
        float[] before = c.data().clone();
        if (beta == 0f) {
            // beta = 0 must overwrite C without reading it.
            for (int i = 0; i < m; i++) {
                Arrays.fill(c.data(), c.off() + i * c.ld(), c.off() + i * c.ld() + n, Float.NaN);
            }
        }
        Gemm.sgemm(kernel, ta, tb, m, n, k, alpha, a.data(), a.off(), a.ld(), b.data(), b.off(), b.ld(),
                beta, c.data(), c.off(), c.ld());
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double ref = 0;
                double mag = 0;
                for (int p = 0; p < k; p++) {
                    double x = (ta ? a.get(p, i) : a.get(i, p)) * (tb ? b.get(j, p) : b.get(p, j));
                    ref += x;
                    mag += Math.abs(x);
                }
                double old = before[c.off() + i * c.ld() + j];
                ref = alpha * ref + (beta == 0f ? 0 : beta * old);
                mag = Math.abs(alpha) * mag + Math.abs(beta * old);
                double got = c.get(i, j);
                double tol = (k + 3) * 1.2e-7 * mag + 1e-30;
                if (!(Math.abs(got - ref) <= tol)) {
                    fail(kernel + " ta=" + ta + " tb=" + tb + " m=" + m + " n=" + n + " k=" + k + " alpha=" + alpha
                            + " beta=" + beta + ": C[" + i + "," + j + "] = " + got + ", expected " + ref + " +- " + tol);
                }
            }
        }
        // Nothing outside the m × n window of C may change.
        for (int idx = 0; idx < before.length; idx++) {
            int rel = idx - c.off();
            boolean inside = rel >= 0 && rel / c.ld() < m && rel % c.ld() < n;
            if (!inside) {
                assertEquals(before[idx], c.data()[idx], kernel + ": C[" + idx + "] outside the window changed");
            }
        }
    }

    @Test
    void everyKernelAndTransposeMatchesDoubleReference() {
        long seed = 1;
        for (Gemm.Kernel kernel : kernels()) {
            for (int[] s : SIZES) {
                for (int t = 0; t < 4; t++) {
                    checkOne(kernel, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], 1f, 0f, 0, 0, seed++);
                }
            }
        }
    }

    @Test
    void offsetsLeadingDimensionsAlphaBeta() {
        float[][] alphaBeta = {{1f, 1f}, {-1.5f, 2f}, {0.5f, 0f}, {2f, -1f}};
        long seed = 100;
        for (Gemm.Kernel kernel : kernels()) {
            for (float[] ab : alphaBeta) {
                for (int t = 0; t < 4; t++) {
                    checkOne(kernel, (t & 1) != 0, (t & 2) != 0, 37, 45, 29, ab[0], ab[1], 7, 5, seed++);
                    checkOne(kernel, (t & 1) != 0, (t & 2) != 0, 70, 33, 300, ab[0], ab[1], 3, 2, seed++);
                    checkOne(kernel, (t & 1) != 0, (t & 2) != 0, 6, 41, 29, ab[0], ab[1], 5, 3, seed++);
                }
            }
        }
    }

    @Test
    void zeroDepthOrAlphaScalesC() {
        for (Gemm.Kernel kernel : kernels()) {
            float[] c = {1f, 2f, 3f, 4f};
            Gemm.sgemm(kernel, false, false, 2, 2, 0, 1f, new float[0], 0, 1, new float[0], 0, 2, 3f, c, 0, 2);
            assertArrayEquals(new float[] {3f, 6f, 9f, 12f}, c);
            float[] nan = {Float.NaN, Float.NaN, Float.NaN, Float.NaN};
            Gemm.sgemm(kernel, false, false, 2, 2, 2, 0f, new float[4], 0, 2, new float[4], 0, 2, 0f, nan, 0, 2);
            assertArrayEquals(new float[4], nan);
            Gemm.sgemm(kernel, false, false, 0, 5, 5, 1f, null, 0, 5, null, 0, 5, 0f, null, 0, 5);
        }
    }

    @Test
    void resultsDoNotDependOnThreadsOrRuns() {
        int saved = Parallel.threads();
        try {
            // Square-ish (threads split rows), short-and-wide (threads split the columns of a panel) and few rows
            // with a short K (unpacked, threads split the columns).
            for (int[] s : new int[][] {{301, 283, 517}, {8, 2000, 300}, {6, 2101, 250}}) {
                int m = s[0];
                int n = s[1];
                int k = s[2];
                Random r = new Random(7);
                float[] a = centred(r, m * k);
                float[] b = centred(r, k * n);
                for (Gemm.Kernel kernel : kernels()) {
                    for (int t = 0; t < 4; t++) {
                        boolean ta = (t & 1) != 0;
                        boolean tb = (t & 2) != 0;
                        Parallel.setThreads(1);
                        float[] one = run(kernel, ta, tb, m, n, k, a, b);
                        Parallel.setThreads(2);
                        float[] two = run(kernel, ta, tb, m, n, k, a, b);
                        float[] again = run(kernel, ta, tb, m, n, k, a, b);
                        assertArrayEquals(two, again, kernel + ": two runs with 2 threads differ");
                        if (kernel != Gemm.Kernel.EJML) {
                            // The packed kernels compute every element the same way whoever computes it.
                            assertArrayEquals(one, two, kernel + ": 1 and 2 threads differ");
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    private static float[] run(Gemm.Kernel kernel, boolean ta, boolean tb, int m, int n, int k, float[] a, float[] b) {
        float[] c = new float[m * n];
        Gemm.sgemm(kernel, ta, tb, m, n, k, 1f, a, 0, ta ? m : k, b, 0, tb ? k : n, 0f, c, 0, n);
        return c;
    }

    @Test
    void rejectsBadArguments() {
        float[] x = new float[100];
        assertThrows(IllegalArgumentException.class, () -> Gemm.sgemm(false, false, -1, 2, 2, 1f, x, 0, 2, x, 0, 2, 0f, x, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> Gemm.sgemm(false, false, 2, 2, 3, 1f, x, 0, 2, x, 0, 2, 0f, x, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> Gemm.sgemm(true, false, 4, 2, 3, 1f, x, 0, 3, x, 0, 2, 0f, x, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> Gemm.sgemm(false, false, 2, 3, 2, 1f, x, 0, 2, x, 0, 3, 0f, x, 0, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 10, 10, 10, 1f, x, 1, 10, x, 0, 10, 0f, x, 0, 10));
        assertTrue(e.getMessage().contains("A") && e.getMessage().contains("101"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Gemm.sgemm(false, false, 2, 2, 2, 1f, x, -1, 2, x, 0, 2, 0f, x, 0, 2));
        assertThrows(NullPointerException.class, () -> Gemm.sgemm(false, false, 2, 2, 2, 1f, null, 0, 2, x, 0, 2, 0f, x, 0, 2));
    }

    /**
     * A packed A gives exactly what the stored A gives, on every path a product may take: packed (K blocks, row
     * blocks, the shared B of a row split), few rows and dot products (which read the stored A), and one or two
     * threads; and the packed buffer serves several products.
     */
    @Test
    void packedAMatchesStoredABitForBit() {
        int saved = Parallel.threads();
        try {
            int[][] sizes = {{1, 1, 1}, {6, 784, 25}, {7, 37, 200}, {37, 45, 29}, {65, 63, 257}, {200, 70, 1100},
                {301, 283, 517}, {8, 2000, 300}, {1000, 20, 30}, {2, 2, 300}, {40, 60, 5}};
            long seed = 500;
            for (int threads : new int[] {1, 2}) {
                Parallel.setThreads(threads);
                for (int[] s : sizes) {
                    for (int t = 0; t < 4; t++) {
                        boolean ta = (t & 1) != 0;
                        boolean tb = (t & 2) != 0;
                        int m = s[0];
                        int n = s[1];
                        int k = s[2];
                        Random r = new Random(seed++);
                        Operand a = ta ? Operand.random(r, k, m, 3, 2) : Operand.random(r, m, k, 3, 2);
                        float[] buffer = new float[Gemm.packedSizeA(m, k) + 5];
                        Arrays.fill(buffer, Float.NaN);
                        Gemm.PackedA packed = Gemm.packA(ta, m, k, a.data(), a.off(), a.ld(), buffer);
                        assertEquals(m, packed.rows());
                        assertEquals(k, packed.depth());
                        for (int product = 0; product < 2; product++) {
                            Operand b = tb ? Operand.random(r, n, k, 1, 3) : Operand.random(r, k, n, 1, 3);
                            Operand c = Operand.random(r, m, n, 2, 1);
                            float beta = product == 0 ? 0f : 0.5f;
                            float[] expected = c.data().clone();
                            Gemm.sgemm(ta, tb, m, n, k, 1.5f, a.data(), a.off(), a.ld(), b.data(), b.off(), b.ld(),
                                    beta, expected, c.off(), c.ld());
                            Gemm.sgemm(packed, tb, n, 1.5f, b.data(), b.off(), b.ld(), beta, c.data(), c.off(), c.ld());
                            assertArrayEquals(expected, c.data(), "packed A, threads=" + threads + " ta=" + ta
                                    + " tb=" + tb + " m=" + m + " n=" + n + " k=" + k);
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void packARejectsBadArguments() {
        float[] a = new float[12];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.packA(false, 3, 4, a, 0, 4, new float[Gemm.packedSizeA(3, 4) - 1]));
        assertTrue(e.getMessage().contains("packA") && e.getMessage().contains("3x4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Gemm.packedSizeA(-1, 4));
        assertTrue(e.getMessage().contains("m=-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.packA(false, 4, 4, a, 0, 4, new float[Gemm.packedSizeA(4, 4)]));
        assertTrue(e.getMessage().contains("A (4x4"), e.getMessage());
        Gemm.PackedA packed = Gemm.packA(false, 3, 4, a, 0, 4, new float[Gemm.packedSizeA(3, 4)]);
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(packed, false, 2, 1f, new float[7], 0, 2, 0f, new float[6], 0, 2));
        assertTrue(e.getMessage().contains("B (4x2"), e.getMessage());
        assertThrows(NullPointerException.class,
                () -> Gemm.sgemm(null, false, 2, 1f, new float[8], 0, 2, 0f, new float[6], 0, 2));
    }

    @Test
    void kernelDescriptionNamesTheDefault() {
        assertEquals(Simd.vectorApi(), Gemm.Kernel.VECTOR.available());
        assertEquals(Simd.vectorApi() ? Gemm.Kernel.VECTOR : Gemm.Kernel.SCALAR, Gemm.defaultKernel());
        assertTrue(Gemm.kernelName().contains(Simd.vectorApi() ? "Vector API" : "plain-Java"), Gemm.kernelName());
    }

    /** Entry point for {@link #runsWithoutTheVectorModule}: a GEMM in a JVM without jdk.incubator.vector. */
    public static final class NoVectorMain {
        public static void main(String[] args) {
            float[] a = new float[40 * 40];
            Arrays.fill(a, 1f);
            float[] c = new float[40 * 40];
            Gemm.sgemm(false, false, 40, 40, 40, 1f, a, 0, 40, a, 0, 40, 0f, c, 0, 40);
            System.out.println(Gemm.defaultKernel() + " " + c[0]);
        }
    }

    @Test
    void runsWithoutTheVectorModule() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), NoVectorMain.class.getName())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM timed out");
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("SCALAR 40.0"), output);
    }

    /**
     * A B written by the caller at {@link Gemm#packedIndexB}'s offsets (several K blocks, a partial last sliver) and an
     * A packed at an offset give exactly what {@code sgemm} computes from the stored operands.
     */
    @Test
    void callerPackedOperandsGiveTheStoredProduct() {
        int m = 13;
        int n = 37;
        int k = 1100;
        Random r = new Random(41);
        float[] a = centred(r, m * k);
        float[] b = centred(r, k * n);
        float[] expected = new float[m * n];
        Gemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, expected, 0, n);

        int aOff = 5;
        float[] aBuffer = new float[aOff + Gemm.packedSizeA(m, k)];
        Gemm.PackedA pa = Gemm.packA(false, m, k, a, 0, k, aBuffer, aOff);
        int nr = Gemm.sliverWidthB();
        int bOff = 3;
        float[] packedB = new float[bOff + Gemm.packedSizeB(k, n)];
        Arrays.fill(packedB, Float.NaN);
        for (int p = 0; p < k; p++) {
            for (int s = 0; s * nr < n; s++) {
                int at = bOff + Gemm.packedIndexB(n, k, p, s);
                for (int j = 0; j < nr; j++) {
                    int col = s * nr + j;
                    packedB[at + j] = col < n ? b[p * n + col] : 0f;
                }
            }
        }
        float[] c = new float[2 + m * n];
        Arrays.fill(c, Float.NaN);
        Gemm.sgemmPackedB(pa, n, packedB, bOff, c, 2, n);
        assertArrayEquals(expected, Arrays.copyOfRange(c, 2, c.length));
        assertThrows(IllegalArgumentException.class, () -> Gemm.packA(false, m, k, a, 0, k, aBuffer, aOff + 1));
    }

    /** {@code size} uniform values in [−0.5, 0.5). */
    private static float[] centred(Random r, int size) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            v[i] = r.nextFloat() - 0.5f;
        }
        return v;
    }
}
