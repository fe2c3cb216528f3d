r"""Compressed gradient methods with stale gradients (seed 002, Khirirat, Feyzmahdavian, Johansson; THEORY-SEEDS.md §5).

The paper's algorithms are unsourced; this is the generic model its abstract describes (THEORY-SEEDS.md 5.2 [D]):
compressed gradient descent (or SGD, with gradient noise) whose workers compute their gradients at stale iterates,

.. math::
    x_{t+1}=x_t-\gamma\,\frac1N\sum_{i=1}^N\mathcal C_i\big(g^i(x_{t-\tau_t^i})\big),\qquad 0\le\tau_t^i\le\bar\tau,

with delays ``fixed`` (:math:`\tau_t^i=\bar\tau`), ``iid`` (uniform on :math:`\{0,\dots,\bar\tau\}`, independently per worker
and iteration) or ``markov`` (a lazy walk on :math:`\{0,\dots,\bar\tau\}`: stays w.p. 1 - ``switch``, else moves by one
step up or down with equal probability, reflected at the ends, started at 0), each worker with its own delay (a
parameter server's view). The engine's records read at :math:`x_t` (``grad2_hat``: :math:`\|\nabla f(x_{t-1})\|^2`), and
``staleness2`` is the mean over workers of :math:`\|x_{t-1}-x_{t-1-\tau^i}\|^2` of the last step. The paper's
step sizes are unsourced: give ``gamma`` (``boundlab.simulate.exact_delayed`` gives the exact mean-square edge).
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from boundlab.errors import BoundlabError
from boundlab.simulate.algorithms import ALGORITHMS, Algorithm, State

DELAYS = ("fixed", "iid", "markov")


@ALGORITHMS.register("delayed-cgd", aliases=("stale-cgd",))
class DelayedCompressedGD(Algorithm):
    r"""Compressed gradient descent with stale gradients:
    :math:`x_{t+1}=x_t-\gamma\frac1N\sum_i\mathcal C_i(g^i(x_{t-\tau_t^i}))`, delays ``fixed``, ``iid`` or ``markov``
    up to ``delay`` (see the module docstring); with ``delay = 0`` it is QSGD. The history
    :math:`x_t,\dots,x_{t-\bar\tau}` is a ring buffer (``st.history``), all equal to :math:`x_0` at the start."""

    has_down = False
    step_bound: ClassVar[str | None] = None
    no_step_reason: ClassVar[str] = "seed 002's step sizes are unsourced ('boundlab theory khirirat_step_size')"
    bounds = ("k1_descent", "k1_isotropic", "k1_step_range", "k2_moments", "k3_bits_flat")

    def __init__(self, up: str = "identity", delay: int = 0, delays: str = "fixed", switch: float = 0.5,
                 p: float = 1.0) -> None:
        super().__init__(up=up, p=p)
        if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
            raise BoundlabError(f"algorithm.delay (the largest delay) must be an integer >= 0, got {delay!r}")
        if delays not in DELAYS:
            raise BoundlabError(f"algorithm.delays must be one of {', '.join(DELAYS)}, got {delays!r}")
        if isinstance(switch, bool) or not isinstance(switch, (int, float)) or not 0 <= switch <= 1:
            raise BoundlabError(f"algorithm.switch must be in [0, 1], got {switch!r}")
        self.delay, self.delays, self.switch = delay, delays, float(switch)

    def describe(self):
        return {**super().describe(), "delay": self.delay, "delays": self.delays, "switch": self.switch}

    def constants(self):
        out = super().constants()
        if "omega_up" in out:
            out["omega"] = out["omega_up"]             # K1-K3 speak of the operator's omega
        return out

    def init_state(self, ctx, w0):
        st = self._base_state(ctx, w0)
        st.history = np.tile(w0, (ctx.R, self.delay + 1, 1))      # x_0 = x_{-1} = ... = x_{-delay}
        st.head = 0                                                # history[:, head] = x_t
        st.tau = np.zeros((ctx.R, ctx.N), dtype=int)              # the Markov chain's state
        return st

    def draw_delays(self, st: State, ctx) -> np.ndarray:
        """(R, N) delays of this iteration, drawn from the participation stream (after the participants, if p < 1)."""
        if self.delays == "fixed" or self.delay == 0:
            return np.full((ctx.R, ctx.N), self.delay)
        u = ctx.rng.participation.random((ctx.R, ctx.N))
        if self.delays == "iid":
            return np.minimum((u * (self.delay + 1)).astype(int), self.delay)
        move = u < self.switch                                      # markov: move w.p. switch, up or down
        up = ctx.rng.participation.random((ctx.R, ctx.N)) < 0.5
        step = np.where(move, np.where(up, 1, -1), 0)
        tau = st.tau + step
        tau = np.where(tau < 0, 1, np.where(tau > self.delay, self.delay - 1, tau))   # reflected
        st.tau = np.clip(tau, 0, self.delay)
        return st.tau

    def step(self, st, ctx, gamma, k):
        size = self.delay + 1
        tau = self.draw_delays(st, ctx)
        idx = (st.head - tau) % size                                              # x_{t - tau_t^i}
        stale = np.take_along_axis(st.history, idx[..., None], axis=1)            # (R, N, d)
        g = ctx.gradients(stale)                                                  # g^i(x_{t - tau})
        st.ghat = ctx.aggregate(ctx.compress_up(g, overwrite=True))              # (1/N) sum_i C_i(g^i)
        st.stale, st.x_prev = stale, st.w               # kept for the staleness record (computed at checkpoints only)
        st.w = st.w - gamma * st.ghat                                             # x_{t+1}
        st.head = (st.head + 1) % size
        st.history[:, st.head] = st.w
        st.w_hat = st.w                                     # the engine's records are at x_t (grad2_hat: grad f(x_{t-1}))
        ctx.send_exact_down(st.w)                                                 # broadcast x_{t+1}

    extra_records = ("staleness2",)

    def record_extra(self, st, ctx):
        """``staleness2``: mean over workers of ||x_t - x_{t - tau_t^i}||^2 at the step that led to the checkpoint
        (0 without delay; NaN at k = 0)."""
        if not hasattr(st, "stale"):
            return {"staleness2": np.full(ctx.R, np.nan)}
        gap = st.stale - st.x_prev[:, None, :]
        return {"staleness2": np.einsum("rnd,rnd->r", gap, gap) / ctx.N}


def divergence_onset(tau: int, omega: float, delays: str, start: float, seed: int = 0, runs: int = 64,
                     iterations: int = 300) -> float:
    """The smallest step of the grid ``start`` x 2^(j/8), j = -1..24, at which the typical run diverges: the median
    over ``runs`` runs of ||x_K - x*||^2 / ||x_0 - x*||^2 above 1 + 1e-6 at K = ``iterations`` (f = ||x||^2/2, d = 4,
    no noise, a Bernoulli operator of variance factor ``omega``). The 1e-6 keeps the edge itself, where a step may
    leave every run's distance unchanged up to rounding, on the stable side. inf if none on the grid. With ``start``
    the exact mean-square edge, the grid's first point lies below it: a typical run diverging before the edge
    returns that point, an onset below ``start`` (steps further below would show nothing more: each step has its
    own seed, seed + j + 10, whatever the grid's first j)."""
    from boundlab.simulate import make_algorithm, quadratic, simulate
    problem = quadratic(N=1, d=4, L=1.0, mu=1.0, sigma=0.0, rotate=False, w0=1.0, seed=seed)
    for j in range(-1, 25):
        g = start * 2 ** (j / 8)
        res = simulate(problem, make_algorithm("delayed-cgd", {"up": f"bernoulli:p={1 / (1 + omega)!r}",
                                                               "delay": tau, "delays": delays}),
                       n_runs=runs, n_iter=iterations, gamma=g, seed=seed + j + 10, checkpoints_spec=[iterations],
                       allow_large_step=True, progress=False)
        ratio = res["dist2"][:, -1] / res["dist2"][:, 0]
        if np.median(np.where(np.isfinite(ratio), ratio, np.inf)) > 1 + 1e-6:
            return g
    return float("inf")
