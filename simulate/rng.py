"""Random numbers that do not depend on how runs are batched.

Runs are grouped into fixed blocks of :data:`BLOCK_SIZE` consecutive run indices. Block ``b``
has one numpy ``Generator`` (SFC64 bit generator: 20% faster normals than PCG64) per *stream* (gradient noise, uplink compression, downlink
compression, participation), seeded by ``np.random.SeedSequence(seed, spawn_key=(1, b, s))``.
A draw of shape ``(R, ...)`` loops over the (few) blocks of the batch and fills the rows of
each block from that block's generator. A block is always drawn whole, even the last,
partial one (its extra rows are discarded), so run ``r`` sees the same numbers whether it is
simulated alone, in a batch of 64 runs, or among 10,000: the results of run ``r`` depend only
on ``(seed, r)``.

Separate streams make algorithms *coupled*: two algorithms run with the same seed see the same
gradient noise, whatever their compressors draw. This is what makes "identity compressors turn
every algorithm into SGD on the same noise" an exact statement.

The problem instance (data split, rotation, centres) uses ``SeedSequence(seed, spawn_key=(0,))``
(see :func:`problem_generator`).
"""
from __future__ import annotations

import numpy as np

from boundlab.errors import BoundlabError

#: Runs per RNG block. Changing it changes every simulated number: it is part of the format.
BLOCK_SIZE = 64

#: Independent random streams of each block.
STREAMS = ("noise", "up", "down", "participation")


def problem_generator(seed: int) -> np.random.Generator:
    """The generator that builds a problem instance (independent of every run stream)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(0,))))


class StreamRNG:
    """One random stream for runs ``[run_start, run_stop)``, drawn block by block.

    Exposes the two methods of ``numpy.random.Generator`` that the compressors and problems
    use, :meth:`random` and :meth:`standard_normal`, with the constraint that ``size[0]`` is the
    number of runs of the batch (the run axis always comes first).
    """

    def __init__(self, seed: int, stream: int, run_start: int, run_stop: int) -> None:
        if run_start % BLOCK_SIZE or run_stop <= run_start:
            raise BoundlabError(f"runs [{run_start}, {run_stop}) must start at a multiple of BLOCK_SIZE={BLOCK_SIZE}")
        self.n_runs = run_stop - run_start
        first = run_start // BLOCK_SIZE
        n_blocks = -(-self.n_runs // BLOCK_SIZE)
        self._gens = [np.random.Generator(np.random.SFC64(np.random.SeedSequence(seed, spawn_key=(1, b, stream))))
                      for b in range(first, first + n_blocks)]
        self._last = self.n_runs - (n_blocks - 1) * BLOCK_SIZE  # rows used of the last block

    def _fill(self, method: str, size: tuple[int, ...], out: np.ndarray | None) -> np.ndarray:
        size = tuple(size)
        if size[0] != self.n_runs:
            raise ValueError(f"draw of shape {size}: the first axis must be the {self.n_runs} runs")
        if out is None:
            out = np.empty(size)
        tail = size[1:]
        for j, gen in enumerate(self._gens):
            lo = j * BLOCK_SIZE
            if j < len(self._gens) - 1 or self._last == BLOCK_SIZE:
                getattr(gen, method)(out=out[lo:lo + BLOCK_SIZE])
            else:  # the partial last block is drawn whole and cut
                full = getattr(gen, method)(size=(BLOCK_SIZE, *tail))
                out[lo:] = full[:self._last]
        return out

    def random(self, size: tuple[int, ...], out: np.ndarray | None = None) -> np.ndarray:
        """Uniform draws on [0, 1) of shape ``size`` (``size[0]`` = runs)."""
        return self._fill("random", size, out)

    def standard_normal(self, size: tuple[int, ...], out: np.ndarray | None = None) -> np.ndarray:
        """Standard normal draws of shape ``size`` (``size[0]`` = runs)."""
        return self._fill("standard_normal", size, out)


    def bernoulli_nonempty(self, N: int, p: float) -> np.ndarray:
        """(R, N) participation masks, each worker active w.p. p, redrawn while a row is empty.

        The redraw is decided block by block (on all BLOCK_SIZE rows of the block, kept or not),
        so it does not depend on the batching: a redraw in one block consumes nothing in another.
        """
        out = np.empty((self.n_runs, N), dtype=bool)
        for j, gen in enumerate(self._gens):
            mask = gen.random((BLOCK_SIZE, N)) < p
            empty = ~mask.any(axis=1)
            while empty.any():
                again = gen.random((BLOCK_SIZE, N)) < p
                mask[empty] = again[empty]
                empty = ~mask.any(axis=1)
            lo = j * BLOCK_SIZE
            hi = min(lo + BLOCK_SIZE, self.n_runs)
            out[lo:hi] = mask[:hi - lo]
        return out


class RunRNG:
    """All streams of one batch of runs: ``rng.noise``, ``rng.up``, ``rng.down``, ``rng.participation``."""

    def __init__(self, seed: int, run_start: int, run_stop: int) -> None:
        self.seed, self.run_start, self.run_stop = seed, run_start, run_stop
        for s, name in enumerate(STREAMS):
            setattr(self, name, StreamRNG(seed, s, run_start, run_stop))

    noise: StreamRNG
    up: StreamRNG
    down: StreamRNG
    participation: StreamRNG
