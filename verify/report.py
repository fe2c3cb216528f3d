"""Render a :class:`~boundlab.verify.suite.Report`: terminal table, markdown, CSV, JSON."""
from __future__ import annotations

import json
import math

from boundlab.verify.suite import Report, Row

LEGEND = (
    "measured: mean of the left side over runs with its two-sided interval; bound: mean of the right side "
    "(x tighten); ratio: E[left]/E[right] with its interval (delta method). Verdicts: an upper bound 'holds' "
    "when the one-sided interval on E[left - right] lies below 0, is 'violated' when it lies above 0, "
    "'inconclusive' otherwise; an equality 'holds' when the ratio's interval contains 1. Every interval is at "
    "level alpha/M (Bonferroni over the M random comparisons), so the suite's false-alarm rate is at most alpha. "
    "Each row shows the check's worst checkpoint k. For a recursion (thm3, thm5, thm6, thm7) the right side "
    "carries the previous value of the left side, so its ratio is close to 1 by construction at small steps and "
    "measures the carried term, not the paper's constants: the column 'innovation' gives E[lhs - carried] / "
    "E[rhs - carried] (the bound's non-carried terms, with the gains it grants moved to the left), which is what "
    "the constants control (negative when the left side falls faster than the carried term). Roles: 'control' rows "
    "are negative controls (settings where the bound is false): they must fail, else the suite has lost power and "
    "exits 1; 'finding' rows test doubtful [S?] items or measure order claims and fail the run only with --strict; "
    "'explore' rows leave the hypotheses on purpose. An asserted check whose simulation leaves its result's "
    "hypotheses is an error of the suite (exit 1).")


def _iv(iv) -> str:
    if iv is None:
        return "-"
    if iv.low == iv.high:
        return f"{iv.estimate:.4g} (exact)"
    return f"{iv.estimate:.4g} [{iv.low:.4g}, {iv.high:.4g}]"


def _num(x: float) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"


def _hyp(r: Row) -> str:
    if r.hypotheses_ok:
        return "yes"
    bad = [k for k, v in r.hypotheses.items() if v is not True]
    return "NO: " + ", ".join(bad)


COLUMNS = ("check", "tag", "role", "k", "measured", "bound", "ratio", "innovation", "verdict", "hypotheses")


def _verdict(r: Row) -> str:
    v = r.verdict
    if r.role == "control":
        v = "fails as it must" if v == "violated" else f"DID NOT FAIL ({v})"
    return v + (f" ({r.detail})" if r.detail and (r.verdict != "holds" or r.kind == "order") else "")


def _cells(r: Row) -> list[str]:
    return [r.check, f"[{r.tag}]", r.role, "-" if r.k is None else str(r.k), _iv(r.measured), _num(r.bound),
            _iv(r.ratio), _iv(r.innovation), _verdict(r), _hyp(r)]


def render(report: Report, fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps({
            "suite": report.suite, "seed": report.seed, "tighten": report.tighten, "alpha": report.alpha,
            "comparisons": report.n_comparisons, "exit_code": report.exit_code,
            "violations": [r.check for r in report.violations], "findings": [r.check for r in report.findings],
            "controls_missed": [r.check for r in report.missed_controls],
            "hypothesis_errors": [r.check for r in report.hypothesis_errors],
            "checks": [{
                "check": r.check, "tag": r.tag, "kind": r.kind, "role": r.role, "config": r.config, "k": r.k,
                "measured": _ivd(r.measured), "bound": r.bound, "ratio": _ivd(r.ratio),
                "innovation": _ivd(r.innovation), "verdict": r.verdict,
                "hypotheses_ok": r.hypotheses_ok, "hypotheses": r.hypotheses, "detail": r.detail,
                "checkpoints": [{"k": p["k"], "measured": _ivd(p["measured"]), "bound": p["bound"],
                                 "ratio": _ivd(p["ratio"]), "verdict": p["verdict"]} for p in r.checkpoints],
            } for r in report.rows]}, indent=2, default=_json_default)
    if fmt == "csv":
        return report.to_frame().to_csv(index=False).rstrip("\n")
    head = (f"boundlab verify: suite '{report.suite}', seed {report.seed}, tighten {report.tighten:g}, "
            f"alpha {report.alpha:g} over {report.n_comparisons} random comparisons")
    rows = [_cells(r) for r in report.rows]
    violated = [r.check for r in report.violations]
    others = [r for r in report.rows if r.role not in ("control", "skipped")]
    summary = (f"{sum(r.verdict == 'holds' for r in others)} hold, "
               f"{sum(r.verdict == 'inconclusive' for r in others)} inconclusive, {len(violated)} violated"
               + (f": {', '.join(violated)}" if violated else ""))
    controls = report.controls
    if controls:
        missed = report.missed_controls
        summary += (f"\nNegative controls: {len(controls) - len(missed)} of {len(controls)} fail as they must"
                    + (f"; DID NOT FAIL: {', '.join(r.check for r in missed)}" if missed else ""))
    if report.skipped:
        summary += (f"\nNo exact counterpart ({len(report.skipped)} checks: operators that are not masks, settings "
                    "the exact recursion does not cover, or records it fixes by construction): " + ", ".join(r.check for r in report.skipped))
    if report.hypothesis_errors:
        summary += ("\nSuite errors (asserted checks outside their result's hypotheses): "
                    + ", ".join(r.check for r in report.hypothesis_errors))
    explored = [r for r in report.rows if r.role == "explore"]
    if explored:
        summary += ("\nOutside the hypotheses on purpose (never fail the run): "
                    + "; ".join(f"{r.check} {r.verdict}" for r in explored))
    if report.findings:
        summary += ("\nFindings on doubtful [S?] items and order claims (not counted as failures" +
                    ("" if not report.strict else "; --strict counts them") + "): " +
                    "; ".join(f"{r.check} violated" + (f" ({r.detail[:160]})" if r.detail else "")
                              for r in report.findings))
    configs = [f"- {r.check}: {r.config}" for r in report.rows]
    if fmt == "markdown":
        lines = [f"**{head}**", "", "| " + " | ".join(COLUMNS) + " |", "|---" * len(COLUMNS) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
        return "\n".join([*lines, "", summary, "", LEGEND, "", "Configurations:", *configs])
    if fmt in ("text", "table"):
        widths = [max(len(COLUMNS[i]), *(len(row[i]) for row in rows)) for i in range(len(COLUMNS))]
        line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
        return "\n".join([head, "", line(COLUMNS), line(["-" * w for w in widths]), *map(line, rows), "", summary,
                          "", LEGEND, "", "Configurations:", *configs])
    raise ValueError(fmt)


def _ivd(iv):
    return None if iv is None else {"estimate": iv.estimate, "low": iv.low, "high": iv.high, "level": iv.level}


def _json_default(x):
    if isinstance(x, float) and math.isinf(x):
        return None
    try:
        return float(x)
    except (TypeError, ValueError):
        return str(x)
