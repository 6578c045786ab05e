package org.quadralib.layers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import org.quadralib.core.Parallel;
import org.quadralib.core.Tensor;
import org.quadralib.core.kernels.Elementwise;
import org.quadralib.core.kernels.NormKernels;
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
 * ({@link #BRANCH_CHUNK_FLOATS}). Channel of block p, row j: {@code (p mod groups)·outG + j}. Product branches (and
 * a normalised square branch) enter the formula as {@code v = s·scale_c + shift_c}: their branch bias, or their batch
 * norm in training (batch statistics) or evaluation (running statistics).
 *
 * <p>The formula is the layer's {@link NeuronType.Declaration}, read once: the product's slots in S, the slots added
 * to the output directly, the square branch, the output bias. No code here names a neuron type.
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

    /**
     * Per-channel affine of each normalised branch, from forward to backward (small: a few floats per channel):
     * entries {@code 0 .. productBranches-1} for the product's slots, then one for the square branch.
     */
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
    private final QuadraticProjection proj;
    private final boolean masked;
    private final int items;
    private final int groups;
    private final int out;
    private final int outG;
    private final int n;
    private final int len;
    private final int blocks;
    /** Slots of the stacked projection of x (a quadratic form's value in slot 0). */
    private final int kx;
    /** Distinct product slots (the leading ones): 0, 1 (a square) or 2. */
    private final int productBranches;
    /** The product's slots, or -1. */
    private final int pa;
    private final int pb;
    /** Slots added to the output directly, in term order. */
    private final int[] added;
    /** Per slot: added to the output directly and a product factor (QRES's W_a x), so its direct gradient follows the norm's. */
    private final boolean[] addedAfterNorm;
    /** The slot of the linear term, or -1. */
    private final int linear;
    /** Whether slot 0 is a quadratic form, and whether the form has a second slot (T1's W_b x). */
    private final boolean form;
    private final boolean formLinear;
    private final boolean square;
    /** The BranchState entry of a normalised square branch, or -1. */
    private final int squareEntry;
    /** Scratch tensors: referenced so that memory accounting sees their arrays until the call ends. */
    private final List<Tensor> scratch = new ArrayList<>();

    QuadraticEngine(QuadraticLayer layer, QuadraticProjection proj, boolean masked) {
        NeuronType type = layer.neuronType();
        this.layer = layer;
        this.proj = proj;
        this.masked = masked;
        this.items = proj.items;
        this.groups = proj.groups;
        this.out = layer.outputs();
        this.outG = out / groups;
        this.n = proj.patch;
        this.len = proj.positions;
        this.blocks = items * groups;
        this.kx = layer.stackedWeights().size();
        this.form = type.hasQuadraticForm();
        this.formLinear = form && kx > 1;
        this.square = layer.squareWeight() != null;
        this.productBranches = layer.productBranches();
        this.pa = layer.productSlot(0);
        this.pb = layer.productSlot(1);
        this.added = layer.addedSlots();
        this.addedAfterNorm = new boolean[kx];
        for (int k : added) {
            addedAfterNorm[k] = k == pa || k == pb;
        }
        this.linear = layer.linearSlot();
        this.squareEntry = layer.squareNorm() == null ? -1 : productBranches;
    }

    /** Entries of the {@link BranchState}: the product's slots, then a normalised square branch. */
    private int normEntries() {
        return productBranches + (squareEntry >= 0 ? 1 : 0);
    }

    /** The norm of BranchState entry e, or null (masked layers use none). */
    private BatchNorm norm(int e) {
        if (masked) {
            return null;
        }
        return e == squareEntry ? layer.squareNorm() : layer.branchNorm(e);
    }

    /** Releases the scratch arrays of a call (forward's, once it returns its output). */
    void releaseScratch() {
        scratch.clear();
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
        float[] x2 = square ? square(x) : null;
        if (form || normalisesWithBatchStatistics()) {
            float[] s = branches(x);
            float[] d = x2 == null ? null : alloc(outputSize());
            if (d != null) {
                proj.forward(x2, 0, items, squareWeights(), outG, d);
            }
            BranchState st = masked ? null : branchState(s, d);
            combine(s, d, st, y, 0, items);
            return st;
        }
        // No batch statistics: the branch affine is known before any branch value, so S goes in chunks.
        BranchState st = masked ? null : branchState(null, null);
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

    /** True if a branch has a norm in training mode, whose statistics need every item's branch values. */
    private boolean normalisesWithBatchStatistics() {
        for (int e = 0; e < normEntries(); e++) {
            BatchNorm norm = norm(e);
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
        if (form) {
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
     * The scale and shift of every normalised branch ({@code s} for the product's slots, {@code d} for the square
     * branch; both null when no norm is in training mode). A branch norm in training mode: batch statistics of the
     * branch (biased variance for normalising, unbiased for the running variance, as PyTorch), running statistics
     * updated in place; in evaluation mode: the running statistics; without a norm: the branch bias.
     */
    private BranchState branchState(float[] s, float[] d) {
        BranchState st = new BranchState(normEntries(), out);
        for (int e = 0; e < normEntries(); e++) {
            boolean sq = e == squareEntry;
            BatchNorm norm = norm(e);
            float[] bias = sq ? null : raw(layer.branchBias(e));
            int ee = e;
            if (norm == null) {
                for (int c = 0; c < out; c++) {
                    st.scale[e][c] = 1f;
                    st.shift[e][c] = bias == null ? 0f : bias[c];
                }
                continue;
            }
            float[] values = sq ? d : s;
            int slot = sq ? 0 : e;
            int slots = sq ? 1 : kx;
            float[] gamma = raw(norm.weight());
            float[] beta = raw(norm.bias());
            Tensor rmT = norm.runningMean();
            Tensor rvT = norm.runningVar();
            float momentum = norm.momentum();
            float eps = norm.eps();
            boolean training = norm.isTraining();
            st.training[e] = training;
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
                            sum += Elementwise.sum(values, branchRow(b, c, slot, slots), len);
                        }
                        double mu = sum / m;
                        double sqDev = 0;
                        for (int b = 0; b < items; b++) {
                            sqDev += NormKernels.squaredDeviations(values, branchRow(b, c, slot, slots), len, mu);
                        }
                        mean = (float) mu;
                        invStd = (float) (1 / Math.sqrt(sqDev / m + eps));
                        // The norm sees s + branch bias; the bias cancels in the output but not in the running mean.
                        float[] rm = rmT.data();
                        int ro = rmT.offset() + c;
                        rm[ro] = (1 - momentum) * rm[ro] + momentum * (float) (mu + (bias == null ? 0 : bias[c]));
                        float[] rv = rvT.data();
                        int vo = rvT.offset() + c;
                        rv[vo] = (1 - momentum) * rv[vo] + momentum * (float) (sqDev / (m - 1));
                    } else {
                        mean = rmT.get(c) - (bias == null ? 0f : bias[c]);
                        invStd = (float) (1 / Math.sqrt(rvT.get(c) + eps));
                    }
                    st.mean[ee][c] = mean;
                    st.invStd[ee][c] = invStd;
                    st.scale[ee][c] = gamma[c] * invStd;
                    st.shift[ee][c] = beta[c] - mean * gamma[c] * invStd;
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
     * declaration's terms summed in order (product, the directly added slots, the square branch, the output bias),
     * one term at a time over a row of {@code len} positions; or only the linear term when the quadratic term is
     * masked.
     */
    private void combine(float[] s, float[] d, BranchState st, float[] y, int first, int count) {
        float[] ob = raw(layer.outputBias());
        if (denseProducts()) {
            combineDense(s, d, st, y, first, count, ob);
            return;
        }
        // Masked: W_lin x + b_lin (T2_4's c is part of its quadratic term, so b_lin is its b_r).
        float[] mb = raw(layer.linearBias());
        boolean fusedRow = productBranches == 2 && added.length + (square ? 1 : 0) <= 1 && squareEntry < 0;
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
                if (masked) {
                    float b = mb == null ? 0f : mb[c];
                    if (linear >= 0) {
                        int lo = so + linear * bs;
                        for (int l = 0; l < len; l++) {
                            y[yo + l] = s[lo + l] + b;
                        }
                    } else {
                        Arrays.fill(y, yo, yo + len, b);
                    }
                    continue;
                }
                if (fusedRow) {
                    // The common rows in one pass, in the same order: product, the one added term, the bias.
                    float sc0 = st.scale[0][c];
                    float sh0 = st.shift[0][c];
                    float sc1 = st.scale[1][c];
                    float sh1 = st.shift[1][c];
                    float b = ob == null ? 0f : ob[c];
                    int ao = so + pa * bs;
                    int bo = so + pb * bs;
                    float[] e = added.length > 0 ? s : d;
                    int eo = added.length > 0 ? so + added[0] * bs : dOff;
                    if (e == null) {
                        for (int l = 0; l < len; l++) {
                            y[yo + l] = (s[ao + l] * sc0 + sh0) * (s[bo + l] * sc1 + sh1) + b;
                        }
                    } else {
                        for (int l = 0; l < len; l++) {
                            y[yo + l] = (s[ao + l] * sc0 + sh0) * (s[bo + l] * sc1 + sh1) + e[eo + l] + b;
                        }
                    }
                    continue;
                }
                boolean started = false;
                if (pa >= 0) {
                    float sc0 = st.scale[0][c];
                    float sh0 = st.shift[0][c];
                    int ao = so + pa * bs;
                    if (pb == pa) {
                        for (int l = 0; l < len; l++) {
                            float v = s[ao + l] * sc0 + sh0;
                            y[yo + l] = v * v;
                        }
                    } else {
                        float sc1 = st.scale[1][c];
                        float sh1 = st.shift[1][c];
                        int bo = so + pb * bs;
                        for (int l = 0; l < len; l++) {
                            y[yo + l] = (s[ao + l] * sc0 + sh0) * (s[bo + l] * sc1 + sh1);
                        }
                    }
                    started = true;
                }
                for (int k : added) {
                    int ko = so + k * bs;
                    if (started) {
                        for (int l = 0; l < len; l++) {
                            y[yo + l] += s[ko + l];
                        }
                    } else {
                        System.arraycopy(s, ko, y, yo, len);
                        started = true;
                    }
                }
                if (d != null) {
                    float dsc = squareEntry < 0 ? 1f : st.scale[squareEntry][c];
                    float dsh = squareEntry < 0 ? 0f : st.shift[squareEntry][c];
                    for (int l = 0; l < len; l++) {
                        float v = squareEntry < 0 ? d[dOff + l] : d[dOff + l] * dsc + dsh;
                        y[yo + l] = started ? y[yo + l] + v : v;
                    }
                }
                if (ob != null) {
                    float b = ob[c];
                    for (int l = 0; l < len; l++) {
                        y[yo + l] += b;
                    }
                }
            }
        });
    }

    /**
     * Whether the layer is dense (one position per channel) with a product of two branches plus at most one more
     * unnormalised term, and unmasked (T4, T2_4, QRES, PROPOSED): {@link #combine} and {@link #elementGradients} then
     * loop over an item's channels with the fused row kernels, where the general loop, one channel of one position at
     * a time, spent a tenth of a quadratic MLP's step on its index arithmetic.
     */
    private boolean denseProducts() {
        return len == 1 && !masked && productBranches == 2 && added.length + (square ? 1 : 0) <= 1 && squareEntry < 0;
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
                // The added term: none (T4), the square branch (T2_4) or a slot (QRES's W_a x, PROPOSED's W_c x).
                float[] e = added.length > 0 ? s : d;
                int eo = added.length > 0 ? so + added[0] * outG : p * outG;
                QuadraticKernels.combineRow(s, so + pa * outG, so + pb * outG, sc0, sh0, sc1, sh1, e, eo, bias, c0, y, yo, outG);
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
                int vo = p * sk * outG;
                QuadraticKernels.productGradientRow(gy, yo, s, vo + pa * outG, vo + pb * outG, sc0, sh0, sc1, sh1, c0, ds,
                        so + pa * outG, so + pb * outG, outG);
                for (int k : added) {
                    if (!addedAfterNorm[k]) {
                        System.arraycopy(gy, yo, ds, so + k * outG, outG);
                    }
                }
                if (dd != null) {
                    System.arraycopy(gy, yo, dd, p * outG, outG);
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
            // Only product branches (and a normalised square branch) need their values back; a quadratic form, a
            // masked layer and an unnormalised square branch enter the output linearly.
            s = !form && !masked && productBranches > 0 ? alloc(chunk * groups * sk * outG * len) : null;
            x2 = square ? square(x) : null;
        }
        float[] wd = x2 == null ? null : squareWeights();
        float[] gx2 = x2 == null || gx == null ? null : zeros(x.length);
        float[] ds = kx == 0 ? null : alloc(branchFloats);
        float[] dd = x2 == null ? null : alloc(chunk * groups * outG * len);
        float[] dv = x2 == null || masked || squareEntry < 0 ? null : alloc(chunk * groups * outG * len);
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
                proj.prepare(wd, outG, dv != null, gx2 != null, this::alloc);
            }
        }
        try {
            for (int first = 0; first < items; first += chunk) {
                int count = Math.min(chunk, items - first);
                if (s != null) {
                    proj.forward(x, first, count, ws, sk * outG, s);
                }
                if (dv != null) {
                    proj.forward(x2, first, count, wd, outG, dv);
                }
                elementGradients(s, sk, st, gy, ds, dd, first, count);
                channelGradients(s, sk, dv, st, gy, ds, dd, sums, first, count);
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
     * Branches whose values backward recomputes into S, per item: only the product's values enter a gradient, and
     * the product's slots lead the stack, so an unmasked layer recomputes that prefix: PROPOSED skips its linear
     * branch {@code W_c x} (weight 1 in the output), a third less projection work than recomputing all three.
     */
    private int recomputedBranches() {
        return !masked && productBranches > 0 ? productBranches : kx;
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
     * gradients of the formula with respect to each branch value. Normalised branches get d/dv (turned into d/ds by
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
                    if (linear >= 0) {
                        System.arraycopy(gy, yo, ds, so + linear * bs, len);
                    }
                    continue;
                }
                if (pa >= 0) {
                    float sc0 = st.scale[0][c];
                    float sh0 = st.shift[0][c];
                    int ao = so + pa * bs;
                    int av = vo + pa * bs;
                    if (pb == pa) {
                        for (int l = 0; l < len; l++) {
                            ds[ao + l] = 2f * (s[av + l] * sc0 + sh0) * gy[yo + l];
                        }
                    } else {
                        float sc1 = st.scale[1][c];
                        float sh1 = st.shift[1][c];
                        int bo = so + pb * bs;
                        int bv = vo + pb * bs;
                        for (int l = 0; l < len; l++) {
                            float g = gy[yo + l];
                            float v0 = s[av + l] * sc0 + sh0;
                            float v1 = s[bv + l] * sc1 + sh1;
                            ds[ao + l] = g * v1;
                            ds[bo + l] = g * v0;
                        }
                    }
                }
                for (int k : added) {
                    if (!addedAfterNorm[k]) {
                        System.arraycopy(gy, yo, ds, so + k * bs, len);
                    }
                }
                if (dd != null) {
                    System.arraycopy(gy, yo, dd, dOff, len);
                }
            }
        });
    }

    /**
     * Per-channel gradient sums over the batch (branch norms' γ and β per {@link BranchState} entry, branch and
     * output biases), chunk by chunk.
     */
    private final class ChannelSums {
        final BatchNorm[] norms = new BatchNorm[normEntries()];
        final double[][] gamma = new double[normEntries()][];
        final double[][] beta = new double[normEntries()][];
        /** Per stack slot with a branch bias. */
        final double[][] bias = new double[kx][];
        final double[] outputBias;
        /** Masked, only the linear term's bias reaches the output: a quadratic output bias (T2_4's c) gets none. */
        final boolean outputBiasUsed;

        ChannelSums() {
            for (int e = 0; e < norms.length; e++) {
                norms[e] = norm(e);
                if (norms[e] != null) {
                    gamma[e] = new double[out];
                    beta[e] = new double[out];
                }
            }
            for (int k = 0; k < kx; k++) {
                if (layer.branchBias(k) != null) {
                    bias[k] = new double[out];
                }
            }
            outputBias = layer.outputBias() == null ? null : new double[out];
            outputBiasUsed = outputBias != null && (!masked || layer.outputBias() == layer.linearBias());
        }

        void putInto(Map<Tensor, Tensor> grads) {
            if (outputBias != null) {
                grads.put(layer.outputBias(), vector(outputBias));
            }
            for (int e = 0; e < norms.length; e++) {
                if (norms[e] != null) {
                    grads.put(norms[e].weight(), vector(gamma[e]));
                    grads.put(norms[e].bias(), vector(beta[e]));
                }
            }
            for (int k = 0; k < kx; k++) {
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
     * Pass 2, per channel, for items {@code first .. first+count)}: the batch-norm backward of each normalised branch
     * (d/dv to d/ds through {@link NormKernels}, as {@code BatchNorm} does; dγ and dβ into {@code sums}), then the
     * direct gradient of a slot that is also a product factor (QRES's {@code W_a x}, outside its norm), and the bias
     * gradients (channel sums into {@code sums}). A norm in training mode needs the whole batch in one call.
     */
    private void channelGradients(float[] s, int sk, float[] d, BranchState st, float[] gy, float[] ds, float[] dd,
                                  ChannelSums sums, int first, int count) {
        int m = items * len;
        Parallel.forRange(out, 1, (from, to) -> {
            double[] acc = new double[2];
            for (int c = from; c < to; c++) {
                for (int e = 0; e < sums.norms.length; e++) {
                    BatchNorm norm = sums.norms[e];
                    if (norm == null) {
                        continue;
                    }
                    boolean sq = e == squareEntry;
                    float[] g = sq ? dd : ds;
                    float[] v = sq ? d : s;
                    int gSlots = sq ? 1 : kx;
                    int vSlots = sq ? 1 : sk;
                    int slot = sq ? 0 : e;
                    float mean = st.mean[e][c];
                    float is = st.invStd[e][c];
                    acc[0] = 0;
                    acc[1] = 0;
                    for (int b = 0; b < count; b++) {
                        NormKernels.gradientSums(g, branchRow(b, c, slot, gSlots), v, branchRow(b, c, slot, vSlots), len, mean, is, acc);
                    }
                    sums.gamma[e][c] += acc[1];
                    sums.beta[e][c] += acc[0];
                    float gi = norm.weight().get(c) * is;
                    float meanG = (float) (acc[0] / m);
                    float meanGX = (float) (acc[1] / m);
                    for (int b = 0; b < count; b++) {
                        int o = branchRow(b, c, slot, gSlots);
                        if (st.training[e]) {
                            NormKernels.inputGradient(g, o, v, branchRow(b, c, slot, vSlots), g, o, len, mean, is, gi, meanG, meanGX);
                        } else {
                            NormKernels.affine(g, o, g, o, len, gi, 0f);
                        }
                    }
                }
                for (int k = 0; k < kx; k++) {
                    if (addedAfterNorm[k] && !masked) {
                        // The slot also enters the output directly, after (and outside) its norm.
                        for (int b = 0; b < count; b++) {
                            int o = branchRow(b, c, k, kx);
                            int yo = outputRow(first + b, c);
                            for (int l = 0; l < len; l++) {
                                ds[o + l] += gy[yo + l];
                            }
                        }
                    }
                    if (sums.bias[k] != null) {
                        double total = 0;
                        for (int b = 0; b < count; b++) {
                            total += sum(ds, branchRow(b, c, k, kx));
                        }
                        sums.bias[k][c] += total;
                    }
                }
                if (sums.outputBiasUsed) {
                    double total = 0;
                    for (int b = first; b < first + count; b++) {
                        total += sum(gy, outputRow(b, c));
                    }
                    sums.outputBias[c] += total;
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
        return t.dataFromZero();
    }
}
