"""Random numbers that do not depend on how runs are batched.

Runs are grouped into fixed blocks of :data:`BLOCK_SIZE` consecutive run indices. Block ``b``
has one numpy ``Generator`` (SFC64 bit generator: 20% faster normals than PCG64) per *stream* (gradient noise, uplink compression, downlink
compression, participation), seeded by ``np.random.SeedSequence(seed, spawn_key=(1, b, s))``.
A draw of shape ``(R, ...)`` loops over the (few) blocks of the batch and fills the rows of
each block from that block's generator. A block is always drawn whole, even the last,
partial one (its extra rows are discarded), so run ``r`` sees the same numbers whether it is
simulated alone, in a batch of 64 runs, or among 10,000: the results of run ``r`` depend only
on ``(seed, r)``. (The unused rows of a partial block are drawn in small pieces into a scratch
buffer, which gives the same numbers with bounded memory; their *time* is still spent: a batch
of R < 64 runs costs as many random draws as 64 runs.)

With numba installed the same numbers are drawn by compiled kernels (:mod:`boundlab.simulate.kernels`:
SFC64 and numpy's transformations re-implemented, bit for bit, about twice as fast); the stream then
keeps the blocks' generator words itself.

Separate streams make algorithms *coupled*: two algorithms run with the same seed see the same
gradient noise, whatever their compressors draw. This is what makes "identity compressors turn
every algorithm into SGD on the same noise" an exact statement.

The problem instance (data split, rotation, centres) uses ``SeedSequence(seed, spawn_key=(0,))``
(see :func:`problem_generator`).
"""
from __future__ import annotations

import numpy as np

from boundlab.errors import BoundlabError
from boundlab.simulate.kernels import KIND_ADD_UNIFORM, KIND_NORMAL, KIND_UNIFORM, compiled, draws

#: Runs per RNG block. Changing it changes every simulated number: it is part of the format.
BLOCK_SIZE = 64

#: Independent random streams of each block.
STREAMS = ("noise", "up", "down", "participation")


def problem_generator(seed: int) -> np.random.Generator:
    """The generator that builds a problem instance (independent of every run stream)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(0,))))


#: Bytes of the scratch buffer that absorbs the unused rows of a partial block.
DISCARD_BYTES = 1 << 22


def _discard_rows(draw, n_rows: int, tail: tuple[int, ...]) -> None:
    """Advance a generator past ``n_rows`` rows of shape ``tail`` without holding them all.

    numpy's ``random`` and ``standard_normal`` fill an array in C order from one sequential
    stream, so drawing a block in pieces gives the same numbers, and leaves the generator in the
    same state, as drawing it in one call: the memory used is bounded by :data:`DISCARD_BYTES`
    instead of a whole block (the pieces are flat, so even one huge row is never held whole).
    """
    total = n_rows * int(np.prod(tail, dtype=np.int64))
    step = max(1, min(total, DISCARD_BYTES // 8))
    scratch = np.empty(step)
    while total > 0:
        m = min(step, total)
        draw(out=scratch[:m])
        total -= m


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
        self._scratch: dict[tuple[int, ...], np.ndarray] = {}
        # compiled engine: the blocks' SFC64 words, drawn from by boundlab.simulate.kernels (the same numbers)
        self._state = None
        if compiled():
            self._state = np.array([g.bit_generator.state["state"]["state"] for g in self._gens], dtype=np.uint64)
            self._gens = None

    @property
    def compiled(self) -> bool:
        """Are this stream's numbers drawn by compiled kernels (boundlab.simulate.kernels)?"""
        return self._state is not None

    def _draw_compiled(self, kind: int, size: tuple[int, ...], out: np.ndarray | None) -> np.ndarray:
        if out is None:
            out = np.empty(size)
        if out.flags.c_contiguous and out.dtype == np.float64:
            draws().fill(self._state, out.reshape(self.n_runs, -1), BLOCK_SIZE, kind)     # in place (a view)
        else:
            flat = np.empty((self.n_runs, out[0].size))
            draws().fill(self._state, flat, BLOCK_SIZE, kind)
            out[...] = flat.reshape(out.shape)
        return out

    def _fill(self, method: str, size: tuple[int, ...], out: np.ndarray | None) -> np.ndarray:
        size = tuple(size)
        if size[0] != self.n_runs:
            raise ValueError(f"draw of shape {size}: the first axis must be the {self.n_runs} runs")
        if self._state is not None:
            return self._draw_compiled(KIND_NORMAL if method == "standard_normal" else KIND_UNIFORM, size, out)
        if out is None:
            out = np.empty(size)
        for j, gen in enumerate(self._gens):
            lo = j * BLOCK_SIZE
            draw = getattr(gen, method)
            if j < len(self._gens) - 1 or self._last == BLOCK_SIZE:
                draw(out=out[lo:lo + BLOCK_SIZE])
            else:  # the partial last block is drawn whole: its kept rows, then the rest, discarded
                draw(out=out[lo:])
                _discard_rows(draw, BLOCK_SIZE - self._last, size[1:])
        return out

    def scratch(self, shape: tuple[int, ...]) -> np.ndarray:
        """A float64 buffer of ``shape`` owned by this stream and reused from call to call (one
        per shape): for draws that an operator consumes at once (its contents change at the next
        call). Saves allocating, and page-faulting, one large array per iteration."""
        buf = self._scratch.get(shape)
        if buf is None:
            if len(self._scratch) >= 4:               # a few shapes per stream at most; never grows
                self._scratch.clear()
            buf = self._scratch[shape] = np.empty(shape)
        return buf

    def add_random(self, t: np.ndarray) -> np.ndarray:
        """``t += U[0, 1)`` draws of ``t``'s shape, in place: the numbers of ``t += random(t.shape)``
        without an array of ``t``'s size. Each block's draws come in flat pieces of at most
        :data:`DISCARD_BYTES` (its rows are consecutive in C order) into one small buffer."""
        if t.shape[0] != self.n_runs:
            raise ValueError(f"draw of shape {t.shape}: the first axis must be the {self.n_runs} runs")
        if self._state is not None and t.flags.c_contiguous and t.dtype == np.float64:
            draws().fill(self._state, t.reshape(self.n_runs, -1), BLOCK_SIZE, KIND_ADD_UNIFORM)   # t += U[0, 1)
            return t
        if not t.flags.c_contiguous:
            t += self.random(t.shape)
            return t
        tail = t.shape[1:]
        flat = t.reshape(self.n_runs, -1)
        row = flat.shape[1]
        step = max(1, min(BLOCK_SIZE * row, DISCARD_BYTES // 8))
        buf = self.scratch((step,))
        for j, gen in enumerate(self._gens):
            lo = j * BLOCK_SIZE
            hi = min(lo + BLOCK_SIZE, self.n_runs)
            block = flat[lo:hi].reshape(-1)            # a view: the block's rows are contiguous
            for a in range(0, block.shape[0], step):
                piece = block[a:a + step]
                u = buf[:piece.shape[0]]
                gen.random(out=u)
                piece += u
            if hi - lo < BLOCK_SIZE:          # the partial last block is drawn whole
                _discard_rows(gen.random, BLOCK_SIZE - (hi - lo), tail)
        return t

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
        if self._state is not None:
            draws().bernoulli_nonempty(self._state, out, BLOCK_SIZE, float(p))
            return out
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
