#!/usr/bin/env python3
"""Runs the end-to-end step benchmark on both sides, interleaved, and prints the Java / PyTorch table.

    python3 benchmarks/peers/compare.py                       # W1-W3, every variant, 2 threads, one round
    python3 benchmarks/peers/compare.py --workloads W1 --rounds 3 --jsonl results.jsonl

Builds nothing: build the shaded jar first (mvn -pl benchmarks -am package -DskipTests). For each round, each
workload and each Java variant it runs StepBenchmark, then torch_step.py with the matching PyTorch variant
(first-order, or quadratic for both quadratic-standard and quadratic-hybrid), each in a fresh process with the same
thread count, steps, warm-up and learning rate, so both sides see the same machine load. With several rounds a
figure is the median of the rounds' medians.

The PyTorch side runs when `import torch` works in /usr/bin/python3 (Debian's python3-torch), else in the python3 on
PATH, else it is skipped with a message and only the Java figures are printed. It runs with OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS set to the thread count and, unless --omp-active is given, OMP_WAIT_POLICY=PASSIVE: on a
loaded machine OpenMP's default spin-waiting made PyTorch's steps up to 10x slower, which would flatter Java.
This script needs no third-party Python package.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VARIANTS = ("first-order", "quadratic-standard", "quadratic-hybrid")
MB = 1e6

# Targets: ratio of medians Java / PyTorch.
TRAIN_TARGET = {("W1", False): 1.0, ("W2", False): 1.0, ("W3", False): 1.25,
                ("W1", True): 1.0, ("W2", True): 1.0, ("W3", True): 1.0}
INFER_TARGET = 1.0
HYBRID_MEMORY_TARGET = 1.3
ALLOCATION_TARGET = 0.10


def torch_python():
    """The first interpreter that imports torch, or None."""
    candidates = ["/usr/bin/python3"]
    on_path = shutil.which("python3")
    if on_path and os.path.realpath(on_path) != os.path.realpath("/usr/bin/python3"):
        candidates.append(on_path)
    for py in candidates:
        if os.path.exists(py) and subprocess.run([py, "-c", "import torch"], capture_output=True).returncode == 0:
            return py
    return None


def run_json(cmd, env=None):
    """Runs cmd and returns the JSON object on its last stdout line, or None (with its stderr shown) on failure."""
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if p.returncode != 0 or not lines:
        sys.stderr.write("failed (exit %d): %s\n%s\n" % (p.returncode, " ".join(cmd), p.stderr[-2000:]))
        return json.loads(lines[-1]) if lines else None
    return json.loads(lines[-1])


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt(v, spec="%.1f"):
    return "-" if v is None else spec % v


def median_of(runs, key):
    vals = [r[key] for r in runs if r is not None and r.get(key) is not None]
    return statistics.median(vals) if vals else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", default="W1,W2,W3")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--warmup-seconds", type=float, default=10.0,
                    help="both sides also warm up for at least this long (the JVM compiles its kernels meanwhile)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--rounds", type=int, default=1, help="interleaved repetitions; figures are medians over rounds")
    ap.add_argument("--jar", default=os.path.join(ROOT, "benchmarks", "target", "benchmarks.jar"))
    ap.add_argument("--classpath", help="Java class path to use instead of --jar (e.g. a development build)")
    ap.add_argument("--java", default="java")
    ap.add_argument("--java-opts", default="-Xmx2g", help="extra JVM options, space-separated")
    ap.add_argument("--omp-active", action="store_true", help="leave OpenMP's default (spinning) wait policy")
    ap.add_argument("--jsonl", help="also append every run's JSON line to this file")
    ap.add_argument("--summarize", metavar="JSONL", help="print the table of a --jsonl file of earlier runs; run nothing")
    a = ap.parse_args()
    if a.summarize:
        summarize(a)
        return
    workloads = a.workloads.split(",")
    variants = a.variants.split(",")
    for v in variants:
        if v not in VARIANTS:
            sys.exit("unknown variant %s; valid: %s" % (v, ", ".join(VARIANTS)))
    if not a.classpath and not os.path.exists(a.jar):
        sys.exit("no %s: build it first with mvn -pl benchmarks -am package -DskipTests" % a.jar)
    py = torch_python()
    if py is None:
        print("PyTorch side skipped: no python3 with torch (install python3-torch and libopenblas0-pthread)")
    common = ["--steps", str(a.steps), "--warmup", str(a.warmup), "--warmup-seconds", repr(a.warmup_seconds),
              "--threads", str(a.threads), "--lr", repr(a.lr)]
    torch_env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads))
    if not a.omp_active:
        torch_env["OMP_WAIT_POLICY"] = "PASSIVE"
    java = [a.java, "--add-modules=jdk.incubator.vector"] + a.java_opts.split() + [
        "-cp", a.classpath or a.jar, "org.quadralib.benchmarks.StepBenchmark"]
    results = {}
    load_before = os.getloadavg()
    sink = open(a.jsonl, "a") if a.jsonl else None
    for rnd in range(a.rounds):
        for w in workloads:
            for v in variants:
                print("round %d/%d %s %s ..." % (rnd + 1, a.rounds, w, v), file=sys.stderr, flush=True)
                j = run_json(java + ["--workload", w, "--variant", v] + common)
                t = None
                if py:
                    peer = "first-order" if v == "first-order" else "quadratic"
                    t = run_json([py, os.path.join(HERE, "torch_step.py"), "--workload", w, "--variant", peer] + common,
                                 env=torch_env)
                results.setdefault((w, v), []).append((j, t))
                if sink:
                    for r in (j, t):
                        if r is not None:
                            sink.write(json.dumps(dict(r, round=rnd, pair=v)) + "\n")
                    sink.flush()
    if sink:
        sink.close()
    report(results, workloads, variants, a, py is not None, load_before, os.getloadavg())


def summarize(a):
    """The table of a JSONL file written with --jsonl: runs paired by round, workload and Java variant."""
    pairs = {}
    with open(a.summarize) as f:
        for line in f:
            r = json.loads(line)
            key = (r.get("round"), r["workload"], r["pair"])
            pairs.setdefault(key, [None, None])[0 if r["side"] == "java" else 1] = r
    results = {}
    for (rnd, w, v), (j, t) in sorted(pairs.items(), key=lambda kv: str(kv[0])):
        results.setdefault((w, v), []).append((j, t))
    workloads = [w for w in ("W1", "W2", "W3") if any(k[0] == w for k in results)]
    variants = [v for v in VARIANTS if any(k[1] == v for k in results)]
    first = next(j or t for runs in results.values() for j, t in runs)
    a.threads, a.steps, a.warmup, a.lr = first["threads"], first["steps"], first["warmup"], first["lr"]
    a.warmup_seconds = first.get("warmup_seconds", 0)
    a.rounds = max(len(runs) for runs in results.values())
    with_torch = any(t is not None for runs in results.values() for _, t in runs)
    report(results, workloads, variants, a, with_torch, None, None)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def versions(results, key):
    return sorted({r[key] for runs in results.values() for pair in runs for r in pair if r is not None and key in r})


def java_versions(results):
    """Each JDK of the Java side as 'java.version (VM java.vm.version)'."""
    return sorted({"%s (VM %s)" % (r["java"], r.get("java_vm", "?")) for runs in results.values() for pair in runs
                   for r in pair if r is not None and "java" in r})


def report(results, workloads, variants, a, with_torch, load_before, load_after):
    load = "" if load_before is None else "; load average %.1f before, %.1f after" % (load_before[0], load_after[0])
    print("\n%s, %d CPUs; Java %s; PyTorch %s%s" % (
        cpu_model(), os.cpu_count(), ", ".join(java_versions(results)) or "-",
        ", ".join(versions(results, "torch")) or "-", load))
    print("threads %d, %d timed steps after at least %d warm-up steps and %g s, lr %g, %d round(s); medians (ms, MB)" % (
        a.threads, a.steps, a.warmup, a.warmup_seconds, a.lr, a.rounds))
    print("train: wall ms per training step; cpu: CPU ms per step over all threads; infer: ms per inference batch"
          " (Java in an InferenceMode scope, weights packed once; no-grad J: under no-grad alone, every weight packed"
          " per call; PyTorch under torch.no_grad());"
          " peak: tracked peak (Java) / resident + profiled transient peak (PyTorch); saved: bytes saved for backward;"
          " heap/act: Java heap allocation per step over its activation bytes")
    head = ("workload", "variant", "train J", "train T", "J/T", "cpu J", "cpu T", "J/T", "infer J", "infer T", "J/T",
            "no-grad J", "J/T", "peak J", "peak T", "J/T", "saved J", "saved T", "heap/act")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    misses = []
    peaks = {}
    for w in workloads:
        for v in variants:
            runs = results.get((w, v), [])
            js = [j for j, _ in runs]
            ts = [t for _, t in runs]
            jt, tt = median_of(js, "train_ms"), median_of(ts, "train_ms")
            jc, tc = median_of(js, "train_cpu_ms"), median_of(ts, "train_cpu_ms")
            ji, ti = median_of(js, "infer_ms"), median_of(ts, "infer_ms")
            jn = median_of(js, "infer_nograd_ms")
            jp, tp = median_of(js, "peak_bytes"), median_of(ts, "peak_bytes")
            jsv, tsv = median_of(js, "saved_peak_bytes"), median_of(ts, "saved_peak_bytes")
            alloc = median_of(js, "heap_alloc_over_activation")
            peaks[(w, v)] = jp
            rt, ri, rp = ratio(jt, tt), ratio(ji, ti), ratio(jp, tp)
            print("| " + " | ".join([w, v, fmt(jt), fmt(tt), fmt(rt, "%.2f"), fmt(jc), fmt(tc), fmt(ratio(jc, tc), "%.2f"),
                                     fmt(ji), fmt(ti), fmt(ri, "%.2f"), fmt(jn), fmt(ratio(jn, ti), "%.2f"),
                                     fmt(jp and jp / MB), fmt(tp and tp / MB), fmt(rp, "%.2f"),
                                     fmt(jsv and jsv / MB), fmt(tsv and tsv / MB),
                                     fmt(alloc and 100 * alloc, "%.2f%%")]) + " |")
            target = TRAIN_TARGET[(w, v != "first-order")]
            if with_torch and rt is not None and rt > target:
                misses.append("%s %s: training step %.2f x PyTorch (target <= %.2f)" % (w, v, rt, target))
            if with_torch and ri is not None and ri > INFER_TARGET:
                misses.append("%s %s: inference %.2f x PyTorch (target <= %.2f)" % (w, v, ri, INFER_TARGET))
            if alloc is not None and alloc >= ALLOCATION_TARGET:
                misses.append("%s %s: heap allocation %.1f%% of activation bytes (target < %d%%)" % (
                    w, v, 100 * alloc, 100 * ALLOCATION_TARGET))
    print("\nnoise: interquartile range of the timed steps within a run, relative to its median (median over rounds);"
          " spread of the per-round medians (min-max)")
    print("| workload | variant | IQR J | IQR T | rounds J (ms) | rounds T (ms) |")
    print("|---|---|---|---|---|---|")
    for w in workloads:
        for v in variants:
            runs = results.get((w, v), [])
            cells = [w, v]
            for side in (0, 1):
                rel = [(r["train_ms_q3"] - r["train_ms_q1"]) / r["train_ms"] for r in (p[side] for p in runs)
                       if r is not None and r.get("train_ms_q1") is not None]
                cells.append(fmt(statistics.median(rel) * 100 if rel else None, "%.0f%%"))
            for side in (0, 1):
                meds = [p[side]["train_ms"] for p in runs if p[side] is not None]
                cells.append("%.1f-%.1f" % (min(meds), max(meds)) if meds else "-")
            print("| " + " | ".join(cells) + " |")
    for w in workloads:
        hybrid, first = peaks.get((w, "quadratic-hybrid")), peaks.get((w, "first-order"))
        if hybrid and first:
            r = hybrid / first
            print("%s peak memory, quadratic-hybrid / first-order (Java): %.2f" % (w, r))
            if w == "W3" and r > HYBRID_MEMORY_TARGET:
                misses.append("W3 quadratic-hybrid peak %.2f x first-order (target <= %.1f)" % (r, HYBRID_MEMORY_TARGET))
    if not with_torch:
        print("(PyTorch side skipped: ratios not available)")
    print("targets missed: " + ("none" if not misses else "\n  " + "\n  ".join(misses)))


if __name__ == "__main__":
    main()
