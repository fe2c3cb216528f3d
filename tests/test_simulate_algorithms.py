"""Algorithms: the reductions of the issue, E[w_hat | w] = w, and the exact equalities of THEORY.md §6.

Statistical tolerances: Z = 5 standard errors (two-sided normal tail 5.7e-7 per comparison; this
file makes fewer than 500 such comparisons, family-wise false-alarm rate < 3e-4). Standard errors
are computed from independent runs (one value per run).
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest

from boundlab.errors import BoundlabError
from boundlab.simulate import ALGORITHMS, make_algorithm, quadratic, simulate
from boundlab.simulate.algorithms import Context, default_alpha_dwn
from boundlab.simulate.compressors import RandK
from boundlab.simulate.rng import RunRNG

Z = 5.0


def _accepts(name: str, key: str) -> bool:
    return key in inspect.signature(ALGORITHMS.factory(name)).parameters


def _identity_params(name: str, p: float = 1.0) -> dict:
    params = {"p": p}
    for key in ("up", "down"):
        if _accepts(name, key):
            params[key] = "identity"
    return params


PROBLEM = dict(N=5, d=6, L=1.0, mu=0.2, sigma=0.7, seed=4)
# gamma = 0.1 is below every bound at omega = 0: 1/(2L) = 0.5 (gamma_up, gamma_max) and
# 1/(8L) = 0.125 (gamma_max_artemis_dore)
GAMMA = 0.1


def _centralised() -> list[str]:
    from boundlab.simulate.decentralized import Decentralized
    return [n for n in ALGORITHMS.names() if not issubclass(ALGORITHMS.factory(n), Decentralized)]


@pytest.mark.parametrize("p", [1.0, 0.6])
@pytest.mark.parametrize("name", _centralised())
def test_identity_compressors_give_sgd(name, p):
    """With identity operators every algorithm is SGD on the same noise (and same participation)."""
    prob = quadratic(**PROBLEM, B2=0.3)
    kw = dict(n_runs=70, n_iter=40, gamma=GAMMA, seed=11, progress=False)
    ref = simulate(prob, make_algorithm("sgd", {"p": p}), **kw)
    res = simulate(prob, make_algorithm(name, _identity_params(name, p)), **kw)
    # Only rounding differs (e.g. (g - h) + h in an uplink memory, H + (w - H) in MCM): relative
    # 1e-9 is 10^6 times the double-precision rounding accumulated over 40 contracting steps and
    # 10^6 times smaller than any algorithmic difference (of order gamma sigma^2 ~ 1e-2 here).
    for rec in ("excess_loss", "dist2", "excess_loss_avg", "grad2_hat"):
        np.testing.assert_allclose(res[rec], ref[rec], rtol=1e-9, atol=1e-15, err_msg=f"{name} {rec}")
    np.testing.assert_allclose(res["local_gap2"], 0.0, atol=1e-20)


def test_randk_with_k_equal_d_is_identity_in_mcm():
    prob = quadratic(**PROBLEM)
    kw = dict(n_runs=64, n_iter=30, gamma=GAMMA, seed=2, progress=False)
    a = simulate(prob, make_algorithm("mcm", {"up": "randk:k=6", "down": "randk:k=6"}), **kw)
    b = simulate(prob, make_algorithm("mcm", {}), **kw)
    for rec in ("excess_loss", "dist2", "local_gap2", "upsilon"):
        assert np.array_equal(a[rec], b[rec]), rec


def test_artemis_with_exact_downlink_is_diana():
    prob = quadratic(**PROBLEM)
    kw = dict(n_runs=64, n_iter=30, gamma=0.05, seed=3, progress=False)
    a = simulate(prob, make_algorithm("artemis", {"up": "qsgd:s=1", "down": "identity"}), **kw)
    b = simulate(prob, make_algorithm("diana", {"up": "qsgd:s=1"}), **kw)
    for rec in ("excess_loss", "dist2", "bits_up"):
        assert np.array_equal(a[rec], b[rec]), rec


def test_rand_mcm_g_with_one_group_is_mcm():
    prob = quadratic(**PROBLEM)
    kw = dict(n_runs=64, n_iter=30, gamma=0.05, seed=3, progress=False, allow_large_step=True)
    ops = {"up": "qsgd:s=1", "down": "qsgd:s=2"}
    a = simulate(prob, make_algorithm("rand-mcm-g", {**ops, "G": 1}), **kw)
    b = simulate(prob, make_algorithm("mcm", ops), **kw)
    for rec in ("excess_loss", "dist2", "local_gap2", "upsilon", "bits_down"):
        # same draws in the same order; (R, 1, d) vs (R, d) arrays: rounding only
        np.testing.assert_allclose(a[rec], b[rec], rtol=1e-9, err_msg=rec)


# -- E[w_hat_k | w_k] = w_k, measured -------------------------------------------------------------
class _Biased(RandK):
    """rand-k scaled by 1.2 but claiming to be unbiased: the measurement must catch it."""

    def compress(self, x, rng):
        y, bits = super().compress(x, rng)
        return 1.2 * y, bits


def _one_step_mean(name: str, down, R: int = 20_000):
    """From a common state (w_0, H_0 != w_0), one step with exact uplink and no noise: w_1 is the
    same in every run, w_hat_1 is random. Returns (mean w_hat_1 - w_1, its standard error)."""
    prob = quadratic(N=4, d=6, L=1.0, mu=0.2, sigma=0.0, seed=1)
    algo = make_algorithm(name, {"up": "identity", "down": "identity"})
    algo.down = down
    algo.setup(prob)
    ctx = Context(prob, RunRNG(9, 0, R), algo.up, algo.down, 1.0)
    st = algo.init_state(ctx, prob.w0)
    if hasattr(st, "H"):
        st.H += 0.3                                    # a memory different from w
    algo.step(st, ctx, 0.2, 1)
    assert np.ptp(st.w, axis=0).max() == 0             # w_1 identical across runs
    diff = st.w_hat - (st.w[:, None, :] if st.w_hat.ndim == 3 else st.w)
    return diff.mean(axis=0), diff.std(axis=0, ddof=1) / np.sqrt(R)


@pytest.mark.parametrize("name", ["mcm", "ghost", "rand-mcm"])
def test_w_hat_is_unbiased_given_w(name):
    mean, se = _one_step_mean(name, RandK(k=2))
    if mean.ndim == 2:                                 # per-worker models: every worker's copy
        mean, se = mean.ravel(), se.ravel()
    assert np.all(np.abs(mean) <= Z * se), np.abs(mean) / se


def test_unbiasedness_measurement_detects_a_bias():
    """The same measurement flags a 20% bias (z-scores above 2 Z): the test above can fail."""
    mean, se = _one_step_mean("mcm", _Biased(k=2))
    assert np.max(np.abs(mean) / se) > 2 * Z


@pytest.mark.parametrize("name", ["mcm", "ghost"])
def test_w_hat_minus_w_is_a_martingale_difference(name):
    """Along full stochastic runs (qsgd up, noise, rand-k down), D_k = w_hat_k - w_k has mean 0 and
    is uncorrelated with w_k (both follow from E[w_hat_k | w_k, H_{k-1}] = w_k)."""
    prob = quadratic(N=5, d=6, L=1.0, mu=0.2, sigma=1.0, seed=2)
    algo = make_algorithm(name, {"up": "qsgd:s=1", "down": "randk:k=2"})
    algo.setup(prob)
    R = 6000
    ctx = Context(prob, RunRNG(4, 0, R), algo.up, algo.down, 1.0)
    st = algo.init_state(ctx, prob.w0)
    gamma = algo.gamma_bound(prob)
    for k in range(1, 9):
        algo.step(st, ctx, gamma, k)
        D = st.w_hat - st.w
        for stat in (D, D * (st.w - st.w.mean(axis=0))):
            m, se = stat.mean(axis=0), stat.std(axis=0, ddof=1) / np.sqrt(R)
            assert np.all(np.abs(m) <= Z * se), (k, np.abs(m) / se)


# -- exact equalities of THEORY.md §6 ----------------------------------------------------------------
def _zero_mean(x: np.ndarray, what: str) -> None:
    """Per-run values whose expectation is 0: |mean| <= Z standard errors, at every checkpoint."""
    m = x.mean(axis=0)
    se = x.std(axis=0, ddof=1) / np.sqrt(x.shape[0])
    assert np.all(np.abs(m) <= Z * se + 1e-15), (what, np.abs(m) / np.maximum(se, 1e-300))


def test_mcm_local_gap_equals_omega_upsilon():
    """MCM with rand-k down: E[||w_k - w_hat_k||^2 | w_k, H_{k-1}] = omega_dwn Upsilon_k exactly."""
    prob = quadratic(N=5, d=8, L=1.0, mu=0.1, sigma=1.0, seed=3)
    algo = make_algorithm("mcm", {"up": "qsgd:s=1", "down": "randk:k=2"})
    res = simulate(prob, algo, n_runs=4000, n_iter=30, seed=5, checkpoints_spec=5, progress=False)
    omega_dwn = 8 / 2 - 1
    _zero_mean(res["local_gap2"][:, 1:] - omega_dwn * res["upsilon"][:, 1:], "MCM gap")


def test_ghost_proposition_1_is_an_equality():
    """Ghost, rand-k both ways, homogeneous, additive noise (THEORY.md §6):
    E||w_k - w_hat_k||^2 = gamma^2 omega_d [(1 + omega_u/N) ||grad F(w_hat_{k-1})||^2 + (1 + omega_u) sigma^2/(N b)]."""
    N, d, sigma, b = 5, 8, 1.5, 2
    prob = quadratic(N=N, d=d, L=1.0, mu=0.1, sigma=sigma, b=b, seed=3)
    algo = make_algorithm("ghost", {"up": "randk:k=4", "down": "randk:k=2"})
    res = simulate(prob, algo, n_runs=8000, n_iter=20, seed=6, progress=False)
    g = res.meta["gamma"]
    om_u, om_d = d / 4 - 1, d / 2 - 1
    bound = g ** 2 * om_d * ((1 + om_u / N) * res["grad2_hat"][:, 1:] + (1 + om_u) * sigma ** 2 / (N * b))
    gap = res["local_gap2"][:, 1:]
    _zero_mean(gap - bound, "Proposition 1")
    # pooled over k (a per-run average of zero-mean terms: still zero mean, runs independent)
    _zero_mean((gap - bound).mean(axis=1, keepdims=True), "Proposition 1, pooled")
    # the check is sharp: a 3% error in the constant is detected by the pooled statistic
    # (at 8,000 runs its z-score is about -8.6, beyond Z = 5)
    with pytest.raises(AssertionError):
        _zero_mean((gap - 1.03 * bound).mean(axis=1, keepdims=True), "Proposition 1 x 1.03")


def test_partial_participation_is_unbiased_given_a_participant():
    """With p < 1 a round is redrawn while nobody is active, so a worker is active w.p. p/theta,
    theta = 1 - (1-p)^N (THEORY.md 7.8); the server's theta/(pN) sum over active workers then has mean
    (1/N) sum g^i: measured on exact gradients. (The bare 1/(pN) was biased by 1/theta.)"""
    N, p, R = 3, 0.4, 20_000
    prob = quadratic(N=N, d=4, L=1.0, mu=1.0, sigma=0.0, seed=0, B2=1.0)
    ctx = Context(prob, RunRNG(1, 0, R), RandK(k=4), RandK(k=4), p)
    ctx.begin_iteration()
    g = prob.local_gradients(np.tile(prob.w0, (R, 1)))          # exact, (R, N, d)
    agg = ctx.aggregate(np.broadcast_to(g, (R, N, 4)).copy())
    expected = g.mean(axis=1)[0]                                # unbiased: theta cancels P(active) = p/theta
    m, se = agg.mean(axis=0), agg.std(axis=0, ddof=1) / np.sqrt(R)
    assert np.all(np.abs(m - expected) <= Z * se)
    assert ctx.active.any(axis=1).all()                          # never an empty round


# -- parameters -------------------------------------------------------------------------------------
def test_default_alpha_dwn():
    assert default_alpha_dwn(4.0) == 1 / 32                     # 1/(8 omega) for omega >= 1
    assert default_alpha_dwn(1 / 7) == pytest.approx(7 / 8)     # both pieces agree at 1/7
    assert default_alpha_dwn(0.0) == 1.0                        # identity: H_k = w_k
    prob = quadratic(**PROBLEM)
    algo = make_algorithm("mcm", {"down": "qsgd:s=1"})
    algo.setup(prob)
    assert algo.alpha_dwn == pytest.approx(1 / (8 * np.sqrt(6)))  # omega_qsgd(d=6, s=1) = sqrt 6


@pytest.mark.parametrize("name, params, message", [
    ("mcn", {}, "did you mean 'mcm'"),
    ("mcm", {"G": 2}, "'G' is not a parameter of algorithm 'mcm'"),
    ("mcm", {"p": 0}, "algorithm.p (participation probability) must be in (0, 1]"),
    ("diana", {"up": "topk:k=2"}, "is biased"),
    ("rand-mcm-g", {"G": 9}, "algorithm.G (number of groups) must be an integer in [1, N=5]"),
    ("mcm", {"alpha_dwn": 2.0}, "alpha_dwn must be in [0, 1]"),
    ("diana", {"up": "qsgd:s=1", "alpha_up": 0.9}, "alpha_up must be in (0, 1/(1+omega_up)]"),
    ("mcm", {"down": "randk:k=7"}, "algorithm.down: randk: k must be in [1, d=6]"),
])
def test_bad_algorithm_parameters(name, params, message):
    prob = quadratic(**PROBLEM)
    with pytest.raises(BoundlabError) as err:
        make_algorithm(name, params).setup(prob)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_every_algorithm_runs_and_has_documented_update():
    """Shape and docstring contract for every registered algorithm (a new one gets it too)."""
    prob = quadratic(**PROBLEM)
    for name in ALGORITHMS.names():
        cls = ALGORITHMS.factory(name)
        assert cls.__doc__ and "math" in cls.__doc__, f"{name}: equations missing from the docstring"
        params = {k: v for k, v in {"up": "qsgd:s=1", "down": "randk:k=3"}.items() if _accepts(name, k)}
        res = simulate(prob, make_algorithm(name, params), n_runs=3, n_iter=5, seed=0, progress=False,
                       gamma=0.01)
        assert res["excess_loss"].shape == (3, 6)
        assert np.all(np.isfinite(res["excess_loss"]))


def test_defaults_are_resolved_per_problem():
    """An algorithm object reused on another problem gets that problem's default rates."""
    algo = make_algorithm("mcm", {"up": "qsgd:s=1", "down": "qsgd:s=1", "uplink": "memory"})
    for d in (4, 16):
        algo.setup(quadratic(N=3, d=d, seed=0))
        omega = np.sqrt(d)                                  # omega_qsgd(d, s=1) = min(d, sqrt d)
        assert algo.alpha_dwn == pytest.approx(1 / (8 * omega))
        assert algo.alpha_up == pytest.approx(1 / (2 * (1 + omega)))


# The contract battery of boundlab.testing (the one a plug-in's algorithms get), for every built-in algorithm:
# runs finite, bit-identical under any batching, bits counted, update rule documented, bounds known with every
# constant resolved. Operators: rand-k both ways where the algorithm takes them.
def _contract_params(name: str) -> dict:
    import inspect

    from boundlab.simulate import ALGORITHMS
    takes = inspect.signature(ALGORITHMS.factory(name)).parameters
    if name == "ecd-psgd":      # its identity needs an absolute error variance (a subtractive dither)
        return {"compressor": "dither:step=0.5"}
    return {k: v for k, v in (("up", "randk:k=3"), ("down", "randk:k=4"), ("compressor", "randk:k=3")) if k in takes}


def _contracts():
    from boundlab.simulate import ALGORITHMS
    from boundlab.testing import algorithm_contract
    return {f"test_contract_{name.replace('-', '_')}": algorithm_contract(name, _contract_params(name))
            for name in ALGORITHMS.names() if not name.startswith("test-")}


globals().update(_contracts())


def test_the_algorithm_battery_sees_an_undeclared_constant():
    """Negative control: an algorithm naming a result whose constant it does not resolve fails the bounds item."""
    from boundlab.simulate import ALGORITHMS
    from boundlab.simulate.algorithms import MCM
    from boundlab.testing import algorithm_bounds

    @ALGORITHMS.register("test-mcm-without-alpha")
    class NoAlpha(MCM):
        """MCM hiding its alpha_dwn: w_hat_k = H_{k-1} + C(w_k - H_{k-1}) as MCM."""

        def constants(self):
            return {k: v for k, v in super().constants().items() if k != "alpha_dwn"}
    try:
        with pytest.raises(AssertionError, match="alpha_dwn"):
            algorithm_bounds("test-mcm-without-alpha", {"up": "randk:k=3", "down": "randk:k=4"})
    finally:
        ALGORITHMS.unregister("test-mcm-without-alpha")
