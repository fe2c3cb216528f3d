"""An earlier revision of boundlab, importable beside the installed one: for before/after figures in one run.

``package_tree(rev)`` extracts ``rev`` (``git archive``) into a temporary folder laid out as the installed
distribution (``boundlab`` = ``cli/``, ``boundlab.simulate`` = ``simulate/``, ...) and returns the folder to
put first on ``PYTHONPATH`` of a subprocess: its ``import boundlab`` is then the old code, with the same
interpreter and libraries.
"""
from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FOLDERS = {"theory": "theory", "simulate": "simulate", "verify": "verify", "figures": "figures"}


def package_tree(rev: str, repo: Path = REPO) -> Path:
    """A folder holding ``boundlab`` as it was at ``rev`` (a commit, tag or branch of ``repo``)."""
    blob = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", rev], capture_output=True, check=True)
    root = Path(tempfile.mkdtemp(prefix=f"boundlab-{rev[:12]}-"))
    with tarfile.open(fileobj=io.BytesIO(blob.stdout)) as tar:
        tar.extractall(root / "src", filter="data")
    pkg = root / "pkg" / "boundlab"
    (root / "pkg").mkdir()
    (root / "src" / "cli").rename(pkg)
    for sub, folder in FOLDERS.items():
        (root / "src" / folder).rename(pkg / sub)
    return root / "pkg"


def describe(rev: str, repo: Path = REPO) -> str:
    """``rev`` as ``<short hash> <subject>``."""
    out = subprocess.run(["git", "-C", str(repo), "log", "-1", "--format=%h %s", rev], capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()[:100]
