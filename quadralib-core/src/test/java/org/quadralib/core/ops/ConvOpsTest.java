package org.quadralib.core.ops;

import static org.quadralib.core.ops.OpCheck.check;

import org.junit.jupiter.api.Test;
import org.quadralib.core.F;
import org.quadralib.core.Tensor;

/** conv2d with stride, padding, dilation, groups, depthwise and 1×1 kernels, with and without bias, against PyTorch. */
class ConvOpsTest {

    private static Tensor conv(Tensor[] in, int[] stride, int[] padding, int[] dilation, int groups) {
        return F.conv2d(in[0], in[1], in.length > 2 ? in[2] : null, stride, padding, dilation, groups);
    }

    private static int[] pair(int a, int b) {
        return new int[] {a, b};
    }

    @Test
    void plain() {
        check("conv2d_basic", in -> conv(in, pair(1, 1), pair(0, 0), pair(1, 1), 1));
    }

    @Test
    void strideAndPadding() {
        check("conv2d_stride_pad", in -> conv(in, pair(2, 2), pair(1, 1), pair(1, 1), 1));
        check("conv2d_rect", in -> conv(in, pair(2, 1), pair(1, 0), pair(1, 1), 1));
    }

    @Test
    void dilation() {
        check("conv2d_dilation", in -> conv(in, pair(1, 1), pair(2, 2), pair(2, 2), 1));
    }

    @Test
    void groups() {
        check("conv2d_groups2", in -> conv(in, pair(1, 1), pair(1, 1), pair(1, 1), 2));
        check("conv2d_depthwise", in -> conv(in, pair(1, 1), pair(1, 1), pair(1, 1), 3));
    }

    @Test
    void pointwise() {
        check("conv2d_1x1", in -> conv(in, pair(1, 1), pair(0, 0), pair(1, 1), 1));
        check("conv2d_1x1_nobias", in -> conv(in, pair(1, 1), pair(0, 0), pair(1, 1), 1));
        check("conv2d_1x1_stride2", in -> conv(in, pair(2, 2), pair(0, 0), pair(1, 1), 1));
    }
}
