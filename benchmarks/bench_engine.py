"""Speed, memory and start-up of the simulation engine: ``python benchmarks/bench_engine.py [--before REV]``.

Workload: MCM with s-quantization (s = 1) both ways on the homogeneous quadratic with Gaussian noise
(``boundlab.simulate.quadratic``, sigma = 1), every iteration recorded (all fifteen records). Reported:

* **worker-steps per second**: one worker's stochastic gradient, compression and memory update is one step, so
  R runs, N workers and K iterations are R*N*K steps; wall clock of :func:`boundlab.simulate.simulate` (setup and
  recording included), best of ``--repeat``, in one process and in two (``processes = 2``: both cores); and
  per CPU-second of the one process;
* **peak memory over the state**: the growth of the resident set during one simulation (Linux: the peak is reset
  through ``/proc/self/clear_refs`` after a warm-up run and after glibc has returned its free memory,
  ``malloc_trim``, so that memory freed by earlier work and reused cannot hide the growth), against the
  algorithm's state (the arrays of ``init_state``: for MCM w, w_hat and H, R x d each, and Upsilon);
* **ns per run-worker-coordinate-iteration** as R, N, d and K vary around (1000, 20, 20, 100): constant when the
  cost is linear; the **fixed cost per iteration** at small R (runs are drawn in blocks of 64: a batch of R < 64
  runs draws as many random numbers as 64);
* **start-up**: ``boundlab --help`` and every sub-command's ``--help``, best of 3 fresh processes.

Each case runs in a fresh interpreter. The code measured: ``compiled`` (this checkout, numba's kernels),
``numpy`` (this checkout, ``BOUNDLAB_ENGINE=numpy``: the reference engine) and, with ``--before REV``, an earlier
revision (benchmarks/revision.py), all in the same run. The Hessian is a random rotation of the spectrum
(dense, O(d^2) per gradient: a property of the problem) or diagonal (``rotate = False``, O(d)); the column
``hessian`` says which. The machine's load average is printed before and after. ``--quick`` runs tiny sizes
(for the test suite); ``--json FILE`` writes every figure.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: (R, N, d, K, diagonal Hessian, codes, processes): the workload of record first
MAIN_CASES = (
    (1000, 20, 20, 200, False, ("compiled", "numpy", "before"), (1, 2)),
    (100, 100, 1000, 10, False, ("compiled", "numpy", "before"), (1, 2)),
    (100, 100, 1000, 10, True, ("compiled", "numpy", "before"), (1, 2)),
    (4, 20, 100000, 4, True, ("compiled", "numpy", "before"), (1,)),
)
QUICK_MAIN = ((128, 4, 8, 20, False, ("compiled", "numpy"), (1, 2)), (64, 8, 64, 5, True, ("compiled",), (1,)))
SCALING_BASE = (1000, 20, 20, 100)
SCALING = {"R": (250, 500, 1000, 2000), "N": (5, 10, 20, 40), "d": (10, 20, 40, 80), "K": (50, 100, 200, 400)}
SCALING_BIG_D = ((64, 20, 10), (2500, 5000, 10000, 20000))      # (R, N, K), d: diagonal Hessian
SMALL_R = ((1, 4, 16, 64, 128), 20, 20, 1000)                     # R values, N, d, K; checkpoints every 100
QUICK_SCALING = {"R": (64, 128), "K": (10, 20)}
QUICK_BASE = (64, 4, 8, 10)
QUICK_BIG_D = ((64, 2, 2), (100, 200))
QUICK_SMALL_R = ((1, 64), 4, 8, 50)
COMMANDS = ("", "summary", "theory", "table", "audit", "simulate", "verify", "worst", "figures", "sweep", "operators")

CHILD = r'''
import ctypes, gc, json, os, resource, sys, time
import numpy as np
from boundlab.simulate import make_algorithm, quadratic, simulate
from boundlab.simulate.algorithms import Context
from boundlab.simulate.rng import RunRNG
R, N, d, K, processes, repeat, diag, ck = json.loads(sys.argv[1])

def status(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) * 1024

prob = quadratic(N=N, d=d, sigma=1.0, seed=0, rotate=not diag, diagonal=diag)
ops = {"up": "qsgd:s=1", "down": "qsgd:s=1"}
algo = make_algorithm("mcm", ops)
algo.setup(prob)
algo.gamma_bound(prob)                  # imports boundlab.theory (sympy) before any measurement
st = algo.init_state(Context(prob, RunRNG(0, 0, R), algo.up, algo.down, algo.p), prob.w0)
state_bytes = sum(v.nbytes for v in vars(st).values() if isinstance(v, np.ndarray))
del st
simulate(prob, make_algorithm("mcm", ops), n_runs=min(R, 64), n_iter=1, seed=99, progress=False, processes=1)
best = best_cpu = float("inf")
peak = 0
for r in range(repeat):
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)       # freed memory back to the system: growth is then seen
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")                               # the peak (VmHWM) reset to the current resident set
        rss0 = status("VmRSS")
    except OSError:
        rss0 = None
    t0, c0 = time.perf_counter(), time.process_time()
    res = simulate(prob, make_algorithm("mcm", ops), n_runs=R, n_iter=K, seed=r, progress=False,
                   processes=processes, checkpoints_spec=ck)
    best = min(best, time.perf_counter() - t0)
    best_cpu = min(best_cpu, time.process_time() - c0)
    if rss0 is not None:
        peak = max(peak, status("VmHWM") - rss0)
    records_bytes = sum(a.nbytes for a in res.records.values())
    del res
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 if processes > 1 else 0
print(json.dumps({"R": R, "N": N, "d": d, "K": K, "processes": processes, "repeat": repeat, "diagonal": diag,
                  "best_s": best, "worker_steps_per_s": R * N * K / best,
                  "cpu_worker_steps_per_s": R * N * K / best_cpu if processes == 1 else None,
                  "ns_per_coordinate": best / (R * N * d * K) * 1e9,
                  "us_per_iteration": best / K * 1e6,
                  "peak_growth_bytes": peak, "peak_child_bytes": child, "state_bytes": state_bytes,
                  "messages_bytes": R * N * d * 8, "records_bytes": records_bytes}))
'''


class Codes:
    """The environments of the codes measured: this checkout (compiled, numpy) and an earlier revision."""

    def __init__(self, before: str | None):
        base = {k: v for k, v in os.environ.items() if k != "BOUNDLAB_ENGINE"}
        self.env = {"compiled": base, "numpy": {**base, "BOUNDLAB_ENGINE": "numpy"}}
        self.label = {"compiled": "compiled", "numpy": "numpy (reference)"}
        if before:
            sys.path.insert(0, str(HERE))
            from revision import describe, package_tree
            tree = package_tree(before)
            self.env["before"] = {**base, "PYTHONPATH": os.pathsep.join([str(tree), base.get("PYTHONPATH", "")])}
            self.label["before"] = f"before: {describe(before)[:60]}"

    def __contains__(self, code: str) -> bool:
        return code in self.env


def run_case(code: str, codes: Codes, R: int, N: int, d: int, K: int, processes: int = 1, repeat: int = 3,
             diag: bool = False, checkpoints: "str | int" = "all") -> dict:
    """One case in a fresh interpreter running ``code``."""
    arg = json.dumps([R, N, d, K, processes, repeat, diag, checkpoints])
    out = subprocess.run([sys.executable, "-c", CHILD, arg], capture_output=True, text=True, env=codes.env[code])
    if out.returncode:
        raise SystemExit(f"{code} {arg}: {out.stderr.strip().splitlines()[-1]}")
    row = json.loads(out.stdout.strip().splitlines()[-1])
    row["code"] = code
    return row


def startup(codes: Codes, code: str, repeat: int = 3) -> dict[str, float]:
    """Best wall time of ``boundlab [COMMAND] --help`` in a fresh process, per command."""
    out = {}
    for cmd in COMMANDS:
        args = [sys.executable, "-m", "boundlab"] + ([cmd] if cmd else []) + ["--help"]
        best = float("inf")
        for _ in range(repeat):
            t = time.perf_counter()
            proc = subprocess.run(args, capture_output=True, env=codes.env[code])
            best = min(best, time.perf_counter() - t)
        out[cmd or "(none)"] = best if proc.returncode == 0 else float("nan")
    return out


def mib(b: float) -> str:
    return f"{b / 2**20:,.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many simulations per case")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test)")
    parser.add_argument("--no-scaling", action="store_true", help="only the main table and the start-up")
    parser.add_argument("--before", default=None, metavar="REV", help="also measure the code of this git revision")
    parser.add_argument("--json", default=None, help="also write every figure to this JSON file")
    a = parser.parse_args(argv)
    codes = Codes(a.before)
    main_cases = QUICK_MAIN if a.quick else MAIN_CASES
    scaling = QUICK_SCALING if a.quick else SCALING
    base = QUICK_BASE if a.quick else SCALING_BASE
    big_d = QUICK_BIG_D if a.quick else SCALING_BIG_D
    small_r = QUICK_SMALL_R if a.quick else SMALL_R
    repeat = 1 if a.quick else a.repeat
    load0 = os.getloadavg()
    print(f"# boundlab engine benchmark: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, load average {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}")
    print(f"# MCM, qsgd:s=1 both ways, Gaussian noise, every iteration recorded; best of {repeat}\n")
    print("| code | R | N | d | K | hessian | processes | worker-steps/s (wall) | per CPU-second | "
          "peak growth MiB | state MiB | peak / state | messages (RxNxd) MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for R, N, d, K, diag, which, procs in main_cases:
        for code in which:
            if code not in codes:
                continue
            for p in procs:
                r = run_case(code, codes, R, N, d, K, p, repeat, diag)
                rows.append(r)
                if p == 1:
                    peak, ratio = mib(r["peak_growth_bytes"]), f"{r['peak_growth_bytes'] / r['state_bytes']:.2f}"
                else:
                    peak, ratio = f"{mib(r['peak_child_bytes'])} (largest process, whole)", "-"
                cpu = f"{r['cpu_worker_steps_per_s']:,.0f}" if p == 1 else "-"
                print(f"| {codes.label[code]} | {R} | {N} | {d} | {K} | {'diagonal' if diag else 'dense'} | {p} | "
                      f"{r['worker_steps_per_s']:,.0f} | {cpu} | {peak} | {mib(r['state_bytes'])} | {ratio} | "
                      f"{mib(r['messages_bytes'])} |", flush=True)
    Rs, N, d, K = small_r
    print(f"\n# small R: time per iteration (N = {N}, d = {d}, K = {K}, a checkpoint every 100 iterations)\n")
    print("| code | " + " | ".join(f"R = {R}" for R in Rs) + " |")
    print("|---" * (len(Rs) + 1) + "|")
    small = []
    for code in ("compiled", "numpy", "before"):
        if code not in codes:
            continue
        cells = []
        for R in Rs:
            r = run_case(code, codes, R, N, d, K, 1, repeat, False, 100)
            small.append(r)
            cells.append(f"{r['us_per_iteration']:.0f} us")
        print(f"| {codes.label[code]} | " + " | ".join(cells) + " |", flush=True)
    scal = []
    if not a.no_scaling:
        print(f"\n# scaling around (R, N, d, K) = {base}, compiled, one process: time / (R N d K) is flat when "
              "linear\n")
        print("| varied | R | N | d | K | seconds (wall) | ns per run-worker-coordinate-iteration |")
        print("|---|---|---|---|---|---|---|")
        for name, values in scaling.items():
            for v in values:
                R, N, d, K = base
                R, N, d, K = (v if name == "R" else R, v if name == "N" else N, v if name == "d" else d,
                              v if name == "K" else K)
                r = run_case("compiled", codes, R, N, d, K, 1, repeat)
                r["varied"] = name
                scal.append(r)
                print(f"| {name} | {R} | {N} | {d} | {K} | {r['best_s']:.3f} | {r['ns_per_coordinate']:.2f} |",
                      flush=True)
        (R, N, K), ds = big_d
        for d in ds:
            r = run_case("compiled", codes, R, N, d, K, 1, repeat, True)
            r["varied"] = "d (diagonal)"
            scal.append(r)
            print(f"| d, diagonal Hessian | {R} | {N} | {d} | {K} | {r['best_s']:.3f} | {r['ns_per_coordinate']:.2f} |",
                  flush=True)
    print("\n# start-up: `boundlab [COMMAND] --help`, best of 3 fresh processes (seconds)\n")
    starts = {code: startup(codes, code, 1 if a.quick else 3) for code in ("compiled", "before") if code in codes}
    print("| command | " + " | ".join(codes.label[c] for c in starts) + " |")
    print("|---" * (len(starts) + 1) + "|")
    for cmd in next(iter(starts.values())):
        print(f"| {cmd} | " + " | ".join(f"{starts[c][cmd]:.2f}" for c in starts) + " |")
    load1 = os.getloadavg()
    print(f"\n# load average after: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"load_before": load0, "load_after": load1, "main": rows, "small_r": small, "scaling": scal,
                       "startup": starts}, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
