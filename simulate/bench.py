"""Throughput of the engine: ``python -m boundlab.simulate.bench [--runs R] [--iterations K]``.

Measures worker-steps per second (one worker's stochastic gradient, compression and memory
update = one step; a run of K iterations with N workers is N*K steps) for MCM with
s-quantization (s = 1, omega = sqrt(d)) both ways on the homogeneous quadratic with Gaussian
noise, at R = 1000, N = 20, d = 20 by default, every iteration recorded, in one process
(``--processes`` for more), with glibc's default allocator settings (``--tune-allocator`` for
:func:`~boundlab.simulate.engine.tune_allocator`, which no longer makes a measurable
difference). Wall-clock time of :func:`boundlab.simulate.simulate` (setup and recording
included), best of ``--repeat`` runs. The full benchmark of the three sizes of issue 6, with peak
memory and the scaling in R, N, d and K, is ``python benchmarks/bench_engine.py``.
"""
from __future__ import annotations

import argparse
import time

from boundlab.simulate import make_algorithm, quadratic, simulate
from boundlab.simulate.engine import tune_allocator


def measure(runs: int = 1000, N: int = 20, d: int = 20, iterations: int = 200, sigma: float = 1.0,
            algorithm: str = "mcm", up: str = "qsgd:s=1", down: str = "qsgd:s=1", repeat: int = 3,
            checkpoints: str | int = "all", processes: int = 1) -> float:
    """Best worker-steps per second over ``repeat`` simulations."""
    prob = quadratic(N=N, d=d, sigma=sigma, seed=0)
    best = 0.0
    for r in range(repeat):
        algo = make_algorithm(algorithm, {"up": up, "down": down})
        t0 = time.perf_counter()
        simulate(prob, algo, n_runs=runs, n_iter=iterations, seed=r, progress=False, checkpoints_spec=checkpoints,
                 processes=processes)
        best = max(best, runs * N * iterations / (time.perf_counter() - t0))
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--N", type=int, default=20)
    parser.add_argument("--d", type=int, default=20)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--sigma", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--tune-allocator", action="store_true",
                        help="apply engine.tune_allocator() first (glibc's mmap/trim thresholds)")
    parser.add_argument("--no-tune-allocator", action="store_true", help="the default (kept for old scripts)")
    a = parser.parse_args(argv)
    tuned = tune_allocator() if a.tune_allocator and not a.no_tune_allocator else False
    rate = measure(a.runs, a.N, a.d, a.iterations, a.sigma, repeat=a.repeat, processes=a.processes)
    print(f"MCM, qsgd:s=1 both ways, R={a.runs}, N={a.N}, d={a.d}, K={a.iterations}, sigma={a.sigma}, "
          f"processes={a.processes}, allocator tuned: {tuned}: "
          f"{rate:,.0f} worker-steps/s ({rate / (a.runs * a.N):,.1f} iterations/s of all {a.runs} runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
