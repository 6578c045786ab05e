"""Parameter counts, MACs and output shapes of the zoo models and of their quadratic twins, computed in PyTorch,
for org.quadralib.autobuild.Summary and the converter.

Writes quadralib-autobuild/src/test/resources/golden/autobuild_summary.json:
  {"<model>/<c>x<s>x<s>/<classes>[/<neuron type>[+bn]]":
     {"input": [N, c, s, s], "total_params": int, "total_macs": int,
      "layers": {path: {"params": int, "macs": int, "output": [...]}}}}
where a layer is a module traced as one unit: a leaf module, or a quadratic layer with its inner branches.

MACs follow the convention the summary documents, one multiply-accumulate per weight use, counted here with
forward hooks on every nn.Linear (out.numel() * in_features) and nn.Conv2d (out.numel() * in_channels/groups *
kh * kw); normalisation, activations, pooling and element-wise ops count 0. A quadratic layer counts its branch
products with the same hooks, plus one MAC per output element for the product of two branches or the square of
one (T3), one per input element for the squared input x∘x (T2, T1&2, T2&4), and out.numel() * (n² + n) for a
quadratic form xᵀW_a x of fan-in n (T1, T1&2).

The quadratic twins replace every nn.Linear and nn.Conv2d of a zoo model by the neuron written out from its
formula (see org.quadralib.layers.NeuronType): each branch is a copy of the original layer's configuration,
biases as the converter places them (the original's bias presence, except T2&4, which always has b_r, b_g and c,
so that b_g = 1 can keep the function). Run with Debian's torch: /usr/bin/python3 goldens/autobuild.py
"""
import json
import os

import torch
from torch import nn

import zoo

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "quadralib-autobuild", "src", "test", "resources",
                   "golden")
BATCH = 2


class Counter:
    """Accumulates MACs per traced layer path."""

    def __init__(self):
        self.macs = {}
        self.owner = None

    def add(self, path, n):
        self.macs[path] = self.macs.get(path, 0) + int(n)


def weight_macs(module, out):
    if isinstance(module, nn.Linear):
        return out.numel() * module.in_features
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return out.numel() * module.in_channels // module.groups * kh * kw
    return 0


def fan_in(layer):
    if isinstance(layer, nn.Linear):
        return layer.in_features
    kh, kw = layer.kernel_size
    return layer.in_channels // layer.groups * kh * kw


def copy_config(layer, bias):
    """A fresh layer with the configuration of `layer` and the given bias presence."""
    if isinstance(layer, nn.Linear):
        return nn.Linear(layer.in_features, layer.out_features, bias=bias)
    return nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride, layer.padding,
                     layer.dilation, layer.groups, bias=bias)


def out_features(layer):
    return layer.out_features if isinstance(layer, nn.Linear) else layer.out_channels


class Quadratic(nn.Module):
    """One quadratic layer of a neuron type, written out from its formula; `extra` counts its non-GEMM MACs."""

    def __init__(self, layer, kind, branch_norm):
        super().__init__()
        self.kind = kind
        self.is_linear = isinstance(layer, nn.Linear)
        bias = layer.bias is not None
        out = out_features(layer)
        self.n = fan_in(layer)
        norm = nn.BatchNorm1d if self.is_linear else nn.BatchNorm2d
        if kind == "PROPOSED":
            self.a, self.b, self.c = copy_config(layer, False), copy_config(layer, False), copy_config(layer, bias)
        elif kind == "T4":
            self.a, self.b = copy_config(layer, False), copy_config(layer, False)
        elif kind == "QRES":
            self.a, self.b = copy_config(layer, False), copy_config(layer, False)
        elif kind == "T3":
            self.a = copy_config(layer, False)
        elif kind == "T2":
            self.a = copy_config(layer, bias)
        elif kind == "POLY":
            self.a = copy_config(layer, bias)  # W_a x + b_a, the kernel's offset as the branch layer's bias
        elif kind == "T2_4":
            self.r, self.g, self.b = copy_config(layer, True), copy_config(layer, True), copy_config(layer, False)
            self.c = nn.Parameter(torch.zeros(out))
        elif kind in ("T1", "T1_2"):
            assert self.is_linear, "quadratic forms are generated for linear layers only"
            self.weight_a = nn.Parameter(torch.zeros(out, self.n, self.n))
            self.b = copy_config(layer, bias)
        else:
            raise ValueError(kind)
        # T4, T3 and QRes add their bias outside the product; the other types keep it in a branch layer.
        self.bias = nn.Parameter(torch.zeros(out)) if kind in ("T4", "T3", "QRES", "POLY") and bias else None
        if branch_norm:
            assert kind == "PROPOSED"
            self.norm_a, self.norm_b = norm(out), norm(out)
        self.branch_norm = branch_norm
        self.extra = 0

    def forward(self, x):
        k = self.kind
        if k == "PROPOSED":
            a, b = self.a(x), self.b(x)
            if self.branch_norm:
                a, b = self.norm_a(a), self.norm_b(b)
            y = a * b + self.c(x)
            self.extra = y.numel()
        elif k == "T4":
            y = self.a(x) * self.b(x)
            self.extra = y.numel()
        elif k == "QRES":
            a = self.a(x)
            y = a * self.b(x) + a
            self.extra = y.numel()
        elif k in ("T3", "POLY"):
            y = self.a(x) ** 2
            self.extra = y.numel()
        elif k == "T2":
            y = self.a(x * x)
            self.extra = x.numel()
        elif k == "T2_4":
            y = self.r(x) * self.g(x) + self.b(x * x) + self.c.view(-1, *([1] * (x.dim() - 2)))
            self.extra = y.numel() + x.numel()
        else:
            form = torch.einsum("bi,oij,bj->bo", x, self.weight_a, x)
            y = form + (self.b(x) if k == "T1" else self.b(x * x))
            self.extra = y.numel() * (self.n * self.n + self.n) + (x.numel() if k == "T1_2" else 0)
        if self.bias is not None:
            y = y + self.bias.view(-1, *([1] * (x.dim() - 2)))
        return y


def quadratic_twin(model, kind, branch_norm=False):
    """Replaces every nn.Linear and nn.Conv2d of `model` (in place) by a Quadratic of `kind`."""
    for name, child in list(model.named_children()):
        if isinstance(child, (nn.Linear, nn.Conv2d)):
            setattr(model, name, Quadratic(child, kind, branch_norm))
        else:
            quadratic_twin(child, kind, branch_norm)
    return model


def layers_of(model):
    """Traced layers: quadratic layers as units, other modules without children."""
    out = {}

    def walk(module, prefix):
        if isinstance(module, Quadratic) or not list(module.children()):
            out[prefix] = module
            return
        for name, child in module.named_children():
            walk(child, prefix + "." + name if prefix else name)

    walk(model, "")
    return out


def measure(model, input_shape):
    counter = Counter()
    layers = layers_of(model)
    outputs = {}
    handles = []
    for path, layer in layers.items():
        def record(module, inputs, output, path=path):
            outputs[path] = list(output.shape)
            if isinstance(module, Quadratic):
                counter.add(path, module.extra)
            else:
                counter.add(path, weight_macs(module, output))
        handles.append(layer.register_forward_hook(record))
        if isinstance(layer, Quadratic):
            for inner in layer.modules():
                if isinstance(inner, (nn.Linear, nn.Conv2d)):
                    handles.append(inner.register_forward_hook(
                        lambda m, i, o, path=path: counter.add(path, weight_macs(m, o))))
    model.train()
    with torch.no_grad():
        model(torch.randn(*input_shape))
    for h in handles:
        h.remove()
    rows = {}
    for path, layer in layers.items():
        rows[path] = {"params": sum(p.numel() for p in layer.parameters()), "macs": counter.macs.get(path, 0),
                      "output": outputs[path]}
    return {"input": list(input_shape), "total_params": sum(p.numel() for p in model.parameters()),
            "total_macs": sum(counter.macs.values()), "layers": rows}


FIRST_ORDER = [(name, 3, 32, 10) for name in zoo.NAMES] + [("mlp", 1, 28, 10), ("lenet5", 1, 28, 10)]
FACTORISED = ["T2", "T3", "T4", "T2_4", "QRES", "PROPOSED"]


def main():
    torch.manual_seed(0)
    out = {}
    for name, c, s, classes in FIRST_ORDER:
        out["%s/%dx%dx%d/%d" % (name, c, s, s, classes)] = measure(zoo.build(name, c, s, classes), (BATCH, c, s, s))
    # MobileNet (depthwise convolutions) with one type per weight multiple (1x, 2x, 3x) keeps the Java test fast.
    for name, c, s, classes, kinds, bn in [("lenet5", 1, 28, 10, FACTORISED, True), ("resnet14", 3, 16, 10, FACTORISED, True),
                                           ("mobilenet", 3, 16, 10, ["T2", "QRES", "PROPOSED"], False)]:
        for kind in kinds:
            model = quadratic_twin(zoo.build(name, c, s, classes), kind)
            out["%s/%dx%dx%d/%d/%s" % (name, c, s, s, classes, kind)] = measure(model, (BATCH, c, s, s))
        if bn:
            model = quadratic_twin(zoo.build(name, c, s, classes), "PROPOSED", branch_norm=True)
            out["%s/%dx%dx%d/%d/PROPOSED+bn" % (name, c, s, s, classes)] = measure(model, (BATCH, c, s, s))
    # The quadratic forms have n² weights per output: a small MLP (16 -> 8 -> 8 -> 3) keeps them small.
    for kind in ["T1", "T1_2"] + FACTORISED + ["POLY"]:
        model = quadratic_twin(zoo.mlp(16, [8, 8], 3), kind)
        out["mlp16/1x4x4/3/%s" % kind] = measure(model, (BATCH, 1, 4, 4))
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "autobuild_summary.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
