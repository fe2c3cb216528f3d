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


def theory_page() -> str:
    from boundlab.theory import all_results
    checks = checks_by_result()
    out = ["Theory reference", "================", "",
           "Every result boundlab encodes, generated from its registry at every build: the statement as encoded "
           "(sympy's LaTeX, or the printed form), its status tag, its hypotheses, where it comes from (the "
           "seminar slide by title and the line of the extracted text; the paper's own theorem numbers are not "
           "in the sources this project has, so the slides' numbering is kept), and the checks of "
           "``boundlab verify`` that test it. ``boundlab theory NAME`` evaluates one at given constants; "
           "``boundlab verify --power`` says which of its constants the checks can see.", "",
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
    return "\n".join(out)


def write_all(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("commands.rst", commands_page()), ("theory.rst", theory_page())):
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:   # unchanged pages keep their date
            path.write_text(text, encoding="utf-8")
