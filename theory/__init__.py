"""boundlab.theory: every bound of the MCM paper (Philippenko & Dieuleveut, NeurIPS 2021) in sympy.

One :class:`~boundlab.theory.core.Result` per item of the formula sheet (``shared/THEORY.md``):
assumptions A1-A5, Proposition 1, Theorems 3, 5, 6, 7, 8, 9 and their corollaries, the
definitions (V_k, Phi, Phi^Rd, gamma_max and its pieces, L-tilde), the baselines' order-level
forms and the omega of each compression operator. Each has a statement (sympy), hypotheses
(checkable relations or structural assumptions), a status tag ([S], [S?], [D], [O]) and a source.

>>> from boundlab.theory import get
>>> float(get("gamma_max").evaluate(L=1, omega_up=40, omega_dwn=2, N=20).value)  # 1/96
0.010416666666666666

Your own results: :func:`~boundlab.theory.core.declare` (a sympy statement, or a plain Python bound) with
symbols from :func:`~boundlab.theory.symbols.declare_symbol` and :func:`symbol`; see
``docs/verify-your-own-method.md``.

Where things are: definitions.py (V, Phi, gamma_max...), results.py (the theorems),
assumptions.py, baselines.py, operators.py; table.py (the rate-summary table, derived),
audit.py (dimensions and step-size schedules), derivations.py (re-derived constants).
"""
__all__ = ["REGISTRY", "Evaluation", "Hypothesis", "Result", "Schedule", "Source", "Status", "all_results",
           "declare", "declare_symbol", "eq", "expand", "get", "le", "symbol"]


def __getattr__(name: str):
    # Lazy: importing a sub-module (or `boundlab theory --help`) does not pay for sympy until it is used.
    if name in ("declare_symbol",):
        from boundlab.theory import symbols
        return symbols.declare_symbol
    if name == "symbol":
        from boundlab.theory import symbols
        return symbols.S
    if name in __all__:
        from boundlab.theory import core
        return getattr(core, name)
    raise AttributeError(f"module 'boundlab.theory' has no attribute {name!r}")
