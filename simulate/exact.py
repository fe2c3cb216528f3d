r"""Exact expectations on quadratics: the algorithms as linear stochastic recursions of their state.

On a quadratic :math:`F_i(w)=\frac12(w-c_i)^\top A(w-c_i)` with additive noise of covariance
:math:`\frac{\sigma^2}{bd}I` (both of ``boundlab.simulate.quadratic``'s noises), an algorithm whose
compressors are *random masks* (identity, rand-k, Bernoulli-p: ``Compressor.mask_covariance``) is an
affine recursion of its stacked state driven by zero-mean innovations whose covariances are linear
in the state's second moment (THEORY-SEEDS.md 3). Its first and second moments
:math:`m=\mathbb Ey`, :math:`M=\mathbb E[yy^\top]` then follow a deterministic recursion, and every
record of the engine has an exact expectation: no Monte-Carlo error.

**Written independently of the Monte-Carlo update rules** (``boundlab.simulate.algorithms``), from
THEORY.md section 2 and the algorithms' docstrings: the two implementations check each other
(``tests/test_simulate_exact.py``: Monte Carlo = exact within its intervals, for every covered
algorithm). Each program below states the linear maps of one iteration in its docstring.

The state. Model-space blocks are centred at :math:`w_*`: ``w`` (:math:`w-w_*`), ``wh<g>``
(:math:`\widehat w^g-w_*`), ``H<g>`` (downlink memories), ``s`` (the running weighted sum
:math:`\sum_k\lambda_k(w_{k-1}-w_*)`); gradient-space blocks are not: ``g`` (the aggregate
:math:`\widehat g_k` of the current iteration), ``h<i>`` (uplink memories), ``e<i>`` (uplink
error-feedback buffers), ``E`` (the downlink error-feedback buffer). Worker i's stochastic gradient
at x is :math:`A(x-w_*)+a_i+\xi_i` with :math:`a_i=-A(c_i-w_*)` (:math:`\sum_ia_i=0`).

One iteration is a sequence of sub-steps :math:`y\leftarrow Fy+q+\sum_rG_r\eta_r`, each innovation
:math:`\eta_r` zero-mean given everything drawn before it, with covariance computed from the
moments before the sub-step: sampling noise :math:`\frac{\sigma^2}{bd}I`, a mask's error
:math:`\Gamma\odot\mathbb E[zz^\top]` for its input z, the participation mask's error on the
aggregate. Then :math:`m'=Fm+q` and
:math:`M'=FMF^\top+Fmq^\top+qm^\top F^\top+qq^\top+\sum_rG_r\Sigma_rG_r^\top`.

Covered: SGD, QSGD, ECQ-SGD and Diana with mask operators, Artemis, Dore, Double-Squeeze (with the
project's scaled error feedback), Ghost, update compression, MCM (plain and memory uplink, any
``memory_offset``), model compression, model-difference compression, Rand-MCM-G, Rand-MCM and
Rand-MCM with reset; homogeneous or heterogeneous workers; partial participation (the
redraw-when-empty mask, unbiased aggregate) with the plain uplink. Not covered, with one clear line:
s-quantization, top-k (not masks: their error covariance is not linear in the input's second
moment), partial participation with uplink memories or error feedback.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from boundlab.errors import BoundlabError
from boundlab.simulate.blas import pinned
from boundlab.simulate.algorithms import (Algorithm, ef_scale, participation_theta)
from boundlab.simulate.engine import RECORDS, checkpoints as resolve_checkpoints, resolve_gamma, step_sizes
from boundlab.simulate.problems import QuadraticProblem


class NotLinear(BoundlabError):
    """The algorithm or its operators have no exact moment recursion here."""


#: Records whose exact value is fixed by the recursion's own assumptions rather than propagated: E<w_hat - w,
#: Omega> = 0 because the masks are unbiased. A check of such a record on exact values could not fail.
BY_CONSTRUCTION = frozenset({"local_bias"})


@dataclass
class Moments:
    m: np.ndarray
    M: np.ndarray


class Layout:
    """Named blocks of d coordinates in the stacked state."""

    def __init__(self, names: Sequence[str], d: int):
        self.names, self.d = list(names), d
        self.index = {n: i for i, n in enumerate(self.names)}
        self.D = len(self.names) * d

    def sl(self, name: str) -> slice:
        i = self.index[name]
        return slice(i * self.d, (i + 1) * self.d)


Lin = list  # [(block name, coefficient: a number or a (d, d) matrix)]


def _apply_coef(c, x: np.ndarray) -> np.ndarray:
    return c * x if np.isscalar(c) else c @ x


class Propagator:
    """Moment maps of affine sub-steps on a :class:`Layout` (see the module docstring)."""

    def __init__(self, layout: Layout):
        self.L = layout

    # -- second moments of linear combinations of blocks ------------------------------------------
    def cross(self, mom: Moments, a: Lin, ca: np.ndarray | None, b: Lin, cb: np.ndarray | None) -> np.ndarray:
        """E[z_a z_b^T] for z = P y + c (P: the linear combination of blocks, c: a constant or None):
        P_a M P_b^T + (P_a m) c_b^T + c_a (P_b m)^T + c_a c_b^T."""
        d, L = self.L.d, self.L
        out = np.zeros((d, d))
        for na, Ca in a:
            for nb, Cb in b:
                blk = mom.M[L.sl(na), L.sl(nb)]
                left = Ca * blk if np.isscalar(Ca) else Ca @ blk
                out += left * Cb if np.isscalar(Cb) else left @ Cb.T
        if ca is not None or cb is not None:
            za, zb = self.mean(mom, a), self.mean(mom, b)          # P_a m, P_b m
            ca = np.zeros(d) if ca is None else ca
            cb = np.zeros(d) if cb is None else cb
            out += np.outer(za, cb) + np.outer(ca, zb) + np.outer(ca, cb)
        return out

    def mean(self, mom: Moments, a: Lin, c: np.ndarray | None = None) -> np.ndarray:
        out = np.zeros(self.L.d) if c is None else np.array(c, dtype=float)
        for n, C in a:
            out = out + _apply_coef(C, mom.m[self.L.sl(n)])
        return out

    def second(self, mom: Moments, a: Lin, c: np.ndarray | None = None) -> np.ndarray:
        return self.cross(mom, a, c, a, c)

    def sq(self, mom: Moments, a: Lin, c: np.ndarray | None = None) -> float:
        """E||z||^2."""
        return float(np.trace(self.second(mom, a, c)))

    # -- one sub-step ---------------------------------------------------------------------------
    def step(self, mom: Moments, rows: dict[str, Lin], consts: dict[str, np.ndarray] | None = None,
             innovations: Sequence[tuple[list[tuple[str, float]], np.ndarray]] = ()) -> Moments:
        """New blocks ``rows[name]`` = sum of coef x old blocks (+ ``consts[name]``); blocks not in ``rows``
        are unchanged; each innovation (targets [(block, scalar coef)], covariance) is added."""
        L, d = self.L, self.L.d
        # F = identity outside the rows of the blocks in ``rows``: only those rows of F M and columns of F M F^T
        # change (F_R: F's rows there), 2 D |R| D flops instead of 2 D^3.
        names = list(rows)
        R = np.concatenate([np.arange(L.D)[L.sl(n)] for n in names]) if names else np.zeros(0, dtype=int)
        F_R = np.zeros((len(R), L.D))
        for i, name in enumerate(names):
            r = slice(i * d, (i + 1) * d)
            for n, C in rows[name]:
                F_R[r, L.sl(n)] += C * np.eye(d) if np.isscalar(C) else C
        q = np.zeros(L.D)
        for name, c in (consts or {}).items():
            q[L.sl(name)] += c
        Fm = mom.m.copy()
        Fm[R] = F_R @ mom.m
        m = Fm + q
        FM = mom.M.copy()
        FM[R, :] = F_R @ mom.M
        M = FM.copy()
        M[:, R] = FM @ F_R.T
        if np.any(q):
            M += np.outer(Fm, q) + np.outer(q, Fm) + np.outer(q, q)
        for targets, cov in innovations:
            for na, ca in targets:
                for nb, cb in targets:
                    M[L.sl(na), L.sl(nb)] += (ca * cb) * cov
        return Moments(m, 0.5 * (M + M.T))


def _gamma_of(op, d: int, what: str) -> np.ndarray:
    G = op.mask_covariance(d)
    if G is None:
        raise NotLinear(f"{what}: '{op.spec}' is not a random mask (its error covariance is not linear in the input's "
                        "second moment), so it has no exact moment recursion; use rand-k, Bernoulli-p or identity")
    return G


@dataclass
class ExactResult:
    """Exact expectations of the engine's records at the checkpoints: ``records[name]`` is (len(k),)."""

    k: np.ndarray
    records: dict[str, np.ndarray]
    meta: dict = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.records[name]

    def to_frame(self):
        import pandas as pd
        return pd.DataFrame({"k": self.k, **self.records})


class Program:
    """The exact moment recursion of one algorithm on one quadratic problem."""

    def __init__(self, problem: QuadraticProblem, algorithm: Algorithm):
        if not isinstance(problem, QuadraticProblem):
            raise NotLinear("exact moments need a quadratic problem (boundlab.simulate.quadratic)")
        algorithm.setup(problem)
        self.p, self.a = problem, algorithm
        self.N, self.d = problem.N, problem.d
        A = problem.A
        self.A = np.diag(A) if A.ndim == 1 else np.asarray(A, dtype=float)
        self.w_star = problem.w_star
        self.a_i = -(problem.centres - self.w_star) @ self.A.T        # a_i = -A (c_i - w_*), (N, d)
        self.hetero = not problem.homogeneous
        self.noise = problem.sigma ** 2 / (problem.b * self.d) * np.eye(self.d)
        name = algorithm.name
        self.kind = {"sgd": "central", "qsgd": "central", "ecq-sgd": "central", "diana": "central",
                     "artemis": "artemis", "dore": "dore", "double-squeeze": "dore", "ghost": "ghost",
                     "update-compression": "update", "mcm": "mcm", "model-compression": "mcm",
                     "model-difference-compression": "mcm", "rand-mcm-g": "mcm", "rand-mcm": "mcm",
                     "rand-mcm-reset": "mcm"}.get(name)
        if self.kind is None:
            raise NotLinear(f"no exact moment recursion for algorithm '{name}'")
        self.uplink = algorithm.uplink
        if algorithm.uplink != "none":
            self.G_up = _gamma_of(algorithm.up, self.d, "algorithm.up")
        if algorithm.has_down:
            self.G_down = _gamma_of(algorithm.down, self.d, "algorithm.down")
        if algorithm.p < 1 and self.uplink not in ("plain", "none"):
            raise NotLinear("partial participation is covered with the plain uplink only (absent workers' memories or "
                            "error-feedback buffers would make the participation draw enter two places)")
        self.groups = getattr(algorithm, "G", 1) if self.kind == "mcm" else 1
        self.group_of = (getattr(algorithm, "group_of", np.zeros(self.N, dtype=int)) if self.kind == "mcm"
                         else np.zeros(self.N, dtype=int))
        self.n_g = np.bincount(self.group_of, minlength=self.groups)
        # Exchangeability: with homogeneous workers (and equal groups), every worker's buffer and every group's
        # memory has the same law, so one representative ("a") and the mean over all ("bar") carry every moment
        # the recursion needs; the other N - 1 workers' (G - 1 groups') innovations enter the mean only, with
        # N - 1 (G - 1) times the representative's covariance. The state then does not grow with N or G.
        self.reduced = (not self.hetero and len(set(self.n_g)) == 1 and (algorithm.p == 1 or self.groups == 1))
        names = ["w", "g", "s"]
        if self.kind == "mcm" and self.reduced and self.groups > 1:
            names += ["wh_a", "H_a", "wh_bar", "H_bar"]
        elif self.kind in ("mcm",):
            names += [f"wh{j}" for j in range(self.groups)] + [f"H{j}" for j in range(self.groups)]
        if self.kind in ("ghost", "update"):
            names += ["wh0"]
        if self.kind == "dore":
            names += ["E"]
        self.buffers = self.uplink in ("memory", "error_feedback")
        if self.buffers:
            letter = "h" if self.uplink == "memory" else "e"
            self.worker_buf = ([f"{letter}_a", f"{letter}_bar"] if self.reduced and self.N > 1
                               else [f"{letter}{i}" for i in range(self.N)])
            names += self.worker_buf
        self.layout = Layout(names, self.d)
        self.P = Propagator(self.layout)

    # -- structure --------------------------------------------------------------------------------
    @property
    def grouped_reduced(self) -> bool:
        return self.kind == "mcm" and self.reduced and self.groups > 1

    def point(self, i: int) -> str:
        """The block where worker i computes its gradient (in the reduced MCM-G state: the representative
        group's, for worker 0; the aggregate uses the mean block, see uplink_step)."""
        if self.grouped_reduced:
            return "wh_a"
        if self.kind in ("mcm",):
            return f"wh{self.group_of[i]}"
        if self.kind in ("ghost", "update"):
            return "wh0"
        return "w"

    def local_models(self) -> list[tuple[str, float]]:
        """(block, weight over workers) of the local models w_hat (the engine's mean over workers)."""
        if self.grouped_reduced:
            return [("wh_a", 1.0)]
        if self.kind == "mcm":
            return [(f"wh{j}", self.n_g[j] / self.N) for j in range(self.groups)]
        if self.kind in ("ghost", "update"):
            return [("wh0", 1.0)]
        return [("w", 1.0)]

    def init(self) -> Moments:
        L, d = self.layout, self.d
        y = np.zeros(L.D)
        w0 = self.p.w0 - self.w_star
        y[L.sl("w")] = w0
        for n in L.names:
            if n.startswith("wh"):
                y[L.sl(n)] = w0
            if n.startswith("H"):
                y[L.sl(n)] = -self.w_star if getattr(self.a, "_H0_zero", False) else w0
        mom = Moments(y, np.outer(y, y))
        r = getattr(self.a, "memory_offset", 0.0)
        if self.kind == "mcm" and r:  # one downlink round from H_{-1} = w_0 + r u (MCM.init_state)
            u = np.full(d, r / math.sqrt(d))
            alpha = self.a.alpha_dwn
            mom = self.P.step(mom, {"H0": [("w", 1.0)]}, {"H0": u})              # H_{-1}
            cov = self.G_down * self.P.second(mom, [("w", 1.0), ("H0", -1.0)])   # Omega_0 = w_0 - H_{-1}
            mom = self.P.step(mom, {"wh0": [("w", 1.0)], "H0": [("H0", 1 - alpha), ("w", alpha)]},
                              innovations=[([("wh0", 1.0), ("H0", alpha)], cov)])
        return mom

    # -- one iteration ------------------------------------------------------------------------------
    def uplink_step(self, mom: Moments, weight: float) -> tuple[Moments, dict]:
        r"""Sub-step 1: the aggregate :math:`\widehat g_k` into block ``g``, the workers' buffers, and the running
        sum :math:`s\leftarrow s+\lambda_k(w-w_*)`.

        * plain: :math:`\widehat g=\frac1N\sum_i(Ax_i+a_i)+\bar\xi+\bar e`, :math:`{\rm Cov}\,\bar\xi=\frac{\sigma^2}{Nbd}I`,
          :math:`{\rm Cov}\,\bar e=\frac1{N^2}\sum_i\Gamma_{\rm up}\odot(\mathbb E[z_iz_i^\top]+\frac{\sigma^2}{bd}I)`,
          :math:`z_i=Ax_i+a_i`; with participation :math:`p<1` one more innovation
          :math:`\frac1N\sum_i(D_i-1)\widehat g^i` with :math:`{\rm Cov}(D_i,D_j)=\theta-1` (:math:`i\ne j`),
          :math:`\theta/p-1` (:math:`i=j`), :math:`\theta=1-(1-p)^N`;
        * memory: :math:`\widehat g=\frac1N\sum_i(z_i+\xi_i+e_i)`, :math:`h_i'=(1-\alpha)h_i+\alpha(z_i+\xi_i+e_i)`,
          :math:`{\rm Cov}\,e_i=\Gamma_{\rm up}\odot(\mathbb E[(z_i-h_i)(z_i-h_i)^\top]+\frac{\sigma^2}{bd}I)`;
        * error feedback (factor :math:`\lambda`): :math:`v_i=z_i+\xi_i+e_i`, :math:`\widehat g=\frac\lambda N\sum_i(v_i+\epsilon_i)`,
          :math:`e_i'=(1-\lambda)v_i-\lambda\epsilon_i`, :math:`{\rm Cov}\,\epsilon_i=\Gamma_{\rm up}\odot(\mathbb E[(z_i+e_i)(\cdot)^\top]+\frac{\sigma^2}{bd}I)`.
        """
        A, N, P = self.A, self.N, self.P
        z = [([(self.point(i), A)], self.a_i[i] if self.hetero else None) for i in range(N)]
        rows: dict[str, Lin] = {"s": [("s", 1.0), ("w", weight)]}
        consts: dict[str, np.ndarray] = {}
        innov = []
        g_lin: Lin = []
        if self.grouped_reduced:
            g_lin = [("wh_bar", A)]                  # (1/N) sum_i A w_hat_{g(i)} = A (mean over equal groups)
        else:
            for i in range(N):
                g_lin += [(self.point(i), A / N)]
        up = self.uplink
        if self.buffers and self.worker_buf[0].endswith("_a"):
            return P.step(mom, *self._reduced_buffers(mom, rows, g_lin)), {}
        if up in ("plain", "none"):
            rows["g"] = g_lin
            innov.append(([("g", 1.0)], self.noise / N))
            if up == "plain" and np.any(self.G_up):
                cov = np.zeros((self.d, self.d))
                for i in range(N):
                    cov += self.G_up * (P.second(mom, *z[i]) + self.noise)
                innov.append(([("g", 1.0)], cov / N**2))
            if self.a.p < 1:
                innov.append(([("g", 1.0)], self._participation(mom, z)))
        elif up == "memory":
            alpha = self.a.alpha_up
            rows["g"] = list(g_lin)
            for i in range(N):
                h = f"h{i}"
                rows[h] = [(h, 1 - alpha), (self.point(i), alpha * A)]
                if self.hetero:
                    consts[h] = alpha * self.a_i[i]
                zi = [(self.point(i), A), (h, -1.0)]
                cov_e = self.G_up * (P.second(mom, zi, self.a_i[i] if self.hetero else None) + self.noise)
                innov.append(([(h, alpha), ("g", 1.0 / N)], self.noise))
                innov.append(([(h, alpha), ("g", 1.0 / N)], cov_e))
        else:  # error feedback
            lam = ef_scale(self.a.up, self.d)
            rows["g"] = [(n, lam * C) for n, C in g_lin] + [(f"e{i}", lam / N) for i in range(N)]
            for i in range(N):
                e = f"e{i}"
                rows[e] = [(self.point(i), (1 - lam) * A), (e, 1 - lam)]
                if self.hetero:
                    consts[e] = (1 - lam) * self.a_i[i]
                vi = [(self.point(i), A), (e, 1.0)]
                cov_eps = self.G_up * (P.second(mom, vi, self.a_i[i] if self.hetero else None) + self.noise)
                innov.append(([(e, 1 - lam), ("g", lam / N)], self.noise))
                innov.append(([(e, -lam), ("g", lam / N)], cov_eps))
        new = P.step(mom, rows, consts, innov)
        return new, {}

    def _reduced_buffers(self, mom: Moments, rows: dict, g_lin: Lin):
        """uplink_step for exchangeable workers with memories or error feedback: the representative worker a and
        the mean over workers; worker a's innovations enter its own buffer, the mean (1/N) and the aggregate
        (1/N); the other N - 1 workers' enter the mean and the aggregate with N - 1 times a's covariance."""
        A, N, P, x = self.A, self.N, self.P, self.point(0)
        buf_a, buf_bar = self.worker_buf
        innov = []
        if self.uplink == "memory":
            alpha = self.a.alpha_up
            rows["g"] = list(g_lin)
            for b in (buf_a, buf_bar):
                rows[b] = [(b, 1 - alpha), (x, alpha * A)]
            cov_e = self.G_up * (P.second(mom, [(x, A), (buf_a, -1.0)]) + self.noise)
            own = [(buf_a, alpha), (buf_bar, alpha / N), ("g", 1.0 / N)]
            rest = [(buf_bar, alpha / N), ("g", 1.0 / N)]
        else:
            lam = ef_scale(self.a.up, self.d)
            rows["g"] = [(n, lam * C) for n, C in g_lin] + [(buf_bar, lam)]
            for b in (buf_a, buf_bar):
                rows[b] = [(x, (1 - lam) * A), (b, 1 - lam)]
            cov_e = self.G_up * (P.second(mom, [(x, A), (buf_a, 1.0)]) + self.noise)
            own_xi = [(buf_a, 1 - lam), (buf_bar, (1 - lam) / N), ("g", lam / N)]
            rest_xi = [(buf_bar, (1 - lam) / N), ("g", lam / N)]
            own = [(buf_a, -lam), (buf_bar, -lam / N), ("g", lam / N)]
            rest = [(buf_bar, -lam / N), ("g", lam / N)]
            innov += [(own_xi, self.noise), (rest_xi, (N - 1) * self.noise)]
            return rows, {}, innov + [(own, cov_e), (rest, (N - 1) * cov_e)]
        innov += [(own, self.noise), (rest, (N - 1) * self.noise), (own, cov_e), (rest, (N - 1) * cov_e)]
        return rows, {}, innov

    def _participation(self, mom: Moments, z) -> np.ndarray:
        """Covariance of the aggregate's participation error (plain uplink; see uplink_step)."""
        P, N, p = self.P, self.N, self.a.p
        theta = participation_theta(p, N)
        own = np.zeros((self.d, self.d))       # sum_i E[ghat_i ghat_i^T]
        zz = np.zeros((self.d, self.d))        # sum_i E[z_i z_i^T]
        for i in range(N):
            s = P.second(mom, *z[i])
            zz += s
            gg = s + self.noise
            own += gg + (self.G_up * gg if self.uplink == "plain" else 0.0)
        total: Lin = []                          # sum_i z_i
        for i in range(N):
            total += z[i][0]
        c = self.a_i.sum(axis=0) if self.hetero else None
        pair = P.second(mom, total, c) - zz      # sum_{i != j} E[z_i z_j^T]
        return ((theta / p - 1.0) * own + (theta - 1.0) * pair) / N**2

    def server_step(self, mom: Moments, gamma: float, k: int) -> tuple[Moments, dict]:
        r"""Sub-step 2: the server and the downlink, reading :math:`\widehat g_k` from block ``g``.

        * centralised (SGD, QSGD, ECQ-SGD, Diana): :math:`w'=w-\gamma\widehat g`;
        * Artemis: :math:`w'=w-\gamma(\widehat g+e_d)`, :math:`{\rm Cov}\,e_d=\Gamma_{\rm dwn}\odot\mathbb E[\widehat g\widehat g^\top]`;
        * Dore, Double-Squeeze (factor :math:`\lambda`): :math:`u=\widehat g+E`, :math:`c=\lambda(u+e_d)`, :math:`E'=u-c`,
          :math:`w'=w-\gamma c`, :math:`{\rm Cov}\,e_d=\Gamma_{\rm dwn}\odot\mathbb E[uu^\top]`;
        * Ghost: :math:`\widehat w'=w-\gamma(\widehat g+e_d)`, :math:`w'=w-\gamma\widehat g`; update compression:
          :math:`\widehat w'=\widehat w-\gamma(\widehat g+e_d)`;
        * MCM family: :math:`w'=w-\gamma\widehat g`, then per group :math:`\Omega_g=w'-H_g`,
          :math:`\widehat w_g'=w'+e_g`, :math:`H_g'=(1-\alpha)H_g+\alpha w'+\alpha e_g`,
          :math:`{\rm Cov}\,e_g=\Gamma_{\rm dwn}\odot\mathbb E[\Omega_g\Omega_g^\top]`; a reset sets every :math:`H_g` to their mean.
        """
        P, kind = self.P, self.kind
        extra: dict = {}
        if kind == "central":
            return P.step(mom, {"w": [("w", 1.0), ("g", -gamma)]}), extra
        if kind == "artemis":
            cov = self.G_down * P.second(mom, [("g", 1.0)])
            return P.step(mom, {"w": [("w", 1.0), ("g", -gamma)]}, innovations=[([("w", -gamma)], cov)]), extra
        if kind == "dore":
            lam = ef_scale(self.a.down, self.d)
            cov = self.G_down * P.second(mom, [("g", 1.0), ("E", 1.0)])
            return P.step(mom, {"w": [("w", 1.0), ("g", -gamma * lam), ("E", -gamma * lam)],
                                "E": [("g", 1 - lam), ("E", 1 - lam)]},
                          innovations=[([("w", -gamma * lam), ("E", -lam)], cov)]), extra
        if kind in ("ghost", "update"):
            cov = self.G_down * P.second(mom, [("g", 1.0)])
            base = "w" if kind == "ghost" else "wh0"
            return P.step(mom, {"w": [("w", 1.0), ("g", -gamma)], "wh0": [(base, 1.0), ("g", -gamma)]},
                          innovations=[([("wh0", -gamma)], cov)]), extra
        # MCM family
        mom = P.step(mom, {"w": [("w", 1.0), ("g", -gamma)]})
        alpha = self.a.alpha_dwn
        if self.grouped_reduced:  # representative group a and the mean over the G (exchangeable) groups
            G = self.groups
            second = P.second(mom, [("w", 1.0), ("H_a", -1.0)])
            extra["upsilon"] = float(np.trace(second))
            cov = self.G_down * second
            rows = {"wh_a": [("w", 1.0)], "wh_bar": [("w", 1.0)],
                    "H_a": [("H_a", 1 - alpha), ("w", alpha)], "H_bar": [("H_bar", 1 - alpha), ("w", alpha)]}
            own = [("wh_a", 1.0), ("H_a", alpha), ("wh_bar", 1.0 / G), ("H_bar", alpha / G)]
            rest = [("wh_bar", 1.0 / G), ("H_bar", alpha / G)]
            mom = P.step(mom, rows, innovations=[(own, cov), (rest, (G - 1) * cov)])
            T = getattr(self.a, "reset_period", None)
            if T and k % T == 0:
                mom = P.step(mom, {"H_a": [("H_bar", 1.0)]})
            return mom, extra
        rows, innov = {}, []
        ups = 0.0
        for j in range(self.groups):
            omega = [("w", 1.0), (f"H{j}", -1.0)]
            second = P.second(mom, omega)
            ups += self.n_g[j] / self.N * float(np.trace(second))
            rows[f"wh{j}"] = [("w", 1.0)]
            rows[f"H{j}"] = [(f"H{j}", 1 - alpha), ("w", alpha)]
            innov.append(([(f"wh{j}", 1.0), (f"H{j}", alpha)], self.G_down * second))
        extra["upsilon"] = ups
        mom = P.step(mom, rows, innovations=innov)
        T = getattr(self.a, "reset_period", None)
        if T and k % T == 0:
            mean = [(f"H{j}", 1.0 / self.groups) for j in range(self.groups)]
            mom = P.step(mom, {f"H{j}": mean for j in range(self.groups)})
        return mom, extra

    # -- records ------------------------------------------------------------------------------------
    def loss(self, mom: Moments, lin: Lin) -> float:
        """E[F(x) - F_*] = E[(x - w_*)^T A (x - w_*)]/2 for x - w_* = the linear combination."""
        S = self.P.second(mom, lin)
        return 0.5 * float(np.sum(self.A * S))

    def pre_records(self, mom: Moments, gamma: float) -> dict:
        """Records read before the step k (at w_{k-1}, w_hat_{k-1})."""
        A, P = self.A, self.P
        models = self.local_models()
        out = {"grad2_hat": sum(wt * P.sq(mom, [(n, A)]) for n, wt in models),
               "excess_loss_hat": sum(wt * self.loss(mom, [(n, 1.0)]) for n, wt in models),
               "down_noise2": P.sq(mom, ([("wh_bar", A)] if self.grouped_reduced else
                                         [(n, wt * A) for n, wt in models]) + [("w", -A)]),
               "contracted_dist2": P.sq(mom, [("w", np.eye(self.d) - gamma * A)])}
        return out

    def post_records(self, mom: Moments, weights_sum: float, k: int) -> dict:
        P = self.P
        models = self.local_models()
        out = {"excess_loss": self.loss(mom, [("w", 1.0)]), "dist2": P.sq(mom, [("w", 1.0)]),
               "local_gap2": sum(wt * P.sq(mom, [("w", 1.0), (n, -1.0)]) for n, wt in models)
               if self.kind not in ("central", "artemis", "dore") else 0.0,
               "excess_loss_avg": (self.loss(mom, [("s", 1.0 / weights_sum)]) if k else
                                   self.loss(mom, [("w", 1.0)]))}
        if self.kind == "mcm":
            out["memory_residual2"] = (P.sq(mom, [("w", 1.0), ("H_a", -1.0)]) if self.grouped_reduced else
                                       sum(self.n_g[j] / self.N * P.sq(mom, [("w", 1.0), (f"H{j}", -1.0)])
                                           for j in range(self.groups)))
            out["local_bias"] = 0.0  # E<e_g, Omega_g> = 0: the mask is unbiased given Omega_g (BY_CONSTRUCTION)
        return out

    def run(self, n_iter: int, gamma: "float | str | None" = None, schedule="constant",
            checkpoints_spec="all", average_weights: np.ndarray | None = None) -> ExactResult:
        """Exact expectations of the engine's records (``boundlab.simulate.simulate``'s arguments)."""
        g0, bound = resolve_gamma(self.a, self.p, gamma, allow_large_step=True)
        gammas = step_sizes(g0, schedule, n_iter)
        ks = resolve_checkpoints(checkpoints_spec, n_iter)
        want = set(int(x) for x in ks)
        rec = {n: np.full(len(ks), np.nan) for n in RECORDS}
        col = {int(x): j for j, x in enumerate(ks)}
        mom = self.init()
        wsum = 0.0
        first = self.post_records(mom, 1.0, 0)
        for n, v in first.items():
            if n not in ("memory_residual2", "local_bias"):  # (the engine records these from k = 1 on)
                rec[n][col[0]] = v
        if self.kind == "mcm":
            rec["upsilon"][col[0]] = (self.P.sq(mom, [("w", 1.0), ("H_a", -1.0)]) if self.grouped_reduced else
                                      sum(self.n_g[j] / self.N * self.P.sq(mom, [("w", 1.0), (f"H{j}", -1.0)])
                                          for j in range(self.groups)))
            # (with a memory offset the engine records Upsilon_0 = ||w_0 - H_{-1}||^2 = r^2)
            if getattr(self.a, "memory_offset", 0.0):
                rec["upsilon"][col[0]] = self.a.memory_offset ** 2
        for k in range(1, n_iter + 1):
            gamma_k = float(gammas[k - 1])
            lam = 1.0 if average_weights is None else float(average_weights[k - 1])
            wsum += lam
            pre = self.pre_records(mom, gamma_k) if k in want else None
            mom, _ = self.uplink_step(mom, lam)
            if k in want:
                pre["ghat2"] = self.P.sq(mom, [("g", 1.0)])
                pre["zeta2"] = self.P.sq(mom, [("g", 1.0), ("w", -self.A)])     # g_hat_k - grad F(w_{k-1})
            mom, extra = self.server_step(mom, gamma_k, k)
            if k in want:
                j = col[k]
                for n, v in {**pre, **extra, **self.post_records(mom, wsum, k)}.items():
                    rec[n][j] = v
            if not np.all(np.isfinite(mom.M)):
                break
        return ExactResult(ks, rec, {"gamma": g0, "gamma_bound": bound, "state_dimension": self.layout.D,
                                     "blocks": self.layout.names})


@pinned  # BLAS on one thread: the same bits whatever the machine's cores (boundlab.simulate.blas)
def spectral_radius(problem: QuadraticProblem, algorithm: Algorithm, gamma: float, v0: np.ndarray | None = None,
                    vector: bool = False, tol: float = 1e-10):
    r"""The mean-square growth factor per iteration: the spectral radius of the second-moment map without its
    affine inputs (no noise, no heterogeneity offsets; THEORY-SEEDS.md 3.4), by Arnoldi iteration
    (``scipy.sparse.linalg.eigs``) on the map itself acting on :math:`{\rm vec}\,M`. The second moment stays
    bounded for every start iff the result is below 1. (The running-sum block, which feeds nothing back, is left
    out; with a reset period the map of one iteration is used, i.e. the reset is ignored.) ``v0``: the start vector
    (default vec of the identity; a nearby step's eigenvector, ``vector=True`` returns it, saves iterations);
    ``tol``: Arnoldi's relative tolerance on the eigenvalue."""
    from scipy.sparse.linalg import LinearOperator, eigs

    quiet = QuadraticProblem(problem.A, np.tile(problem.w_star, (problem.N, 1)), 0.0, problem.b, problem.noise,
                             problem.w_star.copy())
    prog = Program(quiet, algorithm)
    D = prog.layout.D
    keep = np.ones(D, dtype=bool)
    keep[prog.layout.sl("s")] = False
    n = int(keep.sum())
    idx = np.flatnonzero(keep)
    zero = np.zeros(D)

    def apply(v: np.ndarray) -> np.ndarray:
        M = np.zeros((D, D))
        M[np.ix_(idx, idx)] = np.real(v).reshape(n, n)
        mom = Moments(zero, M)
        with np.errstate(all="ignore"):
            mom, _ = prog.uplink_step(mom, 0.0)
            mom, _ = prog.server_step(mom, gamma, 1)
        return mom.M[np.ix_(idx, idx)].ravel()

    op = LinearOperator((n * n, n * n), matvec=apply, dtype=float)
    start = np.eye(n).ravel() if v0 is None else v0
    try:
        vals, vecs = eigs(op, k=1, which="LM", v0=start, tol=tol, maxiter=5000)
    except Exception as err:  # ArpackNoConvergence and friends: say so rather than guess
        raise BoundlabError(f"spectral radius at gamma = {gamma:g}: Arnoldi did not converge ({err})") from None
    rho = float(np.max(np.abs(vals)))
    return (rho, np.real(vecs[:, int(np.argmax(np.abs(vals)))])) if vector else rho


def mean_square_edge(problem: QuadraticProblem, make, lo: float, hi: float, rel: float = 1e-3) -> float:
    """The step where the spectral radius crosses 1, between ``lo``, stable, and ``hi``, unstable (the geometric
    middle of a bracket of ratio ``1 + rel``, :func:`boundlab.simulate.spectral.bracket_crossing`; each evaluation
    starts Arnoldi from the previous one's eigenvector; ``make()`` builds a fresh algorithm). NaN if the bracket
    does not hold."""
    from boundlab.simulate.spectral import bracket_crossing
    start = None                     # the previous evaluation's eigenvector

    def f(g: float) -> float:
        nonlocal start
        # tol 1e-7 on rho moves the crossing by about 1e-7 / (d log rho / d log gamma) in log gamma, and that slope
        # is at least 0.04 near the edges of boundlab.verify.edge (measured): 2.5e-6, far inside rel = 1e-3
        rho, start = spectral_radius(problem, make(), g, v0=start, vector=True, tol=1e-7)
        return math.log(rho) if rho > 0 else -math.inf

    f_lo, f_hi = f(lo), f(hi)
    if not (f_lo < 0 <= f_hi):
        return math.nan
    a, b = bracket_crossing(f, lo, hi, rel, f_lo, f_hi)
    return math.sqrt(a * b)


@pinned  # BLAS on one thread: the same bits whatever the machine's cores (boundlab.simulate.blas)
def exact(problem: QuadraticProblem, algorithm: Algorithm, *, n_iter: int, gamma=None, schedule="constant",
          checkpoints_spec="all", average_weights=None) -> ExactResult:
    """Exact expectations of every record of ``simulate(problem, algorithm, ...)`` (same arguments)."""
    return Program(problem, algorithm).run(n_iter, gamma, schedule, checkpoints_spec, average_weights)
