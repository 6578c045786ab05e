package org.quadralib.core.ops;

import static org.quadralib.core.ops.OpCheck.check;

import org.junit.jupiter.api.Test;
import org.quadralib.core.F;

/** Sum, mean, max, variance and argmax over dimensions, with and without keepDim, against PyTorch. */
class ReduceOpsTest {

    @Test
    void sum() {
        check("sum_all", in -> in[0].sum());
        check("sum_dim1", in -> in[0].sum(new int[] {1}, false));
        check("sum_dims02_keepdim", in -> in[0].sum(new int[] {0, 2}, true));
        check("sum_neg_dim", in -> in[0].sum(new int[] {-1}, false));
        check("sum_all_dims_keepdim", in -> in[0].sum(new int[] {0, 1, 2}, true));
    }

    @Test
    void mean() {
        check("mean_all", in -> in[0].mean());
        check("mean_dim1_keepdim", in -> in[0].mean(new int[] {1}, true));
        check("mean_dims01", in -> in[0].mean(new int[] {0, 1}, false));
    }

    @Test
    void max() {
        check("max_dim1", in -> F.max(in[0], 1, false));
        check("max_dim0_keepdim", in -> F.max(in[0], 0, true));
        check("max_last_dim", in -> F.max(in[0], -1, false));
    }

    @Test
    void var() {
        check("var_dim1_unbiased", in -> F.var(in[0], new int[] {1}, true, false));
        check("var_all_biased", in -> F.var(in[0], null, false, false));
        check("var_dims02_keepdim", in -> F.var(in[0], new int[] {0, 2}, true, true));
    }

    @Test
    void argmaxIsForwardOnly() {
        check("argmax_dim1", in -> F.argmax(in[0], 1, false));
        check("argmax_dim0_keepdim", in -> F.argmax(in[0], 0, true));
    }
}
