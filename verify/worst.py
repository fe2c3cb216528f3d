r"""The worst case of a bound: the instance, inside the result's hypotheses, that brings E[lhs]/E[rhs]
closest to 1 (or past it), found on **exact** expectations (``boundlab.simulate.exact``).

For each result a search space maps a point of the unit box to an instance: N, d, the spectrum
(mu/L), sigma, the starting distance, omega_up and omega_dwn (Bernoulli operators, whose omega is
exact and continuous), the step as a fraction of the bound the result's hypotheses allow, alpha_dwn
(Theorem 5), the memory offset (Upsilon_0 > 0), the number of groups (Theorem 9), and the checkpoint
(the ratio is maximised over k <= K). The hypotheses are met by construction, and every checkable
hypothesis is evaluated again on the instance: a point that leaves them is rejected. The search is
multi-start bounded optimisation (``scipy.optimize.minimize``, Powell; the first start at the
noise-dominated corner w_0 = w_*, the others at random) under a budget of evaluations: a local
search, not an exhaustive one. A ratio above 1 inside the hypotheses is a counterexample; ``boundlab worst`` then
confirms it by Monte Carlo and prints a ``boundlab simulate`` config that reproduces it.

**Empirical constants.** Every instance explored is kept; for each constant of the statement (the
targets of ``boundlab.theory.perturb``), the report gives the scale at which the bound would first
fail on one of them: "Phi's 64 could be 64 x s on every instance tried". The smaller that scale,
the more slack the constant has on what was explored (not a proof of anything beyond it).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from boundlab.errors import BoundlabError

K_MAX = 30


def _omega(u: float, top: float = 16.0) -> float:
    """A point of [0, 1] to omega in [0, top], denser near 0."""
    return float(top * u * u)


def _bern(omega: float) -> str:
    return "identity" if omega <= 1e-12 else f"bernoulli:p={float(1.0 / (1.0 + omega))!r}"


@dataclass(frozen=True)
class Space:
    """A search space: ``names`` of the coordinates of the unit box and ``build(theta)`` -> Instance."""

    result: str
    names: tuple[str, ...]
    build: Callable[[np.ndarray], "Instance"]


@dataclass
class Instance:
    problem: dict
    algorithm: str
    params: dict
    gamma_fraction: float  # of the step bound named in ``step``
    step: str  # "gamma_up" | "gamma_max" | "thm5" (1/(8 omega_dwn L)) | "free" (gamma = gamma_fraction)
    K: int
    constants: dict = field(default_factory=dict)


def _common(t: np.ndarray, mu_free: bool = True) -> dict:
    N = 1 + int(round(t[0] * 7))
    d = 2 + int(round(t[1] * 6))
    return {"N": N, "d": d, "L": 1.0, "mu": float(t[2]) if mu_free else 0.0, "sigma": 2.0 * float(t[3]),
            "b": 1, "w0": 2.0 * float(t[4])}


def _mcm_space(result: str, mu: str, extra: tuple[str, ...] = ()) -> Space:
    names = ("N", "d", "mu/L", "sigma", "||w0 - w*||", "omega_up", "omega_dwn", "gamma/bound", "k", *extra)

    def build(t: np.ndarray) -> Instance:
        prob = _common(t, mu_free=(mu != "zero"))
        if mu == "positive":
            prob["mu"] = max(prob["mu"], 0.01)
        if mu == "isotropic":
            prob["mu"] = 1.0
        wu, wd = _omega(t[5]), 1.0 / 7 + _omega(t[6])  # omega_dwn >= 1/7: alpha = 1/(8 omega_dwn) by default
        params = {"up": _bern(wu), "down": _bern(wd)}
        constants = {}
        alg = "mcm"
        if result in ("thm9", "thm9_alpha", "one_over_C"):
            G = [1, 2, prob["N"]][int(round(t[9] * 2))]
            if prob["N"] % G:
                G = 1
            alg = "rand-mcm-g"
            params["G"] = G
            constants["C"] = G
        step = "gamma_max"
        if result == "thm5":
            alpha = (0.05 + 0.95 * t[9]) * min(1.0 / (4 * wd), 1.0)   # alpha_dwn <= 1/(4 omega_dwn)
            params.update(alpha_dwn=float(alpha), memory_offset=2.0 * float(t[10]))
            step = "thm5"
        K = 1 + int(round(t[8] * (K_MAX - 1)))
        return Instance(prob, alg, params, 0.01 + 0.99 * float(t[7]), step, K, constants)

    return Space(result, names, build)


def _ghost_space(result: str) -> Space:
    names = ("N", "d", "mu/L", "sigma", "||w0 - w*||", "omega_up", "omega_dwn", "gamma/bound", "k")

    def build(t: np.ndarray) -> Instance:
        prob = _common(t)
        params = {"up": _bern(_omega(t[5])), "down": _bern(_omega(t[6]))}
        K = 1 + int(round(t[8] * (K_MAX - 1)))
        # Proposition 1 has no step hypothesis (up to 2 gamma_up here); Theorem 3 needs gamma <= gamma_up.
        top = 2.0 if result == "prop1" else 1.0
        return Instance(prob, "ghost", params, top * (0.01 + 0.99 * float(t[7])), "gamma_up", K)

    return Space(result, names, build)


SPACES: dict[str, Space] = {
    "prop1": _ghost_space("prop1"),
    "thm3": _ghost_space("thm3"),
    "thm5": _mcm_space("thm5", "zero", ("alpha/(1/(4 omega_dwn))", "memory offset")),
    "thm6": _mcm_space("thm6", "free"),
    "thm7": _mcm_space("thm7", "positive"),
    "thm9": _mcm_space("thm9", "zero", ("groups",)),
    "thm9_alpha": _mcm_space("thm9_alpha", "zero", ("groups",)),
    "uplink_second_moment": _mcm_space("uplink_second_moment", "free"),
    "memory_step": _mcm_space("memory_step", "free"),
    "distance_identity": _mcm_space("distance_identity", "free"),
    "one_over_C": _mcm_space("one_over_C", "isotropic", ("groups",)),
}


@dataclass
class Evaluation:
    theta: np.ndarray
    instance: Instance
    ratio: float  # max over k of E[lhs]/E[rhs]
    k: int
    innovation: float | None  # at that k; or, with objective "innovation", the max over k of the innovation ratio
    values: list[dict]  # per checkpoint k = 1..K: the inputs of the statement (exact expectations)
    gamma: float


def evaluate(result: str, inst: Instance, seed: int = 0, objective: str = "ratio") -> Evaluation | None:
    """Exact ratio of ``result`` on ``inst`` (None when the instance leaves the hypotheses or diverges)."""
    from boundlab.simulate import make_algorithm, quadratic
    from boundlab.simulate.exact import exact
    from boundlab.theory import get
    from boundlab.theory.core import numeric
    from boundlab.verify.checks import bind, constants_of, needed_symbols
    from boundlab.verify.suite import _ExactRecords

    problem = quadratic(**inst.problem, seed=seed)
    algorithm = make_algorithm(inst.algorithm, dict(inst.params))
    algorithm.setup(problem)
    if inst.step == "thm5":
        bound = 1.0 / (8 * algorithm.omega_dwn * problem.L) if algorithm.omega_dwn else algorithm.gamma_bound(problem)
    else:
        bound = algorithm.gamma_bound(problem)
    gamma = inst.gamma_fraction * bound
    ex = _ExactRecords(exact(problem, algorithm, n_iter=inst.K, gamma=gamma, checkpoints_spec="all"))
    r = get(result)
    needed = needed_symbols(result)
    consts = {**constants_of(problem, algorithm, gamma), **inst.constants}
    best, best_k, values, innovation = -math.inf, 0, [], None
    innov = r.innovation()
    for k in range(1, inst.K + 1):
        vals = {**{n: v for n, v in consts.items() if n in needed}, **bind(ex, k, needed)}
        vals = {n: float(np.asarray(v).ravel()[0]) if isinstance(v, np.ndarray) else v for n, v in vals.items()}
        if not all(np.isfinite(v) for v in vals.values()):
            return None
        e = r.evaluate(**vals)
        for h in e.hypotheses.values():
            if "(as printed)" in h.hypothesis.label and h.hypothesis.status.value == "S?":
                continue  # Theorem 5's garbled condition: the probable reading 1/(4 omega_dwn) is enforced instead
            if h.holds is not None and not bool(np.all(h.holds)):
                return None
        lhs, rhs = float(e.lhs), float(e.value)
        values.append(vals)
        i = float(numeric(innov, vals)) if innov is not None else 0.0
        inn = (lhs - rhs + i) / i if i > 0 else None
        score = (lhs / rhs if rhs > 0 else -math.inf) if objective == "ratio" else (
            inn if inn is not None else -math.inf)
        if score > best:
            best, best_k, innovation = score, k, inn
    if objective == "innovation":  # report the full ratio at the k of the largest innovation ratio
        v = values[best_k - 1] if best_k else None
        if v is None:
            return None
        e = r.evaluate(**v)
        return Evaluation(np.array([]), inst, float(e.lhs) / float(e.value), best_k, best, values, gamma)
    return Evaluation(np.array([]), inst, best, best_k, innovation, values, gamma)


@dataclass
class WorstReport:
    result: str
    best: Evaluation | None
    evaluations: int
    rejected: int
    explored: list[Evaluation]
    constants: list[tuple[str, float | None]] = field(default_factory=list)
    confirmation: str = ""
    objective: str = "ratio"

    def config_toml(self) -> str:
        """A ``boundlab simulate`` config reproducing the tightest instance."""
        if self.best is None:
            return ""
        inst = self.best.instance
        lines = [f"# boundlab worst {self.result}: E[lhs]/E[rhs] = {self.best.ratio:.6g} at k = {self.best.k}",
                 f"gamma = {self.best.gamma!r}", f"iterations = {inst.K}", "allow_large_step = true", "",
                 "[problem]", 'kind = "quadratic"', "seed = 0"]
        lines += [f"{k} = {v!r}" for k, v in inst.problem.items()]
        lines += ["", "[algorithm]", f'name = "{inst.algorithm}"']
        lines += [f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"' for k, v in inst.params.items()]
        return "\n".join(lines)


def search(result: str, budget: int = 300, seed: int = 0, starts: int = 4, objective: str = "ratio") -> WorstReport:
    """Maximise the exact ratio of ``result`` over its search space (see the module docstring); ``objective``
    "innovation" maximises a recursion's innovation ratio E[lhs - carried]/E[rhs - carried] instead."""
    from scipy.optimize import minimize

    if result not in SPACES:
        raise BoundlabError(f"worst: no search space for '{result}'; one of {', '.join(SPACES)}")
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 10:
        raise BoundlabError(f"budget must be an integer >= 10 (evaluations), got {budget!r}")
    space = SPACES[result]
    if objective not in ("ratio", "innovation"):
        raise BoundlabError(f"objective must be 'ratio' or 'innovation', got {objective!r}")
    from boundlab.theory import get
    if objective == "innovation" and get(result).innovation() is None:
        raise BoundlabError(f"objective 'innovation': '{result}' is not a recursion with a carried term")
    gen = np.random.default_rng(seed)
    explored: list[Evaluation] = []
    rejected = [0]
    count = [0]

    def f(theta: np.ndarray) -> float:
        if count[0] >= budget:
            return 0.0
        count[0] += 1
        theta = np.clip(theta, 0.0, 1.0)
        try:
            ev = evaluate(result, space.build(theta), objective=objective)
        except BoundlabError:
            ev = None
        score = None if ev is None else (ev.ratio if objective == "ratio" else ev.innovation)
        if score is None or not math.isfinite(score):
            rejected[0] += 1
            return 10.0
        ev.theta = theta
        explored.append(ev)
        return -score

    n = len(space.names)
    per = max(budget // starts, 5)
    # The first start is the noise-dominated corner where recursions are tight in their first steps (w_0 = w_*,
    # largest sigma, no memory offset: THEORY.md 7.7); the others are uniform at random.
    corner = np.full(n, 0.5)
    corner[3], corner[4] = 1.0, 0.0
    if "memory offset" in space.names:
        corner[space.names.index("memory offset")] = 0.0
    for j in range(starts):
        if count[0] >= budget:
            break
        x0 = corner if j == 0 else gen.random(n)
        minimize(f, x0, method="Powell", bounds=[(0.0, 1.0)] * n,
                 options={"maxfev": per, "xtol": 1e-3, "ftol": 1e-6})
    key = (lambda e: e.ratio) if objective == "ratio" else (lambda e: e.innovation)
    best = max(explored, key=key) if explored else None
    report = WorstReport(result, best, count[0], rejected[0], explored, objective=objective)
    report.constants = empirical_constants(result, explored)
    return report


def empirical_constants(result: str, explored: list[Evaluation]) -> list[tuple[str, float | None]]:
    """For each target of the result's statements: the scale at which the bound first fails on an explored
    instance (on the side where scaling tightens it), or None if no scale in [2^-12, 2^12] does."""
    from boundlab.theory import get
    from boundlab.theory.perturb import owners_of, perturbed, targets

    if not explored:
        return []
    rows = [v for e in explored for v in e.values]
    names = set().union(*rows)
    values = {n: np.array([r[n] for r in rows], dtype=float) for n in names}
    r = get(result)

    def fails(t, s) -> bool:
        try:
            with perturbed(t, s), np.errstate(all="ignore"):
                from boundlab.theory.core import numeric
                cur = get(result)
                lhs, rhs = numeric(cur.lhs, values), numeric(cur.rhs, values)
                # relative 1e-9: the exact propagation's rounding (boundlab.verify.suite.EXACT_PROPAGATION_TOL)
                if r.statement.rel_op == "==":
                    return bool(np.any(np.abs(lhs - rhs) > 1e-9 * np.maximum(np.abs(rhs), 1e-300)))
                return bool(np.any(lhs > rhs * (1 + 1e-9) + 1e-300))
        except (ValueError, TypeError, ZeroDivisionError, KeyError):
            return False

    out = []
    for owner in owners_of(result):
        for t in targets(owner):
            found = None
            for e in (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 12):
                hit = [s for s in (2.0 ** -e, 2.0 ** e) if fails(t, s)]
                if hit:
                    found = hit[0]
                    break
            out.append((t.label, found))
    return out


def render(report: WorstReport) -> str:
    b = report.best
    lines = [f"boundlab worst {report.result}: {report.evaluations} exact evaluations "
             f"({report.rejected} rejected: outside the hypotheses or diverging)"]
    if b is None:
        return "\n".join(lines + ["no admissible instance found"])
    verdict = "COUNTEREXAMPLE (ratio above 1 inside the hypotheses)" if b.ratio > 1 + 1e-9 else "the bound holds"
    if report.objective == "innovation":
        lines += [f"largest innovation ratio E[lhs - carried]/E[rhs - carried] = {b.innovation:.6g} at k = {b.k} "
                  f"(full ratio there {b.ratio:.6g}: {verdict})"]
    else:
        lines += [f"tightest E[lhs]/E[rhs] = {b.ratio:.6g} at k = {b.k}: {verdict}",
                  f"  innovation ratio there: {b.innovation:.4g}" if b.innovation is not None else ""]
    lines.append(f"  instance: problem {b.instance.problem}, {b.instance.algorithm} {b.instance.params}, "
                 f"gamma = {b.gamma:.6g}, K = {b.instance.K}"
                 + (f", {b.instance.constants}" if b.instance.constants else ""))
    if report.confirmation:
        lines.append("  " + report.confirmation)
    lines += ["", "boundlab simulate config (tightest instance):", report.config_toml(), "",
              "Empirical constants: the scale at which the bound first fails on an instance explored (x1 for an "
              "identity: every change breaks it)"]
    for label, s in report.constants:
        lines.append(f"  {label}: " + ("no scale in [2^-12, 2^12] fails" if s is None else f"x{s:.4g}"))
    return "\n".join(x for x in lines if x != "")
