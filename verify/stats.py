r"""Honest statistics for checking expectations against bounds.

Every bound of the paper is a statement about expectations, ``E[lhs] <= E[rhs]`` (or ``=`` in the
equality cases). A check estimates both sides from R **independent runs** and, where a side involves
earlier iterates (recursions) or random quantities, both sides are computed **from the same runs**,
so the test is on the per-run paired difference ``D_r = lhs_r - rhs_r``, whose mean estimates
``E[lhs] - E[rhs]``.

Intervals. For a mean of R i.i.d. values we use the Student-t interval
``mean +- t_{R-1, 1-a} * s / sqrt(R)`` (normal approximation by the central limit theorem; R is at least
a few thousand in every check, where the t and normal quantiles agree to 3 digits). For the ratio
``E[lhs] / E[rhs]`` we use the delta method on the paired means (the per-run values of
``lhs - rho * rhs`` have mean zero at the true ratio rho), which is the linearisation of Fieller's
interval and is accurate when the relative standard error of ``E[rhs]`` is small. It is below 1%
(:data:`DELTA_METHOD_REL_SE`) in every check whose verdict the suite asserts (at most 0.8%, measured); the
report marks a ratio interval as approximate where it is larger (the divergent [S?] finding at alpha = 1).
The verdicts of upper bounds use the paired difference, not the ratio, so they are exact either way.

False alarms. A suite makes M comparisons (checks x checkpoints). Each is run at level ``alpha / M``
(Bonferroni), so that the probability that *any* true bound is declared violated is at most ``alpha``
(1% by default), whatever the dependence between the comparisons.

Verdicts for ``E[lhs] <= E[rhs]`` from the one-sided interval on the mean difference:
*violated* if its lower end is > 0 (the bound fails, at the suite's false-alarm level), *holds* if its
upper end is <= 0, *inconclusive* otherwise. For an equality, *violated* if the two-sided interval on
the ratio excludes 1, *holds* otherwise (the interval's width says how sharp the check is).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as _st


#: Relative standard error of E[rhs] above which the delta-method ratio interval is flagged as approximate.
DELTA_METHOD_REL_SE = 0.01


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float
    level: float  # coverage probability of [low, high]

    def __str__(self) -> str:
        return f"{self.estimate:.4g} [{self.low:.4g}, {self.high:.4g}]"


def _clean(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float).ravel()
    if x.size < 2:
        raise ValueError("an interval needs at least two independent runs")
    if not np.all(np.isfinite(x)):
        raise ValueError("non-finite values: diverged runs must be handled before the statistics")
    return x


def quantile(alpha: float, n: int) -> float:
    """Student-t quantile t_{n-1, 1 - alpha}."""
    return float(_st.t.ppf(1.0 - alpha, df=n - 1))


def mean_interval(x: np.ndarray, alpha: float, sided: str = "two") -> Interval:
    """Interval for E[x] with error probability ``alpha``: ``sided`` is "two", "upper" (only the upper
    end is a bound, the lower is -inf) or "lower"."""
    x = _clean(x)
    n, m = x.size, float(x.mean())
    se = float(x.std(ddof=1)) / np.sqrt(n)
    if sided == "two":
        q = quantile(alpha / 2, n)
        return Interval(m, m - q * se, m + q * se, 1 - alpha)
    q = quantile(alpha, n)
    if sided == "upper":
        return Interval(m, -np.inf, m + q * se, 1 - alpha)
    if sided == "lower":
        return Interval(m, m - q * se, np.inf, 1 - alpha)
    raise ValueError(sided)


def ratio_interval(num: np.ndarray, den: np.ndarray, alpha: float) -> tuple[Interval, float]:
    """Two-sided interval for E[num] / E[den] from paired per-run values (delta method).

    Returns the interval and the relative standard error of the denominator's mean (the delta
    method is trustworthy when it is small).
    """
    num, den = _clean(num), _clean(den)
    n = num.size
    mn, md = float(num.mean()), float(den.mean())
    if md <= 0:
        raise ValueError("the bound's mean must be positive for a ratio")
    rho = mn / md
    resid = (num - rho * den) / md  # mean zero at the true ratio; its spread is the ratio's spread
    se = float(resid.std(ddof=1)) / np.sqrt(n)
    q = quantile(alpha / 2, n)
    rel_se_den = float(den.std(ddof=1)) / np.sqrt(n) / md
    return Interval(rho, rho - q * se, rho + q * se, 1 - alpha), rel_se_den


def upper_verdict(diff: np.ndarray, alpha: float) -> tuple[str, Interval]:
    """Verdict on E[lhs] <= E[rhs] from the per-run differences lhs - rhs, at level ``alpha``."""
    x = _clean(diff)
    n, m = x.size, float(x.mean())
    se = float(x.std(ddof=1)) / np.sqrt(n)
    q = quantile(alpha, n)
    ci = Interval(m, m - q * se, m + q * se, 1 - 2 * alpha)
    if ci.low > 0:
        return "violated", ci
    if ci.high <= 0:
        return "holds", ci
    return "inconclusive", ci


def equality_verdict(ratio: Interval) -> str:
    return "holds" if ratio.low <= 1.0 <= ratio.high else "violated"


def per_comparison_level(alpha_suite: float, n_comparisons: int) -> float:
    """Bonferroni: each of M comparisons at alpha/M keeps the suite's false-alarm rate <= alpha."""
    if n_comparisons < 1:
        raise ValueError("no comparison")
    return alpha_suite / n_comparisons
