r"""Problems whose constants L, mu, sigma^2, B^2, F_* and w_* are known exactly (THEORY.md §1).

Every problem here is quadratic: :math:`F_i(w)=\frac12 w^\top H_iw-v_i^\top w+{\rm const}` and
:math:`F=\frac1N\sum_iF_i` with Hessian :math:`H=\frac1N\sum_iH_i`. So

- :math:`L=\lambda_{\max}(H)`, :math:`\mu=\lambda_{\min}(H)` (eigenvalues, exact up to rounding);
- :math:`F(w)-F_*=\frac12(w-w_*)^\top H(w-w_*)` and :math:`\nabla F(w)=H(w-w_*)` (no cancellation);
- :math:`B^2=\max_i\|\nabla F_i(w_*)\|^2` (A2) is computed, not estimated.

Two families:

:class:`QuadraticProblem`
    :math:`F_i(w)=\frac12(w-c_i)^\top A(w-c_i)` with a prescribed spectrum of ``A`` (``mu = 0``
    allowed), homogeneous (all :math:`c_i` equal) or heterogeneous with a prescribed
    :math:`B^2`, and additive noise :math:`g_k^i(w)=\nabla F_i(w)+\xi` with
    :math:`\mathbb E\|\xi\|^2=\sigma^2/b` exactly (A5 holds with equality everywhere).

:class:`LeastSquaresProblem`
    :math:`F_i(w)=\frac1{2n_i}\|X_iw-y_i\|^2` on a data set split across workers (iid or by
    label), mini-batches of size ``b`` drawn uniformly **with replacement** (so the noise
    variance is exactly :math:`\sigma_i^2(w)/b`). The noise grows with :math:`\|w-w_*\|`: the
    reported :math:`\sigma^2` is a proven bound on the ball :math:`\|w-w_*\|\le\rho` and the
    engine checks, per run, that every gradient was queried inside it.

A quadratic without rotation in dimension ``d >= DIAGONAL_FROM_D`` stores its Hessian as the
vector of its diagonal (``A`` and ``hessian`` are then 1-D): products cost O(d) instead of
O(d^2) and the d x d matrix (80 GB at d = 100,000) is never formed. Below that dimension the
dense matrix is kept, so every result computed before this option existed is unchanged.

Gradient arrays are shaped ``(R, N, d)`` (runs, workers, coordinates); query points ``(R, d)``
(one model for all workers) or ``(R, N, d)`` (a model per worker). Matrix products are written
as stacked ``matmul`` over a leading run axis, which (unlike one 2-D BLAS call over R*N rows)
gives each run the same bits whatever the number of runs in the batch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from boundlab.errors import BoundlabError
from boundlab.simulate.blas import pinned
from boundlab.simulate.kernels import NOISE_GAUSSIAN, NOISE_NONE, NOISE_SPHERE
from boundlab.simulate.rng import BLOCK_SIZE, StreamRNG, problem_generator

#: From this dimension on, an unrotated quadratic keeps only the diagonal of its Hessian.
DIAGONAL_FROM_D = 4096


def _int_at_least(value: object, what: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise BoundlabError(f"{what} must be an integer >= {low}, got {value!r}")
    return int(value)


def _finite_nonneg(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise BoundlabError(f"{what} must be a finite number >= 0, got {value!r}")
    return float(value)


@dataclass
class Problem:
    """Common part: the exact constants and the quadratic form of F."""

    N: int
    d: int
    b: int
    hessian: np.ndarray                 # H = (1/N) sum_i H_i, (d, d), or its diagonal (d,) when diagonal
    w_star: np.ndarray                  # (d,)
    F_star: float
    B2: float
    sigma2: float                       # noise bound for b = 1: E||g - grad F_i||^2 <= sigma2 / b
    sigma2_method: str
    w0: np.ndarray                      # (d,)
    sigma2_radius: float | None = None  # sigma2 valid on ||w - w*|| <= radius (None: everywhere)
    L: float = field(init=False)
    mu: float = field(init=False)

    def __post_init__(self) -> None:
        eig = np.sort(self.hessian) if self.hessian.ndim == 1 else np.linalg.eigvalsh(self.hessian)
        self.L = float(eig[-1])
        self.mu = float(max(eig[0], 0.0))
        if not self.L > 0:
            raise BoundlabError("problem: the Hessian is zero (L = 0): nothing to optimise")
        self._H = np.ascontiguousarray(self.hessian)

    # -- exact quantities ---------------------------------------------------------------------
    def excess_loss(self, w: np.ndarray, overwrite: bool = False) -> np.ndarray:
        """F(w) - F_* = 1/2 (w - w*)^T H (w - w*), shape ``w.shape[:-1]``; ``overwrite``: the caller gives ``w``
        away (it is used as the work array: one array less)."""
        u = np.subtract(w, self.w_star, out=w if overwrite else None)
        return self._half_form(u)

    def _half_form(self, u: np.ndarray, Hu: np.ndarray | None = None) -> np.ndarray:
        """1/2 u^T H u per row (``Hu``: given when the caller has it). The same operations for a dense and a
        diagonal H (their numbers are equal: tests/test_simulate_perf.py)."""
        return 0.5 * np.einsum("...i,...i->...", u, _rowmul(u, self._H) if Hu is None else Hu)

    def full_gradient(self, w: np.ndarray) -> np.ndarray:
        """grad F(w) = H (w - w*), shape of ``w``."""
        return _rowmul(w - self.w_star, self._H)

    def excess_loss_and_gradient(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(:meth:`excess_loss`, :meth:`full_gradient`) of ``w`` with one product by H (the same
        numbers as the two calls)."""
        u = w - self.w_star
        Hu = _rowmul(u, self._H)
        return self._half_form(u, Hu), Hu

    def constants(self) -> dict:
        """The exact constants, for metadata and for the theory."""
        return {"N": self.N, "d": self.d, "b": self.b, "L": self.L, "mu": self.mu, "sigma2": self.sigma2,
                "sigma2_method": self.sigma2_method, "sigma2_radius": self.sigma2_radius, "B2": self.B2,
                "F_star": self.F_star, "dist0_2": float(np.sum((self.w0 - self.w_star) ** 2))}

    # -- gradients (subclasses) -----------------------------------------------------------------
    def local_gradients(self, x: np.ndarray) -> np.ndarray:
        """Exact grad F_i(x_i), shape (R, N, d) or (R, 1, d) when all workers agree."""
        raise NotImplementedError

    def stochastic_gradients(self, x: np.ndarray, rng: StreamRNG) -> np.ndarray:
        """g_k^i(x_i) for every run and worker, shape (R, N, d)."""
        raise NotImplementedError

    def gradient_kernel(self, x: np.ndarray) -> "tuple[np.ndarray, int, float] | None":
        """For the fused uplink kernel (boundlab.simulate._fused): (exact local gradients (R, 1 or N, d), noise
        code, noise scale) such that the kernel's draws give :meth:`stochastic_gradients`, or None (the default:
        the engine calls :meth:`stochastic_gradients`)."""
        return None


def _rowmul(x: np.ndarray, M: np.ndarray) -> np.ndarray:
    """x @ M for symmetric M, the run axis first; x * M when M is the diagonal of a diagonal matrix (1-D).

    A dense M multiplies whole blocks of :data:`~boundlab.simulate.rng.BLOCK_SIZE` runs at a time, each
    as one 2-D product of the same shape (the last block padded with zeros): a run's numbers then come
    from the same BLAS call, at the same row, whatever the batch it is in (batch-invariant bits), and
    cost one matrix product per block instead of one per run (5x faster per coordinate at d = 1000).
    """
    if M.ndim == 1:
        return x * M
    if x.ndim == 1:
        return (x[None, :] @ M)[0]
    R, d = x.shape[0], x.shape[-1]
    rows = np.ascontiguousarray(x).reshape(R, -1, d)     # (R, m, d)
    m = rows.shape[1]
    full = R // BLOCK_SIZE * BLOCK_SIZE
    if full == R:   # one stacked product: a (BLOCK_SIZE m, d) @ (d, d) BLAS call per block, in C
        return (rows.reshape(-1, BLOCK_SIZE * m, d) @ M).reshape(x.shape)
    out = np.empty(rows.shape)
    if full:
        out[:full] = (rows[:full].reshape(-1, BLOCK_SIZE * m, d) @ M).reshape(full, m, d)
    if full < R:    # a partial block: zero rows fill it up to the same shape
        pad = np.zeros((BLOCK_SIZE, m, d))
        pad[:R - full] = rows[full:]
        out[full:] = (pad.reshape(-1, d) @ M).reshape(BLOCK_SIZE, m, d)[:R - full]
    return out.reshape(x.shape)


def _stacked(x: np.ndarray) -> np.ndarray:
    """(R, d) -> (R, 1, d); (R, N, d) unchanged."""
    return x[:, None, :] if x.ndim == 2 else x


# ---------------------------------------------------------------------------------------------
class QuadraticProblem(Problem):
    r"""Quadratic :math:`F_i(w)=\frac12(w-c_i)^\top A(w-c_i)`, additive noise (see module doc).

    Build it with :func:`quadratic`. :math:`w_*=\bar c` (when mu = 0, the minimisers are
    :math:`\bar c+\ker A`, and :func:`quadratic` draws :math:`w_0-w_*` in the range of A, so that
    :math:`w_*` is the minimiser closest to :math:`w_0`), :math:`F_*=\frac1{2N}\sum_i(c_i-\bar c)^\top A(c_i-\bar c)`,
    :math:`B^2=\max_i\|A(\bar c-c_i)\|^2`, and A5 holds with equality:
    :math:`\mathbb E\|g-\nabla F_i(w)\|^2=\sigma^2/b` for every w.
    """

    def __init__(self, A: np.ndarray, centres: np.ndarray, sigma: float, b: int, noise: str, w0: np.ndarray,
                 eigenvalues: np.ndarray | None = None):
        self.A = np.ascontiguousarray(A)
        self.centres = np.ascontiguousarray(centres)            # (N, d)
        self.homogeneous = bool(np.all(centres == centres[0]))
        self.noise = noise
        self.sigma = sigma
        c_bar = centres.mean(axis=0)
        delta = centres - c_bar
        F_star = float(0.5 * np.mean(np.einsum("nd,nd->n", delta, _apply(delta, A))))
        B2 = float(np.max(np.sum(_apply(delta, A) ** 2, axis=1)))
        super().__init__(N=centres.shape[0], d=A.shape[0], b=b, hessian=A, w_star=c_bar, F_star=F_star, B2=B2,
                         sigma2=sigma * sigma, sigma2_method=f"exact: additive {noise} noise, E||xi||^2 = sigma^2/b",
                         w0=w0)
        if eigenvalues is not None:       # the prescribed spectrum, exactly (not re-estimated)
            self.L, self.mu = float(np.max(eigenvalues)), float(np.min(eigenvalues))

    def local_gradients(self, x):
        x3 = _stacked(x)
        u = x3 - self.centres[0] if self.homogeneous and x3.shape[1] == 1 else x3 - self.centres
        if self.A.ndim == 1:
            u *= self.A                                    # a diagonal A: in place (no second array)
            return u
        return _rowmul(u, self.A)

    def gradient_kernel(self, x):
        if type(self) is not QuadraticProblem:           # a subclass may change the rule below
            return None
        g = np.ascontiguousarray(self.local_gradients(x))
        if self.sigma == 0:
            return g, NOISE_NONE, 0.0
        if self.noise == "gaussian":
            return g, NOISE_GAUSSIAN, self.sigma / math.sqrt(self.b * self.d)
        return g, NOISE_SPHERE, self.sigma / math.sqrt(self.b)

    def stochastic_gradients(self, x, rng):
        R = x.shape[0]
        g = self.local_gradients(x)
        if self.sigma == 0:
            return np.broadcast_to(g, (R, self.N, self.d)).copy()
        xi = rng.standard_normal((R, self.N, self.d))
        if self.noise == "gaussian":      # xi ~ N(0, sigma^2/(b d) I): E||xi||^2 = sigma^2/b
            xi *= self.sigma / math.sqrt(self.b * self.d)
        else:                             # uniform on the sphere of radius sigma/sqrt(b)
            nrm = np.sqrt(np.einsum("rnd,rnd->rn", xi, xi))[..., None]
            xi *= (self.sigma / math.sqrt(self.b)) / nrm
        xi += g
        return xi


def _apply(x: np.ndarray, A: np.ndarray) -> np.ndarray:
    """x @ A, or x * A when A is stored as its diagonal (1-D)."""
    return x * A if A.ndim == 1 else x @ A


def eigen_spectrum(d: int, L: float, mu: float, kind: str) -> np.ndarray:
    """d eigenvalues from L down to mu, evenly ('linear') or geometrically ('geometric') spaced."""
    if d == 1:
        if mu != L:
            raise BoundlabError(f"problem.mu must equal problem.L when d = 1, got mu={mu}, L={L}")
        return np.array([L])
    t = np.arange(d) / (d - 1)
    if kind == "linear":
        return L - (L - mu) * t
    if kind == "geometric":
        if mu <= 0:
            raise BoundlabError("problem.mu must be > 0 for a geometric spectrum (use spectrum = 'linear' for mu = 0)")
        return L * (mu / L) ** t
    raise BoundlabError(f"problem.spectrum must be 'linear' or 'geometric', got {kind!r}")


@pinned  # BLAS on one thread: the same instance on every machine (boundlab.simulate.blas)
def quadratic(*, N: int = 20, d: int = 20, L: float = 1.0, mu: float = 0.1, spectrum: str = "linear",
              eigenvalues: list[float] | None = None, rotate: bool = True, B2: float = 0.0, sigma: float = 1.0,
              noise: str = "gaussian", b: int = 1, w0: float | str = 1.0, seed: int = 0,
              diagonal: bool | None = None) -> QuadraticProblem:
    r"""Build a :class:`QuadraticProblem`.

    ``A = Q diag(eigenvalues) Q^T`` with Q a random orthogonal matrix (``rotate``) or the
    identity. ``diagonal``: store an unrotated A as its diagonal (a 1-D array; O(d) products);
    None (the default) does so when ``d >= DIAGONAL_FROM_D``. The numbers are the same either way
    (each product has one non-zero term); only the cost differs. Heterogeneous centres
    (``B2 > 0``): :math:`c_i=\bar c+\delta_i` with Gaussian
    :math:`\delta_i`, centred (:math:`\sum_i\delta_i=0`) and scaled so that
    :math:`\max_i\|A\delta_i\|^2=B^2` exactly. ``w0``: a distance ``r`` (then
    :math:`w_0=w_*+ru` with u a random unit vector, so :math:`\|w_0-w_*\|=r`) or ``"zero"``.
    """
    N = _int_at_least(N, "problem.N (number of workers)", 1)
    d = _int_at_least(d, "problem.d (dimension)", 1)
    b = _int_at_least(b, "problem.b (mini-batch size)", 1)
    sigma = _finite_nonneg(sigma, "problem.sigma")
    B2 = _finite_nonneg(B2, "problem.B2")
    if noise not in ("gaussian", "sphere"):
        raise BoundlabError(f"problem.noise must be 'gaussian' or 'sphere', got {noise!r}")
    if eigenvalues is not None:
        eig = np.asarray(eigenvalues, dtype=float)
        if eig.shape != (d,):
            raise BoundlabError(f"problem.eigenvalues must be a list of d={d} numbers, got {len(eig)}")
        if not np.all(np.isfinite(eig)) or np.any(eig < 0) or eig.max() <= 0:
            raise BoundlabError("problem.eigenvalues must be finite, >= 0 and not all zero")
    else:
        L = _finite_nonneg(L, "problem.L")
        mu = _finite_nonneg(mu, "problem.mu")
        if not L > 0 or mu > L:
            raise BoundlabError(f"problem.L and problem.mu must satisfy 0 <= mu <= L and L > 0, got mu={mu}, L={L}")
        eig = eigen_spectrum(d, L, mu, spectrum)
    if diagonal is None:
        diagonal = not (rotate and d > 1) and d >= DIAGONAL_FROM_D
    if not diagonal:  # a dense A (and its rotation) is 3 d x d arrays: refuse it before allocating
        from boundlab.simulate.files import available_memory
        need, avail = 3 * 8 * d * d + 8 * N * d * 4, available_memory()
        if avail is not None and need > avail:
            raise BoundlabError(f"problem.d = {d}: a dense Hessian needs about {need / 2**30:.3g} GiB but "
                                f"{avail / 2**30:.3g} GiB are available (use rotate = false for a diagonal A, or a "
                                "smaller d)")
    elif not isinstance(diagonal, bool) or (diagonal and rotate and d > 1):
        raise BoundlabError(f"diagonal must be true or false, and true only with rotate = false, got {diagonal!r}")
    gen = problem_generator(seed)
    if rotate and d > 1:
        Q, Rm = np.linalg.qr(gen.standard_normal((d, d)))
        Q *= np.sign(np.diag(Rm))
        A = (Q * eig) @ Q.T
        A = 0.5 * (A + A.T)
    elif diagonal:
        A = eig.copy()                    # diagonal storage: O(d) products, no d x d matrix
    else:
        A = np.diag(eig)
    c_bar = gen.standard_normal(d)
    centres = np.tile(c_bar, (N, 1))
    if B2 > 0:
        if N == 1:
            raise BoundlabError("problem.B2 must be 0 with N = 1 (one worker: F_1 = F, so B^2 = 0)")
        delta = gen.standard_normal((N, d))
        delta -= delta.mean(axis=0)
        peak = np.max(np.sum(_apply(delta, A) ** 2, axis=1))
        if not peak > 0:
            raise BoundlabError("problem.B2 > 0 is impossible here (the centres' shifts lie in A's null space)")
        centres = c_bar + delta * math.sqrt(B2 / peak)
    w_star = centres.mean(axis=0)
    w0_vec = _initial_point(w0, w_star, gen, A)
    return QuadraticProblem(A, centres, sigma, b, noise, w0_vec, eigenvalues=eig)


def _initial_point(w0: float | str, w_star: np.ndarray, gen: np.random.Generator,
                   hessian: np.ndarray) -> np.ndarray:
    """``"zero"``, or ``w* + r u`` with u a random unit vector in the range of the Hessian (all of
    R^d when mu > 0): then w* is the minimiser closest to w0 and r the distance to the minimisers."""
    if isinstance(w0, str):
        if w0 != "zero":
            raise BoundlabError(f"problem.w0 must be 'zero' or a distance to w* (a number >= 0), got {w0!r}")
        return np.zeros_like(w_star)
    r = _finite_nonneg(w0, "problem.w0 (distance ||w0 - w*||)")
    u = gen.standard_normal(w_star.shape[0])
    if hessian.ndim == 1:                          # diagonal: its range is the coordinates with eig > 0
        u = np.where(hessian > 1e-12 * hessian.max(), u, 0.0)
    else:
        eig, vec = np.linalg.eigh(hessian)
        kept = vec[:, eig > 1e-12 * eig[-1]]       # range of the Hessian
        u = kept @ (kept.T @ u)
    return w_star + r * u / np.linalg.norm(u)


# ---------------------------------------------------------------------------------------------
class LeastSquaresProblem(Problem):
    r"""Least squares :math:`F_i(w)=\frac1{2n_i}\|X_iw-y_i\|^2` split across N workers.

    Stochastic gradient of worker i: :math:`g=\frac1b\sum_{j\in S}x_j(x_j^\top w-y_j)` with S
    b indices drawn uniformly with replacement from worker i's points. Then
    :math:`\mathbb E\|g-\nabla F_i(w)\|^2=\sigma_i^2(w)/b` with
    :math:`\sigma_i^2(w)=\mathbb E_j\|P_j(w-w_*)+q_j\|^2`, :math:`P_j=x_jx_j^\top-H_i`,
    :math:`q_j=P_jw_*-(x_jy_j-v_i)` (a centred per-point gradient). By Minkowski's inequality in
    :math:`L^2(j)`, for :math:`\|w-w_*\|\le\rho`:

    .. math:: \sigma_i^2(w)\le\Big(\rho\sqrt{\lambda_{\max}(\mathbb E_jP_j^\top P_j)}
              +\sqrt{\mathbb E_j\|q_j\|^2}\Big)^2,
              \qquad \mathbb E_jP_j^\top P_j=\tfrac1{n_i}\textstyle\sum_j\|x_j\|^2x_jx_j^\top-H_i^2,

    and :math:`\sigma^2` is the max over workers. :math:`\rho` = ``sigma_radius`` times
    :math:`\|w_0-w_*\|` (or 1 if :math:`w_0=w_*`); the engine records the largest
    :math:`\|\widehat w-w_*\|` queried per run and flags the runs that left the ball.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, parts: list[np.ndarray], b: int, w0: str | float,
                 sigma_radius: float, gen: np.random.Generator, name: str):
        N = len(parts)
        d = X.shape[1]
        self.data_name = name
        order = np.concatenate(parts)
        self.X = np.ascontiguousarray(X[order])
        self.y = np.ascontiguousarray(y[order])
        self.sizes = np.array([len(p) for p in parts])
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]])
        H_i = np.empty((N, d, d))
        v_i = np.empty((N, d))
        for i, (o, n) in enumerate(zip(self.offsets, self.sizes)):
            Xi, yi = self.X[o:o + n], self.y[o:o + n]
            H_i[i] = Xi.T @ Xi / n
            v_i[i] = Xi.T @ yi / n
        self.H_i, self.v_i = H_i, v_i
        H = H_i.mean(axis=0)
        H = 0.5 * (H + H.T)
        v = v_i.mean(axis=0)
        w_star = np.linalg.lstsq(H, v, rcond=None)[0]
        F_star = float(np.mean([np.sum((self.X[o:o + n] @ w_star - self.y[o:o + n]) ** 2) / (2 * n)
                                for o, n in zip(self.offsets, self.sizes)]))
        B2 = float(np.max(np.sum((H_i @ w_star - v_i) ** 2, axis=1)))
        w0_vec = _initial_point(w0, w_star, gen, H)
        dist0 = float(np.linalg.norm(w0_vec - w_star))
        rho = sigma_radius * (dist0 if dist0 > 0 else 1.0)
        sig2 = 0.0
        self.sigma2_at_optimum = 0.0
        for i, (o, n) in enumerate(zip(self.offsets, self.sizes)):
            Xi, yi = self.X[o:o + n], self.y[o:o + n]
            sq = np.einsum("jd,jd->j", Xi, Xi)
            EPP = (Xi * sq[:, None]).T @ Xi / n - H_i[i] @ H_i[i]
            lam = max(float(np.linalg.eigvalsh(0.5 * (EPP + EPP.T))[-1]), 0.0)
            per_point = Xi * (Xi @ w_star - yi)[:, None]          # gradient of each point at w*
            q = per_point - per_point.mean(axis=0)
            s_opt = float(np.mean(np.sum(q * q, axis=1)))
            self.sigma2_at_optimum = max(self.sigma2_at_optimum, s_opt)
            sig2 = max(sig2, (rho * math.sqrt(lam) + math.sqrt(s_opt)) ** 2)
        method = (f"bound: max_i (rho sqrt(lambda_max E P^T P) + sigma_i(w*))^2 on ||w - w*|| <= rho = {rho:.6g} "
                  f"({sigma_radius:g} x ||w0 - w*||; Minkowski), sampling with replacement; "
                  f"sigma^2 at w* = {self.sigma2_at_optimum:.6g}")
        super().__init__(N=N, d=d, b=b, hessian=H, w_star=w_star, F_star=F_star, B2=B2, sigma2=sig2,
                         sigma2_method=method, w0=w0_vec, sigma2_radius=rho)
        self._HiT = np.ascontiguousarray(np.transpose(H_i, (0, 2, 1)))

    def local_gradients(self, x):
        x3 = _stacked(x)                                    # (R, m, d), m in {1, N}
        return (x3[:, :, None, :] @ self._HiT)[:, :, 0, :] - self.v_i

    def stochastic_gradients(self, x, rng):
        R = x.shape[0]
        u = rng.random((R, self.N, self.b))
        idx = (u * self.sizes[:, None]).astype(np.intp)
        np.minimum(idx, self.sizes[:, None] - 1, out=idx)   # guard u*n rounding up to n
        idx += self.offsets[:, None]
        Xb = self.X[idx]                                    # (R, N, b, d)
        res = (Xb @ _stacked(x)[:, :, :, None])[..., 0] - self.y[idx]   # (R, N, b)
        g = (res[:, :, None, :] @ Xb)[:, :, 0, :]           # (R, N, d)
        g /= self.b
        return g


def _split(n: int, N: int, y: np.ndarray, split: str, gen: np.random.Generator) -> list[np.ndarray]:
    if n < N:
        raise BoundlabError(f"problem.N must be at most the number of data points ({n}), got {N}")
    if split == "iid":
        order = gen.permutation(n)
    elif split in ("non-iid", "noniid", "non_iid"):
        order = np.argsort(y, kind="stable")                # contiguous label quantiles per worker
    else:
        raise BoundlabError(f"problem.split must be 'iid' or 'non-iid', got {split!r}")
    return np.array_split(order, N)


def synthetic_data(n: int, d: int, gen: np.random.Generator, label_noise: float = 0.0,
                   worker_offset: bool = False, N: int = 1) -> tuple[np.ndarray, np.ndarray]:
    r"""The paper's synthetic least-squares design (REFERENCE.md), generated afresh.

    ``d - 1`` Gaussian features with correlation :math:`0.6^{|i-j|}` plus a constant column;
    :math:`y=Xw_{\rm true}+\varepsilon` with :math:`w_{{\rm true},j}=(-1)^{j+1}e^{-j/10}`,
    :math:`j=1..d`. :math:`\varepsilon` is Gaussian with standard deviation ``label_noise``,
    per point, or, with ``worker_offset``, one scalar per worker (consecutive blocks of n/N
    points) as in the paper's noisy variant. ``label_noise = 0`` interpolates (:math:`F_*=0`).
    """
    p = d - 1
    X = np.ones((n, d))
    if p > 0:
        cov = 0.6 ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
        X[:, :p] = gen.standard_normal((n, p)) @ np.linalg.cholesky(cov).T
    j = np.arange(1, d + 1)
    w_true = (-1.0) ** (j + 1) * np.exp(-j / 10)
    y = X @ w_true
    if label_noise > 0:
        if worker_offset:
            y += np.repeat(gen.standard_normal(N) * label_noise, -(-n // N))[:n]
        else:
            y += gen.standard_normal(n) * label_noise
    return X, y


def diabetes_data() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled diabetes data (442 x 10), columns and label standardised."""
    try:
        from sklearn.datasets import load_diabetes
    except ImportError:
        raise BoundlabError("problem.data = 'diabetes' needs scikit-learn: pip install 'boundlab[data]'") from None
    X, y = load_diabetes(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = (y - y.mean()) / y.std()
    return X, y


def file_data(path: str) -> tuple[np.ndarray, np.ndarray]:
    """A user's data: ``.npz`` with arrays X and y, or a numeric CSV whose last column is y."""
    try:
        if path.endswith(".npz"):
            with np.load(path, allow_pickle=False) as z:
                X, y = np.asarray(z["X"], float), np.asarray(z["y"], float)
        else:
            arr = np.genfromtxt(path, delimiter=",", dtype=float)
            if arr.ndim == 2 and np.all(np.isnan(arr[0])):    # a header line
                arr = arr[1:]
            if arr.ndim != 2 or arr.shape[1] < 2:
                raise BoundlabError(f"problem.data: {path} must have at least 2 columns (features, then label)")
            X, y = arr[:, :-1], arr[:, -1]
    except KeyError as err:
        raise BoundlabError(f"problem.data: {path} has no array {err} (an .npz needs X and y)") from None
    except (OSError, ValueError, EOFError) as err:  # unreadable, ragged rows, a corrupt or pickled .npz
        msg = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
        raise BoundlabError(f"problem.data: cannot read {path}: {msg}") from None
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0] or X.shape[0] < 1:
        raise BoundlabError(f"problem.data: {path}: X must be (n, d) and y (n,), got {X.shape} and {y.shape}")
    bad = ~np.isfinite(X).all(axis=1) | ~np.isfinite(y)
    if bad.any():
        raise BoundlabError(f"problem.data: {path}: row {int(np.flatnonzero(bad)[0]) + 1} has a missing or "
                            "non-finite value")
    big = max(float(np.abs(X).max()), float(np.abs(y).max()))
    if big > 1e150:  # squares overflow: the constants (L, sigma^2) could not be computed
        raise BoundlabError(f"problem.data: {path}: a value of magnitude {big:.3g} is too large (squares overflow; "
                            "rescale the data)")
    return X, y


@pinned  # BLAS on one thread: the same instance on every machine (boundlab.simulate.blas)
def least_squares(*, data: str = "synthetic", N: int = 20, n_per_worker: int = 200, d: int = 20, b: int = 1,
                  split: str = "iid", label_noise: float = 0.0, worker_offset: bool = False,
                  w0: float | str = "zero", sigma_radius: float = 2.0, seed: int = 0) -> LeastSquaresProblem:
    """Build a :class:`LeastSquaresProblem` from ``data``: ``"synthetic"``, ``"diabetes"`` or ``"file:PATH"``."""
    N = _int_at_least(N, "problem.N (number of workers)", 1)
    b = _int_at_least(b, "problem.b (mini-batch size)", 1)
    label_noise = _finite_nonneg(label_noise, "problem.label_noise")
    sigma_radius = _finite_nonneg(sigma_radius, "problem.sigma_radius")
    gen = problem_generator(seed)
    if data == "synthetic":
        n_per_worker = _int_at_least(n_per_worker, "problem.n_per_worker", 1)
        d = _int_at_least(d, "problem.d (dimension)", 1)
        X, y = synthetic_data(N * n_per_worker, d, gen, label_noise, worker_offset, N)
    elif data == "diabetes":
        X, y = diabetes_data()
    elif isinstance(data, str) and data.startswith("file:"):
        X, y = file_data(data[5:])
    else:
        raise BoundlabError(f"problem.data must be 'synthetic', 'diabetes' or 'file:PATH', got {data!r}")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise BoundlabError("problem.data: the data contain non-finite values (NaN or inf); clean them first")
    if data == "synthetic" and split == "iid":   # points are iid already; blocks keep the worker offsets
        parts = np.array_split(np.arange(X.shape[0]), N)
    else:
        parts = _split(X.shape[0], N, y, split, gen)
    return LeastSquaresProblem(X, y, parts, b, w0, sigma_radius, gen, name=str(data))


# -- registry ------------------------------------------------------------------------------------
from boundlab.simulate.registry import Registry  # noqa: E402  (the builders above are what it registers)

#: Problem builders by name. A builder's keyword arguments are its ``[problem]`` config keys and flags
#: (``--problem.KEY``); a plug-in registers its own with ``@PROBLEMS.register("name")`` on a function
#: returning a :class:`Problem`.
PROBLEMS: Registry[Problem] = Registry("problem")
PROBLEMS.register("quadratic")(quadratic)
PROBLEMS.register("least_squares", aliases=("least-squares",))(least_squares)
