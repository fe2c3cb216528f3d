"""The audit: is every encoded result self-consistent, whatever the simulations say?

Checks, for every result of the registry:

1. **Dimensions.** Every term of a bound, both sides of a relation, every hypothesis, every
   step-size schedule and every definition (against the unit declared for the symbol it defines)
   must scale the same way under w -> lambda_w w and F -> lambda_F F
   (:mod:`boundlab.theory.dimensions`).
2. **Step-size schedules.** A schedule claims ``gamma_k <= gamma_max`` for every k (or for K large
   enough); the audit decides the claim symbolically. It uses one derived fact: 0 < mu <= L <= L_tilde
   (mu <= L by A3-A4; L <= L(1 + omega_up/N) = 1/(2 gamma_max^up) <= 1/(2 gamma_max) = L_tilde), so
   mu = t L_tilde with t in (0, 1].
3. **Hypothesis chains.** The MCM theorems assume gamma <= gamma_max and alpha_dwn = 1/(8 omega_dwn); they
   rest on Theorem 5, whose own conditions must then follow.
4. **Doubtful conditions.** A condition tagged [S?] is examined for the values it admits.
5. **Re-derivations** (:mod:`boundlab.theory.derivations`): Theorem 3 from Proposition 1, and V_k's
   constant, gamma_max^Upsilon and Phi from Theorem 5.

A finding is a *defect* (the result cannot be right as written) or a *note* (consistent, with an
explanation of something a reader could trip on). Defects in results already flagged [S?] are
*known*; a defect anywhere else makes ``boundlab audit`` exit with status 1.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from boundlab.theory import derivations
from boundlab.theory.core import Result, Status, all_results, expand, get, numeric
from boundlab.theory.dimensions import Issue, dimension, show_dim
from boundlab.theory.symbols import INFO, L_tilde, S, alpha_dwn, gamma, gamma_max, mu, omega_dwn


@dataclass(frozen=True)
class Finding:
    result: str
    check: str  # "dimensions" | "schedule" | "hypotheses" | "doubtful condition" | "re-derivation" | ...
    kind: str  # "defect" | "note"
    message: str

    def known(self, status: Status) -> bool:
        return self.kind == "defect" and status == Status.S_DOUBT


@dataclass
class ResultAudit:
    result: Result
    findings: list[Finding] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # what was checked and passed

    @property
    def defects(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "defect"]

    @property
    def verdict(self) -> str:
        if self.result.status == Status.U:
            return "placeholder (unsourced: no formula to audit)"
        if not self.defects:
            return "consistent"
        return "defects (known: flagged [S?])" if self.result.status == Status.S_DOUBT else "DEFECTS"


@dataclass
class AuditReport:
    results: list[ResultAudit]
    rederivations: list[derivations.Rederived]

    @property
    def unexpected(self) -> list[Finding]:
        """Defects in results not flagged [S?], and failed re-derivations."""
        out = [f for r in self.results for f in r.defects if r.result.status != Status.S_DOUBT]
        out += [Finding("derivations", "re-derivation", "defect", f"{d.name}: derived {d.derived}, encoded {d.encoded}")
                for d in self.rederivations if not d.matches]
        return out

    @property
    def exit_code(self) -> int:
        return 1 if self.unexpected else 0


def show_set(s: sp.Set) -> str:
    """(a, b], [a, oo) ... instead of sympy's Interval.Lopen(a, b)."""
    if isinstance(s, sp.Interval):
        lo = "(" if s.left_open else "["
        hi = ")" if s.right_open else "]"
        return f"{lo}{sp.sstr(s.start)}, {'oo' if s.end == sp.oo else sp.sstr(s.end)}{hi}"
    if isinstance(s, sp.Union):
        return " u ".join(show_set(a) for a in s.args)
    return "{}" if s == sp.EmptySet else sp.sstr(s)


# ----------------------------------------------------------------------------- checks
def _dims(result: Result, audit: ResultAudit) -> None:
    issues: list[Issue] = []
    if result.statement is not None:
        d = dimension(result.statement, issues)
        if result.defines is not None and d is not None:
            declared = tuple(sp.Integer(x) for x in INFO[result.defines].dim)
            if d != declared:
                issues.append(Issue(result.defines, f"defined as {show_dim(d)} but declared {show_dim(declared)}"))
    for h in result.hypotheses:
        if h.relation is not None:
            dimension(h.relation, issues)
    if result.schedule is not None:
        dg = dimension(result.schedule.gamma, issues)
        if dg is not None and dg != tuple(sp.Integer(x) for x in INFO["gamma"].dim):
            issues.append(Issue(str(result.schedule.gamma), f"the step size has dimension {show_dim(dg)}, "
                                                            f"not that of gamma ({show_dim(INFO['gamma'].dim)})"))
    for i in issues:
        audit.findings.append(Finding(result.name, "dimensions", "defect", str(i)))
    if result.statement is not None and any(hasattr(f, "_imp_") for f in result.statement.atoms(sp.Function)):
        audit.findings.append(Finding(result.name, "dimensions", "note", "a plain Python bound: the units of its "
                                      "function are unknown, so its dimensions are not checked"))
    elif not issues and result.statement is not None:
        scope = " (order-level: constants dropped, so only internal consistency is meaningful)" \
            if result.status == Status.O else ""
        audit.checks.append("dimensions" + scope)


T = sp.Symbol("t", positive=True)  # mu / L_tilde, in (0, 1]


def _schedule(result: Result, audit: ResultAudit) -> None:
    sch = result.schedule
    if sch is None:
        return
    claim = sch.claims.xreplace({gamma: sch.gamma})
    if claim.has(L_tilde) or sch.gamma.has(L_tilde):
        claim = claim.xreplace({gamma_max: 1 / (2 * L_tilde)})
    i = sch.index
    if claim in (sp.true, sp.false):  # decided outright, e.g. gamma_k = gamma_max
        holds = claim == sp.true
        audit.findings.append(Finding(result.name, "schedule", "note" if holds else "defect",
                                      f"schedule gamma_{i} = {sp.sstr(sch.gamma)}: claim {sp.sstr(sch.claims)} "
                                      f"{'holds' if holds else 'fails'} for every {i}")) if not holds else \
            audit.checks.append(f"schedule gamma_{i} = {sp.sstr(sch.gamma)}: claim holds for every {i}")
        return
    ratio = sp.simplify(claim.lhs / claim.rhs)  # the claim is ratio <= 1
    # (the index is a non-negative symbol: a sign decided by sympy holds for every index >= 0)
    if ratio == 1 or sp.simplify(ratio - 1).is_nonpositive:
        audit.checks.append(f"schedule gamma_{i} = {sp.sstr(sch.gamma)}: claim {sp.sstr(sch.claims)} holds for every {i}")
        return
    uses_t = ratio.has(mu) and ratio.has(L_tilde)
    r = sp.simplify(ratio.subs(mu, T * L_tilde)) if uses_t else ratio
    if sch.eventually:
        lim = sp.limit(r, i, sp.oo)
        threshold = sp.solve(sp.Eq(ratio, 1), i)
        if lim.is_number and lim < 1:
            issues: list[Issue] = []
            for th in threshold:
                dimension(th, issues)
            k0 = ", ".join(sp.sstr(th) for th in threshold)
            audit.findings.append(Finding(
                result.name, "schedule", "note",
                f"the step {sp.sstr(sch.gamma)} satisfies {sp.sstr(sch.claims)} only for {i} >= {k0}; the slides "
                f"claim it for '{i} large enough': consistent" + ("" if not issues else f" (but {issues[0]})")))
        else:
            audit.findings.append(Finding(result.name, "schedule", "defect",
                                          f"the step never satisfies {sp.sstr(sch.claims)} as {i} -> oo"))
        return
    first = sp.simplify(r.subs(i, sch.start))
    domain = sp.Interval.Lopen(0, 1) if uses_t else sp.Interval.open(0, sp.oo)
    var = T if uses_t else None
    if var is not None:
        ok = sp.solveset(first <= 1, var, domain)
        if ok == sp.EmptySet:
            lo, hi = sp.limit(first, T, 1), sp.limit(first, T, 0, "+")
            later = sp.solve(sp.Eq(r, 1), i)
            from_k = sp.simplify(later[0].subs(T, mu / L_tilde)) if later else None
            audit.findings.append(Finding(
                result.name, "schedule", "defect",
                f"gamma_{sch.start} = {sp.sstr(sch.gamma.subs(i, sch.start))} exceeds gamma_max = 1/(2 L_tilde) for "
                f"every admissible constant: gamma_{sch.start}/gamma_max = {sp.sstr(ratio.subs(i, sch.start))} lies "
                f"in [{lo}, {hi}) since 0 < mu <= L_tilde; the claim gamma_{i} <= gamma_max holds only for "
                f"{i} >= {sp.sstr(from_k)}"))
            return
    audit.findings.append(Finding(result.name, "schedule", "note",
                                  f"claim {sp.sstr(sch.claims)} at the schedule: ratio {sp.sstr(ratio)} (not decided)"))


def _chains(result: Result, audit: ResultAudit) -> None:
    """MCM theorems assume gamma <= gamma_max and alpha_dwn = 1/(8 omega_dwn): do Theorem 5's conditions follow?"""
    labels = {h.label for h in result.hypotheses}
    if result.name == "thm5" or not {"gamma <= gamma_max", "alpha_dwn = 1/(8 omega_dwn)"} & labels:
        return
    thm5 = get("thm5")
    pieces = expand(gamma_max).args
    for h in thm5.hypotheses:
        if h.relation is None or h.label.startswith("mu"):
            continue
        rel = h.relation
        if rel.lhs == gamma and "gamma <= gamma_max" in labels:
            if any(sp.simplify(p - expand(rel.rhs)) == 0 for p in pieces):
                audit.checks.append(f"gamma <= gamma_max implies Theorem 5's {h.label} (one of gamma_max's pieces)")
            else:
                audit.findings.append(Finding(result.name, "hypotheses", "defect",
                                              f"gamma <= gamma_max does not imply Theorem 5's {h.label}"))
        if rel.lhs == alpha_dwn and "alpha_dwn = 1/(8 omega_dwn)" in labels:
            holds = sp.solveset(sp.Le(1 / (8 * omega_dwn), rel.rhs), omega_dwn, sp.Interval.open(0, sp.oo))
            text = f"alpha_dwn = 1/(8 omega_dwn) satisfies Theorem 5's {h.label} for omega_dwn in {show_set(holds)}"
            if sp.Interval(1, sp.oo).is_subset(holds):
                audit.checks.append(text + ", which contains omega_dwn >= 1 (the checks' setting)")
            else:
                audit.findings.append(Finding(result.name, "hypotheses", "defect", text + " only"))


def _doubtful_conditions(result: Result, audit: ResultAudit) -> None:
    """A memory rate is meaningful in (0, 1]; what does each [S?] alpha_dwn condition admit?"""
    for h in result.hypotheses:
        if h.status != Status.S_DOUBT or h.relation is None or h.relation.lhs != alpha_dwn:
            continue
        u = h.relation.rhs
        pos = sp.Interval.open(0, sp.oo)
        too_big = sp.solveset(u > 1, omega_dwn, pos)
        empty = sp.solveset(u <= 0, omega_dwn, pos)
        negative_factor = sp.solveset(u > 2, omega_dwn, pos)
        parts = [f"{h.label} admits alpha_dwn > 1 (a memory rate above 1 overshoots) for omega_dwn in "
                 f"{show_set(too_big)}"]
        if negative_factor != sp.EmptySet:
            parts.append(f"alpha_dwn > 2, where Theorem 5's factor 1 - alpha_dwn/2 is negative, for omega_dwn in "
                         f"{show_set(negative_factor)}")
        if empty != sp.EmptySet:
            parts.append(f"no alpha_dwn > 0 at all for omega_dwn in {show_set(empty)}")
        if too_big == sp.EmptySet and empty == sp.EmptySet:
            parts = [f"{h.label} admits only alpha_dwn in (0, 1] for every omega_dwn > 0"]
        # Disqualifying: no admissible rate somewhere, or meaningless rates in the regime of interest (omega_dwn >= 1).
        bad = empty != sp.EmptySet or too_big.intersect(sp.Interval(1, sp.oo)) != sp.EmptySet
        verdict = ("this reading cannot be the intended one" if bad else
                   "a sensible reading once read together with alpha_dwn <= 1")
        audit.findings.append(Finding(result.name, "doubtful condition", "note",
                                      f"{'; '.join(parts)}: {verdict} (encoded as printed, tagged [S?])"))


def _redundant_pieces(result: Result, audit: ResultAudit) -> None:
    """Is every piece of gamma_max's min binding somewhere? (scan of a grid of constants)"""
    if result.name != "gamma_max":
        return
    grid = np.meshgrid(np.logspace(-2, 3, 41), np.logspace(-2, 3, 41), np.array([1, 2, 5, 20, 100, 1000]))
    vals = {"L": np.ones_like(grid[0]), "omega_up": grid[0], "omega_dwn": grid[1], "N": grid[2]}
    pieces = {n: numeric(S(n), vals) for n in ("gamma_up", "gamma_down", "gamma_upsilon")}
    low = np.minimum.reduce(list(pieces.values()))
    for n, v in pieces.items():
        if not np.any(v == low):
            audit.findings.append(Finding(
                result.name, "redundancy", "note",
                f"{n} is never the smallest piece on a grid of omega_up, omega_dwn in [0.01, 1000], N in [1, 1000]. "
                "Why: gamma_upsilon/gamma_down = 1/(sqrt(2) sqrt(8 omega_dwn + omega_up/N)) < 1 as soon as omega_dwn "
                "> 1/16, and for omega_dwn <= 1/16 gamma_down >= 2/L > gamma_up. Harmless (the min is unchanged), "
                "but gamma_max^down never binds."))


def _notes_for_doubtful(result: Result, audit: ResultAudit) -> None:
    if result.status == Status.S_DOUBT and not audit.defects:
        audit.findings.append(Finding(
            result.name, "doubt", "note",
            "dimensionally consistent and its hypotheses are consistent: the doubt (see the result's notes) is about "
            "a constant or a factor, which only the simulation checks can judge"))


CHECKS = (_dims, _schedule, _chains, _doubtful_conditions, _redundant_pieces)


def audit_result(result: Result) -> ResultAudit:
    a = ResultAudit(result)
    if result.statement is None:
        a.checks.append(f"no formula of its own (extends {', '.join(result.extends)})")
        return a
    for check in CHECKS:
        check(result, a)
    _notes_for_doubtful(result, a)
    return a


def run_audit() -> AuditReport:
    return AuditReport([audit_result(r) for r in all_results()], derivations.all_rederivations())


# -------------------------------------------------------------------------- rendering
def render(report: AuditReport, fmt: str = "text", verbose: bool = False) -> str:
    if fmt == "json":
        return json.dumps({
            "results": [{"name": a.result.name, "status": a.result.status.value, "verdict": a.verdict,
                         "checks": a.checks,
                         "findings": [{"check": f.check, "kind": f.kind, "message": f.message} for f in a.findings]}
                        for a in report.results],
            "rederivations": [{"name": d.name, "matches": d.matches, "derived": str(d.derived),
                               "encoded": str(d.encoded)} for d in report.rederivations],
            "unexpected_defects": len(report.unexpected),
        }, indent=2)
    lines = ["boundlab audit: dimensions, step-size schedules, hypothesis chains, re-derived constants", ""]
    width = max(len(a.result.name) for a in report.results)
    for a in report.results:
        lines.append(f"{a.result.name:<{width}}  {a.result.status.tag:<5} {a.verdict}")
        for f in a.findings:
            mark = "DEFECT" if f.kind == "defect" else "note"
            lines.append(f"{'':<{width}}    {mark} [{f.check}] {f.message}")
        if verbose:
            lines += [f"{'':<{width}}    ok {c}" for c in a.checks]
    lines += ["", "Re-derived from Theorem 5 / Proposition 1 (alpha_dwn = 1/(8 omega_dwn)):"]
    for d in report.rederivations:
        lines.append(f"  {'ok  ' if d.matches else 'FAIL'} {d.name}" + ("" if d.matches else
                                                                        f": derived {d.derived} vs {d.encoded}"))
    known = [f for a in report.results for f in a.defects if a.result.status == Status.S_DOUBT]
    lines += ["", f"Summary: {len(report.results)} results; {len(known)} known defect(s) in results flagged [S?] "
                  f"({', '.join(sorted({f.result for f in known})) or 'none'}); {len(report.unexpected)} unexpected."]
    return "\n".join(lines)
