"""boundlab.simulate.exact against the Monte-Carlo engine: the two implementations of every linear
algorithm check each other. Each record's Monte-Carlo mean (20,000 runs) must be within 5 standard
errors of its exact expectation at every checkpoint. With about 6,000 comparisons per run of this file
a 5-sigma band has a false-alarm probability below 0.4% (Bonferroni, normal tails), and a 1% error
in a covariance term is tens of standard errors at these sizes, so the test can fail."""
from __future__ import annotations

import time

import numpy as np
import pytest

from boundlab.errors import BoundlabError
from boundlab.simulate import make_algorithm, quadratic, simulate
from boundlab.simulate.exact import NotLinear, Program, exact

Z = 5.0
RUNS = 20_000
UP, DOWN = "randk:k=2", "randk:k=3"
CASES = [
    ("sgd", {}), ("qsgd", {"up": UP}), ("ecq-sgd", {"up": UP}), ("diana", {"up": UP}),
    ("artemis", {"up": UP, "down": "bernoulli:p=0.5"}), ("dore", {"up": UP, "down": "bernoulli:p=0.5"}),
    ("double-squeeze", {"up": UP, "down": "bernoulli:p=0.5"}), ("ghost", {"up": UP, "down": DOWN}),
    ("update-compression", {"up": UP, "down": DOWN}), ("mcm", {"up": UP, "down": DOWN}),
    ("mcm", {"up": UP, "down": DOWN, "uplink": "memory"}), ("mcm", {"up": UP, "down": DOWN, "memory_offset": 1.0}),
    ("model-compression", {"up": UP, "down": DOWN}), ("model-difference-compression", {"up": UP, "down": DOWN}),
    ("rand-mcm-g", {"up": UP, "down": DOWN, "G": 2}), ("rand-mcm", {"up": UP, "down": "bernoulli:p=0.6"}),
    ("rand-mcm-reset", {"up": UP, "down": DOWN, "reset_period": 3}),
]
PARTIAL = [("sgd", {"p": 0.3}), ("qsgd", {"up": UP, "p": 0.5}), ("mcm", {"up": UP, "down": DOWN, "p": 0.5}),
           ("rand-mcm", {"up": UP, "down": DOWN, "p": 0.6})]


def _agree(name, params, B2=0.0, gamma=0.05, K=10):
    prob = quadratic(N=4, d=5, L=1.0, mu=0.2, sigma=1.0, b=2, seed=3, B2=B2)
    ex = exact(prob, make_algorithm(name, dict(params)), n_iter=K, gamma=gamma)
    mc = simulate(prob, make_algorithm(name, dict(params)), n_runs=RUNS, n_iter=K, gamma=gamma, seed=1,
                  progress=False, allow_large_step=True)
    worst = 0.0
    for rec, e in ex.records.items():
        if rec in ("bits_up", "bits_down"):   # (not moments of the state: no exact value)
            continue
        x = mc[rec]
        for j in range(len(e)):
            if np.isnan(e[j]):
                assert np.all(np.isnan(x[:, j])), (name, rec, j)   # the same records exist on both sides
                continue
            m, se = x[:, j].mean(), x[:, j].std(ddof=1) / np.sqrt(RUNS)
            # deterministic at this checkpoint (k = 0...): equal up to the rounding of two float computations
            if abs(m - e[j]) <= 1e-9 * (1 + abs(e[j])):
                continue
            z = abs(m - e[j]) / se
            worst = max(worst, z)
            assert z <= Z, (name, params, rec, int(ex.k[j]), e[j], m, se)
    return worst


@pytest.mark.parametrize("name, params", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_monte_carlo_equals_exact_homogeneous(name, params):
    _agree(name, params)


@pytest.mark.parametrize("name, params", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_monte_carlo_equals_exact_heterogeneous(name, params):
    _agree(name, params, B2=1.0)


@pytest.mark.parametrize("name, params", PARTIAL, ids=[n for n, _ in PARTIAL])
@pytest.mark.parametrize("B2", [0.0, 1.0])
def test_monte_carlo_equals_exact_partial_participation(name, params, B2):
    _agree(name, params, B2=B2)


def test_a_wrong_covariance_is_caught():
    # Negative control: an exact model whose downlink mask covariance is 2% too large must disagree with
    # Monte Carlo somewhere (the test above would otherwise be powerless).
    prob = quadratic(N=4, d=5, L=1.0, mu=0.2, sigma=1.0, b=2, seed=3)
    prog = Program(prob, make_algorithm("mcm", {"up": UP, "down": DOWN}))
    prog.G_down = prog.G_down * 1.02
    ex = prog.run(10, gamma=0.3)
    mc = simulate(prob, make_algorithm("mcm", {"up": UP, "down": DOWN}), n_runs=200_000, n_iter=10, gamma=0.3,
                  seed=1, progress=False, allow_large_step=True)
    x = mc["local_gap2"][:, -1]
    z = (x.mean() - ex["local_gap2"][-1]) / (x.std(ddof=1) / np.sqrt(x.size))
    assert abs(z) > Z


def test_operators_that_are_not_masks_are_refused_in_one_line():
    prob = quadratic(N=2, d=4, seed=0)
    for params, what in (({"up": "qsgd:s=1"}, "algorithm.up"), ({"up": UP, "down": "qsgd:s=2"}, "algorithm.down")):
        with pytest.raises(NotLinear, match=what) as err:
            Program(prob, make_algorithm("mcm", params))
        assert "\n" not in str(err.value) and isinstance(err.value, BoundlabError)
    with pytest.raises(NotLinear, match="partial participation"):
        Program(prob, make_algorithm("diana", {"up": UP, "p": 0.5}))


def test_exchangeable_workers_keep_the_state_small_and_fast():
    # Homogeneous workers: one representative buffer and the mean, whatever N (or G); (N, d) = (20, 20),
    # K = 1000 in about a second for every algorithm (measured 0.4-0.9 s on the 2-core machine).
    prob = quadratic(N=20, d=20, sigma=1.0, seed=0)
    for name, params, blocks in (("mcm", {"up": "randk:k=5", "down": "randk:k=5"}, 5),
                                 ("rand-mcm", {"up": "randk:k=5", "down": "randk:k=5"}, 7),
                                 ("diana", {"up": "randk:k=5"}, 5)):
        prog = Program(prob, make_algorithm(name, params))
        assert prog.layout.D == blocks * 20
        t = time.perf_counter()
        prog.run(1000, checkpoints_spec=100)
        assert time.perf_counter() - t < 10  # generous: CI machines vary; the benchmark reports the real figure
