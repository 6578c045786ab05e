"""Golden fixtures for the first-order layers of org.quadralib.layers (forward and backward against PyTorch).

Each fixture layer_<case>.safetensors holds, for one PyTorch module run once on a small input:
  in.0           the input                       out / gout  the output and the seed gradient back-propagated
  grad.0         the input's gradient            param.<n>   every parameter before the step
  pgrad.<n>      every parameter's gradient      buffer.<n>  every buffer before the step
  after.<n>      every buffer after the step (batch-norm running statistics in training)
and metadata "params" (JSON: the layer configuration and mode). Run with Debian's torch:
/usr/bin/python3 goldens/layers.py
"""
import json
import os

import torch
from torch import nn

import st
from zoo import OUT, Residual


def module_case(name, module, x, params, train=True):
    module.train(train)
    tensors = {}
    for n, p in module.named_parameters():
        tensors["param." + n] = p.detach().clone()
    for n, b in module.named_buffers():
        tensors["buffer." + n] = b.detach().clone()
    x = x.detach().clone().requires_grad_(True)
    out = module(x)
    g = torch.randn_like(out)
    out.backward(g)
    tensors.update({"in.0": x, "out": out, "gout": g, "grad.0": x.grad})
    for n, p in module.named_parameters():
        tensors["pgrad." + n] = p.grad
    for n, b in module.named_buffers():
        tensors["after." + n] = b
    params = dict(params, train=train)
    st.save(os.path.join(OUT, "layer_%s.safetensors" % name), tensors, {"params": json.dumps(params)})


def randomize_bn(bn):
    """Moves a batch norm's affine parameters and running statistics away from their defaults."""
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        bn.num_batches_tracked.fill_(7)
    return bn


def convs():
    module_case("conv2d_basic", nn.Conv2d(3, 4, 3, padding=1), torch.randn(2, 3, 6, 5),
                {"in": 3, "out": 4, "kernel": [3, 3], "stride": [1, 1], "padding": [1, 1], "dilation": [1, 1], "groups": 1,
                 "bias": True})
    module_case("conv2d_strided", nn.Conv2d(3, 4, (2, 3), stride=(2, 1), padding=(1, 2), dilation=(1, 2), bias=False),
                torch.randn(2, 3, 7, 8),
                {"in": 3, "out": 4, "kernel": [2, 3], "stride": [2, 1], "padding": [1, 2], "dilation": [1, 2], "groups": 1,
                 "bias": False})
    module_case("conv2d_groups", nn.Conv2d(4, 6, 3, padding=1, groups=2), torch.randn(2, 4, 5, 5),
                {"in": 4, "out": 6, "kernel": [3, 3], "stride": [1, 1], "padding": [1, 1], "dilation": [1, 1], "groups": 2,
                 "bias": True})
    module_case("conv2d_depthwise", nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=4), torch.randn(2, 4, 6, 6),
                {"in": 4, "out": 4, "kernel": [3, 3], "stride": [2, 2], "padding": [1, 1], "dilation": [1, 1], "groups": 4,
                 "bias": True})


def batchnorms():
    module_case("batchnorm2d_train", randomize_bn(nn.BatchNorm2d(3)), torch.randn(4, 3, 3, 3) * 2 + 1, {"features": 3})
    module_case("batchnorm2d_eval", randomize_bn(nn.BatchNorm2d(3)), torch.randn(4, 3, 3, 3) * 2 + 1, {"features": 3},
                train=False)
    module_case("batchnorm1d_train_2d", randomize_bn(nn.BatchNorm1d(5)), torch.randn(6, 5) - 0.5, {"features": 5})
    module_case("batchnorm1d_train_3d", randomize_bn(nn.BatchNorm1d(3)), torch.randn(4, 3, 5) + 0.5, {"features": 3})
    module_case("batchnorm1d_eval", randomize_bn(nn.BatchNorm1d(3)), torch.randn(4, 3, 5), {"features": 3}, train=False)


def pools():
    module_case("maxpool2d", nn.MaxPool2d(3, 2, 1), torch.randn(2, 3, 7, 6),
                {"kernel": [3, 3], "stride": [2, 2], "padding": [1, 1]})
    module_case("maxpool2d_rect", nn.MaxPool2d((2, 3), (2, 1), (1, 0)), torch.randn(2, 2, 5, 6),
                {"kernel": [2, 3], "stride": [2, 1], "padding": [1, 0]})
    module_case("avgpool2d", nn.AvgPool2d(3, 2, 1), torch.randn(2, 3, 7, 6),
                {"kernel": [3, 3], "stride": [2, 2], "padding": [1, 1]})
    module_case("adaptiveavgpool2d", nn.AdaptiveAvgPool2d((3, 2)), torch.randn(2, 3, 7, 5), {"output": [3, 2]})


def elementwise():
    x = torch.randn(2, 3, 4) * 2
    module_case("flatten", nn.Flatten(), torch.randn(2, 3, 2, 2), {"start": 1, "end": -1})
    module_case("flatten_1_2", nn.Flatten(1, 2), torch.randn(2, 3, 4, 5), {"start": 1, "end": 2})
    module_case("relu", nn.ReLU(), x, {})
    module_case("leakyrelu", nn.LeakyReLU(0.2), x, {"slope": 0.2})
    module_case("gelu", nn.GELU(), x, {})
    module_case("sigmoid", nn.Sigmoid(), x, {})
    module_case("tanh", nn.Tanh(), x, {})


def residuals():
    main = nn.Sequential(nn.Conv2d(3, 4, 3, 2, 1, bias=False), randomize_bn(nn.BatchNorm2d(4)), nn.ReLU(),
                         nn.Conv2d(4, 4, 3, 1, 1, bias=False), randomize_bn(nn.BatchNorm2d(4)))
    shortcut = nn.Sequential(nn.Conv2d(3, 4, 1, 2, bias=False), randomize_bn(nn.BatchNorm2d(4)))
    module_case("residual_projection", Residual(main, shortcut, nn.ReLU()), torch.randn(2, 3, 6, 6), {})
    main = nn.Sequential(nn.Conv2d(4, 4, 3, 1, 1), nn.ReLU(), nn.Conv2d(4, 4, 3, 1, 1))
    module_case("residual_identity", Residual(main, nn.Identity()), torch.randn(2, 4, 5, 5), {})


def main():
    torch.manual_seed(0)
    convs()
    batchnorms()
    pools()
    elementwise()
    residuals()


if __name__ == "__main__":
    main()
