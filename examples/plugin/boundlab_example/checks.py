"""The example's checks: ``boundlab verify --suite example`` (or ``--suite boundlab_example.checks``)."""
from __future__ import annotations

from boundlab.verify.checks import Check, OperatorCheck, Setting, register_suite

# Exact quadratic, homogeneous workers (A3-A5 hold exactly), d = 10; b = 2 so that a slip in b shows.
PROBLEM = {"N": 10, "d": 10, "L": 1.0, "mu": 0.0, "sigma": 1.0, "b": 2}


def suite() -> list:
    return [
        OperatorCheck("A1 ternary d=10", "ternary", 10, 20_000),
        # rand-k attains A1: the bound is an equality (omega_up = 1 at k = 5, d = 10)
        Check("repeat_second_moment rand-k m=3", "repeat_second_moment", "equality",
              Setting(PROBLEM, "repeat-qsgd", {"up": "randk:k=5", "m": 3}), 100_000, 5, (1, 5)),
        # the ternary operator does not attain its worst-case omega: an upper bound
        Check("repeat_second_moment ternary m=2", "repeat_second_moment", "upper",
              Setting(PROBLEM, "repeat-qsgd", {"up": "ternary", "m": 2}), 20_000, 5, (1, 5)),
        # negative control: the same rand-k runs judged with m misstated as 6 (the bound is then too small)
        Check("control: m misstated", "repeat_second_moment", "equality",
              Setting(PROBLEM, "repeat-qsgd", {"up": "randk:k=5", "m": 3}), 100_000, 5, (5,),
              constants={"m": 6}, control=True, note="E||g_hat||^2 with m = 3 against the m = 6 identity"),
    ]


register_suite("example", suite)
