"""PyTorch side of the end-to-end step benchmark (W1 MLP, W2 LeNet-5, W3 CIFAR-style VGG).

One training step = forward + cross-entropy + backward + SGD(momentum 0.9). Prints one JSON line per run with
the median step time (and quartiles), the CPU time per step (all threads), the median inference time per batch
and memory, so that compare.py can put
it beside the Java figures (StepBenchmark) measured in the same session.

Memory, measured after the timed steps so that it does not slow them: the peak of live tensor bytes during a
steady-state training step (what stays between steps: parameters, gradients, momentum buffers, module buffers and
the input; plus the highest running sum of the allocations and frees the profiler records during the step, i.e.
activations, gradients and scratch that go through PyTorch's CPU allocator), the peak of distinct storage bytes
saved for backward (saved-tensor hooks; parameters not counted, as on the Java side), and the growth of the
process's peak resident set over the timed steps (coarse: the allocator keeps freed memory).

Run it with OMP_NUM_THREADS and OPENBLAS_NUM_THREADS set to --threads (compare.py does): OpenBLAS sizes its pool
once, when it loads.

Quadratic variants make every Linear and Conv2d a PROPOSED neuron, y = (W_a x)(W_b x) + W_c x + b, written the
way a PyTorch user would: three layers and element-wise ops (autograd keeps both branch outputs).
"""
import argparse
import json
import os
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile


class QLinear(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.a = nn.Linear(i, o, bias=False)
        self.b = nn.Linear(i, o, bias=False)
        self.c = nn.Linear(i, o)

    def forward(self, x):
        return self.a(x) * self.b(x) + self.c(x)


class QConv(nn.Module):
    def __init__(self, i, o, k, padding=0):
        super().__init__()
        self.a = nn.Conv2d(i, o, k, padding=padding, bias=False)
        self.b = nn.Conv2d(i, o, k, padding=padding, bias=False)
        self.c = nn.Conv2d(i, o, k, padding=padding)

    def forward(self, x):
        return self.a(x) * self.b(x) + self.c(x)


def layers(quadratic):
    lin = (lambda i, o: QLinear(i, o)) if quadratic else (lambda i, o: nn.Linear(i, o))
    conv = (lambda i, o, k, p=0: QConv(i, o, k, p)) if quadratic else (lambda i, o, k, p=0: nn.Conv2d(i, o, k, padding=p))
    return lin, conv


def build(workload, quadratic):
    lin, conv = layers(quadratic)
    if workload == "W1":
        return nn.Sequential(lin(784, 256), nn.ReLU(), lin(256, 256), nn.ReLU(), lin(256, 10)), (128, 784)
    if workload == "W2":
        return nn.Sequential(conv(1, 6, 5, 2), nn.ReLU(), nn.MaxPool2d(2), conv(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), lin(400, 120), nn.ReLU(), lin(120, 84), nn.ReLU(), lin(84, 10)), (64, 1, 28, 28)
    if workload == "W3":
        mods = []
        c = 3
        for width in (32, 64, 128):
            for _ in range(2):
                mods += [conv(c, width, 3, 1), nn.BatchNorm2d(width), nn.ReLU()]
                c = width
            mods.append(nn.MaxPool2d(2))
        mods += [nn.Flatten(), lin(2048, 10)]
        return nn.Sequential(*mods), (32, 3, 32, 32)
    raise SystemExit("unknown workload " + workload)


def train_step(model, opt, x, y):
    opt.zero_grad(set_to_none=False)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


def quantile(v, q):
    """Linear-interpolated quantile, as numpy's default (and StepBenchmark's)."""
    s = sorted(v)
    pos = q * (len(s) - 1)
    lo = int(pos)
    hi = min(len(s) - 1, lo + 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def resident_bytes(model, opt, x):
    """Bytes that live between steps: parameters, gradients, optimizer state, module buffers, the input."""
    total = x.numel() * x.element_size()
    for p in model.parameters():
        total += p.numel() * p.element_size()
        if p.grad is not None:
            total += p.grad.numel() * p.grad.element_size()
        for v in opt.state.get(p, {}).values():
            if torch.is_tensor(v):
                total += v.numel() * v.element_size()
    for b in model.buffers():
        total += b.numel() * b.element_size()
    return total


def transient_peak_bytes(model, opt, x, y):
    """Highest running sum of the allocations minus frees the profiler records during one training step."""
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        train_step(model, opt, x, y)
    events = sorted((e.start_us(), e.nbytes()) for e in prof.profiler.kineto_results.events() if e.name() == "[memory]")
    current = peak = 0
    for _, nbytes in events:
        current += nbytes
        peak = max(peak, current)
    return peak


def saved_peak_bytes(model, opt, x, y):
    """Distinct storage bytes saved for backward by one training step (all of them are live when backward starts)."""
    seen = {}

    def pack(t):
        if not (t.is_leaf and t.requires_grad):
            storage = t.storage()
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        train_step(model, opt, x, y)
    return sum(seen.values())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workload", required=True)
    p.add_argument("--variant", default="first-order", choices=["first-order", "quadratic"])
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--warmup-seconds", type=float, default=10.0,
                   help="warm up for at least this long too (the Java side needs it for its JIT; same rule on both sides)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-4)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model, shape = build(a.workload, a.variant == "quadratic")
    x = torch.randn(*shape)
    y = torch.randint(0, 10, (shape[0],))
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    warm_until = time.perf_counter() + a.warmup_seconds
    i = 0
    while i < a.warmup or time.perf_counter() < warm_until:
        train_step(model, opt, x, y)
        i += 1
    times = []
    loss = None
    cpu = time.process_time()
    for i in range(a.steps):
        t0 = time.perf_counter()
        loss = train_step(model, opt, x, y)
        times.append((time.perf_counter() - t0) * 1000)
    cpu_ms = (time.process_time() - cpu) * 1000 / a.steps
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak = resident_bytes(model, opt, x) + max(transient_peak_bytes(model, opt, x, y) for _ in range(3))
    saved = saved_peak_bytes(model, opt, x, y)
    model.eval()
    inf = []
    with torch.no_grad():
        warm_until = time.perf_counter() + a.warmup_seconds
        i = 0
        while i < a.warmup or time.perf_counter() < warm_until:
            model(x)
            i += 1
        for i in range(a.steps):
            t0 = time.perf_counter()
            model(x)
            inf.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"side": "pytorch", "workload": a.workload, "variant": a.variant, "threads": a.threads,
                      "steps": a.steps, "warmup": a.warmup, "warmup_seconds": a.warmup_seconds, "lr": a.lr,
                      "train_ms": statistics.median(times), "train_ms_q1": quantile(times, 0.25),
                      "train_ms_q3": quantile(times, 0.75), "train_cpu_ms": cpu_ms,
                      "infer_ms": statistics.median(inf),
                      "infer_ms_q1": quantile(inf, 0.25), "infer_ms_q3": quantile(inf, 0.75),
                      "final_loss": float(loss), "peak_bytes": peak, "saved_peak_bytes": saved,
                      "rss_growth_bytes": (rss1 - rss0) * 1024, "torch": torch.__version__,
                      "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "")}))


if __name__ == "__main__":
    main()
