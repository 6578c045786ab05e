"""PyTorch twins of the QuadraLib model zoo (org.quadralib.layers.zoo.Zoo) and their golden fixtures.

Writes to quadralib-layers/src/test/resources/golden/:
  zoo_param_counts.json      per model and input: total parameter count, parameters per module path, and the
                             state-dict names with their shapes (buffers included)
  zoo_<model>_state.safetensors  state_dict() of a PyTorch model exactly as PyTorch holds it (int64
                             num_batches_tracked included), written with st.save and no adapter
  zoo_<model>_io.safetensors     an input batch and the model's eval-mode output

The architectures mirror Zoo.java layer for layer and name for name; each is documented there. Run with Debian's
torch: /usr/bin/python3 goldens/zoo.py
"""
import json
import os

import torch
from torch import nn

import st

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "quadralib-layers", "src", "test", "resources", "golden")
M = "M"
SMALL_IMAGE = 64


class Residual(nn.Module):
    """y = act(main(x) + shortcut(x)); children main, shortcut, act as in org.quadralib.layers.Residual."""

    def __init__(self, main, shortcut, act=None):
        super().__init__()
        self.main = main
        self.shortcut = shortcut
        if act is not None:
            self.act = act

    def forward(self, x):
        y = self.main(x) + self.shortcut(x)
        return self.act(y) if hasattr(self, "act") else y


class Named(nn.Sequential):
    """A sequence with named children (NamedSequential)."""

    def __init__(self, *pairs):
        super().__init__()
        for name, module in pairs:
            self.add_module(name, module)


def mlp(in_features, hidden, classes):
    layers = [nn.Flatten()]
    width = in_features
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, classes))
    return nn.Sequential(*layers)


def lenet5(c, size, classes):
    pad = (32 - size + 1) // 2 if size < 32 else 0
    side = ((size + 2 * pad - 4) // 2 - 4) // 2
    features = nn.Sequential(nn.Conv2d(c, 6, 5, padding=pad), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2))
    classifier = nn.Sequential(nn.Linear(16 * side * side, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                               nn.Linear(84, classes))
    return Named(("features", features), ("flatten", nn.Flatten()), ("classifier", classifier))


VGG = {
    "vgg7": [64, 64, M, 128, 128, M, 256, 256, M],
    "vgg11": [64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M],
    "vgg13": [64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M],
    "vgg16": [64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M],
}


def vgg(config, c, size, classes):
    layers = []
    for v in config:
        if v == M:
            pad = size % 2
            layers.append(nn.MaxPool2d(2, 2, padding=pad))
            size = (size + 2 * pad - 2) // 2 + 1
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU()]
            c = v
    return Named(("features", nn.Sequential(*layers)), ("flatten", nn.Flatten()),
                 ("classifier", nn.Linear(c * size * size, classes)))


def basic_block(cin, cout, stride):
    main = nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                         nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
    if stride != 1 or cin != cout:
        shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
    else:
        shortcut = nn.Identity()
    return Residual(main, shortcut, nn.ReLU())


def stage(cin, cout, blocks, stride):
    return nn.Sequential(*[basic_block(cin if b == 0 else cout, cout, stride if b == 0 else 1) for b in range(blocks)])


def head(pairs, channels, classes):
    return Named(*pairs, ("avgpool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(channels, classes)))


def resnet(depth, c, size, classes, width=16):
    n = (depth - 2) // 6
    pairs = [("conv1", nn.Conv2d(c, width, 3, 1, 1, bias=False)), ("bn1", nn.BatchNorm2d(width)), ("relu", nn.ReLU())]
    channels = width
    for s in range(3):
        pairs.append(("layer%d" % (s + 1), stage(channels, width << s, n, 1 if s == 0 else 2)))
        channels = width << s
    return head(pairs, channels, classes)


def resnet18(c, size, classes):
    if size <= SMALL_IMAGE:
        pairs = [("conv1", nn.Conv2d(c, 64, 3, 1, 1, bias=False))]
    else:
        pairs = [("conv1", nn.Conv2d(c, 64, 7, 2, 3, bias=False))]
    pairs += [("bn1", nn.BatchNorm2d(64)), ("relu", nn.ReLU())]
    if size > SMALL_IMAGE:
        pairs.append(("maxpool", nn.MaxPool2d(3, 2, 1)))
    channels = 64
    for s in range(4):
        pairs.append(("layer%d" % (s + 1), stage(channels, 64 << s, 2, 1 if s == 0 else 2)))
        channels = 64 << s
    return head(pairs, channels, classes)


def mobilenet_v1(c, size, classes, alpha=1.0):
    def scaled(ch):
        return max(1, int(ch * alpha))

    blocks = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    ch = scaled(32)
    layers = [nn.Sequential(nn.Conv2d(c, ch, 3, 1 if size <= SMALL_IMAGE else 2, 1, bias=False), nn.BatchNorm2d(ch), nn.ReLU())]
    for out, stride in blocks:
        out = scaled(out)
        layers.append(nn.Sequential(nn.Conv2d(ch, ch, 3, stride, 1, groups=ch, bias=False), nn.BatchNorm2d(ch), nn.ReLU(),
                                    nn.Conv2d(ch, out, 1, bias=False), nn.BatchNorm2d(out), nn.ReLU()))
        ch = out
    return Named(("features", nn.Sequential(*layers)), ("avgpool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()),
                 ("classifier", nn.Linear(ch, classes)))


def build(name, c, size, classes):
    if name == "mlp":
        return mlp(c * size * size, [256, 128], classes)
    if name == "lenet5":
        return lenet5(c, size, classes)
    if name in VGG:
        return vgg(VGG[name], c, size, classes)
    if name in ("resnet14", "resnet20", "resnet32"):
        return resnet(int(name[6:]), c, size, classes)
    if name == "resnet18":
        return resnet18(c, size, classes)
    if name == "mobilenet":
        return mobilenet_v1(c, size, classes)
    raise ValueError(name)


NAMES = ["mlp", "lenet5", "vgg7", "vgg11", "vgg13", "vgg16", "resnet14", "resnet20", "resnet32", "resnet18", "mobilenet"]
INPUTS = [(1, 28, 10), (3, 32, 10)]


def describe(model):
    per_layer = {}
    for path, module in model.named_modules():
        n = sum(p.numel() for p in module.parameters(recurse=False))
        if n:
            per_layer[path] = n
    return {
        "total": sum(p.numel() for p in model.parameters()),
        "layers": per_layer,
        "state": {k: list(v.shape) for k, v in model.state_dict().items()},
    }


def check_output_shape(model, c, size, classes):
    model.eval()
    with torch.no_grad():
        y = model(torch.zeros(2, c, size, size))
    assert tuple(y.shape) == (2, classes), (model, y.shape)


def param_counts():
    out = {}
    for name in NAMES:
        for c, size, classes in INPUTS:
            model = build(name, c, size, classes)
            check_output_shape(model, c, size, classes)
            out["%s/%dx%dx%d/%d" % (name, c, size, size, classes)] = describe(model)
    # The benchmark workload W3: a half-width vgg7 whose classifier is 2048 -> 10.
    w3 = vgg([32, 32, M, 64, 64, M, 128, 128, M], 3, 32, 10)
    out["w3/3x32x32/10"] = describe(w3)
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "zoo_param_counts.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def model_case(name, model, c, size, classes, train_steps):
    """Saves model.state_dict() as PyTorch holds it, and an input with the eval-mode output.

    train_steps forward passes in training mode first move the batch-norm running statistics and
    num_batches_tracked away from their initial values, so loading them is actually tested.
    """
    model.train()
    with torch.no_grad():
        for _ in range(train_steps):
            model(torch.randn(8, c, size, size) * 1.5 + 0.3)
    model.eval()
    x = torch.randn(3, c, size, size)
    with torch.no_grad():
        y = model(x)
    assert y.shape == (3, classes)
    st.save(os.path.join(OUT, "zoo_%s_state.safetensors" % name), model.state_dict())
    st.save(os.path.join(OUT, "zoo_%s_io.safetensors" % name), {"input": x, "output": y},
            {"params": json.dumps({"in_channels": c, "image_size": size, "classes": classes})})


def main():
    torch.manual_seed(0)
    param_counts()
    model_case("lenet5", lenet5(1, 28, 10), 1, 28, 10, 0)
    # Small widths keep the fixtures small; the block structure and names are those of the full models.
    model_case("resnet14w4", resnet(14, 3, 16, 10, width=4), 3, 16, 10, 3)
    model_case("mobilenetw16th", mobilenet_v1(3, 16, 10, alpha=1 / 16), 3, 16, 10, 3)
    model_case("vggtiny", vgg([8, M, 16, M], 3, 14, 5), 3, 14, 5, 2)


if __name__ == "__main__":
    main()
