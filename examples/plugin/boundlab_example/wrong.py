"""A deliberately wrong bound (m squared instead of m): ``boundlab verify --suite boundlab_example.wrong`` must
exit 1. It shows what a slip in a constant does to a researcher's CI."""
from __future__ import annotations

from boundlab.theory import declare, le, symbol
from boundlab.verify.checks import Check, Setting

from boundlab_example.checks import PROBLEM

m, ghat2, grad2, omega_up = symbol("m"), symbol("ghat2"), symbol("grad2_hat_prev"), symbol("omega_up")
N, b, sigma = symbol("N"), symbol("b"), symbol("sigma")

declare("repeat_second_moment_m_squared",
        le(ghat2, (1 + omega_up / (m**2 * N)) * grad2 + (1 + omega_up / m**2) * sigma**2 / (N * b)),
        title="repeat_second_moment with a slip (m^2)", status="D", source="deliberately wrong")


def suite() -> list:
    return [Check("wrong: m squared", "repeat_second_moment_m_squared", "upper",
                  Setting(PROBLEM, "repeat-qsgd", {"up": "randk:k=5", "m": 3}), 20_000, 5, (1, 5))]
