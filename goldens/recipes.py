"""Golden training trajectories for org.quadralib.layers.train.Trainer (the training loop against PyTorch's).

Each fixture train_<case>.safetensors holds a small model trained for a few epochs, full batches in file order
(no shuffling), and everything needed to replay it:
  x, y            the data (y as float class indices)       init.<n>   every parameter before training
  final.<n>       every parameter after training            train_loss per-epoch mean training loss
  val_loss, val_acc  loss and accuracy on the same data after each epoch (evaluation mode, no grad)
and metadata "params" (JSON: lr, momentum, batch, epochs, clipping, schedule, quadratic lr scale, weight decay).
The loop is PyTorch's canonical one: zero_grad, forward, loss, backward, clip_grad_norm_, step, then the
per-epoch scheduler step. Run with Debian's torch: /usr/bin/python3 goldens/recipes.py
"""
import json
import os

import torch
from torch import nn
import torch.nn.functional as F

import st
from zoo import OUT


class Proposed(nn.Module):
    """The PROPOSED quadratic neuron, written out: y = (x Waᵀ) ∘ (x Wbᵀ) + x Wcᵀ + b."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight_a = nn.Parameter(torch.randn(n_out, n_in) * 1.5)
        self.weight_b = nn.Parameter(torch.randn(n_out, n_in) * 1.5)
        self.weight_c = nn.Parameter(torch.randn(n_out, n_in) * 0.5)
        self.bias = nn.Parameter(torch.randn(n_out) * 0.1)

    def forward(self, x):
        return (x @ self.weight_a.t()) * (x @ self.weight_b.t()) + x @ self.weight_c.t() + self.bias


def run(name, model, groups, x, y, params):
    tensors = {"x": x, "y": y.float()}
    for n, p in model.named_parameters():
        tensors["init." + n] = p.detach().clone()
    opt = torch.optim.SGD(groups, lr=params["lr"], momentum=params["momentum"],
                          weight_decay=params.get("weight_decay", 0.0))
    batch = params["batch"]
    sched, per_step = schedule(opt, params, params["epochs"] * -(-x.shape[0] // batch))
    train_loss, val_loss, val_acc, clipped, norms = [], [], [], 0, []
    for _ in range(params["epochs"]):
        model.train()
        total = 0.0
        for i in range(0, x.shape[0], batch):
            xb, yb = x[i:i + batch], y[i:i + batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            if params["clip"]:
                norm = torch.nn.utils.clip_grad_norm_(model.parameters(), params["clip"])
                clipped += int(norm > params["clip"])
                norms.append(round(float(norm), 2))
            opt.step()
            if sched and per_step:
                sched.step()
            total += loss.item() * xb.shape[0]
        train_loss.append(total / x.shape[0])
        if sched and not per_step:
            sched.step()
        model.eval()
        with torch.no_grad():
            out = model(x)
            val_loss.append(F.cross_entropy(out, y).item())
            val_acc.append((out.argmax(1) == y).float().mean().item())
    for n, p in model.named_parameters():
        tensors["final." + n] = p.detach().clone()
    tensors["train_loss"] = torch.tensor(train_loss)
    tensors["val_loss"] = torch.tensor(val_loss)
    tensors["val_acc"] = torch.tensor(val_acc)
    # The fixture must exercise the clipping it claims to: some steps above the limit.
    assert not params["clip"] or clipped > 0, name + ": no step was clipped"
    print(name, "gradient norms before clipping:", norms)
    st.save(os.path.join(OUT, "train_%s.safetensors" % name), tensors, {"params": json.dumps(params)})


def schedule(opt, params, total_steps):
    """(scheduler, stepped per batch?): per-epoch StepLR for "gamma", per-step LinearLR warm-up then
    CosineAnnealingLR to 0 for "warmup" (with "start_factor"), or (None, False)."""
    if params.get("warmup"):
        warmup = params["warmup"]
        lin = torch.optim.lr_scheduler.LinearLR(opt, start_factor=params["start_factor"], total_iters=warmup)
        cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps - warmup, eta_min=0.0)
        return torch.optim.lr_scheduler.SequentialLR(opt, [lin, cos], milestones=[warmup]), True
    if params.get("gamma"):
        return torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=params["gamma"]), False
    return None, False


def main():
    torch.manual_seed(7)
    x = torch.randn(48, 4)
    y = torch.randint(0, 3, (48,))

    # First-order MLP: one parameter group, explicit clipping, a per-epoch StepLR.
    mlp = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    run("mlp_sgd_clip", mlp, mlp.parameters(), x, y,
        dict(lr=0.1, momentum=0.9, batch=16, epochs=2, clip=0.25, gamma=0.5))

    # Mixed model: the quadratic weights (Wa, Wb) in their own group at 0.1x the rate and clipping at 5, which is
    # what the Java trainer does by itself for a model with quadratic parameters (Trainer's defaults).
    q = Proposed(4, 3)
    groups = [{"params": [q.weight_c, q.bias], "lr": 0.2},
              {"params": [q.weight_a, q.weight_b], "lr": 0.2 * 0.1}]
    # Inputs 1.5 times as large: the product term's gradients grow with |x|², so some steps exceed the limit.
    run("quadratic_groups", q, groups, 1.5 * x, y,
        dict(lr=0.2, momentum=0.9, batch=16, epochs=3, clip=5.0, gamma=0, quadratic_lr_scale=0.1))


if __name__ == "__main__":
    main()
