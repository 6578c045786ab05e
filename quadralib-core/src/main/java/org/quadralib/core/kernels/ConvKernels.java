package org.quadralib.core.kernels;

import java.util.Arrays;
import org.quadralib.core.Parallel;
import org.quadralib.core.memory.Workspace;

/**
 * 2-D convolution kernels (cross-correlation, as PyTorch) on raw NCHW {@code float[]} storage, each array read
 * or written from index 0:
 *
 * <pre>
 * y[b, o, i, j] = bias[o] + Σ_{c, p, q} W[o, c, p, q] · x[b, g(o)·C/G + c, i·sh − ph + p·dh, j·sw − pw + q·dw]
 * </pre>
 *
 * with {@code c < C/G}, {@code g(o) = o / (O/G)} the group of output channel {@code o}, and x taken as 0 in the
 * padding. Shapes: x {@code [N, C, H, W]}, weight {@code [O, C/G, kh, kw]} (PyTorch layout), bias {@code [O]}
 * or null, y {@code [N, O, oh, ow]} with {@code oh = (H + 2ph − dh(kh−1) − 1)/sh + 1} and likewise {@code ow}.
 *
 * <p>Strategy: each image (and group) is unfolded by im2col into a per-thread {@link Workspace} column matrix
 * and multiplied with {@link Gemm}; a 1×1 convolution with stride 1 and no padding multiplies the input
 * directly; a convolution with one input channel per group (depthwise, {@code G == C}) runs a direct kernel,
 * where a GEMM would have a reduction depth of only {@code kh·kw}. The forward pass of a 3×3 stride-1 convolution
 * with at least 16 channels in and out runs by Winograd's F(2×2, 3×3) instead ({@link #winogradEnabled()}).
 *
 * <p>Threads split the batch (each with its own column buffer) when it has at least as many images as
 * threads, otherwise the GEMMs themselves are split. Every sum is formed in an order fixed by the geometry and
 * the thread count: the weight gradient adds per-thread partial sums in thread order, so runs with the same
 * thread count are bit-identical.
 */
public final class ConvKernels {

    private static final String KEY_PACKED_WEIGHT = "conv.packedWeight";
    private static final String KEY_COL = "conv.col";
    private static final String KEY_PARTIAL = "conv.dw.partial";
    /**
     * Floats of a weight gradient from which its reduction and transposition are split over threads: a quadratic
     * layer's stacked weights (up to 442 K floats in the CIFAR VGG) are reduced once per chunk of images.
     */
    private static final int REDUCE_GRAIN = 1 << 14;

    private static volatile boolean winograd = true;

    private ConvKernels() {
    }

    /**
     * Whether the forward pass of a 3×3 stride-1 convolution with at least 16 channels on both sides runs by
     * Winograd's F(2×2, 3×3) ({@code Winograd}: 2.25× fewer multiplications) rather than im2col + GEMM. On by default;
     * the two differ by float rounding only. The gradients always run by im2col + GEMM (see
     * {@code benchmarks/HISTORY.md} for why).
     */
    public static boolean winogradEnabled() {
        return winograd;
    }

    /** Turns the Winograd path on or off for all threads (see {@link #winogradEnabled()}). */
    public static void setWinograd(boolean enabled) {
        winograd = enabled;
    }

    private static boolean useWinograd(Geometry g) {
        return winograd && Winograd.applies(g);
    }

    /**
     * The shape of one convolution: input {@code [n, c, h, w]}, weight {@code [cout, c/groups, kh, kw]},
     * strides, paddings, dilations and group count.
     *
     * @param n batch size ({@code ≥ 0})
     * @param c input channels
     * @param h input height
     * @param w input width
     * @param cout output channels
     * @param kh kernel height
     * @param kw kernel width
     * @param sh vertical stride
     * @param sw horizontal stride
     * @param ph vertical zero padding on each side ({@code ≥ 0})
     * @param pw horizontal zero padding on each side ({@code ≥ 0})
     * @param dh vertical dilation
     * @param dw horizontal dilation
     * @param groups channel groups; divides {@code c} and {@code cout}
     */
    public record Geometry(int n, int c, int h, int w, int cout, int kh, int kw, int sh, int sw, int ph, int pw,
                           int dh, int dw, int groups) {

        /**
         * @throws IllegalArgumentException naming conv2d and the shapes if a size, stride or dilation is not
         *         positive, a padding or the batch is negative, groups do not divide both channel counts, or the
         *         output would be empty
         */
        public Geometry {
            if (n < 0 || c < 1 || h < 1 || w < 1 || cout < 1 || kh < 1 || kw < 1) {
                throw new IllegalArgumentException("conv2d: sizes must be positive (batch non-negative): "
                        + describe(n, c, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups));
            }
            if (sh < 1 || sw < 1 || dh < 1 || dw < 1 || ph < 0 || pw < 0) {
                throw new IllegalArgumentException("conv2d: strides and dilations must be >= 1 and paddings >= 0: "
                        + describe(n, c, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups));
            }
            if (groups < 1 || c % groups != 0 || cout % groups != 0) {
                throw new IllegalArgumentException("conv2d: groups " + groups + " must divide input channels " + c
                        + " and output channels " + cout + ": "
                        + describe(n, c, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups));
            }
            if (outSize(h, kh, sh, ph, dh) < 1 || outSize(w, kw, sw, pw, dw) < 1) {
                throw new IllegalArgumentException("conv2d: kernel " + kh + "x" + kw + " with dilation (" + dh + ", "
                        + dw + ") does not fit the padded input " + (h + 2 * ph) + "x" + (w + 2 * pw) + ": "
                        + describe(n, c, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups));
            }
        }

        private static int outSize(int in, int k, int s, int p, int d) {
            int span = in + 2 * p - d * (k - 1) - 1;
            return span < 0 ? 0 : span / s + 1;
        }

        private static String describe(int n, int c, int h, int w, int cout, int kh, int kw, int sh, int sw,
                                       int ph, int pw, int dh, int dw, int groups) {
            return "input [" + n + ", " + c + ", " + h + ", " + w + "], weight [" + cout + ", "
                    + (groups > 0 && c % groups == 0 ? String.valueOf(c / groups) : c + "/" + groups) + ", " + kh
                    + ", " + kw + "], stride (" + sh + ", " + sw + "), padding (" + ph + ", " + pw + "), dilation ("
                    + dh + ", " + dw + "), groups " + groups;
        }

        /** Output height {@code (h + 2ph − dh(kh−1) − 1)/sh + 1}. */
        public int outH() {
            return outSize(h, kh, sh, ph, dh);
        }

        /** Output width {@code (w + 2pw − dw(kw−1) − 1)/sw + 1}. */
        public int outW() {
            return outSize(w, kw, sw, pw, dw);
        }

        /** Input channels per group, {@code c / groups}. */
        public int cinPerGroup() {
            return c / groups;
        }

        /** Output channels per group, {@code cout / groups}. */
        public int coutPerGroup() {
            return cout / groups;
        }

        /** Length of one unfolded patch, the GEMM reduction depth: {@code (c/groups)·kh·kw}. */
        public int patch() {
            return c / groups * kh * kw;
        }

        /** Floats in the input, {@code n·c·h·w}. */
        public long inputSize() {
            return (long) n * c * h * w;
        }

        /** Floats in the output, {@code n·cout·oh·ow}. */
        public long outputSize() {
            return (long) n * cout * outH() * outW();
        }

        /** Floats in the weight, {@code cout·(c/groups)·kh·kw}. */
        public long weightSize() {
            return (long) cout * patch();
        }

        /** Floating-point operations of the forward pass (a multiply and an add per weight use). */
        public long flops() {
            return 2L * outputSize() * patch();
        }

        /** A 1×1 convolution with stride 1 and no padding reads its input as the column matrix. */
        boolean pointwise() {
            return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0;
        }

        /**
         * One input channel per group, several groups: the direct depthwise kernel is faster than many GEMMs of
         * depth kh·kw. A single group with one input channel (a first layer on grey images) is one ordinary GEMM
         * over all output channels, 2.5–3.5× faster than the direct kernel's per-channel row sweeps.
         */
        boolean depthwise() {
            return c == groups && groups > 1;
        }

        @Override
        public String toString() {
            return describe(n, c, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups);
        }
    }

    /**
     * Forward convolution; see the class comment for the formula and shapes.
     *
     * @param bias {@code [cout]} or null
     * @param out {@code [n, cout, oh, ow]}, overwritten
     * @throws IllegalArgumentException naming conv2d and the shapes for a bad geometry or an array too short
     */
    public static void forward(float[] x, int n, int c, int h, int w, float[] weight, int cout, int kh, int kw,
                               float[] bias, int sh, int sw, int ph, int pw, int dh, int dw, int groups,
                               float[] out) {
        forward(new Geometry(n, c, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups), x, weight, bias, out);
    }

    /**
     * Forward convolution {@code out = conv(x, weight) + bias}.
     *
     * @param x input {@code [n, c, h, w]}
     * @param weight {@code [cout, c/groups, kh, kw]}
     * @param bias {@code [cout]} or null
     * @param out {@code [n, cout, oh, ow]}, overwritten
     * @throws IllegalArgumentException naming conv2d and the shapes if an array is shorter than its shape
     */
    public static void forward(Geometry g, float[] x, float[] weight, float[] bias, float[] out) {
        forward(g, x, weight, null, bias, out);
    }

    /**
     * Forward convolution with the weights already prepared by {@link #packWeight} ({@code transposed} false), for
     * several calls with the same weights (a layer that convolves its batch in chunks).
     *
     * @param weight {@code [cout, c/groups, kh, kw]}; may be null when {@code packedWeight} is given, which then
     *        holds all the kernels read
     * @param packedWeight {@code packWeight(g', false, weight, …)} for a geometry {@code g'} with this one's
     *        channels, kernel, strides, paddings and dilations (any batch and image size), or null to prepare here
     * @throws IllegalArgumentException naming conv2d and the shapes if an array is shorter than its shape or the
     *         packed weights do not have this convolution's shape, or if {@code weight} and {@code packedWeight}
     *         are both null
     */
    public static void forward(Geometry g, float[] x, float[] weight, PackedWeight packedWeight, float[] bias,
                               float[] out) {
        check(g, "input", x, g.inputSize());
        if (weight != null || packedWeight == null) {
            check(g, "weight", weight, g.weightSize());
        }
        check(g, "output", out, g.outputSize());
        if (bias != null) {
            check(g, "bias", bias, g.cout());
        }
        if (g.depthwise()) {
            Depthwise.forward(g, x, weight, bias, out);
            return;
        }
        checkPacked(g, false, packedWeight);
        if (packedWeight != null ? packedWeight.winograd != null : useWinograd(g)) {
            if (g.n() > 0) {
                Gemm.PackedA[] u = packedWeight != null ? packedWeight.winograd
                        : Winograd.prepare(g, weight, Workspace.get(KEY_PACKED_WEIGHT, Winograd.preparedSize(g)));
                Winograd.forward(g, x, u, bias, out);
            }
            return;
        }
        Gemm.PackedA packed = packedWeight != null ? packedWeight.gemm : packWeight(g, false, weight);
        batch(g, (b0, b1) -> {
            float[] col = g.pointwise() ? null : Workspace.get(KEY_COL, g.patch() * g.outH() * g.outW());
            for (int b = b0; b < b1; b++) {
                forwardImage(g, b, x, weight, packed, bias, out, col);
            }
        });
    }

    /**
     * A convolution's weights prepared once for several calls with the same weights: packed as every image's GEMM
     * reads them, or, for a forward pass that takes the Winograd path, transformed and packed for its 16 products.
     * Obtain one from {@link #packWeight}; it refers to the weight array and the buffer it was given, neither of
     * which may change while it is in use.
     */
    public static final class PackedWeight {
        private final Geometry shape;
        private final boolean transposed;
        private final Gemm.PackedA gemm;
        private final Gemm.PackedA[] winograd;

        private PackedWeight(Geometry shape, boolean transposed, Gemm.PackedA gemm, Gemm.PackedA[] winograd) {
            this.shape = shape;
            this.transposed = transposed;
            this.gemm = gemm;
            this.winograd = winograd;
        }

        /** Whether these are the input gradient's weights ({@code packWeight(…, true, …)}). */
        public boolean transposed() {
            return transposed;
        }

        /** Whether the convolution runs by Winograd's algorithm with these weights. */
        public boolean winograd() {
            return winograd != null;
        }
    }

    /**
     * Floats of the buffer {@link #packWeight} needs: 0 for a grouped or depthwise convolution, which packs nothing.
     * A forward pass that takes the Winograd path (see {@link #winogradEnabled()}) needs its 16 transformed filter
     * matrices, packed: about 2.8 times the weights.
     */
    public static int packedWeightSize(Geometry g, boolean transposed) {
        if (g.groups() != 1) {
            return 0;
        }
        if (!transposed && useWinograd(g)) {
            return Winograd.preparedSize(g);
        }
        return transposed ? Gemm.packedSizeA(g.patch(), g.cout()) : Gemm.packedSizeA(g.cout(), g.patch());
    }

    /**
     * The weights prepared as every call with this geometry's channels and kernel reads them (any batch or image
     * size): W for the forward pass, Wᵀ ({@code transposed}) for the input gradient; null for a grouped or depthwise
     * convolution. The result refers to {@code weight} and {@code buffer}, which must not change while it is used.
     *
     * @param buffer at least {@link #packedWeightSize} floats, overwritten
     * @throws IllegalArgumentException naming conv2d if the weight array is shorter than its shape or the buffer
     *         too short
     */
    public static PackedWeight packWeight(Geometry g, boolean transposed, float[] weight, float[] buffer) {
        check(g, "weight", weight, g.weightSize());
        if (g.groups() != 1) {
            return null;
        }
        check(g, "packed weight buffer", buffer, packedWeightSize(g, transposed));
        if (!transposed && useWinograd(g)) {
            return new PackedWeight(g, false, null, Winograd.prepare(g, weight, buffer));
        }
        int rows = transposed ? g.patch() : g.cout();
        int depth = transposed ? g.cout() : g.patch();
        return new PackedWeight(g, transposed, Gemm.packA(transposed, rows, depth, weight, 0, g.patch(), buffer),
                null);
    }

    private static void checkPacked(Geometry g, boolean transposed, PackedWeight p) {
        if (p == null) {
            return;
        }
        Geometry s = p.shape;
        boolean same = s.c() == g.c() && s.cout() == g.cout() && s.kh() == g.kh() && s.kw() == g.kw()
                && s.sh() == g.sh() && s.sw() == g.sw() && s.ph() == g.ph() && s.pw() == g.pw() && s.dh() == g.dh()
                && s.dw() == g.dw() && s.groups() == g.groups();
        if (!same || p.transposed != transposed) {
            throw new IllegalArgumentException("conv2d: packed weights of " + s + (p.transposed ? " (transposed)" : "")
                    + " do not fit " + g + (transposed ? " (input gradient)" : ""));
        }
    }

    /**
     * The weights as every image's GEMM reads them, packed once per call for the whole batch (into the calling
     * thread's workspace): W for the forward pass, Wᵀ for the input gradient. Null for a grouped convolution, whose
     * groups pack their own.
     */
    private static Gemm.PackedA packWeight(Geometry g, boolean transposed, float[] weight) {
        if (g.groups() != 1) {
            return null;
        }
        int rows = transposed ? g.patch() : g.cout();
        int depth = transposed ? g.cout() : g.patch();
        return Gemm.packA(transposed, rows, depth, weight, 0, g.patch(),
                Workspace.get(KEY_PACKED_WEIGHT, Gemm.packedSizeA(rows, depth)));
    }

    private static void forwardImage(Geometry g, int b, float[] x, float[] weight, Gemm.PackedA packed, float[] bias,
                                     float[] out, float[] col) {
        int plane = g.outH() * g.outW();
        int cinG = g.cinPerGroup();
        int coutG = g.coutPerGroup();
        int k = g.patch();
        int inImage = g.c() * g.h() * g.w();
        for (int grp = 0; grp < g.groups(); grp++) {
            int xOff = b * inImage + grp * cinG * g.h() * g.w();
            int outOff = (b * g.cout() + grp * coutG) * plane;
            float[] src = x;
            int srcOff = xOff;
            if (col != null) {
                Im2Col.unfold(x, xOff, cinG, g, col);
                src = col;
                srcOff = 0;
            }
            if (packed != null) {
                Gemm.sgemm(packed, false, plane, 1f, src, srcOff, plane, 0f, out, outOff, plane);
            } else {
                Gemm.sgemm(false, false, coutG, plane, k, 1f, weight, grp * coutG * k, k, src, srcOff, plane,
                        0f, out, outOff, plane);
            }
        }
        if (bias != null) {
            for (int o = 0; o < g.cout(); o++) {
                float bv = bias[o];
                int off = (b * g.cout() + o) * plane;
                for (int i = 0; i < plane; i++) {
                    out[off + i] += bv;
                }
            }
        }
    }

    /**
     * Gradient of the input: {@code gradX = convᵀ(gradOut, weight)}, overwritten.
     *
     * @param gradOut {@code [n, cout, oh, ow]}
     * @param weight {@code [cout, c/groups, kh, kw]}
     * @param gradX {@code [n, c, h, w]}, overwritten
     * @throws IllegalArgumentException naming conv2d and the shapes if an array is shorter than its shape
     */
    public static void backwardInput(Geometry g, float[] gradOut, float[] weight, float[] gradX) {
        backwardInput(g, gradOut, weight, null, gradX);
    }

    /**
     * Gradient of the input with the weights already prepared by {@link #packWeight} ({@code transposed} true), for
     * several calls with the same weights.
     *
     * @param packedWeight {@code packWeight(g', true, weight, …)} for a geometry {@code g'} with this one's channels,
     *        kernel, strides, paddings and dilations (any batch and image size), or null to prepare here
     * @throws IllegalArgumentException naming conv2d and the shapes if an array is shorter than its shape or the
     *         packed weights do not have this convolution's shape
     */
    public static void backwardInput(Geometry g, float[] gradOut, float[] weight, PackedWeight packedWeight,
                                     float[] gradX) {
        check(g, "output gradient", gradOut, g.outputSize());
        check(g, "weight", weight, g.weightSize());
        check(g, "input gradient", gradX, g.inputSize());
        if (g.depthwise()) {
            Depthwise.backwardInput(g, gradOut, weight, gradX);
            return;
        }
        checkPacked(g, true, packedWeight);
        Gemm.PackedA packed = packedWeight != null ? packedWeight.gemm : packWeight(g, true, weight);
        batch(g, (b0, b1) -> {
            float[] col = g.pointwise() ? null : Workspace.get(KEY_COL, g.patch() * g.outH() * g.outW());
            for (int b = b0; b < b1; b++) {
                backwardInputImage(g, b, gradOut, weight, packed, gradX, col);
            }
        });
    }

    /** Same as {@link #backwardInput(Geometry, float[], float[], float[])} with the geometry spelled out. */
    public static void backwardInput(float[] gradOut, int n, int c, int h, int w, float[] weight, int cout, int kh,
                                     int kw, int sh, int sw, int ph, int pw, int dh, int dw, int groups,
                                     float[] gradX) {
        backwardInput(new Geometry(n, c, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups), gradOut, weight, gradX);
    }

    private static void backwardInputImage(Geometry g, int b, float[] gradOut, float[] weight, Gemm.PackedA packed,
                                           float[] gradX, float[] col) {
        int plane = g.outH() * g.outW();
        int cinG = g.cinPerGroup();
        int coutG = g.coutPerGroup();
        int k = g.patch();
        int inPlane = g.h() * g.w();
        int inImage = g.c() * inPlane;
        if (col != null) {
            Arrays.fill(gradX, b * inImage, (b + 1) * inImage, 0f);
        }
        for (int grp = 0; grp < g.groups(); grp++) {
            int xOff = b * inImage + grp * cinG * inPlane;
            int goOff = (b * g.cout() + grp * coutG) * plane;
            // d(cols) = W_gᵀ · dY_g: [k, coutG] x [coutG, plane]
            float[] dst = col == null ? gradX : col;
            int dstOff = col == null ? xOff : 0;
            if (packed != null) {
                Gemm.sgemm(packed, false, plane, 1f, gradOut, goOff, plane, 0f, dst, dstOff, plane);
            } else {
                Gemm.sgemm(true, false, k, plane, coutG, 1f, weight, grp * coutG * k, k, gradOut, goOff, plane,
                        0f, dst, dstOff, plane);
            }
            if (col != null) {
                Im2Col.fold(col, cinG, g, gradX, xOff);
            }
        }
    }

    /**
     * Gradients of the weight and the bias, both overwritten:
     * {@code gradW[o, c, p, q] = Σ_{b, i, j} gradOut[b, o, i, j] · x[b, ·, i·sh − ph + p·dh, j·sw − pw + q·dw]}
     * and {@code gradBias[o] = Σ_{b, i, j} gradOut[b, o, i, j]}.
     *
     * @param gradOut {@code [n, cout, oh, ow]}
     * @param x the forward input {@code [n, c, h, w]}; may be null when {@code gradW} is null
     * @param gradW {@code [cout, c/groups, kh, kw]}, overwritten, or null to skip
     * @param gradBias {@code [cout]}, overwritten, or null to skip
     * @throws IllegalArgumentException naming conv2d and the shapes if an array is shorter than its shape
     */
    public static void backwardWeight(Geometry g, float[] gradOut, float[] x, float[] gradW, float[] gradBias) {
        check(g, "output gradient", gradOut, g.outputSize());
        if (gradBias != null) {
            check(g, "bias gradient", gradBias, g.cout());
            biasGradient(g, gradOut, gradBias);
        }
        if (gradW == null) {
            return;
        }
        check(g, "input", x, g.inputSize());
        check(g, "weight gradient", gradW, g.weightSize());
        if (g.depthwise()) {
            Depthwise.backwardWeight(g, gradOut, x, gradW);
            return;
        }
        int wSize = (int) g.weightSize();
        if (g.n() == 0) {
            Arrays.fill(gradW, 0, wSize, 0f);
            return;
        }
        int chunks = batchChunks(g);
        // Each chunk of images accumulates the transposed gradient dWᵀ = Σ cols · dYᵀ: the column matrix is then GEMM's
        // A, packed row by row, where dW = Σ dY · colsᵀ gathered it as a transposed B, one float per row per K step
        // (a tenth of a CIFAR VGG training step). Chunk 0 accumulates into gradW itself, chunk i > 0 into slice i − 1
        // of the partial buffer; the slices are summed into slice 0 and transposed into gradW. One chunk uses one
        // slice as its accumulator.
        float[] partial = Workspace.get(KEY_PARTIAL, Math.max(1, chunks - 1) * wSize);
        Parallel.RangeBody body = (b0, b1) -> {
            int chunk = chunkIndex(g.n(), chunks, b0);
            float[] dst = chunk == 0 && chunks > 1 ? gradW : partial;
            int dstOff = chunk == 0 ? 0 : (chunk - 1) * wSize;
            float[] col = g.pointwise() ? null : Workspace.get(KEY_COL, g.patch() * g.outH() * g.outW());
            for (int b = b0; b < b1; b++) {
                weightGradientImage(g, b, gradOut, x, dst, dstOff, b == b0 ? 0f : 1f, col);
            }
        };
        if (chunks > 1) {
            Parallel.forChunks(g.n(), chunks, body);
            // The slices summed in a fixed order per element, split over threads.
            Parallel.forRange(wSize, REDUCE_GRAIN, (i0, i1) -> {
                for (int i = i0; i < i1; i++) {
                    float sum = partial[i];
                    for (int chunk = 2; chunk < chunks; chunk++) {
                        sum += partial[(chunk - 1) * wSize + i];
                    }
                    partial[i] = sum + gradW[i];
                }
            });
        } else {
            body.run(0, g.n());
        }
        transposeGroups(g, partial, gradW);
    }

    /** {@code dW[grp, o, j] = dWᵀ[grp, j, o]}: per group, {@code [k, coutG]} into {@code [coutG, k]}. */
    private static void transposeGroups(Geometry g, float[] transposed, float[] gradW) {
        int coutG = g.coutPerGroup();
        int k = g.patch();
        // rows r = grp·k + j of the transposed [k, coutG] blocks, split over threads
        Parallel.forRange(g.groups() * k, Math.max(1, REDUCE_GRAIN / Math.max(1, coutG)), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int grp = r / k;
                int j = r - grp * k;
                int base = grp * coutG * k;
                int src = base + j * coutG;
                for (int o = 0; o < coutG; o++) {
                    gradW[base + o * k + j] = transposed[src + o];
                }
            }
        });
    }

    /** Same as {@link #backwardWeight(Geometry, float[], float[], float[], float[])} with the geometry spelled out. */
    public static void backwardWeight(float[] gradOut, float[] x, int n, int c, int h, int w, int cout, int kh, int kw,
                                      int sh, int sw, int ph, int pw, int dh, int dw, int groups,
                                      float[] gradW, float[] gradBias) {
        backwardWeight(new Geometry(n, c, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups), gradOut, x, gradW,
                gradBias);
    }

    /** Adds image b's {@code dW_gᵀ = cols · dY_gᵀ} ({@code [k, coutG]} per group) to {@code beta · dst}. */
    private static void weightGradientImage(Geometry g, int b, float[] gradOut, float[] x, float[] dst, int dstOff,
                                            float beta, float[] col) {
        int plane = g.outH() * g.outW();
        int cinG = g.cinPerGroup();
        int coutG = g.coutPerGroup();
        int k = g.patch();
        int inPlane = g.h() * g.w();
        int inImage = g.c() * inPlane;
        for (int grp = 0; grp < g.groups(); grp++) {
            int xOff = b * inImage + grp * cinG * inPlane;
            int goOff = (b * g.cout() + grp * coutG) * plane;
            // dW_gᵀ += cols · dY_gᵀ: [k, plane] x [plane, coutG]
            float[] a = x;
            int aOff = xOff;
            if (col != null) {
                Im2Col.unfold(x, xOff, cinG, g, col);
                a = col;
                aOff = 0;
            }
            Gemm.sgemm(false, true, k, coutG, plane, 1f, a, aOff, plane, gradOut, goOff, plane,
                    beta, dst, dstOff + grp * k * coutG, coutG);
        }
    }

    /** Each channel's sum over batch and pixels, in a fixed order: channels are split, never a sum. */
    private static void biasGradient(Geometry g, float[] gradOut, float[] gradBias) {
        int plane = g.outH() * g.outW();
        Parallel.forRange(g.cout(), Math.max(1, (1 << 15) / Math.max(1, g.n() * plane)), (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                double s = 0;
                for (int b = 0; b < g.n(); b++) {
                    s += Elementwise.sum(gradOut, (b * g.cout() + o) * plane, plane);
                }
                gradBias[o] = (float) s;
            }
        });
    }

    /** Threads split the batch when every thread gets an image; otherwise the GEMMs split themselves. */
    private static int batchChunks(Geometry g) {
        int t = Parallel.threads();
        return t > 1 && g.n() >= t && !Parallel.onWorker() ? t : 1;
    }

    private static void batch(Geometry g, Parallel.RangeBody body) {
        int chunks = batchChunks(g);
        if (chunks > 1) {
            Parallel.forChunks(g.n(), chunks, body);
        } else {
            body.run(0, g.n());
        }
    }

    /** Index of the chunk starting at {@code from} in {@link Parallel#forChunks}'s fixed split. */
    private static int chunkIndex(int n, int chunks, int from) {
        for (int i = 0; i < chunks; i++) {
            if (Parallel.chunkStart(n, chunks, i) == from) {
                return i;
            }
        }
        throw new IllegalStateException("conv2d: no chunk of " + n + " images in " + chunks + " starts at " + from);
    }

    private static void check(Geometry g, String what, float[] a, long size) {
        if (a == null) {
            throw new IllegalArgumentException("conv2d: " + what + " array is null for " + g);
        }
        if (a.length < size) {
            throw new IllegalArgumentException("conv2d: " + what + " needs " + size + " floats, array has " + a.length
                    + ", for " + g);
        }
    }
}
