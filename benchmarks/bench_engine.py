"""Speed and memory of the simulation engine: ``python benchmarks/bench_engine.py``.

Reports, for MCM with s-quantization (s = 1) both ways on the homogeneous quadratic with Gaussian
noise (``boundlab.simulate.quadratic``, sigma = 1), every iteration recorded:

* **worker-steps per second**: one worker's stochastic gradient, compression and memory update
  is one step, so a simulation of R runs, N workers and K iterations is R*N*K steps; wall clock of
  :func:`boundlab.simulate.simulate` (setup and recording included), best of ``--repeat`` runs;
* **peak memory**: the growth of the peak resident set (``ru_maxrss``) during the simulation, in
  a fresh process per case (so one case's peak cannot hide another's), against the algorithm's
  own state (the arrays of ``init_state``: for MCM w, w_hat and H, each R x d) and the arrays of
  one iteration's worker messages (R x N x d doubles);

at (R, N, d) = (1000, 20, 20), (100, 100, 1000) and (4, 20, 100000), in one process and with
``processes = 2`` (both cores), then how the time grows with R, N, d and K around
(1000, 20, 20, K = 100) in one process: ``ns per run-worker-coordinate-iteration`` is constant
when the cost is linear.

The problem's Hessian is a random rotation of its spectrum (the default, a dense d x d matrix:
each gradient then costs O(d^2), a property of the problem, not of the engine) or diagonal
(``rotate = False``, stored as a vector: O(d)); the column ``hessian`` says which. d = 100,000
is only possible with the diagonal one (the dense matrix would take 80 GB), and the growth in
d is measured with both.

The machine's load is printed (``os.getloadavg``) before and after. ``--quick`` runs tiny sizes
(for the test suite); ``--json FILE`` also writes every figure.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

#: (R, N, d, K, diagonal Hessian): the issue's three sizes, K so that a simulation takes seconds
MAIN_CASES = ((1000, 20, 20, 200, False), (100, 100, 1000, 10, False), (100, 100, 1000, 10, True),
              (4, 20, 100000, 4, True))
QUICK_MAIN = ((128, 4, 8, 20, False), (64, 8, 64, 5, True))
SCALING_BASE = (1000, 20, 20, 100)
SCALING = {"R": (250, 500, 1000, 2000), "N": (5, 10, 20, 40), "d": (10, 20, 40, 80), "K": (50, 100, 200, 400)}
#: growth in d where d dominates: R = 64 (one RNG block), N = 20, K = 10, diagonal Hessian
SCALING_BIG_D = ((64, 20, 10), (2500, 5000, 10000, 20000))
QUICK_SCALING = {"R": (64, 128), "K": (10, 20)}
QUICK_BASE = (64, 4, 8, 10)
QUICK_BIG_D = ((64, 2, 2), (100, 200))


def one_case(R: int, N: int, d: int, K: int, processes: int, repeat: int, diag: bool = False) -> dict:
    """Run in a fresh process: best-of-``repeat`` worker-steps/s (wall clock, and CPU time of this
    process when ``processes = 1``) and the peak memory growth."""
    import numpy as np
    from boundlab.simulate import make_algorithm, quadratic, simulate
    from boundlab.simulate.algorithms import Context
    from boundlab.simulate.rng import RunRNG
    prob = quadratic(N=N, d=d, sigma=1.0, seed=0, rotate=not diag, diagonal=diag)
    ops = {"up": "qsgd:s=1", "down": "qsgd:s=1"}
    algo = make_algorithm("mcm", ops)
    algo.setup(prob)
    algo.gamma_bound(prob)                 # imports boundlab.theory (sympy) before the memory baseline
    st = algo.init_state(Context(prob, RunRNG(0, 0, R), algo.up, algo.down, algo.p), prob.w0)
    state_bytes = sum(v.nbytes for v in vars(st).values() if isinstance(v, np.ndarray))
    del st
    base_kb = _peak_kb()
    best = best_cpu = float("inf")
    for r in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        res = simulate(prob, make_algorithm("mcm", ops), n_runs=R, n_iter=K, seed=r, progress=False,
                       processes=processes)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
        records_bytes = sum(a.nbytes for a in res.records.values())
        del res
    peak = (_peak_kb() - base_kb) * 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 if processes > 1 else 0
    return {"R": R, "N": N, "d": d, "K": K, "processes": processes, "repeat": repeat, "diagonal": diag,
            "best_s": best, "worker_steps_per_s": R * N * K / best,
            "cpu_worker_steps_per_s": R * N * K / best_cpu if processes == 1 else None,
            "ns_per_coordinate": best / (R * N * d * K) * 1e9,
            "cpu_ns_per_coordinate": best_cpu / (R * N * d * K) * 1e9 if processes == 1 else None,
            "peak_growth_bytes": peak, "peak_child_bytes": child, "state_bytes": state_bytes,
            "messages_bytes": R * N * d * 8, "records_bytes": records_bytes}


def _peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_case(R: int, N: int, d: int, K: int, processes: int = 1, repeat: int = 3, diag: bool = False) -> dict:
    """:func:`one_case` in a fresh interpreter."""
    cmd = [sys.executable, os.path.abspath(__file__), "--case", f"{R},{N},{d},{K},{processes},{repeat},{int(diag)}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def mib(b: float) -> str:
    return f"{b / 2**20:,.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many simulations per case")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test)")
    parser.add_argument("--no-scaling", action="store_true", help="only the three main sizes")
    parser.add_argument("--json", default=None, help="also write every figure to this JSON file")
    parser.add_argument("--case", default=None, help=argparse.SUPPRESS)
    a = parser.parse_args(argv)
    if a.case:
        R, N, d, K, p, rep, diag = map(int, a.case.split(","))
        print(json.dumps(one_case(R, N, d, K, p, rep, bool(diag))))
        return 0
    main_cases = QUICK_MAIN if a.quick else MAIN_CASES
    scaling = QUICK_SCALING if a.quick else SCALING
    base = QUICK_BASE if a.quick else SCALING_BASE
    big_d = QUICK_BIG_D if a.quick else SCALING_BIG_D
    repeat = 1 if a.quick else a.repeat
    load0 = os.getloadavg()
    print(f"# boundlab engine benchmark: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, load average {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}")
    print(f"# MCM, qsgd:s=1 both ways, Gaussian noise, every iteration recorded; best of {repeat}\n")
    print("| R | N | d | K | hessian | processes | worker-steps/s (wall) | per CPU-second | "
          "peak growth MiB | state MiB | messages (RxNxd) MiB | records MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for R, N, d, K, diag in main_cases:
        for p in (1, 2):
            if p == 2 and R <= 64:                   # one RNG block: nothing to share between processes
                continue
            r = run_case(R, N, d, K, p, repeat, diag)
            rows.append(r)
            peak = r["peak_growth_bytes"] if p == 1 else max(r["peak_growth_bytes"], r["peak_child_bytes"])
            cpu = f"{r['cpu_worker_steps_per_s']:,.0f}" if p == 1 else "-"
            print(f"| {R} | {N} | {d} | {K} | {'diagonal' if diag else 'dense'} | {p} | "
                  f"{r['worker_steps_per_s']:,.0f} | {cpu} | {mib(peak)}{' (largest process)' if p > 1 else ''} | "
                  f"{mib(r['state_bytes'])} | {mib(r['messages_bytes'])} | {mib(r['records_bytes'])} |", flush=True)
    scal = []
    if not a.no_scaling:
        print(f"\n# scaling around (R, N, d, K) = {base}, one process: time / (R N d K) is flat when linear\n")
        print("| varied | R | N | d | K | seconds (wall) | ns per run-worker-coordinate-iteration (wall) | "
              "(CPU) |")
        print("|---|---|---|---|---|---|---|---|")
        for name, values in scaling.items():
            for v in values:
                R, N, d, K = base
                R, N, d, K = (v if name == "R" else R, v if name == "N" else N, v if name == "d" else d,
                              v if name == "K" else K)
                r = run_case(R, N, d, K, 1, repeat)
                r["varied"] = name
                scal.append(r)
                print(f"| {name} | {R} | {N} | {d} | {K} | {r['best_s']:.3f} | {r['ns_per_coordinate']:.2f} | "
                      f"{r['cpu_ns_per_coordinate']:.2f} |", flush=True)
        (R, N, K), ds = big_d
        for d in ds:
            r = run_case(R, N, d, K, 1, repeat, True)
            r["varied"] = "d (diagonal)"
            scal.append(r)
            print(f"| d, diagonal Hessian | {R} | {N} | {d} | {K} | {r['best_s']:.3f} | "
                  f"{r['ns_per_coordinate']:.2f} | {r['cpu_ns_per_coordinate']:.2f} |", flush=True)
    load1 = os.getloadavg()
    print(f"\n# load average after: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"load_before": load0, "load_after": load1, "main": rows, "scaling": scal}, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
