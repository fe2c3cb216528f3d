"""A finished verify table, kept for the figures: ``boundlab verify`` stores the table of each run, and
``boundlab figures tightness`` reads it instead of running the suite again.

A table is reused only when nothing that can change one of its numbers has changed: the key holds the suite,
the seed, alpha, the tightening factor, the engine (Monte Carlo or exact), the checks selected, the simulation
engine (compiled or numpy: ``boundlab.simulate.kernels``), numpy's version, the plug-ins loaded and a hash of
boundlab's own source files (any edit of the code gives a new key). The folder is ``BOUNDLAB_CACHE_DIR``, else
``$XDG_CACHE_HOME/boundlab``, else ``~/.cache/boundlab``; ``BOUNDLAB_CACHE_DIR=off`` turns the cache off.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path


def cache_dir() -> Path | None:
    """The cache's folder (None when turned off)."""
    env = os.environ.get("BOUNDLAB_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "none") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "boundlab"


@functools.cache
def code_hash() -> str:
    """sha256 of boundlab's Python sources (the package and its four code folders), 16 hex digits."""
    import boundlab
    roots = [Path(p) for p in boundlab.__path__]
    for sub in ("theory", "simulate", "verify", "figures"):
        mod = __import__(f"boundlab.{sub}", fromlist=["_"])
        roots += [Path(p) for p in mod.__path__]
    h = hashlib.sha256()
    for root in roots:
        for f in sorted(root.glob("*.py")):
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def key(suite: str, seed: int, tighten: float, alpha: float, engine: str, only: str | None = None) -> str:
    """The cache key of a verify table (see the module docstring)."""
    import numpy

    from boundlab.plugins import loaded
    from boundlab.simulate.kernels import engine as sim_engine
    parts = {"suite": suite, "seed": seed, "tighten": tighten, "alpha": alpha, "engine": engine, "only": only,
             "simulation": sim_engine(), "numpy": numpy.__version__, "plugins": sorted(loaded()), "code": code_hash()}
    if os.path.exists(suite):                          # a user's suite file: its contents count too
        parts["suite_file"] = hashlib.sha256(Path(suite).read_bytes()).hexdigest()
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:20]


def store(k: str, frame) -> Path | None:
    """Write a verify table under key ``k`` (atomically; a failure to write is not an error: None)."""
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / "verify" / f"{k}.csv"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        frame.to_csv(tmp, index=False)
        os.replace(tmp, path)
    except OSError:
        return None
    return path


def load(k: str):
    """The table stored under ``k`` (a pandas DataFrame), or None."""
    folder = cache_dir()
    path = None if folder is None else folder / "verify" / f"{k}.csv"
    if path is None or not path.is_file():
        return None
    import pandas as pd
    try:
        return pd.read_csv(path)
    except (OSError, ValueError):
        return None
