"""boundlab.simulate: the simulation engine (problems, compressors, algorithms, engine, CLI).

Exact problems (:mod:`~boundlab.simulate.problems`: L, mu, sigma^2, B^2 known), the compression
operators of THEORY.md §5 (:mod:`~boundlab.simulate.compressors`), every algorithm of §2, one
class each (:mod:`~boundlab.simulate.algorithms`), and the engine that runs R independent runs
vectorised over runs and workers with per-run records (:mod:`~boundlab.simulate.engine`).
Reproducibility across batchings comes from per-block RNG streams (:mod:`~boundlab.simulate.rng`).
Grids of configurations, in parallel, cached and resumable: :mod:`~boundlab.simulate.sweep`
(``boundlab sweep``); the engine's speed and memory: ``benchmarks/bench_engine.py``.

>>> from boundlab.simulate import quadratic, make_algorithm, simulate
>>> res = simulate(quadratic(N=4, d=5, sigma=0.1), make_algorithm("mcm", {"up": "qsgd:s=1",
...                "down": "randk:k=2"}), n_runs=8, n_iter=20, seed=1, progress=False)
>>> res["excess_loss"].shape
(8, 21)
"""
from boundlab.simulate.algorithms import ALGORITHMS, Algorithm, Context, make_algorithm
from boundlab.simulate.compressors import COMPRESSORS, Compressor, make_compressor
from boundlab.simulate.engine import RECORDS, SimulationResult, simulate
from boundlab.simulate.problems import LeastSquaresProblem, Problem, QuadraticProblem, least_squares, quadratic
from boundlab.simulate.rng import BLOCK_SIZE

__all__ = ["ALGORITHMS", "Algorithm", "BLOCK_SIZE", "COMPRESSORS", "Compressor", "Context", "LeastSquaresProblem",
           "Problem", "QuadraticProblem", "RECORDS", "SimulationResult", "least_squares", "make_algorithm",
           "make_compressor", "quadratic", "simulate"]
