"""One source of truth for resolved constants (boundlab.simulate.constants), and gamma = "theory" with a
hand-set alpha_dwn (it used to assume alpha_dwn = 1/(8 omega_dwn) silently)."""
from __future__ import annotations

import json
import math

import pytest

from boundlab.errors import BoundlabError
from boundlab.simulate import make_algorithm, quadratic, simulate
from boundlab.simulate.constants import Constants, resolve_constants
from boundlab.theory import get

OPS = {"up": "randk:k=5", "down": "randk:k=2"}   # d = 10: omega_up = 1, omega_dwn = 4 (d/k - 1)


def _problem():
    return quadratic(N=10, d=10, L=1.0, mu=0.1, seed=0)


def test_theory_step_follows_a_hand_set_alpha_dwn():
    prob = _problem()
    point = dict(L=1.0, N=10, omega_up=1.0, omega_dwn=4.0)
    default = simulate(prob, make_algorithm("mcm", OPS), n_runs=2, n_iter=2)
    assert default.meta["constants"]["step_bound"] == "gamma_max"
    assert default.meta["gamma"] == pytest.approx(float(get("gamma_max").evaluate(**point).value), rel=1e-12)
    hand = simulate(prob, make_algorithm("mcm", {**OPS, "alpha_dwn": 0.2}), n_runs=2, n_iter=2)
    expected = float(get("gamma_max_alpha").evaluate(**point, alpha_dwn=0.2).value)
    assert hand.meta["constants"]["step_bound"] == "gamma_max_alpha"
    assert hand.meta["gamma"] == pytest.approx(expected, rel=1e-12)
    # by hand: gamma^Upsilon(0.2) = sqrt(0.2 / (4 (5 + 0.1))) / 4 = 0.02476, below gamma_down = 1/32 and gamma_up
    assert expected == pytest.approx(math.sqrt(0.2 / (4 * 5.1)) / 4, rel=1e-12)
    assert expected != pytest.approx(default.meta["gamma"], rel=0.5)   # the old silent assumption: 0.0039


def test_alpha_zero_by_hand_has_no_theory_step():
    with pytest.raises(BoundlabError, match="no theoretical step size for 'mcm'"):
        simulate(_problem(), make_algorithm("mcm", {**OPS, "alpha_dwn": 0.0}), n_runs=2, n_iter=2)
    # with an explicit step it runs
    simulate(_problem(), make_algorithm("mcm", {**OPS, "alpha_dwn": 0.0}), n_runs=2, n_iter=2, gamma=0.01)


def test_first_attempts_keep_their_declared_convention():
    res = simulate(_problem(), make_algorithm("model-difference-compression", OPS), n_runs=2, n_iter=2)
    assert res.meta["constants"]["step_bound"] == "gamma_max"
    assert res.meta["constants"]["values"]["alpha_dwn"] == 1.0


def test_the_metadata_evaluates_a_bound_like_verify_does():
    from boundlab.verify.checks import constants_of
    prob, algo = _problem(), make_algorithm("rand-mcm-g", {**OPS, "G": 2})
    res = simulate(prob, algo, n_runs=2, n_iter=2)
    stored = Constants.from_dict(json.loads(json.dumps(res.meta["constants"])))
    assert stored.theory_values() == constants_of(prob, algo, res.meta["gamma"])
    assert stored["C"] == 2 and stored["sigma"] == pytest.approx(math.sqrt(prob.sigma2))
    assert resolve_constants(prob, algo, res.meta["gamma"]).gamma_bound == res.meta["gamma_bound"]
