"""Dimensional analysis of sympy expressions (units of :mod:`boundlab.theory.symbols`).

:func:`dimension` walks an expression tree and returns its dimension ``(p_w, p_F)``, recording an
:class:`Issue` wherever the tree mixes dimensions: terms of a sum (or the sides of a relation, or
the arguments of a Min/Max) that scale differently, or a dimensioned argument of a logarithm or
of a variable exponent. A bound with such an issue changes truth value under a change of units,
so it cannot be right as written.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from boundlab.theory.symbols import INFO

Dim = tuple[sp.Rational, sp.Rational]
ONE: Dim = (sp.Integer(0), sp.Integer(0))


@dataclass(frozen=True)
class Issue:
    where: str  # the offending sub-expression
    message: str

    def __str__(self) -> str:
        return f"{self.message} (in {self.where})"


def show_dim(d: Dim | None) -> str:
    if d is None:
        return "undefined"
    pw, pf = d
    if pw == 0 and pf == 0:
        return "dimensionless"
    parts = []
    for base, p in (("[F]", pf), ("[w]", pw)):
        if p > 0:
            parts.append(base if p == 1 else f"{base}^{p}")
    num = " ".join(parts) or "1"
    den = [base if -p == 1 else f"{base}^{-p}" for base, p in (("[F]", pf), ("[w]", pw)) if p < 0]
    return num if not den else f"{num}/{' '.join(den)}"


def _short(e: sp.Basic) -> str:
    text = sp.sstr(e)
    return text if len(text) <= 90 else text[:87] + "..."


def dimension(expr: sp.Basic, issues: list[Issue], expected: Dim | None = None) -> Dim | None:
    """Dimension of ``expr``; appends to ``issues`` wherever dimensions are mixed.

    ``expected`` (the left side's dimension, for the right side of a relation) is the dimension
    the terms of a top-level sum are judged against.
    """
    if isinstance(expr, sp.core.relational.Relational):
        a = dimension(expr.lhs, issues)
        b = dimension(expr.rhs, issues, expected=a)
        if a is not None and b is not None and a != b:
            issues.append(Issue(_short(expr), f"the two sides differ: left {show_dim(a)}, right {show_dim(b)}"))
        return a
    if expr.is_number:
        return None if expr == 0 else ONE  # zero has every dimension: `mu > 0` and `sigma = 0` are fine
    if expr.is_Symbol:
        pw, pf = INFO[expr.name].dim
        return (sp.Integer(pw), sp.Integer(pf))
    if expr.is_Mul and expected is not None and any(a.is_Add for a in expr.args):
        # A factored sum, e.g. c*(1 + x): judge the sum's terms against expected / (rest).
        rest = [a for a in expr.args if not a.is_Add]
        dr = dimension(sp.Mul(*rest), issues)
        sums = [a for a in expr.args if a.is_Add]
        if dr is not None and len(sums) == 1:
            ds = dimension(sums[0], issues, expected=(expected[0] - dr[0], expected[1] - dr[1]))
            return None if ds is None else (dr[0] + ds[0], dr[1] + ds[1])
    if expr.is_Mul:
        dims = [dimension(a, issues) for a in expr.args]
        if any(d is None for d in dims):
            return None
        return (sum((d[0] for d in dims), sp.Integer(0)), sum((d[1] for d in dims), sp.Integer(0)))
    if expr.is_Pow:
        base, exp = expr.args
        db = dimension(base, issues)
        if exp.is_number:
            return None if db is None else (db[0] * exp, db[1] * exp)
        de = dimension(exp, issues)
        if de is not None and de != ONE:
            issues.append(Issue(_short(expr), f"an exponent has dimension {show_dim(de)}"))
        if db is not None and db != ONE:
            issues.append(Issue(_short(expr), f"a base with dimension {show_dim(db)} is raised to a variable power"))
        return ONE
    if expr.is_Add or isinstance(expr, (sp.Min, sp.Max)):
        dims = [(a, dimension(a, issues)) for a in expr.args]
        known = [(a, d) for a, d in dims if d is not None]
        if not known:
            return None
        # The intended dimension is the expected one (a bound's left side) if given, else the most
        # common one among the terms; the terms that differ are reported.
        counts: dict[Dim, int] = {}
        for _, d in known:
            counts[d] = counts.get(d, 0) + 1
        main = expected if expected is not None else max(counts, key=lambda d: counts[d])
        odd = [(a, d) for a, d in known if d != main]
        if odd:
            what = "a term" if expr.is_Add else f"an argument of {type(expr).__name__}"
            ref = "the left side" if expected is not None else "the other terms"
            for a, d in odd:
                issues.append(Issue(_short(a), f"{what} has dimension {show_dim(d)} but {ref} {show_dim(main)}"))
        return main
    if hasattr(expr, "_imp_"):   # a plain Python bound (boundlab.theory.declare(rhs=...)): its units are unknown
        return None
    if isinstance(expr, sp.Function) or expr.args:
        for a in expr.args:
            d = dimension(a, issues)
            if d is not None and d != ONE:
                issues.append(Issue(_short(expr), f"the argument of {type(expr).__name__} has dimension "
                                                  f"{show_dim(d)} (it should be a pure number)"))
        return ONE
    raise ValueError(f"cannot take the dimension of {expr!r}")
