"""Golden fixtures for the quadratic layers (QuadraticLinear, QuadraticConv2d), every neuron type.

Each formula is built here from plain torch ops (F.linear, F.conv2d, F.unfold, einsum, F.batch_norm) on the same
weights the Java layer is given, independently of how the Java code stacks and fuses them. Saved names follow
st.case(): in.0 is the input x, in.<i+1> the i-th parameter in the layer's registration order (listed in the
"names" param, so the Java test also checks the names), out, gout (the seed gradient), grad.<i>. Branch-norm
running statistics: init.<name> before forward (when set), state.<name> after it.

Run with Debian's torch: /usr/bin/python3 goldens/quadratic.py  (writes quadralib-layers/src/test/resources/golden)
"""
import json
import os

import torch
import torch.nn.functional as F

from st import save

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "quadralib-layers", "src", "test", "resources", "golden")
TYPES = ["T1", "T2", "T3", "T4", "T1_2", "T2_4", "QRES", "PROPOSED", "POLY"]
# The branches a branch norm normalises, per type that takes one (T2: its square branch W_a (x∘x)).
PRODUCT = {"T2": ["a"], "T3": ["a"], "T4": ["a", "b"], "T2_4": ["r", "g"], "QRES": ["a", "b"], "PROPOSED": ["a", "b"]}


def param_names(t, bias, norm, linear_term=True):
    """The layer's parameter names, in registration order (own parameters, then the branch norms')."""
    own = {
        "T1": ["weight_a"] + (["weight_b"] if linear_term else []) + (["bias"] if bias else []),
        "T2": ["weight_a"] + (["bias"] if bias else []),
        "T3": ["weight_a"] + (["bias"] if bias else []),
        "T4": ["weight_a", "weight_b"] + (["bias"] if bias else []),
        "T1_2": ["weight_a", "weight_b"] + (["bias"] if bias else []),
        "T2_4": ["weight_r"] + (["bias_r"] if bias else []) + ["weight_g"] + (["bias_g"] if bias else [])
                + ["weight_b"] + (["bias"] if bias else []),
        "QRES": ["weight_a", "weight_b"] + (["bias"] if bias else []),
        "PROPOSED": ["weight_a", "weight_b", "weight_c"] + (["bias"] if bias else []),
        "POLY": ["weight_a"] + (["bias_a", "bias"] if bias else []),
    }[t]
    norms = []
    if norm:
        for b in PRODUCT[t]:
            norms += ["norm_%s.weight" % b, "norm_%s.bias" % b]
    return own + norms


def make_params(names, t, out, n, wshape):
    g = {}
    for name in names:
        if name.startswith("norm_"):
            g[name] = (1.0 + 0.3 * torch.randn(out)) if name.endswith("weight") else 0.3 * torch.randn(out)
        elif name == "weight_a" and t in ("T1", "T1_2"):
            g[name] = torch.randn(out, n, n) / n
        elif name.startswith("weight"):
            g[name] = torch.randn(*wshape) / n ** 0.5
        else:
            g[name] = 0.5 * torch.randn(out)
    return g


def forward(t, kind, cfg, p, x, stats, training):
    """The neuron's formula from plain ops; p maps names to tensors, stats the running statistics (updated)."""
    if kind == "linear":
        def proj(inp, w):
            return F.linear(inp, w)

        def chan(v):
            return v
    else:
        def proj(inp, w):
            return F.conv2d(inp, w, None, cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"])

        def chan(v):
            return v.view(1, -1, 1, 1)

    def norm(b, v):
        key = "norm_" + b
        if key + ".weight" not in p:
            return v
        return F.batch_norm(v, stats[key + ".running_mean"], stats[key + ".running_var"], p[key + ".weight"], p[key + ".bias"],
                            training, 0.1, 1e-5)

    def form(a):
        if kind == "linear":
            return torch.einsum("...i,oij,...j->...o", x, a, x)
        groups = cfg["groups"]
        k = cfg["kernel"]
        cols = F.unfold(x, k, dilation=cfg["dilation"], padding=cfg["padding"], stride=cfg["stride"])
        nb, _, length = cols.shape
        out = a.shape[0]
        n = a.shape[1]
        cols = cols.view(nb, groups, n, length)
        q = torch.einsum("bgil,gjik,bgkl->bgjl", cols, a.view(groups, out // groups, n, n), cols)
        h = (x.shape[2] + 2 * cfg["padding"] - cfg["dilation"] * (k - 1) - 1) // cfg["stride"] + 1
        return q.reshape(nb, out, h, length // h)

    ob = chan(p["bias"]) if "bias" in p else 0
    if t == "T1":
        y = form(p["weight_a"]) + (proj(x, p["weight_b"]) if "weight_b" in p else 0) + ob
    elif t == "T2":
        y = norm("a", proj(x * x, p["weight_a"])) + ob
    elif t == "T3":
        v = norm("a", proj(x, p["weight_a"]))
        y = v * v + ob
    elif t == "T4":
        y = norm("a", proj(x, p["weight_a"])) * norm("b", proj(x, p["weight_b"])) + ob
    elif t == "T1_2":
        y = form(p["weight_a"]) + proj(x * x, p["weight_b"]) + ob
    elif t == "T2_4":
        r = proj(x, p["weight_r"]) + (chan(p["bias_r"]) if "bias_r" in p else 0)
        g = proj(x, p["weight_g"]) + (chan(p["bias_g"]) if "bias_g" in p else 0)
        y = norm("r", r) * norm("g", g) + proj(x * x, p["weight_b"]) + ob
    elif t == "QRES":
        a = proj(x, p["weight_a"])
        y = norm("a", a) * norm("b", proj(x, p["weight_b"])) + a + ob
    elif t == "PROPOSED":
        y = norm("a", proj(x, p["weight_a"])) * norm("b", proj(x, p["weight_b"])) + proj(x, p["weight_c"]) + ob
    elif t == "POLY":
        # Kervolution's polynomial kernel of degree 2 (Wang et al., CVPR 2019): (xᵀw + c)², plus the output bias.
        v = proj(x, p["weight_a"]) + (chan(p["bias_a"]) if "bias_a" in p else 0)
        y = v * v + ob
    else:
        raise ValueError(t)
    return y


def write(name, t, kind, cfg, xshape, bias=True, norm=False, training=True, linear_term=True, eval_stats=False):
    torch.manual_seed(sum(map(ord, name)))
    if kind == "linear":
        n = cfg["in"]
        wshape = (cfg["out"], n)
    else:
        n = cfg["in"] // cfg["groups"] * cfg["kernel"] ** 2
        wshape = (cfg["out"], cfg["in"] // cfg["groups"], cfg["kernel"], cfg["kernel"])
    names = param_names(t, bias, norm, linear_term)
    params = make_params(names, t, cfg["out"], n, wshape)
    stats = {}
    init = {}
    if norm:
        for b in PRODUCT[t]:
            key = "norm_" + b
            mean = 0.5 * torch.randn(cfg["out"]) if eval_stats else torch.zeros(cfg["out"])
            var = (0.5 + torch.rand(cfg["out"])) if eval_stats else torch.ones(cfg["out"])
            stats[key + ".running_mean"] = mean
            stats[key + ".running_var"] = var
            if eval_stats:
                init[key + ".running_mean"] = mean.clone()
                init[key + ".running_var"] = var.clone()
    x = torch.randn(*xshape).requires_grad_(True)
    leaves = [x] + [params[k].clone().requires_grad_(True) for k in names]
    p = dict(zip(names, leaves[1:]))
    y = forward(t, kind, cfg, p, x, stats, training)
    gout = torch.randn_like(y)
    y.backward(gout)
    tensors = {"out": y, "gout": gout}
    for i, leaf in enumerate(leaves):
        tensors["in.%d" % i] = leaf
        tensors["grad.%d" % i] = leaf.grad
    for k, v in init.items():
        tensors["init." + k] = v
    for k, v in stats.items():
        tensors["state." + k] = v
    meta = dict(cfg, kind=kind, type=t, bias=bias, branch_norm=norm, training=training, linear_term=linear_term, names=names)
    save(os.path.join(OUT, name + ".safetensors"), tensors, {"params": json.dumps(meta)})


def main():
    lin = {"in": 5, "out": 4}
    for t in TYPES:
        write("quad_linear_%s" % t.lower(), t, "linear", lin, (6, 5))
    for t in PRODUCT:
        write("quad_linear_%s_bn" % t.lower(), t, "linear", lin, (6, 5), norm=True)
    write("quad_linear_t1_nolin", "T1", "linear", lin, (6, 5), linear_term=False)
    write("quad_linear_proposed_nobias", "PROPOSED", "linear", lin, (6, 5), bias=False)
    write("quad_linear_t2_4_nobias", "T2_4", "linear", lin, (6, 5), bias=False)
    write("quad_linear_proposed_3d", "PROPOSED", "linear", lin, (2, 3, 5))
    write("quad_linear_proposed_bn_eval", "PROPOSED", "linear", lin, (6, 5), norm=True, training=False, eval_stats=True)

    conv = {"in": 2, "out": 4, "kernel": 3, "stride": 1, "padding": 1, "dilation": 1, "groups": 1}
    strided = dict(conv, stride=2, padding=1, dilation=2)
    grouped = dict(conv, **{"in": 4, "groups": 2})
    depthwise = {"in": 3, "out": 6, "kernel": 3, "stride": 1, "padding": 1, "dilation": 1, "groups": 3}
    for t in TYPES:
        write("quad_conv_%s" % t.lower(), t, "conv", conv, (2, 2, 5, 5))
        write("quad_conv_%s_s2" % t.lower(), t, "conv", strided, (2, 2, 7, 6))
        write("quad_conv_%s_g2" % t.lower(), t, "conv", grouped, (2, 4, 5, 5))
        write("quad_conv_%s_dw" % t.lower(), t, "conv", depthwise, (2, 3, 4, 4))
    for t in PRODUCT:
        write("quad_conv_%s_bn" % t.lower(), t, "conv", conv, (2, 2, 5, 5), norm=True)
    write("quad_conv_t2_4_bn_g2", "T2_4", "conv", grouped, (2, 4, 5, 5), norm=True)
    write("quad_conv_proposed_bn_eval", "PROPOSED", "conv", conv, (2, 2, 5, 5), norm=True, training=False, eval_stats=True)


if __name__ == "__main__":
    main()
