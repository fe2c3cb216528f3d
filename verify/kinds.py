r"""Checks that are not one simulation against one statement.

* :class:`OrderCheck`: an order-level claim ([O]) as a **fitted exponent**. A quantity (e.g. the
  limit variance, mean of F(w_k) - F_* over the second half of the run) is measured at several
  values of a parameter x (e.g. 1 + omega_dwn); the slope of log(mean) against log(x) is fitted
  by weighted least squares (weights from each point's standard error, runs independent across
  points) with a normal interval at the suite's per-comparison level. An order claim fixes an
  exponent, not its constants, and a finite range bends the curve, so the verdict compares the
  interval with the claimed exponent widened by :data:`ORDER_TOL`: *holds* if they meet.
* :class:`ParticipationCheck`: THEORY.md 7.8, the server's aggregate with partial participation
  (redraw while nobody is active) is unbiased given the messages: a zero-mean check.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from boundlab.verify import stats

#: Tolerance on a claimed exponent: the claim "grows like x^a" is met by a fitted slope within a +- 0.2
#: (over a decade of x, a curve x^a (1 + c/x) with c of order 1 bends the fitted slope by about 0.1-0.2).
ORDER_TOL = 0.2


def judge_order(m, level: float) -> dict:
    v = m.values
    x, mean, se = (np.asarray(v[k], dtype=float) for k in ("x", "mean", "se"))
    y, sy = np.log(mean), se / mean
    w = 1.0 / sy**2
    X = np.stack([np.ones_like(y), np.log(x)], axis=1)
    cov = np.linalg.inv(X.T @ (X * w[:, None]))
    beta = cov @ (X.T @ (w * y))
    slope, s_se = float(beta[1]), float(math.sqrt(cov[1, 1]))
    # Lack of fit beyond the points' own errors inflates the interval (a standard WLS correction).
    resid = y - X @ beta
    dof = max(len(y) - 2, 1)
    chi2 = float(np.sum(w * resid**2)) / dof
    s_se *= math.sqrt(max(chi2, 1.0))
    from scipy import stats as st
    q = float(st.norm.ppf(1 - level / 2))
    iv = stats.Interval(slope, slope - q * s_se, slope + q * s_se, 1 - level)
    claimed = float(v["claimed"])
    meets = iv.low <= claimed + ORDER_TOL and iv.high >= claimed - ORDER_TOL
    return {"k": None, "measured": iv, "bound": claimed, "ratio": None,
            "verdict": "holds" if meets else "violated",
            "detail": f"fitted exponent {slope:.3f} [{iv.low:.3f}, {iv.high:.3f}] against the claimed {claimed:g} "
                      f"(+-{ORDER_TOL}); points: " + ", ".join(f"x={a:g}: {b:.4g}" for a, b in zip(x, mean))}


@dataclass(frozen=True)
class OrderCheck:
    """``quantity`` (mean over runs of a record averaged over checkpoints in the second half) of
    ``algorithm`` at each x of ``xs``, where ``params(x)`` gives the algorithm's parameters."""

    name: str
    result: str  # the [O] result whose exponent is claimed
    claimed: float
    algorithm: str
    params: Callable[[float], dict]
    xs: tuple[float, ...]
    problem: dict
    gamma: float
    runs: int
    iterations: int
    record: str = "excess_loss"
    note: str = ""
    role: str = "assert"
    kind: str = "order"
    seed_key: str | None = None

    def measure(self, seed: int):
        from boundlab.simulate import make_algorithm, quadratic, simulate
        from boundlab.verify.suite import CheckOutcome, Measurement

        K = self.iterations
        ks = list(range(K // 2, K + 1, max(1, K // 40)))
        means, ses, diverged = [], [], 0
        problem = quadratic(**self.problem, seed=seed)
        for j, x in enumerate(self.xs):
            algo = make_algorithm(self.algorithm, self.params(x))
            res = simulate(problem, algo, n_runs=self.runs, n_iter=K, gamma=self.gamma, seed=seed + 1 + j,
                           checkpoints_spec=ks, allow_large_step=True, progress=False, records=(self.record,))
            diverged += int(res.diverged.sum())
            col = np.isin(res.k, ks)
            per_run = res[self.record][:, col].mean(axis=1)[~res.diverged]
            means.append(float(per_run.mean()))
            ses.append(float(per_run.std(ddof=1) / math.sqrt(per_run.size)))
        m = Measurement(None, np.zeros(1), np.zeros(1), values={"x": self.xs, "mean": means, "se": ses,
                                                                "claimed": self.claimed})
        config = (f"{self.algorithm}, x in {list(self.xs)}, gamma={self.gamma:g}; R={self.runs}, K={K}; "
                  f"{self.record} averaged over k in [{K // 2}, {K}]" + (f" ({self.note})" if self.note else ""))
        return [CheckOutcome(self, config, "O", "order", [m], {}, diverged=diverged,
                             role=self.role)]

    def cost(self) -> float:
        return self.runs * self.iterations * self.problem["N"] * self.problem["d"] * len(self.xs)


@dataclass(frozen=True)
class ParticipationCheck:
    """THEORY.md 7.8: with each worker active w.p. p and the round redrawn while nobody is, the
    aggregate (theta/(pN)) sum_active g^i has mean (1/N) sum_i g^i given the messages."""

    name: str
    N: int
    p: float
    d: int
    draws: int
    note: str = ""
    role: str = "assert"
    kind: str = "zero"
    seed_key: str | None = None

    def measure(self, seed: int):
        from boundlab.simulate import quadratic
        from boundlab.simulate.algorithms import Context
        from boundlab.simulate.compressors import Identity
        from boundlab.simulate.rng import RunRNG
        from boundlab.verify.suite import CheckOutcome, Measurement

        prob = quadratic(N=self.N, d=self.d, L=1.0, mu=1.0, sigma=0.0, B2=1.0, seed=seed)
        ctx = Context(prob, RunRNG(seed, 0, self.draws), Identity(), Identity(), self.p)
        ctx.begin_iteration()
        g = prob.local_gradients(np.tile(prob.w0, (self.draws, 1)))     # fixed, distinct messages (R, N, d)
        agg = ctx.aggregate(g)
        target = g.mean(axis=1)
        u = target[0] / np.linalg.norm(target[0])
        proj = (agg - target) @ u / np.linalg.norm(target[0])           # relative error along the mean
        m = Measurement(None, proj, np.zeros(self.draws))
        config = (f"N={self.N}, p={self.p:g}, redraw while nobody is active, theta = 1-(1-p)^N = "
                  f"{1 - (1 - self.p) ** self.N:.4g}; {self.draws} rounds; <aggregate - mean, mean>/||mean||^2"
                  + (f" ({self.note})" if self.note else ""))
        return [CheckOutcome(self, config, "D", "zero", [m], {}, role=self.role)]

    def cost(self) -> float:
        return self.draws * self.N * self.d


@dataclass(frozen=True)
class ExactRecursionCheck:
    """Monte-Carlo records against an exact moment recursion, as equalities at each checkpoint (one row per record).

    ``exact``: ``"module:function"``, a function ``(problem, algorithm, gamma, n_iter) -> {record: (n_iter + 1,)}``
    (``boundlab.simulate.exact_decentralized:moments``, ``boundlab.simulate.exact_delayed:moments``); ``pairs``:
    (record, symbol, exact symbol) of ``result``'s statement, which is re-evaluated with the other pairs' symbols at 0
    (the statements are sums of such pairs); ``exact_params``: the parameters the recursion is computed for (a
    negative control gives other ones)."""

    name: str
    result: str
    algorithm: str
    params: dict
    problem: dict
    gamma: float
    runs: int
    iterations: int
    at: tuple[int, ...]
    exact: str
    pairs: tuple[tuple[str, str, str], ...]
    exact_params: dict | None = None
    control: bool = False
    note: str = ""
    kind: str = "equality"
    seed_key: str | None = None

    @property
    def role(self) -> str:
        return "control" if self.control else "assert"

    def measure(self, seed: int):
        import importlib

        from boundlab.simulate import make_algorithm, quadratic, simulate
        from boundlab.verify.suite import CheckOutcome, Measurement

        module, _, function = self.exact.partition(":")
        moments = getattr(importlib.import_module(module), function)
        problem = quadratic(**self.problem, seed=seed)
        res = simulate(problem, make_algorithm(self.algorithm, dict(self.params)), n_runs=self.runs,
                       n_iter=self.iterations, gamma=self.gamma, seed=seed, checkpoints_spec=list(self.at),
                       progress=False, records=tuple({record for record, _, _ in self.pairs}))
        ex = moments(problem, make_algorithm(self.algorithm, dict(self.exact_params or self.params)), self.gamma,
                     self.iterations)
        col = {int(k): j for j, k in enumerate(res.k)}
        ok = ~res.diverged
        zero = {s: 0.0 for _, sym, exact_sym in self.pairs for s in (sym, exact_sym)}
        out = []
        for k in self.at:
            for record, sym, exact_sym in self.pairs:
                v = res[record][ok, col[k]]
                m = Measurement(k, v, np.full(v.shape, ex[record][k]), result=self.result,
                                values={**zero, sym: v, exact_sym: float(ex[record][k])})
                m.lhs, m.rhs, m.innovation = m.sides()
                out.append(m)
        ops = ", ".join(f"{k}={v}" for k, v in self.params.items())
        config = (f"{self.algorithm} ({ops}); quadratic " + " ".join(f"{k}={v}" for k, v in self.problem.items())
                  + f"; gamma={self.gamma:g}; R={self.runs}, K={self.iterations}; rows: "
                  + ", ".join(r for r, _, _ in self.pairs) + " at each k" + (f" ({self.note})" if self.note else ""))
        return [CheckOutcome(self, config, "D", "equality", out, {"quadratic": True},
                             diverged=int(res.diverged.sum()), role=self.role, owners=(self.result,))]

    def cost(self) -> float:
        return self.runs * self.iterations * self.problem.get("N", 1) * self.problem.get("d", 1) * 3
