r"""One source of truth for the constants of a run: the problem's, the algorithm's and the step's.

:func:`resolve_constants` builds a :class:`Constants` from a problem, an algorithm (set up for that
problem) and the step size; the engine writes it into every result's metadata
(``meta["constants"]``), ``boundlab verify`` evaluates the bounds with it, the figures read the step
bound from it, and ``boundlab theory RESULT --constants FILE.meta.json`` evaluates a bound straight
from a ``boundlab simulate`` output. Nothing else recomputes an omega, an alpha or a step bound.

The names are the symbols of :mod:`boundlab.theory` (``sigma`` is :math:`\sqrt{\sigma^2}`, ``B`` is
:math:`\sqrt{B^2}`); an algorithm adds its own through :meth:`Algorithm.constants
<boundlab.simulate.algorithms.Algorithm.constants>` (MCM: ``alpha_dwn``, the number of downlink
memories ``C``; a plug-in: whatever its results use).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# Problem constants that are theory symbols, with how to read them off Problem.constants().
_PROBLEM = {"L": "L", "mu": "mu", "N": "N", "d": "d", "b": "b"}


@dataclass(frozen=True)
class Constants:
    """The resolved constants of one (problem, algorithm, gamma).

    ``values`` maps theory symbols to numbers (the problem's L, mu, sigma, B, N, d, b; the
    algorithm's omega_up, omega_dwn, alpha_dwn...; gamma). ``gamma_bound`` is the theory's
    largest step for this algorithm (``step_bound`` names the result), ``None`` where no result
    gives one.
    """

    values: dict[str, float]
    gamma_bound: float | None = None
    step_bound: str | None = None

    def theory_values(self, *, with_gamma: bool = True) -> dict[str, float]:
        """The values to give :meth:`boundlab.theory.core.Result.evaluate` (only theory symbols)."""
        from boundlab.theory.symbols import INFO
        return {n: v for n, v in self.values.items()
                if n in INFO and v is not None and (with_gamma or n != "gamma")}

    def __getitem__(self, name: str) -> float:
        return self.values[name]

    def to_dict(self) -> dict[str, Any]:
        return {"values": dict(self.values), "gamma_bound": self.gamma_bound, "step_bound": self.step_bound}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Constants":
        return cls(dict(data["values"]), data.get("gamma_bound"), data.get("step_bound"))


def problem_values(problem) -> dict[str, float]:
    """The problem's theory constants: L, mu, N, d, b, sigma = sqrt(sigma^2), B = sqrt(B^2), xstar_norm2 = ||x*||^2."""
    c = problem.constants()
    out = {sym: c[key] for sym, key in _PROBLEM.items()}
    out["sigma"] = math.sqrt(c["sigma2"])
    out["B"] = math.sqrt(max(c["B2"], 0.0))
    w_star = getattr(problem, "w_star", None)
    if w_star is not None:
        out["xstar_norm2"] = float(w_star @ w_star)        # ||x*||^2 (naive compression's plateau, D3)
    return out


def resolve_constants(problem, algorithm, gamma: float | None = None) -> Constants:
    """Every constant of ``algorithm`` (set up here for ``problem``) on ``problem``, with ``gamma``."""
    algorithm.setup(problem)
    values = {**problem_values(problem), **algorithm.constants()}
    if gamma is not None:
        values["gamma"] = float(gamma)
    return Constants(values, algorithm.gamma_bound(problem), algorithm.step_bound_name())
