"""Stale compressed gradients (seed 002): the theory's hand-checked values, the exact edge, the exact recursion against
Monte Carlo, the delays' laws."""
from __future__ import annotations

import math

import numpy as np
import pytest

from boundlab.errors import BoundlabError
from boundlab.simulate import make_algorithm, quadratic, simulate
from boundlab.simulate.exact_delayed import markov_transition, moments, stability_edge
from boundlab.theory import get
from boundlab.theory.core import Status

RESULTS = {"k1_descent", "k1_isotropic", "k1_step_range", "k2_moments", "k3_bits_flat"}
UNSOURCED = {"khirirat_step_size", "khirirat_rate", "khirirat_complexity", "khirirat_algorithms",
             "albasyoni_worst_case_bound", "albasyoni_average_case_bound", "sparse_dithering", "spherical_compression"}
REL = 1e-12


def test_hand_checked_values():
    # K1: f - gamma (1 - L gamma (1 + omega)/2) ||g||^2 = 1 - 0.2 (1 - 0.2 * 3/2) * 2 = 1 - 0.28 = 0.72
    e = get("k1_descent").evaluate(excess_loss_prev=1.0, gamma=0.2, L=1.0, omega=2.0, grad2_hat_prev=2.0,
                                   excess_loss=0.72)
    assert float(e.value) == pytest.approx(0.72, rel=REL) and bool(e.holds)
    # equality case: (1 - 2 * 0.2 + 0.04 * 3)^5 = 0.72^5 = 0.1934917632
    assert float(get("k1_isotropic").evaluate(L=1.0, gamma=0.2, omega=2.0, K=5, excess_loss_0=1.0).value) == \
        pytest.approx(0.72**5, rel=REL)
    assert float(get("k1_step_range").evaluate(L=2.0, omega=3.0).value) == pytest.approx(0.25, rel=REL)  # 2/(2*4)
    assert {get(n).status for n in RESULTS} == {Status.D}
    for n in UNSOURCED:
        assert get(n).status == Status.U and get(n).statement is None


def test_exact_edges_match_the_classical_ones():
    # no delay: gamma* = 2/(L (1 + omega)); delay 1, no compression: x_{t+1} = x_t - gamma x_{t-1} is stable iff gamma < 1;
    # delay tau, no compression: gamma* = 2 sin(pi / (2 (2 tau + 1))) (0.618 at tau = 2)
    for w in (0.0, 1.0, 4.0):
        assert stability_edge(w, 0) == pytest.approx(2 / (1 + w), rel=1e-5)
    assert stability_edge(0.0, 1) == pytest.approx(1.0, rel=1e-5)
    for tau in (2, 3, 8):
        assert stability_edge(0.0, tau) == pytest.approx(2 * math.sin(math.pi / (2 * (2 * tau + 1))), rel=1e-5)
    # compression and random delays: monotone in omega
    assert stability_edge(4.0, 2, "iid") < stability_edge(1.0, 2, "iid") < stability_edge(0.0, 2, "iid")


def test_markov_transition_is_the_simulated_walk():
    P = markov_transition(3, 0.5)
    assert np.allclose(P.sum(axis=1), 1.0)
    assert P[0, 1] == pytest.approx(0.5) and P[0, 0] == pytest.approx(0.5) and P[3, 2] == pytest.approx(0.5)
    assert P[1, 0] == pytest.approx(0.25) and P[1, 2] == pytest.approx(0.25)


@pytest.mark.parametrize("delays", ["fixed", "iid", "markov"])
def test_monte_carlo_equals_the_exact_recursion(delays):
    prob = quadratic(N=1, d=6, L=1.0, mu=0.3, rotate=False, sigma=0.3, seed=0)
    algo = lambda: make_algorithm("delayed-cgd", {"up": "randk:k=2", "delay": 2, "delays": delays})   # noqa: E731
    ex = moments(prob, algo(), 0.15, 15)
    res = simulate(prob, algo(), n_runs=4000, n_iter=15, gamma=0.15, seed=1, progress=False)
    col = res["excess_loss"][:, 15]
    assert abs(col.mean() - ex["excess_loss"][15]) <= 5 * col.std(ddof=1) / math.sqrt(col.size)


def test_delays_and_bad_input():
    prob = quadratic(N=3, d=4, sigma=0.0, seed=0)
    res = simulate(prob, make_algorithm("delayed-cgd", {"delay": 0}), n_runs=64, n_iter=5, gamma=0.1, progress=False)
    ref = simulate(prob, make_algorithm("qsgd", {}), n_runs=64, n_iter=5, gamma=0.1, progress=False)
    np.testing.assert_allclose(res["dist2"], ref["dist2"], rtol=1e-12)          # delay 0 is QSGD
    assert np.all(res["staleness2"][:, 1:] == 0) and np.all(np.isnan(res["staleness2"][:, 0]))   # no delay, no gap
    with pytest.raises(BoundlabError, match="algorithm.delays must be one of"):
        make_algorithm("delayed-cgd", {"delays": "poisson"})
    with pytest.raises(BoundlabError, match="algorithm.delay .* must be an integer >= 0"):
        make_algorithm("delayed-cgd", {"delay": -1})
    with pytest.raises(BoundlabError, match="seed 002's step sizes are unsourced"):
        simulate(prob, make_algorithm("delayed-cgd", {}), n_runs=2, n_iter=2)


def test_operators_command_and_figures(tmp_path):
    from boundlab.cli import main
    out = tmp_path / "ops"
    out.mkdir()
    assert main(["operators", "--d", "10", "--spec", "natural", "--spec", "randk:k=2+natural", "--spec", "qsgd:s=1",
                 "--out", str(out)]) == 0
    assert (out / "operators.png").exists() and (out / "operators.csv").exists()
    import pandas as pd
    frame = pd.read_csv(out / "operators.csv")
    # qsgd s=1 at d = 10: the search finds the exact worst case sqrt(d) - 1 below the declared min(d, sqrt d)
    row = frame[frame.operator == "qsgd:s=1"].iloc[0]
    assert row.omega_numerical == pytest.approx(math.sqrt(10) - 1, rel=1e-3) and row.omega_declared >= row.omega_numerical
    assert not frame.below_floor.any()


def test_stale_edge_figure(tmp_path, monkeypatch):
    from boundlab.figures import stale_edge
    monkeypatch.setattr(stale_edge, "TAUS", (0, 2))
    paths, frame, _ = stale_edge.make(str(tmp_path), runs=8)
    fixed = frame[frame.delays == "fixed"]
    assert (fixed.onset >= fixed.gamma_star * (1 - 1e-9)).all()        # the typical run diverges after the edge
    assert set(frame.delays) == {"fixed", "iid", "markov"}
