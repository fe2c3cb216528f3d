r"""Perturb one constant of an encoded statement, to measure what the checks can see.

A *target* is one place in one registered statement (a theorem, or a definition such as V_k,
Phi, gamma_max^Upsilon that other statements use through their symbol):

* ``constant``: the numeric coefficient of a product (the 32 of V_k, the 64 of Phi, the
  sqrt(2)/16 that sympy makes of gamma_max^Upsilon's 1/(8 sqrt 2)) or a number standing alone in
  a sum (the 1 of 1 + omega_up); exponents are not targets;
* ``factor``: a sum that multiplies something (1 + omega_up/N, 1 + 64 gamma L omega_dwn^2);
* ``term``: one term of the right-hand side (sigma^2/(N b) with its coefficients).

:func:`perturbed` swaps the scaled statement into the registry for the duration of a ``with``
block: every evaluation (``Result.evaluate``, the definitions used through their symbols, the
operators' omegas, the re-derivations) then sees the perturbed theory. Used by
``boundlab verify --power``.
"""
from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import sympy as sp

from boundlab.theory import core
from boundlab.theory import symbols as sy

def macro_owners() -> dict[str, str]:
    """Intermediate symbol -> the registered definition it stands for (``Result.defines``); V_prev is V_k one
    step earlier."""
    out = {r.defines: r.name for r in core.all_results() if r.defines}
    if "V" in out:
        out["V_prev"] = out["V"]
    return out


@dataclass(frozen=True)
class Target:
    owner: str  # registered result whose statement holds the target
    kind: str  # "constant" | "factor" | "term"
    path: tuple[int, ...]  # position of the node in the statement's expression tree
    text: str  # the node as sympy prints it

    @property
    def label(self) -> str:
        return f"{self.owner}: {self.kind} {self.text}"

    def scaled(self, scale: float) -> sp.Basic:
        """The owner's statement with this target multiplied by ``scale``."""
        statement = core.get(self.owner).statement
        factor = sp.nsimplify(scale)
        return _replace(statement, self.path, lambda node: _scale(node, self.kind, factor))


def _bare_symbol(node: sp.Basic) -> bool:
    """A measured or intermediate symbol standing alone (or negated): a structural term, not a constant."""
    return node.is_Symbol or (isinstance(node, sp.Mul) and len(node.args) == 2 and node.args[0] == -1
                              and node.args[1].is_Symbol)


def _scale(node: sp.Basic, kind: str, factor: sp.Expr) -> sp.Basic:
    if kind == "constant" and isinstance(node, sp.Mul):
        num = [a for a in node.args if a.is_number]
        rest = [a for a in node.args if not a.is_number]
        return sp.Mul(factor * sp.Mul(*num), *rest)
    return factor * node


def _replace(expr: sp.Basic, path: tuple[int, ...], fn) -> sp.Basic:
    if not path:
        return fn(expr)
    args = list(expr.args)
    args[path[0]] = _replace(args[path[0]], path[1:], fn)
    if isinstance(expr, sp.core.relational.Relational):
        return expr.func(*args, evaluate=False)
    return expr.func(*args)


def targets(owner: str) -> list[Target]:
    """Every target of one registered statement (see the module docstring), deduplicated."""
    statement = core.get(owner).statement
    if statement is None or isinstance(statement, (bool, sp.logic.boolalg.BooleanAtom)):
        return []
    out: list[Target] = []

    def walk(node: sp.Basic, path: tuple[int, ...], parent: sp.Basic | None, top: bool) -> None:
        if isinstance(node, sp.Mul):
            num = [a for a in node.args if a.is_number]
            coeff = sp.Mul(*num)
            if num and coeff not in (1, -1):
                where = sp.sstr(node)
                where = where if len(where) <= 40 else where[:37] + "..."
                out.append(Target(owner, "constant", path, f"{sp.sstr(coeff)} in {where}"))
        if node.is_Number and isinstance(parent, sp.Add) and node != 0:
            out.append(Target(owner, "constant", path, f"{sp.sstr(node)} in ({sp.sstr(parent)})"))
        if isinstance(node, sp.Add) and (isinstance(parent, (sp.Mul, sp.Pow))):
            out.append(Target(owner, "factor", path, f"({sp.sstr(node)})"))
        if top and isinstance(parent, sp.Add) and not node.is_number and not _bare_symbol(node):
            out.append(Target(owner, "term", path, sp.sstr(node)))
        if isinstance(node, sp.Pow):
            walk(node.args[0], (*path, 0), node, False)          # the exponent is not a constant
            return
        if node.is_Atom or node.is_number:
            return
        for i, a in enumerate(node.args):
            walk(a, (*path, i), node, top and isinstance(node, sp.Add))

    if isinstance(statement, sp.core.relational.Relational):
        walk(statement.lhs, (0,), statement, True)
        walk(statement.rhs, (1,), statement, True)
        rhs, path = statement.rhs, (1,)
    else:
        walk(statement, (), None, True)
        rhs, path = statement, ()
    if not isinstance(rhs, sp.Add) and not rhs.is_number and not _bare_symbol(rhs):
        out.append(Target(owner, "term", path, f"{sp.sstr(rhs)} (the whole right side)"))
    unique, seen = [], set()
    for t in out:
        key = sp.srepr(t.scaled(3))
        if key not in seen:
            seen.add(key)
            unique.append(t)
    return unique


def owners_of(result: str) -> list[str]:
    """The result and every definition its statement uses through an intermediate symbol."""
    out, todo = [result], [result]
    owners = macro_owners()
    while todo:
        st = core.get(todo.pop()).statement
        if st is None or isinstance(st, bool):
            continue
        for s in sorted(st.free_symbols, key=lambda x: x.name):
            owner = owners.get(s.name)
            if owner and owner not in out:
                out.append(owner)
                todo.append(owner)
    return out


@contextlib.contextmanager
def perturbed(target: Target, scale: float) -> Iterator[None]:
    """Within the block, ``target``'s statement is scaled by ``scale`` everywhere it is used."""
    core._load_all()
    old = core.REGISTRY[target.owner]
    new_statement = target.scaled(scale)
    saved = dict(core._MACROS)
    core.REGISTRY[target.owner] = dataclasses.replace(old, statement=new_statement)
    core._MACRO_VERSION[0] += 1
    if old.defines:
        core._MACROS[sy.S(old.defines)] = new_statement
        if old.defines == "V":
            core._MACROS[sy.V_prev] = new_statement.xreplace({sy.dist2: sy.dist2_prev, sy.upsilon: sy.upsilon_prev})
    try:
        yield
    finally:
        core.REGISTRY[target.owner] = old
        core._MACROS.clear()
        core._MACROS.update(saved)
        core._MACRO_VERSION[0] += 1
