"""Sphinx configuration of boundlab's documentation: ``sphinx-build -W -b html docs docs/_build``.

The command reference, the theory reference and the list of checks are generated from the code at each build
(``docs/generate.py``): they cannot drift from what the package does.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

project = "boundlab"
author = "the boundlab developers"
copyright = "2026, the boundlab developers"
try:
    from boundlab import __version__ as release
except ImportError:          # building from a checkout that is not installed
    release = "unknown"
version = release

# myst_nb is myst_parser plus notebooks: docs/tutorial.ipynb is executed at every build (an error fails it)
extensions = ["sphinx.ext.autodoc", "sphinx.ext.mathjax", "sphinx.ext.viewcode", "myst_nb"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "jupyter_execute"]
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_timeout = 300
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_typehints = "none"           # the signatures show the types; the prose says what they mean
html_theme = "alabaster"
html_static_path: list[str] = []


def _generate(app) -> None:
    import generate
    generate.write_all(HERE / "_generated")


def setup(app):
    app.connect("builder-inited", _generate)
