package org.quadralib.core.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.quadralib.core.ops.OpCheck.check;
import static org.quadralib.core.ops.OpCheck.labels;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.quadralib.core.F;
import org.quadralib.core.Rng;
import org.quadralib.core.Tensor;

/** Pooling, batch norm (training, running statistics, evaluation), dropout, soft-max and the losses. */
class PoolNormLossOpsTest {

    @Test
    void maxPool() {
        check("max_pool2d_k2s2", in -> F.maxPool2d(in[0], 2, 2));
        check("max_pool2d_k3s2p1", in -> Pool.maxPool2d(in[0], 3, 3, 2, 2, 1, 1));
        check("max_pool2d_overlap", in -> F.maxPool2d(in[0], 2, 1));
    }

    @Test
    void avgPool() {
        check("avg_pool2d_k2s2", in -> F.avgPool2d(in[0], 2, 2));
        check("avg_pool2d_k3s2p1", in -> Pool.avgPool2d(in[0], 3, 3, 2, 2, 1, 1));
        check("avg_pool2d_rect", in -> Pool.avgPool2d(in[0], 2, 3, 1, 2, 1, 1));
    }

    @Test
    void adaptiveAvgPool() {
        check("adaptive_avg_pool2d_7to3", in -> F.adaptiveAvgPool2d(in[0], 3, 3));
        check("adaptive_avg_pool2d_5x7to2x4", in -> F.adaptiveAvgPool2d(in[0], 2, 4));
    }

    @Test
    void batchNormTraining() {
        // Inputs: x, weight, bias, running mean, running variance.
        check("batch_norm_train_2d", in -> F.batchNorm(in[0], in[3], in[4], in[1], in[2], true, 0.1f, 1e-5f));
        check("batch_norm_train_4d", in -> F.batchNorm(in[0], in[3], in[4], in[1], in[2], true, 0.1f, 1e-5f));
        check("batch_norm_train_3d_noaffine", in -> F.batchNorm(in[0], in[1], in[2], null, null, true, 0.1f, 1e-5f));
    }

    @Test
    void batchNormUpdatesRunningStatistics() {
        check("batch_norm_stats_2d", in -> {
            F.batchNorm(in[0], in[1], in[2], null, null, true, 0.1f, 1e-5f);
            return F.stack(0, in[1], in[2]);
        });
        check("batch_norm_stats_4d", in -> {
            F.batchNorm(in[0], in[1], in[2], null, null, true, 0.1f, 1e-5f);
            return F.stack(0, in[1], in[2]);
        });
    }

    @Test
    void batchNormEvaluation() {
        check("batch_norm_eval_2d", in -> F.batchNorm(in[0], in[3], in[4], in[1], in[2], false, 0.1f, 1e-5f));
        check("batch_norm_eval_4d", in -> F.batchNorm(in[0], in[3], in[4], in[1], in[2], false, 0.1f, 1e-5f));
    }

    @Test
    void dropoutIsTheIdentityInEvaluationAndAtZero() {
        check("dropout_eval", in -> F.dropout(in[0], 0.5f, false, new Rng(1)));
        check("dropout_p0", in -> F.dropout(in[0], 0f, true, new Rng(1)));
    }

    @Test
    void dropoutInTrainingZeroesAFractionPAndScalesTheRest() {
        float p = 0.3f;
        int n = 20_000;
        Tensor x = Tensor.ones(n).requiresGrad(true);
        Tensor y = F.dropout(x, p, true, new Rng(7));
        float[] v = y.toFloatArray();
        int zeros = 0;
        for (float f : v) {
            if (f == 0f) {
                zeros++;
            } else {
                assertEquals(1f / (1f - p), f, 1e-6f, "kept elements are scaled by 1/(1-p)");
            }
        }
        // Binomial(n, p): standard deviation sqrt(p(1-p)/n) ≈ 0.0032 of the fraction; allow five of them.
        assertEquals(p, zeros / (float) n, 0.016f, "fraction of zeros");
        y.sum().backward();
        assertArrayEquals(v, x.grad().toFloatArray(), "the gradient is the mask itself");
    }

    @Test
    void dropoutIsDeterministicForASeed() {
        Tensor x = Tensor.ones(1000);
        float[] a = F.dropout(x, 0.5f, true, new Rng(11)).toFloatArray();
        float[] b = F.dropout(x, 0.5f, true, new Rng(11)).toFloatArray();
        float[] c = F.dropout(x, 0.5f, true, new Rng(12)).toFloatArray();
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c), "another seed draws another mask");
        assertSame(x, F.dropout(x, 0.5f, false, new Rng(11)), "evaluation returns the input itself");
    }

    @Test
    void softmax() {
        check("softmax_dim0", in -> F.softmax(in[0], 0));
        check("softmax_dim1", in -> F.softmax(in[0], 1));
        check("softmax_dimm1", in -> F.softmax(in[0], -1));
    }

    @Test
    void logSoftmax() {
        check("log_softmax_dim0", in -> F.logSoftmax(in[0], 0));
        check("log_softmax_dim1", in -> F.logSoftmax(in[0], 1));
        check("log_softmax_dimm1", in -> F.logSoftmax(in[0], -1));
    }

    @Test
    void crossEntropy() {
        check("cross_entropy", in -> F.crossEntropy(in[0], labels(in[1])));
        check("cross_entropy_smoothing", in -> F.crossEntropy(in[0], labels(in[1]), 0.1f));
    }

    @Test
    void mseLoss() {
        check("mse_loss", in -> F.mseLoss(in[0], in[1]));
    }
}
