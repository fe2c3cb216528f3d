"""Decentralized training (seed 001): graphs and their spectra, the algorithms in the engine, the exact moment
recursion, the gossip thresholds, bits per edge, the command line and figure 6."""
from __future__ import annotations

import numpy as np
import pytest

from boundlab.errors import BoundlabError
from boundlab.simulate import make_algorithm, quadratic, simulate
from boundlab.simulate.exact_decentralized import gossip_threshold, moments, threshold_table
from boundlab.simulate.graphs import make_graph, validate

# THEORY-SEEDS.md §2: (rho_c, gap, beta) of the rings (weights 1/3), tori (1/5) and the complete graph, by hand
# from lambda_j = 1/3 + 2/3 cos(2 pi j/n) and lambda_ab = (1 + 2 cos(2 pi a/m) + 2 cos(2 pi b/m))/5.
SPECTRA = [("ring", 4, 1 / 3, 4 / 3), ("ring", 5, 0.5393, 1.2060), ("ring", 8, 0.8047, 4 / 3),
           ("ring", 16, 0.9493, 4 / 3), ("torus", 9, 0.4, 1.2), ("torus", 16, 0.6, 1.6), ("torus", 36, 0.8, 1.6),
           ("complete", 6, 0.0, 1.0)]


@pytest.mark.parametrize("spec, n, rho, beta", SPECTRA)
def test_spectra_of_the_graphs_of_the_sheet(spec, n, rho, beta):
    g = make_graph(spec, n)
    # 5e-5: the sheet prints 4 decimals for the irrational values; the rational ones agree to rounding
    assert g.rho_contraction == pytest.approx(rho, abs=5e-5)
    assert g.spectral_gap == pytest.approx(1 - rho, abs=5e-5)
    assert g.beta == pytest.approx(beta, abs=5e-5)


def test_weights_validation_and_random_graphs(tmp_path):
    assert np.allclose(make_graph("ring", 5).W[0, [0, 1, 4]], 1 / 3)            # Metropolis on a ring: 1/3
    assert np.allclose(make_graph("star", 4, "uniform").W[1, [0, 1]], [0.25, 0.75])
    with pytest.raises(BoundlabError, match=r"torus' needs n = m\^2 nodes with m >= 3"):
        make_graph("torus", 4)                                                     # m = 2: refused (the sheet)
    with pytest.raises(BoundlabError, match="needs n >= 3"):
        make_graph("ring", 2)
    for bad, message in ((np.array([[0.5, 0.5], [0.2, 0.8]]), "symmetric"), (np.eye(2) * 0.9, "doubly stochastic"),
                         (np.eye(3), "not connected"), (np.array([[0.0, 1.0], [1.0, 0.0]]), "eigenvalue -1")):
        with pytest.raises(BoundlabError, match=message):
            validate(bad)
    path = tmp_path / "W.txt"
    np.savetxt(path, make_graph("ring", 6).W)
    assert np.allclose(make_graph(f"file:{path}", 6).W, make_graph("ring", 6).W)
    with pytest.raises(BoundlabError, match="has 6 nodes but problem.N = 5"):
        make_graph(f"file:{path}", 5)
    a, b = make_graph("erdos-renyi:p=0.3,seed=4", 12), make_graph("erdos-renyi:p=0.3,seed=4", 12)
    assert np.array_equal(a.W, b.W) and a.rho_contraction < 1
    assert make_graph("geometric:radius=0.6,seed=1", 10).rho_contraction < 1


def test_exact_thresholds_against_the_sheet_and_the_sufficient_condition():
    # THEORY-SEEDS.md D5 (bisection on the spectral radius): rings 1.333, 1.375, 1.366, 1.366
    rows = threshold_table([("ring", 4), ("ring", 5), ("ring", 8), ("ring", 16), ("torus", 9), ("torus", 16)])
    stars = [r["omega_star"] for r in rows]
    assert stars[:4] == pytest.approx([4 / 3, 1.375, 1.366, 1.366], abs=1e-3)
    assert all(r["sufficient_D"] < r["omega_star"] for r in rows)                 # sufficient, and conservative
    assert gossip_threshold(make_graph("complete", 8).W) == pytest.approx(8 / 7, rel=1e-4)


def test_dcd_monte_carlo_equals_the_exact_recursion():
    """D4 on THEORY-SEEDS.md's setting, smaller: Monte Carlo within 5 standard errors of the exact moments."""
    prob = quadratic(N=5, d=4, L=2.0, mu=0.5, B2=1.0, sigma=0.4, rotate=False, seed=3)
    algo = lambda: make_algorithm("dcd-psgd", {"compressor": "randk:k=3"})     # noqa: E731
    ex = moments(prob, algo(), 0.1, 10)
    res = simulate(prob, algo(), n_runs=3000, n_iter=10, gamma=0.1, seed=1, progress=False)
    for rec in ("consensus2", "dist2"):
        col = res[rec][:, 10]
        assert abs(col.mean() - ex[rec][10]) <= 5 * col.std(ddof=1) / np.sqrt(col.size), rec


def test_replicas_and_bits_per_edge():
    prob = quadratic(N=5, d=4, B2=1.0, seed=0)
    res = simulate(prob, make_algorithm("dcd-psgd", {"compressor": "randk:k=2"}), n_runs=64, n_iter=6, gamma=0.1,
                   progress=False)
    assert np.all(res["replica_gap2"] == 0.0)                                     # D1, to the last bit
    # rand-2 at d = 4: 2 x (32 + 2) bits per message, sent to 2 neighbours by each of 5 nodes, 6 iterations
    assert np.all(res["bits_up"][:, -1] == 6 * 5 * 2 * 2 * 34)
    plain = simulate(prob, make_algorithm("d-psgd", {"graph": "complete"}), n_runs=64, n_iter=3, gamma=0.1,
                     progress=False)
    assert np.all(plain["bits_up"][:, -1] == 3 * 5 * 4 * 32 * 4)                  # 4 neighbours, 32 d bits


def test_gossip_at_gamma_zero_and_bad_input():
    prob = quadratic(N=8, d=3, B2=1.0, sigma=0.0, seed=0)
    res = simulate(prob, make_algorithm("dcd-psgd", {"compressor": "bernoulli:p=0.5", "init_spread": 1.0}),
                   n_runs=64, n_iter=30, gamma=0.0, progress=False)
    assert res["consensus2"][:, -1].mean() < 0.05 * res["consensus2"][:, 0].mean()   # omega = 1 < omega* = 1.37
    with pytest.raises(BoundlabError, match="no theoretical step size for 'dcd-psgd': the papers' step-size rules"):
        simulate(prob, make_algorithm("dcd-psgd", {}), n_runs=2, n_iter=2)
    with pytest.raises(BoundlabError, match="gamma must be a finite number > 0 or 'theory'"):
        simulate(prob, make_algorithm("mcm", {}), n_runs=2, n_iter=2, gamma=0.0)
    with pytest.raises(BoundlabError, match="algorithm.compressor: 'dither:step=0.5' has no omega"):
        simulate(prob, make_algorithm("dcd-psgd", {"compressor": "dither:step=0.5"}), n_runs=2, n_iter=2, gamma=0.1)
    with pytest.raises(BoundlabError, match="algorithm.compressor: 'topk:k=1' is biased"):
        simulate(prob, make_algorithm("naive-gossip", {"compressor": "topk:k=1"}), n_runs=2, n_iter=2, gamma=0.1)
    with pytest.raises(BoundlabError, match="algorithm.order must be"):
        make_algorithm("d-psgd", {"order": "both"})


def test_figure_6(tmp_path):
    from boundlab.figures.decentralized import Settings, make
    paths, frame, meta = make(Settings(runs=4, iterations=20), str(tmp_path))
    assert all((tmp_path / p.rsplit("/", 1)[1]).exists() for p in paths)
    assert set(frame.panel) == {"runs", "gossip", "threshold", "rate"}
    assert {t["graph"] for t in meta["thresholds"]} >= {"ring", "torus"}
