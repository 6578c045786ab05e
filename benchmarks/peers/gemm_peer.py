#!/usr/bin/env python3
"""PyTorch baseline for benchmarks/README.md: float32 torch.mm (OpenBLAS on Debian) at the sizes of
GemmBenchmark, and the conv2d passes of ConvBenchmark, with 1 and 2 threads, printed in GFLOP/s.

    /usr/bin/python3 benchmarks/peers/gemm_peer.py            # GEMM and convolution, 1 and 2 threads
    /usr/bin/python3 benchmarks/peers/gemm_peer.py --no-conv  # GEMM only

OpenBLAS reads its thread count once, when the library loads, so each thread count runs in a fresh
interpreter with OPENBLAS_NUM_THREADS / OMP_NUM_THREADS set; torch.set_num_threads covers torch's own pool.
Each figure is the median and the best of several timed samples of at least 0.2 s each.
"""
import argparse
import os
import subprocess
import sys
import time

SIZES = (64, 256, 1024)
# cin, cout, pixels of the CIFAR VGG layers, batch 32, 3x3 kernel, padding 1 (as ConvBenchmark).
LAYERS = ((3, 32, 32), (32, 32, 32), (64, 64, 16), (128, 128, 8))
BATCH = 32


def rate(fn, flop, samples=7, min_time=0.2):
    """Median and best GFLOP/s of `samples` timings, each repeating fn for at least min_time seconds."""
    for _ in range(3):
        fn()
    reps = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        if time.perf_counter() - t0 >= min_time:
            break
        reps *= 2
    rates = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        rates.append(flop * reps / (time.perf_counter() - t0) / 1e9)
    rates.sort()
    return rates[len(rates) // 2], rates[-1]


def worker(threads, conv):
    try:
        import torch
    except ImportError:
        sys.exit("gemm_peer.py needs PyTorch: on Debian install python3-torch and libopenblas0-pthread and run it "
                 "with /usr/bin/python3")

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    print(f"# torch {torch.__version__}, {threads} thread(s)", flush=True)
    for n in SIZES:
        a = torch.rand(n, n, dtype=torch.float32) - 0.5
        b = torch.rand(n, n, dtype=torch.float32) - 0.5
        c = torch.empty(n, n, dtype=torch.float32)
        med, best = rate(lambda: torch.mm(a, b, out=c), 2.0 * n ** 3)
        print(f"gemm  size={n:<5d} threads={threads}  median {med:7.1f}  best {best:7.1f} GFLOP/s", flush=True)
    if not conv:
        return
    for cin, cout, px in LAYERS:
        x = torch.rand(BATCH, cin, px, px) - 0.5
        w = (torch.rand(cout, cin, 3, 3) - 0.5).requires_grad_()
        bias = (torch.rand(cout) - 0.5).requires_grad_()
        xg = x.clone().requires_grad_()
        gy = torch.rand(BATCH, cout, px, px) - 0.5
        flop = 2.0 * BATCH * cout * px * px * cin * 9
        name = f"{cin}-{cout}-{px}"
        with torch.no_grad():
            med, best = rate(lambda: torch.nn.functional.conv2d(x, w, bias, padding=1), flop)
        print(f"conv  layer={name:<10s} threads={threads}  forward         median {med:7.1f}  best {best:7.1f} GFLOP/s",
              flush=True)
        y = torch.nn.functional.conv2d(xg, w, bias, padding=1)
        med, best = rate(lambda: torch.autograd.grad(y, (xg,), gy, retain_graph=True), flop)
        print(f"conv  layer={name:<10s} threads={threads}  backwardInput   median {med:7.1f}  best {best:7.1f} GFLOP/s",
              flush=True)
        med, best = rate(lambda: torch.autograd.grad(y, (w, bias), gy, retain_graph=True), flop)
        print(f"conv  layer={name:<10s} threads={threads}  backwardWeight  median {med:7.1f}  best {best:7.1f} GFLOP/s",
              flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--no-conv", action="store_true", help="skip the conv2d passes")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        worker(args.worker, not args.no_conv)
        return
    for t in args.threads:
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t), OMP_NUM_THREADS=str(t), MKL_NUM_THREADS=str(t))
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", str(t)] + (["--no-conv"] if args.no_conv else [])
        subprocess.run(cmd, env=env, check=True)


if __name__ == "__main__":
    main()
