package org.quadralib.layers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import org.quadralib.core.Parallel;
import org.quadralib.core.Tensor;
import org.quadralib.core.kernels.Elementwise;
import org.quadralib.core.kernels.QuadraticKernels;
import org.quadralib.core.memory.Buffers;
import org.quadralib.core.memory.MemoryCategory;

/**
 * The hand-written computation behind hybrid back-propagation, on raw arrays, for every neuron type and both
 * geometries ({@link QuadraticProjection} supplies the GEMMs or convolutions).
 *
 * <p>Layouts ({@code P = items·groups} blocks of {@code L} positions, {@code outG = out/groups}):
 * <ul>
 * <li>branch values {@code S [P, K, outG, L]}: the outputs of the stacked projection of x, one slot per branch,
 * so one GEMM (or one convolution, one im2col) computes all of them; for T1 and T1_2 slot 0 holds the quadratic
 * form {@code xᵀW_a x}, computed from a transient projection {@code Z = W_a x} of {@code n} rows per output;</li>
 * <li>the square branch {@code D = W (x∘x)} {@code [P, outG, L]}, a second GEMM on the squared input;</li>
 * <li>the output {@code y [P, outG, L]}: a linear layer's {@code [rows, out]}, a convolution's NCHW output.</li>
 * </ul>
 * S and D hold either the whole batch or, without batch statistics, one chunk of items at a time
 * ({@link #BRANCH_CHUNK_FLOATS}). Channel of block p, row j: {@code (p mod groups)·outG + j}. Product branches enter
 * the formula as {@code v = s·scale_c + shift_c}: their branch bias, or their batch norm in training (batch
 * statistics) or evaluation (running statistics).
 */
final class QuadraticEngine {

    /** Floats of the transient quadratic-form projection computed at once (16 MiB); larger batches go in chunks. */
    static final int FORM_CHUNK_FLOATS = 1 << 22;
    /**
     * Floats of the branch values S (and, in backward, of their gradient) computed at once (1 MiB): a larger batch
     * is projected, combined and back-propagated in chunks of items, so a layer's transient memory stays near its
     * output's instead of three times it. A branch norm in training mode needs the whole batch at once.
     */
    static final int BRANCH_CHUNK_FLOATS = 1 << 18;
    /**
     * How much larger the chunks of a forward are when no backward will follow (no-grad, inference): its branch
     * values are freed as soon as they are combined, and fewer, wider convolutions took the quadratic VGG's inference to
     * 0.78–0.85 of its time. In training the budget stays as it is: at four times it the hybrid VGG step's peak memory went from
     * 1.27 to 1.34 times the first-order step's.
     */
    static final int INFERENCE_CHUNK_FACTOR = 4;
    private static final int GRAIN = 1 << 14;

    /** Per-channel affine of each product branch, from forward to backward (small: a few floats per channel). */
    static final class BranchState {
        /** Per branch: normalised with batch statistics (its norm in training mode). */
        final boolean[] training;
        final float[][] mean;
        final float[][] invStd;
        final float[][] scale;
        final float[][] shift;

        BranchState(int branches, int channels) {
            this.training = new boolean[branches];
            this.mean = new float[branches][channels];
            this.invStd = new float[branches][channels];
            this.scale = new float[branches][channels];
            this.shift = new float[branches][channels];
        }
    }

    /** The input gradient (null when not asked for) and each parameter's gradient by identity. */
    record Gradients(Tensor input, Map<Tensor, Tensor> params) {
    }

    private final QuadraticLayer layer;
    private final NeuronType type;
    private final QuadraticProjection proj;
    private final boolean masked;
    private final int items;
    private final int groups;
    private final int out;
    private final int outG;
    private final int n;
    private final int len;
    private final int blocks;
    private final int kx;
    private final int productBranches;
    private final boolean formLinear;
    /** Scratch tensors: referenced so that memory accounting sees their arrays until the call ends. */
    private final List<Tensor> scratch = new ArrayList<>();

    QuadraticEngine(QuadraticLayer layer, QuadraticProjection proj, boolean masked) {
        this.layer = layer;
        this.type = layer.neuronType();
        this.proj = proj;
        this.masked = masked;
        this.items = proj.items;
        this.groups = proj.groups;
        this.out = layer.outputs();
        this.outG = out / groups;
        this.n = proj.patch;
        this.len = proj.positions;
        this.blocks = items * groups;
        this.formLinear = type == NeuronType.T1 && layer.options().linearTerm();
        this.kx = type.hasQuadraticForm() ? (formLinear ? 2 : 1) : layer.stackedWeights().size();
        this.productBranches = type.productBranches();
    }

    /** Floats of the output {@code [P, outG, L]}. */
    int outputSize() {
        return blocks * outG * len;
    }

    // ------------------------------------------------------------------ forward

    /**
     * Computes the layer output from the input {@code x} into {@code y} ({@link #outputSize()} floats); updates
     * the running statistics of branch norms in training mode.
     *
     * @param forBackward whether backward will follow (a graph is recorded); without it the chunks of items may be
     *     {@link #INFERENCE_CHUNK_FACTOR} times larger
     * @return what backward needs besides the input (null when the quadratic term is masked)
     */
    BranchState forward(float[] x, float[] y, boolean forBackward) {
        float[] x2 = type.hasSquareBranch() ? square(x) : null;
        if (type.hasQuadraticForm() || normalisesWithBatchStatistics()) {
            float[] s = branches(x);
            float[] d = x2 == null ? null : alloc(outputSize());
            if (d != null) {
                proj.forward(x2, 0, items, squareWeights(), outG, d);
            }
            BranchState st = masked ? null : branchState(s);
            combine(s, d, st, y, 0, items);
            return st;
        }
        // No batch statistics: the branch affine is known before any branch value, so S goes in chunks.
        BranchState st = masked ? null : branchState(null);
        int chunk = chunkItems(forBackward ? 1 : INFERENCE_CHUNK_FACTOR);
        // Inside an InferenceMode scope the projection reads its cached layout of the weights (w == null).
        boolean scoped = kx > 0 && proj.prepareFromScope(layer.stackedWeights(), kx * outG);
        float[] w = kx == 0 || scoped ? null : stack(false, layer.stackedWeights(), kx * outG);
        float[] s = kx == 0 ? null : alloc(chunk * groups * kx * outG * len);
        float[] wd = x2 == null ? null : squareWeights();
        float[] d = x2 == null ? null : alloc(chunk * groups * outG * len);
        if (chunk < items) {
            if (w != null) {
                proj.prepare(w, kx * outG, true, false, this::alloc);
            }
            if (wd != null) {
                proj.prepare(wd, outG, true, false, this::alloc);
            }
        }
        try {
            for (int first = 0; first < items; first += chunk) {
                int count = Math.min(chunk, items - first);
                if (s != null) {
                    proj.forward(x, first, count, w, kx * outG, s);
                }
                if (d != null) {
                    proj.forward(x2, first, count, wd, outG, d);
                }
                combine(s, d, st, y, first, count);
            }
        } finally {
            proj.release();
        }
        return st;
    }

    /** True if a product branch has a norm in training mode, whose statistics need every item's branch values. */
    private boolean normalisesWithBatchStatistics() {
        if (masked) {
            return false;
        }
        for (int k = 0; k < productBranches; k++) {
            BatchNorm norm = layer.branchNorm(k);
            if (norm != null && norm.isTraining()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Items per chunk of S: within {@code factor} times {@link QuadraticLayer#branchChunkFloats} (but at least one item
     * per thread), the batch cut into chunks of equal size, and that size rounded down to a multiple of the thread
     * count. A convolution splits each chunk's images among the threads, so an odd chunk left one thread idle for a
     * third of every call: the 16-pixel layers of the CIFAR VGG ran 32 images as 5+5+5+5+5+5+2 and their convolutions
     * scaled 1.37–1.48× from one thread to two, where a 4-image convolution alone scales as a 32-image one (1.74× and
     * 1.71× at 32 channels and 32 pixels).
     */
    private int chunkItems(int factor) {
        int perItem = Math.max(1, groups * Math.max(1, kx) * outG * len);
        int threads = Parallel.threads();
        return evenChunk(items, Math.max(threads, (int) Math.min(Integer.MAX_VALUE,
                (long) factor * layer.branchChunkFloats / perItem)), threads);
    }

    /**
     * The chunk size for {@code items} items at most {@code max} at a time: the fewest chunks of at most {@code max},
     * made equal, then rounded down to a multiple of {@code threads} when larger than it (so never above {@code max}).
     */
    static int evenChunk(int items, int max, int threads) {
        if (max >= items) {
            return items;
        }
        int chunks = (items + max - 1) / max;
        int even = (items + chunks - 1) / chunks;
        if (even > threads) {
            even -= even % threads;
        }
        return Math.max(1, even);
    }

    /** S: one stacked projection, or the chunked quadratic form for T1 and T1_2. */
    private float[] branches(float[] x) {
        if (kx == 0) {
            return null;
        }
        float[] s = alloc(blocks * kx * outG * len);
        if (type.hasQuadraticForm()) {
            form(x, s, null, null, null);
        } else {
            proj.forward(x, 0, items, stack(false, layer.stackedWeights(), kx * outG), kx * outG, s);
        }
        return s;
    }

    /** The square weight stacked as {@code [groups, outG, n]}. */
    private float[] squareWeights() {
        return stack(false, List.of(layer.squareWeight()), outG);
    }

    private float[] square(float[] x) {
        float[] x2 = alloc(x.length);
        for (int i = 0; i < x.length; i++) {
            x2[i] = x[i] * x[i];
        }
        return x2;
    }

    /**
     * The scale and shift of every product branch. A branch norm in training mode: batch statistics of the branch
     * (biased variance for normalising, unbiased for the running variance, as PyTorch), running statistics
     * updated in place; in evaluation mode: the running statistics.
     */
    private BranchState branchState(float[] s) {
        BranchState st = new BranchState(productBranches, out);
        for (int k = 0; k < productBranches; k++) {
            BatchNorm norm = layer.branchNorm(k);
            float[] bias = raw(layer.branchBias(k));
            int kk = k;
            if (norm == null) {
                for (int c = 0; c < out; c++) {
                    st.scale[k][c] = 1f;
                    st.shift[k][c] = bias == null ? 0f : bias[c];
                }
                continue;
            }
            float[] gamma = raw(norm.weight());
            float[] beta = raw(norm.bias());
            Tensor rmT = norm.runningMean();
            Tensor rvT = norm.runningVar();
            float momentum = norm.momentum();
            float eps = norm.eps();
            boolean training = norm.isTraining();
            st.training[k] = training;
            int m = items * len;
            if (training && m <= 1) {
                throw new ShapeMismatchException(layer.describe() + ": branch norm needs more than 1 value per channel when training, got "
                        + items + " item(s) of " + len + " position(s)");
            }
            Parallel.forRange(out, 1, (from, to) -> {
                for (int c = from; c < to; c++) {
                    float mean;
                    float invStd;
                    if (training) {
                        double sum = 0;
                        for (int b = 0; b < items; b++) {
                            int o = branchRow(b, c, kk, kx);
                            for (int l = 0; l < len; l++) {
                                sum += s[o + l];
                            }
                        }
                        double mu = sum / m;
                        double sq = 0;
                        for (int b = 0; b < items; b++) {
                            int o = branchRow(b, c, kk, kx);
                            for (int l = 0; l < len; l++) {
                                double dv = s[o + l] - mu;
                                sq += dv * dv;
                            }
                        }
                        mean = (float) mu;
                        invStd = (float) (1 / Math.sqrt(sq / m + eps));
                        // The norm sees s + branch bias; the bias cancels in the output but not in the running mean.
                        float[] rm = rmT.data();
                        int ro = rmT.offset() + c;
                        rm[ro] = (1 - momentum) * rm[ro] + momentum * (float) (mu + (bias == null ? 0 : bias[c]));
                        float[] rv = rvT.data();
                        int vo = rvT.offset() + c;
                        rv[vo] = (1 - momentum) * rv[vo] + momentum * (float) (sq / (m - 1));
                    } else {
                        mean = rmT.get(c) - (bias == null ? 0f : bias[c]);
                        invStd = (float) (1 / Math.sqrt(rvT.get(c) + eps));
                    }
                    st.mean[kk][c] = mean;
                    st.invStd[kk][c] = invStd;
                    st.scale[kk][c] = gamma[c] * invStd;
                    st.shift[kk][c] = beta[c] - mean * gamma[c] * invStd;
                }
            });
            if (training) {
                Tensor tracked = norm.localBuffers().get("num_batches_tracked");
                tracked.data()[tracked.offset()] += 1;
            }
        }
        return st;
    }

    /**
     * y of items {@code first .. first+count)} from their branches ({@code s}, {@code d} hold those items only): the
     * neuron's formula, or only its linear term when the quadratic term is masked.
     */
    private void combine(float[] s, float[] d, BranchState st, float[] y, int first, int count) {
        float[] ob = raw(layer.outputBias());
        if (denseProducts()) {
            combineDense(s, d, st, y, first, count, ob);
            return;
        }
        float[] br = raw(layer.branchBias(0));
        int bs = outG * len;
        int y0 = first * groups * outG * len;
        Parallel.forRange(count * groups * outG, Math.max(1, GRAIN / len), (from, to) -> {
            for (int t = from; t < to; t++) {
                int p = t / outG;
                int j = t % outG;
                int c = (p % groups) * outG + j;
                int yo = y0 + t * len;
                int dOff = t * len;
                int so = (p * kx * outG + j) * len;
                float b = ob == null ? 0f : ob[c];
                if (masked) {
                    switch (type) {
                        case T1 -> {
                            for (int l = 0; l < len; l++) {
                                y[yo + l] = (formLinear ? s[so + bs + l] : 0f) + b;
                            }
                        }
                        case T2, T3, T4, T1_2 -> Arrays.fill(y, yo, yo + len, b);
                        case T2_4 -> {
                            // c is part of T2_4's quadratic term (zero at a linear start): only W_r x + b_r remains.
                            float r = br == null ? 0f : br[c];
                            for (int l = 0; l < len; l++) {
                                y[yo + l] = s[so + l] + r;
                            }
                        }
                        case QRES -> {
                            for (int l = 0; l < len; l++) {
                                y[yo + l] = s[so + l] + b;
                            }
                        }
                        case PROPOSED -> {
                            for (int l = 0; l < len; l++) {
                                y[yo + l] = s[so + 2 * bs + l] + b;
                            }
                        }
                    }
                    continue;
                }
                float sc0 = productBranches > 0 ? st.scale[0][c] : 1f;
                float sh0 = productBranches > 0 ? st.shift[0][c] : 0f;
                float sc1 = productBranches > 1 ? st.scale[1][c] : 1f;
                float sh1 = productBranches > 1 ? st.shift[1][c] : 0f;
                switch (type) {
                    case T1 -> {
                        for (int l = 0; l < len; l++) {
                            y[yo + l] = s[so + l] + (formLinear ? s[so + bs + l] : 0f) + b;
                        }
                    }
                    case T2 -> {
                        for (int l = 0; l < len; l++) {
                            y[yo + l] = d[dOff + l] + b;
                        }
                    }
                    case T3 -> {
                        for (int l = 0; l < len; l++) {
                            float v = s[so + l] * sc0 + sh0;
                            y[yo + l] = v * v + b;
                        }
                    }
                    case T4 -> {
                        for (int l = 0; l < len; l++) {
                            y[yo + l] = (s[so + l] * sc0 + sh0) * (s[so + bs + l] * sc1 + sh1) + b;
                        }
                    }
                    case T1_2 -> {
                        for (int l = 0; l < len; l++) {
                            y[yo + l] = s[so + l] + d[dOff + l] + b;
                        }
                    }
                    case T2_4 -> {
                        for (int l = 0; l < len; l++) {
                            y[yo + l] = (s[so + l] * sc0 + sh0) * (s[so + bs + l] * sc1 + sh1) + d[dOff + l] + b;
                        }
                    }
                    case QRES -> {
                        for (int l = 0; l < len; l++) {
                            y[yo + l] = (s[so + l] * sc0 + sh0) * (s[so + bs + l] * sc1 + sh1) + s[so + l] + b;
                        }
                    }
                    case PROPOSED -> {
                        for (int l = 0; l < len; l++) {
                            y[yo + l] = (s[so + l] * sc0 + sh0) * (s[so + bs + l] * sc1 + sh1) + s[so + 2 * bs + l] + b;
                        }
                    }
                }
            }
        });
    }

    /**
     * Whether the layer is dense (one position per channel) with two product branches (T4, T2_4, QRES, PROPOSED) and
     * unmasked: {@link #combine} and {@link #elementGradients} then loop over an item's channels, where the general
     * loop, one channel of one position at a time, spent a tenth of a quadratic MLP's step on its index arithmetic.
     */
    private boolean denseProducts() {
        return len == 1 && !masked && productBranches == 2;
    }

    /** {@link #combine} for {@link #denseProducts}: the same formula, operation for operation. */
    private void combineDense(float[] s, float[] d, BranchState st, float[] y, int first, int count, float[] ob) {
        float[] sc0 = st.scale[0];
        float[] sh0 = st.shift[0];
        float[] sc1 = st.scale[1];
        float[] sh1 = st.shift[1];
        float[] bias = ob != null ? ob : new float[out];
        int y0 = first * groups * outG;
        Parallel.forRange(count * groups, Math.max(1, GRAIN / outG), (from, to) -> {
            for (int p = from; p < to; p++) {
                int c0 = (p % groups) * outG;
                int yo = y0 + p * outG;
                int so = p * kx * outG;
                int s1 = so + outG;
                int dOff = p * outG;
                // The added term: none (T4), the square branch (T2_4), branch 0 (QRES) or the linear branch.
                switch (type) {
                    case T4 -> QuadraticKernels.combineRow(s, so, s1, sc0, sh0, sc1, sh1, null, 0, bias, c0, y, yo, outG);
                    case T2_4 -> QuadraticKernels.combineRow(s, so, s1, sc0, sh0, sc1, sh1, d, dOff, bias, c0, y, yo, outG);
                    case QRES -> QuadraticKernels.combineRow(s, so, s1, sc0, sh0, sc1, sh1, s, so, bias, c0, y, yo, outG);
                    case PROPOSED -> QuadraticKernels.combineRow(s, so, s1, sc0, sh0, sc1, sh1, s, s1 + outG, bias, c0,
                            y, yo, outG);
                    default -> throw new IllegalStateException(type + " has no two product branches");
                }
            }
        });
    }

    /** {@link #elementGradients} for {@link #denseProducts}: the same products, an item's channels at a time. */
    private void elementGradientsDense(float[] s, int sk, BranchState st, float[] gy, float[] ds, float[] dd,
                                       int first, int count) {
        float[] sc0 = st.scale[0];
        float[] sh0 = st.shift[0];
        float[] sc1 = st.scale[1];
        float[] sh1 = st.shift[1];
        int y0 = first * groups * outG;
        Parallel.forRange(count * groups, Math.max(1, GRAIN / outG), (from, to) -> {
            for (int p = from; p < to; p++) {
                int c0 = (p % groups) * outG;
                int yo = y0 + p * outG;
                int so = p * kx * outG;
                int s1 = so + outG;
                int v0o = p * sk * outG;
                int v1o = v0o + outG;
                QuadraticKernels.productGradientRow(gy, yo, s, v0o, v1o, sc0, sh0, sc1, sh1, c0, ds, so, s1, outG);
                if (type == NeuronType.T2_4) {
                    System.arraycopy(gy, yo, dd, p * outG, outG);
                } else if (type == NeuronType.PROPOSED) {
                    System.arraycopy(gy, yo, ds, s1 + outG, outG);
                }
            }
        });
    }

    // ------------------------------------------------------------------ backward

    /**
     * Gradients given the output gradient {@code gy}: recomputes the branches whose values it needs from {@code x}
     * (one stacked projection; {@link #recomputedBranches()}), back-propagates through the formula and branch norms
     * element-wise, then through the projections with one transposed GEMM or convolution per stacked weight.
     * Without batch statistics this runs in chunks of items ({@link #chunkItems}), so the recomputed branches and
     * their gradients never exist for the whole batch at once; a branch norm in training mode, whose backward needs
     * sums over the whole batch, and the quadratic forms (which chunk their own projection) take the batch in one
     * piece.
     */
    Gradients backward(float[] x, int[] inputShape, float[] gy, BranchState st, boolean needInput) {
        boolean form = type.hasQuadraticForm();
        int chunk = form || usesBatchStatistics(st) ? items : chunkItems(1);
        int branchFloats = chunk * groups * kx * outG * len;
        int sk = recomputedBranches();
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        Tensor gxT = needInput ? Tensor.zeros(inputShape) : null;
        float[] gx = gxT == null ? null : gxT.data();
        // The stacked projection of the branches (a quadratic form stacks its own in form()).
        float[] w = form || kx == 0 ? null : stack(false, layer.stackedWeights(), kx * outG);
        float[] s;
        float[] x2;
        try (Buffers.CategoryScope c = Buffers.withCategory(MemoryCategory.ACTIVATION)) {
            // Only product branches need their values back; a quadratic form, a masked layer and the square branch
            // enter the output linearly.
            s = !form && !masked && productBranches > 0 ? alloc(chunk * groups * sk * outG * len) : null;
            x2 = type.hasSquareBranch() ? square(x) : null;
        }
        float[] wd = x2 == null ? null : squareWeights();
        float[] gx2 = x2 == null || gx == null ? null : zeros(x.length);
        float[] ds = kx == 0 ? null : alloc(branchFloats);
        float[] dd = x2 == null ? null : alloc(chunk * groups * outG * len);
        float[] gw = form ? alloc(groups * formRows() * n) : w == null ? null : alloc(w.length);
        Tensor gwd = x2 == null ? null : Tensor.empty(layer.squareWeight().shape());
        float[] partW = chunk < items && w != null ? alloc(w.length) : null;
        float[] partD = chunk < items && gwd != null ? alloc(gwd.numel()) : null;
        // The weights of the recomputed branches: with one group, the first sk·outG rows of the stack (a prefix of
        // the array); with several, a stack of their own.
        boolean fewer = s != null && sk < kx;
        float[] ws = !fewer || groups == 1 ? w : stack(false, layer.stackedWeights().subList(0, sk), sk * outG);
        ChannelSums sums = new ChannelSums();
        if (chunk < items) {
            if (w != null && !form) {
                if (fewer) {
                    proj.prepare(ws, sk * outG, true, false, this::alloc);
                }
                proj.prepare(w, kx * outG, s != null && !fewer, gx != null, this::alloc);
            }
            if (wd != null) {
                proj.prepare(wd, outG, false, gx2 != null, this::alloc);
            }
        }
        try {
            for (int first = 0; first < items; first += chunk) {
                int count = Math.min(chunk, items - first);
                if (s != null) {
                    proj.forward(x, first, count, ws, sk * outG, s);
                }
                elementGradients(s, sk, st, gy, ds, dd, first, count);
                channelGradients(s, sk, st, gy, ds, sums, first, count);
                if (w != null) {
                    if (gx != null) {
                        proj.backwardInput(ds, first, count, w, kx * outG, gx);
                    }
                    weightGradient(ds, x, first, count, kx * outG, gw, partW);
                }
                if (dd != null) {
                    if (gx2 != null) {
                        proj.backwardInput(dd, first, count, wd, outG, gx2);
                    }
                    // [groups, outG, n] is the weight's own [out, n] layout: no unstacking.
                    weightGradient(dd, x2, first, count, outG, gwd.data(), partD);
                }
            }
        } finally {
            proj.release();
        }
        if (form) {
            form(x, null, ds, gx, gw);
        }
        if (gw != null) {
            unstack(gw, form && !proj.patchesAreInput(), layer.stackedWeights(), form ? formRows() : kx * outG, grads);
        }
        if (gx2 != null) {
            for (int i = 0; i < x.length; i++) {
                gx[i] += 2f * x[i] * gx2[i];
            }
        }
        if (gwd != null) {
            grads.put(layer.squareWeight(), gwd);
        }
        sums.putInto(grads);
        return new Gradients(gxT, grads);
    }

    /**
     * Branches whose values backward recomputes into S, per item: PROPOSED's linear branch {@code W_c x} enters the
     * output with weight 1, so its gradient needs no value, and only the two product branches (stacked first) are
     * recomputed: a third less projection work than recomputing all three. Every other type recomputes all
     * {@code kx}.
     */
    private int recomputedBranches() {
        return type == NeuronType.PROPOSED && !masked ? productBranches : kx;
    }

    private static boolean usesBatchStatistics(BranchState st) {
        if (st != null) {
            for (boolean t : st.training) {
                if (t) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * {@code gw = Σ g · patchesᵀ} over the batch, one chunk of items at a time: the chunk starting at item 0 writes
     * {@code gw}, every later one computes into {@code part} and adds it.
     */
    private void weightGradient(float[] g, float[] in, int first, int count, int rows, float[] gw, float[] part) {
        if (first == 0) {
            proj.backwardWeight(g, in, first, count, rows, gw);
            return;
        }
        proj.backwardWeight(g, in, first, count, rows, part);
        // gw += part, split over threads (a VGG layer's stacked weights: up to 442 K floats, once per chunk)
        Elementwise.axpy(1f, part, 0, gw, 0, gw.length);
    }

    /**
     * Pass 1, for items {@code first .. first+count)} ({@code s}, {@code ds}, {@code dd} hold those items only):
     * gradients of the formula with respect to each branch value. Product branches get d/dv (turned into d/ds by
     * {@link #channelGradients}); the others, which enter the output with weight 1, their final gradient.
     */
    private void elementGradients(float[] s, int sk, BranchState st, float[] gy, float[] ds, float[] dd, int first,
                                  int count) {
        if (denseProducts()) {
            elementGradientsDense(s, sk, st, gy, ds, dd, first, count);
            return;
        }
        int bs = outG * len;
        int y0 = first * groups * outG * len;
        Parallel.forRange(count * groups * outG, Math.max(1, GRAIN / len), (from, to) -> {
            for (int t = from; t < to; t++) {
                int p = t / outG;
                int j = t % outG;
                int c = (p % groups) * outG + j;
                int yo = y0 + t * len;
                int dOff = t * len;
                int so = (p * kx * outG + j) * len;
                int vo = (p * sk * outG + j) * len;
                if (masked) {
                    // Only the linear term reached the output: the quadratic weights get zero gradient.
                    if (ds != null) {
                        for (int k = 0; k < kx; k++) {
                            Arrays.fill(ds, so + k * bs, so + k * bs + len, 0f);
                        }
                    }
                    if (dd != null) {
                        Arrays.fill(dd, dOff, dOff + len, 0f);
                    }
                    int lin = switch (type) {
                        case T2_4, QRES -> 0;
                        case PROPOSED -> 2;
                        case T1 -> formLinear ? 1 : -1;
                        case T2, T3, T4, T1_2 -> -1;
                    };
                    if (lin >= 0) {
                        System.arraycopy(gy, yo, ds, so + lin * bs, len);
                    }
                    continue;
                }
                float sc0 = productBranches > 0 ? st.scale[0][c] : 1f;
                float sh0 = productBranches > 0 ? st.shift[0][c] : 0f;
                float sc1 = productBranches > 1 ? st.scale[1][c] : 1f;
                float sh1 = productBranches > 1 ? st.shift[1][c] : 0f;
                switch (type) {
                    case T1 -> {
                        System.arraycopy(gy, yo, ds, so, len);
                        if (formLinear) {
                            System.arraycopy(gy, yo, ds, so + bs, len);
                        }
                    }
                    case T1_2 -> {
                        System.arraycopy(gy, yo, ds, so, len);
                        System.arraycopy(gy, yo, dd, dOff, len);
                    }
                    case T2 -> System.arraycopy(gy, yo, dd, dOff, len);
                    case T3 -> {
                        for (int l = 0; l < len; l++) {
                            ds[so + l] = 2f * (s[vo + l] * sc0 + sh0) * gy[yo + l];
                        }
                    }
                    case T4, T2_4, QRES, PROPOSED -> {
                        for (int l = 0; l < len; l++) {
                            float g = gy[yo + l];
                            float v0 = s[vo + l] * sc0 + sh0;
                            float v1 = s[vo + bs + l] * sc1 + sh1;
                            ds[so + l] = g * v1;
                            ds[so + bs + l] = g * v0;
                        }
                        if (type == NeuronType.T2_4) {
                            System.arraycopy(gy, yo, dd, dOff, len);
                        } else if (type == NeuronType.PROPOSED) {
                            System.arraycopy(gy, yo, ds, so + 2 * bs, len);
                        }
                    }
                }
            }
        });
    }

    /** Per-channel gradient sums over the batch (branch norms' γ and β, branch and output biases), chunk by chunk. */
    private final class ChannelSums {
        final BatchNorm[] norms = new BatchNorm[productBranches];
        final double[][] gamma = new double[productBranches][];
        final double[][] beta = new double[productBranches][];
        final double[][] bias = new double[productBranches][];
        final double[] outputBias;
        /** T2_4's c is quadratic: masked out of the output, it gets a zero gradient. */
        final boolean outputBiasUsed;

        ChannelSums() {
            for (int k = 0; k < productBranches; k++) {
                norms[k] = masked ? null : layer.branchNorm(k);
                if (norms[k] != null) {
                    gamma[k] = new double[out];
                    beta[k] = new double[out];
                }
                if (layer.branchBias(k) != null) {
                    bias[k] = new double[out];
                }
            }
            outputBias = layer.outputBias() == null ? null : new double[out];
            outputBiasUsed = outputBias != null && !(masked && type == NeuronType.T2_4);
        }

        void putInto(Map<Tensor, Tensor> grads) {
            if (outputBias != null) {
                grads.put(layer.outputBias(), vector(outputBias));
            }
            for (int k = 0; k < productBranches; k++) {
                if (norms[k] != null) {
                    grads.put(norms[k].weight(), vector(gamma[k]));
                    grads.put(norms[k].bias(), vector(beta[k]));
                }
                if (bias[k] != null) {
                    grads.put(layer.branchBias(k), vector(bias[k]));
                }
            }
        }

        private Tensor vector(double[] sums) {
            float[] v = new float[out];
            for (int c = 0; c < out; c++) {
                v[c] = (float) sums[c];
            }
            return Tensor.of(v, out);
        }
    }

    /**
     * Pass 2, per channel, for items {@code first .. first+count)}: the batch-norm backward of each normalised
     * product branch (d/dv to d/ds; dγ and dβ into {@code sums}), QRES's linear path through its shared branch, and
     * the bias gradients (channel sums into {@code sums}). A norm in training mode needs the whole batch in one call.
     */
    private void channelGradients(float[] s, int sk, BranchState st, float[] gy, float[] ds, ChannelSums sums,
                                  int first, int count) {
        int pb = productBranches;
        int m = items * len;
        Parallel.forRange(out, 1, (from, to) -> {
            for (int c = from; c < to; c++) {
                for (int k = 0; k < pb; k++) {
                    BatchNorm norm = sums.norms[k];
                    if (norm != null) {
                        float mean = st.mean[k][c];
                        float is = st.invStd[k][c];
                        double sumDv = 0;
                        double sumDvXhat = 0;
                        for (int b = 0; b < count; b++) {
                            int o = branchRow(b, c, k, kx);
                            int v = branchRow(b, c, k, sk);
                            for (int l = 0; l < len; l++) {
                                float dv = ds[o + l];
                                sumDv += dv;
                                sumDvXhat += dv * (s[v + l] - mean) * is;
                            }
                        }
                        sums.gamma[k][c] += sumDvXhat;
                        sums.beta[k][c] += sumDv;
                        float gam = norm.weight().get(c);
                        float meanDv = (float) (sumDv / m);
                        float meanDvXhat = (float) (sumDvXhat / m);
                        for (int b = 0; b < count; b++) {
                            int o = branchRow(b, c, k, kx);
                            int v = branchRow(b, c, k, sk);
                            for (int l = 0; l < len; l++) {
                                ds[o + l] = st.training[k]
                                        ? gam * is * (ds[o + l] - meanDv - (s[v + l] - mean) * is * meanDvXhat)
                                        : gam * is * ds[o + l];
                            }
                        }
                    }
                    if (k == 0 && type == NeuronType.QRES && !masked) {
                        // W_a x also enters the output directly, after (and outside) its norm.
                        for (int b = 0; b < count; b++) {
                            int o = branchRow(b, c, 0, kx);
                            int yo = outputRow(first + b, c);
                            for (int l = 0; l < len; l++) {
                                ds[o + l] += gy[yo + l];
                            }
                        }
                    }
                    if (sums.bias[k] != null) {
                        double acc = 0;
                        for (int b = 0; b < count; b++) {
                            acc += sum(ds, branchRow(b, c, k, kx));
                        }
                        sums.bias[k][c] += acc;
                    }
                }
                if (sums.outputBiasUsed) {
                    double acc = 0;
                    for (int b = first; b < first + count; b++) {
                        acc += sum(gy, outputRow(b, c));
                    }
                    sums.outputBias[c] += acc;
                }
            }
        });
    }

    /** Σ of the {@code len} values from {@code offset}. */
    private double sum(float[] a, int offset) {
        double acc = 0;
        for (int l = 0; l < len; l++) {
            acc += a[offset + l];
        }
        return acc;
    }

    /**
     * Offset of channel c, branch k of item b in an array holding {@code branches} branches per item (S, or its
     * gradient with all {@code kx}), b counted from the first item the array holds.
     */
    private int branchRow(int b, int c, int k, int branches) {
        int p = b * groups + c / outG;
        return ((p * branches + k) * outG + c % outG) * len;
    }

    /** Offset of channel c of item b in an output-shaped array. */
    private int outputRow(int b, int c) {
        return ((b * groups + c / outG) * outG + c % outG) * len;
    }

    // ------------------------------------------------------------------ quadratic form (T1, T1_2)

    /** Rows per group of the form's stacked weight: identity (conv), W_a's n per output, W_b's one per output. */
    private int formRows() {
        return (proj.patchesAreInput() ? 0 : n) + outG * n + (formLinear ? outG : 0);
    }

    /**
     * The quadratic form {@code q_o = Σ_i x_i (W_a x)_{o,i}} over chunks of items, through one stacked projection
     * {@code T = [I; W_a; W_b] ⋆ patches} per chunk ({@code I}, identity rows, only for convolutions, whose patches
     * exist only unfolded). Forward ({@code s != null}): writes q and the linear term into S. Backward
     * ({@code ds != null}): recomputes T and accumulates the input gradient into {@code gx} (if not null) and the
     * stacked weight gradient into {@code gw}.
     */
    private void form(float[] x, float[] s, float[] ds, float[] gx, float[] gw) {
        boolean identity = !proj.patchesAreInput();
        int pr = identity ? n : 0;
        int rows = formRows();
        float[] w = stack(identity, layer.stackedWeights(), rows);
        int per = groups * rows * len;
        int chunk = Math.max(1, Math.min(items, layer.formChunkFloats / per));
        float[] t = alloc(chunk * per);
        float[] dt = ds == null ? null : alloc(chunk * per);
        float[] gwChunk = ds == null || chunk >= items ? null : alloc(gw.length);
        int bs = outG * len;
        for (int first = 0; first < items; first += chunk) {
            int count = Math.min(chunk, items - first);
            int f0 = first;
            proj.forward(x, first, count, w, rows, t);
            // Patch i at position l of block pc: the identity rows of T, or the input row itself.
            float[] pa = identity ? t : x;
            Parallel.forRange(count * groups * outG, Math.max(1, GRAIN / (len * n)), (from, to) -> {
                float[] acc = new float[len];
                for (int idx = from; idx < to; idx++) {
                    int pc = idx / outG;
                    int j = idx % outG;
                    int p = f0 * groups + pc;
                    int tb = pc * rows * len;
                    int pb = identity ? tb : (f0 + pc) * n;
                    int zb = tb + (pr + j * n) * len;
                    int so = (p * kx * outG + j) * len;
                    if (s != null) {
                        Arrays.fill(acc, 0f);
                        for (int i = 0; i < n; i++) {
                            int pi = pb + i * len;
                            int zi = zb + i * len;
                            for (int l = 0; l < len; l++) {
                                acc[l] += pa[pi + l] * t[zi + l];
                            }
                        }
                        System.arraycopy(acc, 0, s, so, len);
                        if (formLinear) {
                            System.arraycopy(t, tb + (pr + outG * n + j) * len, s, so + bs, len);
                        }
                    } else {
                        // dq ⊗ patch into the W_a rows, the linear term's gradient into the W_b rows.
                        for (int i = 0; i < n; i++) {
                            int pi = pb + i * len;
                            int zi = zb + i * len;
                            for (int l = 0; l < len; l++) {
                                dt[zi + l] = ds[so + l] * pa[pi + l];
                            }
                        }
                        if (formLinear) {
                            System.arraycopy(ds, so + bs, dt, tb + (pr + outG * n + j) * len, len);
                        }
                    }
                }
            });
            if (ds == null) {
                continue;
            }
            // d q / d patch_i = Σ_j dq_j (W_a x)_{j,i} (+ the W_aᵀ part, which the transposed projection adds).
            float[] dPatch = identity ? dt : (gx == null ? null : alloc(count * n));
            if (dPatch != null) {
                Parallel.forRange(count * groups, Math.max(1, GRAIN / (len * n * outG)), (from, to) -> {
                    for (int pc = from; pc < to; pc++) {
                        int p = f0 * groups + pc;
                        int tb = pc * rows * len;
                        int db = identity ? tb : pc * n;
                        Arrays.fill(dPatch, db, db + n * len, 0f);
                        for (int j = 0; j < outG; j++) {
                            int so = (p * kx * outG + j) * len;
                            int zb = tb + (pr + j * n) * len;
                            for (int i = 0; i < n; i++) {
                                int di = db + i * len;
                                int zi = zb + i * len;
                                for (int l = 0; l < len; l++) {
                                    dPatch[di + l] += ds[so + l] * t[zi + l];
                                }
                            }
                        }
                    }
                });
            }
            if (gx != null) {
                proj.backwardInput(dt, first, count, w, rows, gx);
                if (!identity) {
                    int off = first * n;
                    for (int i = 0; i < count * n; i++) {
                        gx[off + i] += dPatch[i];
                    }
                }
            }
            weightGradient(dt, x, first, count, rows, gw, gwChunk);
        }
    }

    // ------------------------------------------------------------------ stacking

    /**
     * Stacks weights {@code [out, rpo·n]} (rpo = rows per output: 1, or n for a quadratic form) group by group
     * into {@code [groups, rows, n]}, optionally after {@code n} identity rows per group.
     */
    private float[] stack(boolean identity, List<Tensor> ws, int rowsPerGroup) {
        float[] st = identity ? zeros(groups * rowsPerGroup * n) : alloc(groups * rowsPerGroup * n);
        for (int g = 0; g < groups; g++) {
            int row = g * rowsPerGroup;
            if (identity) {
                for (int i = 0; i < n; i++) {
                    st[(row + i) * n + i] = 1f;
                }
                row += n;
            }
            for (Tensor w : ws) {
                int size = w.numel() / groups;
                System.arraycopy(raw(w), g * size, st, row * n, size);
                row += size / n;
            }
        }
        return st;
    }

    /** The inverse of {@link #stack}: each weight's gradient, identity rows dropped. */
    private void unstack(float[] gw, boolean identity, List<Tensor> ws, int rowsPerGroup, Map<Tensor, Tensor> grads) {
        for (Tensor w : ws) {
            grads.put(w, Tensor.empty(w.shape()));
        }
        for (int g = 0; g < groups; g++) {
            int row = g * rowsPerGroup + (identity ? n : 0);
            for (Tensor w : ws) {
                int size = w.numel() / groups;
                System.arraycopy(gw, row * n, grads.get(w).data(), g * size, size);
                row += size / n;
            }
        }
    }

    // ------------------------------------------------------------------ arrays

    /** A counted array whose contents the caller overwrites, held (and so counted) while this engine lives. */
    private float[] alloc(int size) {
        Tensor t = Tensor.empty(size);
        scratch.add(t);
        return t.data();
    }

    /** A counted zero-filled array, held while this engine lives. */
    private float[] zeros(int size) {
        Tensor t = Tensor.zeros(size);
        scratch.add(t);
        return t.data();
    }

    /** The values of a tensor as an array indexed from 0 (the tensor's own storage when it allows), or null. */
    static float[] raw(Tensor t) {
        if (t == null) {
            return null;
        }
        Tensor c = t.contiguous();
        return c.offset() == 0 ? c.data() : c.toFloatArray();
    }
}
