r"""Exact moments of compressed gradient descent with stale gradients on quadratics (THEORY-SEEDS.md 5.3, K2).

Homogeneous quadratic :math:`f=\frac12(x-x^*)^\top A(x-x^*)+f^*`, Gaussian gradient noise of covariance :math:`s^2I` per
worker (``boundlab.simulate.quadratic``: :math:`s^2=\sigma^2/(bd)`), a random-mask operator (:math:`\Gamma`). The state
:math:`y_t=(x_t,\dots,x_{t-\bar\tau})-x^*` obeys, for a delay :math:`\tau` used by every worker,
:math:`y_{t+1}=F_\tau y_t+e_t` with :math:`F_\tau` = first block row :math:`[I,0,\dots,-\gamma A\ (\text{block }\tau),\dots]`
and a shift below, and :math:`e_t` in the first block, of covariance
:math:`\gamma^2\big(\frac{s^2}NI+\frac1N\Gamma\odot(AM_{\tau\tau}A+s^2I)\big)`:

.. math:: M_{t+1}=F_\tau M_tF_\tau^\top+{\rm blk}_{00}\Big(\gamma^2\big(\tfrac{s^2}NI+\tfrac1N\Gamma\odot(AM_{\tau\tau}A+s^2I)\big)\Big).

Random delays (one worker): i.i.d. -- the mixture of the maps; Markov -- one (m, M) per mode, propagated through the
transition matrix (THEORY-SEEDS.md 3.3). :func:`stability_edge` is the mean-square edge gamma*(tau, omega) of the
noiseless map, where its spectral radius reaches 1.
"""
from __future__ import annotations

import math

import numpy as np

from boundlab.errors import BoundlabError
from boundlab.simulate.blas import pinned
from boundlab.simulate.spectral import bracket_crossing, symmetric_radius


def markov_transition(delay: int, switch: float) -> np.ndarray:
    """P[s, s']: the reflected lazy walk of ``boundlab.simulate.delayed`` on {0..delay}."""
    n = delay + 1
    P = np.zeros((n, n))
    for s in range(n):
        P[s, s] += 1 - switch
        for t in (s + 1, s - 1):
            t = 1 if t < 0 else (delay - 1 if t > delay else t)
            P[s, min(max(t, 0), delay)] += switch / 2
    return P


def _mode_matrices(A: np.ndarray, gamma: float, delay: int, tau: int) -> np.ndarray:
    d = A.shape[0]
    D = (delay + 1) * d
    F = np.zeros((D, D))
    F[:d, :d] = np.eye(d)
    F[:d, tau * d:(tau + 1) * d] -= gamma * A
    for j in range(1, delay + 1):
        F[j * d:(j + 1) * d, (j - 1) * d:j * d] = np.eye(d)
    return F


@pinned  # BLAS on one thread: the same bits whatever the machine's cores (boundlab.simulate.blas)
def moments(problem, algorithm, gamma: float, n_iter: int) -> dict[str, np.ndarray]:
    """Exact ``excess_loss`` (E f(x_t) - f*) and ``dist2`` (E||x_t - x*||^2), t = 0..n_iter, of ``delayed-cgd``."""
    from boundlab.simulate.problems import QuadraticProblem
    if algorithm.name != "delayed-cgd":
        raise BoundlabError(f"no exact stale-gradient recursion for '{algorithm.name}'")
    if not isinstance(problem, QuadraticProblem) or problem.noise != "gaussian" or not problem.homogeneous:
        raise BoundlabError("exact stale-gradient moments need a homogeneous quadratic with Gaussian noise")
    algorithm.setup(problem)
    N, d, delay = problem.N, problem.d, algorithm.delay
    if algorithm.delays != "fixed" and delay and N != 1:
        raise BoundlabError("exact moments with random delays: one worker only (problem.N = 1)")
    Gamma = algorithm.up.mask_covariance(d)
    if Gamma is None:
        raise BoundlabError(f"'{algorithm.up.spec}' is not a random mask: no exact recursion")
    A = np.diag(problem.A) if problem.A.ndim == 1 else problem.A
    s2 = problem.sigma**2 / (problem.b * d) if problem.sigma else 0.0
    modes = range(delay + 1)
    if algorithm.delays == "fixed" or delay == 0:
        weights, P = {delay: 1.0}, None
    elif algorithm.delays == "iid":
        weights, P = {t: 1.0 / (delay + 1) for t in modes}, None
    else:
        weights, P = None, markov_transition(delay, algorithm.switch)
    Fs = {t: _mode_matrices(A, gamma, delay, t) for t in modes}
    D = (delay + 1) * d
    y0 = np.tile(problem.w0 - problem.w_star, delay + 1)

    def apply(t: int, m: np.ndarray, M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        F = Fs[t]
        Mtt = M[t * d:(t + 1) * d, t * d:(t + 1) * d]
        M_new = F @ M @ F.T
        M_new[:d, :d] += gamma**2 * (s2 / N * np.eye(d) + Gamma * (A @ Mtt @ A + s2 * np.eye(d)) / N)
        return F @ m, M_new

    loss, dist = np.empty(n_iter + 1), np.empty(n_iter + 1)
    if P is None:
        m, M = y0.copy(), np.outer(y0, y0)
        for t in range(n_iter + 1):
            if t:
                parts = [apply(tau, m, M) for tau in weights]
                m = sum(w * p[0] for w, p in zip(weights.values(), parts))
                M = sum(w * p[1] for w, p in zip(weights.values(), parts))
            loss[t], dist[t] = 0.5 * np.trace(A @ M[:d, :d]), np.trace(M[:d, :d])
        return {"excess_loss": loss, "dist2": dist}
    # Markov: (m^(s), M^(s)) = E[y 1{mode = s}], the mode being the delay of the last step (0 at the start). The
    # additive noise enters with the probability of the mode, carried by the identity M^(s) -> map(M^(s)) because the
    # map's noise term is affine: it is added with weight P(mode = s') below.
    ms = [np.zeros(D) for _ in modes]
    Ms = [np.zeros((D, D)) for _ in modes]
    prob = np.zeros(delay + 1)
    ms[0], Ms[0], prob[0] = y0.copy(), np.outer(y0, y0), 1.0
    for t in range(n_iter + 1):
        if t:
            new_m = [np.zeros(D) for _ in modes]
            new_M = [np.zeros((D, D)) for _ in modes]
            new_p = prob @ P
            for s in modes:
                for nxt in modes:                     # the delay of this step: the chain's next state
                    if P[s, nxt] == 0:
                        continue
                    F = Fs[nxt]
                    Mtt = Ms[s][nxt * d:(nxt + 1) * d, nxt * d:(nxt + 1) * d]
                    new_m[nxt] += P[s, nxt] * (F @ ms[s])
                    block = F @ Ms[s] @ F.T
                    block[:d, :d] += gamma**2 * (prob[s] * s2 / N * np.eye(d)
                                                 + Gamma * (A @ Mtt @ A + prob[s] * s2 * np.eye(d)) / N)
                    new_M[nxt] += P[s, nxt] * block
            ms, Ms, prob = new_m, new_M, new_p
        M = sum(Ms)
        loss[t], dist[t] = 0.5 * np.trace(A @ M[:d, :d]), np.trace(M[:d, :d])
    return {"excess_loss": loss, "dist2": dist}


def _edge_operator(gamma: float, omega: float, delay: int, delays: str, switch: float = 0.5) -> np.ndarray:
    """The noiseless second-moment map of one coordinate (A = 1, Bernoulli of variance factor omega), vectorised."""
    n = delay + 1

    def T(tau: int) -> np.ndarray:
        F = _mode_matrices(np.eye(1), gamma, delay, tau)
        S = np.zeros((n * n, n * n))
        S[0, tau * n + tau] = gamma**2 * omega          # (M')_00 += gamma^2 omega M_tau,tau
        return np.kron(F, F) + S
    if delays == "fixed" or delay == 0:
        return T(delay)
    if delays == "iid":
        return sum(T(t) for t in range(n)) / n
    P = markov_transition(delay, switch)
    blocks = [T(t) for t in range(n)]
    big = np.zeros((n * n * n, n * n * n))
    k = n * n
    for s in range(n):
        for s2 in range(n):
            big[s2 * k:(s2 + 1) * k, s * k:(s + 1) * k] = P[s, s2] * blocks[s2]
    return big


@pinned  # BLAS on one thread: the same bits whatever the machine's cores (boundlab.simulate.blas)
def spectral_radius(gamma: float, omega: float, delay: int, delays: str = "fixed", switch: float = 0.5) -> float:
    """The noiseless map's spectral radius (:func:`boundlab.simulate.spectral.symmetric_radius`)."""
    T = _edge_operator(gamma, omega, delay, delays, switch)
    return symmetric_radius(T, delay + 1)


#: the coarse scan's stride over stability_edge's grid of 200 steps
COARSE = 8


def stability_edge(omega: float, delay: int, delays: str = "fixed", L: float = 1.0, switch: float = 0.5,
                   rel: float = 1e-6) -> float:
    """gamma*(tau, omega): the mean-square edge of compressed GD with stale gradients on f = (L/2)||x||^2 with a
    Bernoulli-p operator (omega = (1-p)/p; per coordinate, so any diagonal A reduces to its largest eigenvalue L).
    The spectral radius is 1 at gamma = 0 (the map is the identity there): the edge is the first crossing above 0,
    found on a grid then narrowed (:func:`boundlab.simulate.spectral.bracket_crossing`); the value returned is the
    stable end of the last bracket (within ``rel``)."""
    grid = np.geomspace(1e-4, 4.0, 200)
    seen: dict[float, float] = {}

    def log_rho(g: float) -> float:
        if g not in seen:
            seen[g] = math.log(spectral_radius(g, omega, delay, delays, switch))
        return seen[g]

    unstable = lambda g: log_rho(g) >= 0.0   # noqa: E731
    # Every COARSE-th grid point first, then the fine points of the first unstable coarse cell: the same bracket
    # as a scan of every point whenever no unstable window narrower than a coarse cell (x1.53) precedes the edge
    # (checked: all 75 edges of figure 7 are equal to the full scan's), with a quarter of the evaluations.
    coarse = list(range(0, len(grid), COARSE)) + ([len(grid) - 1] if (len(grid) - 1) % COARSE else [])
    start = None
    for a, b in zip(coarse, coarse[1:]):
        if unstable(grid[b]):
            start = a
            break
    if start is None:
        return float("nan")
    prev = None
    for i in range(start, len(grid)):
        g = grid[i]
        if prev is not None and unstable(g):
            lo, _ = bracket_crossing(log_rho, prev, g, rel, log_rho(prev), log_rho(g))
            return lo / L            # the largest step found stable (within rel of the edge)
        prev = g
    return float("nan")
