r"""Every algorithm of THEORY.md §2, one class each, its update rule in ``step`` and in its docstring.

Notation (THEORY.md): N workers, model :math:`w_k` on the server, :math:`\widehat w_{k-1}` the
point where the workers compute :math:`g_k^i=g_k^i(\widehat w_{k-1})`, :math:`\widehat g_k` what
the server aggregates, :math:`H_k` the downlink memory, :math:`\Upsilon_k=\|w_k-H_{k-1}\|^2`.

Array layout: runs first. ``state.w`` is ``(R, d)``; ``state.w_hat`` is ``(R, d)`` (one model for
every worker), ``(R, 1, d)`` or ``(R, N, d)`` (a model per worker); worker quantities (gradients,
uplink memories ``h``, errors ``e``) are ``(R, N, d)``. ``state.upsilon`` is ``(R,)`` for the
algorithms with a downlink memory (``None`` otherwise).

Interface for a new algorithm (no engine edit needed): subclass :class:`Algorithm`, declare its
parameters as keyword arguments of ``__init__`` (they become config keys), implement
``init_state(ctx, w0)`` and ``step(state, ctx, gamma, k)``, set ``step_bound`` (the
``boundlab.theory`` name of its largest step size, or ``None``) and ``bounds`` (the results
``boundlab verify`` checks it against), add its own constants to :meth:`Algorithm.constants` if its
results use any, and decorate it with ``@ALGORITHMS.register("name")`` (from a plug-in too:
``boundlab.plugins``). The engine only reads ``state.w``, ``state.w_hat`` and
``state.upsilon``; the :class:`Context` gives stochastic gradients, the compressors (with their
independent per-run, per-worker draws and bit counting) and the aggregation with partial
participation.

Each rule has an exact counterpart, written independently from the same equations, in
:mod:`boundlab.simulate.exact` (``Program.uplink_step`` for the uplinks, ``Program.server_step`` for the
server and downlinks): the exact moments of the state, which the tests compare with these Monte-Carlo
runs. Read the two side by side when changing either.

Uplinks (THEORY.md §2), shared by the algorithms: :func:`uplink_none`, :func:`uplink_plain`,
:func:`uplink_memory`, :func:`uplink_error_feedback`. The downlink error feedback of Dore and
Double-Squeeze is :func:`downlink_error_feedback`.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from types import SimpleNamespace
from typing import ClassVar

import numpy as np

from boundlab.errors import BoundlabError
from boundlab.simulate.compressors import Compressor, Identity, make_compressor
from boundlab.simulate.problems import Problem
from boundlab.simulate.registry import Registry
from boundlab.simulate.rng import BLOCK_SIZE, RunRNG

State = SimpleNamespace


def sq_norm(x: np.ndarray) -> np.ndarray:
    """||x||^2 over the last axis."""
    return np.einsum("...i,...i->...", x, x)


class Context:
    """What an algorithm may use during one batch of R runs.

    ``gradients(x)`` (stochastic, noise stream), ``compress_up`` / ``compress_down`` (their own
    streams, bits counted into ``bits_up`` / ``bits_down``: totals over the N worker links, a
    broadcast counting once per receiving worker), ``aggregate`` (the server's average, with
    partial participation), and ``active`` (the (R, N) participation mask, None when p = 1).
    """

    def __init__(self, problem: Problem, rng: RunRNG, up: Compressor, down: Compressor, p: float) -> None:
        self.problem, self.rng, self.up, self.down, self.p = problem, rng, up, down, p
        self.R, self.N, self.d = rng.noise.n_runs, problem.N, problem.d
        self.active: np.ndarray | None = None
        self.bits_up = np.zeros(self.R)
        self.bits_down = np.zeros(self.R)
        self._exact = Identity()

    def begin_iteration(self) -> None:
        """Draw this round's participants (each worker w.p. p, redrawn if none)."""
        if self.p < 1:
            self.active = self.rng.participation.bernoulli_nonempty(self.N, self.p)

    def gradients(self, x: np.ndarray) -> np.ndarray:
        """g_k^i(x_i), shape (R, N, d); x is (R, d), (R, 1, d) or (R, N, d)."""
        return self.problem.stochastic_gradients(x, self.rng.noise)

    def fused_uplink(self, x: np.ndarray, uplink: str, st: State, alpha_up: float | None) -> np.ndarray | None:
        r""":math:`\widehat g_k` for gradients at ``x`` through ``uplink`` in one compiled kernel
        (:mod:`boundlab.simulate._fused`: the same draws and rule as ``UPLINKS[uplink](gradients(x), ...)``,
        bits counted, memories updated), or None when the engine is numpy or the problem or the operator has no
        kernel (then the caller runs the numpy rule)."""
        if not self.rng.noise.compiled:
            return None
        op = self.up.kernel(self.d) if uplink != "none" else (0, ())
        grads = None if op is None else self.problem.gradient_kernel(x)
        if grads is None:
            return None
        from boundlab.simulate.kernels import UPLINK_CODES, fused
        base, noise, scale = grads
        mem = st.h if uplink == "memory" else st.e if uplink == "error_feedback" else _NO_MEMORY
        if mem.dtype != np.float64 or not mem.flags.c_contiguous:
            return None
        active = _NO_ACTIVE if self.active is None else self.active
        factor = 1.0 if self.active is None else participation_theta(self.p, self.N) / (self.p * self.N)
        ghat = np.empty((self.R, self.d))
        fused().uplink(self.rng.noise._state, self.rng.up._state, BLOCK_SIZE, self.N, base, noise, scale, op[0],
                       np.asarray(op[1], dtype=float), UPLINK_CODES[uplink], mem,
                       0.0 if alpha_up is None else float(alpha_up), float(getattr(st, "ef_up", 1.0)), active,
                       factor, ghat, self.bits_up, _NO_MEMORY, _NO_ACTIVE_BITS)
        return ghat

    @staticmethod
    def _compress(op: Compressor, x: np.ndarray, stream, owned: bool = False) -> tuple[np.ndarray, object]:
        """``op.compress(x, stream)`` (``compress_owned`` if ``owned``), by the fused kernel's operator alone when
        the stream is compiled and the operator has a kernel (the same draws and rule; see
        :func:`boundlab.simulate._fused.uplink`)."""
        spec = op.kernel(x.shape[-1]) if stream.compiled else None
        if spec is None or spec[0] == 0:             # (the identity: nothing to draw, x itself)
            return op.compress_owned(x, stream) if owned else op.compress(x, stream)
        from boundlab.simulate.kernels import NOISE_NONE, UPLINK_CODES, fused
        R, d = x.shape[0], x.shape[-1]
        x3 = np.ascontiguousarray(x, dtype=np.float64).reshape(R, -1, d)
        y, bits = np.empty(x3.shape), np.empty(x3.shape[:2])
        fused().uplink(np.zeros_like(stream._state), stream._state, BLOCK_SIZE, x3.shape[1], x3, NOISE_NONE, 0.0,
                       spec[0], np.asarray(spec[1], dtype=float), UPLINK_CODES["plain"], _NO_MEMORY, 0.0, 1.0,
                       _NO_ACTIVE, 1.0, _NO_ACTIVE_BITS, np.zeros(R), y, bits)
        return y.reshape(x.shape), bits.reshape(x.shape[:-1])

    def compress_up(self, x: np.ndarray, overwrite: bool = False, fanout: np.ndarray | None = None) -> np.ndarray:
        """C_up applied to every worker's message (R, N, d); bits of the active workers counted.
        ``overwrite``: the caller no longer needs ``x`` (the operator may compress it in place).
        ``fanout``: (N,) copies of each worker's message sent (a node's neighbours on a graph; default 1)."""
        y, bits = self._compress(self.up, x, self.rng.up, owned=overwrite)
        bits = np.broadcast_to(np.asarray(bits, dtype=float), x.shape[:-1])
        if fanout is not None:
            bits = bits * fanout
        self.bits_up += (bits if self.active is None else bits * self.active).sum(axis=1)
        return y

    def compress_down(self, x: np.ndarray, receivers: np.ndarray | int | None = None) -> np.ndarray:
        """C_dwn applied to a broadcast (R, d) or to per-group messages (R, G, d).

        ``receivers``: workers receiving each message (default N for (R, d), 1 per message else).
        """
        return self._down(self.down, x, receivers)

    def send_exact_down(self, x: np.ndarray, receivers: np.ndarray | int | None = None) -> np.ndarray:
        """An uncompressed downlink message (32-bit floats), counted like compress_down."""
        return self._down(self._exact, x, receivers)

    def _down(self, op: Compressor, x: np.ndarray, receivers) -> np.ndarray:
        y, bits = self._compress(op, x, self.rng.down)
        if receivers is None:
            receivers = self.N if x.ndim == 2 else 1
        bits = np.broadcast_to(np.asarray(bits, dtype=float), x.shape[:-1]) * receivers
        self.bits_down += bits if x.ndim == 2 else bits.sum(axis=1)
        return y

    def aggregate(self, ghat_i: np.ndarray) -> np.ndarray:
        r""":math:`\widehat g_k=\frac1N\sum_i\widehat g_k^i`, or with partial participation
        :math:`\frac{\theta}{pN}\sum_{i\ \rm active}\widehat g_k^i`, :math:`\theta=1-(1-p)^N`.

        The draw is repeated while nobody is active, so a worker is active with probability
        :math:`p/\theta`, not p: dividing by pN alone (THEORY.md §2's rule) is biased by the factor
        :math:`1/\theta` (x2.44 at p = 0.1, N = 5; THEORY.md 7.8). The factor :math:`\theta` makes the
        aggregate unbiased given the messages (``boundlab verify`` checks it)."""
        if self.active is None:
            return ghat_i.mean(axis=1)
        theta = participation_theta(self.p, self.N)
        return np.einsum("rnd,rn->rd", ghat_i, self.active.astype(float)) * (theta / (self.p * self.N))

    def masked(self, new: np.ndarray, old: np.ndarray) -> np.ndarray:
        """``new`` for the active workers, ``old`` for the others (memories of absent workers stay)."""
        return new if self.active is None else np.where(self.active[..., None], new, old)


_NO_MEMORY = np.zeros((0, 0, 0))
_NO_ACTIVE = np.zeros((0, 0), dtype=bool)
_NO_ACTIVE_BITS = np.zeros((0, 0))


def participation_theta(p: float, N: int) -> float:
    r""":math:`\theta=1-(1-p)^N`, the probability that a round has at least one active worker."""
    return 1.0 - (1.0 - p) ** N


# -- uplinks -------------------------------------------------------------------------------------
def uplink_none(g: np.ndarray, st: State, ctx: Context, alpha_up: float) -> np.ndarray:
    r"""No compression: :math:`\widehat g_k^i=g_k^i` (sent as 32-bit floats)."""
    ctx.bits_up += 32.0 * ctx.d * (ctx.N if ctx.active is None else ctx.active.sum(axis=1))
    return ctx.aggregate(g)


def uplink_plain(g: np.ndarray, st: State, ctx: Context, alpha_up: float) -> np.ndarray:
    r"""Plain: :math:`\widehat g_k^i=\mathcal C_{\rm up}(g_k^i)`."""
    return ctx.aggregate(ctx.compress_up(g, overwrite=True))


def uplink_memory(g: np.ndarray, st: State, ctx: Context, alpha_up: float) -> np.ndarray:
    r"""Memory (Diana-style): :math:`\Delta_k^i=\mathcal C_{\rm up}(g_k^i-h_{k-1}^i)`,
    :math:`\widehat g_k^i=\Delta_k^i+h_{k-1}^i`, :math:`h_k^i=h_{k-1}^i+\alpha_{\rm up}\Delta_k^i`
    (``st.h``, zero at start; absent workers keep theirs)."""
    g -= st.h
    delta = ctx.compress_up(g, overwrite=True)
    ghat_i = delta + st.h
    st.h = ctx.masked(st.h + alpha_up * delta, st.h)
    return ctx.aggregate(ghat_i)


def ef_scale(op: Compressor, d: int) -> float:
    r"""Factor applied to an operator inside error feedback: 1 for a biased (contractive) one,
    :math:`1/(1+\omega)` for an unbiased one.

    Error feedback needs a contraction, :math:`\mathbb E\|\mathcal C(x)-x\|^2\le(1-\delta)\|x\|^2`.
    An unbiased operator with :math:`\omega\ge1` is not one, and the bare rule
    :math:`e_k=v-\mathcal C(v)` then blows up (:math:`\mathbb E\|e_k\|^2\approx\omega\|e_{k-1}\|^2`).
    The standard fix, used here: :math:`\mathcal C/(1+\omega)` has
    :math:`\mathbb E\|\mathcal C(x)/(1+\omega)-x\|^2=\frac{\omega}{1+\omega}\|x\|^2`. For the identity
    the factor is 1, so the reductions to SGD are unchanged.
    """
    return 1.0 / (1.0 + op.omega(d)) if op.unbiased else 1.0


def uplink_error_feedback(g: np.ndarray, st: State, ctx: Context, alpha_up: float) -> np.ndarray:
    r"""Error feedback: :math:`v=g_k^i+e_{k-1}^i`, :math:`\widehat g_k^i=\lambda\,\mathcal C_{\rm up}(v)`,
    :math:`e_k^i=v-\widehat g_k^i` (``st.e``, zero at start; biased operators allowed), with
    :math:`\lambda` = :func:`ef_scale` (1 for biased operators and the identity)."""
    g += st.e
    ghat_i = ctx.compress_up(g)
    if st.ef_up != 1.0:
        ghat_i = ghat_i * st.ef_up
    st.e = ctx.masked(g - ghat_i, st.e)
    return ctx.aggregate(ghat_i)


UPLINKS = {"none": uplink_none, "plain": uplink_plain, "memory": uplink_memory,
           "error_feedback": uplink_error_feedback}


def downlink_error_feedback(ghat: np.ndarray, st: State, ctx: Context) -> np.ndarray:
    r"""Downlink error feedback: :math:`u=\widehat g_k+E_{k-1}`, send
    :math:`c_k=\lambda\,\mathcal C_{\rm dwn}(u)`, :math:`E_k=u-c_k` (``st.E``, zero at start;
    :math:`\lambda` = :func:`ef_scale` of the downlink operator)."""
    u = ghat + st.E
    c = ctx.compress_down(u)
    if st.ef_dwn != 1.0:
        c = c * st.ef_dwn
    st.E = u - c
    return c


def default_alpha_dwn(omega_dwn: float) -> float:
    r"""MCM's default downlink memory rate: :math:`\alpha_{\rm dwn}=\min\big(\frac1{8\omega_{\rm dwn}},
    \frac1{1+\omega_{\rm dwn}}\big)`.

    For :math:`\omega_{\rm dwn}\ge1` (indeed for :math:`\omega_{\rm dwn}\ge1/7`) this is
    :math:`1/(8\omega_{\rm dwn})`, the rate that reproduces the slides' constants (THEORY.md [D])
    and satisfies every reading of Theorem 5's condition. Below 1/7, :math:`1/(8\omega)` would
    exceed :math:`1/(1+\omega)`, the rate minimising the memory's one-step error
    :math:`\mathbb E\|\Omega-\alpha\mathcal C(\Omega)\|^2=((1-\alpha)^2+\alpha^2\omega)\|\Omega\|^2`,
    and tend to infinity as :math:`\omega\to0`; we cap it there. The rule is continuous (both
    pieces are 7/8 at 1/7) and gives :math:`\alpha=1` for the identity, so that :math:`H_k=w_k`
    and MCM is exactly uncompressed.
    """
    if omega_dwn <= 0:
        return 1.0
    return min(1.0 / (8.0 * omega_dwn), 1.0 / (1.0 + omega_dwn))


# -- base class ----------------------------------------------------------------------------------
class Algorithm:
    """Base class. Subclasses set the class attributes and write ``init_state`` and ``step``."""

    name: ClassVar[str] = ""
    #: "none" | "plain" | "memory" | "error_feedback" (instances may override, e.g. MCM's ``uplink``)
    uplink: str = "plain"
    #: does the algorithm compress the downlink (else it broadcasts exact 32-bit floats)?
    has_down: ClassVar[bool] = True
    #: does the server move with the compressed downlink message (THEORY.md §2)?
    degraded: ClassVar[bool] = False
    #: may the downlink operator be biased (error feedback on the downlink)?
    biased_down_ok: ClassVar[bool] = False
    #: boundlab.theory result giving the largest step size, or None
    step_bound: ClassVar[str | None] = "gamma_max"
    #: the boundlab.theory results this algorithm is checked against by ``boundlab verify`` (a test keeps this
    #: list and the suites' checks equal, both ways); () for an algorithm whose theory is order-level only or
    #: that serves only in negative controls
    bounds: ClassVar[tuple[str, ...]] = ()
    #: per-run records of its own, besides the engine's (boundlab.simulate.engine.RECORDS), filled at every
    #: checkpoint by :meth:`record_extra` (e.g. a decentralized algorithm's replica gap)
    extra_records: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, up: "str | Compressor" = "identity", down: "str | Compressor" = "identity",
                 p: float = 1.0, alpha_up: float | None = None) -> None:
        self.up = make_compressor(up, "algorithm.up")
        self.down = make_compressor(down, "algorithm.down")
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 < p <= 1:
            raise BoundlabError(f"algorithm.p (participation probability) must be in (0, 1], got {p!r}")
        self.p = float(p)
        self._alpha_up_given = alpha_up      # setup() resolves the default for each problem
        self.alpha_up: float | None = None
        self.omega_up: float | None = None
        self.omega_dwn: float | None = None

    # -- validation against a problem ----------------------------------------------------------
    def setup(self, problem: Problem) -> None:
        """Check the operators against the dimension, compute omegas and default rates."""
        d = problem.d
        for what, op in (("algorithm.up", self.up), ("algorithm.down", self.down)):
            try:
                op.check_dimension(d)
            except BoundlabError as err:
                raise BoundlabError(f"{what}: {err}") from None
        if not self.up.unbiased and self.uplink != "error_feedback":
            raise BoundlabError(f"algorithm.up: '{self.up.spec}' is biased (no omega); '{self.name}' needs an "
                                "unbiased operator (biased ones only with error feedback: ecq-sgd, double-squeeze)")
        if not self.down.unbiased and not self.biased_down_ok:
            raise BoundlabError(f"algorithm.down: '{self.down.spec}' is biased (no omega); '{self.name}' needs an "
                                "unbiased operator (a biased one only with double-squeeze)")
        self.omega_up = self.up.omega(d) if self.up.unbiased else None
        self.omega_dwn = self.down.omega(d) if self.down.unbiased else None
        given = self._alpha_up_given
        if self.uplink == "memory":
            top = 1.0 / (1.0 + self.omega_up)
            if given is None:
                self.alpha_up = 0.5 * top   # 1/(2(1+omega_up)): strictly inside the allowed range
            elif isinstance(given, bool) or not isinstance(given, (int, float)) or not 0 < given <= top:
                raise BoundlabError(f"algorithm.alpha_up must be in (0, 1/(1+omega_up)] = (0, {top:.6g}], "
                                    f"got {given!r}")
            else:
                self.alpha_up = float(given)
        elif given is not None:
            raise BoundlabError(f"algorithm.alpha_up: '{self.name}' has no uplink memory "
                                f"(uplink '{self.uplink}')")

    def step_bound_name(self) -> str | None:
        """The ``boundlab.theory`` result giving this instance's largest step (``step_bound`` unless a
        parameter set by hand changes which result applies, e.g. MCM's ``alpha_dwn``)."""
        return self.step_bound

    def constants(self) -> dict[str, float]:
        """The algorithm's constants, named as the theory's symbols (after :meth:`setup`): the omegas
        (0 for a link that is not compressed; absent for a biased operator, which has none) and the
        memory rates. Subclasses add their own (MCM: ``alpha_dwn`` and ``C``); see
        :mod:`boundlab.simulate.constants`."""
        out: dict[str, float] = {}
        omega_up = 0.0 if self.uplink == "none" else self.omega_up
        omega_dwn = self.omega_dwn if self.has_down else 0.0
        for name, v in (("omega_up", omega_up), ("omega_dwn", omega_dwn)):
            if v is not None:
                out[name] = float(v)
        if self.uplink == "memory":
            out["alpha_up"] = self.alpha_up
        return out

    def gamma_bound(self, problem: Problem) -> float | None:
        """The theory's largest step size for this algorithm on ``problem`` (None if none applies:
        no step-bound result, a constant it needs is undefined, or it is not a positive number)."""
        name = self.step_bound_name()
        if name is None:
            return None
        from boundlab.simulate.constants import problem_values
        from boundlab.theory import get
        result = get(name)
        known = {**problem_values(problem), **self.constants()}
        needed = result.inputs()
        if any(n not in known for n in needed):
            return None
        value = float(result.evaluate(**{n: known[n] for n in needed}).value)
        return value if math.isfinite(value) and value > 0 else None

    def describe(self) -> dict:
        """Resolved parameters, for the metadata."""
        out = {"name": self.name, "uplink": self.uplink, "degraded": self.degraded, "p": self.p,
               "up": self.up.spec if self.uplink != "none" else None,
               "down": self.down.spec if self.has_down else None,
               "omega_up": self.omega_up if self.uplink != "none" else 0.0,
               "omega_dwn": self.omega_dwn if self.has_down else 0.0, "step_bound": self.step_bound_name(),
               "bounds": list(self.bounds)}
        if self.uplink == "memory":
            out["alpha_up"] = self.alpha_up
        return out

    def record_extra(self, st: State, ctx: Context) -> dict[str, "np.ndarray | Callable[[], np.ndarray]"]:
        """The values of ``extra_records`` at a checkpoint, (R,) each (called after the step, and at k = 0); a value
        may be a function of no argument, called only when its record is kept (a check that records one of them
        every iteration does not pay for the others)."""
        return {}

    # -- to implement ----------------------------------------------------------------------------
    def init_state(self, ctx: Context, w0: np.ndarray) -> State:
        """Initial state for R runs from w0 (d,)."""
        raise NotImplementedError

    def step(self, st: State, ctx: Context, gamma: float, k: int) -> None:
        """Iteration k (1-based): from state k-1 to state k, in place."""
        raise NotImplementedError

    # -- helpers ---------------------------------------------------------------------------------
    def _base_state(self, ctx: Context, w0: np.ndarray) -> State:
        w = np.tile(w0, (ctx.R, 1))
        st = State(w=w, w_hat=w, upsilon=None)
        if self.uplink == "memory":
            st.h = np.zeros((ctx.R, ctx.N, ctx.d))
        elif self.uplink == "error_feedback":
            st.e = np.zeros((ctx.R, ctx.N, ctx.d))
            st.ef_up = ef_scale(self.up, ctx.d)
        return st

    def send_up(self, g: np.ndarray, st: State, ctx: Context) -> np.ndarray:
        r""":math:`\widehat g_k` from the workers' stochastic gradients ``g`` (R, N, d) through this algorithm's
        uplink (kept as ``st.ghat`` for the records): the rule :data:`UPLINKS` ``[self.uplink]``."""
        st.ghat = UPLINKS[self.uplink](g, st, ctx, self.alpha_up)
        return st.ghat

    def send_up_at(self, x: np.ndarray, st: State, ctx: Context) -> np.ndarray:
        r""":math:`\widehat g_k` from stochastic gradients at ``x`` (:math:`g_k^i(x)`): :meth:`send_up` of
        ``ctx.gradients(x)``, run as one compiled kernel when there is one (:meth:`Context.fused_uplink`:
        the same draws and rule, no (R, N, d) temporary)."""
        ghat = ctx.fused_uplink(x, self.uplink, st, self.alpha_up)
        if ghat is None:
            return self.send_up(ctx.gradients(x), st, ctx)
        st.ghat = ghat
        return ghat


ALGORITHMS: Registry[Algorithm] = Registry("algorithm")


def make_algorithm(name: str, params: dict | None = None) -> Algorithm:
    """An algorithm from its registered name and its parameters (``up``, ``down``, ``p``...)."""
    return ALGORITHMS.create(name, dict(params or {}), "algorithm")


def _check_uplink(uplink: str) -> str:
    if uplink not in ("plain", "memory"):
        raise BoundlabError(f"algorithm.uplink must be 'plain' or 'memory', got {uplink!r}")
    return uplink


# -- no downlink compression ---------------------------------------------------------------------
class _Centralised(Algorithm):
    r"""Shared step of SGD, QSGD, ECQ-SGD and Diana: :math:`w_k=w_{k-1}-\gamma\widehat g_k`,
    gradients at :math:`w_{k-1}`, the model broadcast uncompressed."""

    has_down = False
    step_bound = "gamma_up"

    def init_state(self, ctx, w0):
        return self._base_state(ctx, w0)

    def step(self, st, ctx, gamma, k):
        ghat = self.send_up_at(st.w, st, ctx)         # ghat_k from g_k^i(w_{k-1})
        st.w -= gamma * ghat                          # w_k = w_{k-1} - gamma ghat_k
        ctx.send_exact_down(st.w)                     # broadcast w_k (32-bit floats), for the bit count


@ALGORITHMS.register("sgd")
class SGD(_Centralised):
    r"""Distributed SGD: :math:`w_k=w_{k-1}-\frac{\gamma}{N}\sum_ig_k^i(w_{k-1})`, no compression.
    Step bound: ``gamma_up`` with :math:`\omega_{\rm up}=0`, i.e. :math:`1/(2L)`."""

    bounds = ("uplink_second_moment",)

    uplink = "none"

    def __init__(self, p: float = 1.0) -> None:
        super().__init__(p=p)


@ALGORITHMS.register("qsgd")
class QSGD(_Centralised):
    r"""QSGD: :math:`w_k=w_{k-1}-\frac{\gamma}{N}\sum_i\mathcal C_{\rm up}(g_k^i(w_{k-1}))`.
    Step bound ``gamma_up`` :math:`=(2L(1+\omega_{\rm up}/N))^{-1}`."""

    bounds = ("uplink_second_moment",)

    uplink = "plain"

    def __init__(self, up: str = "identity", p: float = 1.0) -> None:
        super().__init__(up=up, p=p)


@ALGORITHMS.register("ecq-sgd", aliases=("ecqsgd", "ec-sgd"))
class ECQSGD(_Centralised):
    r"""ECQ-SGD (error feedback): :math:`v=g_k^i+e_{k-1}^i`, :math:`\widehat g_k^i=\mathcal C_{\rm up}(v)`,
    :math:`e_k^i=v-\widehat g_k^i`, :math:`w_k=w_{k-1}-\gamma\widehat g_k`. Biased operators
    allowed (then no step bound: give gamma)."""

    uplink = "error_feedback"

    def __init__(self, up: str = "identity", p: float = 1.0) -> None:
        super().__init__(up=up, p=p)


@ALGORITHMS.register("diana")
class Diana(_Centralised):
    r"""Diana: uplink memory :math:`\Delta_k^i=\mathcal C_{\rm up}(g_k^i-h_{k-1}^i)`,
    :math:`\widehat g_k=\frac1N\sum_i(\Delta_k^i+h_{k-1}^i)`,
    :math:`h_k^i=h_{k-1}^i+\alpha_{\rm up}\Delta_k^i`, :math:`w_k=w_{k-1}-\gamma\widehat g_k`.
    Default :math:`\alpha_{\rm up}=1/(2(1+\omega_{\rm up}))`."""

    uplink = "memory"

    def __init__(self, up: str = "identity", p: float = 1.0, alpha_up: float | None = None) -> None:
        super().__init__(up=up, p=p, alpha_up=alpha_up)


# -- degraded: the server moves with the compressed downlink message ------------------------------
class _Degraded(Algorithm):
    """Shared state of the degraded algorithms: one model, ``w_hat is w``."""

    degraded = True
    step_bound = "gamma_max_artemis_dore"

    def init_state(self, ctx, w0):
        st = self._base_state(ctx, w0)
        st.E = np.zeros((ctx.R, ctx.d))
        st.ef_dwn = ef_scale(self.down, ctx.d)
        return st


@ALGORITHMS.register("artemis")
class Artemis(_Degraded):
    r"""Artemis: Diana's uplink memory, then the server broadcasts :math:`\mathcal C_{\rm dwn}(\widehat g_k)`
    and everyone (server included) applies it: :math:`w_k=w_{k-1}-\gamma\,\mathcal C_{\rm dwn}(\widehat g_k)`.
    With :math:`\omega_{\rm dwn}=0` this is Diana. Step bound ``gamma_max_artemis_dore``."""

    bounds = ("limit_variance_artemis_dore",)

    uplink = "memory"

    def __init__(self, up: str = "identity", down: str = "identity", p: float = 1.0,
                 alpha_up: float | None = None) -> None:
        super().__init__(up=up, down=down, p=p, alpha_up=alpha_up)

    def step(self, st, ctx, gamma, k):
        ghat = self.send_up_at(st.w, st, ctx)         # ghat_k from g_k^i(w_{k-1}) (uplink memory)
        c = ctx.compress_down(ghat)                   # C_dwn(ghat_k)
        st.w -= gamma * c                             # w_k = w_{k-1} - gamma C_dwn(ghat_k)


@ALGORITHMS.register("dore")
class Dore(_Degraded):
    r"""Dore: Diana's uplink memory, downlink error feedback :math:`u=\widehat g_k+E_{k-1}`,
    :math:`c_k=\lambda\,\mathcal C_{\rm dwn}(u)`, :math:`E_k=u-c_k`, :math:`w_k=w_{k-1}-\gamma c_k`, with
    :math:`\lambda=1/(1+\omega_{\rm dwn})` (:func:`ef_scale`: THEORY.md's literal form, :math:`\lambda=1`,
    diverges for :math:`\omega_{\rm dwn}\ge1`). Step bound ``gamma_max_artemis_dore``."""

    uplink = "memory"

    def __init__(self, up: str = "identity", down: str = "identity", p: float = 1.0,
                 alpha_up: float | None = None) -> None:
        super().__init__(up=up, down=down, p=p, alpha_up=alpha_up)

    def step(self, st, ctx, gamma, k):
        ghat = self.send_up_at(st.w, st, ctx)
        c = downlink_error_feedback(ghat, st, ctx)    # c_k = C_dwn(ghat_k + E_{k-1}), E_k
        st.w -= gamma * c                             # w_k = w_{k-1} - gamma c_k


@ALGORITHMS.register("double-squeeze", aliases=("doublesqueeze", "dist-ef-sgd"))
class DoubleSqueeze(_Degraded):
    r"""Double-Squeeze (= Dist-EF-SGD): uplink error feedback
    :math:`\widehat g_k^i=\lambda_{\rm up}\mathcal C_{\rm up}(g_k^i+e_{k-1}^i)`, downlink error feedback
    :math:`c_k=\lambda_{\rm dwn}\mathcal C_{\rm dwn}(\widehat g_k+E_{k-1})`, :math:`w_k=w_{k-1}-\gamma c_k`, with
    :math:`\lambda=1/(1+\omega)` for an unbiased operator and 1 for a biased one (:func:`ef_scale`).
    Biased operators allowed both ways (then no step bound: give gamma)."""

    uplink = "error_feedback"
    biased_down_ok = True

    def __init__(self, up: str = "identity", down: str = "identity", p: float = 1.0) -> None:
        super().__init__(up=up, down=down, p=p)

    def step(self, st, ctx, gamma, k):
        ghat = self.send_up_at(st.w, st, ctx)
        c = downlink_error_feedback(ghat, st, ctx)
        st.w -= gamma * c


# -- non-degraded ---------------------------------------------------------------------------------
@ALGORITHMS.register("ghost")
class Ghost(Algorithm):
    r"""Ghost (Definition 1; not implementable, fine in simulation). Gradients at
    :math:`\widehat w_{k-1}`; :math:`w_k=w_{k-1}-\gamma\widehat g_k` and
    :math:`\widehat w_k=w_{k-1}-\gamma\,\mathcal C_{\rm dwn}(\widehat g_k)`, so
    :math:`\mathbb E[\widehat w_k\mid w_{k-1},\widehat g_k]=w_k`. Plain uplink.
    Step bound: Theorem 3's :math:`\gamma L(1+\omega_{\rm up}/N)\le1/2`, i.e. ``gamma_up``."""

    bounds = ("prop1", "thm3")

    uplink = "plain"
    step_bound = "gamma_up"

    def __init__(self, up: str = "identity", down: str = "identity", p: float = 1.0) -> None:
        super().__init__(up=up, down=down, p=p)

    def init_state(self, ctx, w0):
        st = self._base_state(ctx, w0)
        st.w_hat = st.w.copy()                        # w_hat_0 = w_0
        return st

    def step(self, st, ctx, gamma, k):
        ghat = self.send_up_at(st.w_hat, st, ctx)     # ghat_k from g_k^i(w_hat_{k-1})
        c = ctx.compress_down(ghat)                   # C_dwn(ghat_k)
        st.w_hat = st.w - gamma * c                   # w_hat_k = w_{k-1} - gamma C_dwn(ghat_k)
        st.w -= gamma * ghat                          # w_k = w_{k-1} - gamma ghat_k


@ALGORITHMS.register("update-compression")
class UpdateCompression(Algorithm):
    r"""First attempt "update compression" (non-degraded): :math:`w_k=w_{k-1}-\gamma\widehat g_k`,
    :math:`\widehat w_k=\widehat w_{k-1}-\gamma\,\mathcal C_{\rm dwn}(\widehat g_k)`, gradients at
    :math:`\widehat w_{k-1}`. No theorem: the default step is MCM's ``gamma_max`` (a convention)."""

    uplink = "plain"

    def __init__(self, up: str = "identity", down: str = "identity", p: float = 1.0) -> None:
        super().__init__(up=up, down=down, p=p)

    def init_state(self, ctx, w0):
        st = self._base_state(ctx, w0)
        st.w_hat = st.w.copy()
        return st

    def step(self, st, ctx, gamma, k):
        ghat = self.send_up_at(st.w_hat, st, ctx)     # ghat_k from g_k^i(w_hat_{k-1})
        c = ctx.compress_down(ghat)
        st.w -= gamma * ghat                          # w_k = w_{k-1} - gamma ghat_k
        st.w_hat = st.w_hat - gamma * c               # w_hat_k = w_hat_{k-1} - gamma C_dwn(ghat_k)


@ALGORITHMS.register("mcm")
class MCM(Algorithm):
    r"""MCM (eq. 3 of the paper, THEORY.md §2). With :math:`H_0=\widehat w_0=w_0`:

    1. every worker computes :math:`g_k^i=g_k^i(\widehat w_{k-1})` and sends :math:`\widehat g_k^i`
       (``uplink = "plain"``: :math:`\mathcal C_{\rm up}(g_k^i)`, the theorems' setting;
       ``"memory"``: Diana-style, for heterogeneous workers);
    2. server: :math:`w_k=w_{k-1}-\gamma\widehat g_k` (never compressed);
    3. server: :math:`\Omega_k=w_k-H_{k-1}`, :math:`\Upsilon_k=\|\Omega_k\|^2`, broadcasts
       :math:`c_k=\mathcal C_{\rm dwn}(\Omega_k)`;
    4. everyone: :math:`\widehat w_k=H_{k-1}+c_k`, :math:`H_k=H_{k-1}+\alpha_{\rm dwn}c_k`.

    :math:`\mathbb E[\widehat w_k\mid w_k,H_{k-1}]=w_k`. Default :math:`\alpha_{\rm dwn}`: see
    :func:`default_alpha_dwn`. Step bound ``gamma_max`` (Theorems 6-7).
    """

    bounds = ("thm5", "thm6", "thm6_averaged", "thm6_tuned", "thm7", "thm7_linear", "thm7_averaged",
              "thm7_averaged_derived", "thm9", "thm9_alpha", "mcm_local_gap", "mcm_unbiased_local",
              "uplink_second_moment", "memory_step", "distance_identity", "one_over_C", "limit_variance_mcm")

    uplink = "plain"
    #: H_0 (None: w_0); the model-compression first attempt sets it to 0
    _H0_zero: ClassVar[bool] = False
    #: alpha_dwn fixed by the class (the first attempts): their step is gamma_max by convention
    _alpha_by_class: ClassVar[bool] = False

    def __init__(self, up: str = "identity", down: str = "identity", p: float = 1.0, uplink: str = "plain",
                 alpha_up: float | None = None, alpha_dwn: float | None = None, memory_offset: float = 0.0) -> None:
        super().__init__(up=up, down=down, p=p, alpha_up=alpha_up)
        self.uplink = _check_uplink(uplink)
        self._alpha_dwn_given = alpha_dwn
        self.alpha_dwn: float | None = None
        if isinstance(memory_offset, bool) or not isinstance(memory_offset, (int, float)) or not memory_offset >= 0 \
                or not np.isfinite(memory_offset):
            raise BoundlabError(f"algorithm.memory_offset must be a finite number >= 0, got {memory_offset!r}")
        self.memory_offset = float(memory_offset)

    def setup(self, problem):
        super().setup(problem)
        given = self._alpha_dwn_given
        if given is None:
            self.alpha_dwn = default_alpha_dwn(self.omega_dwn)
        elif isinstance(given, bool) or not isinstance(given, (int, float)) or not 0 <= given <= 1:
            raise BoundlabError(f"algorithm.alpha_dwn must be in [0, 1], got {given!r}")
        else:
            self.alpha_dwn = float(given)

    def step_bound_name(self):
        """``gamma_max`` at the default alpha_dwn; ``gamma_max_alpha`` (Theorem 5's derivation at that alpha)
        when alpha_dwn is set by hand."""
        if self._alpha_dwn_given is not None and not self._alpha_by_class:
            return "gamma_max_alpha"
        return self.step_bound

    def constants(self):
        out = {**super().constants(), "C": float(getattr(self, "G", 1))}   # C: the number of downlink memories
        if self.alpha_dwn:   # (model compression's alpha_dwn = 0 is outside the symbol's range)
            out["alpha_dwn"] = self.alpha_dwn
        return out

    def describe(self):
        out = {**super().describe(), "alpha_dwn": self.alpha_dwn}
        if self.memory_offset:
            out["memory_offset"] = self.memory_offset
        return out

    def init_state(self, ctx, w0):
        st = self._base_state(ctx, w0)
        st.H = np.zeros_like(st.w) if self._H0_zero else st.w.copy()      # H_0 = w_0 (or 0)
        st.w_hat = st.w.copy()                                             # w_hat_0 = w_0
        st.upsilon = sq_norm(st.w - st.H)                                  # Upsilon_0
        if self.memory_offset:
            # Start with Upsilon_0 = r^2 > 0, consistently with the recursion: a memory H_{-1} = w_0 + r u
            # (u = (1, ..., 1)/sqrt d), then one downlink round: Omega_0 = w_0 - H_{-1}, c_0 = C_dwn(Omega_0),
            # w_hat_0 = H_{-1} + c_0, H_0 = H_{-1} + alpha_dwn c_0.
            H_prev = st.w + self.memory_offset / np.sqrt(ctx.d)
            omega = st.w - H_prev
            st.upsilon = sq_norm(omega)
            c = ctx.compress_down(omega)
            st.w_hat = H_prev + c
            st.H = H_prev + self.alpha_dwn * c
        return st

    def step(self, st, ctx, gamma, k):
        ghat = self.send_up_at(st.w_hat, st, ctx)     # 1. ghat_k from g_k^i(w_hat_{k-1})
        st.w -= gamma * ghat                          # 2. w_k = w_{k-1} - gamma ghat_k
        omega = st.w - st.H                           # 3. Omega_k = w_k - H_{k-1}
        st.upsilon = sq_norm(omega)                   #    Upsilon_k = ||Omega_k||^2
        c = ctx.compress_down(omega)                  #    c_k = C_dwn(Omega_k)
        np.add(st.H, c, out=st.w_hat)                 # 4. w_hat_k = H_{k-1} + c_k (in place: w_hat is MCM's own)
        st.omega, st.w_hat_g = omega, st.w_hat        #    (kept for the records)
        if self.alpha_dwn:
            c *= self.alpha_dwn
            st.H += c                                 #    H_k = H_{k-1} + alpha_dwn c_k


@ALGORITHMS.register("model-compression")
class ModelCompression(MCM):
    r"""First attempt "model compression": :math:`\widehat w_k=\mathcal C_{\rm dwn}(w_k)`, i.e. MCM
    with :math:`\alpha_{\rm dwn}=0` and :math:`H\equiv0` (:math:`\Upsilon_k=\|w_k\|^2`)."""

    bounds = ()   # a first attempt: only in negative controls

    _H0_zero = True
    _alpha_by_class = True

    def __init__(self, up: str = "identity", down: str = "identity", p: float = 1.0) -> None:
        super().__init__(up=up, down=down, p=p, alpha_dwn=0.0)


@ALGORITHMS.register("model-difference-compression")
class ModelDifferenceCompression(MCM):
    r"""First attempt "model-difference compression": MCM with :math:`\alpha_{\rm dwn}=1`
    (:math:`H_k=\widehat w_k`). The slide's stray :math:`-\gamma` is [S?]; this is the consistent form."""

    bounds = ()

    _alpha_by_class = True

    def __init__(self, up: str = "identity", down: str = "identity", p: float = 1.0) -> None:
        super().__init__(up=up, down=down, p=p, alpha_dwn=1.0)


@ALGORITHMS.register("rand-mcm-g", aliases=("randmcmg",))
class RandMCMG(MCM):
    r"""Rand-MCM-G: workers in G contiguous groups (worker i in group :math:`\lfloor iG/N\rfloor`);
    group g has memory :math:`H^g` and its own draw. Steps 3-4 of MCM become, per group,
    :math:`\Omega_k^g=w_k-H_{k-1}^g`, :math:`c_k^g=\mathcal C_{{\rm dwn},g}(\Omega_k^g)`,
    :math:`\widehat w_k^g=H_{k-1}^g+c_k^g`, :math:`H_k^g=H_{k-1}^g+\alpha_{\rm dwn}c_k^g`; worker i
    computes its gradient at :math:`\widehat w_{k-1}^{g(i)}`.
    :math:`\Upsilon_k=\frac1N\sum_i\|w_k-H_{k-1}^{g(i)}\|^2`. G = 1 is MCM, G = N is Rand-MCM.
    """

    bounds = ("thm7", "thm9", "thm9_alpha", "one_over_C", "memory_step", "distance_identity")

    def __init__(self, up: str = "identity", down: str = "identity", p: float = 1.0, uplink: str = "plain",
                 alpha_up: float | None = None, alpha_dwn: float | None = None, G: int = 1) -> None:
        super().__init__(up=up, down=down, p=p, uplink=uplink, alpha_up=alpha_up, alpha_dwn=alpha_dwn)
        self.G = G

    def setup(self, problem):
        super().setup(problem)
        if self.memory_offset:
            raise BoundlabError(f"algorithm.memory_offset: only MCM (one memory) supports it, not '{self.name}'")
        G = self.G
        if isinstance(G, bool) or not isinstance(G, int) or not 1 <= G <= problem.N:
            raise BoundlabError(f"algorithm.G (number of groups) must be an integer in [1, N={problem.N}], got {G!r}")
        self.group_of = np.arange(problem.N) * G // problem.N
        self.group_sizes = np.bincount(self.group_of, minlength=G)
        self.memory_weights = self.group_sizes / problem.N    # n_g / N: weights of per-group records

    def describe(self):
        return {**super().describe(), "G": self.G}

    def init_state(self, ctx, w0):
        st = self._base_state(ctx, w0)
        st.H = np.tile(w0, (ctx.R, self.G, 1))                             # H_0^g = w_0
        st.w_hat = st.H.copy() if self.G in (1, ctx.N) else st.H[:, self.group_of]
        st.upsilon = np.zeros(ctx.R)
        return st

    def step(self, st, ctx, gamma, k):
        ghat = self.send_up_at(st.w_hat, st, ctx)     # ghat_k from g_k^i(w_hat^{g(i)}_{k-1})
        st.w -= gamma * ghat                          # w_k = w_{k-1} - gamma ghat_k
        omega = st.w[:, None, :] - st.H               # Omega_k^g = w_k - H_{k-1}^g   (R, G, d)
        st.upsilon = np.einsum("rg,g->r", sq_norm(omega), self.group_sizes / ctx.N)
        c = ctx.compress_down(omega, receivers=self.group_sizes)   # independent draw per group
        w_hat_g = st.H + c                            # w_hat_k^g = H_{k-1}^g + c_k^g
        st.omega, st.w_hat_g = omega, w_hat_g         # (kept for the records)
        if self.alpha_dwn:
            st.H += self.alpha_dwn * c                # H_k^g = H_{k-1}^g + alpha_dwn c_k^g
        st.w_hat = w_hat_g if self.G in (1, ctx.N) else w_hat_g[:, self.group_of]


@ALGORITHMS.register("rand-mcm", aliases=("randmcm",))
class RandMCM(RandMCMG):
    r"""Rand-MCM: each worker i has its own memory :math:`H^i` and an independent
    :math:`\mathcal C_{{\rm dwn},i}`: :math:`\widehat w_k^i=H_{k-1}^i+\mathcal C_{{\rm dwn},i}(w_k-H_{k-1}^i)`,
    :math:`H_k^i=H_{k-1}^i+\alpha_{\rm dwn}\mathcal C_{{\rm dwn},i}(w_k-H_{k-1}^i)`. (Rand-MCM-G with G = N.)"""

    bounds = ("thm5", "thm6_averaged", "thm9", "thm9_alpha", "one_over_C")

    def __init__(self, up: str = "identity", down: str = "identity", p: float = 1.0, uplink: str = "plain",
                 alpha_up: float | None = None, alpha_dwn: float | None = None) -> None:
        super().__init__(up=up, down=down, p=p, uplink=uplink, alpha_up=alpha_up, alpha_dwn=alpha_dwn, G=1)

    def setup(self, problem):
        self.G = problem.N
        super().setup(problem)


@ALGORITHMS.register("rand-mcm-reset", aliases=("randmcm-reset",))
class RandMCMReset(RandMCM):
    r"""Rand-MCM with one memory and periodic reset (slides' variant; our formal reading).

    Between resets this is Rand-MCM: worker i updates its copy :math:`H^i` with its own
    :math:`c_k^i`. The server, which knows every :math:`c_k^i`, keeps the single averaged memory
    :math:`\bar H_k=\frac1N\sum_iH_k^i`; every ``reset_period`` iterations it broadcasts
    :math:`\bar H_k` uncompressed (32-bit floats, counted in ``bits_down``) and every worker sets
    :math:`H_k^i=\bar H_k`. Default period :math:`\lceil4\sqrt d\rceil`.
    """

    bounds = ("thm7",)

    def __init__(self, up: str = "identity", down: str = "identity", p: float = 1.0, uplink: str = "plain",
                 alpha_up: float | None = None, alpha_dwn: float | None = None,
                 reset_period: int | None = None) -> None:
        super().__init__(up=up, down=down, p=p, uplink=uplink, alpha_up=alpha_up, alpha_dwn=alpha_dwn)
        self._reset_period_given = reset_period
        self.reset_period: int | None = None

    def setup(self, problem):
        super().setup(problem)
        T = self._reset_period_given
        if T is None:
            T = int(np.ceil(4 * np.sqrt(problem.d)))
        if isinstance(T, bool) or not isinstance(T, int) or T < 1:
            raise BoundlabError(f"algorithm.reset_period must be an integer >= 1, got {T!r}")
        self.reset_period = T

    def describe(self):
        return {**super().describe(), "reset_period": self.reset_period}

    def step(self, st, ctx, gamma, k):
        super().step(st, ctx, gamma, k)               # Rand-MCM step k
        if k % self.reset_period == 0:                # reset: H_k^i = (1/N) sum_j H_k^j
            H_bar = ctx.send_exact_down(st.H.mean(axis=1))
            st.H[:] = H_bar[:, None, :]


# The decentralized and the stale-gradient algorithms (their own modules, the same engine and registry).
from boundlab.simulate import decentralized, delayed  # noqa: E402,F401
