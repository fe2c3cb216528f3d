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

Constants come from the problem and the algorithm as built, through the one object that resolves them
(:mod:`boundlab.simulate.constants`: exact L, mu, sigma, N, b, the operators' omegas, alpha_dwn, C and
the resolved gamma).
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

    problem: dict   # keyword arguments of the problem builder (all but the seed, which the suite gives)
    algorithm: str
    params: dict
    gamma: float | str = "theory"  # "theory": the algorithm's bound from boundlab.theory; "theory*F": F times it
    #: name of a theory result whose step-size schedule to run (with its weighted average), or None
    schedule: str | None = None
    #: attributes set on the algorithm after it is built, for negative controls only (e.g. a biased downlink)
    unsafe: tuple[tuple[str, object], ...] = ()
    #: the problem builder (boundlab.simulate.problems.PROBLEMS: quadratic, least_squares or a plug-in's)
    problem_kind: str = "quadratic"

    def build_problem(self, seed: int):
        from boundlab.simulate.problems import PROBLEMS
        return PROBLEMS.create(self.problem_kind, {**self.problem, "seed": seed}, "problem")

    def describe(self) -> str:
        p = self.problem
        ops = ", ".join(f"{k}={v}" for k, v in self.params.items())
        if self.problem_kind == "quadratic" and all(k in p for k in ("N", "d", "L", "mu", "sigma", "b")):
            prob = (f"quadratic N={p['N']} d={p['d']} L={p['L']:g} mu={p['mu']:g} sigma={p['sigma']:g} b={p['b']}, "
                    + (f"heterogeneous B^2={p['B2']:g}" if p.get("B2") else "homogeneous")
                    + (", w0 = w_*" if p.get("w0") == 0 else "")
                    + (", isotropic A = L I" if p["mu"] == p["L"] else ""))
        else:
            prob = f"{self.problem_kind} " + " ".join(f"{k}={v}" for k, v in p.items())
        step = ("gamma = theory's bound" if self.gamma == "theory" else
                f"gamma = {self.gamma[7:]} x theory's bound" if isinstance(self.gamma, str) else f"gamma = {self.gamma:.4g}")
        if self.schedule:
            step = (f"{self.schedule}'s schedule and weighted average (steps above gamma_max allowed: the "
                    "schedule's own claim is under test)")
        return f"{self.algorithm} ({ops}); {prob}; {step}"


@dataclass(frozen=True)
class Check:
    """Compare ``E[lhs]`` with ``E[rhs]`` of theory result ``result`` in ``setting`` at checkpoints ``at``."""

    name: str
    result: str
    kind: str  # "upper" (lhs <= rhs), "equality" (lhs = rhs: the bound is attained) or "zero" (E[lhs] = 0)
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
    #: symbols bound to a fixed value instead of a record (e.g. Upsilon = 0 for an algorithm without memory)
    overrides: tuple[tuple[str, float], ...] = ()
    #: a check outside its result's hypotheses on purpose (a step beyond gamma_max...): reported, never fails
    explore: bool = False
    #: extra bindings of the result's measured symbols to records: (symbol, record, offset), offset 0 for the
    #: record at the checkpoint k, -1 at k - 1 (a user's own symbols; boundlab.simulate.RECORDS lists the records)
    bindings: tuple[tuple[str, str, int], ...] = ()
    #: structural hypotheses (by label) that the check's author vouches for in this setting: reported as
    #: "assumed by the check" (the built-in facts of structural_facts need no entry)
    assume: tuple[str, ...] = ()

    @property
    def tag(self) -> str:
        if self.doubt or get(self.result).status.value == "S?":
            return "S?"
        return "O" if self.innovation_factor != 1 else get(self.result).status.value

    @property
    def role(self) -> str:
        if self.control:
            return "control"
        if self.explore:
            return "explore"
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


def bind(res, k: int, needed: set[str], extra: tuple[tuple[str, str, int], ...] = ()
         ) -> dict[str, np.ndarray | int]:
    """Per-run values of the measured symbols at checkpoint ``k`` (see the module docstring); ``extra``:
    a check's own (symbol, record, offset) bindings, which take precedence."""
    col = {int(x): j for j, x in enumerate(res.k)}

    def at(name: str, i: int) -> np.ndarray:
        return res[name][:, col[i]]

    table = {
        "dist2": lambda: at("dist2", k), "dist2_prev": lambda: at("dist2", k - 1), "dist2_0": lambda: at("dist2", 0),
        "upsilon": lambda: at("upsilon", k), "upsilon_prev": lambda: at("upsilon", k - 1),
        "local_gap2": lambda: at("local_gap2", k), "grad2_hat_prev": lambda: at("grad2_hat", k),
        "grad2_hat_prev2": lambda: at("grad2_hat", k - 1) if k >= 2 else np.zeros(res.n_runs),
        "excess_loss_prev": lambda: at("excess_loss", k - 1), "excess_loss_hat_prev": lambda: at("excess_loss_hat", k),
        "excess_loss": lambda: at("excess_loss", k), "excess_loss_0": lambda: at("excess_loss", 0),
        "excess_loss_avg": lambda: at("excess_loss_avg", k), "k": lambda: k, "K": lambda: k,
        **{name: (lambda name=name: at(name, k)) for name in
           ("ghat2", "zeta2", "contracted_dist2", "down_noise2", "memory_residual2", "local_bias")},
    }
    for symbol, record, offset in extra:
        if record not in res.records:
            from boundlab.errors import BoundlabError
            raise BoundlabError(f"binding {symbol} -> {record}: no such record (records: {', '.join(res.records)})")
        if k + offset not in col:
            from boundlab.errors import BoundlabError
            raise BoundlabError(f"binding {symbol} -> {record} at k{offset:+d}: checkpoint {k + offset} not recorded")
        table[symbol] = (lambda record=record, offset=offset: at(record, k + offset))
    return {n: table[n]() for n in needed if n in table}


def constants_of(problem, algorithm, gamma: float) -> dict[str, float]:
    """The theory constants of a run (:func:`boundlab.simulate.constants.resolve_constants`), with ``gamma``."""
    from boundlab.simulate.constants import resolve_constants
    return resolve_constants(problem, algorithm, gamma).theory_values()


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
        "init": not getattr(algorithm, "memory_offset", 0.0),  # H_0 = w_hat_0 = w_0 (Upsilon_0 = 0)
        "quadratic": True,
        "uplink attains A1": bool(algorithm.up.tight),
        "downlink attains A1": bool(algorithm.down.tight),
        "equal groups": len(set(getattr(algorithm, "group_sizes", [1]))) == 1,
        "subtractive dither": not getattr(algorithm.up, "relative", True),
        "exact gradients": problem.sigma2 == 0 and not getattr(algorithm, "delay", 0),
        "A = L I": problem.mu == problem.L,
    }


# ------------------------------------------------------------------------------------ suites
# More problems. ISOTROPIC: A = L I (mu = L), where the 1/C identity is exact and every direction is
# alike; AT_OPTIMUM: w_0 = w_* on it, the noise-dominated regime where a recursion's first steps are
# (nearly) equalities, so the constants of its noise terms show; B2: batches of 2, so that a slip in a
# b scaling shows in simulation too.
ISOTROPIC = {**CONVEX, "mu": 1.0}
AT_OPTIMUM = {**ISOTROPIC, "w0": 0.0}
B2 = {**CONVEX, "b": 2}
# rand-k at d = 10: k = 5 gives omega = 1, k = 2 gives omega = 4, k = 8 gives omega = 0.25 (equality in A1).
RK_UP, RK_DOWN, RK_LIGHT = "randk:k=5", "randk:k=2", "randk:k=8"
OMEGA_DOWN = 4.0


def _mcm(problem: dict, name: str = "mcm", down: str = QSGD, **extra) -> Setting:
    return Setting(problem, name, {"up": QSGD, "down": down, **extra})


def _rk(problem: dict, name: str = "mcm", up: str = RK_UP, down: str = RK_DOWN, **extra) -> Setting:
    return Setting(problem, name, {"up": up, "down": down, **extra})


def bernoulli_down(x: float) -> dict:
    """An identity uplink and a Bernoulli downlink of omega_dwn = x - 1 (x = 1 + omega_dwn); MCM keeps its
    default alpha_dwn."""
    return {"up": "identity", "down": f"bernoulli:p={1.0 / x!r}"}


def alpha_sweep(factors: tuple[float, ...], runs: int) -> list[Check]:
    """Theorem 5 from Upsilon_0 = 1 (memory_offset = 1, the carried term dominates from the first step; checkpoints
    1, 2, 5, before the multiplicative process grows heavy tails) for
    alpha_dwn = factor / (1 + omega_dwn), rand-k downlink omega_dwn = 4, small step (gamma_max / 4).
    THEORY.md 7.2: it holds for every alpha <= 1/(1 + omega) (asserted, the 1/(4 omega) reading waived), and
    fails for alpha > 3/(2(1 + omega)) at small gamma (exact limit ratio 1.25 at 2/(1 + omega): a finding)."""
    # the step stays at a quarter of gamma_max at the *default* alpha_dwn for every factor (gamma = "theory" would
    # follow the hand-set alpha, gamma_max_alpha, and change the step with it): only alpha varies along the sweep
    gamma = 0.25 * float(get("gamma_max").evaluate(L=CONVEX["L"], N=CONVEX["N"], omega_up=1.0,   # rand-k k=5: 1
                                                   omega_dwn=OMEGA_DOWN).value)
    out = []
    for f in factors:
        alpha = f / (1 + OMEGA_DOWN)
        beyond = f > 1
        out.append(Check(f"thm5 MCM Upsilon_0=1 alpha={f:g}/(1+omega)", "thm5", "upper",
                         Setting(CONVEX, "mcm", {"up": RK_UP, "down": RK_DOWN, "alpha_dwn": alpha,
                                                 "memory_offset": 1.0}, gamma=gamma),
                         runs, 5, (1, 2, 5), doubt=beyond,
                         waive=() if beyond else ("alpha_dwn <= 1/(4 omega_dwn)",),
                         note=("beyond 1/(1 + omega): THEORY.md 7.2 predicts a violation above 1.5/(1 + omega)"
                               if beyond else "alpha <= 1/(1 + omega): Theorem 5 holds (THEORY.md 7.2, consequence 1),"
                               " so the 1/(4 omega) reading of the garbled condition is waived")))
    return out


def quick_suite() -> list:
    """Every check, at the size that keeps ``boundlab verify`` under a minute on two cores."""
    from boundlab.verify.controls import understated_randk
    from boundlab.verify.decentralized import decentralized_checks
    from boundlab.verify.stale import stale_checks
    from boundlab.verify.kinds import ParticipationCheck
    from boundlab.verify.symbolic import symbolic_checks

    # Proposition 1 has no step-size hypothesis: gamma = 0.1 (gamma_up / 4.5) keeps w_hat close to w, so the
    # squared gradients stay light-tailed and the equality is sharp at every checkpoint (at gamma_up the k = 4
    # interval is 5% wide).
    ghost_eq = Setting(CONVEX, "ghost", {"up": "randk:k=5", "down": "randk:k=2"}, gamma=0.1)
    ghost = Setting(CONVEX, "ghost", {"up": QSGD, "down": QSGD})
    mcm_c, mcm_sc = _mcm(CONVEX), _mcm(STRONGLY_CONVEX)
    noise_sc = {**STRONGLY_CONVEX, "w0": 0.0}
    return [
        *operator_checks(draws=20_000),
        *symbolic_checks(),
        # ---------------------------------------------------------------- Proposition 1, Theorem 3 (Ghost)
        Check("prop1 Ghost rand-k both ways", "prop1", "equality", ghost_eq, 200_000, 4, (1, 4),
              note="Proposition 1 is attained: rand-k both ways, homogeneous, E||xi||^2 = sigma^2/b exactly"),
        Check("thm3 Ghost", "thm3", "upper", ghost, 4000, 50, (2, 10, 50)),
        Check("thm3 Ghost from the optimum", "thm3", "upper", Setting(AT_OPTIMUM, "ghost", {"up": RK_UP,
                                                                                            "down": RK_LIGHT}),
              20_000, 3, (1, 2, 3),
              note="tight regime: w_0 = w_*, A = L I, light downlink (omega = 0.25); at k = 1 E||w_1 - w_*||^2 "
                   "= gamma^2 (1 + omega_up) sigma^2/(N b) exactly, against the bound's (1 + 2 gamma L omega_dwn) "
                   "times that"),
        # ---------------------------------------------------------------- MCM: the local gap and Theorem 5
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
        Check("thm5 MCM from the optimum", "thm5", "upper", _rk({**CONVEX, "w0": 0.0}), 20_000, 3, (1, 2, 3),
              note="tight regime for the noise term: Upsilon_0 = 0 and w_0 = w_*, so E Upsilon_1 = gamma^2 (1 + "
                   "omega_up) sigma^2/(N b) exactly, half of the bound's noise term (the factor 2 the proof spends on "
                   "Young's inequality, THEORY.md 7.2)"),
        *alpha_sweep((0.15625, 1.0, 2.0), 4000),  # 0.15625/(1 + omega) = 1/(8 omega) at omega = 4
        Check("thm5 MCM mu>0", "thm5", "upper", mcm_sc, 4000, 100, (2, 100), waive=("mu = 0 (as printed)",),
              note="the slide states mu = 0, but Theorem 7 uses Theorem 5 at mu > 0, and THEORY.md 7.2 proves it for "
                   "any F: the hypothesis is waived"),
        # ---------------------------------------------------------------- Theorem 6 (MCM, convex)
        Check("thm6 MCM one step", "thm6", "upper", mcm_c, 4000, 100, (2, 20, 100)),
        Check("thm6 MCM from the optimum", "thm6", "upper", _rk(AT_OPTIMUM), 20_000, 2, (1, 2),
              note="tight regime: w_0 = w_*, so at k = 1 V_1 = gamma^2 (1 + omega_up) sigma^2/(N b) (1 + 32 gamma L "
                   "omega_dwn^2) against gamma^2 sigma^2 Phi/(N b): the first step pins Phi against V"),
        Check("thm6_averaged MCM", "thm6_averaged", "upper", mcm_c, 4000, 200, (10, 200)),
        Check("thm6_tuned MCM", "thm6_tuned", "upper",
              Setting({**CONVEX, "sigma": 4.0}, "mcm", {"up": RK_UP, "down": "randk:k=5"}, schedule="thm6_tuned"),
              2000, 400, (400,),
              note="the step tuned to the horizon K = 400, sqrt(||w_0 - w_*||^2 N b/((1 + omega_up) sigma^2 K)) = "
                   "0.028, below gamma_max = 0.031 (sigma = 4 makes K = 400 'large enough')"),
        # ---------------------------------------------------------------- Theorem 7 (MCM, strongly convex)
        Check("thm7 MCM one step", "thm7", "upper", mcm_sc, 4000, 100, (2, 20, 100)),
        Check("thm7 Rand-MCM-G one step (Thm 8)", "thm7", "upper", _mcm(STRONGLY_CONVEX, "rand-mcm-g", G=2), 2000,
              100, (2, 100)),
        Check("thm7 Rand-MCM with reset", "thm7", "upper", _mcm(STRONGLY_CONVEX, "rand-mcm-reset", reset_period=5),
              2000, 100, (2, 5, 6, 100),
              note="the slides' variant with one averaged memory, reset every 5 iterations (k = 5: a reset step)"),
        Check("thm7 MCM from the optimum", "thm7", "upper", _rk(noise_sc), 20_000, 2, (1, 2),
              note="tight regime for the noise term: w_0 = w_*"),
        Check("thm7 MCM heterogeneous, memory uplink ([O] constant 2)", "thm7", "upper",
              Setting({**STRONGLY_CONVEX, "B2": 1.0}, "mcm", {"up": RK_UP, "down": RK_DOWN, "uplink": "memory"}),
              4000, 200, (2, 20, 200), innovation_factor=2.0, waive=("homogeneous", "no uplink memory"),
              note="the slides' extension to heterogeneous workers with an uplink memory 'at the cost of a constant "
                   "2' [O]: the bound's non-carried part doubled"),
        Check("thm7_linear MCM sigma=0", "thm7_linear", "upper", _mcm(NOISELESS_SC), 2000, 500, (10, 100, 500)),
        Check("thm7_linear MCM mu close to L, light compression", "thm7_linear", "upper",
              Setting({**NOISELESS_SC, "mu": 0.9}, "mcm", {"up": RK_LIGHT, "down": RK_LIGHT}), 2000, 100,
              (1, 10, 100),
              note="mu = 0.9 L and omega = 0.25 both ways: gamma_max mu is as large as it gets, so the contraction "
                   "factor (1 - gamma_max mu) shows"),
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
        Check("thm7_averaged MCM, second instance", "thm7_averaged", "upper",
              Setting({**STRONGLY_CONVEX, "sigma": 1e-3}, "mcm", {"up": QSGD, "down": QSGD}, schedule="thm7_averaged"),
              1000, 400, (100, 400), seed_key="thm7_averaged instance 2"),
        Check("thm7_averaged_derived MCM", "thm7_averaged_derived", "upper",
              Setting({**STRONGLY_CONVEX, "sigma": 1e-3}, "mcm", {"up": QSGD, "down": QSGD},
                      schedule="thm7_averaged_derived"), 2000, 400, (100, 400), seed_key="thm7_averaged MCM",
              note="THEORY.md 7.6: the schedule with offset 4 L~ (every step <= gamma_max), same instance and seed as "
                   "the printed corollary's check"),
        # ---------------------------------------------------------------- Theorem 9 (Rand-MCM): one instance, one seed
        *theorem9_checks(2000, 250),
        # ---------------------------------------------------------------- THEORY.md section 7: exact identities
        Check("uplink_second_moment MCM rand-k up", "uplink_second_moment", "equality", _rk(B2), 100_000, 5,
              (1, 5), note="THEORY.md 7.1 with a rand-k uplink (equality in A1); b = 2"),
        Check("uplink_second_moment QSGD rand-k up", "uplink_second_moment", "equality",
              Setting(B2, "qsgd", {"up": RK_UP}), 100_000, 5, (1, 5),
              note="the same identity for QSGD (gradients at w_{k-1}: no downlink)"),
        Check("uplink_second_moment SGD", "uplink_second_moment", "equality", Setting(B2, "sgd", {}), 50_000, 5,
              (1, 5), note="omega_up = 0: E||g_hat||^2 = ||grad F||^2 + sigma^2/(N b)"),
        Check("memory_step MCM rand-k down", "memory_step", "equality", _rk(CONVEX), 100_000, 5, (1, 5),
              note="THEORY.md 7.2: E||w_k - H_k||^2 = (1 - 2 alpha + alpha^2 (1 + omega_dwn)) E Upsilon_k"),
        Check("memory_step Rand-MCM-G rand-k down", "memory_step", "equality", _rk(CONVEX, "rand-mcm-g", G=2),
              50_000, 5, (5,), note="per group, weighted by n_g/N"),
        Check("distance_identity MCM", "distance_identity", "equality", _mcm({**B2, "w0": 0.0}), 50_000, 5, (2, 5),
              note="THEORY.md 7.3, with s-quantization (any unbiased operators); from w_0 = w_*, where the noise "
                   "term gamma^2 E||zeta_k||^2 is a large part of the distance"),
        Check("distance_identity Rand-MCM-G", "distance_identity", "equality",
              _mcm({**B2, "w0": 0.0}, "rand-mcm-g", G=2), 50_000, 5, (5,)),
        *one_over_c_checks(50_000),
        Check("mcm_unbiased_local MCM rand-k down", "mcm_unbiased_local", "zero", _rk(CONVEX), 50_000, 5, (5,),
              note="E<w_hat_k - w_k, Omega_k> = 0 for an unbiased downlink"),
        ParticipationCheck("partial participation: aggregate unbiased (p=0.1, N=5)", N=5, p=0.1, d=10, draws=100_000,
                           note="THEORY.md 7.8: the bare 1/(pN) rule would give a mean 2.44 times too large"),
        # ---------------------------------------------------------------- [O] orders: limit variance vs omega_dwn
        *limit_variance_orders(100),
        # ---------------------------------------------------------------- decentralized training (seed 001)
        *decentralized_checks(),
        # ---------------------------------------------------------------- stale compressed gradients (seed 002)
        *stale_checks(),
        # ---------------------------------------------------------------- negative controls: each must fail
        *negative_controls(),
        OperatorCheck("A1 control: rand-k declaring half its omega", "randk:k=3", 10, 20_000, control=True,
                      make=understated_randk, note="declares omega = (d/k - 1)/2"),
    ]


# The limit-variance problem: A = I, w_0 = w_*, 4 workers, one step gamma = 3.5e-4 (MCM's gamma_max at
# omega_dwn = 20 is 3.4e-4, so gamma L omega_dwn^2 <= 0.15 on the whole range); 3000 iterations ~ 1/(gamma mu),
# the record averaged over the second half.
LIMIT = {"N": 4, "d": 10, "L": 1.0, "mu": 1.0, "sigma": 1.0, "b": 1, "w0": 0.0}
LIMIT_XS = (1.0, 2.0, 5.0, 10.0, 21.0)  # 1 + omega_dwn


def limit_variance_orders(runs: int) -> list:
    """The [O] limit-variance claims as fitted exponents in 1 + omega_dwn: Artemis grows like it (exponent 1),
    MCM does not (exponent 0: its (1 + gamma L omega_dwn^2) stays near 1 at this step)."""
    from boundlab.verify.kinds import OrderCheck

    common = dict(xs=LIMIT_XS, problem=LIMIT, gamma=3.5e-4, runs=runs, iterations=3000)
    return [OrderCheck("Artemis limit variance ~ (1 + omega_dwn)", "limit_variance_artemis_dore", 1.0, "artemis",
                       bernoulli_down, note="Bernoulli downlink, identity uplink", **common),
            OrderCheck("MCM limit variance flat in omega_dwn", "limit_variance_mcm", 0.0, "mcm", bernoulli_down,
                       note="Bernoulli downlink, identity uplink, alpha_dwn = 1/(8 omega_dwn)", **common)]


def theorem9_checks(runs: int, K: int) -> list[Check]:
    """Theorem 9 for C = 1 (MCM), 2 (Rand-MCM-G) and N (Rand-MCM), printed ('/K') and derived ('/alpha_dwn',
    THEORY.md 7.5), on ONE problem instance with one seed (common random numbers): the noise-dominated regime
    (w_0 = w_*, A = L I, K = 250 ~ 1/(gamma L)) where the variance term is all of the bound."""
    out = []
    for alg, extra, C in (("mcm", {}, 1), ("rand-mcm-g", {"G": 2}, 2), ("rand-mcm", {}, CONVEX["N"])):
        for result in ("thm9", "thm9_alpha"):
            out.append(Check(f"{result} {alg} (C={C})", result, "upper", _rk(AT_OPTIMUM, alg, **extra), runs, K,
                             (K // 5, K), constants={"C": C}, seed_key="thm9",
                             note="one instance, one seed for the six Theorem 9 checks"))
    return out


def one_over_c_checks(runs: int) -> list[Check]:
    """THEORY.md 7.4 for C = 1, 2, N on ONE isotropic instance with common random numbers."""
    return [Check(f"one_over_C {alg} (C={C})", "one_over_C", "equality", _rk(ISOTROPIC, alg, **extra), runs, 5,
                  (2, 5), constants={"C": C}, seed_key="one_over_C",
                  note="A = L I, rand-k downlink, equal groups; the three checks share instance and seed")
            for alg, extra, C in (("mcm", {}, 1), ("rand-mcm-g", {"G": 2}, 2), ("rand-mcm", {}, CONVEX["N"]))]


def negative_controls() -> list[Check]:
    """Settings where a bound is known to be false; each check must fail (else the suite exits 1)."""
    return [
        Check("control: model compression (alpha=0) vs thm6_averaged", "thm6_averaged", "upper",
              Setting({**AT_OPTIMUM, "sigma": 0.1}, "model-compression", {"up": RK_UP, "down": RK_DOWN}), 500, 500,
              (500,), control=True,
              note="the first attempt w_hat = C(w), from w_0 = w_*: its downlink noise L^2 omega_dwn ||w||^2 does not "
                   "vanish at w_* (||w_*||^2 ~ d), against a bound whose variance term is gamma sigma^2 Phi/(N b)"),
        Check("control: update compression vs prop1", "prop1", "upper",
              Setting(CONVEX, "update-compression", {"up": RK_UP, "down": RK_DOWN}, gamma=0.05), 4000, 50, (50,),
              control=True, note="the first attempt w_hat_k = w_hat_{k-1} - gamma C(g_hat): its local gap accumulates"),
        Check("control: Artemis omega_dwn=49 vs MCM's thm7 (Upsilon = 0)", "thm7", "upper",
              Setting({**STRONGLY_CONVEX, "w0": 0.0}, "artemis", {"up": "identity", "down": "bernoulli:p=0.02"},
                      gamma=9e-5), 20_000, 2, (1, 2), control=True,
              overrides=(("upsilon", 0.0), ("upsilon_prev", 0.0)),
              note="a degraded algorithm at MCM's gamma_max: its (1 + omega_dwn) = 50 exceeds Phi's "
                   "(1 + 64 gamma L omega_dwn^2) = 14.8"),
        Check("control: top-k downlink inside MCM vs E[w_hat | w] = w", "mcm_unbiased_local", "zero",
              Setting(CONVEX, "mcm", {"up": RK_UP, "down": "topk:k=2", "alpha_dwn": 0.1}, gamma=0.01,
                      unsafe=(("biased_down_ok", True),)), 4000, 5, (5,), control=True,
              note="top-k keeps the largest coordinates: <C(Omega) - Omega, Omega> < 0 always"),
        Check("control: heterogeneous plain uplink vs thm7 x2", "thm7", "upper",
              Setting({**STRONGLY_CONVEX, "B2": 10.0, "sigma": 0.1, "w0": 0.0}, "mcm",
                      {"up": RK_UP, "down": RK_DOWN}), 4000, 2, (1, 2), innovation_factor=2.0, control=True,
              note="the extension needs an uplink memory: without it, omega_up ||grad F_i(w_*)||^2/N stays in "
                   "the noise"),
    ]


def full_suite() -> list:
    """More runs, more checkpoints, and other operators, step sizes and regimes."""
    from boundlab.verify.edge import EdgeCheck
    from boundlab.verify.kinds import OrderCheck

    out: list = []
    for c in quick_suite():
        if isinstance(c, OperatorCheck):
            out.append(dataclasses.replace(c, draws=c.draws * 5))
        elif isinstance(c, Check):
            out.append(dataclasses.replace(c, runs=c.runs * 4))
        elif isinstance(c, OrderCheck):
            out.append(dataclasses.replace(c, runs=c.runs * 4))  # noqa: PIE  (the same claims, 4x the runs)
        else:
            out.append(c)
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
        *[dataclasses.replace(c, name=c.name + " (full)") for c in alpha_sweep((0.3125, 0.625, 1.5), 16_000)],
        *thm7_averaged_range(),
        *[Check(f"thm7 MCM at {f:g} gamma_max", "thm7", "upper",
                Setting(STRONGLY_CONVEX, "mcm", {"up": RK_UP, "down": RK_DOWN}, gamma=f"theory*{f:g}"), 4000, 100,
                (2, 20, 100), explore=True,
                note="beyond the step-size hypothesis on purpose: where does the recursion break?")
          for f in (2.0, 8.0, 32.0)],
        *[EdgeCheck(f"step-size edge {alg}", alg) for alg in ("mcm", "artemis", "dore")],
    ]
    return out


def thm7_averaged_range() -> list[Check]:
    """Theorem 7's printed corollary [S?] and the [D] re-derivation over K = 100, 400, 2000 and two problem
    instances (THEORY.md 7.6: quote the range of the violation, not one factor)."""
    out = []
    for inst in (1, 2):
        for K in (100, 400, 2000):
            for result in ("thm7_averaged", "thm7_averaged_derived"):
                out.append(Check(f"{result} MCM K={K} instance {inst}", result, "upper",
                                 Setting({**STRONGLY_CONVEX, "sigma": 1e-3}, "mcm", {"up": QSGD, "down": QSGD},
                                         schedule=result), 1000, K, (K,), seed_key=f"thm7_averaged range {inst}"))
    return out


def operator_checks(draws: int) -> list[OperatorCheck]:
    specs = ("qsgd:s=1", "qsgd:s=2", "qsgd:s=1,norm=linf", "qsgd:s=1,bucket=5", "randk:k=3", "bernoulli:p=0.3")
    return [OperatorCheck(f"A1 {s}", s, 10, draws) for s in specs] + [
        # d = 100: the two branches of s-quantization's omega = min(d/s^2, sqrt(d)/s) differ (100 vs 10 at s = 1;
        # 0.25 vs 0.5 at s = 20, where d/s^2 is the smaller)
        OperatorCheck("A1 qsgd:s=1 d=100", "qsgd:s=1", 100, draws),
        OperatorCheck("A1 qsgd:s=20 d=100", "qsgd:s=20", 100, draws)]


SUITES = {"quick": quick_suite, "full": full_suite}


def register_suite(name: str, suite) -> None:
    """Make ``suite`` (a function returning a list of checks) available as ``boundlab verify --suite NAME``
    (for a plug-in; a module or file can also be given to ``--suite`` directly)."""
    from boundlab.errors import BoundlabError
    if name in SUITES and SUITES[name] is not suite:
        raise BoundlabError(f"suite '{name}' is already registered")
    SUITES[name] = suite


def load_suite(name: str) -> list:
    """The checks of suite ``name``: a registered suite (quick, full, a plug-in's), or a Python module or ``.py``
    file defining ``suite()`` (a function returning the checks) or a list ``SUITE``."""
    from boundlab.errors import BoundlabError
    if name not in SUITES:
        if not (name.endswith(".py") or "." in name or "/" in name):
            raise BoundlabError(f"suite must be one of {', '.join(SUITES)}, a Python module or a .py file, "
                                f"got {name!r}")
        from boundlab.plugins import load
        module = load(name)
        if name in SUITES:          # the module registered itself under this name
            return list(SUITES[name]())
        fn = getattr(module, "suite", None)
        items = fn() if callable(fn) else getattr(module, "SUITE", None)
        if items is None:
            raise BoundlabError(f"suite {name!r}: the module defines neither suite() nor SUITE")
        items = list(items)
        if not items:
            raise BoundlabError(f"suite {name!r} has no checks")
        return items
    return list(SUITES[name]())
