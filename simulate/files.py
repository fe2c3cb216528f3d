"""Files and processes that survive interrupts and crashes: atomic writes, and worker pools whose
processes die with their parent.

* :func:`atomic_write` / :func:`write_together`: each file is written to a temporary file in the same
  folder, flushed and fsynced, then renamed onto its destination with Ctrl-C held back during the
  renames; an interrupt or an error before that removes the temporary files. A reader sees the old
  files or the new ones, never a truncated one. The final files get the usual permissions (0666
  less the umask), not the temporary file's 0600.
* :func:`available_memory`: what a job may allocate (checked before allocating, by the engine and the
  problems);
* :func:`process_pool`: a ``ProcessPoolExecutor`` whose workers ask the kernel (Linux ``prctl``) to
  be terminated when their parent dies (``kill -9`` of the main process leaves no orphan computing),
  and ignore Ctrl-C (the parent handles it and decides what finished work to keep);
* :func:`progress_map` / :func:`shared_pool`: a map over jobs with a progress bar; inside ``shared_pool`` every
  map of the process (from any thread) feeds the same workers, so that several maps run at once keep every core
  busy (``boundlab figures`` computes its figures that way).
"""
from __future__ import annotations

import os
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from typing import Any


def environment() -> dict[str, Any]:
    """What produced a result, for every metadata file: boundlab's, Python's, numpy's and numba's versions, the
    simulation engine (compiled or numpy) and the platform."""
    import platform

    import numpy

    from boundlab import __version__
    from boundlab.simulate.kernels import engine
    try:
        from importlib.metadata import version
        numba = version("numba")
    except Exception:                     # not installed: the numpy engine
        numba = None
    return {"boundlab": __version__, "python": platform.python_version(), "numpy": numpy.__version__,
            "numba": numba, "engine": engine(), "platform": platform.platform(), "machine": platform.machine()}


def available_memory() -> int | None:
    """Bytes of memory available now (Linux: MemAvailable), or None where it cannot be read."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


def write_together(jobs: Sequence[tuple[str, Callable[[Any], None], bool]]) -> None:
    """[(path, writer(fh), binary)]: every file to a temporary one, then all renamed with SIGINT blocked."""
    temps: list[tuple[str, str]] = []
    mode = 0o666 & ~_umask()
    try:
        for dest, writer, binary in jobs:
            fd, tmp = tempfile.mkstemp(prefix=f".tmp-{os.getpid()}-", suffix="-" + os.path.basename(dest),
                                       dir=os.path.dirname(os.path.abspath(dest)))
            temps.append((tmp, dest))
            with os.fdopen(fd, "wb" if binary else "w") as fh:
                writer(fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
        blocked = hasattr(signal, "pthread_sigmask")
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if blocked else None
        try:
            for tmp, dest in temps:
                os.replace(tmp, dest)
        finally:
            if blocked:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)
    except BaseException:
        for tmp, _ in temps:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise


def atomic_write(path: str, write: Callable[[Any], None], binary: bool = True) -> None:
    """Write ``path`` atomically with ``write(fh)`` (see the module docstring)."""
    write_together([(path, write, binary)])


def _worker_init(plugins: tuple[str, ...] = ()) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:   # one BLAS thread per worker: the pool is the parallelism (two 2-thread BLAS in two workers on two cores
        from threadpoolctl import threadpool_limits        # thrash: the exact edges of figure 5 ran 4x slower)
        threadpool_limits(limits=1, user_api="blas")
    except Exception:                                       # noqa: BLE001 - a missing BLAS: nothing to limit
        pass
    if plugins:   # the parent's plug-ins (a forked worker has them already; a spawned one loads them)
        from boundlab.plugins import ensure
        ensure(plugins)
    try:  # Linux: SIGTERM to this worker when its parent dies (PR_SET_PDEATHSIG = 1)
        import ctypes
        import ctypes.util
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)
        if os.getppid() == 1:  # the parent died before the request took effect
            os._exit(1)
    except (OSError, AttributeError):
        pass


def process_pool(workers: int):
    """A process pool whose workers die with their parent and leave Ctrl-C to it."""
    from concurrent.futures import ProcessPoolExecutor

    from boundlab.plugins import loaded
    return ProcessPoolExecutor(max_workers=workers, initializer=_worker_init, initargs=(tuple(loaded()),))


#: (the pool, the process that made it) while :func:`shared_pool` is open
_SHARED: list = []


class shared_pool:
    """``with shared_pool(jobs):`` -- every :func:`progress_map` of this process, from any thread, submits its jobs
    to one pool of ``jobs`` workers (even a map of one job, even with ``jobs=1`` given to the map), in the order the
    maps submit them. On leaving (an interrupt or an error included), jobs not started are cancelled (a map waiting
    for one raises ``CancelledError``)."""

    def __init__(self, jobs: int):
        self.jobs = jobs

    def __enter__(self):
        if _SHARED:
            raise RuntimeError("shared_pool: already open")
        pool = process_pool(self.jobs)
        # The workers are forked now, before the maps' threads exist: a fork while another thread holds a lock
        # (an import's, for one) leaves the child waiting for it for ever.
        for fut in [pool.submit(os.getpid) for _ in range(self.jobs)]:
            fut.result()
        _SHARED.append((pool, os.getpid()))
        return pool

    def __exit__(self, *exc) -> None:
        pool, _ = _SHARED.pop()
        pool.shutdown(wait=exc[0] is None, cancel_futures=True)


def _shared():
    """The open shared pool of this process (a forked worker sees its parent's entry, and must not use it)."""
    return _SHARED[0][0] if _SHARED and _SHARED[0][1] == os.getpid() else None


def progress_map(fn: Callable, argsets: Sequence[tuple], jobs: int = 1, desc: str = "") -> list:
    """``[fn(*a) for a in argsets]``, in ``jobs`` processes when more than one (in the :func:`shared_pool` when one
    is open), with a progress bar on stderr (tqdm: shown after 2 s, only on a terminal); the results in the order
    of ``argsets``."""
    from tqdm import tqdm
    bar = tqdm(total=len(argsets), desc=desc, unit="job", delay=2.0, leave=False, disable=None, file=sys.stderr)
    shared = _shared()
    try:
        if shared is None and (jobs <= 1 or len(argsets) <= 1):
            out = []
            for a in argsets:
                out.append(fn(*a))
                bar.update(1)
            return out
        from contextlib import nullcontext
        with (nullcontext(shared) if shared is not None else process_pool(min(jobs, len(argsets)))) as pool:
            return _collect(pool, fn, argsets, bar)
    finally:
        bar.close()


def _collect(pool, fn: Callable, argsets: Sequence[tuple], bar) -> list:
    from concurrent.futures import FIRST_COMPLETED, wait
    futures = {pool.submit(fn, *a): i for i, a in enumerate(argsets)}
    results: list = [None] * len(argsets)
    pending = set(futures)
    try:
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            # a job cancelled by the shared pool's shutdown (another figure failed, or Ctrl-C) is never reported
            # done to wait() or as_completed(): seen here, its result() raises CancelledError
            dropped = {fut for fut in pending if fut.cancelled()}
            pending -= dropped
            for fut in (*done, *dropped):
                results[futures[fut]] = fut.result()
                bar.update(1)
    except BaseException:             # Ctrl-C or a failure: the jobs not started are not run
        for fut in futures:
            fut.cancel()
        raise
    return results
