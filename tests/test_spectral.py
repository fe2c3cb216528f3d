"""The exact stability edges' tools (boundlab.simulate.spectral) and the edges they find, against closed forms."""
import math

import numpy as np
import pytest

from boundlab.simulate.spectral import bracket_crossing, symmetric_part, symmetric_radius


def test_bracket_holds_the_root_and_is_narrow():
    calls = []

    def f(x):
        calls.append(x)
        return x * x - 2.0

    lo, hi = bracket_crossing(f, 1.0, 2.0, 1e-9)
    assert f(lo) < 0 <= f(hi) and hi <= lo * (1 + 1e-9) and lo <= math.sqrt(2) <= hi
    # bisection needs log2(log 2 / log(1 + 1e-9)) = 30 evaluations; false position on a smooth function far fewer
    assert len(calls) <= 12, len(calls)


def test_bracket_survives_a_jump_and_a_zero_lower_end():
    # a step function: false position cannot use its values; the bisection steps must still close the bracket
    jump = math.pi / 3
    lo, hi = bracket_crossing(lambda x: -1.0 if x < jump else 5.0, 0.0, 10.0, 1e-6)
    assert lo < jump <= hi and hi <= lo * (1 + 1e-6)
    with pytest.raises(ValueError, match="f\\(lo\\) < 0 <= f\\(hi\\)"):
        bracket_crossing(lambda x: 1.0, 1.0, 2.0, 1e-3)


def _whole_radius(T):
    return float(np.max(np.abs(np.linalg.eigvals(T))))


@pytest.mark.parametrize("delays", ["fixed", "iid", "markov"])
@pytest.mark.parametrize("tau", [1, 3])
def test_symmetric_part_has_the_whole_maps_radius(delays, tau):
    """The module docstring's argument, checked on the stale-gradient maps below, at and beyond their edge."""
    from boundlab.simulate.exact_delayed import _edge_operator
    for gamma in (0.05, 0.3, 0.9):
        T = _edge_operator(gamma, 1.0, tau, delays)
        assert symmetric_radius(T, tau + 1) == pytest.approx(_whole_radius(T), rel=1e-9)


def test_symmetric_part_of_the_gossip_map():
    from boundlab.simulate.exact_decentralized import gossip_operator
    from boundlab.simulate.graphs import make_graph
    for spec, n in (("ring", 6), ("torus", 9), ("star", 5)):
        W = make_graph(spec, n).W
        for omega in (0.0, 0.7, 1.8):
            T = gossip_operator(W, omega)
            assert symmetric_radius(T, n) == pytest.approx(_whole_radius(T), rel=1e-9)


def test_symmetric_part_is_a_restriction():
    """On a symmetric matrix, the restricted map gives the upper triangle of the whole map's image."""
    rng = np.random.default_rng(0)
    n = 4
    F = rng.standard_normal((n, n))
    T = np.kron(F, F)                                       # M -> F M F^T on row-major vec(M)
    M = rng.standard_normal((n, n))
    M = M + M.T
    i, j = np.triu_indices(n)
    assert np.allclose(symmetric_part(T, n) @ M[i, j], (F @ M @ F.T)[i, j])


def test_mean_square_edge_closed_form():
    """Compressed GD on a diagonal noiseless quadratic, one worker, a Bernoulli-p operator (omega = (1-p)/p):
    each coordinate's second moment is multiplied by 1 - 2 gamma lambda + gamma^2 (1 + omega) lambda^2 (E c^2 =
    1/p = 1 + omega), so the edge is gamma = 2 / ((1 + omega) L)."""
    from boundlab.simulate import make_algorithm, quadratic
    from boundlab.simulate.exact import mean_square_edge
    problem = quadratic(N=1, d=5, L=2.0, mu=0.5, sigma=0.0, rotate=False, w0=1.0, seed=0)
    omega = 3.0
    make = lambda: make_algorithm("qsgd", {"up": f"bernoulli:p={1 / (1 + omega)!r}"})  # noqa: E731
    edge = mean_square_edge(problem, make, 0.01, 10.0, rel=1e-4)
    assert edge == pytest.approx(2 / ((1 + omega) * 2.0), rel=1e-4)


def test_the_bracket_depends_on_signs_only():
    """Values a few ulps apart (another BLAS, another alignment) give the same bracket: the trial points are on
    bisection's lattice, so only the sign at the lattice point nearest the crossing could change it."""
    # (sqrt 3, not sqrt 2: sqrt 2 is itself a lattice point of [1, 2], where the noise decides the sign)
    exact = bracket_crossing(lambda x: x * x - 3.0, 1.0, 2.0, 1e-6)
    noisy = bracket_crossing(lambda x: (x * x - 3.0) * (1 + 1e-13) + 1e-15, 1.0, 2.0, 1e-6)
    assert exact == noisy
