r"""Exact second moments of the decentralized algorithms on quadratics (THEORY-SEEDS.md §3, D4-D5).

On the heterogeneous quadratics :math:`f_i(x)=\frac12(x-b_i)^\top A(x-b_i)` with Gaussian gradient noise of
covariance :math:`s^2I` (``boundlab.simulate.quadratic``: :math:`s^2=\sigma^2/(bd)`) and a random-mask compressor
(``Compressor.mask_covariance``: :math:`\Gamma`, the error's covariance being :math:`\Gamma\odot zz^\top`), D-PSGD, the
naive compressed gossip and DCD-PSGD are affine recursions in :math:`x={\rm vec}(X)` (node blocks of size d) driven by
zero-mean innovations whose covariances are linear in the second moment. With :math:`m=\mathbb Ex`,
:math:`M=\mathbb E[xx^\top]`, :math:`\mathcal W=W\otimes I_d`, :math:`\mathcal A=I_n\otimes A`,
:math:`q=\gamma\mathcal A\,{\rm vec}(B)`, :math:`F=\mathcal W-\gamma\mathcal A`:

* DCD (D4): :math:`z=Px+q-\gamma\xi`, :math:`P=\mathcal W-I-\gamma\mathcal A`, :math:`x'=Fx+q-\gamma\xi+e(z)`, so
  :math:`M'=FMF^\top+Fmq^\top+qm^\top F^\top+qq^\top+\gamma^2s^2I+{\rm blkdiag}_i\,\Gamma\odot S_{ii}` with
  :math:`S=\mathbb E[zz^\top]=PMP^\top+Pmq^\top+qm^\top P^\top+qq^\top+\gamma^2s^2I`; with :math:`\gamma=0` the
  compressed gossip;
* naive compression: :math:`x'=Fx+q-\gamma\xi+\mathcal We(x)`, the innovation's covariance
  :math:`\mathcal W\,{\rm blkdiag}_i(\Gamma\odot M_{ii})\,\mathcal W`;
* D-PSGD, gossip-gradient: DCD with the identity; gradient-gossip: :math:`x'=\mathcal W((I-\gamma\mathcal A)x+q-\gamma
  \xi)`.

Read-outs: :math:`\mathbb E\|X_tQ\|_F^2={\rm tr}((Q\otimes I_d)M_t)`, :math:`\mathbb E\|\bar x_t-x^*\|^2`. The threshold of
mean-square compressed gossip (D5, Bernoulli-p per coordinate, :math:`\gamma=0`) is where the spectral radius of
:math:`\mathcal L_\omega(N)=WNW+\omega Q\,{\rm Diag}((W-I)N(W-I))Q` crosses 1 (:func:`gossip_threshold`).
"""
from __future__ import annotations

import numpy as np

from boundlab.errors import BoundlabError
from boundlab.simulate.blas import pinned
from boundlab.simulate.spectral import bracket_crossing, symmetric_radius

EXACT_ALGORITHMS = ("d-psgd", "naive-gossip", "dcd-psgd")


def _blocks(S: np.ndarray, Gamma: np.ndarray, n: int, d: int) -> np.ndarray:
    """blkdiag_i(Gamma * S_ii): the covariance of independent per-node mask errors of inputs with second moment S."""
    out = np.zeros_like(S)
    for i in range(n):
        sl = slice(i * d, (i + 1) * d)
        out[sl, sl] = Gamma * S[sl, sl]
    return out


@pinned  # BLAS on one thread: the same bits whatever the machine's cores (boundlab.simulate.blas)
def moments(problem, algorithm, gamma: float, n_iter: int) -> dict[str, np.ndarray]:
    """Exact ``consensus2`` (E||X_t Q||_F^2), ``dist2`` (E||x_bar_t - x*||^2) and ``grad2_bar``
    (E||grad f(x_bar_t)||^2) for t = 0..n_iter, and the per-node ``local_gap2`` (consensus2 / n), of ``algorithm`` (set up here) on ``problem`` (a quadratic, Gaussian noise)."""
    from boundlab.simulate.problems import QuadraticProblem
    if not isinstance(problem, QuadraticProblem) or problem.noise != "gaussian":
        raise BoundlabError("exact decentralized moments need a quadratic problem with Gaussian noise")
    if algorithm.name not in EXACT_ALGORITHMS:
        raise BoundlabError(f"no exact moment recursion for '{algorithm.name}' (only {', '.join(EXACT_ALGORITHMS)})")
    algorithm.setup(problem)
    n, d = problem.N, problem.d
    Gamma = algorithm.up.mask_covariance(d)
    if Gamma is None:
        raise BoundlabError(f"'{algorithm.up.spec}' is not a random mask: its error covariance is not linear in the "
                            "input's second moment, so no exact recursion")
    A = np.diag(problem.A) if problem.A.ndim == 1 else problem.A
    Wc = np.kron(algorithm.W, np.eye(d))
    Ac = np.kron(np.eye(n), A)
    D = n * d
    I = np.eye(D)
    s2 = problem.sigma**2 / (problem.b * d) if problem.sigma else 0.0      # per-coordinate noise variance
    noise = gamma**2 * s2 * I
    # Centred at the optimum, y = x - 1 (x) x*, and in an orthonormal basis whose first block is the average
    # (v = Uc^T y, Uc = U (x) I_d, U's first column 1/sqrt(n)): the consensus error is then a block of M itself, not a
    # difference of large numbers (tr(Q M) would floor at 1e-16 ||x_bar||^2). y' = F y + (F c* + q - c*) - ...,
    # with c* = 1 (x) x*, and DCD's compressed input z = P y + (P c* + q) - gamma xi in node coordinates.
    q = gamma * Ac @ problem.centres.reshape(-1)
    c_star = np.tile(problem.w_star, n)
    U = np.linalg.qr(np.column_stack([np.ones(n), np.eye(n)[:, :n - 1]]))[0]
    U *= np.sign(U[0, 0])
    Uc = np.kron(U, np.eye(d))
    kind = algorithm.name if algorithm.name != "d-psgd" else f"d-psgd:{algorithm.order}"
    if kind == "d-psgd:gradient-gossip":
        F, noise_eff = Wc @ (I - gamma * Ac), Wc @ noise @ Wc.T
        q_eff = Wc @ q + F @ c_star - c_star
    else:
        F, q_eff, noise_eff = Wc - gamma * Ac, q + (Wc - gamma * Ac) @ c_star - c_star, noise
    P = Wc - I - gamma * Ac
    p_z = P @ c_star + q                                                   # DCD's z = P y + p_z - gamma xi
    F, q_eff, noise_eff, P_v = Uc.T @ F @ Uc, Uc.T @ q_eff, Uc.T @ noise_eff @ Uc, P @ Uc
    v0 = Uc.T @ (algorithm.initial_models(problem).reshape(-1) - c_star)
    m, M = v0.copy(), np.outer(v0, v0)

    A2 = A @ A

    def read(m, M):       # E||X Q||_F^2 = the consensus block's trace; E||x_bar - x*||^2 = (average block) / n
        return (float(np.trace(M[d:, d:])), float(np.trace(M[:d, :d])) / n,
                float(np.trace(A2 @ M[:d, :d])) / n)          # E||grad f(x_bar)||^2 = E||A (x_bar - x*)||^2

    cons, dist, grad = np.empty(n_iter + 1), np.empty(n_iter + 1), np.empty(n_iter + 1)
    cons[0], dist[0], grad[0] = read(m, M)
    for t in range(1, n_iter + 1):
        Fm = F @ m
        M_new = F @ M @ F.T + np.outer(Fm, q_eff) + np.outer(q_eff, Fm) + np.outer(q_eff, q_eff) + noise_eff
        if kind == "dcd-psgd":
            Pm = P_v @ m
            S = P_v @ M @ P_v.T + np.outer(Pm, p_z) + np.outer(p_z, Pm) + np.outer(p_z, p_z) + noise
            M_new += Uc.T @ _blocks(S, Gamma, n, d) @ Uc
        elif kind == "naive-gossip":   # the mask error of x = Uc v + c*, in node coordinates
            X2 = Uc @ M @ Uc.T + np.outer(Uc @ m, c_star) + np.outer(c_star, Uc @ m) + np.outer(c_star, c_star)
            WU = Uc.T @ Wc
            M_new += WU @ _blocks(X2, Gamma, n, d) @ WU.T
        m, M = Fm + q_eff, 0.5 * (M_new + M_new.T)
        cons[t], dist[t], grad[t] = read(m, M)
    return {"consensus2": cons, "dist2": dist, "local_gap2": cons / n, "grad2_bar": grad}


def gossip_operator(W: np.ndarray, omega: float) -> np.ndarray:
    r"""The matrix of :math:`\mathcal L_\omega` on vec(N), restricted to the consensus subspace (D5)."""
    n = W.shape[0]
    Q = np.eye(n) - np.ones((n, n)) / n
    WI = W - np.eye(n)
    diag_select = np.diag(np.eye(n).reshape(-1))                          # vec(K) -> vec(Diag(diag K))
    T = np.kron(W, W) + omega * np.kron(Q, Q) @ diag_select @ np.kron(WI, WI)
    QQ = np.kron(Q, Q)
    return QQ @ T @ QQ


@pinned  # BLAS on one thread: the same bits whatever the machine's cores (boundlab.simulate.blas)
def gossip_rate(W: np.ndarray, omega: float) -> float:
    """Spectral radius of the consensus moment map: the exact asymptotic per-step decay of E||Q x_t||^2 (the map sends
    symmetric PSD matrices to symmetric PSD ones: :func:`boundlab.simulate.spectral.symmetric_radius`)."""
    return symmetric_radius(gossip_operator(W, omega), W.shape[0])


def gossip_threshold(W: np.ndarray, rel: float = 1e-6) -> float:
    """omega* = sup{omega: rho(L_omega) < 1}: a doubling search for an unstable omega, then
    :func:`boundlab.simulate.spectral.bracket_crossing` (rho is non-decreasing in omega: L_omega grows with it)."""
    lo, hi = 0.0, 1.0
    f_lo = gossip_rate(W, lo) - 1
    while (f_hi := gossip_rate(W, hi) - 1) < 0:
        lo, hi, f_lo = hi, 2 * hi, f_hi
        if hi > 1e6:
            return float("inf")
    lo, hi = bracket_crossing(lambda w: gossip_rate(W, w) - 1, lo, hi, rel, f_lo, f_hi)
    return 0.5 * (lo + hi)


def threshold_table(graphs: list[tuple[str, int]], weights: str = "metropolis") -> list[dict]:
    """omega* for each (graph spec, n) beside the sufficient condition [D] (1 - rho_c^2)/beta^2 and the unverified
    recollection [M2] (1 - rho_c)^2/(4 beta^2)."""
    from boundlab.simulate.graphs import make_graph
    rows = []
    for spec, n in graphs:
        g = make_graph(spec, n, weights)
        star = gossip_threshold(g.W)
        suff = (1 - g.rho_contraction**2) / g.beta**2
        rows.append({"graph": spec, "n": n, "rho_contraction": g.rho_contraction, "beta": g.beta,
                     "omega_star": star, "sufficient_D": suff, "recollection_M2": (1 - g.rho_contraction)**2 /
                     (4 * g.beta**2), "sufficient_over_exact": suff / star})
    return rows
