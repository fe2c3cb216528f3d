"""The documentation site builds with no warning (warnings are errors), and its generated pages cover every
command and every result."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_docs_build_without_a_warning(tmp_path):
    if any(importlib.util.find_spec(m) is None for m in ("sphinx", "myst_nb", "ipykernel")):
        if os.environ.get("CI"):
            pytest.fail("CI installs '.[test]', which includes sphinx, myst-nb and ipykernel")
        pytest.skip("sphinx, myst-nb or ipykernel is not installed (pip install '.[docs]')")
    out = tmp_path / "html"
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS),
                           str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for page in ("index", "getting-started", "tutorial", "guide", "verify-your-own-method", "api", "_generated/commands",
                 "_generated/theory"):
        assert (out / f"{page}.html").is_file(), page
    # the tutorial was executed during the build: its outputs are in the page (an error would have failed it)
    tutorial = (out / "tutorial.html").read_text()
    # 3.48 = norm.ppf(1 - 0.05 / 2 / 100): the two-sided Bonferroni threshold for the 100 iterations it compares
    assert "Bonferroni threshold at 5%: 3.48" in tutorial and "step_sizes.meta.json" in tutorial
    from boundlab.cli import COMMANDS
    from boundlab.theory import all_results
    commands = (out / "_generated" / "commands.html").read_text()
    assert all(f'id="boundlab-{name}"' in commands for name in COMMANDS)
    theory = (out / "_generated" / "theory.html").read_text()
    missing = [r.name for r in all_results() if f'id="result-{r.name.lower().replace("_", "-")}"' not in theory]
    assert not missing, missing
