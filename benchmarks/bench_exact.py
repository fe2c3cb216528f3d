"""Benchmark of boundlab.simulate.exact: exact moments against Monte Carlo, time per iteration.

    python benchmarks/bench_exact.py

For each algorithm and size: the state dimension of the exact recursion (homogeneous workers are reduced to
a representative and the mean, so it does not grow with N), the time of K exact iterations, and the time of
a Monte-Carlo run that reaches a 1% standard error on E[F(w_K) - F_*] (R chosen from a pilot of 1000 runs).
"""
from __future__ import annotations

import os
import platform
import time

import numpy as np

from boundlab.simulate import make_algorithm, quadratic, simulate
from boundlab.simulate.exact import exact

CASES = [("mcm", {"up": "randk:k=5", "down": "randk:k=5"}), ("rand-mcm", {"up": "randk:k=5", "down": "randk:k=5"}),
         ("artemis", {"up": "randk:k=5", "down": "randk:k=5"}), ("diana", {"up": "randk:k=5"})]


def row(N: int, d: int, K: int, name: str, params: dict, B2: float = 0.0, mc: bool = True) -> str:
    prob = quadratic(N=N, d=d, sigma=1.0, seed=0, B2=B2)
    t = time.perf_counter()
    ex = exact(prob, make_algorithm(name, params), n_iter=K, checkpoints_spec=[K])
    te = time.perf_counter() - t
    mc_text = "-"
    if mc:
        t = time.perf_counter()
        pilot = simulate(prob, make_algorithm(name, params), n_runs=1000, n_iter=K, seed=1, checkpoints_spec=[K],
                         progress=False)
        x = pilot["excess_loss"][:, -1]
        runs = int(np.ceil((x.std(ddof=1) / (0.01 * x.mean())) ** 2))
        tp = time.perf_counter() - t
        mc_text = f"{runs:,} runs, {tp * runs / 1000:.1f} s (extrapolated from 1000)"
    return (f"| {N} | {d} | {K} | {name} | {'heterogeneous' if B2 else 'homogeneous'} | {ex.meta['state_dimension']} | "
            f"{te:.2f} | {1000 * te / K:.1f} | {mc_text} |")


def main() -> None:
    print(f"# boundlab exact-moment benchmark: {platform.machine()}, {os.cpu_count()} cores, python "
          f"{platform.python_version()}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| N | d | K | algorithm | workers | state dimension | exact s | ms/iteration | Monte Carlo to 1% s.e. |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, params in CASES:
        print(row(20, 20, 1000, name, params))
    print(row(20, 20, 100, "mcm", CASES[0][1], B2=1.0, mc=False))
    print(row(20, 20, 50, "diana", CASES[3][1], B2=1.0, mc=False))
    for name, params in CASES:
        print(row(100, 100, 100, name, params, mc=False))
    print(f"# load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
