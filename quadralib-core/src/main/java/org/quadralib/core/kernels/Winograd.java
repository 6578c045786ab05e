package org.quadralib.core.kernels;

import org.quadralib.core.Parallel;
import org.quadralib.core.memory.Workspace;

/**
 * The forward pass of 3×3 convolutions with stride 1 by Winograd's minimal filtering algorithm F(2×2, 3×3) (Lavin
 * and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each 2×2 output tile is
 *
 * <pre>
 * Y = Aᵀ [ Σ_c (G g_c Gᵀ) ∘ (Bᵀ d_c B) ] A
 * </pre>
 *
 * with {@code d_c} the 4×4 input window of channel {@code c} (zero outside the image) and {@code g_c} the 3×3
 * filter. Per output channel and tile that is 16 multiplications per input channel instead of 36, so the 16
 * products over channels, {@code M_ξ = U_ξ · V_ξ} ({@code [cout × cin] · [cin × tiles]} for each of the 16
 * positions ξ of the 4×4 transformed tile), carry 2.25× fewer flops than im2col's GEMM. The transforms' entries
 * are 0, ±1 and ±½, so the results differ from a direct sum only by float rounding.
 *
 * <pre>
 * Bᵀ = | 1  0 −1  0 |    G = | 1    0    0  |    Aᵀ = | 1  1  1  0 |
 *      | 0  1  1  0 |        | ½    ½    ½  |         | 0  1 −1 −1 |
 *      | 0 −1  1  0 |        | ½   −½    ½  |
 *      | 0  1  0 −1 |        | 0    0    1  |
 * </pre>
 *
 * <p>Layout. Tiles are numbered over the whole batch on a padded grid, {@code t = (b·th + ty)·(tw + 1) + tx}: each
 * tile row ends with a dummy tile ({@code tx = tw}) whose values are computed and never used. With it, the window of
 * tile {@code t} in every input row is {@code even[t], odd[t], even[t+1], odd[t+1]} of that row split into even and
 * odd columns, so the input transform runs over a whole block of tiles a vector at a time, across tile rows and
 * images, and writes each {@code V_ξ} straight into the packed layout the GEMM reads ({@link Gemm#sgemmPackedB}).
 * The dummies cost {@code 1/(tw+1)} of the products (6% at 32 pixels, 20% at 8).
 *
 * <p>Tiles are processed in blocks sized so that a block's transformed input and products stay near L2; threads
 * take equal contiguous runs of blocks. Every output element is one GEMM element whose reduction order depends only
 * on the channel count, so the result is bit-identical for every thread count.
 */
final class Winograd {

    /**
     * Fewer channels than this on either side would leave the 16 products too shallow to pay for the transforms. Not
     * tuned: the VGG layers measured have 3 input channels (im2col) or at least 32.
     */
    static final int MIN_CHANNELS = 16;

    /** Filters ({@code cout · cin}) from which {@link #prepare} splits its work among threads; fewer run on one. */
    private static final int PARALLEL_FILTERS = 1 << 12;

    /** Floats a block's transformed input and products may take (about 512 KiB, one L2). */
    private static final int BLOCK_FLOATS = 1 << 17;
    private static final int MIN_BLOCK_TILES = 32;
    private static final int MAX_BLOCK_TILES = 256;


    private static final String KEY_U = "winograd.u";
    private static final String KEY_V = "winograd.v";
    private static final String KEY_M = "winograd.m";
    private static final String KEY_ROWS = "winograd.rows";

    private Winograd() {
    }

    /**
     * Whether {@code g} is a 3×3 convolution with stride 1, dilation 1, one group, padding at most 2 and at least
     * {@link #MIN_CHANNELS} channels on both sides.
     */
    static boolean applies(ConvKernels.Geometry g) {
        return g.kh() == 3 && g.kw() == 3 && g.sh() == 1 && g.sw() == 1 && g.dh() == 1 && g.dw() == 1
                && g.groups() == 1 && g.ph() <= 2 && g.pw() <= 2
                && g.c() >= MIN_CHANNELS && g.cout() >= MIN_CHANNELS && g.n() > 0;
    }

    /** Floats of the buffer {@link #prepare} needs: the 16 transformed filter matrices, each packed for the GEMM. */
    static int preparedSize(ConvKernels.Geometry g) {
        return 16 * Gemm.packedSizeA(g.cout(), g.c());
    }

    /**
     * The 16 matrices {@code U_ξ = (G g Gᵀ)_ξ} ({@code [cout × cin]} each) packed into {@code buffer} as the products
     * read them; the result refers to {@code buffer} only.
     */
    static Gemm.PackedA[] prepare(ConvKernels.Geometry g, float[] weight, float[] buffer) {
        int cin = g.c();
        int cout = g.cout();
        float[] u = Workspace.get(KEY_U, 16 * cout * cin);
        // Threads transform their own output channels, then pack their own planes (each packA then runs inline): a
        // training step prepares every layer's filters anew, and on one thread that left the other idle.
        Parallel.forRange(cout, Math.max(1, PARALLEL_FILTERS / cin), (o0, o1) -> transformWeights(weight, o0, o1, cin,
                cout, u));
        int size = Gemm.packedSizeA(cout, cin);
        Gemm.PackedA[] packed = new Gemm.PackedA[16];
        Parallel.forRange(16, (long) cout * cin >= PARALLEL_FILTERS ? 1 : 16, (x0, x1) -> {
            for (int xi = x0; xi < x1; xi++) {
                packed[xi] = Gemm.packA(false, cout, cin, u, xi * cout * cin, cin, buffer, xi * size);
            }
        });
        return packed;
    }

    /**
     * {@code out = conv(x, W) + bias} ({@code bias} may be null) for a geometry that {@link #applies}, with W
     * {@linkplain #prepare prepared}.
     */
    static void forward(ConvKernels.Geometry g, float[] x, Gemm.PackedA[] packed, float[] bias, float[] out) {
        int n = g.n();
        int cin = g.c();
        int cout = g.cout();
        int h = g.h();
        int w = g.w();
        int ph = g.ph();
        int pw = g.pw();
        int oh = g.outH();
        int ow = g.outW();
        int th = (oh + 1) / 2;
        int tw = (ow + 1) / 2;
        int tiles = n * th * (tw + 1);
        int block = blockTiles(cin, cout);
        int blocks = (tiles + block - 1) / block;
        Parallel.forChunks(blocks, Parallel.threads(), (k0, k1) -> {
            float[] v = Workspace.get(KEY_V, 16 * packedPlane(cin, block));
            float[] m = Workspace.get(KEY_M, 16 * planeStride(cout, block));
            for (int k = k0; k < k1; k++) {
                int t0 = k * block;
                int t1 = Math.min(tiles, t0 + block);
                int count = t1 - t0;
                transformInput(x, cin, h, w, ph, pw, th, tw, t0, t1, v);
                for (int xi = 0; xi < 16; xi++) {
                    Gemm.sgemmPackedB(packed[xi], count, v, xi * packedPlane(cin, count), m,
                            xi * planeStride(cout, count), count);
                }
                transformOutput(m, cout, oh, ow, th, tw, t0, t1, bias, out);
            }
        });
    }

    /**
     * {@code u[ξ, o, c] = (G g Gᵀ)_ξ} for every filter {@code g = weight[o, c]} ({@code [cout, cin, 3, 3]}) of the
     * output channels {@code o ∈ [o0, o1)}.
     */
    static void transformWeights(float[] weight, int o0, int o1, int cin, int cout, float[] u) {
        int plane = cout * cin;
        for (int o = o0; o < o1; o++) {
            for (int c = 0; c < cin; c++) {
                int src = (o * cin + c) * 9;
                int dst = o * cin + c;
                float g00 = weight[src], g01 = weight[src + 1], g02 = weight[src + 2];
                float g10 = weight[src + 3], g11 = weight[src + 4], g12 = weight[src + 5];
                float g20 = weight[src + 6], g21 = weight[src + 7], g22 = weight[src + 8];
                // rows of G g (4 × 3), each times Gᵀ into four planes
                filterRow(g00, g01, g02, u, dst, plane, 0);
                filterRow(0.5f * (g00 + g10 + g20), 0.5f * (g01 + g11 + g21), 0.5f * (g02 + g12 + g22), u, dst,
                        plane, 4);
                filterRow(0.5f * (g00 - g10 + g20), 0.5f * (g01 - g11 + g21), 0.5f * (g02 - g12 + g22), u, dst,
                        plane, 8);
                filterRow(g20, g21, g22, u, dst, plane, 12);
            }
        }
    }

    /** Row {@code (a, b, d)} of {@code G·g} times {@code Gᵀ}: planes {@code first … first + 3} at {@code dst}. */
    private static void filterRow(float a, float b, float d, float[] u, int dst, int plane, int first) {
        int at = first * plane + dst;
        u[at] = a;
        u[at + plane] = 0.5f * (a + b + d);
        u[at + 2 * plane] = 0.5f * (a - b + d);
        u[at + 3 * plane] = d;
    }

    /**
     * Distance between the 16 planes of a block's transformed values, {@code rows × count} each: one cache line more
     * than a plane, so that the 16 streams a transform reads or writes do not fall into the same L1 sets. With planes
     * a multiple of 4 KiB apart (32 channels × 128 tiles) they did: 50 ns per tile and channel instead of 33.
     */
    static int planeStride(int rows, int count) {
        return rows * count + 16;
    }

    /**
     * Distance between the 16 packed {@code V_ξ} ({@code rows × count}) of a block: the packed size plus a cache line,
     * for the reason {@link #planeStride} gives.
     */
    static int packedPlane(int rows, int count) {
        return Gemm.packedSizeB(rows, count) + 16;
    }

    /** Tiles per block: the block's V and M within {@link #BLOCK_FLOATS}, a multiple of 16 columns. */
    private static int blockTiles(int cin, int cout) {
        int t = BLOCK_FLOATS / (16 * (cin + cout));
        t = Math.max(MIN_BLOCK_TILES, Math.min(MAX_BLOCK_TILES, t));
        return t / 16 * 16;
    }

    /**
     * {@code V_ξ[c, t − t0] = (Bᵀ d B)_ξ} for tiles {@code [t0, t1)} of the padded tile grid (see the class
     * comment), {@code d} the 4×4 window of channel {@code c} at rows {@code 2ty − ph …} and columns
     * {@code 2tx − pw …}, zero outside the image. Each {@code V_ξ} is written as {@link Gemm#sgemmPackedB} reads a
     * {@code cin × count} B, {@link #packedPlane} floats apart; the columns of a last, partial sliver are zeroed.
     *
     * <p>For each channel the block's four input rows per tile row are first split into even and odd columns
     * ({@code even[t] = x[2tx − pw]}, {@code odd[t] = x[2tx + 1 − pw]}), one value per tile including the dummy
     * tile that ends each tile row, so that the window of tile {@code t} is {@code even[t], odd[t], even[t+1],
     * odd[t+1]} of each row and the transform is one branch-free loop over the whole block, a vector of tiles at a
     * time.
     */
    static void transformInput(float[] x, int cin, int h, int w, int ph, int pw, int th, int tw, int t0, int t1,
                               float[] v) {
        int count = t1 - t0;
        int plane = packedPlane(cin, count);
        int nr = Gemm.sliverWidthB();
        int span = count + 1;
        float[] rows = Workspace.get(KEY_ROWS, 8 * span);
        int cols = tw + 1;
        int perImage = th * cols;
        int images = imagesUpTo(perImage, t1);
        int b0 = t0 / perImage;
        int ty0 = (t0 - b0 * perImage) / cols;
        int kk0 = t0 - b0 * perImage - ty0 * cols;
        for (int c = 0; c < cin; c++) {
            // even and odd columns of the four input rows for tiles [t0, t1]: t1's are the last tile's right half
            int b = b0;
            int ty = ty0;
            int k0 = kk0;
            for (int t = t0; t <= t1; ) {
                int k1 = Math.min(cols, k0 + t1 + 1 - t);
                int at = t - t0 - k0;
                if (b >= images) {
                    for (int i = 0; i < 8; i++) {
                        rows[i * span + t - t0] = 0f;
                    }
                } else {
                    int base = (b * cin + c) * h * w;
                    for (int i = 0; i < 4; i++) {
                        int y = 2 * ty - ph + i;
                        int even = 2 * i * span + at;
                        int odd = even + span;
                        if (y < 0 || y >= h) {
                            for (int k = k0; k < k1; k++) {
                                rows[even + k] = 0f;
                                rows[odd + k] = 0f;
                            }
                            continue;
                        }
                        splitRow(x, base + y * w, w, -pw, k0, k1, rows, even, odd);
                    }
                }
                t += k1 - k0;
                k0 = 0;
                if (++ty == th) {
                    ty = 0;
                    b++;
                }
            }
            for (int sliver = 0, j = 0; j < count; sliver++, j += nr) {
                int to = Math.min(count, j + nr);
                int o = Gemm.packedIndexB(count, cin, c, sliver) - j;
                inputRun(rows, span, j, to, v, o, plane);
                for (int xi = 0; xi < 16; xi++) {
                    for (int tx = to; tx < j + nr; tx++) {
                        v[xi * plane + o + tx] = 0f;
                    }
                }
            }
        }
    }

    /**
     * Images with a tile before {@code t1}. Tile {@code t1} itself, read as the right half of tile {@code t1 − 1},
     * is zero when it starts the next image: tile {@code t1 − 1} is then a dummy, whose values are never used.
     */
    private static int imagesUpTo(int perImage, int t1) {
        return (t1 + perImage - 1) / perImage;
    }

    /**
     * {@code even[k] = x[p + 2k + shift]} and {@code odd[k] = x[p + 2k + 1 + shift]} for {@code k ∈ [k0, k1)}, zero
     * where the column is outside the row of {@code w} floats at {@code p}; {@code even[k]} and {@code odd[k]} are
     * {@code rows[evenOff + k]} and {@code rows[oddOff + k]}. {@code shift ≤ 0}.
     */
    private static void splitRow(float[] x, int p, int w, int shift, int k0, int k1, float[] rows, int evenOff,
                                 int oddOff) {
        // both columns inside the row for k in [lo, hi)
        int lo = Math.max(k0, Math.min(k1, (1 - shift) / 2));
        int hi = Math.max(lo, Math.min(k1, (w - shift) / 2));
        splitEdge(x, p, w, shift, k0, lo, rows, evenOff, oddOff);
        int q = p + shift;
        for (int k = lo; k < hi; k++) {
            rows[evenOff + k] = x[q + 2 * k];
            rows[oddOff + k] = x[q + 2 * k + 1];
        }
        splitEdge(x, p, w, shift, hi, k1, rows, evenOff, oddOff);
    }

    /** {@link #splitRow} for {@code k ∈ [from, to)} where a column may be outside the row: those read as 0. */
    private static void splitEdge(float[] x, int p, int w, int shift, int from, int to, float[] rows, int evenOff,
                                  int oddOff) {
        for (int k = from; k < to; k++) {
            int col = 2 * k + shift;
            rows[evenOff + k] = col >= 0 && col < w ? x[p + col] : 0f;
            rows[oddOff + k] = col + 1 >= 0 && col + 1 < w ? x[p + col + 1] : 0f;
        }
    }

    /** {@link #inputRunScalar}, on the Vector API when it is present. */
    private static void inputRun(float[] rows, int span, int from, int to, float[] v, int o, int plane) {
        if (Simd.VECTOR) {
            VectorWinograd.inputRun(rows, span, from, to, v, o, plane);
        } else {
            inputRunScalar(rows, span, from, to, v, o, plane);
        }
    }

    /**
     * The input transform of tiles {@code tx ∈ [from, to)} of a block: {@code rows} holds the block's four input rows
     * split into even and odd columns ({@code span} floats each, in the order even 0, odd 0, …, odd 3); the 16
     * transformed values of tile {@code tx} go to {@code v[ξ·plane + o + tx]}.
     */
    static void inputRunScalar(float[] rows, int span, int from, int to, float[] v, int o, int plane) {
        for (int tx = from; tx < to; tx++) {
            tile(rows[tx], rows[span + tx], rows[tx + 1], rows[span + tx + 1],
                    rows[2 * span + tx], rows[3 * span + tx], rows[2 * span + tx + 1], rows[3 * span + tx + 1],
                    rows[4 * span + tx], rows[5 * span + tx], rows[4 * span + tx + 1], rows[5 * span + tx + 1],
                    rows[6 * span + tx], rows[7 * span + tx], rows[6 * span + tx + 1], rows[7 * span + tx + 1],
                    v, o + tx, plane);
        }
    }

    /** {@code v[ξ·plane + at] = (Bᵀ d B)_ξ} for the 4×4 window {@code d} given row by row. */
    private static void tile(float d00, float d01, float d02, float d03, float d10, float d11, float d12, float d13,
                             float d20, float d21, float d22, float d23, float d30, float d31, float d32, float d33,
                             float[] v, int at, int plane) {
        // rows: Bᵀ d
        float r00 = d00 - d20, r01 = d01 - d21, r02 = d02 - d22, r03 = d03 - d23;
        float r10 = d10 + d20, r11 = d11 + d21, r12 = d12 + d22, r13 = d13 + d23;
        float r20 = d20 - d10, r21 = d21 - d11, r22 = d22 - d12, r23 = d23 - d13;
        float r30 = d10 - d30, r31 = d11 - d31, r32 = d12 - d32, r33 = d13 - d33;
        // columns: (Bᵀ d) B
        v[at] = r00 - r02;
        v[plane + at] = r01 + r02;
        v[2 * plane + at] = r02 - r01;
        v[3 * plane + at] = r01 - r03;
        v[4 * plane + at] = r10 - r12;
        v[5 * plane + at] = r11 + r12;
        v[6 * plane + at] = r12 - r11;
        v[7 * plane + at] = r11 - r13;
        v[8 * plane + at] = r20 - r22;
        v[9 * plane + at] = r21 + r22;
        v[10 * plane + at] = r22 - r21;
        v[11 * plane + at] = r21 - r23;
        v[12 * plane + at] = r30 - r32;
        v[13 * plane + at] = r31 + r32;
        v[14 * plane + at] = r32 - r31;
        v[15 * plane + at] = r31 - r33;
    }

    /**
     * {@code out[b, o, 2ty + i, 2tx + j] = (Aᵀ M A)_{ij} + bias[o]} for the real tiles among {@code [t0, t1)} from
     * {@code m[ξ, o, t − t0]} (planes {@link #planeStride} apart), skipping outputs past the last row or column. The
     * block is transformed into even and odd output columns first, then each tile row's outputs are interleaved into
     * place.
     */
    static void transformOutput(float[] m, int cout, int oh, int ow, int th, int tw, int t0, int t1, float[] bias,
                                float[] out) {
        int count = t1 - t0;
        int plane = planeStride(cout, count);
        float[] rows = Workspace.get(KEY_ROWS, 4 * count);
        int cols = tw + 1;
        int perImage = th * cols;
        int b0 = t0 / perImage;
        int ty0 = (t0 - b0 * perImage) / cols;
        int kk0 = t0 - b0 * perImage - ty0 * cols;
        for (int o = 0; o < cout; o++) {
            float bv = bias == null ? 0f : bias[o];
            outputRun(m, o * count, plane, 0, count, bv, rows, count);
            int b = b0;
            int ty = ty0;
            int k0 = kk0;
            for (int t = t0; t < t1; ) {
                int k1 = Math.min(cols, k0 + t1 - t);
                int len = Math.min(k1, tw) - k0;
                if (len > 0) {
                    int j = t - t0;
                    int p = ((b * cout + o) * oh + 2 * ty) * ow + 2 * k0;
                    int pairs = Math.min(len, (ow - 2 * k0) / 2);
                    mergeRow(rows, j, count + j, pairs, len, out, p);
                    if (2 * ty + 1 < oh) {
                        mergeRow(rows, 2 * count + j, 3 * count + j, pairs, len, out, p + ow);
                    }
                }
                t += k1 - k0;
                k0 = 0;
                if (++ty == th) {
                    ty = 0;
                    b++;
                }
            }
        }
    }

    /**
     * {@code out[p + 2j] = even[j]}, {@code out[p + 2j + 1] = odd[j]} for {@code j < pairs}, then the even column of
     * a last, cut tile when {@code pairs < len}.
     */
    private static void mergeRow(float[] rows, int evenOff, int oddOff, int pairs, int len, float[] out, int p) {
        for (int j = 0; j < pairs; j++) {
            out[p + 2 * j] = rows[evenOff + j];
            out[p + 2 * j + 1] = rows[oddOff + j];
        }
        if (pairs < len) {
            out[p + 2 * pairs] = rows[evenOff + pairs];
        }
    }

    /** {@link #outputRunScalar}, on the Vector API when it is present. */
    private static void outputRun(float[] m, int i0, int plane, int from, int to, float bias, float[] rows, int stride) {
        if (Simd.VECTOR) {
            VectorWinograd.outputRun(m, i0, plane, from, to, bias, rows, stride);
        } else {
            outputRunScalar(m, i0, plane, from, to, bias, rows, stride);
        }
    }

    /**
     * The output transform of tiles {@code j ∈ [from, to)} of a block in plain Java (also the vector path's tail),
     * reading {@code m[ξ·plane + i0 + j]}: the tile's four outputs plus {@code bias} go to {@code rows[j]},
     * {@code rows[stride + j]} (top row, even and odd column), {@code rows[2·stride + j]} and
     * {@code rows[3·stride + j]} (bottom row).
     */
    static void outputRunScalar(float[] m, int i0, int plane, int from, int to, float bias, float[] rows, int stride) {
        for (int j = from; j < to; j++) {
            int i = i0 + j;
            float m00 = m[i], m01 = m[plane + i], m02 = m[2 * plane + i], m03 = m[3 * plane + i];
            float m10 = m[4 * plane + i], m11 = m[5 * plane + i];
            float m12 = m[6 * plane + i], m13 = m[7 * plane + i];
            float m20 = m[8 * plane + i], m21 = m[9 * plane + i];
            float m22 = m[10 * plane + i], m23 = m[11 * plane + i];
            float m30 = m[12 * plane + i], m31 = m[13 * plane + i];
            float m32 = m[14 * plane + i], m33 = m[15 * plane + i];
            // rows: Aᵀ M (2 × 4)
            float s00 = m00 + m10 + m20, s01 = m01 + m11 + m21;
            float s02 = m02 + m12 + m22, s03 = m03 + m13 + m23;
            float s10 = m10 - m20 - m30, s11 = m11 - m21 - m31;
            float s12 = m12 - m22 - m32, s13 = m13 - m23 - m33;
            rows[j] = s00 + s01 + s02 + bias;
            rows[stride + j] = s01 - s02 - s03 + bias;
            rows[2 * stride + j] = s10 + s11 + s12 + bias;
            rows[3 * stride + j] = s11 - s12 - s13 + bias;
        }
    }
}
