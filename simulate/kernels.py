r"""Compiled random draws (numba), bit-identical to numpy's, and the switch between the two engines.

The engine's random numbers are numpy's: per block of runs and per stream an ``SFC64`` bit
generator, and ``Generator.random`` / ``Generator.standard_normal`` (:mod:`boundlab.simulate.rng`).
This module draws *the same numbers* in compiled code: the SFC64 step and numpy's two
transformations, re-implemented here from their definitions, with the generator's four 64-bit words
kept in our own array (so nothing is shared with a numpy object between draws):

- SFC64 (Chris Doty-Humphrey's "small fast chaotic" generator, as numpy's ``SFC64``):
  :math:`t=a+b+w`, :math:`w\leftarrow w+1`, :math:`a\leftarrow b\oplus(b\gg11)`,
  :math:`b\leftarrow c+(c\ll3)`, :math:`c\leftarrow\mathrm{rotl}(c,24)+t`; output :math:`t`.
- ``random``: :math:`(t\gg11)\,2^{-53}`.
- ``standard_normal``: numpy's 256-layer ziggurat (Marsaglia and Tsang's method in numpy's
  variant: 8 bits of the word pick the layer, 1 the sign, 52 the abscissa; the tail by
  Marsaglia's exponential method). Its three tables are numba's copy of numpy's
  (``numba.np.random._constants``); numba's own ``Generator`` support draws the same numbers but
  calls the bit generator through a function pointer for every word (18 ns per normal here, against
  numpy's 6.8 ns); inlined here, the words cost nothing extra.

``tests/test_simulate_kernels.py`` asserts equality with numpy, bit for bit, on millions of draws of
each kind (the ziggurat's rare branches included: the tail and the wedges are hit thousands of times).

Which engine runs: :func:`engine` -- ``"compiled"`` when numba imports, else ``"numpy"``; the environment
variable ``BOUNDLAB_ENGINE=numpy`` (or ``compiled``) chooses. The numpy engine is the reference the tests
compare the compiled one with. numba is imported only when a simulation first draws (``boundlab --help``
and the theory commands never import it); its compiled code is cached on disk (``cache=True``), so only the
first run on a machine pays the compilation.
"""
from __future__ import annotations

import functools
import os

ENGINES = ("compiled", "numpy")

# What a draw kernel does with its numbers (boundlab.simulate._draws.fill): set them, or add them (uniforms only).
KIND_UNIFORM, KIND_NORMAL, KIND_ADD_UNIFORM = 0, 1, 2

# Codes of the fused uplink kernel (boundlab.simulate._fused): the gradient noise, the operator, the uplink.
NOISE_NONE, NOISE_GAUSSIAN, NOISE_SPHERE = 0, 1, 2
OP_IDENTITY, OP_QSGD, OP_RANDK, OP_BERNOULLI = 0, 1, 2, 3
UPLINK_CODES = {"none": 0, "plain": 1, "memory": 2, "error_feedback": 3}
#: rand-k's kernel finds the kept set by counting, for each key, the keys below it (d^2 branch-free comparisons):
#: faster than numpy's partition up to about this d, slower above (there the numpy rule runs)
RANDK_KERNEL_MAX_D = 32


@functools.cache
def _numba_available() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:            # optional: the numpy engine is the fallback
        return False
    return True


def engine() -> str:
    """``"compiled"`` or ``"numpy"``: ``BOUNDLAB_ENGINE`` if set, else compiled when numba is installed."""
    want = os.environ.get("BOUNDLAB_ENGINE", "").strip().lower()
    if want and want not in ENGINES:
        from boundlab.errors import BoundlabError
        raise BoundlabError(f"BOUNDLAB_ENGINE must be one of {', '.join(ENGINES)}, got {want!r}")
    if want == "numpy":
        return "numpy"
    if not _numba_available():
        if want == "compiled":
            from boundlab.errors import BoundlabError
            raise BoundlabError("BOUNDLAB_ENGINE=compiled needs numba (pip install numba, or boundlab[fast])")
        return "numpy"
    return "compiled"


def compiled() -> bool:
    """Does this process draw with compiled kernels?"""
    return engine() == "compiled"


@functools.cache
def draws():
    """The compiled draw kernels (a module), compiled or loaded from numba's cache at first use."""
    from boundlab.simulate import _draws
    return _draws


@functools.cache
def fused():
    """The fused worker kernel (a module), compiled or loaded from numba's cache at first use."""
    from boundlab.simulate import _fused
    return _fused


def preload() -> None:
    """Compile the kernels (or load them from numba's cache) now: before a process pool forks, its workers then
    inherit them instead of each compiling them (about 2 s of CPU per worker the first time on a machine)."""
    if compiled():
        draws().warm()
        fused().warm()
