r"""Spectral radii of second-moment maps and where they cross 1: the tools of the exact stability edges.

Both exact edges (MCM and its baselines, :func:`boundlab.simulate.exact.mean_square_edge`; stale gradients,
:func:`boundlab.simulate.exact_delayed.stability_edge`) look for the step :math:`\gamma` where a spectral radius
:math:`\rho(\gamma)` reaches 1, and each evaluation of :math:`\rho` is an eigenvalue problem. Bisection needs
:math:`\log_2(\log(\gamma_{hi}/\gamma_{lo})/\log(1+{\rm rel}))` of them (12-16 here); :math:`\log\rho` is smooth in
:math:`\log\gamma` away from eigenvalue crossings, so false position with the Illinois correction needs about half as
many, and a bisection step whenever three iterations fail to halve the bracket bounds the worst case (a few
times bisection's). False position uses the values, not only their signs, so a last-bit difference in one value
(another BLAS, another memory alignment) would move every later trial point and the edge within its tolerance; the
trial points are therefore rounded to the lattice that bisection would visit (a geometric grid of ratio at most
1 + rel between the first bracket's ends): the final bracket is the lattice cell where the sign changes, which
only the signs decide, as with bisection.

The maps are linear maps of second moments :math:`M\mapsto\sum_j F_jMF_j^\top+\dots` that send symmetric (and
positive semi-definite) matrices to symmetric (PSD) ones. Such a map is the direct sum of its symmetric and
antisymmetric parts; by the PSD cone (Krein-Rutman) its spectral radius is an eigenvalue of the symmetric part, at
least that of the antisymmetric part (the map dominates :math:`F\otimes F` on the cone, whose radius
:math:`\max_i|\lambda_i|^2` bounds the antisymmetric part's :math:`\max_{i<j}|\lambda_i\lambda_j|`).
:func:`symmetric_radius` therefore diagonalises the symmetric part only: :math:`n(n+1)/2` unknowns per block instead of
:math:`n^2`, about 5.5x cheaper at n = 9; the tests compare it with the whole map's.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def symmetric_part(T: np.ndarray, n: int) -> np.ndarray:
    r"""The map ``T``, acting on stacked vec(M) blocks (n x n each, row-major; several blocks for several modes),
    restricted to symmetric blocks, in the coordinates :math:`M_{ij}, i \le j`."""
    i, j = np.triu_indices(n)
    blocks = T.shape[0] // (n * n)
    shift = (np.arange(blocks) * n * n)[:, None]
    upper = (shift + i * n + j).ravel()           # (i, j), i <= j, in every block
    lower = (shift + j * n + i).ravel()           # its mirror (the same index on the diagonal)
    cols = T[:, upper] + np.where(upper != lower, 1.0, 0.0) * T[:, lower]
    return cols[upper]


def symmetric_radius(T: np.ndarray, n: int) -> float:
    """The spectral radius of a second-moment map ``T`` (see the module docstring), from its symmetric part."""
    return float(np.max(np.abs(np.linalg.eigvals(symmetric_part(T, n)))))


def bracket_crossing(f: Callable[[float], float], lo: float, hi: float, rel: float,
                     f_lo: float | None = None, f_hi: float | None = None) -> tuple[float, float]:
    r"""A bracket ``(lo, hi)`` with ``f(lo) < 0 <= f(hi)`` and ``hi <= lo (1 + rel)``, from one with the same signs.

    Illinois false position, each trial point rounded to the lattice of the module docstring, with a bisection step
    (in lattice index) whenever three iterations have not halved the bracket. A ``lo`` of 0 is first raised by
    halving ``hi`` (sign decisions only). ``f_lo``, ``f_hi``: values already known."""
    if not 0 <= lo < hi:
        raise ValueError(f"bracket_crossing needs 0 <= lo < hi, got lo = {lo!r}, hi = {hi!r}")
    fa = f(lo) if f_lo is None else f_lo
    fb = f(hi) if f_hi is None else f_hi
    if not (fa < 0 <= fb):
        raise ValueError(f"bracket_crossing needs f(lo) < 0 <= f(hi), got {fa!r} and {fb!r}")
    while lo == 0:
        x = 0.5 * hi
        fx = f(x)
        lo, fa, hi, fb = (x, fx, hi, fb) if fx < 0 else (lo, fa, x, fx)
    base = math.log(lo)
    levels = max(0, math.ceil(math.log2(math.log(hi / lo) / math.log1p(rel))))
    step = math.log(hi / lo) / 2**levels
    point = lambda j: lo if j == 0 else math.exp(base + j * step)    # noqa: E731  (the lattice, j = 0 .. 2^levels)
    ja, jb = 0, 2**levels
    a, b = lo, hi
    side = 0
    widths: list[int] = []                    # jb - ja before each iteration
    while jb - ja > 1:
        widths.append(jb - ja)
        stalled = len(widths) > 3 and 2 * widths[-1] > widths[-4]       # three iterations without halving
        if stalled or not (math.isfinite(fa) and math.isfinite(fb)):
            j = (ja + jb) // 2
        else:
            x = b - fb * (b - a) / (fb - fa)
            j = min(max(round((math.log(x) - base) / step) if x > 0 else ja, ja + 1), jb - 1)
        x = point(j)
        fx = f(x)
        if fx < 0:
            ja, a, fa = j, x, fx
            if side == -1:
                fb *= 0.5                      # Illinois: the end kept twice in a row counts half
            side = -1
        else:
            jb, b, fb = j, x, fx
            if side == 1:
                fa *= 0.5
            side = 1
    return a, b
