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

import math
import os
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from boundlab.errors import BoundlabError
from boundlab.theory import get
from boundlab.theory.core import expand
from boundlab.verify import stats
from boundlab.verify.checks import (SUITES, Check, OperatorCheck, bind, constants_of, needed_symbols,
                                    structural_facts)

ALPHA = 0.01  # the suite's false-alarm rate

# A closed-form comparison is exact up to floating-point rounding of sums of d = 10 terms.
EXACT_TOL = 1e-12


@dataclass
class Measurement:
    """Per-run sides of one comparison (before any statistics)."""

    k: int | None
    lhs: np.ndarray
    rhs: np.ndarray
    exact: bool = False  # deterministic closed forms: judged without statistics


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


@dataclass
class Report:
    suite: str
    seed: int
    tighten: float
    alpha: float
    n_comparisons: int
    rows: list[Row]

    strict: bool = False

    @property
    def violations(self) -> list[Row]:
        """Violated bounds that the project asserts ([S], [D], [O]); with ``strict``, [S?] ones too."""
        return [r for r in self.rows if r.verdict == "violated" and (self.strict or r.tag != "S?")]

    @property
    def findings(self) -> list[Row]:
        """Doubtful [S?] results or readings that the simulation contradicts."""
        return [r for r in self.rows if r.verdict == "violated" and r.tag == "S?"]

    @property
    def exit_code(self) -> int:
        return 1 if self.violations else 0

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
            "verdict": r.verdict, "hypotheses_ok": r.hypotheses_ok, "detail": r.detail} for r in self.rows])


# --------------------------------------------------------------------------- measuring
def check_seed(master: int, name: str) -> int:
    return int(np.random.SeedSequence([master, zlib.crc32(name.encode())]).generate_state(1)[0])


def measure(item: Check | OperatorCheck, seed: int) -> list[CheckOutcome]:
    try:
        if isinstance(item, OperatorCheck):
            return _measure_operator(item, seed)
        return [_measure_simulation(item, seed)]
    except BoundlabError as err:  # a configuration the engine refuses is a broken check, reported
        return [CheckOutcome(item, "", "", getattr(item, "kind", "upper"), [], {}, error=str(err))]


def _measure_simulation(c: Check, seed: int) -> CheckOutcome:
    from boundlab.simulate import make_algorithm, quadratic, simulate

    problem = quadratic(**c.setting.problem, seed=seed)
    algorithm = make_algorithm(c.setting.algorithm, dict(c.setting.params))
    if c.setting.schedule:
        res = _simulate_schedule(c, problem, algorithm, seed)
    else:
        res = simulate(problem, algorithm, n_runs=c.runs, n_iter=c.iterations, gamma=c.setting.gamma, seed=seed,
                       checkpoints_spec=c.checkpoints(), progress=False)
    consts = {**constants_of(problem, algorithm, res.meta["gamma"]), **c.constants}
    result = get(c.result)
    needed = needed_symbols(c.result)
    ok = ~res.diverged
    measurements, hyp = [], {}
    for k in c.at:
        values = {**{n: v for n, v in consts.items() if n in needed}, **bind(res, k, needed)}
        values = {n: (v[ok] if isinstance(v, np.ndarray) else v) for n, v in values.items()}
        e = result.evaluate(**values)
        n_ok = int(ok.sum())
        measurements.append(Measurement(k, np.broadcast_to(e.lhs, (n_ok,)).copy(),
                                        np.broadcast_to(e.value, (n_ok,)).copy()))
        for label, chk in e.hypotheses.items():
            val = None if chk.holds is None else bool(np.all(chk.holds))
            hyp[label] = (hyp.get(label, True) and val) if val is not None else hyp.get(label)
    if "schedule_max_over_bound" in res.meta:  # the schedule's own claim gamma_k <= gamma_max
        hyp["gamma_k <= gamma_max (the schedule's claim)"] = res.meta["schedule_max_over_bound"] <= 1
    facts = structural_facts(problem, algorithm)
    for label, v in list(hyp.items()):
        if v is None:
            hyp[label] = facts.get(label)
    config = c.setting.describe() + f"; R={c.runs}, K={c.iterations}"
    if c.constants:
        config += "; " + ", ".join(f"{k}={v}" for k, v in c.constants.items())
    if c.note:
        config += f" ({c.note})"
    return CheckOutcome(c, config, c.tag, c.kind, measurements, hyp, diverged=int(res.diverged.sum()))


def _simulate_schedule(c: Check, problem, algorithm, seed: int):
    """Run a result's own step-size schedule gamma_k (k = 1..K) with the weighted average
    w_bar_K = sum_k lambda_k w_{k-1} / sum_k lambda_k, lambda_k = 1/gamma_{k-1} (Theorem 7's corollary)."""
    from boundlab.simulate import simulate
    from boundlab.theory.core import numeric

    sch = get(c.setting.schedule).schedule
    algorithm.setup(problem)
    consts = constants_of(problem, algorithm, math.nan)
    names = {s.name for s in expand(sch.gamma).free_symbols} - {sch.index.name}
    ks = np.arange(c.iterations + 1, dtype=float)
    gammas = np.asarray(numeric(sch.gamma, {**{n: consts[n] for n in names}, sch.index.name: ks}), dtype=float)
    res = simulate(problem, algorithm, n_runs=c.runs, n_iter=c.iterations, gamma=float(gammas[1]),
                   schedule=lambda k: float(gammas[k]), seed=seed, checkpoints_spec=c.checkpoints(),
                   allow_large_step=True, average_weights=1.0 / gammas[:-1], progress=False)
    res.meta["schedule_max_over_bound"] = float(np.max(gammas[1:]) / res.meta["gamma_bound"])
    return res


# Test vectors for the operators: dense Gaussian, one-hot, constant, geometric decay (d = 10).
def _test_vectors(d: int) -> np.ndarray:
    gen = np.random.default_rng(12345)
    return np.stack([gen.standard_normal(d), np.eye(d)[0], np.ones(d), 0.5 ** np.arange(d)])


def _measure_operator(c: OperatorCheck, seed: int) -> list[CheckOutcome]:
    """Three comparisons: the A1 bound against the exact variance (closed form, no statistics);
    the simulated operator against that closed form, and its unbiasedness (Monte Carlo)."""
    from boundlab.simulate import make_compressor
    from boundlab.simulate.rng import StreamRNG

    op = make_compressor(c.spec)
    omega = op.omega(c.d)
    xs = _test_vectors(c.d)
    exact = op.variance(xs)  # closed-form E||C(x) - x||^2 for each test vector
    norm2 = np.sum(xs**2, axis=1)
    bound = get("A1").evaluate(omega=omega, x_norm2=norm2, compression_error2=exact)
    x = np.broadcast_to(xs[0], (c.draws, c.d))
    y, _ = op.compress(np.array(x), StreamRNG(seed, 2, 0, c.draws))
    err2 = np.sum((y - x) ** 2, axis=1)
    proj = (y - x) @ (xs[0] / math.sqrt(norm2[0]))
    config = f"{c.spec}, d={c.d}, omega={omega:.4g}"
    mc = f"{config}; {c.draws} draws at a Gaussian x"
    return [
        CheckOutcome(c, config + "; 4 test vectors", "S", "equality" if op.tight else "upper",
                     [Measurement(None, exact, np.asarray(bound.value), exact=True)], {}),
        CheckOutcome(OperatorCheck(f"{c.name}: simulated = closed form", c.spec, c.d, c.draws), mc, "S", "equality",
                     [Measurement(0, err2, np.full(c.draws, exact[0]))], {}),
        CheckOutcome(OperatorCheck(f"{c.name}: unbiased", c.spec, c.d, c.draws), mc, "S", "zero",
                     [Measurement(None, proj, np.zeros(c.draws))], {}),
    ]


# ---------------------------------------------------------------------------- judging
def n_comparisons(outcomes: list[CheckOutcome]) -> int:
    return sum(1 for o in outcomes for m in o.measurements if not m.exact)


def judge(o: CheckOutcome, level: float, tighten: float) -> Row:
    hyp_ok = all(v is True for v in o.hypotheses.values())
    if o.error:
        return Row(o.check.name, o.tag, o.kind, o.config, None, None, math.nan, None, "violated", hyp_ok, o.hypotheses,
                   detail=f"could not run: {o.error}")
    points, worst = [], None
    for m in o.measurements:
        p = _judge_one(o, m, level, tighten)
        points.append(p)
        if worst is None or _severity(p) > _severity(worst):
            worst = p
    detail = f"{o.diverged} run(s) diverged" if o.diverged else ""
    verdict = "violated" if o.diverged else worst["verdict"]
    return Row(o.check.name, o.tag, o.kind, o.config, worst["k"], worst["measured"], worst["bound"], worst["ratio"],
               verdict, hyp_ok, o.hypotheses, detail or worst.get("detail", ""), points)


_ORDER = {"holds": 0, "inconclusive": 1, "violated": 2}


def _severity(p: dict) -> tuple:
    r = p["ratio"].estimate if p["ratio"] is not None else -math.inf
    return (_ORDER[p["verdict"]], r)


def _judge_one(o: CheckOutcome, m: Measurement, level: float, tighten: float) -> dict:
    rhs = m.rhs * tighten
    if m.exact:  # closed forms: no randomness, compare directly
        ratios = np.where(rhs > 0, m.lhs / np.where(rhs > 0, rhs, 1), np.where(m.lhs > 0, np.inf, 1.0))
        r = float(np.max(ratios))
        if o.kind == "equality":
            verdict = "holds" if np.all(np.abs(m.lhs - rhs) <= EXACT_TOL * np.maximum(1, np.abs(rhs))) else "violated"
        else:
            verdict = "holds" if np.all(m.lhs <= rhs + EXACT_TOL * np.maximum(1, np.abs(rhs))) else "violated"
        iv = stats.Interval(r, r, r, 1.0)
        return {"k": m.k, "measured": stats.Interval(float(m.lhs.max()), float(m.lhs.max()), float(m.lhs.max()), 1.0),
                "bound": float(rhs.max()), "ratio": iv, "verdict": verdict,
                "detail": "exact closed form (max over 4 test vectors)"}
    if o.kind == "zero":  # unbiasedness: two-sided test that E[lhs] = 0 (no bound to tighten)
        ci = stats.mean_interval(m.lhs, level, "two")
        verdict = "holds" if ci.low <= 0 <= ci.high else "violated"
        return {"k": None, "measured": ci, "bound": 0.0, "ratio": None, "verdict": verdict,
                "detail": "unbiasedness: E<C(x) - x, x/||x||> = 0"}
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
    return {"k": m.k, "measured": measured, "bound": bound, "ratio": ratio, "verdict": verdict, "detail": detail,
            "rel_se_bound": rel_se}


# ----------------------------------------------------------------------------- running
def run_suite(suite: str = "quick", seed: int = 0, tighten: float = 1.0, alpha: float = ALPHA,
              jobs: int | None = None, strict: bool = False) -> Report:
    """Run every check of ``suite`` ("quick" or "full") and judge it; see the module docstring."""
    if suite not in SUITES:
        raise BoundlabError(f"suite must be one of {', '.join(SUITES)}, got {suite!r}")
    if not (isinstance(tighten, (int, float)) and 0 < tighten <= 2):
        raise BoundlabError(f"tighten must be a number in (0, 2], got {tighten!r}")
    if not (0 < alpha < 1):
        raise BoundlabError(f"alpha must be in (0, 1), got {alpha!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise BoundlabError(f"seed must be an integer >= 0, got {seed!r}")
    return run_items(SUITES[suite](), suite, seed, tighten, alpha, jobs, strict)


def run_items(items: list[Check | OperatorCheck], name: str = "custom", seed: int = 0, tighten: float = 1.0,
              alpha: float = ALPHA, jobs: int | None = None, strict: bool = False) -> Report:
    """Run and judge a list of checks (a suite, or a user's own list)."""
    names = [c.name for c in items]
    if len(set(names)) != len(names):
        raise BoundlabError("check names must be unique (each names its own random stream)")
    seeds = [check_seed(seed, n) for n in names]
    jobs = jobs if jobs is not None else min(2, os.cpu_count() or 1)
    if jobs < 1:
        raise BoundlabError(f"jobs must be >= 1, got {jobs}")
    if jobs == 1:
        parts = [measure(c, s) for c, s in zip(items, seeds)]
    else:
        # Largest first, so that the processes finish together.
        order = sorted(range(len(items)), key=lambda i: -_cost(items[i]))
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {i: pool.submit(measure, items[i], seeds[i]) for i in order}
            parts = [futures[i].result() for i in range(len(items))]
    outcomes = [o for part in parts for o in part]
    m = n_comparisons(outcomes)
    level = stats.per_comparison_level(alpha, max(m, 1))
    rows = [judge(o, level, tighten) for o in outcomes]
    return Report(name, seed, tighten, alpha, m, rows, strict)


def _cost(item: Check | OperatorCheck) -> float:
    if isinstance(item, OperatorCheck):
        return item.draws * item.d
    return item.runs * item.iterations * item.setting.problem["N"] * item.setting.problem["d"]
