r"""The power matrix: which constants of the encoded statements the suite can see.

Every check keeps its per-run records (``Measurement.values``), so its verdict can be recomputed
against a perturbed theory with no new simulation. For each *target* of every statement a check
evaluates (:mod:`boundlab.theory.perturb`: numeric constants such as the 32 of V_k, the 64 of
Phi, gamma_max^Upsilon's sqrt(2)/16; structural factors such as 1 + omega_up/N; terms such as
sigma^2/(N b)), the statement is scaled by 0, 1/4, 1/2 and 2 and every check that uses it is
judged again, with the suite's own statistics and per-comparison level.

A target is **tested** when some check fails with it scaled by 1/2 or by 2 (a factor-2 error in
either direction is caught); the report says which are seen by a simulated check and which only by
a symbolic re-derivation (:mod:`boundlab.verify.symbolic`), with the simulated checks' own slack. For every other target the report gives its **best measured
slack**: the scale closest to 1, on a grid of powers of two up to 2^10 either way, at which some
check would fail, or that none does; that is the honest statement of what the suite cannot see.
Only checks that hold at scale 1 count (negative controls are left out).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from boundlab.theory.perturb import Target, perturbed, targets
from boundlab.verify import symbolic
from boundlab.verify.symbolic import SymbolicCheck
from boundlab.verify.suite import Report, verdict_now

SCALES = (0.0, 0.25, 0.5, 2.0)
# The slack grid (log2 of the scale), beyond the matrix's own scales.
SLACK_EXPONENTS = (1.5, 3, 5, 10)


@dataclass
class PowerRow:
    target: Target
    fails: dict[float, list[str] | None]  # scale -> checks that fail with it so scaled (None: undefined)
    users: list[str]  # checks (holding at scale 1) whose statements contain the target
    slack: float | None = None  # for an untested target: the scale closest to 1 at which a check fails
    symbolic: frozenset[str] = frozenset()  # which users are symbolic re-derivations (no simulation)
    slack_simulated: float | None = None  # the same, counting simulated checks only

    @property
    def tested(self) -> bool:
        return bool(self.fails.get(0.5) or self.fails.get(2.0))

    @property
    def tested_by_simulation(self) -> bool:
        return any(c not in self.symbolic for s in (0.5, 2.0) for c in (self.fails.get(s) or []))


@dataclass
class PowerReport:
    rows: list[PowerRow] = field(default_factory=list)

    @property
    def tested(self) -> list[PowerRow]:
        return [r for r in self.rows if r.tested]

    @property
    def untested(self) -> list[PowerRow]:
        return [r for r in self.rows if not r.tested]

    @property
    def tested_by_simulation(self) -> list[PowerRow]:
        return [r for r in self.rows if r.tested_by_simulation]

    def by_owner(self) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        for r in self.rows:
            t, n = out.get(r.target.owner, (0, 0))
            out[r.target.owner] = (t + r.tested, n + 1)
        return out


def power_matrix(report: Report, scales=SCALES, slack: bool = True) -> PowerReport:
    """Judge every check of ``report`` again with each target of its statements scaled."""
    base = [o for o in report.outcomes if o.owners and o.role != "control"
            and verdict_now(o, report.level) == "holds"]
    owners: list[str] = []
    for o in base:
        owners += [w for w in o.owners if w not in owners]
    out = PowerReport()
    for owner in owners:
        users = [o for o in base if owner in o.owners]
        symbolic_users = frozenset(o.check.name for o in users if isinstance(o.check, SymbolicCheck))
        for t in targets(owner):
            fails = {s: _failing(t, s, users, report.level) for s in scales}
            row = PowerRow(t, fails, [o.check.name for o in users], symbolic=symbolic_users)
            if slack and not row.tested:
                row.slack = _slack(t, users, report.level, fails)
            if slack and not row.tested_by_simulation:
                simulated = [o for o in users if o.check.name not in symbolic_users]
                sim_fails = {s: [c for c in (v or []) if c not in symbolic_users] for s, v in fails.items()}
                row.slack_simulated = _slack(t, simulated, report.level, sim_fails) if simulated else None
            out.rows.append(row)
    return out


def _failing(t: Target, scale: float, users, level: float) -> list[str] | None:
    """Checks that fail with ``t`` scaled; None when the scaled statement is undefined (x0 on a divisor)."""
    from boundlab.simulate.compressors import _theory_value  # operators cache their omega from the theory

    try:
        with perturbed(t, scale), np.errstate(all="ignore"):
            symbolic.clear_cache()
            _theory_value.cache_clear()
            return [o.check.name for o in users if verdict_now(o, level) == "violated"]
    except (ValueError, TypeError, ZeroDivisionError, KeyError, AttributeError):  # sympy on zoo and the like
        return None
    finally:
        symbolic.clear_cache()
        _theory_value.cache_clear()


def _slack(t: Target, users, level: float, fails: dict[float, list[str]]) -> float | None:
    """The scale closest to 1 (in ratio) at which some check fails, or None."""
    candidates = sorted({2.0 ** e for e in SLACK_EXPONENTS} | {2.0 ** -e for e in SLACK_EXPONENTS} | {0.25},
                        key=lambda s: abs(math.log2(s)))
    for s in candidates:
        hit = fails[s] if s in fails else _failing(t, s, users, level)
        if hit:
            return s
    return 0.0 if fails.get(0.0) else None


def _fmt_scale(s: float | None) -> str:
    if s is None:
        return "none up to x2^10 either way"
    if s == 0:
        return "only at x0"
    return f"x{s:.3g}" if s >= 1 else f"x1/{1 / s:.3g}"


def render_power(p: PowerReport) -> str:
    head = ["target", "x0", "x1/4", "x1/2", "x2", "tested by (at x1/2 or x2)"]
    rows = []
    for r in p.rows:
        seen = sorted(set(r.fails.get(0.5) or []) | set(r.fails.get(2.0) or []))
        rows.append([r.target.label] + ["n/a" if r.fails.get(s) is None else str(len(r.fails[s])) for s in SCALES]
                    + [(", ".join(seen[:3]) + (f" (+{len(seen) - 3})" if len(seen) > 3 else "")) if seen else
                       f"NOT TESTED; best slack {_fmt_scale(r.slack)}"])
    widths = [max(len(head[i]), *(len(x[i]) for x in rows)) if rows else len(head[i]) for i in range(len(head))]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    out = ["Power matrix: each target of each statement scaled by 0, 1/4, 1/2, 2 and every check that uses it "
           "judged again on the same records (cells: number of checks that fail).", "",
           line(head), line(["-" * w for w in widths]), *map(line, rows), ""]
    by = p.by_owner()
    out.append(f"Tested: {len(p.tested)} of {len(p.rows)} targets ({len(p.tested_by_simulation)} by a simulated "
               "check, the others by a symbolic re-derivation only). By statement: "
               + "; ".join(f"{o} {t}/{n}" for o, (t, n) in by.items()))
    derivation_only = [r for r in p.tested if not r.tested_by_simulation]
    if derivation_only:
        out += ["", "Seen only by a symbolic re-derivation (best slack of the simulated checks):"]
        out += [f"- {r.target.label}: {_fmt_scale(r.slack_simulated)}" for r in derivation_only]
    if p.untested:
        out += ["", "What no check can see at x1/2 or x2 (best measured slack: the scale closest to 1 at which some "
                "check fails):"]
        out += [f"- {r.target.label}: {_fmt_scale(r.slack)} (used by {len(r.users)} check(s))" for r in p.untested]
    return "\n".join(out)


def power_frame(p: PowerReport):
    import pandas as pd

    return pd.DataFrame([{"owner": r.target.owner, "kind": r.target.kind, "target": r.target.text,
                          **{f"fails_x{s:g}": None if r.fails.get(s) is None else len(r.fails[s]) for s in SCALES},
                          "tested": r.tested, "tested_by_simulation": r.tested_by_simulation,
                          "best_slack": r.slack, "best_slack_simulated": r.slack_simulated, "users": len(r.users)}
                         for r in p.rows])
