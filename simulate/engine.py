r"""The engine: R independent runs of one algorithm on one problem, vectorised, with per-run records.

:func:`simulate` splits the runs into batches made of whole RNG blocks (see
:mod:`boundlab.simulate.rng`), so that any batching gives bit-identical numbers, and within a
batch loops only over iterations: every array is ``(R, d)`` or ``(R, N, d)``.

Recorded per run at each checkpoint k (``k = 0`` is the initial point):

==========================  ======================================================================
``excess_loss``             :math:`F(w_k)-F_*` (exact quadratic form, no cancellation)
``excess_loss_avg``         :math:`F(\bar w_k)-F_*`, :math:`\bar w_k=\frac1k\sum_{i=0}^{k-1}w_i`
                            (Theorem 6); at k = 0, :math:`F(w_0)-F_*`
``dist2``                   :math:`\|w_k-w_*\|^2`
``local_gap2``              :math:`\|w_k-\widehat w_k\|^2` (mean over workers if each has a model;
                            0 for degraded and uncompressed algorithms)
``upsilon``                 :math:`\Upsilon_k=\|w_k-H_{k-1}\|^2` (mean over workers for per-worker
                            memories); NaN for algorithms without a downlink memory
``grad2_hat``               :math:`\|\nabla F(\widehat w_{k-1})\|^2` (mean over workers if each has
                            a model); NaN at k = 0
``excess_loss_hat``         :math:`F(\widehat w_{k-1})-F_*` (mean over workers if each has a model;
                            Theorem 7's recursion); NaN at k = 0
``bits_up``, ``bits_down``  cumulative bits over the N worker links (see ``Context``)
``ghat2``                   :math:`\|\widehat g_k\|^2`, the aggregated uplink message (THEORY.md 7.1);
                            NaN at k = 0
``zeta2``                   :math:`\|\zeta_k\|^2`, :math:`\zeta_k=\widehat g_k-\nabla F(w_{k-1})` (7.3)
``contracted_dist2``        :math:`\|(w_{k-1}-w_*)-\gamma_k\nabla F(w_{k-1})\|^2`, which is
                            :math:`\|(I-\gamma_kA)(w_{k-1}-w_*)\|^2` on a quadratic (7.3)
``down_noise2``             :math:`\|\frac1N\sum_i\nabla F(\widehat w^{i}_{k-1})-\nabla F(w_{k-1})\|^2`, the
                            downlink-induced gradient noise (7.4)
``memory_residual2``        :math:`\|w_k-H_k\|^2=\|\Omega_k-\alpha_{\rm dwn}\mathcal C(\Omega_k)\|^2` (7.2;
                            group-weighted mean for per-group memories); NaN without a downlink memory
``local_bias``              :math:`\langle\widehat w_k-w_k,\Omega_k\rangle=\langle\mathcal C(\Omega_k)-\Omega_k,
                            \Omega_k\rangle` (mean zero iff the downlink is unbiased); NaN likewise
==========================  ======================================================================

A run *diverges* at the first iteration where :math:`F(w_k)-F_*`, :math:`\|w_k-w_*\|^2` or
:math:`\|\widehat w_k-w_*\|^2` is not finite (overflow or NaN); it is reported in
``diverged_at`` (-1 if never) and its later records are inf/NaN. Other runs are unaffected.
"""
from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from boundlab.errors import BoundlabError
from boundlab.simulate.algorithms import Algorithm, Context, sq_norm
from boundlab.simulate.blas import pinned
from boundlab.simulate.files import available_memory
from boundlab.simulate.problems import Problem
from boundlab.simulate.rng import BLOCK_SIZE, RunRNG

#: Memory for one (runs, N, d) array of worker messages that the default ``batch_runs`` keeps to.
MESSAGE_BYTES = 256 << 20

RECORDS = ("excess_loss", "excess_loss_avg", "dist2", "local_gap2", "upsilon", "grad2_hat", "excess_loss_hat",
           "bits_up", "bits_down", "ghat2", "zeta2", "contracted_dist2", "down_noise2", "memory_residual2",
           "local_bias")


#: The columns that describe a result in its tidy table (SimulationResult.describe), before run, k and the records.
DESCRIBING = ("algorithm", "up", "down", "omega_up", "omega_dwn", "gamma", "seed", "N", "d", "L", "mu", "sigma2")

#: State attributes a step keeps only for the engine's records (the aggregate ghat_k, MCM's Omega_k and
#: w_hat_k^g): dropped before the next step, so that two generations are never held at once (memory).
KEPT_FOR_RECORDS = ("ghat", "omega", "w_hat_g")


def _drop_kept(st) -> None:
    for attr in KEPT_FOR_RECORDS:
        if getattr(st, attr, None) is not None:
            setattr(st, attr, None)


def record_names(algorithm: Algorithm) -> tuple[str, ...]:
    """The records of a run of ``algorithm``: :data:`RECORDS`, then its own (``Algorithm.extra_records``)."""
    return RECORDS + tuple(n for n in algorithm.extra_records if n not in RECORDS)


@dataclass
class SimulationResult:
    """Per-run records: ``records[name]`` is ``(R, len(k))``; ``diverged_at`` is ``(R,)``."""

    k: np.ndarray
    records: dict[str, np.ndarray]
    diverged_at: np.ndarray
    max_query_dist2: np.ndarray
    meta: dict = field(default_factory=dict)
    run_offset: int = 0

    @property
    def n_runs(self) -> int:
        return int(self.diverged_at.shape[0])

    @property
    def diverged(self) -> np.ndarray:
        """(R,) bool: did the run diverge (inf/NaN) at some iteration."""
        return self.diverged_at >= 0

    @property
    def sigma_valid(self) -> np.ndarray:
        """(R,) bool: every gradient of the run was queried where the problem's sigma^2 holds."""
        radius = self.meta.get("problem", {}).get("sigma2_radius")
        if radius is None:
            return np.ones(self.n_runs, dtype=bool)
        return self.max_query_dist2 <= radius ** 2

    def __getitem__(self, name: str) -> np.ndarray:
        return self.records[name]

    def describe(self) -> dict:
        """The settings that identify this result, as table columns (:data:`DESCRIBING`): the algorithm, its
        operators and omegas, the step size, the seed and the problem's size and constants (from ``meta``)."""
        algo, prob, m = self.meta.get("algorithm", {}), self.meta.get("problem", {}), self.meta
        values = {"algorithm": algo.get("name"), "up": algo.get("up") or "", "down": algo.get("down") or "",
                  "omega_up": algo.get("omega_up"), "omega_dwn": algo.get("omega_dwn"), "gamma": m.get("gamma"),
                  "seed": m.get("seed"), "N": prob.get("N"), "d": prob.get("d"), "L": prob.get("L"),
                  "mu": prob.get("mu"), "sigma2": prob.get("sigma2")}
        return {k: values[k] for k in DESCRIBING}

    def to_frame(self, describe: bool = True):
        """Tidy table: the describing columns (:meth:`describe`, unless ``describe=False``), ``run``, ``k``, one
        column per record, and ``diverged`` (by iteration k)."""
        import pandas as pd
        R, K = self.n_runs, self.k.shape[0]
        cols = {k: v for k, v in self.describe().items()} if describe and self.meta else {}
        cols.update({"run": np.repeat(np.arange(self.run_offset, self.run_offset + R), K), "k": np.tile(self.k, R)})
        for name in self.records:          # RECORDS, then the algorithm's own (Algorithm.extra_records)
            cols[name] = self.records[name].reshape(-1)
        da = np.repeat(self.diverged_at, K)
        cols["diverged"] = (da >= 0) & (da <= cols["k"])
        return pd.DataFrame(cols)

    @staticmethod
    def concat(parts: Sequence["SimulationResult"]) -> "SimulationResult":
        first = parts[0]
        if len(parts) == 1:               # nothing to join: no copy of the (R, checkpoints) records
            return SimulationResult(k=first.k, records=dict(first.records), diverged_at=first.diverged_at,
                                    max_query_dist2=first.max_query_dist2, meta=first.meta,
                                    run_offset=first.run_offset)
        return SimulationResult(
            k=first.k, records={n: np.concatenate([p.records[n] for p in parts]) for n in first.records},
            diverged_at=np.concatenate([p.diverged_at for p in parts]),
            max_query_dist2=np.concatenate([p.max_query_dist2 for p in parts]), meta=first.meta,
            run_offset=first.run_offset)


def tune_allocator() -> bool:
    """Let glibc serve the engine's per-iteration arrays from its heap instead of mapping and
    unmapping them at every iteration (mmap threshold 64 MiB, trim threshold 256 MiB).

    Each iteration allocates a few arrays of R*N*d floats (3.2 MB at R = 1000, N = 20, d = 20);
    above glibc's default 128 kB threshold each one is a fresh mmap and costs page faults. This
    setting measured about 20% more worker-steps per second. It is process-wide (freed memory is
    returned to the system less eagerly). Since the quantizer compresses in place and draws its
    uniforms into a reused buffer (``Compressor.compress_owned``, ``StreamRNG.scratch``), one
    large array per iteration is left and glibc's own adaptive threshold serves it: the setting
    no longer measurably helps (CPU time, best of 3, R = 1000, N = 20, d = 20: 2.50-2.63 million
    worker-steps/s with it, 2.49-2.60 without), so nothing calls it any more. Kept for
    experiments (``python -m boundlab.simulate.bench --tune-allocator``). Returns False where it
    does not apply (not glibc).
    """
    try:
        import ctypes
        import ctypes.util
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3                     # glibc's <malloc.h> constants
        return bool(libc.mallopt(m_mmap_threshold, 64 << 20)) and bool(libc.mallopt(m_trim_threshold, 256 << 20))
    except (OSError, AttributeError):
        return False


def checkpoints(spec: "str | int | Sequence[int]", n_iter: int) -> np.ndarray:
    """Iterations to record: ``"all"``, an int m (every m-th, plus the last), ``"log:M"`` (about M
    log-spaced) or an explicit list. Always contains 0 and ``n_iter``."""
    if isinstance(spec, str):
        if spec == "all":
            ks = np.arange(n_iter + 1)
        elif spec.startswith("log:"):
            try:
                m = int(spec[4:])
            except ValueError:
                m = 0
            if m < 1:
                raise BoundlabError(f"checkpoints: 'log:M' needs an integer M >= 1, got {spec!r}")
            ks = np.unique(np.round(np.logspace(0, math.log10(max(n_iter, 1)), m)).astype(int))
        else:
            raise BoundlabError(f"checkpoints must be 'all', an integer, 'log:M' or a list, got {spec!r}")
    elif isinstance(spec, bool):
        raise BoundlabError(f"checkpoints must be 'all', an integer, 'log:M' or a list, got {spec!r}")
    elif isinstance(spec, (int, np.integer)):
        if spec < 1:
            raise BoundlabError(f"checkpoints: the recording period must be >= 1, got {spec}")
        ks = np.arange(0, n_iter + 1, int(spec))
    else:
        ks = np.asarray(list(spec))
        if ks.size and (ks.dtype.kind not in "iu" or ks.min() < 0 or ks.max() > n_iter):
            raise BoundlabError(f"checkpoints: a list of iterations in [0, {n_iter}], got {list(spec)!r}")
    return np.unique(np.concatenate([[0, n_iter], ks.astype(int)]))


SCHEDULES: dict[str, Callable[[float, np.ndarray], np.ndarray]] = {
    "constant": lambda g, k: np.full(k.shape, g),
    "inv_sqrt": lambda g, k: g / np.sqrt(k),          # gamma_k = gamma / sqrt(k)
}


def step_sizes(gamma: float, schedule: "str | Callable[[int], float]", n_iter: int) -> np.ndarray:
    """gamma_k for k = 1..n_iter: a named schedule (``constant``, ``inv_sqrt``) or a callable of k."""
    k = np.arange(1, n_iter + 1, dtype=float)
    if callable(schedule):
        out = np.array([float(schedule(int(i))) for i in k])
    elif schedule in SCHEDULES:
        out = SCHEDULES[schedule](gamma, k)
    else:
        raise BoundlabError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
    if not np.all(np.isfinite(out)) or np.any(out < 0) or (np.any(out == 0) and not (gamma == 0 and schedule ==
                                                                                        "constant")):
        raise BoundlabError("schedule: every step size must be finite and > 0")
    return out


_NO_BOUND = object()


def resolve_gamma(algorithm: Algorithm, problem: Problem, gamma: "float | str | None",
                  allow_large_step: bool, bound: "float | None | object" = _NO_BOUND) -> tuple[float, float | None]:
    """(gamma, bound): the default is the theory's bound; a larger gamma needs ``allow_large_step``.
    ``bound``: the algorithm's step bound when already resolved (:class:`~boundlab.simulate.constants.Constants`)."""
    if bound is _NO_BOUND:
        bound = algorithm.gamma_bound(problem)
    if gamma is None or gamma == "theory":
        if bound is None:
            which = algorithm.step_bound_name()
            why = (getattr(algorithm, "no_step_reason", "it has no step-size result") if which is None else
                   f"{which} is undefined or not > 0 at these constants (a biased operator has no omega; "
                   "alpha_dwn = 0 has no memory)")
            raise BoundlabError(f"gamma: no theoretical step size for '{algorithm.name}': {why}; give gamma "
                                "explicitly")
        return bound, bound
    zero_ok = getattr(algorithm, "zero_step_ok", False)     # pure gossip: a decentralized algorithm at gamma = 0
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not math.isfinite(gamma) or gamma < 0 \
            or (gamma == 0 and not zero_ok):
        raise BoundlabError(f"gamma must be a finite number > 0{' (or 0)' if zero_ok else ''} or 'theory', "
                            f"got {gamma!r}")
    if bound is not None and gamma > bound * (1 + 1e-12) and not allow_large_step:
        raise BoundlabError(f"gamma = {gamma:.6g} is above the theory's bound {bound:.6g} for '{algorithm.name}' "
                            f"({algorithm.step_bound_name()}); set allow_large_step = true (--allow-large-step) to run it")
    return float(gamma), bound


def simulate(problem: Problem, algorithm: Algorithm, *, n_runs: int, n_iter: int,
             gamma: "float | str | None" = None, schedule: "str | Callable[[int], float]" = "constant",
             seed: int = 0, checkpoints_spec: "str | int | Sequence[int]" = "all", batch_runs: int | None = None,
             allow_large_step: bool = False, progress: bool | None = None, processes: int | None = None,
             keep_partial_on_interrupt: bool = False,
             average_weights: "Sequence[float] | np.ndarray | None" = None,
             records: "Sequence[str] | None" = None) -> SimulationResult:
    """Run ``n_runs`` independent runs of ``n_iter`` iterations; see the module docstring.

    ``gamma`` defaults to the theory's bound for the algorithm (``Algorithm.step_bound``);
    ``batch_runs`` (rounded up to whole blocks of ``BLOCK_SIZE``) bounds the memory and does not
    change any number (default: min(1024, runs/processes), and at most as many runs as fit one
    (runs, N, d) array of worker messages in :data:`MESSAGE_BYTES`, but at least one block); nor
    does ``processes`` (batches run in that many processes; None: :func:`auto_processes`, every core the
    process may use when the work pays for the extra processes, one inside a worker process).
    ``progress``: None = a tqdm bar on a terminal, shown after 2 s. With
    ``keep_partial_on_interrupt``, Ctrl-C returns the batches already finished
    (``meta["interrupted"] = True``) instead of losing them.
    ``average_weights``: K positive weights lambda_1..lambda_K; ``excess_loss_avg`` is then
    F(sum_k lambda_k w_{k-1} / sum_k lambda_k) - F_* (a weighted Polyak-Ruppert average, as in
    Theorem 7's corollary) instead of the uniform average.
    ``records``: the names to record (default: all, :func:`record_names`); a check that reads one record at
    every iteration need not pay for the fifteen others (the numbers of those it asks for do not change).
    """
    for name, v, low in (("runs", n_runs, 1), ("iterations", n_iter, 1), ("seed", seed, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
            raise BoundlabError(f"{name} must be an integer >= {low}, got {v!r}")
    from boundlab.simulate.constants import resolve_constants
    consts = resolve_constants(problem, algorithm)     # sets the algorithm up for the problem
    gamma0, bound = resolve_gamma(algorithm, problem, gamma, allow_large_step, consts.gamma_bound)
    gammas = step_sizes(gamma0, schedule, n_iter)
    ks = checkpoints(checkpoints_spec, n_iter)
    weights = None
    if average_weights is not None:
        weights = np.asarray(average_weights, dtype=float)
        if weights.shape != (n_iter,) or not np.all(np.isfinite(weights)) or np.any(weights <= 0):
            raise BoundlabError(f"average_weights must be {n_iter} finite numbers > 0 (one per iteration)")
    if processes is None:
        processes = auto_processes(n_runs, problem.N, problem.d, n_iter)
    if isinstance(processes, bool) or not isinstance(processes, int) or processes < 1:
        raise BoundlabError(f"processes must be an integer >= 1, got {processes!r}")
    names = record_names(algorithm)
    if records is not None:
        unknown = [n for n in records if n not in names]
        if unknown or isinstance(records, str):
            raise BoundlabError(f"records: {unknown[0] if unknown else records!r} is not a record of "
                                f"'{algorithm.name}' (records: {', '.join(names)})")
        names = tuple(n for n in names if n in records)
    if batch_runs is None:     # also: one (runs, N, d) array of worker messages within MESSAGE_BYTES
        fits = max(BLOCK_SIZE, MESSAGE_BYTES // (8 * problem.N * problem.d))
        batch_runs = min(1024, -(-n_runs // processes), fits)
    if isinstance(batch_runs, bool) or not isinstance(batch_runs, int) or batch_runs < 1:
        raise BoundlabError(f"batch_runs must be an integer >= 1, got {batch_runs!r}")
    per_batch = -(-batch_runs // BLOCK_SIZE) * BLOCK_SIZE
    check_memory(min(per_batch, n_runs), problem.N, problem.d, n_runs, len(ks), processes)
    starts = list(range(0, n_runs, per_batch))
    meta = {"seed": int(seed), "runs": int(n_runs), "iterations": int(n_iter), "gamma": gamma0,
            "gamma_bound": bound, "schedule": schedule if isinstance(schedule, str) else "callable",
            "allow_large_step": bool(allow_large_step), "block_size": BLOCK_SIZE,
            "problem": problem.constants(), "algorithm": algorithm.describe(),
            # every constant a bound needs, named as the theory's symbols (boundlab.simulate.constants)
            "constants": {**consts.to_dict(), "values": {**consts.values, "gamma": gamma0}}}
    stops = [min(r0 + per_batch, n_runs) for r0 in starts]
    processes = min(processes, len(starts))
    meta["processes"] = processes
    parts: list[SimulationResult] = []
    full = None
    t0 = time.perf_counter()
    try:
        if processes == 1:
            bar = _progress_bar(progress, len(starts) * n_iter, algorithm.name)
            # several batches write their records straight into the final arrays (no concatenation)
            full = ({n: np.full((n_runs, ks.shape[0]), np.nan) for n in names} if len(starts) > 1 else None)
            try:
                for r0, r1 in zip(starts, stops):
                    out = None if full is None else {n: a[r0:r1] for n, a in full.items()}
                    parts.append(_run_batch(problem, algorithm, gammas, ks, seed, r0, r1, bar, out, weights, names))
            finally:
                if bar is not None:
                    bar.close()
        else:
            _run_parallel(problem, algorithm, gammas, ks, seed, starts, stops, processes, progress, parts, weights,
                          names)
    except KeyboardInterrupt:
        if not (keep_partial_on_interrupt and parts):
            raise
        meta["interrupted"] = True          # the whole batches finished so far are returned
    elapsed = time.perf_counter() - t0
    if processes == 1 and full is not None and parts:
        done = sum(p.n_runs for p in parts)
        result = SimulationResult(k=ks, records={n: a[:done] for n, a in full.items()},
                                  diverged_at=np.concatenate([p.diverged_at for p in parts]),
                                  max_query_dist2=np.concatenate([p.max_query_dist2 for p in parts]), run_offset=0)
    else:
        result = SimulationResult.concat(parts)
    meta["elapsed_s"] = elapsed
    done = result.n_runs
    meta["runs_completed"] = done
    meta["worker_steps_per_s"] = done * problem.N * n_iter / elapsed if elapsed > 0 else None
    meta["diverged_runs"] = np.flatnonzero(result.diverged).tolist()
    result.meta = meta
    meta["sigma_invalid_runs"] = np.flatnonzero(~result.sigma_valid).tolist()
    return result


#: Run-worker-coordinate-iterations (R N d K) per process that make one more process worth starting: about
#: 0.5 s of compiled work at the workload of record (5.6 ns each, one process). Measured there (MCM, qsgd both
#: ways, N = d = 20, 2 cores): R N d K = 8e7 took 0.448 s in one process and 0.387 s in two; 2e7 took 0.110 s
#: and 0.168 s (forking, a slower start in the workers, returning the records: about 0.1 s).
PARALLEL_WORK = 100_000_000


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def auto_processes(n_runs: int, N: int, d: int, n_iter: int) -> int:
    """Processes for ``simulate(processes=None)``: one per :data:`PARALLEL_WORK` of R N d K, at most the usable
    cores and the RNG blocks of runs (a block is never split); 1 in a worker process (a pool's, a sweep's,
    verify's: no pools inside pools). The numbers never depend on it."""
    import multiprocessing
    if multiprocessing.parent_process() is not None:
        return 1
    blocks = -(-n_runs // BLOCK_SIZE)
    return max(1, min(usable_cores(), blocks, (n_runs * N * d * n_iter) // PARALLEL_WORK))


#: Arrays of one batch's size that an iteration holds at once (state, gradients, messages, memories, buffers).
ARRAYS_PER_BATCH = 8


def check_memory(batch: int, N: int, d: int, runs: int, n_checkpoints: int, processes: int = 1) -> None:
    """Refuse, before allocating anything, a job whose estimated memory exceeds what the machine has: the
    (batch, N, d) arrays of an iteration (in each process) and the (runs, checkpoints) records."""
    need = processes * ARRAYS_PER_BATCH * 8 * batch * N * d + 8 * len(RECORDS) * runs * n_checkpoints
    avail = available_memory()
    if avail is not None and need > avail:
        raise BoundlabError(
            f"this job needs about {need / 2**30:.3g} GiB (batches of {batch} runs x N={N} workers x d={d}, and "
            f"{runs} runs x {n_checkpoints} checkpoints of records) but {avail / 2**30:.3g} GiB are available: "
            "use fewer runs (or batch_runs), workers, dimensions or checkpoints")


def _progress_bar(progress: bool | None, total: int, desc: str):
    if progress is False:
        return None
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit="it", delay=2.0, leave=False, file=sys.stderr,
                disable=None if progress is None else False, mininterval=0.5)


def _run_parallel(problem, algorithm, gammas, ks, seed, starts, stops, processes, progress,
                  parts: list[SimulationResult], weights: np.ndarray | None = None,
                  names: "tuple[str, ...] | None" = None) -> None:
    """Batches in a process pool, appended to ``parts`` in run order (identical to sequential)."""
    from boundlab.simulate.files import process_pool
    from boundlab.simulate.kernels import preload
    preload()                                      # forked workers inherit the compiled kernels
    bar = _progress_bar(progress, len(starts), f"{algorithm.name} (batches)")
    with process_pool(processes) as pool:
        futures = [pool.submit(_run_batch, problem, algorithm, gammas, ks, seed, r0, r1, None, None, weights, names)
                   for r0, r1 in zip(starts, stops)]
        try:
            for fut in futures:
                parts.append(fut.result())
                if bar is not None:
                    bar.update(1)
        except KeyboardInterrupt:
            for fut in futures:
                fut.cancel()
            raise
        finally:
            if bar is not None:
                bar.close()


@pinned  # BLAS on one thread: the same bits whatever the machine's cores (boundlab.simulate.blas)
def _run_batch(problem: Problem, algo: Algorithm, gammas: np.ndarray, ks: np.ndarray, seed: int,
               r0: int, r1: int, bar, rec: dict[str, np.ndarray] | None = None,
               weights: np.ndarray | None = None, names: "tuple[str, ...] | None" = None) -> SimulationResult:
    """Runs [r0, r1); ``rec``: NaN-filled (R, checkpoints) arrays to record into (else new ones);
    ``weights``: lambda_k of a weighted average (None: uniform); ``names``: the records to compute (None: all)."""
    R, n_iter = r1 - r0, gammas.shape[0]
    ctx = Context(problem, RunRNG(seed, r0, r1), algo.up, algo.down, algo.p)
    st = algo.init_state(ctx, problem.w0)
    if rec is None:
        rec = {n: np.full((R, ks.shape[0]), np.nan) for n in (record_names(algo) if names is None else names)}
    # the quantities computed before each recorded step, only when a record needs them
    want_pre = bool(rec.keys() & {"grad2_hat", "excess_loss_hat", "contracted_dist2", "down_noise2", "zeta2"})
    want_avg = "excess_loss_avg" in rec
    is_ck = np.zeros(n_iter + 1, dtype=bool)
    is_ck[ks] = True
    diverged_at = np.full(R, -1)
    w_star, L = problem.w_star, problem.L
    track_region = problem.sigma2_radius is not None
    max_q = _per_run_sq(st.w_hat - w_star, reduce=np.max) if track_region else np.zeros(R)
    wsum = np.zeros_like(st.w) if want_avg else None     # the running sum, only for excess_loss_avg
    lsum = 0.0  # sum of the weights so far (weighted average only)
    tick = max(1, n_iter // 200)
    # one product by H for F(w_hat) and grad F(w_hat), unless a subclass redefines either
    fused = (type(problem).excess_loss is Problem.excess_loss
             and type(problem).full_gradient is Problem.full_gradient)
    shown = 0
    j = 0

    def put(name: str, value) -> None:
        """Checkpoint j of record ``name`` if it is recorded (``value``: a number, an array or a function)."""
        if name in rec:
            rec[name][:, j] = value() if callable(value) else value

    def record(k: int, grad2: np.ndarray | float, loss_hat: np.ndarray | float,
               dist2: np.ndarray | None = None, pre: dict | None = None) -> None:
        """Write checkpoint j; ``dist2`` of ``st.w`` when the caller has it already; ``pre``: the records computed
        before the step (7.3, 7.4)."""
        nonlocal j
        w = st.w
        if pre is not None:
            put("contracted_dist2", pre["contracted_dist2"])
            put("down_noise2", pre["down_noise2"])
        ghat = getattr(st, "ghat", None)
        if k and ghat is not None:
            put("ghat2", lambda: sq_norm(ghat))
            if pre is not None:
                put("zeta2", lambda: sq_norm(ghat - pre["grad_w"]))
        omega = getattr(st, "omega", None)
        if k and omega is not None:
            wts = getattr(algo, "memory_weights", None)
            put("memory_residual2", lambda: _weighted(sq_norm(_gap(w, st.H)), wts))
            put("local_bias", lambda: _weighted(np.einsum("...i,...i->...", st.w_hat_g - _expand(w, omega), omega),
                                                wts))
        _drop_kept(st)                        # recorded: dropped before the losses' work arrays (memory)
        ghat = omega = None
        if pre is not None:
            pre.clear()
        put("excess_loss", lambda: problem.excess_loss(w))
        if want_avg and not k:                # F(w_0) - F_*: the excess loss itself
            put("excess_loss_avg", rec["excess_loss"][:, j] if "excess_loss" in rec else lambda: problem.excess_loss(w))
        elif want_avg:                        # the average as the work array of its own loss (one array less)
            own = {"overwrite": True} if fused else {}      # (a subclass's excess_loss may not take it)
            put("excess_loss_avg", lambda: problem.excess_loss(wsum / (k if weights is None else lsum), **own))
        put("dist2", lambda: sq_norm(w - w_star) if dist2 is None else dist2)
        put("local_gap2", lambda: 0.0 if st.w_hat is w else _per_run_sq(_gap(w, st.w_hat)))
        if st.upsilon is not None:
            put("upsilon", st.upsilon)
        put("grad2_hat", grad2)
        put("excess_loss_hat", loss_hat)
        put("bits_up", ctx.bits_up)
        put("bits_down", ctx.bits_down)
        if algo.extra_records and rec.keys() & set(algo.extra_records):     # the algorithm's own records
            for name, value in algo.record_extra(st, ctx).items():
                put(name, value)
        j += 1

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        record(0, np.nan, np.nan)
        for k in range(1, n_iter + 1):
            _drop_kept(st)                            # the last step's, recorded already: not held any longer
            pre, grad2, loss_hat = None, np.nan, np.nan
            if is_ck[k] and want_pre:
                if fused:
                    loss_hat, grad = problem.excess_loss_and_gradient(st.w_hat)
                else:
                    loss_hat, grad = problem.excess_loss(st.w_hat), problem.full_gradient(st.w_hat)
                grad2 = _per_run_sq(grad)                                # ||grad F(w_hat_{k-1})||^2
                loss_hat = _per_run_mean(loss_hat)                       # F(w_hat_{k-1}) - F_*
                grad_w = grad if st.w_hat is st.w else problem.full_gradient(st.w)   # grad F(w_{k-1})
                mean_grad = grad if grad.ndim == 2 else grad.mean(axis=1)
                pre = {"grad_w": grad_w, "down_noise2": sq_norm(mean_grad - grad_w),
                       "contracted_dist2": sq_norm(st.w - w_star - gammas[k - 1] * grad_w)}
                del grad, mean_grad, grad_w          # only pre holds grad_w (memory: see the benchmark)
            if not want_avg:
                pass
            elif weights is None:
                wsum += st.w
            else:
                wsum += weights[k - 1] * st.w
                lsum += weights[k - 1]
            ctx.begin_iteration()
            algo.step(st, ctx, gammas[k - 1], k)
            # diverged: F(w_k) - F*, ||w_k - w*||^2 or ||w_hat_k - w*||^2 not finite (overflow, NaN)
            dist2 = sq_norm(st.w - w_star)
            loss = None
            if is_ck[k]:       # recorded first: the step's kept arrays are dropped before the losses are computed
                record(k, grad2, loss_hat, dist2, pre)
                if "excess_loss" in rec:
                    loss = rec["excess_loss"][:, j - 1]
            if loss is None and not fused:
                loss = problem.excess_loss(st.w)
            if loss is not None:
                bad = ~(np.isfinite(loss) & np.isfinite(dist2))
            else:   # between checkpoints, no product by H: 0 <= F(w) - F* <= L/2 ||w - w*||^2, so F(w) - F*
                bad = ~np.isfinite(2.0 * L * dist2)     # is finite where 2 L ||w - w*||^2 is; else compute it
                if bad.any():
                    bad[bad] = ~(np.isfinite(problem.excess_loss(st.w[bad])) & np.isfinite(dist2[bad]))
            if st.w_hat is not st.w:
                q = _per_run_sq(st.w_hat - w_star, reduce=np.max)
                bad |= ~np.isfinite(q)
                if track_region:
                    np.fmax(max_q, q, out=max_q)
            new = bad & (diverged_at < 0)
            if new.any():
                diverged_at[new] = k
            if track_region and st.w_hat is st.w:
                np.fmax(max_q, dist2, out=max_q)
            if bar is not None and (k % tick == 0 or k == n_iter):
                bar.update(k - shown)
                shown = k
            if (diverged_at >= 0).all():          # nothing left to compute: later records stay NaN
                if bar is not None:
                    bar.update(n_iter - shown)
                break
    return SimulationResult(k=ks, records=rec, diverged_at=diverged_at, max_query_dist2=max_q, run_offset=r0)


def _gap(w: np.ndarray, w_hat: np.ndarray) -> np.ndarray:
    return w - w_hat if w_hat.ndim == 2 else w[:, None, :] - w_hat


def _expand(w: np.ndarray, like: np.ndarray) -> np.ndarray:
    """(R, d) viewed against (R, d) or (R, G, d)."""
    return w if like.ndim == 2 else w[:, None, :]


def _weighted(x: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """(R,) as is; (R, G) averaged with weights (uniform when None)."""
    if x.ndim == 1:
        return x
    return x.mean(axis=1) if weights is None else x @ weights


def _per_run_mean(x: np.ndarray) -> np.ndarray:
    """(R,) as is, (R, m) averaged over the m workers."""
    return x if x.ndim == 1 else x.mean(axis=1)


def _per_run_sq(x: np.ndarray, reduce: Callable = np.mean) -> np.ndarray:
    """||x||^2 per run: (R, d) -> (R,), (R, m, d) -> reduce over the m workers."""
    s = sq_norm(x)
    return s if s.ndim == 1 else reduce(s, axis=1)
