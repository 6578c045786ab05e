package org.quadralib.core.ops;

import static org.quadralib.core.ops.OpCheck.check;

import org.junit.jupiter.api.Test;
import org.quadralib.core.F;

/** matmul (2-D, batched, broadcast batch dimensions, vectors, transposed operands) and linear against PyTorch. */
class LinearOpsTest {

    @Test
    void matmulMatrices() {
        check("matmul_2d", in -> in[0].matmul(in[1]));
        check("matmul_transposed", in -> in[0].t().matmul(in[1]));
    }

    @Test
    void matmulBatched() {
        check("matmul_batched", in -> in[0].matmul(in[1]));
        check("matmul_broadcast_batch", in -> in[0].matmul(in[1]));
        check("matmul_batched_by_matrix", in -> in[0].matmul(in[1]));
        check("matmul_matrix_by_batched", in -> in[0].matmul(in[1]));
    }

    @Test
    void matmulVectors() {
        check("matmul_vec_mat", in -> in[0].matmul(in[1]));
        check("matmul_mat_vec", in -> in[0].matmul(in[1]));
        check("matmul_vec_vec", in -> in[0].matmul(in[1]));
        check("matmul_vec_batched", in -> in[0].matmul(in[1]));
        check("matmul_batched_vec", in -> in[0].matmul(in[1]));
    }

    @Test
    void linear() {
        check("linear_bias", in -> F.linear(in[0], in[1], in[2]));
        check("linear_nobias", in -> F.linear(in[0], in[1], null));
        check("linear_3d_bias", in -> F.linear(in[0], in[1], in[2]));
        check("linear_3d_nobias", in -> F.linear(in[0], in[1], null));
    }
}
