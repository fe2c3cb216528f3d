"""Run a suite of checks and judge every bound with the statistics of :mod:`boundlab.verify.stats`.

1. Each check is simulated with its own seed, derived from the master seed and the check's name
   (``SeedSequence([master, crc32(name)])``), so its numbers depend neither on how many processes
   run the checks nor on which other checks the suite contains.
2. Every (check, checkpoint) pair is one comparison; with M comparisons each is judged at level
   ``alpha / M`` (Bonferroni), so the suite's false-alarm probability is at most ``alpha``.
   Comparisons against closed forms with no randomness (the exact variance of an operator) are
   exact and do not count.
3. ``tighten`` multiplies every bound by a factor (0.97: 3% tighter); a suite that still passes
   would not have noticed a 3% error in a constant.
"""
from __future__ import annotations

import dataclasses
import math
import os
import zlib
from boundlab.simulate.files import progress_map
from dataclasses import dataclass, field

import numpy as np

from boundlab.errors import BoundlabError
from boundlab.theory import get
from boundlab.theory.core import expand
from boundlab.verify import stats
from boundlab.verify.checks import (Check, OperatorCheck, bind, constants_of, load_suite, needed_symbols,
                                    structural_facts)

ALPHA = 0.01  # the suite's false-alarm rate

# A closed-form comparison is exact up to floating-point rounding of sums of d = 10 terms.
EXACT_TOL = 1e-12


@dataclass
class Measurement:
    """Per-run sides of one comparison (before any statistics).

    ``result`` and ``values`` (its inputs: constants and per-run records) let :meth:`sides`
    re-evaluate both sides from the theory as it stands, so that ``--power`` can judge the same
    records against a perturbed statement. ``omega_of`` (operator spec, d): the omega is also
    re-read from the theory. ``derivation``: a symbolic re-derivation (no records at all).
    """

    k: int | None
    lhs: np.ndarray
    rhs: np.ndarray
    exact: bool = False  # deterministic closed forms: judged without statistics
    result: str | None = None
    values: dict | None = None
    innovation: np.ndarray | None = None  # per-run non-carried part of a recursion's bound
    innovation_factor: float = 1.0  # bound = rhs + (factor - 1) * innovation ([O] "constant 2" checks)
    omega_of: tuple[str, int] | None = None
    derivation: str | None = None
    tol: float = 0.0  # exact comparisons: relative tolerance (0: EXACT_TOL)
    #: for a *definition* (no relation): which side its value is compared on ("rhs": lhs is the measured value,
    #: "lhs": the definition is bounded by the measured rhs); re-evaluated from the theory like a statement
    definition_side: str = "rhs"

    def sides(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(lhs, bound, innovation) per run, evaluated from the current theory."""
        if self.derivation is not None:
            from boundlab.verify.symbolic import rederive
            ok = rederive(self.derivation)
            return np.array([0.0 if ok else 1.0]), np.array([0.0]), None
        if self.result is None:
            return self.lhs, self.rhs, self.innovation
        values = dict(self.values)
        if self.omega_of is not None:
            from boundlab.simulate import make_compressor
            spec, d = self.omega_of
            values["omega"] = make_compressor(spec).omega(d)
        from boundlab.theory.core import numeric
        r = get(self.result)
        n = np.shape(self.lhs)
        if not r.is_relation:                     # a definition's value against a measured number
            value = np.broadcast_to(numeric(r.rhs, values), n).astype(float)
            return (self.lhs, value, None) if self.definition_side == "rhs" else (value, self.rhs, None)
        lhs = np.broadcast_to(numeric(r.lhs, values), n).astype(float)
        rhs = np.broadcast_to(numeric(r.rhs, values), n).astype(float)
        innov = r.innovation()
        if innov is None:
            return lhs, rhs, None
        inn = np.broadcast_to(numeric(innov, values), n).astype(float)
        return lhs, rhs + (self.innovation_factor - 1.0) * inn, inn


@dataclass
class CheckOutcome:
    check: Check | OperatorCheck
    config: str
    tag: str
    kind: str
    measurements: list[Measurement]
    hypotheses: dict[str, bool | None]
    diverged: int = 0
    error: str = ""
    #: "assert"; "finding" (a doubtful [S?] item, or a measured claim of order: reported, fails only with
    #: --strict); "control" (a negative control: must fail); "explore" (outside the hypotheses on purpose)
    role: str = "assert"
    owners: tuple[str, ...] = ()  # theory results whose statements the comparison evaluates (for --power)


@dataclass
class Row:
    """One line of the report: the worst checkpoint of a check."""

    check: str
    tag: str
    kind: str
    config: str
    k: int | None
    measured: stats.Interval | None
    bound: float
    ratio: stats.Interval | None
    verdict: str
    hypotheses_ok: bool
    hypotheses: dict[str, bool | None] = field(default_factory=dict)
    detail: str = ""
    checkpoints: list[dict] = field(default_factory=list)
    role: str = "assert"
    innovation: stats.Interval | None = None  # E[lhs - carried] / E[rhs - carried] at the worst checkpoint


@dataclass
class Report:
    suite: str
    seed: int
    tighten: float
    alpha: float
    n_comparisons: int
    rows: list[Row]

    strict: bool = False
    outcomes: list[CheckOutcome] = field(default_factory=list, repr=False)
    level: float = 0.0  # the per-comparison level alpha/M

    @property
    def violations(self) -> list[Row]:
        """Violated bounds that the project asserts ([S], [D], [O]); with ``strict``, [S?] ones too."""
        return [r for r in self.rows if r.verdict == "violated"
                and (r.role == "assert" or (self.strict and r.role == "finding"))]

    @property
    def findings(self) -> list[Row]:
        """Doubtful [S?] results or readings that the simulation contradicts."""
        return [r for r in self.rows if r.verdict == "violated" and r.role == "finding"]

    @property
    def controls(self) -> list[Row]:
        return [r for r in self.rows if r.role == "control"]

    @property
    def missed_controls(self) -> list[Row]:
        """Negative controls that did not fail: the suite lost the power it claims."""
        return [r for r in self.controls if r.verdict != "violated"]

    @property
    def skipped(self) -> list[Row]:
        """Checks with no exact counterpart (``--exact``: an operator that is not a mask...)."""
        return [r for r in self.rows if r.role == "skipped"]

    @property
    def hypothesis_errors(self) -> list[Row]:
        """Asserted checks whose simulation leaves the result's hypotheses: an error of the suite."""
        return [r for r in self.rows if r.role == "assert" and not r.hypotheses_ok]

    @property
    def exit_code(self) -> int:
        return 1 if (self.violations or self.missed_controls or self.hypothesis_errors) else 0

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{
            "check": r.check, "tag": r.tag, "kind": r.kind, "config": r.config, "k": r.k,
            "measured": None if r.measured is None else r.measured.estimate,
            "measured_low": None if r.measured is None else r.measured.low,
            "measured_high": None if r.measured is None else r.measured.high,
            "bound": r.bound, "ratio": None if r.ratio is None else r.ratio.estimate,
            "ratio_low": None if r.ratio is None else r.ratio.low,
            "ratio_high": None if r.ratio is None else r.ratio.high,
            "innovation": None if r.innovation is None else r.innovation.estimate,
            "innovation_low": None if r.innovation is None else r.innovation.low,
            "innovation_high": None if r.innovation is None else r.innovation.high,
            "verdict": r.verdict, "role": r.role, "hypotheses_ok": r.hypotheses_ok, "detail": r.detail}
            for r in self.rows])


# --------------------------------------------------------------------------- measuring
def check_seed(master: int, name: str) -> int:
    return int(np.random.SeedSequence([master, zlib.crc32(name.encode())]).generate_state(1)[0])


def seed_name(item) -> str:
    """The name a check's seed derives from: its ``seed_key`` (checks sharing one share their problem
    instance and their random numbers: common random numbers), else its own name."""
    return getattr(item, "seed_key", None) or item.name


def simulation_key(item, seed: int) -> tuple | None:
    """What determines a check's simulation (its setting, seed, runs, iterations and checkpoints), or None for a check
    that does not run the engine itself. Checks with equal keys get bit-identical records: one simulation serves them
    all (:func:`measure_shared`); e.g. Theorem 9 and its alpha reading, which share a seed on purpose."""
    if type(item) is not Check:
        return None
    return (repr(item.setting), seed, item.runs, item.iterations, tuple(item.checkpoints()))


def measure_shared(items: tuple, seed: int, engine: str = "monte-carlo") -> list[list[CheckOutcome]]:
    """:func:`measure` of checks with one :func:`simulation_key`, the simulation run once: the same outcomes as
    measuring each alone (the records are the same bits), in the order of ``items``."""
    if len(items) == 1 or engine == "exact":     # (exact: whether a check may run depends on its result; cheap)
        return [measure(c, seed, engine) for c in items]
    try:
        run = _simulation(items[0], seed)
    except BoundlabError:               # each reports its own error, as alone
        return [measure(c, seed, engine) for c in items]
    return [[_judge_simulation(c, *run)] for c in items]


def measure(item, seed: int, engine: str = "monte-carlo") -> list[CheckOutcome]:
    try:
        if engine == "exact":
            from boundlab.simulate.exact import NotLinear
            if not isinstance(item, Check):
                return []
            try:
                return [_measure_simulation(item, seed, exact=True)]
            except NotLinear as err:  # no exact counterpart: listed, never judged
                return [CheckOutcome(item, "", "", item.kind, [], {}, error=str(err), role="skipped")]
        if isinstance(item, OperatorCheck):
            return _measure_operator(item, seed)
        if isinstance(item, Check):
            return [_measure_simulation(item, seed)]
        return item.measure(seed)  # the other kinds of checks (boundlab.verify.kinds) measure themselves
    except BoundlabError as err:  # a configuration the engine refuses is a broken check, reported
        return [CheckOutcome(item, "", "", getattr(item, "kind", "upper"), [], {}, error=str(err),
                             role=getattr(item, "role", "assert"))]


# Exact expectations (boundlab.simulate.exact) are sums of ~K (d x d) matrix products: their rounding error is
# far below 1e-9 relative for the suites' K <= 2000, d <= 10; an exact comparison allows that much.
EXACT_PROPAGATION_TOL = 1e-9


class _ExactRecords:
    """An ExactResult seen as a one-run SimulationResult (so that bind() and the checks work unchanged)."""

    def __init__(self, ex):
        self.k, self.meta = ex.k, ex.meta
        self.records = {n: v[None, :] for n, v in ex.records.items()}
        self.diverged = np.zeros(1, dtype=bool)
        self.n_runs = 1

    def __getitem__(self, name):
        return self.records[name]


def _measure_simulation(c: Check, seed: int, exact: bool = False) -> CheckOutcome:
    return _judge_simulation(c, *_simulation(c, seed, exact), exact=exact)


def _simulation(c: Check, seed: int, exact: bool = False):
    """(problem, algorithm, records) of a check's setting: Monte Carlo, or exact expectations."""
    from boundlab.simulate import make_algorithm
    from boundlab.simulate import simulate as monte_carlo

    problem = c.setting.build_problem(seed)
    algorithm = make_algorithm(c.setting.algorithm, dict(c.setting.params))
    for attr, v in c.setting.unsafe:  # negative controls only: e.g. a biased downlink inside MCM
        setattr(algorithm, attr, v)
    if exact:
        from boundlab.simulate.exact import BY_CONSTRUCTION, NotLinear
        from boundlab.simulate.exact import exact as exact_moments
        fixed = BY_CONSTRUCTION & needed_symbols(c.result)
        if fixed:
            raise NotLinear(f"{', '.join(sorted(fixed))} is fixed by the exact recursion's assumptions (unbiased masks), "
                            "not propagated: a check of it on exact values could not fail")

        def exact_simulate(problem, algorithm, *, n_iter, gamma, checkpoints_spec, schedule="constant",
                           average_weights=None, **_):
            return _ExactRecords(exact_moments(problem, algorithm, n_iter=n_iter, gamma=gamma, schedule=schedule,
                                               checkpoints_spec=checkpoints_spec, average_weights=average_weights))
    simulate = exact_simulate if exact else monte_carlo  # the same calls below, exact or Monte Carlo
    if c.setting.schedule:
        res = _simulate_schedule(c, problem, algorithm, seed, simulate)
    else:
        # Steps above the theory's bound are allowed here: the result's hypotheses are checked below, and a
        # check that leaves them is an error of the suite unless it is a declared finding or control.
        gamma = c.setting.gamma
        if isinstance(gamma, str) and gamma.startswith("theory*"):
            algorithm.setup(problem)
            gamma = float(gamma[7:]) * algorithm.gamma_bound(problem)
        res = simulate(problem, algorithm, n_runs=c.runs, n_iter=c.iterations, gamma=gamma, seed=seed,
                       checkpoints_spec=c.checkpoints(), progress=False, allow_large_step=True)
    return problem, algorithm, res


def _judge_simulation(c: Check, problem, algorithm, res, exact: bool = False) -> CheckOutcome:
    """The check's measurements and hypotheses on the records of its setting (:func:`_simulation`)."""
    consts = {**constants_of(problem, algorithm, res.meta["gamma"]), **c.constants}
    result = get(c.result)
    needed = needed_symbols(c.result)
    ok = ~res.diverged
    n_ok = int(ok.sum())
    measurements, hyp = [], {}
    for k in c.at:
        values = {**{n: v for n, v in consts.items() if n in needed}, **bind(res, k, needed, c.bindings)}
        values = {n: (v[ok] if isinstance(v, np.ndarray) else v) for n, v in values.items()}
        values.update({n: v for n, v in c.overrides if n in needed})
        m = Measurement(k, np.zeros(n_ok), np.zeros(n_ok), result=c.result, values=values,
                        innovation_factor=c.innovation_factor, exact=exact,
                        tol=EXACT_PROPAGATION_TOL if exact else 0.0)
        m.lhs, m.rhs, m.innovation = m.sides()
        measurements.append(m)
        for label, chk in result.evaluate(**values).hypotheses.items():
            val = None if chk.holds is None else bool(np.all(chk.holds))
            hyp[label] = (hyp.get(label, True) and val) if val is not None else hyp.get(label)
    if "schedule_max_over_bound" in res.meta:  # the schedule's own claim gamma_k <= gamma_max
        hyp["gamma_k <= gamma_max (the schedule's claim)"] = res.meta["schedule_max_over_bound"] <= 1 + 1e-12
    facts = structural_facts(problem, algorithm)
    for label, v in list(hyp.items()):
        if v is None:
            hyp[label] = facts.get(label)
    for label in c.assume:  # structural hypotheses the check's author vouches for in this setting
        if label in hyp and hyp[label] is not True:
            hyp[f"{label} (assumed by the check)"] = True
            del hyp[label]
    for label in c.waive:  # hypotheses the check deliberately leaves, said in its note
        if label in hyp and hyp[label] is not True:
            hyp[label] = True
            hyp[f"{label} (waived: see the note)"] = True
            del hyp[label]
    config = c.setting.describe() + (f"; exact expectations, K={c.iterations}" if exact else
                                     f"; R={c.runs}, K={c.iterations}")
    if c.constants:
        config += "; " + ", ".join(f"{k}={v}" for k, v in c.constants.items())
    if c.innovation_factor != 1:
        config += f"; the bound's non-carried part x{c.innovation_factor:g}"
    if c.note:
        config += f" ({c.note})"
    from boundlab.theory.perturb import owners_of
    return CheckOutcome(c, config, c.tag, c.kind, measurements, hyp, diverged=int(res.diverged.sum()),
                        role=c.role, owners=tuple(owners_of(c.result)))


def _simulate_schedule(c: Check, problem, algorithm, seed: int, simulate=None):
    """Run a result's own step-size schedule gamma_k (k = 1..K) with the weighted average
    w_bar_K = sum_k lambda_k w_{k-1} / sum_k lambda_k, lambda_k = 1/gamma_{k-1} (Theorem 7's corollary)."""
    from boundlab.theory.core import numeric
    if simulate is None:
        from boundlab.simulate import simulate

    sch = get(c.setting.schedule).schedule
    algorithm.setup(problem)
    consts = {**constants_of(problem, algorithm, math.nan), "dist2_0": float(np.sum((problem.w0 - problem.w_star) ** 2))}
    names = {s.name for s in expand(sch.gamma).free_symbols} - {sch.index.name}
    if sch.index.name == "K":  # a step tuned to the horizon: constant, uniform average (Theorem 6's corollary)
        gamma = float(numeric(sch.gamma, {**{n: consts[n] for n in names}, "K": c.iterations}))
        res = simulate(problem, algorithm, n_runs=c.runs, n_iter=c.iterations, gamma=gamma, seed=seed,
                       checkpoints_spec=c.checkpoints(), allow_large_step=True, progress=False)
        res.meta["schedule_max_over_bound"] = gamma / res.meta["gamma_bound"]
        return res
    ks = np.arange(c.iterations + 1, dtype=float)
    gammas = np.asarray(numeric(sch.gamma, {**{n: consts[n] for n in names}, sch.index.name: ks}), dtype=float)
    res = simulate(problem, algorithm, n_runs=c.runs, n_iter=c.iterations, gamma=float(gammas[1]),
                   schedule=lambda k: float(gammas[k]), seed=seed, checkpoints_spec=c.checkpoints(),
                   allow_large_step=True, average_weights=1.0 / gammas[:-1], progress=False)
    res.meta["schedule_max_over_bound"] = float(np.max(gammas[:]) / res.meta["gamma_bound"])
    return res


# Test vectors for the operators: dense Gaussian, one-hot, constant, geometric decay (d = 10).
def _test_vectors(d: int) -> np.ndarray:
    gen = np.random.default_rng(12345)
    return np.stack([gen.standard_normal(d), np.eye(d)[0], np.ones(d), 0.5 ** np.arange(d)])


def _measure_operator(c: OperatorCheck, seed: int) -> list[CheckOutcome]:
    """A1 for one operator. With a closed-form variance (``Compressor.variance``): the A1 bound against it (no
    statistics), and the simulated operator against the closed form (Monte Carlo). Without one (an outside
    operator need not declare it): the A1 bound against Monte-Carlo means of ||C(x) - x||^2 at each test vector.
    Both ways, the operator's unbiasedness (Monte Carlo)."""
    from boundlab.simulate import make_compressor
    from boundlab.simulate.rng import StreamRNG

    op = c.make() if c.make is not None else make_compressor(c.spec)
    omega = op.omega(c.d)
    xs = _test_vectors(c.d)
    exact = op.variance(xs)  # closed-form E||C(x) - x||^2 for each test vector, or None
    norm2 = np.sum(xs**2, axis=1)
    config = f"{c.spec}, d={c.d}, omega={omega:.4g}" + (f" ({c.note})" if c.note else "")
    mc = f"{config}; {c.draws} draws at a Gaussian x"
    omega_of = None if c.make is not None else (c.spec, c.d)
    owners = tuple(dict.fromkeys(("A1", *((_omega_result(op),) if omega_of else ()))))
    kind = "equality" if op.tight else "upper"

    def draws(j: int) -> tuple[np.ndarray, np.ndarray]:
        x = np.broadcast_to(xs[j], (c.draws, c.d))
        # one stream per test vector (stream 2 for the first, as before: the same numbers as earlier releases)
        y, _ = op.compress(np.array(x), StreamRNG(seed, 2 if j == 0 else 100 + j, 0, c.draws))
        return np.sum((y - x) ** 2, axis=1), y - x

    err2, diff = draws(0)
    proj = diff @ (xs[0] / math.sqrt(norm2[0]))
    unbiased = CheckOutcome(OperatorCheck(f"{c.name}: unbiased", c.spec, c.d, c.draws), mc, "S", "zero",
                            [Measurement(None, proj, np.zeros(c.draws))], {})
    if exact is None:
        measurements = []
        for j in range(xs.shape[0]):
            e2 = err2 if j == 0 else draws(j)[0]
            values = {"omega": omega, "x_norm2": norm2[j], "compression_error2": e2}
            m = Measurement(j, e2, np.full(c.draws, omega * norm2[j]), result="A1", values=values, omega_of=omega_of)
            m.lhs, m.rhs, _ = m.sides()
            measurements.append(m)
        return [CheckOutcome(c, config + f"; no closed-form variance: Monte Carlo, {c.draws} draws at each of 4 "
                             "test vectors (row k = the vector's index)", "S", kind, measurements, {}, role=c.role,
                             owners=owners), unbiased]
    values = {"omega": omega, "x_norm2": norm2, "compression_error2": exact}
    bound = get("A1").evaluate(**values)
    return [
        CheckOutcome(c, config + "; 4 test vectors", "S", kind,
                     [Measurement(None, exact, np.asarray(bound.value), exact=True, result="A1", values=values,
                                  omega_of=omega_of)], {}, role=c.role, owners=owners),
        CheckOutcome(OperatorCheck(f"{c.name}: simulated = closed form", c.spec, c.d, c.draws), mc, "S", "equality",
                     [Measurement(0, err2, np.full(c.draws, exact[0]))], {}),
        unbiased,
    ]


def _omega_result(op) -> str:
    """The theory result giving an operator's omega (by the operator's registered name)."""
    name = type(op).__name__.lower()
    return {"quantization": "omega_qsgd", "randk": "omega_randk", "bernoulli": "omega_bernoulli",
            "identity": "omega_identity"}.get(name, "A1")


# ---------------------------------------------------------------------------- judging
def n_comparisons(outcomes: list[CheckOutcome]) -> int:
    return sum(1 for o in outcomes for m in o.measurements if not m.exact)


def judge(o: CheckOutcome, level: float, tighten: float) -> Row:
    hyp_ok = all(v is True for v in o.hypotheses.values())
    if o.error:
        verdict = "no exact counterpart" if o.role == "skipped" else "violated"
        return Row(o.check.name, o.tag, o.kind, o.config, None, None, math.nan, None, verdict, hyp_ok, o.hypotheses,
                   detail=("" if o.role == "skipped" else "could not run: ") + o.error, role=o.role)
    points, worst = [], None
    for m in o.measurements:
        p = _judge_one(o, m, level, tighten)
        points.append(p)
        if worst is None or _severity(p) > _severity(worst):
            worst = p
    detail = f"{o.diverged} run(s) diverged" if o.diverged else ""
    verdict = "violated" if o.diverged else worst["verdict"]
    return Row(o.check.name, o.tag, o.kind, o.config, worst["k"], worst["measured"], worst["bound"], worst["ratio"],
               verdict, hyp_ok, o.hypotheses, detail or worst.get("detail", ""), points, o.role,
               worst.get("innovation"))


def verdict_now(o: CheckOutcome, level: float) -> str:
    """The check's verdict with both sides re-evaluated from the current theory (``--power``)."""
    if o.error or o.diverged:
        return "violated"
    worst = "holds"
    for m in o.measurements:
        lhs, rhs, inn = m.sides()
        v = _judge_one(o, m, level, 1.0, (lhs, rhs, inn), ratios=False)["verdict"]
        if _ORDER[v] > _ORDER[worst]:
            worst = v
    return worst


_ORDER = {"holds": 0, "inconclusive": 1, "violated": 2}


def _severity(p: dict) -> tuple:
    r = p["ratio"].estimate if p["ratio"] is not None else -math.inf
    return (_ORDER[p["verdict"]], r)


def _judge_one(o: CheckOutcome, m: Measurement, level: float, tighten: float,
               sides: tuple | None = None, ratios: bool = True) -> dict:
    lhs_, rhs_, inn = sides if sides is not None else (m.lhs, m.rhs, m.innovation)
    m = dataclasses.replace(m, lhs=lhs_, rhs=rhs_, innovation=inn)
    rhs = m.rhs * tighten
    if m.derivation is not None:  # a symbolic re-derivation: lhs = 0 iff it matches the encoded constant
        ok = bool(m.lhs[0] == 0)
        one = stats.Interval(1.0 if ok else math.nan, 1.0, 1.0, 1.0)
        return {"k": None, "measured": None, "bound": math.nan, "ratio": one if ok else None,
                "verdict": "holds" if ok else "violated", "detail": "symbolic re-derivation (exact)"}
    if o.kind == "order":  # a fitted exponent against the claimed one (boundlab.verify.kinds.OrderCheck)
        from boundlab.verify.kinds import judge_order
        return judge_order(m, level)
    if m.exact:  # closed forms or exact expectations: no randomness, compare directly
        each = np.where(rhs > 0, m.lhs / np.where(rhs > 0, rhs, 1), np.where(m.lhs > 0, np.inf, 1.0))
        r = float(np.max(each))
        if m.tol:   # exact expectations (boundlab.simulate.exact): relative to the quantities compared
            slack = m.tol * np.maximum(np.abs(rhs), np.abs(m.lhs)) + 1e-300
        else:       # closed forms of the operators' variances
            slack = EXACT_TOL * np.maximum(1, np.abs(rhs))
        if o.kind in ("equality", "zero"):
            verdict = "holds" if np.all(np.abs(m.lhs - rhs) <= slack) else "violated"
        else:
            verdict = "holds" if np.all(m.lhs <= rhs + slack) else "violated"
        iv = None if o.kind == "zero" else stats.Interval(r, r, r, 1.0)
        innovation = None
        if m.innovation is not None and float(np.mean(m.innovation)) > 0:
            v = float(np.mean(m.lhs - m.rhs + m.innovation) / np.mean(m.innovation))
            innovation = stats.Interval(v, v, v, 1.0)
        return {"k": m.k, "measured": stats.Interval(float(m.lhs.max()), float(m.lhs.max()), float(m.lhs.max()), 1.0),
                "bound": float(rhs.max()), "ratio": iv, "verdict": verdict, "innovation": innovation,
                "detail": ("exact expectation (boundlab.simulate.exact)" if m.tol else
                           "exact closed form (max over 4 test vectors)")}
    if o.kind == "zero" or (o.kind == "equality" and not np.any(rhs)):  # E[lhs] = 0: two-sided test
        ci = stats.mean_interval(m.lhs - rhs, level, "two")
        verdict = "holds" if ci.low <= 0 <= ci.high else "violated"
        return {"k": m.k, "measured": ci, "bound": 0.0, "ratio": None, "verdict": verdict,
                "detail": "a zero mean: two-sided interval on E[lhs]"}
    measured = stats.mean_interval(m.lhs, level, "two")
    bound = float(np.mean(rhs))
    ratio, rel_se, detail = None, 0.0, ""
    if bound > 0:
        ratio, rel_se = stats.ratio_interval(m.lhs, rhs, level)
        if rel_se > stats.DELTA_METHOD_REL_SE:
            detail = f"ratio interval approximate: the bound's mean has a relative standard error of {rel_se:.1%}"
    if o.kind == "equality":
        verdict = stats.equality_verdict(ratio) if ratio is not None else "violated"
    else:
        verdict, _ = stats.upper_verdict(m.lhs - rhs, level)
    innovation = None
    if ratios and m.innovation is not None and float(np.mean(m.innovation)) > 0:
        # E[lhs - carried] / E[rhs - carried]: lhs - rhs + innovation is the left side's change over the
        # carried term (with the gains the bound grants moved to the left)
        innovation, _ = stats.ratio_interval(m.lhs - m.rhs + m.innovation, m.innovation, level)
    return {"k": m.k, "measured": measured, "bound": bound, "ratio": ratio, "verdict": verdict, "detail": detail,
            "rel_se_bound": rel_se, "innovation": innovation}


# ----------------------------------------------------------------------------- running
def run_suite(suite: str = "quick", seed: int = 0, tighten: float = 1.0, alpha: float = ALPHA,
              jobs: int | None = None, strict: bool = False, engine: str = "monte-carlo") -> Report:
    """Run every check of ``suite`` ("quick", "full", a registered suite, or a module or ``.py`` file defining
    ``suite()``: :func:`boundlab.verify.checks.load_suite`) and judge it; see the module docstring."""
    check_options(tighten, alpha, seed)
    if engine not in ("monte-carlo", "exact"):
        raise BoundlabError(f"engine must be 'monte-carlo' or 'exact', got {engine!r}")
    return run_items(load_suite(suite), suite, seed, tighten, alpha, jobs, strict, engine)


def check_options(tighten: float, alpha: float, seed: int) -> None:
    """One line naming the first bad option of a suite run."""
    if not (isinstance(tighten, (int, float)) and 0 < tighten <= 2):
        raise BoundlabError(f"tighten must be a number in (0, 2], got {tighten!r}")
    if not (0 < alpha < 1):
        raise BoundlabError(f"alpha must be in (0, 1), got {alpha!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise BoundlabError(f"seed must be an integer >= 0, got {seed!r}")


def run_items(items: list[Check | OperatorCheck], name: str = "custom", seed: int = 0, tighten: float = 1.0,
              alpha: float = ALPHA, jobs: int | None = None, strict: bool = False, engine: str = "monte-carlo"
              ) -> Report:
    """Run and judge a list of checks (a suite, or a user's own list)."""
    bad = [c for c in items if not callable(getattr(c, "measure", None)) and not isinstance(c, (Check, OperatorCheck))]
    if bad:
        raise BoundlabError(f"a suite holds checks (boundlab.verify.Check, OperatorCheck...), got {bad[0]!r}")
    names = [c.name for c in items]
    if len(set(names)) != len(names):
        raise BoundlabError("check names must be unique (each names its own random stream)")
    seeds = [check_seed(seed, seed_name(c)) for c in items]
    jobs = jobs if jobs is not None else min(2, os.cpu_count() or 1)
    if jobs < 1:
        raise BoundlabError(f"jobs must be >= 1, got {jobs}")
    # Checks with the same simulation measured together (one simulation); largest first, so that the processes
    # finish together; a progress bar on a terminal (after 2 s).
    groups: dict = {}
    for i, (c, s) in enumerate(zip(items, seeds)):
        key = simulation_key(c, s)
        groups.setdefault(("alone", i) if key is None else key, []).append(i)
    order = list(groups.values())
    if jobs > 1:
        order.sort(key=lambda g: -_cost(items[g[0]]))
    if jobs > 1 and engine == "monte-carlo":
        from boundlab.simulate.kernels import preload
        preload()                      # the compiled kernels, before the workers fork (they inherit them)
    done = progress_map(measure_shared, [(tuple(items[i] for i in g), seeds[g[0]], engine) for g in order], jobs,
                        f"verify {name}")
    parts = [None] * len(items)
    for g, group_parts in zip(order, done):
        for i, part in zip(g, group_parts):
            parts[i] = part
    outcomes = [o for part in parts for o in part]
    m = n_comparisons(outcomes)
    level = stats.per_comparison_level(alpha, max(m, 1))
    rows = [judge(o, level, tighten) for o in outcomes]
    return Report(name, seed, tighten, alpha, m, rows, strict, outcomes, level)


def _cost(item) -> float:
    if isinstance(item, OperatorCheck):
        return item.draws * item.d
    if isinstance(item, Check):
        p = item.setting.problem
        return item.runs * item.iterations * p.get("N", 20) * p.get("d", 20)
    return item.cost()
