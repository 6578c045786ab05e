"""PyTorch side of the explore recipe: LeNet-5 on the full Fashion-MNIST, first-order and PROPOSED.

The same recipe as `java -jar quadralib-examples.jar explore --full --epochs 5 --batch-size 64 --lr 0.01`:
SGD lr 0.01, momentum 0.9, batch 64, 5 epochs, pixels scaled to [0, 1] then normalised with mean 0.2860 and
std 0.3530, a new seeded shuffle every epoch, test accuracy after each epoch.

--recipe library (the default) trains quadratic models the way QuadraLib's trainer does by default: a linear
start (W_b = 0, so every layer first computes W_c x + b), the quadratic weights W_a and W_b in their own group at
0.1x the learning rate, and the global gradient norm clipped at 5 (the Java trainer's defaults). --recipe plain
trains every weight at the full rate without clipping (the setting that diverges for PROPOSED). --clip overrides
the limit (0: none).

A PROPOSED layer computes (W_a x)(W_b x) + W_c x + b, written the way a PyTorch user would: three Linear or
Conv2d layers and element-wise ops. Prints one JSON line per epoch and a final summary line.
Run with Debian's torch: /usr/bin/python3 examples/peers/lenet_recipe.py --variant proposed
"""
import argparse
import gzip
import json
import os
import statistics
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN, STD = 0.2860, 0.3530
LIBRARY_CLIP = 5.0  # Trainer.DEFAULT_QUADRATIC_MAX_GRAD_NORM


class QLinear(nn.Module):
    def __init__(self, i, o, linear_start):
        super().__init__()
        self.a = nn.Linear(i, o, bias=False)
        self.b = nn.Linear(i, o, bias=False)
        self.c = nn.Linear(i, o)
        if linear_start:
            nn.init.zeros_(self.b.weight)

    def forward(self, x):
        return self.a(x) * self.b(x) + self.c(x)


class QConv(nn.Module):
    def __init__(self, i, o, k, padding, linear_start):
        super().__init__()
        self.a = nn.Conv2d(i, o, k, padding=padding, bias=False)
        self.b = nn.Conv2d(i, o, k, padding=padding, bias=False)
        self.c = nn.Conv2d(i, o, k, padding=padding)
        if linear_start:
            nn.init.zeros_(self.b.weight)

    def forward(self, x):
        return self.a(x) * self.b(x) + self.c(x)


def lenet5(quadratic, linear_start):
    lin = (lambda i, o: QLinear(i, o, linear_start)) if quadratic else nn.Linear
    conv = (lambda i, o, k, p: QConv(i, o, k, p, linear_start)) if quadratic else \
        (lambda i, o, k, p: nn.Conv2d(i, o, k, padding=p))
    return nn.Sequential(conv(1, 6, 5, 2), nn.ReLU(), nn.MaxPool2d(2), conv(6, 16, 5, 0), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), lin(400, 120), nn.ReLU(), lin(120, 84), nn.ReLU(), lin(84, 10))


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(folder, prefix):
    def find(name):
        for candidate in (name, name + ".gz"):
            if os.path.exists(os.path.join(folder, candidate)):
                return os.path.join(folder, candidate)
        raise SystemExit("missing %s(.gz) in %s" % (name, folder))
    images = read_idx(find(prefix + "-images-idx3-ubyte"))
    labels = read_idx(find(prefix + "-labels-idx1-ubyte"))
    x = (torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1) - MEAN) / STD
    return x, torch.from_numpy(labels.astype(np.int64))


def evaluate(model, x, y):
    model.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for i in range(0, x.shape[0], 256):
            out = model(x[i:i + 256])
            loss += F.cross_entropy(out, y[i:i + 256], reduction="sum").item()
            correct += (out.argmax(1) == y[i:i + 256]).sum().item()
    model.train()
    return loss / x.shape[0], correct / x.shape[0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--variant", default="first-order", choices=["first-order", "proposed"])
    p.add_argument("--recipe", default="library", choices=["library", "plain"])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--clip", type=float, default=None,
                   help="global gradient-norm limit (0: none); default: the recipe's")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    quadratic = a.variant == "proposed"
    library = a.recipe == "library"
    model = lenet5(quadratic, linear_start=quadratic and library)
    if quadratic and library:
        quad = [p for n, p in model.named_parameters() if n.endswith(".a.weight") or n.endswith(".b.weight")]
        ids = {id(p) for p in quad}
        groups = [{"params": [p for p in model.parameters() if id(p) not in ids], "lr": a.lr},
                  {"params": quad, "lr": a.lr * 0.1}]
        clip = LIBRARY_CLIP
    else:
        groups, clip = model.parameters(), None
    if a.clip is not None:
        clip = a.clip or None
    opt = torch.optim.SGD(groups, lr=a.lr, momentum=0.9)
    train_x, train_y = load(a.data, "train")
    test_x, test_y = load(a.data, "t10k")
    shuffle = torch.Generator().manual_seed(a.seed)
    params = sum(p.numel() for p in model.parameters())
    accuracies, epoch_seconds, step_ms = [], [], []
    for epoch in range(a.epochs):
        order = torch.randperm(train_x.shape[0], generator=shuffle)
        total, correct, start, norms = 0.0, 0, time.perf_counter(), []
        for i in range(0, train_x.shape[0], a.batch_size):
            t0 = time.perf_counter()
            idx = order[i:i + a.batch_size]
            xb, yb = train_x[idx], train_y[idx]
            opt.zero_grad()
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip or float("inf"))
            norms.append(float(norm))
            opt.step()
            total += loss.item() * xb.shape[0]
            correct += (out.argmax(1) == yb).sum().item()
            step_ms.append((time.perf_counter() - t0) * 1000)
        epoch_seconds.append(time.perf_counter() - start)
        test_loss, test_acc = evaluate(model, test_x, test_y)
        accuracies.append(test_acc)
        print(json.dumps({"epoch": epoch + 1, "train_loss": total / train_x.shape[0],
                          "train_acc": correct / train_x.shape[0], "test_loss": test_loss, "test_acc": test_acc,
                          "seconds": epoch_seconds[-1], "grad_norm_median": statistics.median(norms),
                          "grad_norm_p99": float(np.percentile(norms, 99)), "grad_norm_max": max(norms)}),
              flush=True)
    print(json.dumps({"side": "pytorch", "variant": a.variant, "recipe": a.recipe, "clip": clip,
                      "parameters": params,
                      "test_acc": accuracies, "seconds_per_epoch": statistics.mean(epoch_seconds),
                      "step_ms_median": statistics.median(step_ms), "seed": a.seed, "threads": a.threads,
                      "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
