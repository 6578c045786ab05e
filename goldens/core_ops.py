"""PyTorch golden fixtures for quadralib-core's ops, views and optimizers.

Run from anywhere with Debian's torch (not the python3 on PATH):

    /usr/bin/python3 goldens/core_ops.py

Writes quadralib-core/src/test/resources/golden/<case>.safetensors, read by the tests under
quadralib-core/src/test/java/org/quadralib/core/ (ops/*OpsTest, ViewOpsTest, optim/OptimizerTest). Every case
seeds torch from its own name, so adding or removing a case leaves the others' numbers unchanged. Inputs of ops
with kinks (relu, abs, clamp, max, max-pooling) are kept well away from the kinks and from ties, so the Java
side's central finite differences (eps 1e-2) see a smooth function; the kinks_and_ties() cases sit exactly on
them and are compared with PyTorch only. Inputs without a gradient (constants, masks, class labels as floats) are
saved as in.<i> without a grad.<i>.
"""
import json
import os
import sys
import zlib

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "quadralib-core", "src", "test", "resources",
                   "golden")


def seed(name):
    torch.manual_seed(zlib.crc32(name.encode("utf-8")))


def case(name, fn, make_inputs, params=None):
    """Seeds from `name`, builds the inputs, and writes the case with st.case."""
    seed(name)
    st.case(os.path.join(OUT, name + ".safetensors"), fn, make_inputs(), params)


def rn(*shape):
    """Standard normal, differentiable."""
    return torch.randn(*shape).requires_grad_(True)


def pos(*shape):
    """Uniform in [0.5, 2), differentiable: for log, sqrt, pow(0.5) and divisors."""
    return (torch.rand(*shape) * 1.5 + 0.5).requires_grad_(True)


def away(*shape, kinks=(0.0,), gap=0.1):
    """Normal values at least `gap` away from every kink, differentiable: for ops with a kink there."""
    x = torch.randn(*shape)
    for k in kinks:
        d = x - k
        x = torch.where(d.abs() < gap, k + gap * torch.where(d >= 0, 1.0, -1.0), x)
    return x.requires_grad_(True)


def distinct(*shape, step=0.1):
    """A random permutation of evenly spaced values (spacing `step`), differentiable: no near-ties for max."""
    n = 1
    for s in shape:
        n *= s
    x = (torch.randperm(n).to(torch.float32) - n / 2) * step
    return x.reshape(*shape).requires_grad_(True)


def const(t):
    """The same values as a constant: PyTorch computes no gradient for it and the Java side marks none."""
    return t.detach().requires_grad_(False)


# ------------------------------------------------------------------------------------------------ element-wise

def elementwise():
    case("add_same", torch.add, lambda: [rn(2, 3), rn(2, 3)])
    case("add_broadcast", torch.add, lambda: [rn(2, 3, 4), rn(3, 1)])
    case("add_scalar_like", torch.add, lambda: [rn(2, 3), rn(1)])
    case("sub_broadcast", torch.sub, lambda: [rn(2, 3, 4), rn(4)])
    case("sub_broadcast_left", torch.sub, lambda: [rn(3, 1), rn(2, 3, 4)])
    case("mul_broadcast", torch.mul, lambda: [rn(2, 3, 4), rn(3, 1)])
    case("mul_scalar_like", torch.mul, lambda: [rn(2, 3), rn(1)])
    case("mul_outer", torch.mul, lambda: [rn(3, 1), rn(1, 4)])
    case("div_broadcast", torch.div, lambda: [rn(2, 3, 4), pos(3, 1)])
    case("div_scalar_like", torch.div, lambda: [pos(1), pos(2, 3)])
    case("add_scalar", lambda x: x + 0.5, lambda: [rn(2, 3)], {"value": 0.5})
    case("mul_scalar", lambda x: x * -1.5, lambda: [rn(2, 3)], {"value": -1.5})
    case("div_scalar", lambda x: x / 4.0, lambda: [rn(2, 3)], {"value": 4.0})
    case("neg", torch.neg, lambda: [rn(2, 3)])
    case("pow2", lambda x: x.pow(2), lambda: [rn(2, 3)], {"exponent": 2})
    case("pow3", lambda x: x.pow(3), lambda: [rn(2, 3)], {"exponent": 3})
    case("pow_half", lambda x: x.pow(0.5), lambda: [pos(2, 3)], {"exponent": 0.5})
    case("exp", torch.exp, lambda: [rn(2, 3)])
    case("log", torch.log, lambda: [pos(2, 3)])
    case("sqrt", torch.sqrt, lambda: [pos(2, 3)])
    case("abs", torch.abs, lambda: [away(2, 3)])
    case("clamp", lambda x: torch.clamp(x, -0.5, 0.5), lambda: [away(3, 4, kinks=(-0.5, 0.5), gap=0.05)],
         {"min": -0.5, "max": 0.5})
    case("relu", F.relu, lambda: [away(3, 4)])
    case("leaky_relu", lambda x: F.leaky_relu(x, 0.1), lambda: [away(3, 4)], {"slope": 0.1})
    case("sigmoid", torch.sigmoid, lambda: [rn(3, 4)])
    case("tanh", torch.tanh, lambda: [rn(3, 4)])
    case("gelu", F.gelu, lambda: [rn(3, 4) * 2], {"approximate": "none"})
    # The mask is a float 0/1 tensor (QuadraLib's where takes mask != 0); it broadcasts, as do both branches.
    case("where", lambda m, a, b: torch.where(m != 0, a, b),
         lambda: [const((torch.rand(2, 3, 1) > 0.5).float()), rn(2, 3, 4), rn(4)])
    case("cat_dim1", lambda a, b: torch.cat([a, b], 1), lambda: [rn(2, 3), rn(2, 2)], {"dim": 1})
    case("cat_dim0_3d", lambda a, b, c: torch.cat([a, b, c], 0), lambda: [rn(1, 2, 3), rn(2, 2, 3), rn(1, 2, 3)],
         {"dim": 0})
    case("cat_neg_dim", lambda a, b: torch.cat([a, b], -1), lambda: [rn(2, 3, 1), rn(2, 3, 2)], {"dim": -1})
    case("stack_dim0", lambda a, b: torch.stack([a, b], 0), lambda: [rn(2, 3), rn(2, 3)], {"dim": 0})
    case("stack_neg_dim", lambda a, b, c: torch.stack([a, b, c], -1), lambda: [rn(2, 3), rn(2, 3), rn(2, 3)],
         {"dim": -1})


# ------------------------------------------------------------------------------------------------ reductions

def reductions():
    case("sum_all", torch.sum, lambda: [rn(2, 3, 4)])
    case("sum_dim1", lambda x: x.sum(1), lambda: [rn(2, 3, 4)], {"dims": [1]})
    case("sum_dims02_keepdim", lambda x: x.sum((0, 2), keepdim=True), lambda: [rn(2, 3, 4)], {"dims": [0, 2]})
    case("sum_neg_dim", lambda x: x.sum(-1), lambda: [rn(2, 3, 4)], {"dims": [-1]})
    case("sum_all_dims_keepdim", lambda x: x.sum((0, 1, 2), keepdim=True), lambda: [rn(2, 3, 4)])
    case("mean_all", torch.mean, lambda: [rn(2, 3, 4)])
    case("mean_dim1_keepdim", lambda x: x.mean(1, keepdim=True), lambda: [rn(2, 3, 4)], {"dims": [1]})
    case("mean_dims01", lambda x: x.mean((0, 1)), lambda: [rn(2, 3, 4)], {"dims": [0, 1]})
    case("max_dim1", lambda x: x.max(1).values, lambda: [distinct(2, 3, 4)], {"dim": 1})
    case("max_dim0_keepdim", lambda x: x.max(0, keepdim=True).values, lambda: [distinct(3, 4)], {"dim": 0})
    case("max_last_dim", lambda x: x.max(-1).values, lambda: [distinct(2, 3, 4)], {"dim": -1})
    case("var_dim1_unbiased", lambda x: x.var(1, unbiased=True), lambda: [rn(3, 5)], {"dims": [1]})
    case("var_all_biased", lambda x: x.var(unbiased=False), lambda: [rn(3, 4)])
    case("var_dims02_keepdim", lambda x: x.var((0, 2), unbiased=True, keepdim=True), lambda: [rn(2, 3, 4)],
         {"dims": [0, 2]})
    case("argmax_dim1", lambda x: x.argmax(1).float(), lambda: [const(distinct(3, 5))], {"dim": 1})
    case("argmax_dim0_keepdim", lambda x: x.argmax(0, keepdim=True).float(), lambda: [const(distinct(4, 3))],
         {"dim": 0})


# ------------------------------------------------------------------------------------------------ matmul and linear

def linear():
    case("matmul_2d", torch.matmul, lambda: [rn(3, 4), rn(4, 5)])
    case("matmul_batched", torch.matmul, lambda: [rn(2, 3, 4), rn(2, 4, 5)])
    case("matmul_broadcast_batch", torch.matmul, lambda: [rn(2, 1, 3, 4), rn(3, 4, 2)])
    case("matmul_batched_by_matrix", torch.matmul, lambda: [rn(2, 3, 4), rn(4, 5)])
    case("matmul_matrix_by_batched", torch.matmul, lambda: [rn(3, 4), rn(2, 4, 5)])
    case("matmul_vec_mat", torch.matmul, lambda: [rn(4), rn(4, 5)])
    case("matmul_mat_vec", torch.matmul, lambda: [rn(3, 4), rn(4)])
    case("matmul_vec_vec", torch.matmul, lambda: [rn(4), rn(4)])
    case("matmul_vec_batched", torch.matmul, lambda: [rn(4), rn(2, 4, 3)])
    case("matmul_batched_vec", torch.matmul, lambda: [rn(2, 3, 4), rn(4)])
    case("matmul_transposed", lambda a, b: a.t().matmul(b), lambda: [rn(4, 3), rn(4, 5)])
    case("linear_bias", F.linear, lambda: [rn(3, 4), rn(5, 4), rn(5)])
    case("linear_nobias", F.linear, lambda: [rn(3, 4), rn(5, 4)])
    case("linear_3d_bias", F.linear, lambda: [rn(2, 3, 4), rn(5, 4), rn(5)])
    case("linear_3d_nobias", F.linear, lambda: [rn(2, 3, 4), rn(5, 4)])


# ------------------------------------------------------------------------------------------------ convolution

def conv(name, x, w, bias, stride, padding, dilation, groups):
    params = {"stride": list(stride), "padding": list(padding), "dilation": list(dilation), "groups": groups,
              "bias": bias}
    if bias:
        case(name, lambda xx, ww, bb: F.conv2d(xx, ww, bb, stride, padding, dilation, groups),
             lambda: [rn(*x), rn(*w), rn(w[0])], params)
    else:
        case(name, lambda xx, ww: F.conv2d(xx, ww, None, stride, padding, dilation, groups),
             lambda: [rn(*x), rn(*w)], params)


def convolutions():
    conv("conv2d_basic", (2, 3, 6, 6), (4, 3, 3, 3), True, (1, 1), (0, 0), (1, 1), 1)
    conv("conv2d_stride_pad", (2, 3, 7, 7), (4, 3, 3, 3), True, (2, 2), (1, 1), (1, 1), 1)
    conv("conv2d_dilation", (1, 2, 7, 7), (3, 2, 3, 3), False, (1, 1), (2, 2), (2, 2), 1)
    conv("conv2d_groups2", (2, 4, 5, 5), (6, 2, 3, 3), True, (1, 1), (1, 1), (1, 1), 2)
    conv("conv2d_depthwise", (2, 3, 5, 5), (6, 1, 3, 3), True, (1, 1), (1, 1), (1, 1), 3)
    conv("conv2d_1x1", (2, 3, 4, 4), (5, 3, 1, 1), True, (1, 1), (0, 0), (1, 1), 1)
    conv("conv2d_1x1_nobias", (2, 3, 4, 4), (5, 3, 1, 1), False, (1, 1), (0, 0), (1, 1), 1)
    conv("conv2d_1x1_stride2", (2, 3, 5, 5), (4, 3, 1, 1), True, (2, 2), (0, 0), (1, 1), 1)
    conv("conv2d_rect", (2, 2, 6, 5), (3, 2, 2, 3), False, (2, 1), (1, 0), (1, 1), 1)


# ------------------------------------------------------------------------------------------------ pooling, norm, loss

def pooling():
    case("max_pool2d_k2s2", lambda x: F.max_pool2d(x, 2, 2), lambda: [distinct(2, 2, 4, 4)],
         {"kernel": [2, 2], "stride": [2, 2], "padding": [0, 0]})
    case("max_pool2d_k3s2p1", lambda x: F.max_pool2d(x, 3, 2, 1), lambda: [distinct(2, 2, 5, 5)],
         {"kernel": [3, 3], "stride": [2, 2], "padding": [1, 1]})
    case("max_pool2d_overlap", lambda x: F.max_pool2d(x, 2, 1), lambda: [distinct(1, 2, 4, 4)],
         {"kernel": [2, 2], "stride": [1, 1], "padding": [0, 0]})
    case("avg_pool2d_k2s2", lambda x: F.avg_pool2d(x, 2, 2), lambda: [rn(2, 2, 4, 4)],
         {"kernel": [2, 2], "stride": [2, 2], "padding": [0, 0]})
    case("avg_pool2d_k3s2p1", lambda x: F.avg_pool2d(x, 3, 2, 1), lambda: [rn(2, 2, 5, 5)],
         {"kernel": [3, 3], "stride": [2, 2], "padding": [1, 1], "count_include_pad": True})
    case("avg_pool2d_rect", lambda x: F.avg_pool2d(x, (2, 3), (1, 2), (1, 1)), lambda: [rn(1, 2, 4, 6)],
         {"kernel": [2, 3], "stride": [1, 2], "padding": [1, 1], "count_include_pad": True})
    case("adaptive_avg_pool2d_7to3", lambda x: F.adaptive_avg_pool2d(x, 3), lambda: [rn(2, 2, 7, 7)],
         {"out": [3, 3]})
    case("adaptive_avg_pool2d_5x7to2x4", lambda x: F.adaptive_avg_pool2d(x, (2, 4)), lambda: [rn(1, 2, 5, 7)],
         {"out": [2, 4]})


def batch_norms():
    # The running statistics are updated in place; the functions work on copies because st.case saves the
    # inputs after running the function, and the fixtures must hold the statistics before the update.
    def train_affine(x, w, b, rm, rv):
        return F.batch_norm(x, rm.clone(), rv.clone(), w, b, training=True, momentum=0.1, eps=1e-5)

    def train_stats(x, rm, rv):
        rm, rv = rm.clone(), rv.clone()
        F.batch_norm(x, rm, rv, None, None, training=True, momentum=0.1, eps=1e-5)
        return torch.stack([rm, rv])

    def evaluate(x, w, b, rm, rv):
        return F.batch_norm(x, rm, rv, w, b, training=False, momentum=0.1, eps=1e-5)

    def running():
        return [const(torch.randn(3) * 0.5), const(torch.rand(3) + 0.5)]

    bn = {"momentum": 0.1, "eps": 1e-5}
    case("batch_norm_train_2d", train_affine, lambda: [rn(6, 3) * 2 + 1, rn(3), rn(3)] + running(), bn)
    case("batch_norm_train_4d", train_affine, lambda: [rn(2, 3, 2, 2) * 2 + 1, rn(3), rn(3)] + running(), bn)
    case("batch_norm_train_3d_noaffine",
         lambda x, rm, rv: F.batch_norm(x, rm.clone(), rv.clone(), None, None, training=True, momentum=0.1, eps=1e-5),
         lambda: [rn(4, 3, 5)] + running(), bn)
    # The running statistics after one training step: momentum-weighted with the unbiased batch variance.
    case("batch_norm_stats_2d", train_stats, lambda: [const(torch.randn(6, 3) * 2 + 1)] + running(), bn)
    case("batch_norm_stats_4d", train_stats, lambda: [const(torch.randn(2, 3, 2, 2) * 2 + 1)] + running(), bn)
    case("batch_norm_eval_2d", evaluate, lambda: [rn(4, 3), rn(3), rn(3)] + running(), bn)
    case("batch_norm_eval_4d", evaluate, lambda: [rn(2, 3, 2, 2), rn(3), rn(3)] + running(), bn)


def losses():
    case("dropout_eval", lambda x: F.dropout(x, 0.5, training=False), lambda: [rn(3, 4)], {"p": 0.5})
    case("dropout_p0", lambda x: F.dropout(x, 0.0, training=True), lambda: [rn(3, 4)], {"p": 0.0})
    for dim, tag in ((0, "dim0"), (1, "dim1"), (-1, "dimm1")):
        case("softmax_" + tag, lambda x, d=dim: F.softmax(x, d), lambda: [rn(3, 4, 5)], {"dim": dim})
        case("log_softmax_" + tag, lambda x, d=dim: F.log_softmax(x, d), lambda: [rn(3, 4, 5)], {"dim": dim})
    # Labels travel as a float tensor (in.1, no gradient); the Java test converts them to int[].
    case("cross_entropy", lambda x, lab: F.cross_entropy(x, lab.long()),
         lambda: [rn(5, 4) * 2, const(torch.tensor([0., 3., 1., 3., 2.]))], {"label_smoothing": 0.0})
    case("cross_entropy_smoothing", lambda x, lab: F.cross_entropy(x, lab.long(), label_smoothing=0.1),
         lambda: [rn(5, 4) * 2, const(torch.tensor([2., 0., 1., 3., 2.]))], {"label_smoothing": 0.1})
    case("mse_loss", F.mse_loss, lambda: [rn(3, 4), rn(3, 4)])


# ------------------------------------------------------------------------------------------------ views

def views():
    # Each view is followed by tanh, whose derivative differs per element, so a gradient routed to the wrong
    # element shows up.
    case("view_reshape", lambda x: x.reshape(4, 6).tanh(), lambda: [rn(2, 3, 4)])
    case("view_reshape_infer", lambda x: x.reshape(3, -1).tanh(), lambda: [rn(2, 3, 4)])
    case("view_reshape_noncontiguous", lambda x: x.transpose(0, 1).reshape(3, 8).tanh(), lambda: [rn(2, 3, 4)])
    case("view_permute", lambda x: x.permute(2, 0, 1).tanh(), lambda: [rn(2, 3, 4)])
    case("view_transpose", lambda x: x.transpose(0, 2).tanh(), lambda: [rn(2, 3, 4)])
    case("view_t", lambda x: x.t().tanh(), lambda: [rn(3, 4)])
    case("view_narrow", lambda x: x.narrow(1, 1, 2).tanh(), lambda: [rn(2, 4, 3)])
    case("view_expand", lambda x: x.expand(2, 3, 4).tanh(), lambda: [rn(3, 1)])
    case("view_squeeze", lambda x: x.squeeze(1).tanh(), lambda: [rn(2, 1, 3)])
    case("view_unsqueeze", lambda x, w: x.unsqueeze(-1).mul(w).tanh(), lambda: [rn(2, 3), rn(4)])
    case("view_flatten", lambda x: x.flatten(1).tanh(), lambda: [rn(2, 3, 2, 2)])
    case("view_contiguous", lambda x: x.t().contiguous().tanh(), lambda: [rn(3, 4)])
    case("view_chain", lambda x: x.permute(1, 0, 2).narrow(0, 1, 2).reshape(-1).tanh(), lambda: [rn(2, 3, 4)])
    case("view_narrow_matmul", lambda x, w: x.narrow(1, 1, 3).matmul(w).tanh(), lambda: [rn(2, 5), rn(3, 2)])


# ------------------------------------------------------------------------------------------------ layouts

def offset_views():
    """Ops whose inputs are contiguous views that start at a non-zero offset (x.narrow(0, ...) of a bigger tensor)."""
    def tail(x, start=1):
        return x.narrow(0, start, x.shape[0] - start)

    case("offset_elementwise",
         lambda x, y: (tail(x).exp() * tail(y) + tail(x).sigmoid() - tail(y).tanh()) / (tail(x).pow(2) + 1)
         + F.gelu(tail(y)) + tail(x).log_softmax(1),
         lambda: [rn(3, 4), rn(3, 4)])
    case("offset_reduce",
         lambda x: torch.cat([tail(x).sum(-1), tail(x).max(-1).values, tail(x).var(-1), tail(x).mean(1)], -1),
         lambda: [distinct(3, 4, 4)])
    case("offset_softmax", lambda x: F.softmax(tail(x), -1) * F.log_softmax(tail(x), 1), lambda: [rn(3, 4, 5)])
    case("offset_cross_entropy", lambda x, lab: F.cross_entropy(tail(x, 2), lab.long(), label_smoothing=0.1),
         lambda: [rn(6, 4), const(torch.tensor([1., 0., 3., 3.]))])
    case("offset_linear", lambda x, w, b: F.linear(tail(x), tail(w, 2), tail(b, 2)),
         lambda: [rn(4, 3), rn(6, 3), rn(6)])
    case("offset_matmul", lambda a, b: tail(a).matmul(tail(b)), lambda: [rn(3, 2, 3), rn(3, 3, 2)])
    case("offset_conv2d", lambda x, w, b: F.conv2d(tail(x), tail(w), tail(b), 1, 1),
         lambda: [rn(3, 2, 5, 5), rn(4, 2, 3, 3), rn(4)])
    case("offset_pool",
         lambda x: F.max_pool2d(tail(x), 2, 2) + F.avg_pool2d(tail(x), 2, 2) + F.adaptive_avg_pool2d(tail(x), 2),
         lambda: [distinct(3, 2, 4, 4)])
    case("offset_batch_norm",
         lambda x, w, b, rm, rv: F.batch_norm(tail(x), tail(rm).clone(), tail(rv).clone(), tail(w), tail(b), True),
         lambda: [rn(7, 3), rn(4), rn(4), const(torch.randn(4)), const(torch.rand(4) + 0.5)])

    def offset_stats(x, rm, rv):
        rm, rv = rm.clone(), rv.clone()
        F.batch_norm(x, tail(rm), tail(rv), None, None, True, 0.1, 1e-5)
        return torch.stack([rm, rv])

    case("offset_batch_norm_stats", offset_stats,
         lambda: [const(torch.randn(5, 3)), const(torch.randn(4)), const(torch.rand(4) + 0.5)])
    case("offset_where_cat",
         lambda m, x, y: torch.cat([torch.where(tail(m) != 0, tail(x), tail(y)), tail(x)], 1),
         lambda: [const((torch.rand(3, 4) > 0.5).float()), rn(3, 4), rn(3, 4)])


def strided_gradients():
    """Ops whose output gradient arrives as a permuted, narrowed or broadcast (stride 0) view."""
    case("strided_grad_linear", lambda x, w, b: F.linear(x, w, b).t().tanh(), lambda: [rn(3, 4), rn(5, 4), rn(5)])
    case("strided_grad_softmax", lambda x: F.softmax(x, 1).transpose(0, 1).narrow(0, 1, 2).tanh(),
         lambda: [rn(3, 4)])
    case("strided_grad_conv2d", lambda x, w: F.conv2d(x, w, None, 1, 1).permute(0, 2, 3, 1).tanh(),
         lambda: [rn(2, 2, 4, 4), rn(3, 2, 3, 3)])
    case("strided_grad_batch_norm", lambda x, w, b: F.batch_norm(x, None, None, w, b, True).t().tanh(),
         lambda: [rn(5, 3), rn(3), rn(3)])
    case("strided_grad_max_pool2d", lambda x: F.max_pool2d(x, 2, 2).transpose(2, 3).tanh(),
         lambda: [distinct(1, 2, 4, 4)])
    case("expanded_grad_linear", lambda x, w, b: F.linear(x, w, b).sum(), lambda: [rn(3, 4), rn(5, 4), rn(5)])
    case("expanded_grad_conv2d", lambda x, w, b: F.conv2d(x, w, b, 2, 1).sum(),
         lambda: [rn(2, 2, 5, 5), rn(3, 2, 3, 3), rn(3)])
    case("expanded_grad_log_softmax", lambda x: F.log_softmax(x, 0).sum(), lambda: [rn(3, 4)])
    case("expanded_grad_pool", lambda x: (F.max_pool2d(x, 2, 2).sum(1) + F.avg_pool2d(x, 2, 2).sum(1)).sum(),
         lambda: [distinct(2, 2, 4, 4)])
    case("expanded_grad_unary", lambda x: x.exp().sum() + x.tanh().sum() + x.pow(3).sum(), lambda: [rn(3, 4)])


def ranks_and_partial_grads():
    """Rank-0 and rank-1 operands, and ops where only some inputs need a gradient (the others are constants)."""
    case("mul_rank0", torch.mul, lambda: [rn(2, 3), torch.tensor(1.5, requires_grad=True)])
    case("add_rank0_rank0", torch.add,
         lambda: [torch.tensor(0.5, requires_grad=True), torch.tensor(-2.0, requires_grad=True)])
    case("max_vector", lambda x: x.max(0).values, lambda: [distinct(5)], {"dim": 0})
    case("sum_vector_keepdim", lambda x: x.sum(0, keepdim=True), lambda: [rn(5)])
    case("softmax_vector", lambda x: F.softmax(x, 0), lambda: [rn(5)])
    case("linear_1d", F.linear, lambda: [rn(4), rn(3, 4), rn(3)])
    case("linear_const_weight", F.linear, lambda: [rn(3, 4), const(torch.randn(5, 4)), rn(5)])
    case("linear_bias_only", F.linear, lambda: [const(torch.randn(2, 3, 4)), const(torch.randn(5, 4)), rn(5)])
    case("linear_weight_only", lambda x, w: F.linear(x, w), lambda: [const(torch.randn(3, 4)), rn(5, 4)])
    case("matmul_const_left", torch.matmul, lambda: [const(torch.randn(3, 4)), rn(4, 2)])
    case("matmul_batched_const_right", torch.matmul, lambda: [rn(2, 3, 4), const(torch.randn(2, 4, 2))])
    case("conv2d_const_weight", lambda x, w: F.conv2d(x, w, None, 1, 1),
         lambda: [rn(2, 2, 4, 4), const(torch.randn(3, 2, 3, 3))])
    case("conv2d_bias_only", lambda x, w, b: F.conv2d(x, w, b, 2, 1),
         lambda: [const(torch.randn(2, 2, 5, 5)), const(torch.randn(3, 2, 3, 3)), rn(3)])
    case("conv2d_weight_only", lambda x, w: F.conv2d(x, w, None, 1, 0, 1, 2),
         lambda: [const(torch.randn(2, 4, 4, 4)), rn(4, 2, 3, 3)])
    case("batch_norm_affine_only", lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
         lambda: [const(torch.randn(4, 3, 2)), rn(3), rn(3)])
    case("batch_norm_input_only", lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
         lambda: [rn(4, 3), const(torch.randn(3)), const(torch.randn(3))])
    case("div_const_numerator", torch.div, lambda: [const(torch.randn(2, 3)), pos(3)])
    case("mul_const_right", torch.mul, lambda: [rn(2, 3), const(torch.randn(2, 1))])
    case("where_const_branch", lambda m, a, b: torch.where(m != 0, a, b),
         lambda: [const((torch.rand(3, 4) > 0.5).float()), const(torch.randn(3, 4)), rn(4)])
    case("cat_const_part", lambda a, b: torch.cat([a, b], 0), lambda: [const(torch.randn(1, 3)), rn(2, 3)])


def kinks_and_ties():
    """Exactly at a kink or a tie, where finite differences are meaningless: PyTorch's convention is the reference."""
    at_zero = lambda: [torch.tensor([[-1.0, 0.0, 2.0], [0.0, -0.5, 3.0]], requires_grad=True)]
    case("relu_at_zero", F.relu, at_zero)
    case("leaky_relu_at_zero", lambda x: F.leaky_relu(x, 0.1), at_zero, {"slope": 0.1})
    case("abs_at_zero", torch.abs, at_zero)
    case("pow_zero_exponent", lambda x: x.pow(0), at_zero, {"exponent": 0})
    case("clamp_at_bounds", lambda x: torch.clamp(x, -0.5, 0.5),
         lambda: [torch.tensor([-1.0, -0.5, 0.0, 0.5, 1.0], requires_grad=True)], {"min": -0.5, "max": 0.5})
    case("max_ties", lambda x: x.max(1).values,
         lambda: [torch.tensor([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0]], requires_grad=True)], {"dim": 1})
    case("max_pool2d_ties", lambda x: F.max_pool2d(x, 2, 2),
         lambda: [torch.tensor([[[[1.0, 1.0, 0.0, 2.0], [1.0, 1.0, 2.0, 2.0],
                                  [5.0, 4.0, 3.0, 3.0], [5.0, 5.0, 3.0, 3.0]]]], requires_grad=True)],
         {"kernel": [2, 2], "stride": [2, 2]})


# ------------------------------------------------------------------------------------------------ optimizers

def trajectory(make_opt, p0, grads):
    """Runs make_opt([p]) for len(grads) steps with the given gradients; returns the parameter after each step."""
    p = p0.clone().requires_grad_(True)
    opt = make_opt([p])
    out = []
    for g in grads:
        p.grad = g.clone()
        opt.step()
        out.append(p.detach().clone())
    return torch.stack(out)


def optimizers():
    seed("optim")
    p0 = torch.randn(2, 3)
    grads = torch.randn(5, 2, 3)
    lr_sgd, lr_adam, wd = 0.1, 0.01, 1e-2
    t = {"param0": p0, "grads": grads}
    t["sgd"] = trajectory(lambda ps: torch.optim.SGD(ps, lr=lr_sgd), p0, grads)
    t["sgd_wd"] = trajectory(lambda ps: torch.optim.SGD(ps, lr=lr_sgd, weight_decay=wd), p0, grads)
    t["sgd_momentum"] = trajectory(lambda ps: torch.optim.SGD(ps, lr=lr_sgd, momentum=0.9, weight_decay=wd), p0, grads)
    t["sgd_nesterov"] = trajectory(
        lambda ps: torch.optim.SGD(ps, lr=lr_sgd, momentum=0.9, nesterov=True, weight_decay=wd), p0, grads)
    t["adam"] = trajectory(lambda ps: torch.optim.Adam(ps, lr=lr_adam), p0, grads)
    t["adam_wd"] = trajectory(lambda ps: torch.optim.Adam(ps, lr=lr_adam, weight_decay=wd), p0, grads)
    t["adamw"] = trajectory(lambda ps: torch.optim.AdamW(ps, lr=lr_adam, weight_decay=wd), p0, grads)
    st.save(os.path.join(OUT, "optim_trajectories.safetensors"), t, {"params": json.dumps(
        {"lr_sgd": lr_sgd, "lr_adam": lr_adam, "weight_decay": wd, "momentum": 0.9, "betas": [0.9, 0.999],
         "eps": 1e-8, "steps": 5})})

    # Two parameter groups with their own learning rate and weight decay, SGD with momentum and Adam.
    seed("optim_groups")
    a0, b0 = torch.randn(3), torch.randn(2, 2)
    ga, gb = torch.randn(4, 3), torch.randn(4, 2, 2)

    def grouped(make):
        a = a0.clone().requires_grad_(True)
        b = b0.clone().requires_grad_(True)
        opt = make([{"params": [a], "lr": 0.1, "weight_decay": 0.0}, {"params": [b], "lr": 0.01, "weight_decay": 0.1}])
        ta, tb = [], []
        for i in range(len(ga)):
            a.grad, b.grad = ga[i].clone(), gb[i].clone()
            opt.step()
            ta.append(a.detach().clone())
            tb.append(b.detach().clone())
        return torch.stack(ta), torch.stack(tb)

    g = {"a0": a0, "b0": b0, "grads_a": ga, "grads_b": gb}
    g["sgd_a"], g["sgd_b"] = grouped(lambda groups: torch.optim.SGD(groups, lr=1.0, momentum=0.9))
    g["adam_a"], g["adam_b"] = grouped(lambda groups: torch.optim.Adam(groups, lr=1.0))
    st.save(os.path.join(OUT, "optim_param_groups.safetensors"), g, {"params": json.dumps(
        {"groups": [{"lr": 0.1, "weight_decay": 0.0}, {"lr": 0.01, "weight_decay": 0.1}], "momentum": 0.9})})

    # clip_grad_norm_: once above the limit (scaled) and once below it (unchanged).
    seed("clip_grad_norm")
    c = {}
    for tag, max_norm in (("clipped", 0.5), ("unclipped", 100.0)):
        ps = [torch.zeros(2, 3, requires_grad=True), torch.zeros(4, requires_grad=True)]
        gs = [torch.randn(2, 3), torch.randn(4)]
        for p, gg in zip(ps, gs):
            p.grad = gg.clone()
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm)
        c[tag + ".grad_in.0"], c[tag + ".grad_in.1"] = gs
        c[tag + ".grad_out.0"], c[tag + ".grad_out.1"] = ps[0].grad, ps[1].grad
        c[tag + ".total_norm"] = total.reshape(1)
    st.save(os.path.join(OUT, "clip_grad_norm.safetensors"), c,
            {"params": json.dumps({"clipped": 0.5, "unclipped": 100.0})})

    # Learning-rate schedules, the rate in force before each of 10 scheduler steps.
    def rates(make_sched, n):
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.1)
        sched = make_sched(opt)
        out = []
        for _ in range(n):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return torch.tensor(out, dtype=torch.float32)

    s = {"step_lr": rates(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5), 10),
         "cosine": rates(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=8, eta_min=0.01), 9)}
    st.save(os.path.join(OUT, "lr_schedulers.safetensors"), s, {"params": json.dumps(
        {"base_lr": 0.1, "step_lr": {"step_size": 3, "gamma": 0.5}, "cosine": {"T_max": 8, "eta_min": 0.01}})})


def main():
    torch.set_default_dtype(torch.float32)
    elementwise()
    reductions()
    linear()
    convolutions()
    pooling()
    batch_norms()
    losses()
    views()
    offset_views()
    strided_gradients()
    ranks_and_partial_grads()
    kinks_and_ties()
    optimizers()


if __name__ == "__main__":
    main()
