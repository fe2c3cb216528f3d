"""The decentralized checks (THEORY-SEEDS.md §4.5): replica exactness, DCD's and naive compression's one-step
identities, DCD's second moments against the exact recursion, compressed gossip's decay and exact threshold against
the sufficient condition, ECD's estimate error with a subtractive dither, and the O(1/sqrt(nT)) claim as fitted
exponents.

Problems: the heterogeneous quadratics of THEORY-SEEDS.md §2 (``boundlab.simulate.quadratic`` with B2 > 0: a
shared A, centres b_i, Gaussian noise), diagonal A (``rotate = False``) with spectrum in [mu, L].
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from boundlab.verify.checks import Check, Setting
from boundlab.verify.kinds import ExactRecursionCheck

# n = 5 nodes (ring: rho_c = 0.539, beta = 1.206), d = 4, spectrum linear in [0.5, 2], heterogeneous centres.
RING5 = {"N": 5, "d": 4, "L": 2.0, "mu": 0.5, "B2": 1.0, "sigma": 0.4, "rotate": False, "w0": 1.0}
RK3, RK2 = "randk:k=3", "randk:k=2"      # d = 4: omega = 1/3 and 1 (A1 with equality)


def dcd_moment_check(name: str, algorithm: str, params: dict, problem: dict, gamma: float, runs: int,
                     iterations: int, at: tuple[int, ...], **kw) -> ExactRecursionCheck:
    """D4: the Monte-Carlo consensus error and distance of the average against the exact moment recursion
    (:mod:`boundlab.simulate.exact_decentralized`), two equality rows per checkpoint."""
    return ExactRecursionCheck(name, "dcd_moments", algorithm, params, problem, gamma, runs, iterations, at,
                               "boundlab.simulate.exact_decentralized:moments",
                               (("consensus2", "consensus2", "consensus2_exact"), ("dist2", "dist2", "dist2_exact")),
                               **kw)


@dataclass(frozen=True)
class GossipThresholdCheck:
    """D5: the exact threshold omega* of mean-square compressed gossip (Bernoulli-p per coordinate) against the
    sufficient condition (1 - rho_c^2)/beta^2, which must be below it (exact, no statistics); the ratio says how
    conservative it is. The unverified recollection [M2] is shown in the detail, not judged."""

    name: str
    graph: str
    n: int
    kind: str = "upper"
    role: str = "assert"
    result: str = "gossip_sufficient"
    algorithm: str = "dcd-psgd"      # DCD's update at gamma = 0 is the compressed gossip
    seed_key: str | None = None

    def measure(self, seed: int):
        from boundlab.simulate.exact_decentralized import threshold_table
        from boundlab.verify.suite import CheckOutcome, Measurement

        row = threshold_table([(self.graph, self.n)])[0]
        values = {"rho_contraction": row["rho_contraction"], "beta_mixing": row["beta"]}
        # tol 1e-5: omega* comes from a bisection to 1e-6 relative; on the 3x3 torus the sufficient condition is
        # exactly omega*/2, so a perturbation x2 lands on the threshold itself and must not count as seen
        m = Measurement(None, np.zeros(1), np.array([row["omega_star"]]), exact=True, result=self.result,
                        values=values, definition_side="lhs", tol=1e-5)   # the sufficient condition, re-evaluable
        m.lhs, m.rhs, _ = m.sides()
        config = (f"{self.graph}, n={self.n}, Metropolis weights: rho_c={row['rho_contraction']:.4f}, "
                  f"beta={row['beta']:.4f}; exact omega*={row['omega_star']:.4f} (spectral radius of the consensus "
                  f"moment map = 1), sufficient [D] {row['sufficient_D']:.4f} ({row['sufficient_over_exact']:.3f} of "
                  f"omega*), unverified recollection [M2] {row['recollection_M2']:.4g}")
        return [CheckOutcome(self, config, "D", "upper", [m], {}, role=self.role, owners=(self.result,))]

    def cost(self) -> float:
        return float(self.n**4)


@dataclass(frozen=True)
class GossipRateCheck:
    """D4 and D5 against each other (exact, no statistics): the per-step decay of the consensus second moment of
    compressed gossip (gamma = 0, Bernoulli-p) from the full recursion over many steps equals the spectral radius of
    the one-coordinate map L_omega."""

    name: str
    graph: str
    n: int
    p: float
    kind: str = "equality"
    role: str = "assert"
    result: str = "dcd_moments"
    algorithm: str = "dcd-psgd"
    seed_key: str | None = None

    def measure(self, seed: int):
        from boundlab.simulate import make_algorithm, quadratic
        from boundlab.simulate.exact_decentralized import gossip_rate, moments
        from boundlab.verify.suite import CheckOutcome, Measurement

        problem = quadratic(N=self.n, d=3, L=1.0, mu=1.0, B2=1.0, sigma=0.0, rotate=False, w0=0.0, seed=seed)
        algo = make_algorithm("dcd-psgd", {"compressor": f"bernoulli:p={self.p!r}", "graph": self.graph,
                                           "init_spread": 1.0})
        # The decay over a window of 50 steps [t0, t0 + 50], as late as the recursion's rounding floor allows
        # (~1e-32 relative: keep c >= 1e-18 c_0), so that the subdominant modes (ratio <= 0.85 here) have died out.
        cons = moments(problem, algo, 0.0, 300)["consensus2"]
        t0 = max(t for t in range(0, 251) if cons[t + 50] >= 1e-18 * cons[0])
        decay = float((cons[t0 + 50] / cons[t0]) ** (1 / 50))
        rho = gossip_rate(algo.W, (1 - self.p) / self.p)
        # 1e-6: the subdominant modes' residue after t0 >= 25 steps at ratio <= 0.72 (measured: < 1e-7 on these graphs)
        m = Measurement(None, np.array([decay]), np.array([rho]), exact=True, tol=1e-6)
        config = (f"{self.graph}, n={self.n}, Bernoulli p={self.p:g} (omega={(1 - self.p) / self.p:.4g}), gamma=0 "
                  f"from off consensus (x_0 = x* + (b_i - b_bar)): decay of E||X_t Q||^2 over t in [{t0}, {t0 + 50}] from the full "
                  "recursion "
                  f"{decay:.6f}, spectral radius of L_omega {rho:.6f}")
        return [CheckOutcome(self, config, "D", "equality", [m], {}, role=self.role, owners=(self.result,))]

    def cost(self) -> float:
        return float(self.n**3 * 300)


@dataclass(frozen=True)
class NaivePlateauCheck:
    """D3 on exact moments (no statistics): naive compression on an isotropic quadratic (A = mu I), rand-k; for each
    step of ``gammas`` the exact limit of E||x_bar_t - x*||^2 (the recursion run until it has converged, or seen to
    diverge) against the D3 lower bound, which must be below it. The steps below the edge
    (1 - gamma mu)^2 + omega/n = 1 are reported as diverging (the limit is infinite: the claim 'does not converge')."""

    name: str
    gammas: tuple[float, ...]
    n: int = 5
    d: int = 4
    k: int = 2
    iterations: int = 1200      # the slowest stable mode here decays like 0.96^t: converged to 1e-10 by t = 600
    kind: str = "upper"
    role: str = "assert"
    result: str = "naive_plateau"
    algorithm: str = "naive-gossip"
    seed_key: str | None = None

    def measure(self, seed: int):
        from boundlab.simulate import make_algorithm, quadratic
        from boundlab.simulate.exact_decentralized import moments
        from boundlab.theory.core import get, numeric
        from boundlab.verify.suite import CheckOutcome, Measurement

        problem = quadratic(N=self.n, d=self.d, L=1.0, mu=1.0, B2=0.0, sigma=0.4, rotate=False, w0=0.0, seed=seed)
        omega = self.d / self.k - 1
        values = {"omega": omega, "N": self.n, "mu": 1.0, "b": 1, "sigma": 0.4,
                  "xstar_norm2": float(problem.w_star @ problem.w_star)}
        lows, limits, steps, parts = [], [], [], []
        for g in self.gammas:
            v = moments(problem, make_algorithm("naive-gossip", {"compressor": f"randk:k={self.k}"}), g,
                        self.iterations)["dist2"]
            edge = (1 - g) ** 2 + omega / self.n
            if edge >= 1:
                parts.append(f"gamma={g:g}: diverges (D3's factor {edge:.3f}; E||x_bar - x*||^2 = {v[-1]:.3g} at "
                             f"t={self.iterations})")
                continue
            half = v[self.iterations // 2]
            if abs(v[-1] - half) > 1e-6 * abs(v[-1]):     # not converged: the whole system (consensus modes) grows
                parts.append(f"gamma={g:g}: diverges although D3's factor {edge:.3f} < 1 (the consensus modes: "
                             f"{half:.3g} at t={self.iterations // 2}, {v[-1]:.3g} at t={self.iterations})")
                continue
            low = float(numeric(get(self.result).lhs, {**values, "gamma": g}))
            lows.append(low)
            limits.append(float(v[-1]))
            steps.append(g)
            parts.append(f"gamma={g:g}: limit {v[-1]:.4g}, D3 bound {low:.4g}")
        m = Measurement(None, np.array(lows), np.array(limits), exact=True, tol=1e-9, result=self.result,
                        values={**values, "gamma": np.array(steps), "dist2_limit": np.array(limits)})
        config = (f"naive-gossip, ring n={self.n}, rand-{self.k} (omega={omega:g}), A = I (mu = 1), sigma=0.4, "
                  f"||x*||^2={values['xstar_norm2']:.3g}; exact recursion over {self.iterations} steps; "
                  + "; ".join(parts))
        return [CheckOutcome(self, config, "D", "upper", [m], {}, role=self.role, owners=(self.result,))]

    def cost(self) -> float:
        return float(len(self.gammas) * (self.n * self.d) ** 3 * self.iterations / 100)


@dataclass(frozen=True)
class RateOrderCheck:
    """The [O] claim O(1/sqrt(nT)) as a fitted exponent: the time average (1/T) sum_{t<T} ||grad f(x_bar_t)||^2 (the
    quantity a non-convex rate bounds) with the step gamma = c sqrt(n/T), against T (n fixed) or n (T fixed). On a
    quadratic both of its parts, the transient ||x_0 - x*||^2/(gamma T) and the stationary noise ~ gamma sigma^2/n,
    scale like 1/sqrt(nT) at this step: a sharp test of the exponent. (F of the averaged iterate would not be: on a
    quadratic, averaging makes it ~ 1/T.)"""

    name: str
    algorithm: str
    params: dict
    problem: dict
    over: str                   # "T" or "n"
    xs: tuple[int, ...]
    fixed: int                  # n when over T, T when over n
    c: float
    runs: int
    claimed: float = -0.5
    result: str = "dcd_ecd_rate"
    role: str = "assert"
    note: str = ""
    kind: str = "order"
    seed_key: str | None = None

    def measure(self, seed: int):
        from boundlab.simulate import make_algorithm, quadratic, simulate
        from boundlab.verify.suite import CheckOutcome, Measurement

        means, ses, diverged = [], [], 0
        for j, x in enumerate(self.xs):
            n, T = (self.fixed, x) if self.over == "T" else (x, self.fixed)
            problem = quadratic(**{**self.problem, "N": n}, seed=seed)
            gamma = self.c * math.sqrt(n / T)
            res = simulate(problem, make_algorithm(self.algorithm, dict(self.params)), n_runs=self.runs, n_iter=T,
                           gamma=gamma, seed=seed + 1 + j, checkpoints_spec="all", progress=False,
                           records=("grad2_bar",))
            diverged += int(res.diverged.sum())
            v = res["grad2_bar"][~res.diverged, :T].mean(axis=1)          # (1/T) sum_{t<T} ||grad f(x_bar_t)||^2
            means.append(float(v.mean()))
            ses.append(float(v.std(ddof=1) / math.sqrt(v.size)))
        m = Measurement(None, np.zeros(1), np.zeros(1), values={"x": self.xs, "mean": means, "se": ses,
                                                                "claimed": self.claimed})
        config = (f"{self.algorithm} ({', '.join(f'{k}={v}' for k, v in self.params.items())}); quadratic "
                  + " ".join(f"{k}={v}" for k, v in self.problem.items() if k != "N")
                  + f"; over {self.over} in {list(self.xs)} ({'n' if self.over == 'T' else 'T'}={self.fixed}), "
                  f"gamma = {self.c:g} sqrt(n/T); R={self.runs}; (1/T) sum_t<T ||grad f(x_bar_t)||^2"
                  + (f" ({self.note})" if self.note else ""))
        return [CheckOutcome(self, config, "O", "order", [m], {}, diverged=diverged, role=self.role)]

    def cost(self) -> float:
        return self.runs * sum(self.xs) * self.fixed * self.problem["d"] if self.over == "T" else \
            self.runs * self.fixed * sum(self.xs) * self.problem["d"]


def _plain(name, result, kind, algorithm, params, runs, iterations, at, bindings, problem=RING5, gamma=0.05, **kw):
    return Check(name, result, kind, Setting(problem, algorithm, params, gamma=gamma), runs, iterations, at,
                 bindings=bindings, **kw)


def rate_checks(runs: int = 200) -> list:
    """The O(1/sqrt(nT)) claim as fitted exponents: DCD and ECD (dither) over T on a ring of 8, DCD over n on the
    complete graph (also drawn by ``boundlab figures decentralized``)."""
    problem = {**RING5, "mu": 0.0, "B2": 1.0, "sigma": 1.0}
    return [
        RateOrderCheck("dcd_ecd_rate DCD in T", "dcd-psgd", {"compressor": RK3}, problem, "T",
                       (100, 200, 400, 800, 1600), 8, 0.2, runs),
        RateOrderCheck("dcd_ecd_rate ECD dither in T", "ecd-psgd", {"compressor": "dither:step=0.2"}, problem, "T",
                       (100, 200, 400, 800, 1600), 8, 0.2, runs),
        # in n: homogeneous nodes started at the optimum, so that the instances drawn for each n differ in nothing
        # the rate depends on (the stationary noise ~ gamma sigma^2/n is then the whole quantity); T = 2000, many
        # times the noise's warm-up time 1/(2 gamma lambda_min) <= 120 steps, so that the warm-up does not bend it
        RateOrderCheck("dcd_ecd_rate DCD in n (complete graph)", "dcd-psgd", {"compressor": RK3, "graph": "complete"},
                       {**problem, "B2": 0.0, "w0": 0.0}, "n", (2, 4, 8, 16, 32), 2000, 0.2, runs),
    ]


def decentralized_checks(scale: int = 1) -> list:
    """The quick suite's decentralized checks (``scale`` multiplies the runs, for the full suite)."""
    ring8 = {**RING5, "N": 8}
    return [
        _plain("dcd_replicas_exact DCD rand-k", "dcd_replicas_exact", "zero", "dcd-psgd", {"compressor": RK3},
               200 * scale, 20, (1, 20), (("replica_gap2", "replica_gap2", 0),),
               note="the replicas, updated only by the messages, equal the owners' models bit for bit"),
        _plain("dcd_update_error DCD rand-k", "dcd_update_error", "equality", "dcd-psgd", {"compressor": RK3},
               20_000 * scale, 5, (1, 5), (("update_error2", "update_error2", 0), ("update2", "update2", 0)),
               note="D2 with rand-k (equality): E||C(Z) - Z||^2 = omega E||Z||^2"),
        _plain("naive_avg_error naive gossip rand-k", "naive_avg_error", "equality", "naive-gossip",
               {"compressor": RK2}, 20_000 * scale, 5, (1, 5), (("avg_error2", "avg_error2", 0),
                                                                ("models2", "models2", 0)),
               note="D3 with rand-k (equality): the average's error is proportional to the models, not their "
                    "differences"),
        dcd_moment_check("dcd_moments DCD rand-k ring n=5", "dcd-psgd", {"compressor": RK3}, RING5, 0.1,
                         4000 * scale, 40, (1, 5, 10, 20, 40), note="THEORY-SEEDS.md D4's setting"),
        dcd_moment_check("dcd_moments compressed gossip Bernoulli torus 3x3", "dcd-psgd",
                         {"compressor": "bernoulli:p=0.6", "graph": "torus", "init_spread": 1.0},
                         {**RING5, "N": 9, "sigma": 0.0}, 0.0, 4000 * scale, 12, (1, 4, 12),
                         note="gamma = 0 from off consensus: the decay of compressed gossip (omega = 2/3 < omega* = "
                              "1.167)"),
        dcd_moment_check("dcd_moments naive gossip rand-k ring n=5", "naive-gossip", {"compressor": RK3}, RING5, 0.5,
                         4000 * scale, 20, (1, 5, 20), note="naive compression at a step where it stays bounded"),
        dcd_moment_check("dcd_moments D-PSGD gradient-gossip ring n=8", "d-psgd", {"order": "gradient-gossip"},
                         ring8, 0.1, 4000 * scale, 20, (1, 20)),
        dcd_moment_check("control: D-PSGD orders swapped", "d-psgd", {"order": "gradient-gossip"}, ring8, 0.1,
                         4000 * scale, 20, (1, 20), exact_params={"order": "gossip-gradient"}, control=True,
                         note="the gradient-gossip runs against the gossip-gradient recursion: they differ by "
                              "gamma G (I - W), which the check must see"),
        NaivePlateauCheck("naive_plateau naive gossip, gamma down to the edge", (0.5, 0.3, 0.2, 0.15, 0.12, 0.05)),
        GossipRateCheck("gossip decay = spectral radius ring n=8 omega=1", "ring", 8, 0.5),
        GossipRateCheck("gossip decay = spectral radius torus 4x4 omega=0.5", "torus", 16, 2 / 3),
        *[GossipThresholdCheck(f"gossip threshold ring n={n}", "ring", n) for n in (4, 5, 8, 16)],
        GossipThresholdCheck("gossip threshold torus 3x3", "torus", 9),
        GossipThresholdCheck("gossip threshold torus 4x4", "torus", 16),
        _plain("ecd_estimate_error ECD dither", "ecd_estimate_error", "equality", "ecd-psgd",
               {"compressor": "dither:step=0.2", "graph": "ring"}, 20_000 * scale, 30, (2, 4, 9, 29),
               (("estimate_error2", "estimate_error2", 0),), problem={**RING5, "N": 6, "d": 5},
               note="D6: T = k + 1 = 3, 5, 10, 30; a subtractive dither of step 0.2 (error variance d step^2/12)"),
        *rate_checks(200 * scale),
        RateOrderCheck("ECD with rand-k (a relative error) in T", "ecd-psgd", {"compressor": RK3},
                       {**RING5, "mu": 0.0, "B2": 1.0, "sigma": 1.0}, "T", (100, 200, 400, 800, 1600), 8, 0.2,
                       200 * scale, role="explore", note="outside ECD's (absolute) variance assumption on purpose: "
                       "THEORY-SEEDS.md D6(ii) predicts an estimate error growing with T"),
    ]
