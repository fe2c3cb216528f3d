"""The intervals of verify/stats.py cover at their stated level (checked by simulation) and the
verdicts say what they should."""
import numpy as np
import pytest

from boundlab.verify import stats


def coverage(make, truth, alpha, reps=4000, seed=0):
    """Fraction of `reps` independent experiments whose interval contains `truth`."""
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(reps):
        iv = make(rng)
        hits += iv.low <= truth <= iv.high
    return hits / reps


# With 4000 replications the observed coverage has standard error sqrt(0.95*0.05/4000) = 0.0034;
# a band of +-0.015 is 4.4 standard errors (false alarm ~1e-5) and still catches a 90%-instead-of-95% interval.
BAND = 0.015


def test_mean_interval_covers_at_its_level_for_skewed_data():
    # Exponential(1) values (skewed, like squared norms), n = 400 runs: E = 1.
    cov = coverage(lambda r: stats.mean_interval(r.exponential(size=400), 0.05), 1.0, 0.05)
    assert abs(cov - 0.95) < BAND


def test_ratio_interval_covers_at_its_level():
    # Paired (num, den) = (X + 0.5 Y, Y) with X ~ Exp(1), Y ~ Exp(2): E[num]/E[den] = (1 + 0.25)/0.5 = 2.5.
    def make(r):
        x, y = r.exponential(1.0, 400), r.exponential(0.5, 400)
        return stats.ratio_interval(x + 0.5 * y, y, 0.05)[0]
    assert abs(coverage(make, 2.5, 0.05) - 0.95) < BAND


def test_upper_verdicts():
    rng = np.random.default_rng(1)
    # Mean -0.5 with sd 1 and 10000 runs: upper end about -0.5 + 3.7e-2 < 0: holds.
    assert stats.upper_verdict(rng.normal(-0.5, 1, 10_000), 1e-4)[0] == "holds"
    # Mean +0.5: lower end > 0: violated.
    assert stats.upper_verdict(rng.normal(0.5, 1, 10_000), 1e-4)[0] == "violated"
    # Mean 0 exactly (a tight bound): neither end decides.
    assert stats.upper_verdict(rng.normal(0.0, 1, 10_000), 1e-4)[0] == "inconclusive"


def test_false_alarm_rate_of_a_bonferroni_suite():
    # 50 true bounds, each tight (mean difference exactly 0), suite level 5%: the fraction of suites with at
    # least one "violated" must be at most 5% (+ Monte-Carlo slack: 1000 suites, sd 0.7%, slack 2.5%).
    rng = np.random.default_rng(2)
    m, a = 50, stats.per_comparison_level(0.05, 50)
    alarms = sum(any(stats.upper_verdict(rng.normal(0, 1, 300), a)[0] == "violated" for _ in range(m))
                 for _ in range(1000))
    assert alarms / 1000 <= 0.05 + 0.025


def test_bad_inputs():
    with pytest.raises(ValueError):
        stats.mean_interval([1.0], 0.05)
    with pytest.raises(ValueError):
        stats.mean_interval([1.0, np.nan], 0.05)
    with pytest.raises(ValueError):
        stats.ratio_interval(np.ones(3), -np.ones(3), 0.05)
