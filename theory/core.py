"""The object model of ``boundlab.theory``: one :class:`Result` per item of the formula sheet.

A result carries
  * its **statement**: a sympy expression (definitions, omegas, order-level forms) or a sympy
    relation ``lhs <= rhs`` (assumptions, bounds, recursions);
  * its **hypotheses**, each a checkable sympy relation on the constants, or a structural
    condition (convexity, homogeneity, ...) that constants alone cannot decide;
  * its **status** tag: [S] printed on the slides, [S?] printed but doubtful, [D] derived,
    [O] order only; its **source** (slide title and line of the seed file);
  * an optional **step-size schedule** whose own claims (``gamma_k <= gamma_max``) the audit checks.

Statements may use the intermediate symbols V, V_prev, V_0, Phi, Phi_Rd, gamma_max and its
pieces, L_tilde; :func:`expand` replaces them by their definitions (registered by the modules
that define them), so every result evaluates on plain constants.
"""
from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from boundlab.errors import BoundlabError
from boundlab.theory import symbols as sy


class Status(enum.Enum):
    """How far an encoded formula can be trusted (THEORY.md's tags)."""

    S = "S"  # as printed on the slides
    S_DOUBT = "S?"  # printed, but garbled or doubtful: encoded as printed, flagged
    D = "D"  # derived from [S] items (derivation in the docstring)
    O = "O"  # order-level only: absolute constants unknown, never exact
    #: a result the sources state exists but whose formula could not be read (THEORY-SEEDS.md §8): registered as a
    #: placeholder without a statement, its notes saying what is missing; never evaluated, never checked
    U = "unsourced"

    @property
    def tag(self) -> str:
        return f"[{self.value}]"

    @property
    def exact(self) -> bool:
        return self in (Status.S, Status.D)


SEED = "seeds/004_0e25362dabf1950b.txt"


@dataclass(frozen=True)
class Source:
    """Where a formula comes from: a slide (by title) and the line of the extracted seed text; or, for a
    user's result, any reference (``Source.cite("Smith et al. 2024, Theorem 2")``)."""

    slide: str
    line: int | None = None
    note: str = ""
    document: str = SEED

    @classmethod
    def cite(cls, reference: str, note: str = "") -> "Source":
        """A source outside the seed documents: a paper, a note, a derivation of one's own."""
        return cls(reference, None, note, document="")

    def __str__(self) -> str:
        if self.document != SEED:
            return self.slide + (f" ({self.document}:{self.line})" if self.document and self.line else "") + \
                (f"; {self.note}" if self.note else "")
        where = f"slide '{self.slide}'"
        if self.line is not None:
            where += f" ({SEED}:{self.line})"
        return where + (f"; {self.note}" if self.note else "")


@dataclass(frozen=True)
class Hypothesis:
    """One hypothesis of a result.

    ``relation`` is a sympy relation on constants (it may use the intermediate symbols, such as
    gamma_max); it is ``None`` for a structural hypothesis (an assumption on F, on the noise, on
    the algorithm) that cannot be decided from constants, and is then reported as *assumed*.
    """

    label: str
    text: str
    relation: sp.Rel | None = None
    status: Status = Status.S


@dataclass(frozen=True)
class Schedule:
    """A step-size schedule a result prescribes, with the hypothesis it claims to satisfy.

    ``gamma`` is an expression of the iteration index (or horizon) ``index``; ``claims`` is the
    relation on ``gamma`` the result needs. With ``eventually`` False the slides claim it for
    every ``index >= start``; with ``eventually`` True only for ``index`` large enough.
    """

    gamma: sp.Expr
    index: sp.Symbol
    start: int
    claims: sp.Rel
    eventually: bool = False


@dataclass(frozen=True)
class Result:
    """One encoded item of the formula sheet (definition, assumption, bound, operator...)."""

    name: str  # registry key, also the command-line name
    title: str  # e.g. "Theorem 5 (local variance of MCM)"
    kind: str  # "assumption" | "definition" | "bound" | "recursion" | "order" | "operator" | "extension" | "claim"
    status: Status
    source: Source
    statement: sp.Expr | sp.Rel | None
    hypotheses: tuple[Hypothesis, ...] = ()
    latex: str = ""  # the statement as printed, in LaTeX
    notes: str = ""
    algorithms: tuple[str, ...] = ()
    schedule: Schedule | None = None
    tight: str = ""  # when the bound is attained (equality cases, THEORY.md section 6)
    extends: tuple[str, ...] = ()  # for results without a formula of their own
    defines: str | None = None  # the intermediate symbol this definition stands for (V, Phi, gamma_max...)
    #: for a recursion ``new <= carried + ...``: the carried-over term (the previous value of the
    #: left side times its coefficient), so that checks can report the ratio of the other parts
    carried: sp.Expr | None = None

    # -- structure -----------------------------------------------------------------------
    @property
    def is_relation(self) -> bool:
        return isinstance(self.statement, sp.core.relational.Relational)

    @property
    def lhs(self) -> sp.Expr | None:
        return self.statement.lhs if self.is_relation else None

    @property
    def rhs(self) -> sp.Expr | None:
        """The bound's right-hand side, or the expression of a definition."""
        if self.statement is None:
            return None
        return self.statement.rhs if self.is_relation else self.statement

    def innovation(self) -> sp.Expr | None:
        """For a recursion with a ``carried`` term: the terms of ``rhs - carried`` (macros expanded)
        with a positive sign, i.e. what the step may add. The rest of ``rhs - carried`` is moved
        to the left, so that ``lhs - rhs + innovation`` is the change of the left side over the
        carried value (and the gains the bound grants). ``None`` for other results."""
        if self.carried is None or not self.is_relation:
            return None
        return _positive_terms(expand(self.rhs - self.carried))

    def inputs(self) -> list[str]:
        """Names of the constants needed to evaluate the value (the rhs)."""
        return sorted(s.name for s in expand(self.rhs).free_symbols) if self.rhs is not None else []

    def lhs_inputs(self) -> list[str]:
        return sorted(s.name for s in expand(self.lhs).free_symbols) if self.is_relation else []

    # -- evaluation ----------------------------------------------------------------------
    def evaluate(self, **values: object) -> "Evaluation":
        """Evaluate numerically (vectorised: any input may be a numpy array).

        Returns the value of the expression (for a relation, its right-hand side, i.e. the
        bound), the left-hand side and whether the relation holds when its inputs are given,
        and which checkable hypotheses hold at these constants.
        """
        if self.statement is None:
            if self.status == Status.U:
                raise BoundlabError(f"{self.name} is unsourced: its formula could not be read ({self.notes})")
            raise BoundlabError(f"{self.name} has no formula of its own: it extends {', '.join(self.extends)}")
        vals = sy.validate(values)
        needed = self.inputs()
        missing = [n for n in needed if n not in vals]
        if missing:
            raise BoundlabError(
                f"{self.name} needs {', '.join(missing)} (give {' '.join(m + '=...' for m in missing)})")
        value = numeric(self.rhs, vals)
        lhs_value = holds = None
        if self.is_relation and all(n in vals for n in self.lhs_inputs()):
            lhs_value = numeric(self.lhs, vals)
            holds = compare(lhs_value, value, self.statement.rel_op)
        hyp = {h.label: check_hypothesis(h, vals) for h in self.hypotheses}
        return Evaluation(self, value, lhs_value, holds, hyp)


@functools.lru_cache(maxsize=256)
def _positive_terms(expr: sp.Expr) -> sp.Expr:
    terms = sp.Add.make_args(sp.expand(expr))
    return sp.Add(*(t for t in terms if not t.could_extract_minus_sign()))


@dataclass
class HypothesisCheck:
    """Outcome of one hypothesis at given constants: True/False (elementwise), or None with why."""

    hypothesis: Hypothesis
    holds: np.ndarray | None
    why: str = ""

    def summary(self) -> str:
        if self.holds is None:
            return self.why
        if np.all(self.holds):
            return "holds"
        if not np.any(self.holds):
            return "FAILS"
        return f"holds at {int(np.sum(self.holds))} of {self.holds.size} points"


@dataclass
class Evaluation:
    result: Result
    value: np.ndarray
    lhs: np.ndarray | None = None
    holds: np.ndarray | None = None
    hypotheses: dict[str, HypothesisCheck] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# registry
REGISTRY: dict[str, Result] = {}
_MACROS: dict[sp.Symbol, sp.Expr] = {}


def register(result: Result) -> Result:
    if result.name in REGISTRY:
        raise BoundlabError(f"duplicate result name {result.name}")
    REGISTRY[result.name] = result
    return result


_MACRO_VERSION = [0]  # bumped whenever a definition changes (define_macro, theory.perturb), for expand's cache


def define_macro(symbol: sp.Symbol, expr: sp.Expr) -> None:
    """Declare that the intermediate ``symbol`` stands for ``expr`` in every statement."""
    _MACROS[symbol] = expr
    _MACRO_VERSION[0] += 1


def get(name: str) -> Result:
    """The result called ``name``; a clear error (with a suggestion) for an unknown name."""
    _load_all()
    try:
        return REGISTRY[name]
    except KeyError:
        raise BoundlabError(f"unknown result '{name}'{sy._suggest(name, sorted(REGISTRY))}; "
                            "'boundlab theory --list' lists them") from None


def all_results() -> list[Result]:
    _load_all()
    return list(REGISTRY.values())


@functools.cache
def _load_all() -> None:
    # Importing the modules registers their results, in the order of the formula sheet.
    import importlib

    for module in ("assumptions", "definitions", "results", "baselines", "operators", "identities", "decentralized",
                   "stale"):
        importlib.import_module(f"boundlab.theory.{module}")


# ---------------------------------------------------------------------------------------
# symbolic helpers
def expand(expr: sp.Basic | None, load: bool = True) -> sp.Basic | None:
    """Replace intermediate symbols (V, Phi, gamma_max, ...) by their definitions, recursively.

    ``load=False`` uses only the definitions registered so far (for use while the registry loads).
    """
    if expr is None:
        return None
    if load:
        _load_all()
    return _expand(expr, _MACRO_VERSION[0])


def _substitute(expr: sp.Basic, rules: Mapping) -> sp.Basic:
    """``expr.xreplace(rules)``, except that Min and Max are rebuilt unevaluated: sympy's evaluation of a
    Min of symbolic pieces (looking for comparable arguments) is slow and changes nothing numerically."""
    if expr in rules:
        return rules[expr]
    if expr.is_Atom or not expr.args:
        return expr
    args = [_substitute(a, rules) for a in expr.args]
    if all(a is b for a, b in zip(args, expr.args)):
        return expr
    if isinstance(expr, (sp.Min, sp.Max)):
        return expr.func(*args, evaluate=False)
    if isinstance(expr, sp.core.relational.Relational):
        return expr.func(*args, evaluate=False)
    return expr.func(*args)


@functools.lru_cache(maxsize=4096)
def _expand(expr: sp.Basic, version: int) -> sp.Basic:
    for _ in range(10):
        new = _substitute(expr, _MACROS)
        if new == expr:
            return expr
        expr = new
    raise RuntimeError("circular macro definitions")


def _np_min(*args):
    return functools.reduce(np.minimum, args)


def _np_max(*args):
    return functools.reduce(np.maximum, args)


_MODULES = [{"Min": _np_min, "Max": _np_max}, "numpy"]


@functools.lru_cache(maxsize=512)
def _compiled(expr: sp.Basic) -> tuple[Callable, tuple[str, ...]]:
    names = tuple(sorted(s.name for s in expr.free_symbols))
    fn = sp.lambdify([sy.S(n) for n in names], expr, modules=_MODULES)
    return fn, names


def numeric(expr: sp.Basic, values: Mapping[str, np.ndarray]) -> np.ndarray:
    """Evaluate ``expr`` (macros expanded) on float arrays, with numpy's inf/nan semantics."""
    expr = expand(sp.sympify(expr))
    fn, names = _compiled(expr)
    args = [np.asarray(values[n], dtype=float) for n in names]
    try:
        np.broadcast_shapes(*(a.shape for a in args))
    except ValueError:
        shapes = ", ".join(f"{n}: {len(a)}" for n, a in zip(names, args) if a.ndim)
        raise BoundlabError(f"list-valued constants must have equal lengths ({shapes})") from None
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = fn(*args)
    return np.broadcast_to(np.asarray(out, dtype=float), np.broadcast_shapes(*(a.shape for a in args), ()))


# Two floating evaluations of the same real number along different expression trees differ by
# a few units in the last place; a relation that holds with equality (gamma = gamma_max) must
# not be reported as failing because of that. 1e-12 is ~4500 ulps of double precision.
REL_TOL = 1e-12


def compare(lhs: np.ndarray, rhs: np.ndarray, op: str) -> np.ndarray:
    slack = REL_TOL * np.maximum(np.abs(lhs), np.abs(rhs))
    with np.errstate(invalid="ignore"):
        if op in ("<=", "<"):
            return lhs <= rhs + slack if op == "<=" else lhs < rhs
        if op in (">=", ">"):
            return lhs >= rhs - slack if op == ">=" else lhs > rhs
        if op == "==":
            return np.abs(lhs - rhs) <= slack
    raise ValueError(op)


def check_hypothesis(h: Hypothesis, values: Mapping[str, np.ndarray]) -> HypothesisCheck:
    if h.relation is None:
        return HypothesisCheck(h, None, "assumed (structural: not decidable from constants)")
    rel = expand(h.relation)
    if rel is sp.true or rel is sp.false:
        return HypothesisCheck(h, np.asarray(bool(rel)))
    needed = sorted(s.name for s in rel.free_symbols)
    missing = [n for n in needed if n not in values]
    if missing:
        return HypothesisCheck(h, None, f"not checked (needs {', '.join(missing)})")
    lhs = numeric(rel.lhs, values)
    rhs = numeric(rel.rhs, values)
    return HypothesisCheck(h, np.asarray(compare(lhs, rhs, rel.rel_op)))


def le(a: sp.Expr, b: sp.Expr) -> sp.Rel:
    """``a <= b`` kept unevaluated (sympy would otherwise simplify some relations away)."""
    return sp.Le(a, b, evaluate=False)


def ge(a: sp.Expr, b: sp.Expr) -> sp.Rel:
    return sp.Ge(a, b, evaluate=False)


def eq(a: sp.Expr, b: sp.Expr) -> sp.Rel:
    return sp.Eq(a, b, evaluate=False)



def encode(name: str, title: str, kind: str, status: Status, source: Source, *,
           hypotheses: Iterable[Hypothesis] = (), notes: str = "", algorithms: Iterable[str] = (),
           schedule: Schedule | None = None, tight: str = "", extends: Iterable[str] = (),
           macro: sp.Symbol | None = None, carried: sp.Expr | None = None
           ) -> Callable[[Callable[[], object]], Result]:
    """Decorator: the function's docstring is the statement in LaTeX, its return value the sympy
    statement. Registers the :class:`Result` (and, with ``macro``, makes that intermediate
    symbol stand for the returned expression in every other statement)."""

    def wrap(fn: Callable[[], object]) -> Result:
        statement = fn()
        result = Result(name=name, title=title, kind=kind, status=status, source=source,
                        statement=statement, hypotheses=tuple(hypotheses),
                        latex=_dedent(fn.__doc__ or ""), notes=notes, algorithms=tuple(algorithms),
                        schedule=schedule, tight=tight, extends=tuple(extends),
                        defines=None if macro is None else macro.name, carried=carried)
        if macro is not None:
            define_macro(macro, statement)
        return register(result)

    return wrap


_KINDS = ("assumption", "definition", "bound", "recursion", "order", "operator", "extension", "claim")


def declare(name: str, statement: sp.Basic | None = None, *, title: str = "", kind: str = "bound",
            status: "Status | str" = Status.S, source: "Source | str" = "", hypotheses: Iterable[Hypothesis] = (),
            latex: str = "", notes: str = "", algorithms: Iterable[str] = (), carried: sp.Expr | None = None,
            tight: str = "", lhs: sp.Symbol | None = None, rhs: Callable[..., object] | None = None,
            inputs: Iterable[sp.Symbol] = ()) -> Result:
    """Register a user's result, the public counterpart of the :func:`encode` decorator.

    Either a sympy ``statement`` (``le(lhs, rhs)``, ``eq(...)``; symbols from :mod:`boundlab.theory.symbols`
    or :func:`~boundlab.theory.symbols.declare_symbol`), or a *plain Python bound*: ``lhs`` (a symbol) and
    ``rhs`` (a function of the symbols ``inputs``, vectorised over numpy arrays), giving ``lhs <= rhs(...)``.
    A plain Python bound evaluates like any other, but its constants are inside the function: the power
    matrix cannot perturb them (it lists the result as having none).

    ``status``: "S" (as printed in the source), "S?" (doubtful), "D" (derived: say how in ``notes``), "O"
    (order only); ``source``: a :class:`Source` or a reference string; ``carried``: for a recursion, the
    carried-over term (the checks then report the ratio of the other terms).
    """
    if name in REGISTRY:
        raise BoundlabError(f"result '{name}' is already registered ({REGISTRY[name].title}); choose another name")
    if kind not in _KINDS:
        raise BoundlabError(f"kind must be one of {', '.join(_KINDS)}, got {kind!r}")
    try:
        status = status if isinstance(status, Status) else Status(str(status).strip("[]"))
    except ValueError:
        raise BoundlabError(f"status must be one of S, S?, D, O, unsourced, got {status!r}") from None
    if rhs is not None:
        if statement is not None or lhs is None:
            raise BoundlabError(f"{name}: give either a sympy statement, or lhs= and rhs= (a plain Python bound)")
        from sympy.utilities.lambdify import implemented_function
        fn = implemented_function(sp.Function(f"{name}_rhs"), rhs)
        statement = le(lhs, fn(*inputs))
    if statement is None:
        raise BoundlabError(f"{name}: a result needs a statement (or lhs= and rhs=)")
    result = Result(name=name, title=title or name, kind=kind, status=status,
                    source=source if isinstance(source, Source) else Source.cite(str(source or "user-declared")),
                    statement=statement, hypotheses=tuple(hypotheses), latex=latex or sp.latex(statement),
                    notes=notes, algorithms=tuple(algorithms), tight=tight, carried=carried)
    _load_all()   # the built-in results first, so that a clash with one of their names is caught
    return register(result)


def placeholder(name: str, title: str, reference: str, missing: str, algorithms: Iterable[str] = ()) -> Result:
    """Register an *unsourced* result: the sources say it exists but its formula could not be read (THEORY-SEEDS.md
    §8). No statement, status ``unsourced``, ``notes`` saying what is missing; never evaluated, never checked."""
    return register(Result(name, title, "claim", Status.U, Source.cite(f"{reference} (not available)"), None,
                           latex=r"\text{unsourced: the formula could not be read}", algorithms=tuple(algorithms),
                           notes=f"UNSOURCED: {missing}"))


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text).strip()
