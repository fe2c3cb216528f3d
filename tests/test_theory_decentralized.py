"""Hand-checked values of the decentralized results (seed 001, THEORY-SEEDS.md §4), their tags, and the unsourced
placeholders (no formula: they cannot be evaluated)."""
from __future__ import annotations

import pytest

from boundlab.errors import BoundlabError
from boundlab.theory import get
from boundlab.theory.core import Status

REL = 1e-12  # exact rational inputs: float rounding only

RESULTS = {"dcd_ecd_rate", "naive_gossip_fails", "dcd_needs_condition", "dcd_replicas_exact", "dcd_update_error", "naive_avg_error",
           "naive_plateau", "dcd_moments", "gossip_sufficient", "ecd_estimate_error"}
UNSOURCED = {"dcd_theorem", "ecd_theorem", "dcd_step_size", "ecd_step_size", "dcd_compression_condition",
             "ecd_variance_assumption"}


def value(name, **point):
    return float(get(name).evaluate(**point).value)


def holds(name, **point):
    return bool(get(name).evaluate(**point).holds)


def test_rate_order():
    assert value("dcd_ecd_rate", N=4, K=100) == pytest.approx(1 / 20, rel=REL)      # 1/sqrt(4*100)
    assert get("dcd_ecd_rate").status == Status.O


def test_one_step_identities():
    assert holds("dcd_replicas_exact", replica_gap2=0.0) and not holds("dcd_replicas_exact", replica_gap2=1e-3)
    # omega ||Z||^2 = (1/3) * 3 = 1
    assert value("dcd_update_error", omega=1 / 3, update2=3.0) == pytest.approx(1.0, rel=REL)
    # omega / n^2 * sum ||x_j||^2 = 1/25 * 10 = 0.4
    assert value("naive_avg_error", omega=1.0, models2=10.0, N=5) == pytest.approx(0.4, rel=REL)


def test_naive_plateau_lower_bound():
    # ((omega ||x*||^2 + gamma^2 sigma^2/b)/n) / (1 - (1 - gamma mu)^2 - omega/n)
    # = ((4 + 0.25 * 0.16)/5) / (1 - 0.25 - 0.2) = 0.808 / 0.55 = 1.469090...
    point = dict(omega=1.0, xstar_norm2=4.0, gamma=0.5, sigma=0.4, b=1, N=5, mu=1.0)
    assert holds("naive_plateau", **point, dist2_limit=1.47)
    assert not holds("naive_plateau", **point, dist2_limit=1.46)
    e = get("naive_plateau").evaluate(**point, dist2_limit=1.47)
    assert float(e.lhs) == pytest.approx(0.808 / 0.55, rel=REL)
    assert bool(e.hypotheses["mean-square stable"].holds)                       # 0.25 + 0.2 <= 1
    assert not bool(get("naive_plateau").evaluate(**{**point, "gamma": 0.05}, dist2_limit=1.0)
                    .hypotheses["mean-square stable"].holds)                    # 0.9025 + 0.2 > 1


def test_gossip_sufficient_condition_on_the_ring_of_four():
    # rho_c = 1/3, beta = 4/3 (THEORY-SEEDS.md §2): (1 - 1/9) / (16/9) = 1/2
    assert value("gossip_sufficient", rho_contraction=1 / 3, beta_mixing=4 / 3) == pytest.approx(0.5, rel=REL)


def test_ecd_estimate_error_closed_form():
    # T = K + 1 = 10: 2 (d delta^2/12)(2T - 3)/(3 (T-1)(T-2)) = 2 * (5 * 0.04 / 12) * 17 / (3 * 9 * 8) = 0.0026234...
    assert value("ecd_estimate_error", d=5, dither_step=0.2, K=9) == pytest.approx(2 * (0.2 / 12) * 17 / 216,
                                                                                   rel=REL)


def test_dcd_moments_is_an_equality_of_sums():
    assert holds("dcd_moments", consensus2=1.0, dist2=2.0, consensus2_exact=1.5, dist2_exact=1.5)


def test_tags_and_unsourced_placeholders():
    claims = {"naive_gossip_fails", "dcd_needs_condition"}
    assert {get(n).status for n in RESULTS - {"dcd_ecd_rate"} - claims} == {Status.D}
    assert {get(n).status for n in claims} == {Status.S} and all(get(n).statement is None for n in claims)
    for name in UNSOURCED:
        r = get(name)
        assert r.status == Status.U and r.statement is None and r.notes.startswith("UNSOURCED")
        with pytest.raises(BoundlabError, match="unsourced"):
            r.evaluate()
    assert Status.U.tag == "[unsourced]" and not Status.U.exact
