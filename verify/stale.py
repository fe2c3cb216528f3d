"""The stale-gradient checks (THEORY-SEEDS.md 5.4): K1 and its equality case, K2's exact moments with fixed, i.i.d.
and Markov delays (with a negative control), the mean-square edge gamma*(tau, omega) -- exact at tau = 0 against K1's
step range, and against the measured divergence onset of the typical run -- and K3's bits flat in k."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from boundlab.verify.checks import Check, Setting
from boundlab.verify.kinds import ExactRecursionCheck

ISO = {"N": 1, "d": 6, "L": 1.0, "mu": 1.0, "sigma": 0.0, "rotate": False, "w0": 1.0}      # f = ||x - x*||^2 / 2
GENERAL = {"N": 1, "d": 6, "L": 1.0, "mu": 0.3, "sigma": 0.0, "w0": 1.0}                  # rotated, spectrum [0.3, 1]
K2_PROBLEM = {"N": 1, "d": 6, "L": 1.0, "mu": 0.3, "sigma": 0.3, "rotate": False, "w0": 1.0}   # THEORY-SEEDS K2
RK2 = "randk:k=2"                                                                            # d = 6: omega = 2


def k2_moment_check(name: str, params: dict, gamma: float, runs: int, iterations: int, at: tuple[int, ...],
                     **kw) -> ExactRecursionCheck:
    """K2: Monte-Carlo E f(x_t) - f* against the exact recursion (:mod:`boundlab.simulate.exact_delayed`), an
    equality at each checkpoint."""
    return ExactRecursionCheck(name, "k2_moments", "delayed-cgd", params, K2_PROBLEM, gamma, runs, iterations, at,
                               "boundlab.simulate.exact_delayed:moments",
                               (("excess_loss", "excess_loss", "excess_loss_exact"),), **kw)


@dataclass(frozen=True)
class StaleEdgeCheck:
    """The mean-square edge gamma*(tau, omega) of K2's noiseless map (exact). At tau = 0 it must equal K1's step range
    2/(L(1 + omega)) (exact comparison); for tau > 0 the measured divergence onset of the typical run (median of
    ||x_K - x*||^2 / ||x_0 - x*||^2 above 1 at K = 300, 64 runs, steps gamma* x 2^(j/8)) is reported beside it and
    must not come before it (below the edge the mean square decays, and the median is at most twice the mean)."""

    name: str
    tau: int
    omega: float
    delays: str = "fixed"
    runs: int = 64
    kind: str = "upper"
    role: str = "assert"
    result: str = "k1_step_range"
    algorithm: str = "delayed-cgd"
    seed_key: str | None = None

    def measure(self, seed: int):
        from boundlab.simulate.exact_delayed import stability_edge
        from boundlab.theory.core import get, numeric
        from boundlab.verify.suite import CheckOutcome, Measurement

        star = stability_edge(self.omega, self.tau, self.delays)
        if self.tau == 0:
            k1 = float(numeric(get(self.result).rhs, {"L": 1.0, "omega": self.omega}))
            m = Measurement(None, np.array([star]), np.array([k1]), exact=True, tol=1e-5, result=self.result,
                            values={"L": 1.0, "omega": self.omega})    # re-evaluated under --power
            config = (f"tau = 0, Bernoulli omega = {self.omega:g}, f = ||x||^2/2: exact edge {star:.6f} against "
                      f"K1's 2/(L(1 + omega)) = {k1:.6f}")
            return [CheckOutcome(self, config, "D", "equality", [m], {}, role=self.role, owners=(self.result,))]
        from boundlab.simulate.delayed import divergence_onset
        onset = divergence_onset(self.tau, self.omega, self.delays, star, seed, self.runs)
        m = Measurement(None, np.array([star]), np.array([onset]), exact=True, tol=1e-9)
        config = (f"tau = {self.tau} ({self.delays}), Bernoulli omega = {self.omega:g}, f = ||x||^2/2: exact "
                  f"mean-square edge gamma* = {star:.4f}; the typical run diverges from {onset:.4f} "
                  f"({onset / star:.3g} gamma*)")
        return [CheckOutcome(self, config, "D", "upper", [m], {}, role="finding", owners=())]

    def cost(self) -> float:
        return 1e4 if self.tau == 0 else self.runs * 300 * 4 * 10.0


@dataclass(frozen=True)
class BitsOrderCheck:
    """K3: the bits sent until f(x_t) <= eps f(x_0), per run, on f = (L/2)||x||^2 with rand-k at gamma = k/(dL), as
    a fitted exponent in k against 0 (flat). Exactly: k (32 + ceil(log2 d)) ln(1/eps)/(-ln(1 - k/d)) bits."""

    name: str
    ks: tuple[int, ...] = (1, 2, 5, 10, 20)
    d: int = 100
    eps: float = 1e-3
    runs: int = 200
    claimed: float = 0.0
    kind: str = "order"
    role: str = "assert"
    result: str = "k3_bits_flat"
    algorithm: str = "delayed-cgd"
    seed_key: str | None = None

    def measure(self, seed: int):
        from boundlab.simulate import make_algorithm, quadratic, simulate
        from boundlab.verify.suite import CheckOutcome, Measurement

        problem = quadratic(N=1, d=self.d, L=1.0, mu=1.0, sigma=0.0, rotate=False, w0=1.0, seed=seed)
        means, ses = [], []
        for j, k in enumerate(self.ks):
            T = int(3 * math.log(1 / self.eps) * self.d / k) + 10
            res = simulate(problem, make_algorithm("delayed-cgd", {"up": f"randk:k={k}"}), n_runs=self.runs, n_iter=T,
                           gamma=k / self.d, seed=seed + j, checkpoints_spec="all", progress=False,
                           records=("excess_loss", "bits_up"))
            below = res["excess_loss"] <= self.eps * res["excess_loss"][:, :1]
            first = np.argmax(below, axis=1)                              # first t with f(x_t) <= eps f(x_0)
            bits = res["bits_up"][np.arange(res.n_runs), first][below.any(axis=1)]
            means.append(float(bits.mean()))
            ses.append(float(bits.std(ddof=1) / math.sqrt(bits.size)))
        m = Measurement(None, np.zeros(1), np.zeros(1), values={"x": self.ks, "mean": means, "se": ses,
                                                                "claimed": self.claimed})
        config = (f"delayed-cgd, rand-k, f = ||x||^2/2, d = {self.d}, gamma = k/d, k in {list(self.ks)}; R={self.runs}; "
                  f"bits sent until f(x_t) <= {self.eps:g} f(x_0)")
        return [CheckOutcome(self, config, "D", "order", [m], {}, role=self.role)]

    def cost(self) -> float:
        return self.runs * self.d * sum(3 * 7 * self.d / k for k in self.ks)


def stale_checks() -> list:
    return [
        Check("k1_isotropic delayed-cgd rand-k, no delay", "k1_isotropic", "equality",
              Setting(ISO, "delayed-cgd", {"up": RK2}, gamma=0.2), 100_000, 5, (1, 5),
              note="THEORY-SEEDS.md K1's equality case: factor 1 - 2 gamma + 3 gamma^2 = 0.72 at gamma = 0.2"),
        Check("k1_descent delayed-cgd rand-k, rotated quadratic", "k1_descent", "upper",
              Setting(GENERAL, "delayed-cgd", {"up": RK2}, gamma=0.2), 40_000, 5, (1, 5),
              note="early checkpoints: later the bound's mean is too noisy for the delta method (> 1% standard error)"),
        k2_moment_check("k2_moments fixed delay 2", {"up": RK2, "delay": 2}, 0.15, 20_000, 30, (1, 5, 15, 30)),
        k2_moment_check("k2_moments i.i.d. delays up to 2", {"up": RK2, "delay": 2, "delays": "iid"}, 0.15, 20_000,
                         30, (1, 5, 15, 30)),
        k2_moment_check("k2_moments Markov delays up to 2", {"up": RK2, "delay": 2, "delays": "markov"}, 0.15,
                         20_000, 30, (1, 5, 15, 30)),
        k2_moment_check("control: fixed delay 2 against the delay-1 recursion", {"up": RK2, "delay": 2}, 0.15,
                         20_000, 30, (15, 30), exact_params={"up": RK2, "delay": 1}, control=True),
        *[StaleEdgeCheck(f"k1_step_range = exact edge at tau=0, omega={w:g}", 0, w) for w in (0.0, 1.0, 4.0)],
        *[StaleEdgeCheck(f"edge and divergence onset tau={t}, omega={w:g}", t, w) for t in (2, 8) for w in (1.0,)],
        BitsOrderCheck("k3_bits_flat rand-k d=100"),
    ]
