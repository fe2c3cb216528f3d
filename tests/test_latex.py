"""Every LaTeX output compiles: the rate table (full, without tags, compact), the features table and every result's
statement (``boundlab theory NAME --latex``). With a LaTeX engine installed (CI installs one: .ci/run), each
document is compiled and the tables must fit their page (no overfull box); without one, the structure is checked
(environments closed, braces balanced, booktabs rules, no stray underscore outside math)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from boundlab.theory import all_results, table

ENGINE = shutil.which("pdflatex")


def documents() -> dict[str, tuple[str, bool]]:
    """name -> (a whole document, whether it must fit without an overfull box)."""
    cells = table.rate_table()
    docs = {
        "rate": (table.latex_document(table.render(cells, "latex")), True),
        "rate-no-tags": (table.latex_document(table.render(cells, "latex", tags=False)), True),
        "rate-compact": (table.latex_document(table.render(cells, "latex", compact=True), twocolumn=True), True),
        "features": (table.latex_document(table.render_features("latex")), True),
    }
    # every statement, one display each (long ones may exceed a line: only errors count there)
    body = "\n".join(r"\noindent " + r.name.replace("_", r"\_") + ":\n\\[" + r.latex + r"\]" for r in all_results())
    docs["statements"] = (table.latex_document(body), False)
    return docs


def _structure(doc: str) -> None:
    assert doc.count("{") == doc.count("}")
    for env in set(re.findall(r"\\begin\{(\w+\*?)\}", doc)):
        assert doc.count(r"\begin{" + env + "}") == doc.count(r"\end{" + env + "}"), env
    text = re.sub(r"\$[^$]*\$|\\\[.*?\\\]", "", doc, flags=re.S)          # outside math
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("%"))
    assert not re.search(r"(?<!\\)_", text), "an underscore outside math mode"
    assert r"\hline" not in doc


@pytest.mark.parametrize("name", ["rate", "rate-no-tags", "rate-compact", "features", "statements"])
def test_latex_output_compiles(name, tmp_path):
    doc, must_fit = documents()[name]
    _structure(doc)
    if name != "statements":
        assert r"\toprule" in doc and r"\midrule" in doc and r"\bottomrule" in doc
    if name in ("rate-no-tags", "rate-compact"):
        assert "[D]" not in doc and "[O]" not in doc
    if ENGINE is None:
        if os.environ.get("CI"):
            pytest.fail("CI installs a LaTeX engine (.ci/run): pdflatex is missing")
        pytest.skip("no LaTeX engine here: the structure was checked, the compilation was not")
    (tmp_path / "doc.tex").write_text(doc, encoding="utf-8")
    proc = subprocess.run([ENGINE, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    log = (tmp_path / "doc.log").read_text(errors="replace")
    assert proc.returncode == 0, log[-2000:]
    if must_fit:
        assert "Overfull \\hbox" not in log, [line for line in log.splitlines() if "Overfull" in line]


def test_table_options_on_the_command_line(capsys):
    from boundlab.cli import main
    assert main(["table", "--format", "latex", "--compact", "--standalone"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(r"\documentclass[twocolumn]{article}") and r"\omega_{\rm u}" in out
    assert main(["table", "--no-tags"]) == 2
    assert "--no-tags applies to --format latex only" in capsys.readouterr().err
