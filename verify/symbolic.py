"""The audit's symbolic re-derivations as exact checks of ``boundlab verify``.

Theorem 3 follows from Proposition 1, and V_k's constant 32 gamma L omega_dwn^2, gamma_max^Upsilon
and Phi follow from Theorem 5 (``boundlab.theory.derivations``). A simulation cannot see most of
these constants (they sit in terms the bounds have slack on); the derivation sees every one: a
wrong constant in either the source result or the derived one breaks the equality. Under
``--power`` they are re-derived from the perturbed theory like every other check.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# name -> (the results it reads, which item of the re-derivation)
DERIVATIONS = {
    "Theorem 3 from Proposition 1": (("prop1", "thm3"), 0),
    "V_k's constant from Theorem 5": (("thm5", "V_k"), 1),
    "gamma_max^Upsilon from Theorem 5": (("thm5", "gamma_upsilon"), 2),
    "Phi from Theorem 5": (("thm5", "Phi"), 3),
    "gamma_max^Upsilon(alpha_dwn) from Theorem 5": (("thm5", "gamma_upsilon_alpha"), 4),
}


_CACHE: dict[str, bool] = {}


def clear_cache() -> None:
    """Forget the re-derivations (``--power`` calls it whenever it perturbs the theory)."""
    _CACHE.clear()


def rederive(name: str) -> bool:
    """Whether the re-derivation ``name`` reproduces the encoded constant (with the theory as it stands)."""
    if name not in _CACHE:
        from boundlab.theory import derivations

        _, index = DERIVATIONS[name]
        try:
            if index == 0:
                _CACHE[name] = bool(derivations.rederive_thm3().matches)
            else:
                items = derivations.rederive_mcm_constants()
                for other, (_, i) in DERIVATIONS.items():
                    if i:
                        _CACHE[other] = bool(items[i - 1].matches)
        except (IndexError, ValueError, TypeError, ZeroDivisionError, NotImplementedError, AttributeError):
            _CACHE[name] = False  # a perturbed statement the derivation cannot even carry through
    return _CACHE.get(name, False)


@dataclass(frozen=True)
class SymbolicCheck:
    name: str
    derivation: str
    role: str = "assert"
    kind: str = "equality"
    seed_key: str | None = None

    def measure(self, seed: int):
        from boundlab.verify.suite import CheckOutcome, Measurement

        m = Measurement(None, np.zeros(1), np.zeros(1), exact=True, derivation=self.derivation)
        m.lhs, m.rhs, _ = m.sides()
        owners, _ = DERIVATIONS[self.derivation]
        return [CheckOutcome(self, "sympy: boundlab.theory.derivations (no simulation)", "D", "equality", [m], {},
                             role=self.role, owners=owners)]

    def cost(self) -> float:
        return 0.0


def symbolic_checks() -> list[SymbolicCheck]:
    return [SymbolicCheck(f"re-derivation: {name}", name) for name in DERIVATIONS]
