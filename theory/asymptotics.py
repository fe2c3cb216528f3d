"""Orders of growth, for deriving and comparing the cells of the rate-summary table.

The slides' table drops absolute constants and keeps the leading order "for large omega_up,
omega_dwn and epsilon -> 0". Three tools make that precise:

* :func:`growth` -- the exponent of the leading power. Substitute ``x = Omega**w_x`` for each
  variable (weights ``w``: ``w > 0`` grows, ``w < 0`` vanishes) and let ``Omega -> oo``. For an
  expression built from positive terms by +, *, /, powers, Min and Max, the exponent follows
  the tree: a sum takes the max of its terms' exponents, a product the sum, a power multiplies
  by its exponent, Min/Max take min/max; logarithms are slowly varying and count 0. No
  cancellation can occur between positive terms, so this is exact for such expressions.
* :func:`order_form` -- drop absolute constants: constants not kept are set to 1, numeric
  coefficients are replaced by their sign, and in a Min (Max) an argument that is never
  asymptotically the smallest (largest) in any direction of growth is removed.
* :func:`complexity` -- the number of iterations K(epsilon) at which a bound that decreases in
  K reaches epsilon, to leading order as epsilon -> 0: if the bound's slowest terms decay like
  c / K**p, then K(epsilon) ~ (c / epsilon)**(1/p).

Two expressions have the *same order* when their growth exponents agree in every direction of a
grid of growth rates (:func:`compare_orders`); the grid is fine enough to contain the
breakpoints of the piecewise-linear exponents that occur here (rates 0, 1/2, 1, 2).
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sympy as sp

# Ordered so that the first witness of a difference uses the simplest rates.
GRID = (sp.Integer(0), sp.Integer(1), sp.Integer(2), sp.Rational(1, 2), sp.Integer(3))


def growth(expr: sp.Basic, weights: Mapping[sp.Symbol, sp.Rational]) -> sp.Rational:
    """Leading exponent of ``expr`` when each symbol ``x`` is ``Omega**weights[x]`` (others fixed)."""
    if expr.is_Number or expr.is_NumberSymbol:
        if expr == 0:
            raise ValueError("growth of 0 is undefined")
        return sp.Integer(0)
    if expr.is_Symbol:
        return sp.Rational(weights.get(expr, 0))
    if expr.is_Add:
        return max(growth(a, weights) for a in expr.args)
    if expr.is_Mul:
        return sum((growth(a, weights) for a in expr.args), sp.Integer(0))
    if expr.is_Pow:
        base, exp = expr.args
        g = growth(base, weights)
        if exp.is_number:
            return g * exp
        if g == 0 and growth(exp, weights) == 0:
            return sp.Integer(0)
        raise ValueError(f"cannot take the growth of {expr}: variable exponent on a growing base")
    if isinstance(expr, sp.Min):
        return min(growth(a, weights) for a in expr.args)
    if isinstance(expr, sp.Max):
        return max(growth(a, weights) for a in expr.args)
    if isinstance(expr, sp.log):
        return sp.Integer(0)  # slowly varying
    if all(growth(a, weights) == 0 for a in expr.args):
        return sp.Integer(0)
    raise ValueError(f"cannot take the growth of {expr}")


def directions(large: Iterable[sp.Symbol], small: Iterable[sp.Symbol] = ()) -> list[dict[sp.Symbol, sp.Rational]]:
    """Every combination of growth rates from GRID (large: +rate, small: -rate, small rates > 0)."""
    large, small = list(large), list(small)
    out = []
    for rates in itertools.product(GRID, repeat=len(large) + len(small)):
        if any(r == 0 for r in rates[len(large):]):
            continue
        w = dict(zip(large, rates[:len(large)]))
        w.update({s: -r for s, r in zip(small, rates[len(large):])})
        out.append(w)
    return out


def drop_constants(expr: sp.Basic) -> sp.Basic:
    """Replace every numeric coefficient by its sign (exponents are kept), to a fixed point."""
    def walk(e: sp.Basic) -> sp.Basic:
        if e.is_number:
            return sp.sign(e) if e != 0 else e
        if e.is_Mul:
            coeff, rest = e.as_coeff_Mul()
            factors = [f for f in sp.Mul.make_args(rest)]
            numeric = [f for f in factors if f.is_number]
            symbolic = [walk(f) for f in factors if not f.is_number]
            sign = sp.sign(coeff * sp.Mul(*numeric))
            return sign * sp.Mul(*symbolic)
        if e.is_Add:
            return sp.Add(*[walk(a) for a in e.args])
        if e.is_Pow:
            return sp.Pow(walk(e.base), e.exp)
        if e.args:
            return e.func(*[walk(a) for a in e.args])
        return e

    for _ in range(10):
        new = walk(expr)
        if new == expr:
            return expr
        expr = new
    return expr


def prune(expr: sp.Basic, large: Iterable[sp.Symbol], small: Iterable[sp.Symbol] = ()) -> sp.Basic:
    """Remove from every Min (Max) the arguments that are never asymptotically binding."""
    dirs = directions(large, small)

    def walk(e: sp.Basic) -> sp.Basic:
        if not e.args:
            return e
        e = e.func(*[walk(a) for a in e.args])
        if isinstance(e, (sp.Min, sp.Max)):
            better = (lambda x, y: x <= y) if isinstance(e, sp.Min) else (lambda x, y: x >= y)
            g = [[growth(a, w) for w in dirs] for a in e.args]
            keep = []
            for i, gi in enumerate(g):
                dominated = any(
                    j != i and all(better(gj[t], gi[t]) for t in range(len(dirs)))
                    and (gj != gi or j < i)  # of two equal orders keep the first
                    for j, gj in enumerate(g))
                if not dominated:
                    keep.append(e.args[i])
            return e.func(*keep)
        return e

    return walk(expr)


def order_form(expr: sp.Basic, keep: Iterable[sp.Symbol], large: Iterable[sp.Symbol] = (),
               small: Iterable[sp.Symbol] = ()) -> sp.Basic:
    """``expr`` with absolute constants dropped: symbols not in ``keep`` set to 1, numeric
    coefficients dropped, never-binding Min/Max arguments removed (for ``large`` -> oo,
    ``small`` -> 0)."""
    keep = set(keep)
    expr = expr.subs({s: 1 for s in expr.free_symbols if s not in keep})
    expr = drop_constants(sp.simplify(expr) if expr.has(sp.Min, sp.Max) else expr)
    return prune(expr, large, small) if large or small else expr


@dataclass(frozen=True)
class OrderComparison:
    verdict: str  # "identical" | "same order" | "differs"
    witness: dict[sp.Symbol, sp.Rational] | None = None
    growth_a: sp.Rational | None = None
    growth_b: sp.Rational | None = None

    def describe(self, names: Mapping[sp.Symbol, str] | None = None) -> str:
        if self.witness is None:
            return self.verdict
        names = names or {}
        rates = ", ".join(f"{names.get(s, s.name)} ~ Omega^{r}" for s, r in self.witness.items())
        return (f"{self.verdict}: along {rates} (Omega -> oo) the first grows like Omega^{self.growth_a}, "
                f"the second like Omega^{self.growth_b};")


def compare_orders(a: sp.Basic, b: sp.Basic, large: Iterable[sp.Symbol],
                   small: Iterable[sp.Symbol] = ()) -> OrderComparison:
    """Identical after normalisation, same growth in every direction, or different (with a witness)."""
    if sp.simplify(a - b) == 0:
        return OrderComparison("identical")
    for w in directions(large, small):
        ga, gb = growth(a, w), growth(b, w)
        if ga != gb:
            return OrderComparison("differs", {s: r for s, r in w.items()}, ga, gb)
    return OrderComparison("same order")


def complexity(bound: sp.Expr, horizon: sp.Symbol, eps: sp.Symbol) -> sp.Expr:
    """Leading-order K(eps) with ``bound(K) <= eps``, as eps -> 0 (see the module docstring)."""
    terms = sp.Add.make_args(sp.expand(bound))
    decay = [-growth(t, {horizon: 1}) for t in terms]
    if min(decay) <= 0:
        raise ValueError("the bound does not vanish as the horizon grows: no complexity")
    p = min(decay)
    lead = sp.simplify(sp.Add(*[t * horizon**p for t, q in zip(terms, decay) if q == p]))
    if horizon in lead.free_symbols:  # e.g. 1/(mu (K + 1) + a): its limit, when finite, is the leading constant
        # (Min/Max pieces, free of the horizon, stand aside as positive symbols while sympy takes the limit)
        pieces = {m: sp.Symbol(f"_piece{i}", positive=True)
                  for i, m in enumerate(lead.atoms(sp.Min, sp.Max)) if horizon not in m.free_symbols}
        limit = sp.limit(lead.xreplace(pieces), horizon, sp.oo)
        if not limit.has(sp.oo, -sp.oo, sp.zoo, sp.nan) and limit != 0:
            lead = sp.simplify(limit.xreplace({v: k for k, v in pieces.items()}))
    if horizon in lead.free_symbols:
        raise ValueError(f"leading term still depends on {horizon} (logarithmic factor): {lead}")
    return sp.powsimp(sp.factor((lead / eps) ** (1 / p)), force=True)
