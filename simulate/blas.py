"""BLAS on one thread, so that matrix products give the same bits on every machine.

A multi-threaded BLAS splits a large matrix product between threads, and the split can change the
rounding. Measured here: the rotated Hessian of a d = 100 quadratic (a QR and a Q diag(eig) Q^T product),
hence every run on it, differs between 1 and 2 threads; large stacked products may too. A result would
then depend on the machine's number of cores and on ``OPENBLAS_NUM_THREADS``. So every problem
construction, every simulated batch (:func:`boundlab.simulate.simulate`, in this process or in a pool),
every exact computation (the moment recursions and spectral radii of ``exact``, ``exact_delayed`` and
``exact_decentralized``: the edges' root finders use the values, not only their signs, so a last-bit difference
moves an edge within its tolerance) and every sweep point runs with BLAS pinned to one thread. Products below the BLAS's threading
threshold always ran on one thread, so this changes nothing there; parallelism comes from
``processes`` / ``--jobs`` instead (tests/test_simulate_blas.py).

The limiting is done by ``threadpoolctl`` (OpenBLAS, MKL, BLIS and OpenMP runtimes alike).
"""
from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from threadpoolctl import ThreadpoolController

F = TypeVar("F", bound=Callable)


def _controller() -> ThreadpoolController:
    """The loaded libraries' controller, found again only when modules were imported since the last search (a
    search costs about 2 ms once numba's libraries are loaded, which every simulated batch used to pay; but a
    library loaded later, such as scipy's own OpenBLAS that ARPACK uses, must be seen). numpy is loaded first."""
    import numpy  # noqa: F401  (loads numpy's BLAS)
    return _controller_after(len(sys.modules))


@functools.lru_cache(maxsize=1)
def _controller_after(n_modules: int) -> ThreadpoolController:
    return ThreadpoolController()


def blas_threads() -> list[int]:
    """Current thread count of each BLAS library loaded in this process (empty if none is found)."""
    return [int(i["num_threads"]) for i in _controller().select(user_api="blas").info()]


@contextmanager
def single_threaded_blas() -> Iterator[bool]:
    """Run the block with every loaded BLAS on one thread; yields False if no BLAS was found.
    The previous thread counts are restored afterwards."""
    with _controller().limit(limits=1, user_api="blas"):
        yield bool(blas_threads())


def pinned(fn: F) -> F:
    """Decorator: run ``fn`` with BLAS on one thread."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with single_threaded_blas():
            return fn(*args, **kwargs)
    return wrapper  # type: ignore[return-value]
