r"""One check per result: a simulation setting that satisfies the result's hypotheses, and the
binding of the simulation's per-run records to the result's symbols.

The bound is never re-typed here: both sides are evaluated from the *encoded* sympy statement of
``boundlab.theory`` (``Result.evaluate``), with each measured symbol bound to the per-run record of
the same run (:func:`bind`), so that a wrong constant in the theory or a wrong simulation both
show up. At checkpoint k:

====================  =================================================
symbol                per-run record
====================  =================================================
dist2 / dist2_prev    ``dist2`` at k / at k-1; ``dist2_0``: at 0
upsilon / _prev       ``upsilon`` at k / at k-1
local_gap2            ``local_gap2`` at k
grad2_hat_prev        ``grad2_hat`` at k (= ||grad F(w_hat_{k-1})||^2)
grad2_hat_prev2       ``grad2_hat`` at k-1 (0 at k = 1: convention grad F(w_hat_{-1}) = 0)
excess_loss_prev      ``excess_loss`` at k-1
excess_loss_hat_prev  ``excess_loss_hat`` at k (= F(w_hat_{k-1}) - F_*)
excess_loss_avg       ``excess_loss_avg`` at k (uniform average of w_0..w_{k-1})
k, K                  k
ghat2, zeta2, ...     the records of the same name at k (THEORY.md 7:
                      ``contracted_dist2``, ``down_noise2``,
                      ``memory_residual2``, ``local_bias``)
====================  =================================================

Constants come from the problem and the algorithm as built (exact L, mu, sigma^2, N, b, the
operators' omegas, the resolved gamma and alpha_dwn).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from boundlab.theory import get
from boundlab.theory.core import expand

# The problems of the checks: exact quadratics (A3-A5 hold exactly: additive Gaussian noise with
# E||xi||^2 = sigma^2/b), homogeneous (B = 0), ||w_0 - w_*|| = 1.
CONVEX = {"N": 10, "d": 10, "L": 1.0, "mu": 0.0, "sigma": 1.0, "b": 1, "w0": 1.0}
STRONGLY_CONVEX = {**CONVEX, "mu": 0.1}
NOISELESS_SC = {**STRONGLY_CONVEX, "sigma": 0.0}

# Operators (d = 10): rand-k with k = 5 has omega = 1, k = 2 has omega = 4 (equality in A1);
# s-quantization with s = 1 has omega = min(d/s^2, sqrt(d)/s) = sqrt(10) = 3.16.
QSGD = "qsgd:s=1"


@dataclass(frozen=True)
class Setting:
    """A simulation: problem (kwargs of ``boundlab.simulate.quadratic``), algorithm and step."""

    problem: dict
    algorithm: str
    params: dict
    gamma: float | str = "theory"  # "theory": the algorithm's bound from boundlab.theory
    #: name of a theory result whose step-size schedule to run (with its weighted average), or None
    schedule: str | None = None
    #: attributes set on the algorithm after it is built, for negative controls only (e.g. a biased downlink)
    unsafe: tuple[tuple[str, object], ...] = ()

    def describe(self) -> str:
        p = self.problem
        ops = ", ".join(f"{k}={v}" for k, v in self.params.items())
        prob = (f"quadratic N={p['N']} d={p['d']} L={p['L']:g} mu={p['mu']:g} sigma={p['sigma']:g} b={p['b']}, "
                + (f"heterogeneous B^2={p['B2']:g}" if p.get("B2") else "homogeneous")
                + (", w0 = w_*" if p.get("w0") == 0 else "")
                + (", isotropic A = L I" if p["mu"] == p["L"] else ""))
        step = "gamma = theory's bound" if self.gamma == "theory" else f"gamma = {self.gamma}"
        if self.schedule:
            step = (f"{self.schedule}'s schedule and weighted average (steps above gamma_max allowed: the "
                    "schedule's own claim is under test)")
        return f"{self.algorithm} ({ops}); {prob}; {step}"


@dataclass(frozen=True)
class Check:
    """Compare ``E[lhs]`` with ``E[rhs]`` of theory result ``result`` in ``setting`` at checkpoints ``at``."""

    name: str
    result: str
    kind: str  # "upper" (lhs <= rhs) or "equality" (lhs = rhs: the bound is attained)
    setting: Setting
    runs: int
    iterations: int
    at: tuple[int, ...]
    constants: dict = field(default_factory=dict)  # extra constants, e.g. C for Theorem 9
    note: str = ""
    doubt: bool = False  # the check tests a doubtful [S?] reading (e.g. of a hypothesis) of an [S] result
    #: a negative control: a setting where the bound is known to be false; the check must fail
    control: bool = False
    #: hypothesis labels the check deliberately leaves (the note says why)
    waive: tuple[str, ...] = ()
    #: checks with the same seed_key share their seed: same problem instance, common random numbers
    seed_key: str | None = None
    #: the bound's non-carried part (Result.innovation) multiplied by this ([O] "constant 2" claims)
    innovation_factor: float = 1.0

    @property
    def tag(self) -> str:
        if self.doubt or get(self.result).status.value == "S?":
            return "S?"
        return "O" if self.innovation_factor != 1 else get(self.result).status.value

    @property
    def role(self) -> str:
        if self.control:
            return "control"
        return "finding" if self.tag == "S?" else "assert"

    def checkpoints(self) -> list[int]:
        need = {0}
        for k in self.at:
            need |= {k, k - 1, k - 2}
        return sorted(x for x in need if 0 <= x <= self.iterations)


@dataclass(frozen=True)
class OperatorCheck:
    """Assumption 1 for one operator: exact variance against omega ||x||^2 (no statistics), and the
    simulated operator against its closed form (Monte Carlo)."""

    name: str
    spec: str
    d: int
    draws: int
    control: bool = False
    make: object = None  # a callable building the operator (controls: an operator that misstates its omega)
    note: str = ""

    @property
    def role(self) -> str:
        return "control" if self.control else "assert"


def bind(res, k: int, needed: set[str]) -> dict[str, np.ndarray | int]:
    """Per-run values of the measured symbols at checkpoint ``k`` (see the module docstring)."""
    col = {int(x): j for j, x in enumerate(res.k)}

    def at(name: str, i: int) -> np.ndarray:
        return res[name][:, col[i]]

    table = {
        "dist2": lambda: at("dist2", k), "dist2_prev": lambda: at("dist2", k - 1), "dist2_0": lambda: at("dist2", 0),
        "upsilon": lambda: at("upsilon", k), "upsilon_prev": lambda: at("upsilon", k - 1),
        "local_gap2": lambda: at("local_gap2", k), "grad2_hat_prev": lambda: at("grad2_hat", k),
        "grad2_hat_prev2": lambda: at("grad2_hat", k - 1) if k >= 2 else np.zeros(res.n_runs),
        "excess_loss_prev": lambda: at("excess_loss", k - 1), "excess_loss_hat_prev": lambda: at("excess_loss_hat", k),
        "excess_loss_avg": lambda: at("excess_loss_avg", k), "k": lambda: k, "K": lambda: k,
        **{name: (lambda name=name: at(name, k)) for name in
           ("ghat2", "zeta2", "contracted_dist2", "down_noise2", "memory_residual2", "local_bias")},
    }
    return {n: table[n]() for n in needed if n in table}


def constants_of(problem, algorithm, gamma: float) -> dict[str, float]:
    out = {"L": problem.L, "mu": problem.mu, "sigma": math.sqrt(problem.sigma2), "b": problem.b, "N": problem.N,
           "gamma": gamma, "omega_up": algorithm.omega_up or 0.0,
           "omega_dwn": algorithm.omega_dwn if getattr(algorithm, "has_down", True) else 0.0}
    if getattr(algorithm, "alpha_dwn", None) is not None:
        out["alpha_dwn"] = algorithm.alpha_dwn
    return out


def needed_symbols(result_name: str) -> set[str]:
    r = get(result_name)
    names = {s.name for s in expand(r.statement).free_symbols}
    for h in r.hypotheses:
        if h.relation is not None:
            names |= {s.name for s in expand(h.relation).free_symbols}
    return names


def structural_facts(problem, algorithm) -> dict[str, bool]:
    """Whether a setting satisfies the structural hypotheses the theory cites (by label)."""
    from boundlab.simulate import QuadraticProblem

    quadratic_noise = isinstance(problem, QuadraticProblem)
    return {
        "A1": algorithm.up.unbiased and algorithm.down.unbiased,
        "A2": True,  # B^2 is exact for these problems
        "A3": True,  # quadratic: C^2 and L-smooth with the exact L
        "A4 (mu = 0)": problem.mu >= 0,  # PSD quadratic: convex
        "A5": quadratic_noise,  # additive noise, E||xi||^2 = sigma^2/b exactly
        # B^2 is computed as max_i ||grad F_i(w_*)||^2 and is ~1e-32 when all centres are equal: test the centres.
        "homogeneous": bool(np.all(problem.centres == problem.centres[0])) if quadratic_noise else problem.B2 == 0,
        "no uplink memory": algorithm.uplink in ("plain", "none"),
        "init": True,  # the MCM family starts with H_0 = w_hat_0 = w_0
        "quadratic": True,
    }


# ------------------------------------------------------------------------------------ suites
def _mcm(problem: dict, name: str = "mcm", down: str = QSGD, **extra) -> Setting:
    return Setting(problem, name, {"up": QSGD, "down": down, **extra})


def quick_suite() -> list[Check | OperatorCheck]:
    # Proposition 1 has no step-size hypothesis: gamma = 0.1 (gamma_up / 4.5) keeps w_hat close to w, so the
    # squared gradients stay light-tailed and the equality is sharp at every checkpoint (at gamma_up the k = 4
    # interval is 5% wide).
    ghost_eq = Setting(CONVEX, "ghost", {"up": "randk:k=5", "down": "randk:k=2"}, gamma=0.1)
    ghost = Setting(CONVEX, "ghost", {"up": QSGD, "down": QSGD})
    mcm_c, mcm_sc = _mcm(CONVEX), _mcm(STRONGLY_CONVEX)
    return [
        *operator_checks(draws=20_000),
        Check("prop1 Ghost rand-k both ways", "prop1", "equality", ghost_eq, 200_000, 4, (1, 4),
              note="Proposition 1 is attained: rand-k both ways, homogeneous, E||xi||^2 = sigma^2/b exactly"),
        Check("thm3 Ghost", "thm3", "upper", ghost, 4000, 50, (2, 10, 50)),
        Check("mcm_local_gap MCM rand-k down", "mcm_local_gap", "equality", _mcm(CONVEX, down="randk:k=2"),
              200_000, 5, (5,), note="E||w_k - w_hat_k||^2 = omega_dwn E Upsilon_k for rand-k (THEORY.md section 6)"),
        Check("thm5 MCM", "thm5", "upper", mcm_c, 4000, 100, (2, 20, 100)),
        Check("thm5 Rand-MCM (Thm 8)", "thm5", "upper", _mcm(CONVEX, "rand-mcm"), 2000, 100, (2, 100)),
        # Theorem 5's memory condition is garbled [S?]: "alpha <= (4 omega_dwn) - 1" admits alpha_dwn = 1 here
        # (omega_dwn = 3.16); the probable reading alpha <= 1/(4 omega_dwn) has its edge at 0.079.
        Check("thm5 MCM alpha=1 (printed condition)", "thm5", "upper", _mcm(CONVEX, alpha_dwn=1.0), 4000, 20, (2, 20),
              doubt=True, note="alpha_dwn = 1 satisfies the printed 'alpha <= 4 omega_dwn - 1'"),
        Check("thm5 MCM alpha=1/(4 omega) (probable reading)", "thm5", "upper",
              _mcm(CONVEX, alpha_dwn=1 / (4 * math.sqrt(10))), 4000, 100, (2, 20, 100), doubt=True,
              note="the largest alpha_dwn the reading alpha <= 1/(4 omega_dwn) admits"),
        Check("thm6 MCM one step", "thm6", "upper", mcm_c, 4000, 100, (2, 20, 100)),
        Check("thm6_averaged MCM", "thm6_averaged", "upper", mcm_c, 4000, 200, (10, 200)),
        Check("thm7 MCM one step", "thm7", "upper", mcm_sc, 4000, 100, (2, 20, 100)),
        Check("thm7 Rand-MCM-G one step (Thm 8)", "thm7", "upper", _mcm(STRONGLY_CONVEX, "rand-mcm-g", G=2), 2000,
              100, (2, 100)),
        Check("thm7_linear MCM sigma=0", "thm7_linear", "upper", _mcm(NOISELESS_SC), 2000, 500, (10, 100, 500)),
        # Theorem 7's averaged corollary [S?]: its own schedule gamma_k = 2/(mu(k+1) + L~) and weighted average
        # (lambda_k = 1/gamma_{k-1}); with little noise, so that the first term (the one 'boundlab audit' finds
        # in units of ||w||^2 instead of F) matters. Once in natural units, once with F measured in units 1000
        # times larger (L, mu, sigma x 1000, w unchanged): a dimensionally consistent bound would scale alike.
        Check("thm7_averaged MCM", "thm7_averaged", "upper",
              Setting({**STRONGLY_CONVEX, "sigma": 1e-3}, "mcm", {"up": QSGD, "down": QSGD}, schedule="thm7_averaged"),
              2000, 400, (100, 400)),
        Check("thm7_averaged MCM, F in units x1000", "thm7_averaged", "upper",
              Setting({**STRONGLY_CONVEX, "L": 1000.0, "mu": 100.0, "sigma": 1.0}, "mcm",
                      {"up": QSGD, "down": QSGD}, schedule="thm7_averaged"), 2000, 400, (100, 400)),
        Check("thm9 Rand-MCM (C=N)", "thm9", "upper", _mcm(CONVEX, "rand-mcm"), 2000, 200, (20, 200),
              constants={"C": CONVEX["N"]}),
        Check("thm9 Rand-MCM-G (C=G=2)", "thm9", "upper", _mcm(CONVEX, "rand-mcm-g", G=2), 2000, 200, (20, 200),
              constants={"C": 2}),
        Check("thm9 MCM (C=1)", "thm9", "upper", mcm_c, 2000, 200, (20, 200), constants={"C": 1}),
    ]


def full_suite() -> list[Check | OperatorCheck]:
    """More runs, more checkpoints, and other operators and step sizes."""
    out: list[Check | OperatorCheck] = []
    for c in quick_suite():
        if isinstance(c, OperatorCheck):
            out.append(OperatorCheck(c.name, c.spec, c.d, c.draws * 5))
        else:
            out.append(dataclasses.replace(c, runs=c.runs * 4))
    rk = "randk:k=2"
    out += [
        Check("prop1 Ghost Bernoulli both ways", "prop1", "equality",
              Setting(CONVEX, "ghost", {"up": "bernoulli:p=0.5", "down": "bernoulli:p=0.25"}), 100_000, 3, (3,),
              note="Bernoulli-p attains A1 with equality too"),
        Check("thm5 MCM rand-k", "thm5", "upper", _mcm(CONVEX, down=rk), 10_000, 300, (2, 30, 300)),
        Check("thm6 MCM rand-k one step", "thm6", "upper", _mcm(CONVEX, down=rk), 10_000, 300, (2, 30, 300)),
        Check("thm7 MCM half step", "thm7", "upper", Setting(STRONGLY_CONVEX, "mcm", {"up": QSGD, "down": QSGD},
                                                             gamma=0.0025), 10_000, 300, (2, 300)),
        Check("thm6_averaged Rand-MCM (Thm 8)", "thm6_averaged", "upper", _mcm(CONVEX, "rand-mcm"), 8000, 400,
              (20, 400)),
    ]
    return out


def operator_checks(draws: int) -> list[OperatorCheck]:
    specs = ("qsgd:s=1", "qsgd:s=2", "qsgd:s=1,norm=linf", "qsgd:s=1,bucket=5", "randk:k=3", "bernoulli:p=0.3")
    return [OperatorCheck(f"A1 {s}", s, 10, draws) for s in specs]


SUITES = {"quick": quick_suite, "full": full_suite}
