#!/usr/bin/env python3
"""Runs the reference QuadraLib training recipes on both sides, one after the other, and prints one table.

    python3 benchmarks/peers/recipes.py --data examples/src/main/resources/org/quadralib/examples/fashion-mnist-sample
    python3 benchmarks/peers/recipes.py --seeds 1,2,3 --jsonl recipes.jsonl     # the full set, three seeds

PROPOSED LeNet-5 on Fashion-MNIST IDX files, SGD momentum 0.9, batch 64, 5 epochs, for each recipe:
  plain         fresh initialisation, every weight at the learning rate, no clipping
  clip0.5       plain with the global gradient norm clipped at 0.5 (the reference code's max norm)
  linear-start  linear start (W_b = 0), the quadratic weights at 0.1x the rate, no clipping
Java: org.quadralib.benchmarks.RecipeRun (build the jar first: mvn -pl benchmarks -am package -DskipTests).
PyTorch: examples/peers/lenet_recipe.py (--recipe plain, --recipe plain --clip 0.5, --recipe library --clip 0)
in /usr/bin/python3. Both print JSON lines; this script needs no third-party Python package.
"""
import argparse
import datetime
import json
import math
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TORCH_ARGS = {"plain": ["--recipe", "plain"], "clip0.5": ["--recipe", "plain", "--clip", "0.5"],
              "linear-start": ["--recipe", "library", "--clip", "0"]}


def summary(cmd, env=None):
    """The run's last JSON line, with "diverged": whether any epoch's training or test loss was NaN or infinite."""
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    if p.returncode != 0 or not lines:
        sys.stderr.write("failed (exit %d): %s\n%s\n" % (p.returncode, " ".join(cmd), p.stderr[-2000:]))
        return None
    losses = [e[k] for e in lines[:-1] for k in ("train_loss", "test_loss")]
    return dict(lines[-1], diverged=any(not math.isfinite(v) for v in losses))


def cpu_model():
    out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def cell(rows):
    """Final test accuracy: mean ± std over seeds, or how many runs diverged (a NaN loss)."""
    diverged = sum(r["diverged"] for r in rows)
    if diverged:
        return "diverged (NaN loss) in %d of %d runs" % (diverged, len(rows))
    finals = [r["test_acc"][-1] for r in rows]
    if len(finals) == 1:
        return "%.2f%%" % (100 * finals[0])
    return "%.2f ± %.2f%%" % (100 * statistics.mean(finals), 100 * statistics.stdev(finals))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--recipes", default="plain,clip0.5,linear-start")
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--jar", default=os.path.join(ROOT, "benchmarks", "target", "benchmarks.jar"))
    ap.add_argument("--java", default="java")
    ap.add_argument("--jsonl", help="also append every run's summary line to this file")
    a = ap.parse_args()
    common = ["--data", a.data, "--epochs", str(a.epochs), "--threads", str(a.threads)]
    torch_env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads),
                     OMP_WAIT_POLICY="PASSIVE")
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()[0]
    runs = {}
    sink = open(a.jsonl, "a") if a.jsonl else None
    for seed in a.seeds.split(","):
        for recipe in a.recipes.split(","):
            print("seed %s %s ..." % (seed, recipe), file=sys.stderr, flush=True)
            j = summary([a.java, "--add-modules=jdk.incubator.vector", "-Xmx2g", "-cp", a.jar,
                           "org.quadralib.benchmarks.RecipeRun", "--recipe", recipe, "--seed", seed] + common)
            t = summary(["/usr/bin/python3", os.path.join(ROOT, "examples", "peers", "lenet_recipe.py"),
                           "--variant", "proposed", "--seed", seed] + TORCH_ARGS[recipe] + common, env=torch_env)
            runs.setdefault(recipe, []).append((j, t))
            for r in (j, t):
                if sink and r is not None:
                    sink.write(json.dumps(dict(r, recipe_name=recipe)) + "\n")
                    sink.flush()
    ended = datetime.datetime.now(datetime.timezone.utc)
    java = sorted({j["java"] for rs in runs.values() for j, _ in rs if j})
    torch = sorted({t["torch"] for rs in runs.values() for _, t in rs if t})
    print("%s to %s UTC; %s, %d CPUs, %d threads; Java %s; PyTorch %s; load average %.1f before, %.1f after" % (
        started.strftime("%Y-%m-%d %H:%M"), ended.strftime("%H:%M"), cpu_model(), os.cpu_count(), a.threads,
        ", ".join(java) or "-", ", ".join(torch) or "-", load_before, os.getloadavg()[0]))
    print("data %s, %d epochs, seeds %s; final test accuracy (mean ± std over seeds), test accuracy after each"
          " epoch (mean over seeds)" % (a.data, a.epochs, a.seeds))
    print()
    print("| recipe | QuadraLib | PyTorch | QuadraLib per epoch | PyTorch per epoch |")
    print("|---|---|---|---|---|")
    for recipe, rs in runs.items():
        js = [j for j, _ in rs if j]
        ts = [t for _, t in rs if t]
        curve = lambda rows: " / ".join("%.1f" % (100 * statistics.mean(r["test_acc"][e] for r in rows))
                                        for e in range(a.epochs)) if rows else "-"
        print("| %s | %s | %s | %s | %s |" % (recipe, cell(js) if js else "failed", cell(ts) if ts else "failed",
                                              curve(js), curve(ts)))
    if sink:
        sink.close()


if __name__ == "__main__":
    main()
