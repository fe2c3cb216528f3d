"""boundlab: the convergence theory of communication-compressed distributed optimisation
(MCM and its baselines), encoded symbolically and checked against simulation.

Sub-packages: ``boundlab.theory`` (every bound of the paper, in sympy),
``boundlab.simulate``, ``boundlab.verify`` and ``boundlab.figures``.
The command line is ``boundlab`` (or ``python -m boundlab``).
"""
from importlib.metadata import PackageNotFoundError, version

from boundlab.errors import BoundlabError

try:
    __version__ = version("boundlab")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["BoundlabError", "__version__"]
