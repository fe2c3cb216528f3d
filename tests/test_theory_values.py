"""Hand-checked values of every formula encoded in ``boundlab.theory``.

Each test evaluates one registered result at a point where the arithmetic comes out exactly
(rationals, or one explicit logarithm) and compares it with the value worked out by hand from
``shared/THEORY.md``; the arithmetic is written next to the expected value so a reader can check
it. Tolerances are ``rel=1e-12``: with exact rational inputs the only error is float rounding.

Relations (assumptions, bounds, recursions) are also checked with their left-hand side given:
``holds`` must be True at or just below the bound and False above it. Tests are grouped by
result, in the order of THEORY.md (assumptions, definitions, results of section 3, baselines of
section 4, operators of section 5), then the status tags and the error paths.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from boundlab.errors import BoundlabError
from boundlab.theory import all_results, get
from boundlab.theory.core import Status, numeric

REL = 1e-12  # exact rational inputs: the only error is float rounding


def value(name: str, **point) -> float:
    e = get(name).evaluate(**point)
    assert np.ndim(e.value) == 0
    return float(e.value)


def holds_at(name: str, **point) -> bool:
    """Whether the relation holds when its lhs quantity is given (must be decidable)."""
    e = get(name).evaluate(**point)
    assert e.holds is not None and e.lhs is not None, f"{name}: lhs not evaluated"
    return bool(e.holds)


def hyp(name: str, label: str, **point):
    """The HypothesisCheck ``label`` of result ``name`` at ``point``."""
    return get(name).evaluate(**point).hypotheses[label]


# Every result this file checks by hand; test_every_registered_result_is_covered keeps it honest.
COVERED = {
    "A1", "A2", "A3", "A4", "A5",
    "V_k", "Phi", "Phi_Rd", "gamma_up", "gamma_down", "gamma_upsilon", "gamma_max", "L_tilde",
    "prop1", "thm3", "limit_variance_ghost", "thm5", "thm6", "thm6_averaged", "thm6_tuned",
    "limit_variance_mcm", "mcm_local_gap", "thm7", "thm7_linear", "thm7_averaged", "thm8", "thm9", "heterogeneous_extension",
    "gamma_max_artemis_dore", "gamma_max_diana", "limit_variance_diana", "limit_variance_artemis_dore",
    "rate_diana", "rate_artemis_dore", "complexity_sc_diana", "complexity_sc_artemis_dore",
    "complexity_convex_diana", "complexity_convex_artemis_dore",
    "omega_identity", "omega_qsgd", "omega_randk", "omega_bernoulli", "topk_contraction",
    "uplink_second_moment", "memory_step", "distance_identity", "one_over_C", "mcm_unbiased_local",
    "Phi_Rd_alpha", "thm9_alpha", "thm7_averaged_derived", "gamma_upsilon_alpha", "gamma_max_alpha",
}


def test_gamma_upsilon_and_gamma_max_at_a_hand_set_alpha():
    # omega_up = 0: gamma^Upsilon(alpha) = sqrt(alpha / (omega_dwn / alpha)) / (4 L) = alpha / (4 L sqrt(omega_dwn))
    # L = 1, omega_dwn = 4, alpha = 1/4: (1/4) / (4 * 2) = 1/32
    assert value("gamma_upsilon_alpha", L=1, omega_dwn=4, omega_up=0, N=1, alpha_dwn=0.25) == pytest.approx(1 / 32,
                                                                                                          rel=REL)
    # alpha = 1/16: gamma^Upsilon = 1/128 binds below gamma_up = 1/2 and gamma_down = 1/(8*4) = 1/32
    assert value("gamma_max_alpha", L=1, omega_dwn=4, omega_up=0, N=1, alpha_dwn=1 / 16) == pytest.approx(1 / 128,
                                                                                                         rel=REL)
    # at the default alpha = 1/(8 omega_dwn) both are the printed ones (omega_up = 40, N = 20, omega_dwn = 2)
    point = dict(L=1, omega_up=40, omega_dwn=2, N=20)
    assert value("gamma_upsilon_alpha", **point, alpha_dwn=1 / 16) == pytest.approx(value("gamma_upsilon", **point),
                                                                                   rel=REL)
    assert value("gamma_max_alpha", **point, alpha_dwn=1 / 16) == pytest.approx(value("gamma_max", **point), rel=REL)


def test_every_registered_result_is_covered():
    from test_stale import RESULTS as STALE, UNSOURCED as STALE_U      # seed 002's, checked there
    from test_theory_decentralized import RESULTS, UNSOURCED   # the decentralized results, checked there
    assert {r.name for r in all_results()} == COVERED | RESULTS | UNSOURCED | STALE | STALE_U


# ======================================================================= 1. assumptions
def test_A1_compression_variance_bound():
    # omega = 3, ||x||^2 = 2:  omega ||x||^2 = 3*2 = 6
    assert value("A1", omega=3, x_norm2=2) == pytest.approx(6, rel=REL)
    assert holds_at("A1", omega=3, x_norm2=2, compression_error2=5)
    assert holds_at("A1", omega=3, x_norm2=2, compression_error2=6)  # equality is allowed
    assert not holds_at("A1", omega=3, x_norm2=2, compression_error2=7)


def test_A2_heterogeneity_bound():
    # B = 3:  B^2 = 9
    assert value("A2", B=3) == pytest.approx(9, rel=REL)
    assert holds_at("A2", B=3, grad_i_opt2=8.5)
    assert not holds_at("A2", B=3, grad_i_opt2=9.5)


def test_A3_smoothness_bound():
    # L = 2, ||w1 - w2|| = 1.5:  L ||w1 - w2|| = 3
    assert value("A3", L=2, w_diff=1.5) == pytest.approx(3, rel=REL)
    assert holds_at("A3", L=2, w_diff=1.5, grad_diff=2.9)
    assert not holds_at("A3", L=2, w_diff=1.5, grad_diff=3.1)


def test_A4_strong_convexity_is_a_lower_bound():
    # mu = 4, ||w2 - w1|| = 3:  mu/2 ||w2 - w1||^2 = 2*9 = 18; the relation is F_gap >= 18
    e = get("A4").evaluate(mu=4, w_diff=3)
    assert float(e.value) == pytest.approx(18, rel=REL)
    assert holds_at("A4", mu=4, w_diff=3, F_gap=18.5)
    assert not holds_at("A4", mu=4, w_diff=3, F_gap=17)
    # "mu >= 0" is recorded as a structural hypothesis: reported, never decided
    assert e.hypotheses["mu >= 0"].holds is None


def test_A5_noise_bound():
    # sigma = 3, b = 4:  sigma^2/b = 9/4
    assert value("A5", sigma=3, b=4) == pytest.approx(9 / 4, rel=REL)
    assert holds_at("A5", sigma=3, b=4, noise2=2)
    assert not holds_at("A5", sigma=3, b=4, noise2=2.5)


# ======================================================================= 3. definitions
def test_V_k_lyapunov_function():
    # dist2 = 2, gamma = 1/8, L = 2, omega_dwn = 3, upsilon = 1/4:
    #   32 gamma L omega_dwn^2 upsilon = 32 * 1/8 * 2 * 9 * 1/4 = 4*2*9/4 = 18
    #   V = 2 + 18 = 20
    assert value("V_k", dist2=2, gamma=1 / 8, L=2, omega_dwn=3, upsilon=1 / 4) == pytest.approx(20, rel=REL)


def test_Phi_variance_factor():
    # omega_up = 3, gamma = 1/64, L = 2, omega_dwn = 1/2:
    #   64 gamma L omega_dwn^2 = 64 * 1/64 * 2 * 1/4 = 1/2
    #   Phi = (1 + 3)(1 + 1/2) = 6
    assert value("Phi", omega_up=3, gamma=1 / 64, L=2, omega_dwn=1 / 2) == pytest.approx(6, rel=REL)


def test_Phi_Rd_variance_factor_and_its_dependence_on_C():
    # omega_up = 3, gamma = 1/2, L = 2, omega_dwn = 5, K = 10, N = 6:
    #   4 gamma^2 L^2 omega_dwn / K = 4 * 1/4 * 4 * 5 / 10 = 2
    #   C = 2: 1/C + omega_up/N = 1/2 + 1/2 = 1  -> Phi_Rd = 4 (1 + 2*1)   = 12
    #   C = 1: 1 + 1/2 = 3/2                      -> Phi_Rd = 4 (1 + 3)     = 16
    #   C = 3: 1/3 + 1/2 = 5/6                    -> Phi_Rd = 4 (1 + 5/3)   = 32/3
    point = dict(omega_up=3, gamma=1 / 2, L=2, omega_dwn=5, K=10, N=6)
    assert value("Phi_Rd", C=2, **point) == pytest.approx(12, rel=REL)
    # vectorised over C
    e = get("Phi_Rd").evaluate(C=np.array([1, 2, 3]), **point)
    assert e.value == pytest.approx(np.array([16, 12, 32 / 3]), rel=REL)


def test_gamma_up():
    # L = 1, omega_up = 40, N = 20:  1/(2*1*(1 + 40/20)) = 1/6
    assert value("gamma_up", L=1, omega_up=40, N=20) == pytest.approx(1 / 6, rel=REL)
    # L = 2, omega_up = 9, N = 3:   1/(2*2*(1 + 3)) = 1/16
    assert value("gamma_up", L=2, omega_up=9, N=3) == pytest.approx(1 / 16, rel=REL)


def test_gamma_down():
    # L = 1, omega_dwn = 2:  1/(8*1*2) = 1/16
    assert value("gamma_down", L=1, omega_dwn=2) == pytest.approx(1 / 16, rel=REL)
    # L = 1/2, omega_dwn = 1/4:  1/(8 * 1/2 * 1/4) = 1
    assert value("gamma_down", L=1 / 2, omega_dwn=1 / 4) == pytest.approx(1, rel=REL)


def test_gamma_down_is_infinite_without_downlink_compression():
    # omega_dwn = 0: 1/(8 L * 0) = +inf (no constraint from the downlink)
    v = value("gamma_down", L=1, omega_dwn=0)
    assert np.isposinf(v)


def test_gamma_upsilon():
    # L = 1, omega_dwn = 2, omega_up = 40, N = 20:
    #   8 omega_dwn + omega_up/N = 16 + 2 = 18
    #   8 sqrt2 * 1 * 2 * sqrt18 = 16 * sqrt36 = 96  -> 1/96
    assert value("gamma_upsilon", L=1, omega_dwn=2, omega_up=40, N=20) == pytest.approx(1 / 96, rel=REL)
    # L = 1/2, omega_dwn = 1, omega_up = 0, N = 5:
    #   8 sqrt2 * 1/2 * 1 * sqrt8 = 4 * sqrt16 = 16  -> 1/16
    assert value("gamma_upsilon", L=1 / 2, omega_dwn=1, omega_up=0, N=5) == pytest.approx(1 / 16, rel=REL)


def test_gamma_max_at_a_point_where_gamma_upsilon_binds():
    # L=1, omega_up=40, omega_dwn=2, N=20:
    #   gamma_up      = 1/(2*1*(1 + 40/20))           = 1/6
    #   gamma_down    = 1/(8*1*2)                      = 1/16
    #   gamma_upsilon = 1/(8*sqrt2*1*2*sqrt(8*2 + 2))  = 1/(16*sqrt(36)) = 1/96
    #   gamma_max     = min(...)                       = 1/96
    e = get("gamma_max").evaluate(L=1, omega_up=40, omega_dwn=2, N=20)
    assert float(e.value) == pytest.approx(1 / 96, rel=REL)
    # a definition: no hypotheses of its own, and no lhs
    assert e.hypotheses == {}
    assert e.lhs is None and e.holds is None


def test_gamma_max_at_a_point_where_gamma_up_binds():
    # L=1, omega_up=2, N=2, omega_dwn=1/8:
    #   gamma_up      = 1/(2*1*(1 + 2/2))                    = 1/4
    #   gamma_down    = 1/(8 * 1/8)                          = 1
    #   gamma_upsilon = 1/(8 sqrt2 * 1/8 * sqrt(8/8 + 1))    = 1/(sqrt2 sqrt2) = 1/2
    #   gamma_max     = 1/4
    assert value("gamma_max", L=1, omega_up=2, omega_dwn=1 / 8, N=2) == pytest.approx(1 / 4, rel=REL)


def test_gamma_max_without_downlink_compression_is_gamma_up():
    # omega_dwn = 0: gamma_down = gamma_upsilon = +inf, so gamma_max = gamma_up = 1/(2*(1 + 40/20)) = 1/6
    pt = dict(L=1, omega_up=40, omega_dwn=0, N=20)
    gmax = value("gamma_max", **pt)
    assert gmax == pytest.approx(1 / 6, rel=REL)
    assert gmax == value("gamma_up", L=1, omega_up=40, N=20)
    assert np.isposinf(value("gamma_upsilon", **pt))


def test_gamma_max_is_vectorised():
    # omega_dwn = [0, 2, 1/8] at L=1, omega_up=40, N=20:
    #   0   -> gamma_up = 1/6 (previous test)
    #   2   -> 1/96 (gamma_upsilon binds, first gamma_max test)
    #   1/8 -> gamma_up = 1/6, gamma_down = 1, gamma_upsilon = 1/(8 sqrt2 /8 sqrt(1 + 2)) = 1/sqrt6 > 1/6
    e = get("gamma_max").evaluate(L=1, omega_up=40, omega_dwn=np.array([0, 2, 1 / 8]), N=20)
    assert e.value.shape == (3,)
    assert e.value == pytest.approx(np.array([1 / 6, 1 / 96, 1 / 6]), rel=REL)


def test_L_tilde():
    # gamma_max = 1/96 at L=1, omega_up=40, omega_dwn=2, N=20, so L_tilde = 1/(2 * 1/96) = 48
    assert value("L_tilde", L=1, omega_up=40, omega_dwn=2, N=20) == pytest.approx(48, rel=REL)
    # gamma_max = 1/4 at L=1, omega_up=2, omega_dwn=1/8, N=2, so L_tilde = 2
    assert value("L_tilde", L=1, omega_up=2, omega_dwn=1 / 8, N=2) == pytest.approx(2, rel=REL)


# ======================================================================= 3. Proposition 1 (Ghost)
PROP1 = dict(gamma=1 / 2, omega_dwn=2, omega_up=4, N=2, grad2_hat_prev=3, sigma=2, b=5)


def test_prop1_value():
    # gamma = 1/2, omega_dwn = 2, omega_up = 4, N = 2, ||grad||^2 = 3, sigma = 2, b = 5:
    #   gamma^2 omega_dwn (1 + omega_up/N) ||grad||^2 = 1/4 * 2 * 3 * 3         = 9/2
    #   gamma^2 omega_dwn (1 + omega_up) sigma^2/(N b) = 1/4 * 2 * 5 * 4 / 10     = 1
    #   bound = 11/2
    assert value("prop1", **PROP1) == pytest.approx(11 / 2, rel=REL)
    assert holds_at("prop1", local_gap2=5.5, **PROP1)
    assert not holds_at("prop1", local_gap2=5.6, **PROP1)


def test_prop1_hypotheses_are_structural():
    # A1, A3, A5, homogeneity, no uplink memory: none decidable from constants
    hyps = get("prop1").evaluate(**PROP1).hypotheses
    assert set(hyps) == {"A1", "A3", "A5", "homogeneous", "no uplink memory"}
    for check in hyps.values():
        assert check.holds is None
        assert "structural" in check.why


def test_prop1_without_lhs_gives_no_verdict():
    e = get("prop1").evaluate(**PROP1)
    assert e.lhs is None and e.holds is None


# ======================================================================= 3. Theorem 3 (Ghost)
THM3 = dict(gamma=1 / 4, L=1, omega_up=2, N=2, omega_dwn=2, dist2_prev=10, excess_loss_prev=4,
            grad2_hat_prev=8, grad2_hat_prev2=4, sigma=2, b=3)


def test_thm3_value():
    # gamma = 1/4, L = 1, omega_up = 2, N = 2, omega_dwn = 2, sigma = 2, b = 3:
    #   E||w_{k-1} - w_*||^2                                  = 10
    #   - gamma E(F - F_*)           = -1/4 * 4               = -1
    #   - gamma/(2L) ||grad_{k-1}||^2 = -1/8 * 8               = -1
    #   + 2 gamma^3 omega_dwn L (1 + omega_up/N) ||grad_{k-2}||^2
    #                                = 2 * 1/64 * 2 * 1 * 2 * 4 = 1/2
    #   + gamma^2 (1 + omega_up) sigma^2/(N b) (1 + 2 gamma L omega_dwn)
    #                                = 1/16 * 3 * 4/6 * (1 + 1) = 1/4
    #   bound = 10 - 1 - 1 + 1/2 + 1/4 = 35/4
    assert value("thm3", **THM3) == pytest.approx(35 / 4, rel=REL)
    assert holds_at("thm3", dist2=8.7, **THM3)
    assert not holds_at("thm3", dist2=8.8, **THM3)


def test_thm3_step_size_hypothesis():
    label = "gamma L (1 + omega_up/N) <= 1/2"
    # gamma L (1 + omega_up/N) = 1/4 * 1 * 2 = 1/2: holds with equality
    assert bool(hyp("thm3", label, **THM3).holds)
    # gamma = 0.26: 0.52 > 1/2
    assert not bool(hyp("thm3", label, **{**THM3, "gamma": 0.26}).holds)
    assert hyp("thm3", "A4 (mu = 0)", **THM3).holds is None


def test_limit_variance_ghost():
    # the sigma term of Theorem 3 at the same point: 1/16 * 3 * 4/6 * (1 + 2*1/4*1*2) = 1/8 * 2 = 1/4
    point = {k: THM3[k] for k in ("gamma", "omega_up", "sigma", "N", "b", "L", "omega_dwn")}
    assert value("limit_variance_ghost", **point) == pytest.approx(1 / 4, rel=REL)


# ======================================================================= 3. Theorem 5 (MCM local variance)
THM5 = dict(alpha_dwn=1 / 4, gamma=1 / 8, upsilon_prev=8, omega_up=4, N=4, grad2_hat_prev=2, sigma=2, b=2)


def test_thm5_value():
    # alpha = 1/4, gamma = 1/8, E Upsilon_{k-1} = 8, omega_up = 4, N = 4, ||grad||^2 = 2, sigma = 2, b = 2:
    #   (1 - alpha/2) Upsilon_{k-1}                   = 7/8 * 8                    = 7
    #   2 gamma^2 (1/alpha + omega_up/N) ||grad||^2   = 2 * 1/64 * (4 + 1) * 2     = 5/16
    #   2 gamma^2 sigma^2 (1 + omega_up)/(N b)        = 2 * 1/64 * 4 * 5 / 8       = 5/64
    #   bound = 7 + 20/64 + 5/64 = 473/64
    assert value("thm5", **THM5) == pytest.approx(473 / 64, rel=REL)
    assert holds_at("thm5", upsilon=7.39, **THM5)   # 473/64 = 7.390625
    assert not holds_at("thm5", upsilon=7.40, **THM5)


def test_thm5_hypotheses():
    full = dict(THM5, omega_dwn=1, L=1, mu=0)
    checks = get("thm5").evaluate(**full).hypotheses
    # gamma = 1/8 = 1/(8 omega_dwn L) with omega_dwn = L = 1: holds with equality
    assert bool(checks["gamma <= 1/(8 omega_dwn L)"].holds)
    # alpha = 1/4 = 1/(4 omega_dwn): both readings of the garbled condition hold (1/4 <= 4*1 - 1 = 3)
    assert bool(checks["alpha_dwn <= 1/(4 omega_dwn)"].holds)
    assert bool(checks["alpha_dwn <= 4 omega_dwn - 1 (as printed)"].holds)
    assert bool(checks["mu = 0 (as printed)"].holds)
    assert checks["A1"].holds is None  # structural
    # gamma = 0.13 > 1/8
    assert not bool(hyp("thm5", "gamma <= 1/(8 omega_dwn L)", **{**full, "gamma": 0.13}).holds)
    # omega_dwn = 1/8: 1/(4 omega_dwn) = 2 (holds) but 4 omega_dwn - 1 = -1/2 (fails): the readings differ
    low = {**full, "omega_dwn": 1 / 8}
    assert bool(hyp("thm5", "alpha_dwn <= 1/(4 omega_dwn)", **low).holds)
    assert not bool(hyp("thm5", "alpha_dwn <= 4 omega_dwn - 1 (as printed)", **low).holds)
    # alpha = 1/2 > 1/(4*1)
    assert not bool(hyp("thm5", "alpha_dwn <= 1/(4 omega_dwn)", **{**full, "alpha_dwn": 1 / 2}).holds)
    assert not bool(hyp("thm5", "mu = 0 (as printed)", **{**full, "mu": 0.5}).holds)
    # without omega_dwn and L the step-size condition is not decided
    assert get("thm5").evaluate(**THM5).hypotheses["gamma <= 1/(8 omega_dwn L)"].holds is None


# ======================================================================= 3. Theorem 6 (MCM, convex)
# L=1, omega_up=4, N=2, omega_dwn=2 (N != 1 and b != 1, so that a slip in an N or b scaling shows):
#   gamma_up = 1/(2*3) = 1/6, gamma_down = 1/16, gamma_upsilon = 1/(8 sqrt2 * 2 * sqrt(16 + 2)) = 1/(16*6) = 1/96
#   gamma_max = 1/96. At gamma = 1/96:
#   32 gamma L omega_dwn^2 = 32*4/96 = 4/3;   Phi = (1 + 4)(1 + 64*4/96) = 5 * 11/3 = 55/3
#   sigma = 96, b = 11:  gamma^2 sigma^2 Phi/(N b) = (96^2/96^2) * (55/3)/22 = 5/6
MCM_PT = dict(L=1, omega_up=4, N=2, omega_dwn=2, gamma=1 / 96, sigma=96, b=11)
THM6 = dict(MCM_PT, dist2_prev=20, upsilon_prev=3, dist2=10, upsilon=6)


def test_thm6_value():
    #   V_{k-1} = 20 + 4/3 * 3 = 24;  V_k = 10 + 4/3 * 6 = 18
    #   bound = 24 - 18 + 5/6 = 41/6;  lhs = gamma E(F - F_*) = excess/96
    assert value("thm6", **THM6) == pytest.approx(41 / 6, rel=REL)
    assert holds_at("thm6", excess_loss_prev=656, **THM6)      # 656/96 = 41/6: equality
    assert not holds_at("thm6", excess_loss_prev=660, **THM6)  # 660/96 > 41/6


def test_thm6_holds_is_vectorised():
    e = get("thm6").evaluate(excess_loss_prev=np.array([96, 656, 700]), **THM6)
    # lhs = [1, 41/6, 700/96]
    assert e.lhs == pytest.approx(np.array([1, 41 / 6, 700 / 96]), rel=REL)
    assert e.holds.tolist() == [True, True, False]


def test_thm6_hypotheses():
    at_max = get("thm6").evaluate(alpha_dwn=1 / 16, **THM6).hypotheses
    # gamma = gamma_max = 1/96
    assert bool(at_max["gamma <= gamma_max"].holds)
    # alpha_dwn = 1/16 = 1/(8 omega_dwn)
    assert bool(at_max["alpha_dwn = 1/(8 omega_dwn)"].holds)
    assert at_max["A4 (mu = 0)"].holds is None  # structural
    # gamma = 1.01 gamma_max
    assert not bool(hyp("thm6", "gamma <= gamma_max", **{**THM6, "gamma": 1.01 / 96}).holds)
    # alpha_dwn = 1/8 != 1/16
    assert not bool(hyp("thm6", "alpha_dwn = 1/(8 omega_dwn)", alpha_dwn=1 / 8, **THM6).holds)
    # alpha_dwn missing: not checked, and says why
    missing = get("thm6").evaluate(**THM6).hypotheses["alpha_dwn = 1/(8 omega_dwn)"]
    assert missing.holds is None and "alpha_dwn" in missing.why


def test_thm6_averaged_value():
    # same MCM point, V_0 = ||w_0 - w_*||^2 = 2, k = 4:
    #   V_0/(gamma k) = 2 * 96/4 = 48;  gamma sigma^2 Phi/(N b) = 96^2/96 * (55/3)/22 = 80
    #   bound = 128
    pt = dict(MCM_PT, dist2_0=2, k=4)
    assert value("thm6_averaged", **pt) == pytest.approx(128, rel=REL)
    assert holds_at("thm6_averaged", excess_loss_avg=127, **pt)
    assert not holds_at("thm6_averaged", excess_loss_avg=129, **pt)


# thm6_tuned. Hand derivation (THEORY.md Theorem 6, V_0 = D = ||w_0 - w_*||^2, k = K,
# gamma = sqrt(D N b/((1 + omega_up) sigma^2 K))):
#   V_0/(gamma K)                       = sqrt(D (1 + omega_up) sigma^2/(N b K))
#   gamma sigma^2 (1 + omega_up)/(N b)  = sqrt(D (1 + omega_up) sigma^2/(N b K))
#   gamma sigma^2 (1 + omega_up) 64 gamma L omega_dwn^2/(N b)
#                                       = gamma^2 * 64 L omega_dwn^2 sigma^2 (1 + omega_up)/(N b)
#                                       = 64 L omega_dwn^2 D/K
#   total = 2 sqrt(D (1 + omega_up) sigma^2/(N b K)) + 64 L omega_dwn^2 D/K
TUNED = dict(dist2_0=4, omega_up=3, sigma=2, N=2, b=2, K=4, L=1 / 2, omega_dwn=1)


def test_thm6_tuned_value():
    # D = 4, omega_up = 3, sigma = 2, N = 2, b = 2, K = 4, L = 1/2, omega_dwn = 1:
    #   step: gamma = sqrt(4*2*2/(4*4*4)) = sqrt(1/4) = 1/2
    #   V_0/(gamma K) = 4/(1/2 * 4) = 2
    #   Phi(1/2) = 4 (1 + 64 * 1/2 * 1/2 * 1) = 4 * 17 = 68;  gamma sigma^2 Phi/(N b) = 1/2 * 4 * 68/4 = 34
    #   total = 36 = 2 sqrt(4*4*4/16) + 64 * 1/2 * 1 * 4/4 = 2*2 + 32
    assert value("thm6_tuned", **TUNED) == pytest.approx(36, rel=REL)
    assert holds_at("thm6_tuned", excess_loss_avg=35.9, **TUNED)
    assert not holds_at("thm6_tuned", excess_loss_avg=36.1, **TUNED)


def test_thm6_tuned_equals_the_closed_form_on_a_grid():
    rng = np.random.default_rng(0)
    n = 50
    pt = dict(dist2_0=rng.uniform(0.1, 10, n), omega_up=rng.uniform(0, 50, n), sigma=rng.uniform(0.1, 5, n),
              N=rng.integers(1, 100, n), b=rng.integers(1, 64, n), K=rng.integers(1, 10_000, n),
              L=rng.uniform(0.1, 10, n), omega_dwn=rng.uniform(0, 20, n))
    D, wu, s, N, b, K, L, wd = (np.asarray(pt[n_], dtype=float) for n_ in
                                ("dist2_0", "omega_up", "sigma", "N", "b", "K", "L", "omega_dwn"))
    closed = 2 * np.sqrt(D * (1 + wu) * s**2 / (N * b * K)) + 64 * L * wd**2 * D / K
    assert get("thm6_tuned").evaluate(**pt).value == pytest.approx(closed, rel=1e-10)  # float rounding only


def test_thm6_tuned_is_thm6_averaged_at_the_tuned_step():
    # gamma = 1/2 at TUNED (see above), k = K = 4
    avg = value("thm6_averaged", gamma=1 / 2, k=4, **{k_: v for k_, v in TUNED.items() if k_ != "K"})
    assert avg == pytest.approx(value("thm6_tuned", **TUNED), rel=REL)


def test_thm6_tuned_step_hypothesis():
    label = "tuned step <= gamma_max"
    # At TUNED the step is 1/2 but gamma_up = 1/(2 * 1/2 * (1 + 3/2)) = 2/5 < 1/2: fails
    assert not bool(hyp("thm6_tuned", label, **TUNED).holds)
    # The step is sqrt(4*2*2/(4*4*K)) = 1/sqrt(K). gamma_max = gamma_upsilon
    #   = 1/(8 sqrt2 * 1/2 * sqrt(8 + 3/2)) = 1/(4 sqrt19) ~ 0.0574 (gamma_up = 0.4, gamma_down = 0.25)
    #   K = 400: 1/20 = 0.05 <= 0.0574 holds; K = 256: 1/16 = 0.0625 > 0.0574 fails
    assert bool(hyp("thm6_tuned", label, **{**TUNED, "K": 400}).holds)
    assert not bool(hyp("thm6_tuned", label, **{**TUNED, "K": 256}).holds)


def test_limit_variance_mcm():
    # gamma = 1/64, L = 2, omega_dwn = 1/2, omega_up = 3 -> Phi = 6 (test_Phi_variance_factor)
    # sigma = 8, N = 3, b = 2:  gamma^2 sigma^2 Phi/(N b) = 1/4096 * 64 * 6/6 = 1/64
    pt = dict(gamma=1 / 64, L=2, omega_dwn=1 / 2, omega_up=3, sigma=8, N=3, b=2)
    assert value("limit_variance_mcm", **pt) == pytest.approx(1 / 64, rel=REL)


# ======================================================================= 3. Theorem 7 (MCM, strongly convex)
THM7 = dict(MCM_PT, mu=24, dist2_prev=20, upsilon_prev=3, excess_loss_hat_prev=96)


def test_thm7_value():
    # MCM point (gamma = gamma_max = 1/96, 32 gamma L omega_dwn^2 = 4/3, noise term = 5/6), mu = 24:
    #   (1 - gamma mu) V_{k-1} = (1 - 1/4)(20 + 4/3*3) = 3/4 * 24 = 18
    #   - gamma E[F(w_hat) - F_*] = -96/96 = -1;  + 5/6
    #   bound = 107/6;  lhs V_k = dist2 + 4/3 upsilon
    assert value("thm7", **THM7) == pytest.approx(107 / 6, rel=REL)
    assert holds_at("thm7", dist2=10, upsilon=47 / 8, **THM7)     # 10 + 4/3 * 47/8 = 10 + 47/6: equality
    assert not holds_at("thm7", dist2=10, upsilon=5.9, **THM7)   # 10 + 7.8667 > 17.8333


def test_thm7_hypotheses():
    checks = get("thm7").evaluate(**THM7).hypotheses
    assert bool(checks["mu > 0"].holds)
    assert bool(checks["gamma <= gamma_max"].holds)
    assert not bool(hyp("thm7", "mu > 0", **{**THM7, "mu": 0}).holds)
    assert not bool(hyp("thm7", "gamma <= gamma_max", **{**THM7, "gamma": 1.01 / 96}).holds)


def test_thm7_linear_value():
    # L=1, omega_up=4, N=2, omega_dwn=2 -> gamma_max = 1/96; mu = 24 -> 1 - gamma_max mu = 3/4
    #   k = 2, V_0 = 16:  (3/4)^2 * 16 = 9
    pt = dict(L=1, omega_up=4, N=2, omega_dwn=2, mu=24, k=2, dist2_0=16)
    assert value("thm7_linear", **pt) == pytest.approx(9, rel=REL)
    assert holds_at("thm7_linear", dist2=9, **pt)
    assert not holds_at("thm7_linear", dist2=9.1, **pt)
    assert bool(hyp("thm7_linear", "sigma = 0", sigma=0, **pt).holds)
    assert not bool(hyp("thm7_linear", "sigma = 0", sigma=1, **pt).holds)


def test_thm7_linear_is_vectorised_in_k():
    # (3/4)^k * 16 for k = 0, 1, 2 -> 16, 12, 9
    e = get("thm7_linear").evaluate(L=1, omega_up=4, N=2, omega_dwn=2, mu=24, k=np.array([0, 1, 2]), dist2_0=16)
    assert e.value == pytest.approx(np.array([16, 12, 9]), rel=REL)


THM7_AVG = dict(L=1, omega_up=4, N=2, omega_dwn=2, mu=8, K=2, dist2_0=16, sigma=2, b=5 / 2)


def test_thm7_averaged_value_as_printed():
    # gamma_max = 1/96 (as above), so L_tilde = 48. mu = 8, K = 2, D = 16, sigma = 2, N = 2, b = 5/2:
    #   (mu + 2 L_tilde)/(4 mu K^2) D = (8 + 96)/(4*8*4) * 16 = 104/128 * 16 = 13
    #   4 sigma^2 (1 + omega_up)/(mu K N b) = 4*4*5/(8*2*2*5/2) = 80/80 = 1
    #   64 L omega_dwn^2/(mu K) = 64*4/16 = 16;  ln(mu K + L_tilde) = ln(16 + 48) = ln 64 = 6 ln 2
    #   bound = 13 + 1 * (1 + 16 * 6 ln 2) = 14 + 96 ln 2
    assert value("thm7_averaged", **THM7_AVG) == pytest.approx(14 + 96 * math.log(2), rel=REL)
    assert holds_at("thm7_averaged", excess_loss_avg=80, **THM7_AVG)      # 14 + 96 ln 2 ~ 80.54
    assert not holds_at("thm7_averaged", excess_loss_avg=81, **THM7_AVG)


def test_thm7_averaged_first_step_exceeds_gamma_max():
    # THEORY.md: as printed, gamma_0 = 2/(mu + L_tilde) exceeds gamma_max = 1/(2 L_tilde) (when 3 L_tilde > mu).
    # L_tilde = 48, mu = 8: gamma_0 = 2/56 = 1/28 > 1/96
    sched = get("thm7_averaged").schedule
    vals = {"L": 1, "omega_up": 4, "N": 2, "omega_dwn": 2, "mu": 8, "k": 0}
    gamma_0 = float(numeric(sched.gamma, vals))
    assert gamma_0 == pytest.approx(1 / 28, rel=REL)
    gmax = value("gamma_max", L=1, omega_up=4, N=2, omega_dwn=2)  # 1/96
    assert gamma_0 > gmax
    # and the audit's claim object is the relation gamma <= gamma_max, which therefore fails at k = 0
    assert str(sched.claims) == "gamma <= gamma_max"


# ======================================================================= 3. Theorems 8-9 (Rand-MCM)
def test_thm8_has_no_formula_and_extends_theorems_5_to_7():
    r = get("thm8")
    assert r.statement is None
    with pytest.raises(BoundlabError, match="no formula"):
        r.evaluate()
    assert {"thm5", "thm6", "thm6_averaged", "thm7", "thm7_linear", "thm7_averaged"} <= set(r.extends)
    assert all(name.startswith(("thm5", "thm6", "thm7")) for name in r.extends)


def test_mcm_local_gap():
    # omega_dwn = 3, E Upsilon_k = 0.5: bound = 3 * 0.5 = 1.5 (exact in floating point).
    e = get("mcm_local_gap").evaluate(omega_dwn=3, upsilon=0.5, local_gap2=1.4)
    assert float(e.value) == 1.5 and bool(e.holds)
    assert not bool(get("mcm_local_gap").evaluate(omega_dwn=3, upsilon=0.5, local_gap2=1.6).holds)
    assert get("mcm_local_gap").status is Status.D and "rand-k" in get("mcm_local_gap").tight


def test_heterogeneous_extension_is_order_level_and_has_no_formula():
    # THEORY.md section 1: "at the cost of a constant 2" without saying which constants: [O], no formula.
    r = get("heterogeneous_extension")
    assert r.statement is None and r.status is Status.O
    with pytest.raises(BoundlabError, match="no formula"):
        r.evaluate()
    assert "A2" in {h.label for h in r.hypotheses}


THM9 = dict(omega_up=3, gamma=1 / 2, L=2, omega_dwn=5, K=10, C=2, N=6, dist2_0=10, sigma=3, b=9)


def test_thm9_value():
    # Phi_Rd = 12 at omega_up=3, gamma=1/2, L=2, omega_dwn=5, K=10, C=2, N=6 (test_Phi_Rd...)
    #   V_0/(gamma K) = 10/(1/2 * 10) = 2
    #   gamma sigma^2 Phi_Rd/(N b) = 1/2 * 9 * 12/(6*9) = 1
    #   bound = 3
    assert value("thm9", **THM9) == pytest.approx(3, rel=REL)
    assert holds_at("thm9", excess_loss_avg=2.9, **THM9)
    assert not holds_at("thm9", excess_loss_avg=3.1, **THM9)


def test_thm9_step_hypothesis_fails_at_a_large_step():
    # gamma_up = 1/(2*2*(1 + 3/6)) = 1/6 < gamma = 1/2
    assert not bool(hyp("thm9", "gamma <= gamma_max", **THM9).holds)
    # gamma = 1/64: gamma_upsilon = 1/(8 sqrt2 * 2 * 5 * sqrt(40 + 1/2)) = 1/(80 sqrt81) = 1/720 < 1/64: still fails
    assert not bool(hyp("thm9", "gamma <= gamma_max", **{**THM9, "gamma": 1 / 64}).holds)
    # gamma = 1/720 = gamma_max: holds
    assert bool(hyp("thm9", "gamma <= gamma_max", **{**THM9, "gamma": 1 / 720}).holds)
    assert not bool(hyp("thm9", "gamma <= gamma_max", **{**THM9, "gamma": 1.01 / 720}).holds)


# ======================================================================= 4. baselines
def test_gamma_max_artemis_dore():
    # L = 1, omega_dwn = 2, omega_up = 40, N = 20:  1/(8 * 1 * 3 * (1 + 2)) = 1/72
    pt = dict(L=1, omega_dwn=2, omega_up=40, N=20)
    assert value("gamma_max_artemis_dore", **pt) == pytest.approx(1 / 72, rel=REL)


def test_gamma_max_diana_is_gamma_up():
    # order level, identified with gamma_up: 1/(2*(1 + 40/20)) = 1/6
    assert value("gamma_max_diana", L=1, omega_up=40, N=20) == pytest.approx(1 / 6, rel=REL)


def test_limit_variance_diana():
    # gamma = 1/2, sigma = 4, omega_up = 3, N = 2, b = 2:  1/4 * 16 * 4/4 = 4
    assert value("limit_variance_diana", gamma=1 / 2, sigma=4, omega_up=3, N=2, b=2) == pytest.approx(4, rel=REL)


def test_limit_variance_artemis_dore():
    # Diana's 4 times (1 + omega_dwn) = 3:  12
    pt = dict(gamma=1 / 2, sigma=4, omega_up=3, N=2, b=2, omega_dwn=2)
    assert value("limit_variance_artemis_dore", **pt) == pytest.approx(12, rel=REL)


def test_rate_diana():
    # (1 - 1/4 * 2)^3 = (1/2)^3 = 1/8
    assert value("rate_diana", gamma=1 / 4, mu=2, k=3) == pytest.approx(1 / 8, rel=REL)


def test_rate_artemis_dore():
    # (1 - 1/10 * 5)^2 = 1/4
    assert value("rate_artemis_dore", gamma=1 / 10, mu=5, k=2) == pytest.approx(1 / 4, rel=REL)


def test_complexity_sc_diana():
    # (1 + 9)/(2 * 1/10 * 5) = 10/1 = 10
    assert value("complexity_sc_diana", omega_up=9, mu=2, eps=1 / 10, N=5) == pytest.approx(10, rel=REL)


def test_complexity_sc_artemis_dore():
    # (1 + 3)(1 + 9)/(2 * 1/10 * 5) = 40
    pt = dict(omega_dwn=3, omega_up=9, mu=2, eps=1 / 10, N=5)
    assert value("complexity_sc_artemis_dore", **pt) == pytest.approx(40, rel=REL)


def test_complexity_convex_diana():
    # (1 + 3)/(1/2)^2 = 16
    assert value("complexity_convex_diana", omega_up=3, eps=1 / 2) == pytest.approx(16, rel=REL)


def test_complexity_convex_artemis_dore():
    # (1 + 3)(1 + 1)/(1/2)^2 = 32
    assert value("complexity_convex_artemis_dore", omega_up=3, omega_dwn=1, eps=1 / 2) == pytest.approx(32, rel=REL)


# ======================================================================= 5. compression operators
def test_omega_identity():
    assert get("omega_identity").inputs() == []
    assert value("omega_identity") == 0


def test_omega_qsgd_vectorised_over_s():
    # d = 16: min(d/s^2, sqrt(d)/s) = min(16/s^2, 4/s)
    #   s = 1: min(16, 4)   = 4;   s = 2: min(4, 2)   = 2
    #   s = 4: min(1, 1)    = 1;   s = 8: min(1/4, 1/2) = 1/4
    e = get("omega_qsgd").evaluate(d=16, s=np.array([1, 2, 4, 8]))
    assert e.value == pytest.approx(np.array([4, 2, 1, 1 / 4]), rel=REL)
    assert bool(np.all(e.hypotheses["s >= 1"].holds))


def test_omega_randk():
    # d = 10, k = 2:  10/2 - 1 = 4;  k = d: 0
    assert value("omega_randk", d=10, k=2) == pytest.approx(4, rel=REL)
    assert value("omega_randk", d=10, k=10) == 0
    assert bool(hyp("omega_randk", "k <= d", d=10, k=2).holds)
    assert not bool(hyp("omega_randk", "k <= d", d=10, k=12).holds)
    # k = 0 keeps no coordinate: the value d/0 - 1 is inf and the hypothesis k >= 1 says it is out of range.
    assert bool(hyp("omega_randk", "k >= 1", d=10, k=2).holds)
    assert not bool(hyp("omega_randk", "k >= 1", d=10, k=0).holds)


def test_omega_bernoulli():
    # p = 1/4: (1 - 1/4)/(1/4) = 3;  p = 1: 0
    assert value("omega_bernoulli", p=1 / 4) == pytest.approx(3, rel=REL)
    assert value("omega_bernoulli", p=1) == 0


def test_topk_contraction():
    # d = 10, k = 2:  1 - 2/10 = 4/5
    assert value("topk_contraction", d=10, k=2) == pytest.approx(4 / 5, rel=REL)


# ======================================================================= metadata: status and source
def test_every_result_has_source_latex_and_tag():
    for r in all_results():
        assert str(r.source).strip(), r.name
        assert r.latex.strip(), r.name
        assert r.status.tag in {"[S]", "[S?]", "[D]", "[O]", "[unsourced]"}, r.name
        assert (r.status == Status.U) == (r.statement is None and r.notes.startswith("UNSOURCED")) or \
            r.kind in ("claim", "extension"), r.name


def test_status_tags_match_THEORY_md():
    from test_stale import RESULTS as STALE, UNSOURCED as STALE_U
    from test_theory_decentralized import RESULTS, UNSOURCED   # THEORY-SEEDS.md's, checked there
    by_tag: dict[Status, set[str]] = {s: set() for s in Status}
    for r in all_results():
        if r.name not in RESULTS | UNSOURCED | STALE | STALE_U:
            by_tag[r.status].add(r.name)
    # THEORY.md section 4: the Diana and Artemis/Dore entries of the rate table are [O]; the one exact
    # baseline constant (gamma_max of Dore/Artemis) is [S].
    assert by_tag[Status.O] == {
        "gamma_max_diana", "limit_variance_diana", "limit_variance_artemis_dore", "rate_diana",
        "rate_artemis_dore", "complexity_sc_diana", "complexity_sc_artemis_dore", "complexity_convex_diana",
        "complexity_convex_artemis_dore", "heterogeneous_extension"}
    # THEORY.md section 3: Phi^Rd's "/K" is [S?] (hence Theorem 9), and Theorem 7's averaged corollary is [S?].
    assert by_tag[Status.S_DOUBT] == {"Phi_Rd", "thm7_averaged", "thm9"}
    # THEORY.md section 3, Theorem 6: the tuned-step form is derived.
    # THEORY.md section 7: the exact identities, the '/alpha_dwn' reading and Theorem 7's re-derived corollary.
    assert by_tag[Status.D] == {"thm6_tuned", "mcm_local_gap", "uplink_second_moment", "memory_step",
                                "distance_identity", "one_over_C", "Phi_Rd_alpha", "thm9_alpha",
                                "thm7_averaged_derived", "gamma_upsilon_alpha", "gamma_max_alpha"}
    assert get("gamma_max_artemis_dore").status is Status.S
    assert not any(get(n).status.exact for n in by_tag[Status.O] | by_tag[Status.S_DOUBT])


# ======================================================================= 7. identities (THEORY.md section 7)
def test_uplink_second_moment():
    # omega_up = 3, N = 2, ||grad F(w_hat)||^2 = 4, sigma = 2, b = 3:
    #   (1 + 3/2) * 4 = 10;  (1 + 3) * 4/(2*3) = 8/3;  total = 38/3
    pt = dict(omega_up=3, N=2, grad2_hat_prev=4, sigma=2, b=3)
    assert value("uplink_second_moment", **pt) == pytest.approx(38 / 3, rel=REL)
    assert holds_at("uplink_second_moment", ghat2=38 / 3, **pt)
    assert not holds_at("uplink_second_moment", ghat2=12.6, **pt)   # an equality: below fails too


def test_memory_step():
    # alpha = 1/4, omega_dwn = 3, E Upsilon_k = 8:  1 - 1/2 + (1/16)*4 = 3/4;  3/4 * 8 = 6
    pt = dict(alpha_dwn=1 / 4, omega_dwn=3, upsilon=8)
    assert value("memory_step", **pt) == pytest.approx(6, rel=REL)
    assert holds_at("memory_step", memory_residual2=6, **pt)
    # alpha = 1/(1 + omega) = 1/4 is the minimiser: factor omega/(1 + omega) = 3/4 (THEORY.md 7.2)
    assert value("memory_step", alpha_dwn=1 / 4, omega_dwn=3, upsilon=1) == pytest.approx(3 / 4, rel=REL)


def test_distance_identity():
    # contracted distance 5, gamma = 1/2, E||zeta||^2 = 8:  5 + 1/4 * 8 = 7
    pt = dict(contracted_dist2=5, gamma=1 / 2, zeta2=8)
    assert value("distance_identity", **pt) == pytest.approx(7, rel=REL)
    assert holds_at("distance_identity", dist2=7, **pt)
    assert not holds_at("distance_identity", dist2=7.1, **pt)


def test_one_over_C():
    # L = 2, omega_dwn = 3, E Upsilon_{k-1} = 5, C = 6:  4 * 3 * 5/6 = 10
    pt = dict(L=2, omega_dwn=3, upsilon_prev=5, C=6)
    assert value("one_over_C", **pt) == pytest.approx(10, rel=REL)
    assert holds_at("one_over_C", down_noise2=10, **pt)
    # the isotropy hypothesis is mu = L
    assert bool(hyp("one_over_C", "isotropic A", mu=2, **pt).holds)
    assert not bool(hyp("one_over_C", "isotropic A", mu=1, **pt).holds)


def test_mcm_unbiased_local():
    assert value("mcm_unbiased_local") == 0
    assert holds_at("mcm_unbiased_local", local_bias=0.0)
    assert not holds_at("mcm_unbiased_local", local_bias=-0.1)


def test_Phi_Rd_alpha():
    # omega_up = 3, gamma = 1/2, L = 2, omega_dwn = 5, alpha = 1/8, C = 2, N = 6:
    #   4 gamma^2 L^2 omega_dwn/alpha = 4 * 1/4 * 4 * 5 * 8 = 160;  1/C + omega_up/N = 1/2 + 1/2 = 1
    #   (1 + 3)(1 + 160) = 644
    pt = dict(omega_up=3, gamma=1 / 2, L=2, omega_dwn=5, alpha_dwn=1 / 8, C=2, N=6)
    assert value("Phi_Rd_alpha", **pt) == pytest.approx(644, rel=REL)


def test_thm9_alpha():
    # THM9's point with alpha = 1/8 (Phi_Rd_alpha = 644, previous test):
    #   V_0/(gamma K) = 10/(1/2 * 10) = 2;  gamma sigma^2 Phi/(N b) = 1/2 * 9 * 644/(6*9) = 161/3
    pt = dict(THM9, alpha_dwn=1 / 8)
    assert value("thm9_alpha", **pt) == pytest.approx(2 + 161 / 3, rel=REL)
    assert not holds_at("thm9_alpha", excess_loss_avg=56, **pt)      # 2 + 53.67 = 55.67


def test_thm7_averaged_derived():
    # THM7_AVG: gamma_max = 1/96, L_tilde = 48, so a = 4 L_tilde = 192; mu = 8, K = 2, D = 16:
    #   a (mu + a) D/(mu K (K+1) + 2 a K) = 192 * 200 * 16/(48 + 768) = 614400/816 = 12800/17
    #   4 sigma^2 (1 + omega_up)/(N b (mu (K+1) + 2a)) = 80/(5 * 408) = 4/102 = 2/51
    #   128 L omega_dwn^2/(mu K) = 512/16 = 32;  ln((mu (K+1) + a)/(mu + a)) = ln(216/200) = ln(27/25)
    #   bound = 12800/17 + 2/51 (1 + 32 ln(27/25))
    expected = 12800 / 17 + 2 / 51 * (1 + 32 * math.log(27 / 25))
    assert value("thm7_averaged_derived", **THM7_AVG) == pytest.approx(expected, rel=REL)
    # its schedule's first step 2/(mu + a) = 2/200 = 1/100 <= gamma_max = 1/96 (the printed one's exceeds it)
    g0 = float(numeric(get("thm7_averaged_derived").schedule.gamma,
                       {"L": 1, "omega_up": 4, "N": 2, "omega_dwn": 2, "mu": 8, "k": 0}))
    assert g0 == pytest.approx(1 / 100, rel=REL)


# ======================================================================= error paths
def test_missing_constants_are_all_named():
    with pytest.raises(BoundlabError) as exc:
        get("gamma_max").evaluate(L=1)
    msg = str(exc.value)
    assert "\n" not in msg
    for name in ("N", "omega_dwn", "omega_up"):
        assert f"{name}=..." in msg
    assert "L=..." not in msg


def test_unknown_constant_gets_a_suggestion():
    with pytest.raises(BoundlabError, match=r"unknown constant 'omega_dwnn' \(did you mean 'omega_dwn'\?\)"):
        get("gamma_max").evaluate(L=1, omega_up=1, omega_dwn=1, N=2, omega_dwnn=3)


@pytest.mark.parametrize("name, point, pattern", [
    ("gamma_max", dict(L=1, omega_up=1, omega_dwn=1, N=0), r"^N must be an integer with 1 <= N, got 0$"),
    ("gamma_max", dict(L=1, omega_up=1, omega_dwn=1, N=2.5), r"^N must be an integer with 1 <= N, got 2\.5$"),
    ("gamma_max", dict(L=-1, omega_up=1, omega_dwn=1, N=2), r"^L must be a number with 0 < L, got -1$"),
    ("omega_bernoulli", dict(p=1.5), r"^p must be a number with 0 < p <= 1, got 1\.5$"),
    ("omega_bernoulli", dict(p=0), r"^p must be a number with 0 < p <= 1, got 0$"),
    ("gamma_max", dict(L=1, omega_up=1, omega_dwn=-1, N=2), r"^omega_dwn must be a number with 0 <= omega_dwn, got -1$"),
    ("gamma_max", dict(L=1, omega_up=1, omega_dwn=np.array([1, -2]), N=2), r"^omega_dwn must .* got -2$"),
])
def test_out_of_range_values_name_the_parameter_and_range(name, point, pattern):
    with pytest.raises(BoundlabError, match=pattern):
        get(name).evaluate(**point)


def test_unknown_result_name_gets_a_suggestion():
    with pytest.raises(BoundlabError, match=r"unknown result 'gama_max' \(did you mean 'gamma_max'\?\)"):
        get("gama_max")


def test_boundlab_error_is_a_value_error():
    with pytest.raises(ValueError):
        get("gamma_max").evaluate(L=0, omega_up=1, omega_dwn=1, N=1)
