"""The generated pages of the documentation, written at every build (``docs/conf.py``):

* ``commands.rst``: each sub-command's ``--help``, from the parsers themselves;
* ``theory.rst``: every registered result: its statement (LaTeX), kind, status tag, hypotheses, source, notes,
  and the checks of ``boundlab verify``'s quick and full suites that test it.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

TAGS = {"S": "[S] printed in a source", "S?": "[S?] printed but doubtful", "D": "[D] derived here",
        "O": "[O] order only (constants unknown)", "unsourced": "[unsourced] a placeholder: no formula is sourced"}


def _literal(text: str) -> str:
    return "::\n\n" + textwrap.indent(text.rstrip(), "   ") + "\n"


def _escape(text: str) -> str:
    """Plain text in reStructuredText (no markup: backslashes, stars, backquotes, underscores, pipes)."""
    for ch in "\\*`_|":
        text = text.replace(ch, "\\" + ch)
    return text


def commands_page() -> str:
    from boundlab.cli import COMMANDS, build_parser
    parser = build_parser("*")
    out = ["Command reference", "=================", "",
           "One command, ``boundlab`` (also ``python -m boundlab``), a sub-command per job. This page is the output "
           "of each sub-command's ``--help``, generated from its parser at every build.", "",
           "``boundlab``", "-" * 12, "", _literal(parser.format_help())]
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name in COMMANDS:
        title = f"``boundlab {name}``"
        out += [title, "-" * len(title), "", _literal(sub.choices[name].format_help())]
    return "\n".join(out)


def checks_by_result() -> dict[str, list[str]]:
    from boundlab.verify.checks import load_suite
    found: dict[str, list[str]] = {}
    for suite in ("quick", "full"):
        for c in load_suite(suite):
            result = getattr(c, "result", None)
            if result:
                found.setdefault(result, [])
                label = f"{c.name} ({suite})"
                if not any(x.startswith(c.name + " (") for x in found[result]):
                    found[result].append(label)
    return found


#: the quick suite's power matrix at seed 0 (``boundlab verify --power --power-out docs/power-quick.csv``); a test
#: recomputes it from the suite's records and fails when this file is out of date
POWER = Path(__file__).resolve().parent / "power-quick.csv"


def power_lines() -> dict[str, str]:
    """Per result, its line of the power matrix: how many of its statement's targets (constants, factors, terms)
    the quick suite sees, and the best measured slack of those it does not."""
    import pandas as pd

    from boundlab.verify.power import _fmt_scale
    frame = pd.read_csv(POWER)
    lines = {}
    for owner, part in frame.groupby("owner", sort=False):
        n, seen, sim = len(part), int(part.tested.sum()), int(part.tested_by_simulation.sum())
        text = (f"Power (quick suite, seed 0): {seen} of {n} targets of its statement seen (scaled by 1/2 or 2, "
                f"some check fails), {sim} of them by a simulated check")
        only_symbolic = part[part.tested & ~part.tested_by_simulation]
        if len(only_symbolic):
            text += "; seen only by a symbolic re-derivation: " + "; ".join(
                f"{k} \"{t}\" (simulated checks' best slack {_fmt_scale(_num(s))})"
                for k, t, s in zip(only_symbolic.kind, only_symbolic.target, only_symbolic.best_slack_simulated))
        unseen = part[~part.tested]
        if len(unseen):
            text += "; not seen: " + "; ".join(f"{k} \"{t}\" (best slack {_fmt_scale(_num(s))})"
                                                for k, t, s in zip(unseen.kind, unseen.target, unseen.best_slack))
        lines[owner] = text + "."
    return lines


def _num(x):
    import math
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def theory_page() -> str:
    from boundlab.theory import all_results
    checks = checks_by_result()
    power = power_lines()
    out = ["Theory reference", "================", "",
           "Every result boundlab encodes, generated from its registry at every build: the statement as encoded "
           "(sympy's LaTeX, or the printed form), its status tag, its hypotheses, where it comes from (the "
           "seminar slide by title and the line of the extracted text; the paper's own theorem numbers are not "
           "in the sources this project has, so the slides' numbering is kept), the checks of "
           "``boundlab verify`` that test it, and its line of the quick suite's power matrix: which targets of "
           "its statement (numeric constants, factors, terms) the checks see when scaled by 1/2 or 2, and for "
           "the others the scale closest to 1 at which some check would fail (best slack). "
           "``boundlab theory NAME`` evaluates one at given constants; ``boundlab verify --power`` recomputes "
           "the matrix.", "",
           "Tags: " + "; ".join(TAGS.values()) + ".", ""]
    for r in sorted(all_results(), key=lambda r: r.name):
        head = f"{r.name}: {r.title}"
        out += [f".. _result-{r.name}:", "", _escape(head), "-" * len(_escape(head)), "",
                f"*{r.kind}*, {TAGS.get(r.status.value, r.status.value)}.", ""]
        if r.latex and r.status.value != "unsourced":
            out += [".. math::", "", "   " + r.latex.replace("\n", " "), ""]
        if r.hypotheses:
            out += ["Hypotheses:", ""] + [f"- **{_escape(h.label)}**: {_escape(h.text)}" for h in r.hypotheses] + [""]
        out += [f"Source: {_escape(str(r.source))}.", ""]
        if r.notes:
            out += [_escape(" ".join(r.notes.split())), ""]
        tested = checks.get(r.name, [])
        out += ["Checked by: " + (", ".join(f"``{c}``" for c in tested) if tested else "no check of the suites "
                                  "(an order claim, a definition used by others, or a placeholder)."), ""]
        out += [_escape(power[r.name]) if r.name in power else "Power: no check of the quick suite evaluates this "
                "statement (its constants are seen, if at all, through the results that use it).", ""]
    return "\n".join(out)


def write_all(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("commands.rst", commands_page()), ("theory.rst", theory_page())):
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:   # unchanged pages keep their date
            path.write_text(text, encoding="utf-8")
