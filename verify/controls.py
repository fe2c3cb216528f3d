"""Objects that exist only to be caught: the negative controls of ``boundlab verify``.

A check that cannot fail proves nothing. Each control below is wrong in one known way, and the
suite fails (exit 1) if the check meant to catch it does not. The settings of the other controls
(the first attempts of the slides, Artemis against MCM's recursion, a biased downlink inside MCM,
a heterogeneous plain uplink) are ordinary algorithms in ordinary settings, listed in
:mod:`boundlab.verify.checks`.
"""
from __future__ import annotations

from boundlab.simulate.compressors import RandK


class UnderstatedRandK(RandK):
    """rand-k that declares half its omega: A1 must catch it (its exact variance is d/k - 1 times ||x||^2)."""

    def omega(self, d: int) -> float:
        return 0.5 * super().omega(d)


def understated_randk() -> UnderstatedRandK:
    return UnderstatedRandK(k=3)
