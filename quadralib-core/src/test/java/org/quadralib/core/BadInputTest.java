package org.quadralib.core;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Misuse fails fast with a message that names the op and the offending shapes or value. */
class BadInputTest {

    private static void fails(Class<? extends Throwable> type, Executable call, String... mustContain) {
        Throwable e = assertThrows(type, call);
        for (String s : mustContain) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(s), "message should contain '" + s + "': " + e.getMessage());
        }
    }

    private static void fails(Executable call, String... mustContain) {
        fails(IllegalArgumentException.class, call, mustContain);
    }

    @Test
    void elementwiseShapesThatDoNotBroadcast() {
        fails(() -> Tensor.zeros(2, 3).add(Tensor.zeros(4)), "add", "[2, 3]", "[4]");
        fails(() -> Tensor.zeros(2, 3).mul(Tensor.zeros(3, 3)), "mul", "[2, 3]", "[3, 3]");
        fails(() -> F.where(Tensor.zeros(2), Tensor.zeros(3), Tensor.zeros(3)), "where", "[2]", "[3]");
        fails(() -> F.mseLoss(Tensor.zeros(2, 3), Tensor.zeros(3, 2)), "mse_loss", "[2, 3]", "[3, 2]");
    }

    @Test
    void matmulAndLinear() {
        fails(() -> Tensor.zeros(2, 3).matmul(Tensor.zeros(4, 5)), "matmul", "[2, 3]", "[4, 5]");
        fails(() -> Tensor.zeros(2, 3, 4).matmul(Tensor.zeros(3, 4, 5)), "matmul", "[2, 3, 4]", "[3, 4, 5]");
        fails(() -> Tensor.scalar(1f).matmul(Tensor.zeros(3)), "matmul", "[]", "[3]");
        fails(() -> F.linear(Tensor.zeros(2, 3), Tensor.zeros(4, 5), null), "linear", "[2, 3]", "[4, 5]");
        fails(() -> F.linear(Tensor.zeros(2, 5), Tensor.zeros(4, 5), Tensor.zeros(3)), "linear", "bias", "[4]", "[3]");
    }

    @Test
    void conv2d() {
        int[] one = {1, 1};
        int[] zero = {0, 0};
        fails(() -> F.conv2d(Tensor.zeros(1, 3, 5, 5), Tensor.zeros(4, 2, 3, 3), null, one, zero, one, 1),
                "conv2d", "[1, 3, 5, 5]", "[4, 2, 3, 3]");
        fails(() -> F.conv2d(Tensor.zeros(3, 5, 5), Tensor.zeros(4, 3, 3, 3), null, one, zero, one, 1), "conv2d", "[3, 5, 5]");
        fails(() -> F.conv2d(Tensor.zeros(1, 4, 5, 5), Tensor.zeros(4, 2, 3, 3), null, one, zero, one, 3), "conv2d", "groups 3");
        fails(() -> F.conv2d(Tensor.zeros(1, 3, 5, 5), Tensor.zeros(4, 3, 3, 3), Tensor.zeros(3), one, zero, one, 1),
                "conv2d", "bias", "[4]", "[3]");
        fails(() -> F.conv2d(Tensor.zeros(1, 3, 2, 2), Tensor.zeros(4, 3, 3, 3), null, one, zero, one, 1), "conv2d", "2x2", "3x3");
    }

    @Test
    void catAndStack() {
        fails(() -> F.cat(1, Tensor.zeros(2, 3), Tensor.zeros(3, 3)), "cat", "[2, 3]", "[3, 3]");
        fails(() -> F.cat(0, Tensor.zeros(2, 3), Tensor.zeros(3)), "cat", "[2, 3]", "[3]");
        fails(() -> F.stack(0, Tensor.zeros(2, 3), Tensor.zeros(2, 2)), "stack", "[2, 3]", "[2, 2]");
    }

    @Test
    void batchNorm() {
        Tensor x = Tensor.zeros(4, 3);
        fails(() -> F.batchNorm(x, Tensor.zeros(3), Tensor.ones(3), Tensor.ones(4), null, true, 0.1f, 1e-5f),
                "batch_norm", "weight", "[3]", "[4]", "[4, 3]");
        fails(() -> F.batchNorm(Tensor.zeros(1, 3), Tensor.zeros(3), Tensor.ones(3), null, null, true, 0.1f, 1e-5f),
                "batch_norm", "[1, 3]");
        fails(() -> F.batchNorm(Tensor.zeros(4), null, null, null, null, true, 0.1f, 1e-5f), "batch_norm", "[4]");
        fails(() -> F.batchNorm(x, null, null, null, null, false, 0.1f, 1e-5f), "batch_norm", "running");
    }

    @Test
    void crossEntropy() {
        Tensor logits = Tensor.zeros(3, 4);
        fails(() -> F.crossEntropy(logits, new int[] {0, 7, 1}), "cross_entropy", "label 7", "position 1", "[0, 4)");
        fails(() -> F.crossEntropy(logits, new int[] {0, -1, 1}), "cross_entropy", "label -1");
        fails(() -> F.crossEntropy(logits, new int[] {0, 1}), "cross_entropy", "2 labels", "[3, 4]");
        fails(() -> F.crossEntropy(Tensor.zeros(3), new int[] {0, 1, 2}), "cross_entropy", "[3]");
        fails(() -> F.crossEntropy(logits, new int[] {0, 1, 2}, 1.5f), "cross_entropy", "1.5");
    }

    @Test
    void poolingAndOtherParameters() {
        fails(() -> F.maxPool2d(Tensor.zeros(2, 4, 4), 2, 2), "max_pool2d", "[2, 4, 4]");
        fails(() -> F.avgPool2d(Tensor.zeros(1, 1, 2, 2), 3, 1), "avg_pool2d", "[1, 1, 2, 2]", "3x3");
        fails(() -> F.adaptiveAvgPool2d(Tensor.zeros(1, 1, 4, 4), 0, 2), "adaptive_avg_pool2d", "[1, 1, 4, 4]");
        fails(() -> F.dropout(Tensor.zeros(2), 1f, true, new Rng(1)), "dropout", "1.0");
        fails(() -> Tensor.zeros(2).clamp(1f, -1f), "clamp", "1.0", "-1.0");
    }

    @Test
    void invalidDimensions() {
        Tensor x = Tensor.zeros(2, 3);
        fails(() -> x.sum(new int[] {2}, false), "sum", "dimension 2", "rank 2");
        fails(() -> x.sum(new int[] {1, -1}, false), "sum", "repeated");
        fails(() -> F.softmax(x, -3), "softmax", "dimension -3");
        fails(() -> F.max(x, 5, false), "max", "dimension 5");
        fails(() -> x.transpose(0, 2), "transpose", "dimension 2");
        fails(() -> x.permute(0, 0), "permute", "repeated");
        fails(() -> x.permute(0), "permute", "[2, 3]");
        fails(() -> x.narrow(1, 2, 2), "narrow", "[2, 3]");
        fails(() -> x.unsqueeze(4), "unsqueeze", "dimension 4");
        fails(() -> F.cat(2, x, x), "cat", "dimension 2");
    }

    @Test
    void shapesThatDoNotFit() {
        Tensor x = Tensor.zeros(2, 3);
        fails(() -> x.reshape(4), "reshape", "[2, 3]", "[4]");
        fails(() -> x.reshape(-1, -1), "reshape", "more than one -1");
        fails(() -> x.expand(4, 3, 2), "expand", "[2, 3]", "[4, 3, 2]");
        fails(() -> x.expand(-1, 2, 3), "expand", "[-1, 2, 3]", "-1");
        fails(() -> Tensor.of(new float[5], 2, 3), "Tensor.of", "5", "[2, 3]");
        fails(IllegalStateException.class, x::item, "item", "[2, 3]");
        fails(IndexOutOfBoundsException.class, () -> x.get(2, 0), "[2, 0]", "[2, 3]");
    }

    @Test
    void nonFloatDataNamesTheElementType() {
        fails(() -> Tensor.of(new double[] {1, 2, 3}), "Tensor.of", "double");
        fails(() -> Tensor.of(new int[][] {{1, 2}, {3, 4}}), "Tensor.of", "int");
        fails(() -> Tensor.of(new float[][] {{1, 2}, {3}}), "Tensor.of", "ragged");
    }

    @Test
    void backwardMisuse() {
        Tensor x = Tensor.zeros(2, 3).requiresGrad(true);
        Tensor y = x.mul(2f);
        fails(IllegalStateException.class, y::backward, "backward", "[2, 3]", "seed");
        fails(() -> y.backward(Tensor.ones(3, 2)), "backward", "[3, 2]", "[2, 3]");
        fails(IllegalStateException.class, () -> y.requiresGrad(false), "'mul'", "detach");
        fails(() -> x.setGrad(Tensor.zeros(3)), "setGrad", "[3]", "[2, 3]");
    }
}
