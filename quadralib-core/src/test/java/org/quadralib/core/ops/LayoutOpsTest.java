package org.quadralib.core.ops;

import static org.quadralib.core.ops.OpCheck.check;
import static org.quadralib.core.ops.OpCheck.golden;
import static org.quadralib.core.ops.OpCheck.labels;

import org.junit.jupiter.api.Test;
import org.quadralib.core.F;
import org.quadralib.core.Tensor;

/**
 * Layouts the plain op cases do not reach: inputs that are views starting at a non-zero offset, output gradients
 * that arrive permuted, narrowed or broadcast (stride 0), and inputs exactly at a kink or a tie.
 */
class LayoutOpsTest {

    /** {@code x.narrow(0, start, size(0) − start)}: contiguous, offset by {@code start} rows. */
    private static Tensor tail(Tensor x, int start) {
        return x.narrow(0, start, x.size(0) - start);
    }

    private static Tensor tail(Tensor x) {
        return tail(x, 1);
    }

    private static final int[] ONE = {1, 1};

    @Test
    void elementwiseOnOffsetViews() {
        check("offset_elementwise", in -> {
            Tensor x = tail(in[0]);
            Tensor y = tail(in[1]);
            return x.exp().mul(y).add(x.sigmoid()).sub(y.tanh()).div(x.pow(2f).add(1f)).add(y.gelu()).add(F.logSoftmax(x, 1));
        });
        check("offset_where_cat", in -> F.cat(1, F.where(tail(in[0]), tail(in[1]), tail(in[2])), tail(in[1])));
    }

    @Test
    void reductionsOnOffsetViews() {
        check("offset_reduce", in -> {
            Tensor x = tail(in[0]);
            return F.cat(-1, x.sum(new int[] {-1}, false), F.max(x, -1, false), F.var(x, new int[] {-1}, true, false),
                    x.mean(new int[] {1}, false));
        });
    }

    @Test
    void softmaxAndLossOnOffsetViews() {
        check("offset_softmax", in -> F.softmax(tail(in[0]), -1).mul(F.logSoftmax(tail(in[0]), 1)));
        check("offset_cross_entropy", in -> F.crossEntropy(tail(in[0], 2), labels(in[1]), 0.1f));
    }

    @Test
    void linearAlgebraOnOffsetViews() {
        check("offset_linear", in -> F.linear(tail(in[0]), tail(in[1], 2), tail(in[2], 2)));
        check("offset_matmul", in -> tail(in[0]).matmul(tail(in[1])));
        check("offset_conv2d", in -> F.conv2d(tail(in[0]), tail(in[1]), tail(in[2]), ONE, ONE, ONE, 1));
    }

    @Test
    void poolingAndNormOnOffsetViews() {
        check("offset_pool", in -> {
            Tensor x = tail(in[0]);
            return F.maxPool2d(x, 2, 2).add(F.avgPool2d(x, 2, 2)).add(F.adaptiveAvgPool2d(x, 2, 2));
        });
        check("offset_batch_norm",
                in -> F.batchNorm(tail(in[0]), tail(in[3]), tail(in[4]), tail(in[1]), tail(in[2]), true, 0.1f, 1e-5f));
        // Running statistics that are views: only their own elements are updated.
        check("offset_batch_norm_stats", in -> {
            F.batchNorm(in[0], tail(in[1]), tail(in[2]), null, null, true, 0.1f, 1e-5f);
            return F.stack(0, in[1], in[2]);
        });
    }

    @Test
    void gradientsArrivingAsStridedViews() {
        check("strided_grad_linear", in -> F.linear(in[0], in[1], in[2]).t().tanh());
        check("strided_grad_softmax", in -> F.softmax(in[0], 1).transpose(0, 1).narrow(0, 1, 2).tanh());
        check("strided_grad_conv2d", in -> F.conv2d(in[0], in[1], null, ONE, ONE, ONE, 1).permute(0, 2, 3, 1).tanh());
        check("strided_grad_batch_norm", in -> F.batchNorm(in[0], null, null, in[1], in[2], true, 0.1f, 1e-5f).t().tanh());
        check("strided_grad_max_pool2d", in -> F.maxPool2d(in[0], 2, 2).transpose(2, 3).tanh());
    }

    @Test
    void gradientsArrivingBroadcast() {
        check("expanded_grad_linear", in -> F.linear(in[0], in[1], in[2]).sum());
        check("expanded_grad_conv2d", in -> F.conv2d(in[0], in[1], in[2], new int[] {2, 2}, ONE, ONE, 1).sum());
        check("expanded_grad_log_softmax", in -> F.logSoftmax(in[0], 0).sum());
        check("expanded_grad_pool", in -> F.maxPool2d(in[0], 2, 2).sum(new int[] {1}, false)
                .add(F.avgPool2d(in[0], 2, 2).sum(new int[] {1}, false)).sum());
        check("expanded_grad_unary", in -> in[0].exp().sum().add(in[0].tanh().sum()).add(in[0].pow(3f).sum()));
    }

    @Test
    void kinksFollowPyTorchsConvention() {
        golden("relu_at_zero", in -> in[0].relu());
        golden("leaky_relu_at_zero", in -> in[0].leakyRelu(0.1f));
        golden("abs_at_zero", in -> in[0].abs());
        golden("pow_zero_exponent", in -> in[0].pow(0f));
        golden("clamp_at_bounds", in -> in[0].clamp(-0.5f, 0.5f));
    }

    @Test
    void tiesGoToTheFirstMaximum() {
        golden("max_ties", in -> F.max(in[0], 1, false));
        golden("max_pool2d_ties", in -> F.maxPool2d(in[0], 2, 2));
    }
}
