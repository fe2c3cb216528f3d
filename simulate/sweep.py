r"""Sweeps: a grid of ``boundlab simulate`` configurations, run in parallel, cached and resumable.

A *sweep spec* is a TOML file::

    out = "omega_sweep"            # results folder (the flag --out beats it)

    [base]                         # a `boundlab simulate` config shared by every point
    runs = 200
    iterations = 400
    checkpoints = "log:30"
    [base.problem]
    N = 20
    d = 20
    [base.algorithm]
    up = "qsgd:s=1"

    [grid]                         # dotted config keys -> lists of values: their Cartesian product
    "algorithm.name" = ["mcm", "artemis"]
    "algorithm.down" = ["qsgd:s=1", "qsgd:s=2", "qsgd:s=4"]    # omegas through the operators
    gamma = ["theory", 0.002]
    seed = [1, 2]

The points are the Cartesian product of ``[grid]`` in the order of its keys (the last key varies
fastest), each merged over ``[base]`` (a key may be in the base or in the grid, not both). Several
``[[grid]]`` tables instead of one ``[grid]`` give the union of their products, in order (for
keys that only some algorithms take: ``qsgd`` has no ``down``). Every point is resolved exactly
like a ``boundlab simulate`` config (:func:`boundlab.simulate.config.resolve`); a grid column is
empty for the points of a table that does not sweep it.

Each point is simulated in one process (its ``jobs`` is 1: the parallelism is over points)
and cached in ``OUT/cache/KEY.npz``, where KEY is the SHA-256 of the fully resolved configuration,
the boundlab and numpy versions, :data:`~boundlab.simulate.rng.BLOCK_SIZE`, the cache format,
the BLAS thread policy and, for ``problem.data = "file:PATH"``, the file's contents: everything
that can change a number, and nothing that cannot (``batch_runs``, ``jobs``, ``out``).
Every point is built and run with BLAS pinned to one thread (:mod:`boundlab.simulate.blas`):
large stacked matrix products round differently on 1 and 2 OpenBLAS threads, and Dask's workers
run on 1, so this is what makes the numbers independent of the machine and the back end. A point whose cache
file exists is not recomputed, so an interrupted sweep restarted loses and duplicates nothing.
Every file is written atomically (a temporary file in the same folder, then ``os.replace``).
A point that fails (an exception) is reported and not cached; the others complete; running the
sweep again retries it.

Back ends: ``jobs = 1`` runs in this process, ``jobs > 1`` in a local process pool, and
``scheduler = "tcp://HOST:PORT"`` on a Dask distributed cluster (``pip install 'boundlab[dask]'``).
The numbers do not depend on the back end or on the number of jobs: each point is a
deterministic function of its configuration (see :mod:`boundlab.simulate.rng`).

The results, ``OUT/results.csv``, are one tidy table: the columns ``config`` (the point's index
in grid order), ``key``, one column per grid key, ``gamma_used`` (the step size after
``"theory"`` is resolved), then the columns of ``boundlab simulate`` (``run``, ``k``, the records,
``diverged``). ``OUT/sweep.json`` lists every point with its key, parameters and status.
"""
from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from boundlab.errors import BoundlabError
from boundlab.simulate.files import atomic_write
from boundlab.jsonutil import jsonable
from boundlab.simulate import config as C
from boundlab.simulate.engine import DESCRIBING, RECORDS, SimulationResult
from boundlab.simulate.rng import BLOCK_SIZE

#: Version of the cache files' layout; part of every cache key.
CACHE_FORMAT = 1
#: Config keys that cannot change a number: left out of the cache key (and refused in the grid).
NUMBER_FREE_KEYS = ("out", "batch_runs", "jobs")
SPEC_KEYS = ("out", "base", "grid")


# -- the spec ---------------------------------------------------------------------------------------
@dataclass
class Point:
    """One configuration of a sweep: its index in grid order, grid values, resolved config and key."""

    index: int
    params: dict[str, Any]          # the grid's values for this point, {dotted key: value}
    cfg: dict[str, Any]             # resolved config (config.resolve)
    key: str                        # cache key (hex SHA-256)


@dataclass
class SweepSpec:
    """A parsed sweep spec: the base config, the grid, the output folder."""

    base: dict[str, Any]            # {dotted key: value}
    grids: list[dict[str, list[Any]]]   # one {dotted key: values} per [grid] / [[grid]] table
    out: str | None = None
    points: list[Point] = field(default_factory=list)

    @property
    def grid_keys(self) -> list[str]:
        """Every key swept by some grid, in order of first appearance."""
        return list(dict.fromkeys(k for g in self.grids for k in g))


def _flatten_base(base: Any) -> dict[str, Any]:
    if not isinstance(base, dict):
        raise BoundlabError("base must be a table ([base]) of boundlab simulate config keys")
    return C.flatten(base)


def parse_spec(doc: dict[str, Any], out: str | None = None) -> SweepSpec:
    """A :class:`SweepSpec` from a TOML document (a dict); ``out`` beats the document's ``out``."""
    for k in doc:
        if k not in SPEC_KEYS:
            close = difflib.get_close_matches(k, SPEC_KEYS, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise BoundlabError(f"unknown sweep spec key '{k}'{hint}; the keys are: {', '.join(SPEC_KEYS)}")
    base = _flatten_base(doc.get("base", {}))
    for k in NUMBER_FREE_KEYS:
        if k in base:
            raise BoundlabError(f"base.{k} is not allowed in a sweep (use the sweep's out and --jobs)")
    grid_doc = doc.get("grid", {})
    subgrids = grid_doc if isinstance(grid_doc, list) else [grid_doc]
    grids = [_parse_grid(g, base) for g in subgrids]
    if out is None:
        out = doc.get("out")
    if out is not None and not isinstance(out, str):
        raise BoundlabError(f"out must be a folder name (a string), got {out!r}")
    spec = SweepSpec(base=base, grids=grids, out=out)
    spec.points = expand(spec)
    return spec


def _parse_grid(grid_doc: Any, base: dict[str, Any]) -> dict[str, list[Any]]:
    if not isinstance(grid_doc, dict):
        raise BoundlabError("grid must be a table ([grid]) or tables ([[grid]]) of dotted config keys -> lists")
    grid: dict[str, list[Any]] = {}
    for k, values in grid_doc.items():
        if isinstance(values, dict):            # [grid.algorithm] tables: nested keys
            for kk, vv in values.items():
                grid[f"{k}.{kk}"] = vv
        else:
            grid[C.renamed(k)] = values
    for k, values in grid.items():
        if k not in C.by_dotted():
            raise C._unknown(k, list(C.by_dotted()))
        if k in NUMBER_FREE_KEYS:
            raise BoundlabError(f"grid.{k}: '{k}' does not change the numbers and cannot be swept")
        if not isinstance(values, list) or not values:
            raise BoundlabError(f"grid.{k} must be a non-empty list of values, got {values!r}")
        if k in base:
            raise BoundlabError(f"grid.{k} is also set in base: give it in one place")
    return grid


def load_spec(path: str, out: str | None = None) -> SweepSpec:
    """Read a sweep spec file (see the module docstring); default ``out``: the file's name without
    ``.toml`` plus ``.sweep``, next to it."""
    from boundlab.simulate.config import read_toml
    spec = parse_spec(read_toml(path, "sweep spec"), out)
    if spec.out is None:
        spec.out = os.path.splitext(path)[0] + ".sweep"
    elif not os.path.isabs(spec.out) and out is None:          # relative to the spec file
        spec.out = os.path.join(os.path.dirname(os.path.abspath(path)), spec.out)
    return spec


def expand(spec: SweepSpec) -> list[Point]:
    """Every point: the Cartesian product of each grid table (the last key fastest), the tables one
    after the other, each point resolved and keyed."""
    points: list[Point] = []
    for grid in spec.grids:
        keys = list(grid)
        for combo in itertools.product(*(grid[k] for k in keys)):
            i = len(points)
            params = dict(zip(keys, combo))
            try:
                cfg = C.resolve({**spec.base, **params}, {})
            except BoundlabError as err:
                where = ", ".join(f"{k}={v!r}" for k, v in params.items())
                raise BoundlabError(f"grid point {i} ({where}): {err}") from None
            cfg["jobs"] = 1
            points.append(Point(index=i, params=params, cfg=cfg, key=cache_key(cfg)))
    return points


def validate_points(points: list[Point]) -> None:
    """Every point resolved and checked as a whole before the first one runs: its problem and algorithm
    built, its step, runs, iterations and checkpoints checked (one line naming the point)."""
    from boundlab.simulate.engine import checkpoints, resolve_gamma
    seen: set[str] = set()
    for p in points:
        if p.key in seen:
            continue
        seen.add(p.key)
        cfg = p.cfg
        try:
            for name in ("runs", "iterations"):
                if cfg[name] is None or cfg[name] < 1:
                    raise BoundlabError(f"{name} must be an integer >= 1, got {cfg[name]!r}")
            problem, algorithm = C.build(cfg)
            algorithm.setup(problem)
            resolve_gamma(algorithm, problem, cfg["gamma"], bool(cfg["allow_large_step"]))
            checkpoints(cfg["checkpoints"], cfg["iterations"])
        except BoundlabError as err:
            where = ", ".join(f"{k}={v!r}" for k, v in p.params.items()) or "base"
            raise BoundlabError(f"grid point {p.index} ({where}): {err}") from None


# -- the cache key -------------------------------------------------------------------------------------
def key_material(cfg: dict[str, Any]) -> dict[str, Any]:
    """Everything that determines a point's numbers (what :func:`cache_key` hashes)."""
    import numpy
    from boundlab import __version__
    public = C.public(cfg)
    for k in NUMBER_FREE_KEYS:
        public.pop(k, None)
    material = {"config": public, "boundlab": __version__, "numpy": numpy.__version__,
                "block_size": BLOCK_SIZE, "cache_format": CACHE_FORMAT, "blas_threads": 1}
    data = cfg.get("problem.data")
    if isinstance(data, str) and data.startswith("file:"):
        try:
            with open(data[5:], "rb") as fh:
                material["data_sha256"] = hashlib.sha256(fh.read()).hexdigest()
        except OSError:
            material["data_sha256"] = None                   # the point will fail when it runs
    return material


def cache_key(cfg: dict[str, Any]) -> str:
    """SHA-256 (hex) of :func:`key_material`, serialised as canonical JSON."""
    text = json.dumps(key_material(cfg), sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


# -- running one point (anywhere) -----------------------------------------------------------------
def run_point(cfg: dict[str, Any], plugins: tuple[str, ...] = ()) -> dict[str, Any]:
    """Simulate one resolved config; returns plain arrays and metadata (picklable, small).

    The problem is built and simulated with BLAS on one thread (:mod:`boundlab.simulate.blas`), so
    that the numbers do not depend on the machine, the back end or ``OPENBLAS_NUM_THREADS``.
    ``plugins``: the submitting process's plug-ins, loaded first where they are not (a Dask worker)."""
    from boundlab import __version__
    if plugins:
        from boundlab.plugins import ensure
        ensure(plugins)
    from boundlab.simulate.blas import single_threaded_blas
    with single_threaded_blas() as pinned:
        res = C.run_config(cfg, progress=False)
    arrays = {f"rec_{n}": res.records[n] for n in res.records}
    arrays.update(k=res.k, diverged_at=res.diverged_at, max_query_dist2=res.max_query_dist2)
    meta = {kk: v for kk, v in res.meta.items()}
    meta["blas_single_thread"] = pinned
    return {"arrays": arrays, "meta": jsonable(meta), "boundlab": __version__}


# -- atomic files (boundlab.simulate.files) ----------------------------------------------------------
def _alive(pid: str) -> bool:
    """Is process ``pid`` running (a temporary file of a sweep still writing is left alone)?"""
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


class Cache:
    """``FOLDER/KEY.npz`` per point: the record arrays and a JSON string of metadata."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):            # leftovers of a write whose process was killed
            if name.startswith(".tmp-") and not _alive(name.split("-")[1]):
                try:
                    os.unlink(os.path.join(folder, name))
                except OSError:
                    pass

    def path(self, key: str) -> str:
        return os.path.join(self.folder, f"{key}.npz")

    def has(self, key: str) -> bool:
        """A valid entry exists for ``key`` (see :meth:`check`)."""
        return self.check(key) == "ok"

    def check(self, key: str) -> str:
        """'ok', 'missing', or why the entry cannot be trusted: 'damaged: ...' (unreadable, truncated, an array
        missing) or 'foreign: ...' (it stores another point's key: copied over from elsewhere)."""
        path = self.path(key)
        if not os.path.exists(path):
            return "missing"
        try:
            with np.load(path, allow_pickle=False) as z:
                names = set(z.files)
                need = {"meta_json", "k", "diverged_at", "max_query_dist2", *(f"rec_{n}" for n in RECORDS)}
                if not need <= names:
                    return f"damaged: arrays missing ({', '.join(sorted(need - names)[:3])})"
                stored = json.loads(str(z["meta_json"])).get("key")
                for n in names - {"meta_json"}:
                    z[n]                                  # reads (and CRC-checks) every array
        except Exception as err:  # noqa: BLE001 - BadZipFile, EOFError, ValueError, OSError...: all mean damaged
            return f"damaged: {type(err).__name__}"
        if stored != key:
            return f"foreign: it stores key {str(stored)[:16]}"
        return "ok"

    def discard(self, key: str) -> None:
        try:
            os.unlink(self.path(key))
        except OSError:
            pass

    # -- one lock per point: concurrent sweeps on one cache compute each point once -------------------
    def lock_path(self, key: str) -> str:
        return os.path.join(self.folder, f"{key}.lock")

    def try_lock(self, key: str) -> bool:
        """Take the point's lock (a file holding this process's id); False if a live process holds it. A
        lock left by a dead process is taken over."""
        path = self.lock_path(key)
        for _ in range(2):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                try:
                    with open(path) as fh:
                        owner = fh.read().strip()
                except OSError:
                    owner = ""
                if owner and _alive(owner):
                    return False
                try:                                   # a stale lock: its process is gone
                    os.unlink(path)
                except OSError:
                    pass
                continue
            with os.fdopen(fd, "w") as fh:
                fh.write(str(os.getpid()))
            return True
        return False

    def locked_by_other(self, key: str) -> bool:
        try:
            with open(self.lock_path(key)) as fh:
                owner = fh.read().strip()
        except OSError:
            return False
        return bool(owner) and owner != str(os.getpid()) and _alive(owner)

    def unlock(self, key: str) -> None:
        try:
            with open(self.lock_path(key)) as fh:
                if fh.read().strip() != str(os.getpid()):
                    return
            os.unlink(self.lock_path(key))
        except OSError:
            pass

    def save(self, key: str, payload: dict[str, Any], point: Point) -> None:
        meta = {"key": key, "params": point.params, "config": C.public(point.cfg), "result": payload["meta"],
                "boundlab": payload["boundlab"]}
        arrays = dict(payload["arrays"])
        arrays["meta_json"] = np.array(json.dumps(jsonable(meta)))
        atomic_write(self.path(key), lambda fh: np.savez(fh, **arrays))

    def load(self, key: str) -> tuple[SimulationResult, dict[str, Any]]:
        with np.load(self.path(key), allow_pickle=False) as z:
            meta = json.loads(str(z["meta_json"]))
            res = SimulationResult(k=z["k"], records={n[4:]: z[n] for n in z.files if n.startswith("rec_")},
                                   diverged_at=z["diverged_at"], max_query_dist2=z["max_query_dist2"],
                                   meta=meta["result"])
        return res, meta


# -- back ends ---------------------------------------------------------------------------------------
def _local_results(points: list[Point], jobs: int) -> Iterator[tuple[Point, dict | None, str | None]]:
    """(point, payload or None, error or None) as points finish, in this process or a pool."""
    if jobs == 1:
        for p in points:
            try:
                yield p, run_point(p.cfg), None
            except Exception as err:            # noqa: BLE001 - a failing point is reported, not fatal
                yield p, None, _describe(err)
        return
    from concurrent.futures import as_completed

    from boundlab.simulate.files import process_pool
    with process_pool(jobs) as pool:
        futures = {pool.submit(run_point, p.cfg): p for p in points}
        try:
            for fut in as_completed(futures):
                p = futures[fut]
                try:
                    yield p, fut.result(), None
                except Exception as err:        # noqa: BLE001
                    yield p, None, _describe(err)
        finally:
            for fut in futures:
                fut.cancel()


def _connect(scheduler: str, timeout: float):
    """A Dask client for ``scheduler`` (one line naming the address if it cannot be reached)."""
    try:
        from distributed import Client
    except ImportError:
        raise BoundlabError("scheduler: a Dask cluster needs dask.distributed: pip install 'boundlab[dask]'") from None
    try:
        return Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as err:
        raise BoundlabError(f"scheduler: cannot connect to {scheduler!r}: {err}") from None


def _dask_results(points: list[Point], client, timeout: float
                  ) -> Iterator[tuple[Point, dict | None, str | None]]:
    from distributed import as_completed
    try:
        from boundlab.plugins import loaded
        plugins = tuple(loaded())
        futures = {client.submit(run_point, p.cfg, plugins, key=f"boundlab-sweep-{p.key}", pure=False): p
                   for p in points}
        for fut in as_completed(list(futures)):
            p = futures[fut]
            try:
                yield p, fut.result(), None
            except Exception as err:            # noqa: BLE001
                yield p, None, _describe(err)
    finally:
        client.close()


def _describe(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}"


# -- the sweep -----------------------------------------------------------------------------------------
@dataclass
class SweepReport:
    """What :func:`run_sweep` did: counts, failures (index -> message) and the results path."""

    n_points: int
    cached: int = 0
    computed: int = 0
    failed: dict[int, str] = field(default_factory=dict)
    results_path: str | None = None
    elapsed_s: float = 0.0


def run_sweep(spec: SweepSpec, *, jobs: int = 1, scheduler: str | None = None, timeout: float = 30.0,
              log: Callable[[str], None] | None = None) -> SweepReport:
    """Run every point of ``spec`` not yet cached, then write ``OUT/results.csv`` and ``OUT/sweep.json``.

    ``jobs``: local processes (1: this process); ``scheduler``: a Dask scheduler address instead.
    ``timeout``: seconds to connect to the scheduler. A point that raises is reported in the
    returned :class:`SweepReport` (and not cached); the results table then holds the others.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise BoundlabError(f"jobs must be an integer >= 1, got {jobs!r}")
    if not (isinstance(timeout, (int, float)) and timeout > 0 and math.isfinite(timeout)):
        raise BoundlabError(f"timeout must be a number of seconds > 0, got {timeout!r}")
    if spec.out is None:
        raise BoundlabError("out: the sweep needs a results folder (out = \"...\" in the spec, or --out)")
    if os.path.exists(spec.out) and not os.path.isdir(spec.out):
        raise BoundlabError(f"out: {spec.out} is a file, not a folder")
    validate_points(spec.points)
    log = log or (lambda msg: None)
    t0 = time.perf_counter()
    if scheduler:  # connect before creating anything: an unreachable scheduler leaves no folder behind
        client = _connect(scheduler, timeout)
    cache = Cache(os.path.join(spec.out, "cache"))
    report = SweepReport(n_points=len(spec.points))
    todo, waiting = [], []
    seen: set[str] = set()
    for p in spec.points:
        if p.key in seen:                          # identical points are computed once
            continue
        seen.add(p.key)
        state = cache.check(p.key)
        if state == "ok":
            continue
        if state != "missing":                     # damaged or foreign: recompute, say so in one line
            log(f"point {p.index}: cache entry {p.key[:16]} {state}; recomputing it")
            cache.discard(p.key)
        if cache.try_lock(p.key):
            todo.append(p)
        else:                                      # another sweep on this cache is computing it
            waiting.append(p)
    report.cached = len(seen) - len(todo) - len(waiting)
    log(f"{len(spec.points)} points, {report.cached} cached, {len(todo)} to run"
        + (f", {len(waiting)} being computed by another sweep" if waiting else "")
        + (f" on {scheduler}" if scheduler else f" with {jobs} job{'s' if jobs > 1 else ''}"))
    try:
        if todo:
            source = _dask_results(todo, client, timeout) if scheduler else _local_results(todo, jobs)
            done = 0
            for p, payload, error in source:
                done += 1
                if error is None and payload.get("boundlab") != _version():
                    error = f"worker runs boundlab {payload.get('boundlab')}, this client {_version()}"
                if error is None:
                    cache.save(p.key, payload, p)
                    report.computed += 1
                    log(f"[{done}/{len(todo)}] point {p.index} done ({_short(p)})")
                else:
                    report.failed[p.index] = error
                    log(f"[{done}/{len(todo)}] point {p.index} FAILED ({_short(p)}): {error}")
                cache.unlock(p.key)
    finally:
        for p in todo:
            cache.unlock(p.key)
    for p in waiting:                              # wait for the other sweep; take over if it died
        while not cache.has(p.key) and cache.locked_by_other(p.key):
            time.sleep(0.5)
        if cache.has(p.key):
            report.cached += 1
            log(f"point {p.index} computed by another sweep")
        elif cache.try_lock(p.key):
            try:
                for q, payload, error in _local_results([p], 1):
                    if error is None:
                        cache.save(q.key, payload, q)
                        report.computed += 1
                    else:
                        report.failed[q.index] = error
            finally:
                cache.unlock(p.key)
    for p in spec.points:                          # every copy of a failed configuration failed
        if p.index not in report.failed and not cache.has(p.key):
            same = [q.index for q in spec.points if q.key == p.key and q.index in report.failed]
            if same:
                report.failed[p.index] = report.failed[same[0]]
    report.results_path = write_results(spec, cache, report)
    report.elapsed_s = time.perf_counter() - t0
    return report


def _version() -> str:
    from boundlab import __version__
    return __version__


def _short(p: Point) -> str:
    return ", ".join(f"{k}={v}" for k, v in p.params.items()) or "base"


def results_frame(spec: SweepSpec, cache: Cache):
    """The tidy table of every cached point, in grid order (see the module docstring)."""
    import pandas as pd
    frames = []
    for p in spec.points:
        if not cache.has(p.key):
            continue
        res, meta = cache.load(p.key)
        frame = res.to_frame()
        head = {"config": p.index, "key": p.key[:16]}
        head.update({k: _cell(p.params.get(k)) for k in spec.grid_keys})
        head["gamma_used"] = meta["result"]["gamma"]
        frame = frame.drop(columns=[c for c in head if c in frame.columns])   # the grid's own column wins
        for i, (name, value) in enumerate(head.items()):
            frame.insert(i, name, value)
        frames.append(frame)
    if not frames:
        describing = [c for c in DESCRIBING if c not in spec.grid_keys]
        return pd.DataFrame(columns=["config", "key", *spec.grid_keys, "gamma_used", *describing, "run", "k", *RECORDS,
                                     "diverged"])
    return pd.concat(frames, ignore_index=True)


def _cell(v: Any) -> Any:
    return json.dumps(v) if isinstance(v, (list, dict)) else v


def write_results(spec: SweepSpec, cache: Cache, report: SweepReport) -> str:
    """Write ``OUT/results.csv`` and ``OUT/sweep.json`` atomically; returns the CSV's path."""
    frame = results_frame(spec, cache)
    path = os.path.join(spec.out, "results.csv")
    atomic_write(path, lambda fh: frame.to_csv(fh, index=False, float_format="%.17g"), binary=False)
    try:                                  # the same table as parquet, where pyarrow is installed ('boundlab[parquet]')
        import pyarrow  # noqa: F401
    except ImportError:
        pass
    else:
        typed = frame.copy()      # a grid column may mix numbers and strings (gamma = [0.01, "theory"]): as text
        for c in typed.columns[typed.dtypes == object]:
            typed[c] = typed[c].map(lambda v: "" if v is None else str(v))
        atomic_write(os.path.join(spec.out, "results.parquet"), lambda fh: typed.to_parquet(fh, index=False))
    from boundlab.simulate.files import environment
    summary = {"boundlab": _version(), "environment": environment(), "grids": spec.grids, "base": jsonable(spec.base),
               "points": [{"config": p.index, "key": p.key, "params": p.params,
                           "status": "failed" if p.index in report.failed else
                           ("done" if cache.has(p.key) else "missing"),
                           **({"error": report.failed[p.index]} if p.index in report.failed else {})}
                          for p in spec.points]}
    atomic_write(os.path.join(spec.out, "sweep.json"),
                 lambda fh: fh.write(json.dumps(jsonable(summary), indent=2) + "\n"), binary=False)
    return path


def main_log(msg: str) -> None:
    print(f"boundlab sweep: {msg}", file=sys.stderr, flush=True)
