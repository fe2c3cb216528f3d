r"""The step-size edge: where MCM's recursion first fails and where MCM, Artemis and Dore diverge,
against omega = omega_up = omega_dwn, with the fitted exponent set against the table's claims.

The rate table claims L gamma_max ~ omega^-3/2 for MCM and omega^-2 for the degraded algorithms
(Artemis, Dore) when omega_up = omega_dwn = omega. Those are *sufficient* steps; this measures the
empirical counterparts on one noiseless quadratic (N = 1, d = 20, L = 1, mu = 0.1, sigma = 0,
||w_0 - w_*|| = 1), Bernoulli operators both ways (omega exactly (1 - p)/p), for omega in
1..32:

* the **divergence edge**: the smallest step gamma_theory * 2^(j/4) at which the median over runs of
  ||w_K - w_*||^2 / ||w_0 - w_*||^2 exceeds 1 after K = 200 iterations (the typical run moves away:
  an almost-sure edge; mean-square divergence sets in earlier, and the sample mean cannot see it
  reliably, which is why the median is used);
* the **mean-square edge**, exact: where the spectral radius of the second-moment map crosses 1
  (``boundlab.simulate.exact.mean_square_edge``; the sample mean cannot see it reliably, the exact
  recursion can);
* for MCM, the **recursion edge**: the smallest step gamma_theory * 2^(j/2) at which Theorem 7's
  recursion is violated at some checkpoint, on the same runs (paired statistics, level 1e-4 per test).

The divergence edge is known within the grid's factor 2^(1/4) (the recursion edge within 2^(1/2)),
the mean-square edge to 0.1%; exponents are fitted by least squares on log-log. The check's verdict
compares the exact mean-square edge's exponent with the claim: a *finding* (never fails the run),
since the claims are about the theory's sufficient step, which may scale differently from the
algorithm's real edge.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

OMEGAS = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
CLAIMED = {"mcm": -1.5, "artemis": -2.0, "dore": -2.0}
# N = 1: the table's rows drop N (omega_up/N = omega_up), so its exponents are those of one worker.
PROBLEM = {"N": 1, "d": 20, "L": 1.0, "mu": 0.1, "sigma": 0.0, "b": 1, "w0": 1.0}
GRID = 2.0 ** 0.25  # resolution of the scan
LEVEL = 1e-4  # per recursion test (at most ~300 tests per algorithm)


def scan(algorithm: str, omega: float, seed: int, runs: int = 100, K: int = 200, max_steps: int = 120) -> dict:
    """Edges of ``algorithm`` at one omega: {gamma_theory, gamma_recursion, gamma_divergence}."""
    from boundlab.simulate import make_algorithm, quadratic, simulate
    from boundlab.theory import get
    from boundlab.verify import stats
    from boundlab.verify.checks import bind, constants_of, needed_symbols

    problem = quadratic(**PROBLEM, seed=seed)
    op = f"bernoulli:p={1.0 / (1.0 + omega)!r}"
    algo = make_algorithm(algorithm, {"up": op, "down": op})
    algo.setup(problem)
    g_theory = float(algo.gamma_bound(problem))
    ks = (1, 2, 5, 10, 20, 50, 100, 200)
    ks = tuple(k for k in ks if k <= K)
    out = {"algorithm": algorithm, "omega": omega, "gamma_theory": g_theory, "gamma_recursion": math.nan,
           "gamma_divergence": math.nan}
    needed = needed_symbols("thm7")

    def run(gamma: float, j: int):
        res = simulate(problem, algo, n_runs=runs, n_iter=K, gamma=gamma, seed=seed + j,
                       checkpoints_spec=sorted({0, *ks, *(k - 1 for k in ks)}), allow_large_step=True,
                       progress=False)
        d2 = res["dist2"][:, -1] / res["dist2"][:, 0]
        return res, float(np.nanmedian(np.where(np.isfinite(d2), d2, np.inf)))

    # Coarse steps of GRID^2 (the recursion edge's resolution), then one refinement at GRID for divergence.
    for j in range(0, max_steps, 2):
        gamma = g_theory * GRID**j
        res, ratio = run(gamma, j)
        if algorithm == "mcm" and math.isnan(out["gamma_recursion"]):
            ok = ~res.diverged
            consts = constants_of(problem, algo, gamma)
            for k in ks:
                vals = {**{n: v for n, v in consts.items() if n in needed}, **bind(res, k, needed)}
                vals = {n: (v[ok] if isinstance(v, np.ndarray) else v) for n, v in vals.items()}
                if int(ok.sum()) < 2:
                    break
                e = get("thm7").evaluate(**vals)
                diff = np.broadcast_to(e.lhs - e.value, (int(ok.sum()),))
                if np.all(np.isfinite(diff)) and stats.upper_verdict(diff, LEVEL)[0] == "violated":
                    out["gamma_recursion"] = gamma
                    break
            if res.diverged.any() and math.isnan(out["gamma_recursion"]):
                out["gamma_recursion"] = gamma     # runs overflow: the recursion cannot hold there either
        if ratio > 1.0:
            below = g_theory * GRID ** (j - 1)
            out["gamma_divergence"] = below if j and run(below, j - 1)[1] > 1.0 else gamma
            break
    # The exact mean-square edge (boundlab.simulate.exact: spectral radius of the second-moment map = 1).
    from boundlab.simulate.exact import mean_square_edge
    top = out["gamma_divergence"] if math.isfinite(out["gamma_divergence"]) else g_theory * GRID**max_steps
    out["gamma_mean_square"] = mean_square_edge(problem, lambda: make_algorithm(algorithm, {"up": op, "down": op}),
                                                g_theory / 4, 2 * top)
    return out


def fit_exponent(omegas, gammas) -> tuple[float, float]:
    """Least-squares slope of log gamma on log omega and its standard error (grid resolution as the floor)."""
    x, y = np.log(np.asarray(omegas, float)), np.log(np.asarray(gammas, float))
    keep = np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(y) < 3:
        return math.nan, math.nan
    X = np.stack([np.ones_like(x), x], axis=1)
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    sd_grid = math.log(GRID) / math.sqrt(12)  # uniform error within one grid cell
    s2 = max(float(resid @ resid) / max(len(y) - 2, 1), sd_grid**2)
    cov = s2 * np.linalg.inv(X.T @ X)
    return float(beta[1]), float(math.sqrt(cov[1, 1]))


@dataclass(frozen=True)
class EdgeCheck:
    name: str
    algorithm: str
    omegas: tuple[float, ...] = OMEGAS
    runs: int = 100
    iterations: int = 200
    role: str = "finding"
    kind: str = "order"
    seed_key: str | None = "step-size edge"

    def measure(self, seed: int):
        from boundlab.verify.suite import CheckOutcome, Measurement

        rows = [scan(self.algorithm, w, seed, self.runs, self.iterations) for w in self.omegas]
        # The verdict uses the exact mean-square edge (bisection to 0.1%): no Monte-Carlo error; the points'
        # error is that resolution, and the fit's lack of fit inflates the interval (kinds.judge_order).
        ms = [r["gamma_mean_square"] for r in rows]
        m = Measurement(None, np.zeros(1), np.zeros(1), values={
            "x": self.omegas, "mean": ms, "se": [1e-3 * g for g in ms], "claimed": CLAIMED[self.algorithm],
            "table": rows})
        fits = {what: fit_exponent(self.omegas, [r[f"gamma_{what}"] for r in rows])
                for what in ("theory", "recursion", "mean_square", "divergence")}
        exps = ", ".join(f"{what} {a:.2f} +- {se:.2f}" for what, (a, se) in fits.items() if math.isfinite(a))
        config = (f"{self.algorithm}, Bernoulli both ways, omega in {list(self.omegas)}; noiseless quadratic N=1 "
                  f"d=20 mu=0.1; R={self.runs}, K={self.iterations}; divergence edge: median ||w_K - w_*||^2 > "
                  f"||w_0 - w_*||^2; steps gamma_theory x 2^(j/4). Fitted exponents (slope, standard error): {exps}. "
                  "Edges: " + "; ".join(
                      f"omega={r['omega']:g}: theory {r['gamma_theory']:.3g}, mean-square {r['gamma_mean_square']:.3g}, "
                      f"divergence {r['gamma_divergence']:.3g}"
                      + (f", recursion {r['gamma_recursion']:.3g}" if self.algorithm == "mcm" else "") for r in rows))
        return [CheckOutcome(self, config, "O", "order", [m], {}, role=self.role)]

    def cost(self) -> float:
        return 30.0 * self.runs * self.iterations * PROBLEM["N"] * PROBLEM["d"] * len(self.omegas)


def edges_frame(report):
    """The edges of every EdgeCheck of a verify report, one row per (algorithm, omega)."""
    import pandas as pd

    rows = [r for o in report.outcomes if isinstance(o.check, EdgeCheck) for m in o.measurements
            for r in m.values["table"]]
    return pd.DataFrame(rows)
