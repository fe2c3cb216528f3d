r"""The compiled draws (numba): SFC64, numpy's ``random`` and ziggurat ``standard_normal``, bit for bit.

Imported only through :func:`boundlab.simulate.kernels.draws` (it imports numba). The definitions are in
:mod:`boundlab.simulate.kernels`. A stream's state is a ``(blocks, 4)`` uint64 array, row b being
block b's SFC64 words ``(a, b, c, w)``; every kernel loads a block's words into locals, draws, and stores
them back. Rows are drawn block by block exactly as :class:`boundlab.simulate.rng.StreamRNG` does with
numpy: the kept rows of a block in C order, then the rows of a partial last block that no run uses
(drawn, discarded).
"""
from __future__ import annotations

import numpy as np
from numba import njit
from numba.np.random._constants import fi_double, ki_double, wi_double, ziggurat_nor_inv_r, ziggurat_nor_r

from boundlab.simulate.kernels import KIND_NORMAL, KIND_UNIFORM

_KI = np.ascontiguousarray(ki_double, dtype=np.uint64)
_WI = np.ascontiguousarray(wi_double, dtype=np.float64)
_FI = np.ascontiguousarray(fi_double, dtype=np.float64)
_R = float(ziggurat_nor_r)
_INV_R = float(ziggurat_nor_inv_r)
_U3, _U8, _U11, _U24, _U40 = (np.uint64(v) for v in (3, 8, 11, 24, 40))
_ONE = np.uint64(1)
_FF = np.uint64(0xFF)
_MANT = np.uint64(0x000FFFFFFFFFFFFF)
_TWO_M53 = 1.0 / 9007199254740992.0



@njit(inline="always")
def sfc64(a, b, c, w):
    """One SFC64 step: (output, a, b, c, w)."""
    t = a + b + w
    return t, b ^ (b >> _U11), c + (c << _U3), ((c << _U24) | (c >> _U40)) + t, w + _ONE


@njit(inline="always")
def uniform(a, b, c, w):
    """numpy's ``random``: (t >> 11) 2^-53 in [0, 1)."""
    t, a, b, c, w = sfc64(a, b, c, w)
    return np.float64(t >> _U11) * _TWO_M53, a, b, c, w


@njit(inline="always")
def _layer(r):
    """A word's ziggurat candidate: the layer (8 bits), the abscissa (52 bits) and the signed value (1 bit)."""
    idx = np.intp(r & _FF)
    r >>= _U8
    rabs = (r >> _ONE) & _MANT
    x = np.float64(rabs) * _WI[idx]
    return idx, rabs, (-x if r & _ONE else x)


@njit
def normal(a, b, c, w):
    """numpy's ziggurat ``standard_normal`` (one call may use several words). The 99.3% fast path here,
    small enough to be inlined where it is called; the rest in :func:`_normal_rare`."""
    r, a, b, c, w = sfc64(a, b, c, w)
    idx, rabs, x = _layer(r)
    if rabs < _KI[idx]:
        return x, a, b, c, w
    return _normal_rare(idx, rabs, x, a, b, c, w)


@njit
def _normal_rare(idx, rabs, x, a, b, c, w):
    """The ziggurat's rare branches for a word that failed the fast test, then new words until a draw."""
    while True:
        if idx == 0:                                   # the tail beyond r: Marsaglia's method
            while True:
                u1, a, b, c, w = uniform(a, b, c, w)
                u2, a, b, c, w = uniform(a, b, c, w)
                xx = -_INV_R * np.log1p(-u1)
                yy = -np.log1p(-u2)
                if yy + yy > xx * xx:
                    return (-(_R + xx) if (rabs >> _U8) & _ONE else _R + xx), a, b, c, w
        else:                                          # a wedge
            u, a, b, c, w = uniform(a, b, c, w)
            if (_FI[idx - 1] - _FI[idx]) * u + _FI[idx] < np.exp(-0.5 * x * x):
                return x, a, b, c, w
        r, a, b, c, w = sfc64(a, b, c, w)              # rejected: a new word, as the fast path
        idx, rabs, x = _layer(r)
        if rabs < _KI[idx]:
            return x, a, b, c, w


@njit(cache=True)
def fill(state, out, block, kind):
    """Rows of ``out`` (runs, m), block by block; ``kind``: uniform, normal or uniform added to ``out``.
    The rows of a partial last block beyond ``out``'s are drawn and discarded."""
    n_runs, m = out.shape
    for j in range(state.shape[0]):
        a, b, c, w = state[j, 0], state[j, 1], state[j, 2], state[j, 3]
        lo = j * block
        hi = min(lo + block, n_runs)
        for r in range(lo, hi):
            for i in range(m):
                if kind == KIND_NORMAL:
                    x, a, b, c, w = normal(a, b, c, w)
                    out[r, i] = x
                else:
                    x, a, b, c, w = uniform(a, b, c, w)
                    if kind == KIND_UNIFORM:
                        out[r, i] = x
                    else:
                        out[r, i] += x
        for _ in range((block - (hi - lo)) * m):      # the unused rows of a partial last block
            if kind == KIND_NORMAL:
                x, a, b, c, w = normal(a, b, c, w)
            else:
                t, a, b, c, w = sfc64(a, b, c, w)
        state[j, 0], state[j, 1], state[j, 2], state[j, 3] = a, b, c, w


@njit(cache=True)
def bernoulli_nonempty(state, out, block, p):
    """(runs, N) masks, each entry True w.p. p (``random() < p``), a block's empty rows redrawn from a
    whole new (block, N) draw, as :meth:`boundlab.simulate.rng.StreamRNG.bernoulli_nonempty`."""
    n_runs, N = out.shape
    mask = np.empty((block, N), dtype=np.bool_)
    for j in range(state.shape[0]):
        a, b, c, w = state[j, 0], state[j, 1], state[j, 2], state[j, 3]
        for r in range(block):
            for i in range(N):
                u, a, b, c, w = uniform(a, b, c, w)
                mask[r, i] = u < p
        while True:
            empty = np.zeros(block, dtype=np.bool_)
            any_empty = False
            for r in range(block):
                e = True
                for i in range(N):
                    if mask[r, i]:
                        e = False
                        break
                empty[r] = e
                any_empty = any_empty or e
            if not any_empty:
                break
            for r in range(block):                     # a whole (block, N) redraw; the empty rows take it
                for i in range(N):
                    u, a, b, c, w = uniform(a, b, c, w)
                    if empty[r]:
                        mask[r, i] = u < p
        lo = j * block
        hi = min(lo + block, n_runs)
        for r in range(lo, hi):
            for i in range(N):
                out[r, i] = mask[r - lo, i]
        state[j, 0], state[j, 1], state[j, 2], state[j, 3] = a, b, c, w


def warm() -> None:
    """Compile the draw kernels (or load them from numba's cache) for the argument types the engine passes, on empty
    outputs (a dummy state, one block of one row drawn and discarded)."""
    fill(np.zeros((1, 4), dtype=np.uint64), np.zeros((0, 1)), 1, KIND_UNIFORM)
    bernoulli_nonempty(np.zeros((1, 4), dtype=np.uint64), np.zeros((0, 1), dtype=np.bool_), 1, 1.0)
