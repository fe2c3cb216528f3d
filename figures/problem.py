"""The problems the figures simulate, built with ``boundlab simulate``'s own configuration keys.

A figure's problem is given as ``{"problem.KEY": value}`` (the keys and flags of
``boundlab simulate``, e.g. ``{"problem.mu": 0.2}`` or ``--problem.mu 0.2``); the figure's
defaults fill the rest, and a given key beats the default.
"""
from __future__ import annotations

from typing import Any

from boundlab.errors import BoundlabError
from boundlab.simulate import config as C
from boundlab.simulate.problems import Problem, least_squares, quadratic

#: the quadratic of figures 1 and 2: homogeneous (B^2 = 0, Theorem 6's setting), started at w_*
QUADRATIC_DEFAULTS: dict[str, Any] = {"problem.kind": "quadratic", "problem.N": 20, "problem.d": 20,
                                      "problem.L": 1.0, "problem.mu": 0.5, "problem.sigma": 1.0,
                                      "problem.b": 1, "problem.B2": 0.0, "problem.w0": 0.0}
#: the paper's synthetic least squares (REFERENCE.md), with per-point label noise
LEAST_SQUARES_DEFAULTS: dict[str, Any] = {"problem.kind": "least_squares", "problem.data": "synthetic",
                                          "problem.N": 20, "problem.n_per_worker": 200, "problem.d": 20,
                                          "problem.b": 1, "problem.label_noise": 0.5, "problem.w0": "zero"}


def build_problem(overrides: dict[str, Any] | None = None, seed: int = 0,
                  defaults: dict[str, Any] | None = None) -> tuple[Problem, dict[str, Any]]:
    """(problem, the resolved ``problem.*`` keys) from defaults (QUADRATIC_DEFAULTS) and overrides.

    The defaults of the other problem kind are dropped when ``problem.kind`` is overridden.
    """
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    for key in overrides:
        if not key.startswith("problem."):
            raise BoundlabError(f"{key}: only problem.* keys configure a figure's problem")
    base = dict(QUADRATIC_DEFAULTS if defaults is None else defaults)
    kind = overrides.get("problem.kind", base["problem.kind"])
    if kind != base["problem.kind"]:
        base = dict(QUADRATIC_DEFAULTS if kind == "quadratic" else LEAST_SQUARES_DEFAULTS)
    cfg = C.resolve({**base, "seed": seed}, overrides)
    kind, params = C.problem_params(cfg)
    problem = quadratic(**params) if kind == "quadratic" else least_squares(**params)
    resolved = {k: v for k, v in cfg.items() if k.startswith("problem.") and v is not None}
    return problem, resolved


def describe(problem: Problem, keys: dict[str, Any]) -> str:
    """One line for a caption: the kind and the exact constants."""
    c = problem.constants()
    if keys.get("problem.kind") == "least_squares":
        head = (f"least squares ({keys.get('problem.data')}, label noise {keys.get('problem.label_noise', 0):g}, "
                f"{keys.get('problem.split', 'iid')} split)")
    else:
        head = ("quadratic, homogeneous (B\u00b2 = 0)" if getattr(problem, "homogeneous", False)
                else f"heterogeneous quadratic (B\u00b2 = {c['B2']:.3g})")
    if c["sigma2_radius"] is None:
        noise = f"\u03c3\u00b2 = {c['sigma2']:.3g}"
    else:
        noise = f"\u03c3\u00b2 \u2264 {c['sigma2']:.3g} on ||w \u2212 w*|| \u2264 {c['sigma2_radius']:.3g} (a proven bound)"
    return (f"{head}: N = {c['N']}, d = {c['d']}, b = {c['b']}, L = {c['L']:.3g}, \u03bc = {c['mu']:.3g}, "
            f"{noise}, ||w0 \u2212 w*||\u00b2 = {c['dist0_2']:.3g}")
