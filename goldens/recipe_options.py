"""Golden fixtures for the training-recipe options: warm-up + cosine schedule, weight decay, quadratic lr scale.

Writes
  quadralib-core/src/test/resources/golden/lr_warmup_cosine.safetensors
      <case>.rates  [T + 1, 2]: the rate of two parameter groups (base 0.1 and 0.01) before each of T + 1 steps of
      SequentialLR([LinearLR(start_factor=s, total_iters=W), CosineAnnealingLR(T_max=T - W, eta_min=m * lr)],
      milestones=[W]); metadata "params" gives W, s, T, m per case. Read by optim/WarmupCosineTest.
  quadralib-layers/src/test/resources/golden/train_recipe_options.safetensors
      a PROPOSED layer trained by torch.optim.SGD(momentum=0.9, weight_decay=0.01) with the quadratic weights at
      0.3x the rate, clip_grad_norm_ at 5.0 and the warm-up + cosine schedule (floor 0) stepped every batch (same layout as
      goldens/recipes.py's train_<case> fixtures, written by its run()). Read by train/RecipeOptionsTest.
Run with Debian's torch: /usr/bin/python3 goldens/recipe_options.py
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402
import recipes  # noqa: E402
from recipes import Proposed  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CORE = os.path.join(HERE, "..", "quadralib-core", "src", "test", "resources", "golden")

SCHEDULE_CASES = {
    "warmup3_start025": dict(warmup=3, start=0.25, total=10, min=0.1),
    "no_warmup": dict(warmup=0, start=1.0, total=8, min=0.0),
    "warmup5_default_start": dict(warmup=5, start=1.0 / 3.0, total=12, min=0.05),
    "warmup4_library_start": dict(warmup=4, start=1.0 / 5.0, total=9, min=0.2),  # LrScheduler.cosineWithWarmup
}


def schedules():
    tensors, params = {}, {}
    for name, c in SCHEDULE_CASES.items():
        rates = []
        # One optimizer per group: CosineAnnealingLR's eta_min is one absolute value, and the Java schedule's floor is
        # relative to each group's base rate, so each group gets its own optimizer with eta_min = m * its base.
        for base in (0.1, 0.01):
            p = torch.nn.Parameter(torch.zeros(1))
            opt = torch.optim.SGD([p], lr=base)
            cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=c["total"] - c["warmup"], eta_min=c["min"] * base)
            if c["warmup"] > 0:
                lin = torch.optim.lr_scheduler.LinearLR(opt, start_factor=c["start"], end_factor=1.0,
                                                        total_iters=c["warmup"])
                sched = torch.optim.lr_scheduler.SequentialLR(opt, [lin, cos], milestones=[c["warmup"]])
            else:
                sched = cos
            r = []
            for _ in range(c["total"] + 1):
                r.append(opt.param_groups[0]["lr"])
                opt.step()
                sched.step()
            rates.append(r)
        tensors[name + ".rates"] = torch.tensor(rates, dtype=torch.float64).t().contiguous()
        params[name] = c
    st.save(os.path.join(CORE, "lr_warmup_cosine.safetensors"), tensors, {"params": json.dumps(params)})


def trained_with_options():
    torch.manual_seed(11)
    x = 1.5 * torch.randn(48, 4)
    y = torch.randint(0, 3, (48,))
    q = Proposed(4, 3)
    lr, scale = 0.2, 0.3
    groups = [{"params": [q.weight_c, q.bias], "lr": lr}, {"params": [q.weight_a, q.weight_b], "lr": lr * scale}]
    # CosineAnnealingLR's eta_min is one absolute rate for all groups; with a floor of 0 it is each group's too.
    recipes.run("recipe_options", q, groups, x, y,
                dict(lr=lr, momentum=0.9, batch=16, epochs=3, clip=5.0, weight_decay=0.01, quadratic_lr_scale=scale,
                     warmup=3, start_factor=0.25))


if __name__ == "__main__":
    schedules()
    trained_with_options()
