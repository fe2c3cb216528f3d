"""Algorithms name the results they are checked against (``Algorithm.bounds``); the suites exercise exactly
those pairs. A check added for a new (algorithm, result) pair without declaring it, or a declaration that no
check exercises, fails here."""
from __future__ import annotations

from boundlab.simulate import ALGORITHMS
from boundlab.theory import get
from boundlab.verify.checks import full_suite, quick_suite


def exercised() -> set[tuple[str, str]]:
    """(algorithm, result) of every check of the quick and full suites that judges the result on the algorithm
    (negative controls and explorations leave the result's hypotheses on purpose: they do not count)."""
    out = set()
    for c in quick_suite() + full_suite():
        alg = getattr(getattr(c, "setting", None), "algorithm", None) or getattr(c, "algorithm", None)
        result = getattr(c, "result", None)
        if alg and result and getattr(c, "role", "assert") not in ("control", "explore"):
            out.add((ALGORITHMS.resolve(alg), result))
    return out


def test_declared_bounds_equal_the_exercised_pairs():
    declared = {(name, r) for name in ALGORITHMS.names() for r in ALGORITHMS.factory(name).bounds}
    done = exercised()
    assert declared - done == set(), "declared in Algorithm.bounds but checked by no check"
    assert done - declared == set(), "checked by the suites but not declared in the algorithm's bounds"


def test_declared_bounds_are_results_of_the_theory():
    for name in ALGORITHMS.names():
        for r in ALGORITHMS.factory(name).bounds:
            get(r)   # raises for an unknown name
