package org.quadralib.core.ops;

import static org.quadralib.core.ops.OpCheck.check;

import org.junit.jupiter.api.Test;
import org.quadralib.core.F;

/**
 * Rank-0 and rank-1 operands, and ops where only some inputs need a gradient: each op must skip the gradients
 * nobody asked for and still get the others right.
 */
class PartialGradOpsTest {

    private static final int[] ONE = {1, 1};
    private static final int[] ZERO = {0, 0};

    @Test
    void rankZeroAndVectors() {
        check("mul_rank0", in -> in[0].mul(in[1]));
        check("add_rank0_rank0", in -> in[0].add(in[1]));
        check("max_vector", in -> F.max(in[0], 0, false));
        check("sum_vector_keepdim", in -> in[0].sum(new int[] {0}, true));
        check("softmax_vector", in -> F.softmax(in[0], 0));
        check("linear_1d", in -> F.linear(in[0], in[1], in[2]));
    }

    @Test
    void linearAndMatmulWithConstants() {
        check("linear_const_weight", in -> F.linear(in[0], in[1], in[2]));
        check("linear_bias_only", in -> F.linear(in[0], in[1], in[2]));
        check("linear_weight_only", in -> F.linear(in[0], in[1], null));
        check("matmul_const_left", in -> in[0].matmul(in[1]));
        check("matmul_batched_const_right", in -> in[0].matmul(in[1]));
    }

    @Test
    void conv2dWithConstants() {
        check("conv2d_const_weight", in -> F.conv2d(in[0], in[1], null, ONE, ONE, ONE, 1));
        check("conv2d_bias_only", in -> F.conv2d(in[0], in[1], in[2], new int[] {2, 2}, ONE, ONE, 1));
        check("conv2d_weight_only", in -> F.conv2d(in[0], in[1], null, ONE, ZERO, ONE, 2));
    }

    @Test
    void batchNormWithConstants() {
        check("batch_norm_affine_only", in -> F.batchNorm(in[0], null, null, in[1], in[2], true, 0.1f, 1e-5f));
        check("batch_norm_input_only", in -> F.batchNorm(in[0], null, null, in[1], in[2], true, 0.1f, 1e-5f));
    }

    @Test
    void elementwiseWithConstants() {
        check("div_const_numerator", in -> in[0].div(in[1]));
        check("mul_const_right", in -> in[0].mul(in[1]));
        check("where_const_branch", in -> F.where(in[0], in[1], in[2]));
        check("cat_const_part", in -> F.cat(0, in[0], in[1]));
    }
}
