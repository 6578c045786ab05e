package org.quadralib.core.kernels;

import java.util.Objects;

/**
 * Single-precision general matrix multiply on row-major {@code float[]} storage, with BLAS semantics:
 *
 * <pre>C = alpha · op(A) · op(B) + beta · C</pre>
 *
 * where {@code op(X)} is {@code X} or its transpose, {@code op(A)} is {@code m × k}, {@code op(B)} is
 * {@code k × n} and {@code C} is {@code m × n}. Element {@code (i, j)} of a row-major operand stored from
 * {@code off} with leading dimension {@code ld} is at {@code off + i·ld + j}; a transposed operand is read as
 * stored, so {@code transA} means A is stored {@code k × m}.
 *
 * <p>Kernels: {@link Kernel#VECTOR}, a register-blocked FMA kernel on the JDK Vector API, runs when the
 * {@code jdk.incubator.vector} module is present (start the JVM with
 * {@code --add-modules=jdk.incubator.vector}); otherwise the plain-Java packed kernel {@link Kernel#SCALAR}
 * runs, which measured faster than {@link Kernel#EJML} (see {@code benchmarks/HISTORY.md}). {@link Simd} makes
 * the choice and logs it.
 *
 * <p>Two small shapes skip the packing: {@code A·Bᵀ} with at most 4096 outputs runs as dot products of stored
 * rows (a convolution's weight gradient), and {@code A·B} with at most 8 rows and K ≤ 256 reads both operands as
 * stored (a first convolution's forward). Products of at least 2·128³ flops are split across
 * {@link org.quadralib.core.Parallel} workers by blocks of rows (or, for few rows, columns) of C; a row split first
 * packs B once, each thread packing a share of it, so that one fork-join packs and one computes. Smaller products,
 * and calls made from a worker thread, run on the calling thread. {@link #packA} packs an A once for several
 * products (a convolution's weights for every image). The packed
 * kernels (and the two unpacked paths) compute each element of C by the same sequence of operations whoever
 * computes it, so their results are bit-identical for any thread count and schedule; EJML's are identical for a
 * given thread count.
 *
 * <p>The Vector API kernel is slow until C2 has compiled it: in the interpreter and C1, every vector operation
 * allocates, and a GEMM runs two orders of magnitude slower. That takes about a thousand micro-kernel calls
 * and, on a busy machine, a few seconds; benchmarks must warm up past it.
 */
public final class Gemm {

    /** The GEMM implementations; {@link #defaultKernel()} picks the fastest available. */
    public enum Kernel {
        /** Packed 5×16 (AVX2) FMA micro-kernel on the JDK Vector API; needs {@code jdk.incubator.vector}. */
        VECTOR,
        /** Packed plain-Java 4×2 register-blocked kernel; always available. */
        SCALAR,
        /** EJML's {@code CommonOps_FDRM}, operands wrapped or copied into EJML matrices; always available. */
        EJML;

        /** Whether this kernel can run in this JVM. */
        public boolean available() {
            return this != VECTOR || VECTOR_IMPL != null;
        }
    }

    // Only created when Simd chose the Vector API, so VectorGemm (and FloatVector) is never linked otherwise.
    private static final PackedGemm VECTOR_IMPL = Simd.VECTOR ? VectorGemm.create() : null;
    private static final Kernel DEFAULT = VECTOR_IMPL != null ? Kernel.VECTOR : Kernel.SCALAR;

    private Gemm() {
    }

    /** The kernel {@link #sgemm(boolean, boolean, int, int, int, float, float[], int, int, float[], int, int,
     * float, float[], int, int)} uses: {@link Kernel#VECTOR} when available, else {@link Kernel#SCALAR}. */
    public static Kernel defaultKernel() {
        return DEFAULT;
    }

    /** A description of the default kernel, e.g. {@code "Vector API 5x16 FMA micro-kernel (256-bit)"}. */
    public static String kernelName() {
        return VECTOR_IMPL != null ? VECTOR_IMPL.describe() : ScalarGemm.INSTANCE.describe();
    }

    /**
     * {@code C = alpha · op(A) · op(B) + beta · C} with the {@linkplain #defaultKernel() default kernel}.
     *
     * @param transA whether A is stored transposed ({@code k × m}, leading dimension {@code lda ≥ m})
     * @param transB whether B is stored transposed ({@code n × k}, leading dimension {@code ldb ≥ k})
     * @param m rows of op(A) and C
     * @param n columns of op(B) and C
     * @param k columns of op(A), rows of op(B)
     * @param alpha scale of the product
     * @param a A's storage, read from {@code aOff}
     * @param lda A's leading dimension (distance between stored rows)
     * @param b B's storage, read from {@code bOff}
     * @param ldb B's leading dimension
     * @param beta scale of the old C; when {@code 0} C is not read, so it may hold NaN or garbage
     * @param c C's storage, written from {@code cOff}; must not overlap A or B
     * @param ldc C's leading dimension ({@code ≥ n})
     * @throws IllegalArgumentException if a dimension is negative, a leading dimension is too small, or an
     *         operand does not fit in its array from its offset
     * @throws NullPointerException if an array that is read or written is null
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        sgemm(DEFAULT, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /**
     * {@code C = alpha · op(A) · op(B) + beta · C} with the given kernel (for tests and benchmarks); the
     * parameters are those of
     * {@link #sgemm(boolean, boolean, int, int, int, float, float[], int, int, float[], int, int, float,
     * float[], int, int)}.
     *
     * @throws UnsupportedOperationException if {@code kernel} is {@link Kernel#VECTOR} and the Vector API
     *         module is absent
     * @throws IllegalArgumentException as for the default-kernel overload
     */
    public static void sgemm(Kernel kernel, boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        Objects.requireNonNull(kernel, "kernel");
        if (!kernel.available()) {
            throw new UnsupportedOperationException(
                    "sgemm: VECTOR kernel needs the jdk.incubator.vector module (--add-modules=jdk.incubator.vector)");
        }
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("sgemm: negative dimension m=" + m + " n=" + n + " k=" + k);
        }
        if (finishedWithoutProduct(m, n, k, alpha, beta, c, cOff, ldc)) {
            return;
        }
        checkOperand("A", a, aOff, lda, transA ? k : m, transA ? m : k);
        checkOperand("B", b, bOff, ldb, transB ? n : k, transB ? k : n);
        if (kernel == Kernel.EJML) {
            EjmlGemm.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        } else {
            PackedGemm impl = kernel == Kernel.VECTOR ? VECTOR_IMPL : ScalarGemm.INSTANCE;
            impl.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        }
    }

    /**
     * op(A) of {@link #sgemm} packed once for several products with different B and C: a convolution multiplies its
     * weights by every image's columns, and packing them once per call rather than once per image removed what had
     * been an eighth of a VGG training step's samples (JFR). Obtain one with {@link #packA}; it refers to the stored A (read by the paths that do not
     * pack) and to the packed buffer, so neither may change while it is in use. Only for the default kernel.
     */
    public static final class PackedA {
        private final boolean transA;
        private final int m;
        private final int k;
        private final float[] a;
        private final int aOff;
        private final int lda;
        private final float[] packed;
        private final int packedOff;

        private PackedA(boolean transA, int m, int k, float[] a, int aOff, int lda, float[] packed, int packedOff) {
            this.transA = transA;
            this.m = m;
            this.k = k;
            this.a = a;
            this.aOff = aOff;
            this.lda = lda;
            this.packed = packed;
            this.packedOff = packedOff;
        }

        /** Rows of op(A) (and of every C it multiplies into). */
        public int rows() {
            return m;
        }

        /** Columns of op(A) (the K of every product). */
        public int depth() {
            return k;
        }

        /** Whether A is stored transposed ({@code depth × rows}). */
        public boolean transposed() {
            return transA;
        }
    }

    /**
     * Floats of buffer {@link #packA} needs for an {@code m × k} op(A) with the default kernel: about
     * {@code m·k}, padded to whole micro-kernel row slivers.
     *
     * @throws IllegalArgumentException if a dimension is negative or the size exceeds an array's
     */
    public static int packedSizeA(int m, int k) {
        if (m < 0 || k < 0) {
            throw new IllegalArgumentException("packA: negative dimension m=" + m + " k=" + k);
        }
        return arraySize("packA", m, k, impl().packedSizeA(m, k));
    }

    /**
     * {@code size} as an array length.
     *
     * @throws IllegalArgumentException naming {@code op} and the {@code rows × cols} operand if it exceeds an array's
     */
    private static int arraySize(String op, int rows, int cols, long size) {
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(op + ": a packed " + rows + "x" + cols + " operand needs " + size
                    + " floats, more than an array holds");
        }
        return (int) size;
    }

    /**
     * Checks that {@code buffer} holds {@code size} floats from {@code offset}.
     *
     * @throws NullPointerException if {@code buffer} is null
     * @throws IllegalArgumentException naming {@code op} and the {@code rows × cols} operand if it is too short
     */
    private static void checkBuffer(String op, int rows, int cols, int size, float[] buffer, int offset) {
        Objects.requireNonNull(buffer, "buffer");
        if (buffer.length - offset < size) {
            throw new IllegalArgumentException(op + ": a packed " + rows + "x" + cols + " operand needs " + size
                    + " floats, buffer has " + (buffer.length - offset) + " from " + offset);
        }
    }

    /**
     * Packs op(A) ({@code m × k}; stored {@code k × m} when {@code transA}) into {@code buffer} for
     * {@link #sgemm(PackedA, boolean, int, float, float[], int, int, float, float[], int, int)}, which then computes
     * exactly what {@link #sgemm(boolean, boolean, int, int, int, float, float[], int, int, float[], int, int, float,
     * float[], int, int) sgemm} computes with this A.
     *
     * @param buffer at least {@link #packedSizeA(int, int)} floats, overwritten; owned by the result while in use
     * @throws IllegalArgumentException if a dimension is negative, a leading dimension is too small, A does not fit
     *         in its array from its offset, or {@code buffer} is too short
     * @throws NullPointerException if {@code a} (for a non-empty A) or {@code buffer} is null
     */
    public static PackedA packA(boolean transA, int m, int k, float[] a, int aOff, int lda, float[] buffer) {
        return packA(transA, m, k, a, aOff, lda, buffer, 0);
    }

    /** {@link #packA(boolean, int, int, float[], int, int, float[])} into {@code buffer} from {@code bufferOff}. */
    static PackedA packA(boolean transA, int m, int k, float[] a, int aOff, int lda, float[] buffer, int bufferOff) {
        checkBuffer("packA", m, k, packedSizeA(m, k), buffer, bufferOff);
        if (m > 0 && k > 0) {
            checkOperand("A", a, aOff, lda, transA ? k : m, transA ? m : k);
            impl().packAllA(transA, a, aOff, lda, m, k, buffer, bufferOff);
        }
        return new PackedA(transA, m, k, a, aOff, lda, buffer, bufferOff);
    }

    /**
     * {@code C = alpha · op(A) · op(B) + beta · C} with op(A) packed by {@link #packA}: {@code m} and {@code k} are
     * {@code a}'s, the other parameters as for {@link #sgemm(boolean, boolean, int, int, int, float, float[], int,
     * int, float[], int, int, float, float[], int, int) sgemm}, whose result this is, bit for bit.
     *
     * @throws IllegalArgumentException if {@code n} is negative, a leading dimension is too small, or B or C does
     *         not fit in its array from its offset
     * @throws NullPointerException if {@code a} or an array that is read or written is null
     */
    public static void sgemm(PackedA a, boolean transB, int n, float alpha, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        Objects.requireNonNull(a, "a");
        int m = a.m;
        int k = a.k;
        if (n < 0) {
            throw new IllegalArgumentException("sgemm: negative dimension m=" + m + " n=" + n + " k=" + k);
        }
        if (finishedWithoutProduct(m, n, k, alpha, beta, c, cOff, ldc)) {
            return;
        }
        checkOperand("B", b, bOff, ldb, transB ? n : k, transB ? k : n);
        impl().gemm(a.transA, transB, m, n, k, alpha, a.a, a.aOff, a.lda, a.packed, a.packedOff, b, bOff, ldb, beta, c,
                cOff, ldc);
    }

    /**
     * The cases with no product to compute: an empty C (nothing to do), or {@code k = 0} / {@code alpha = 0}
     * ({@code C = beta·C}). Validates C otherwise; true when the call is done.
     */
    private static boolean finishedWithoutProduct(int m, int n, int k, float alpha, float beta, float[] c, int cOff,
                                                  int ldc) {
        if (m == 0 || n == 0) {
            return true;
        }
        checkOperand("C", c, cOff, ldc, m, n);
        if (k == 0 || alpha == 0f) {
            scale(m, n, beta, c, cOff, ldc);
            return true;
        }
        return false;
    }

    /**
     * op(B) of {@link #sgemm} packed once for several products with different A and C: a linear layer's weight
     * {@code Wᵀ}, packed once for every batch an {@code InferenceMode} scope runs, where packing it again took a
     * seventh of an MLP's inference time. Obtain one with {@link #packB}; it refers to the stored B (read by the
     * paths that do not pack) and to the packed buffer, so neither may change while it is in use. Only for the
     * default kernel.
     */
    public static final class PackedB {
        private final boolean transB;
        private final int k;
        private final int n;
        private final float[] b;
        private final int bOff;
        private final int ldb;
        private final float[] packed;

        private PackedB(boolean transB, int k, int n, float[] b, int bOff, int ldb, float[] packed) {
            this.transB = transB;
            this.k = k;
            this.n = n;
            this.b = b;
            this.bOff = bOff;
            this.ldb = ldb;
            this.packed = packed;
        }

        /** Rows of op(B) (the K of every product). */
        public int depth() {
            return k;
        }

        /** Columns of op(B) (and of every C it multiplies into). */
        public int columns() {
            return n;
        }

        /** Whether B is stored transposed ({@code columns × depth}). */
        public boolean transposed() {
            return transB;
        }
    }

    /**
     * Floats of the buffer {@link #packB} needs for a {@code k × n} op(B) with the default kernel: about
     * {@code k·n}, padded to whole micro-kernel column slivers.
     *
     * @throws IllegalArgumentException if a dimension is negative or the size exceeds an array's
     */
    public static int packedSizeB(int k, int n) {
        if (k < 0 || n < 0) {
            throw new IllegalArgumentException("packB: negative dimension k=" + k + " n=" + n);
        }
        return arraySize("packB", k, n, impl().packedSizeB(n, k));
    }

    /**
     * Packs op(B) ({@code k × n}; stored {@code n × k} when {@code transB}) into {@code buffer} for
     * {@link #sgemm(boolean, int, float, float[], int, int, PackedB, float, float[], int, int)}, which then computes
     * exactly what {@link #sgemm(boolean, boolean, int, int, int, float, float[], int, int, float[], int, int, float,
     * float[], int, int) sgemm} computes with this B.
     *
     * @param buffer at least {@link #packedSizeB(int, int)} floats, overwritten; owned by the result while in use
     * @throws IllegalArgumentException if a dimension is negative, a leading dimension is too small, B does not fit
     *         in its array from its offset, or {@code buffer} is too short
     * @throws NullPointerException if {@code b} (for a non-empty B) or {@code buffer} is null
     */
    public static PackedB packB(boolean transB, int k, int n, float[] b, int bOff, int ldb, float[] buffer) {
        checkBuffer("packB", k, n, packedSizeB(k, n), buffer, 0);
        if (k > 0 && n > 0) {
            checkOperand("B", b, bOff, ldb, transB ? n : k, transB ? k : n);
            impl().packWholeB(transB, b, bOff, ldb, n, k, buffer, 0);
        }
        return new PackedB(transB, k, n, b, bOff, ldb, buffer);
    }

    /**
     * {@code C = alpha · op(A) · op(B) + beta · C} with op(B) packed by {@link #packB}: {@code k} and {@code n} are
     * {@code b}'s, the other parameters as for {@link #sgemm(boolean, boolean, int, int, int, float, float[], int,
     * int, float[], int, int, float, float[], int, int) sgemm}, whose result this is, bit for bit.
     *
     * @throws IllegalArgumentException if {@code m} is negative, a leading dimension is too small, or A or C does
     *         not fit in its array from its offset
     * @throws NullPointerException if {@code b} or an array that is read or written is null
     */
    public static void sgemm(boolean transA, int m, float alpha, float[] a, int aOff, int lda, PackedB b, float beta,
                             float[] c, int cOff, int ldc) {
        Objects.requireNonNull(b, "b");
        int n = b.n;
        int k = b.k;
        if (m < 0) {
            throw new IllegalArgumentException("sgemm: negative dimension m=" + m + " n=" + n + " k=" + k);
        }
        if (finishedWithoutProduct(m, n, k, alpha, beta, c, cOff, ldc)) {
            return;
        }
        checkOperand("A", a, aOff, lda, transA ? k : m, transA ? m : k);
        impl().gemm(transA, b.transB, m, n, k, alpha, a, aOff, lda, null, 0, b.b, b.bOff, b.ldb, b.packed, 0, beta, c,
                cOff, ldc);
    }

    /** Columns per sliver of a packed B (a multiple of the Vector API's lane count for {@link Kernel#VECTOR}). */
    static int sliverWidthB() {
        return impl().nr;
    }

    /**
     * Where step {@code p} of sliver {@code s} (columns {@code s·sliverWidthB() …}, one float each, contiguous)
     * starts in a packed {@code k × n} B.
     */
    static int packedIndexB(int n, int k, int p, int s) {
        return impl().packedIndexB(n, k, p, s);
    }

    /**
     * {@code C = op(A) · B} on the calling thread, A packed by {@link #packA} and B ({@code a.depth() × n}) written
     * packed by the caller from {@code bOff} at the offsets {@link #packedIndexB} gives: a Winograd convolution
     * transforms its input straight into this layout. Columns of a last, partial sliver past {@code n} must hold
     * finite values; {@code a.depth()} must be at least 1.
     */
    static void sgemmPackedB(PackedA a, int n, float[] packedB, int bOff, float[] c, int cOff, int ldc) {
        if (a.m > 0 && n > 0) {
            impl().gemmPacked(a.m, n, a.k, a.packed, a.packedOff, packedB, bOff, c, cOff, ldc);
        }
    }

    private static PackedGemm impl() {
        return VECTOR_IMPL != null ? VECTOR_IMPL : ScalarGemm.INSTANCE;
    }

    /** Validates a stored {@code rows × cols} operand (rows, cols ≥ 1) with leading dimension {@code ld}. */
    private static void checkOperand(String name, float[] x, int off, int ld, int rows, int cols) {
        Objects.requireNonNull(x, name);
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException("sgemm: leading dimension of " + name + " is " + ld
                    + ", must be >= " + cols + " for a stored " + rows + "x" + cols + " matrix");
        }
        long last = (long) off + (long) (rows - 1) * ld + cols;
        if (off < 0 || last > x.length) {
            throw new IllegalArgumentException("sgemm: " + name + " (" + rows + "x" + cols + ", offset " + off
                    + ", leading dimension " + ld + ") needs " + last + " floats, array has " + x.length);
        }
    }

    /** {@code C = beta · C}; {@code beta == 0} writes zeros without reading C. */
    private static void scale(int m, int n, float beta, float[] c, int cOff, int ldc) {
        if (beta == 1f) {
            return;
        }
        for (int i = 0; i < m; i++) {
            int o = cOff + i * ldc;
            for (int j = 0; j < n; j++) {
                c[o + j] = beta == 0f ? 0f : beta * c[o + j];
            }
        }
    }
}
