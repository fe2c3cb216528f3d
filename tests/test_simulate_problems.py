"""Problems: exact constants (L, mu, B^2, F_*, sigma^2) and the noise they promise.

Monte-Carlo checks use Z = 5 standard errors (two-sided normal tail 5.7e-7 per comparison, fewer
than 300 comparisons here: family-wise false-alarm rate < 2e-4).
"""
from __future__ import annotations

import numpy as np
import pytest

from boundlab.errors import BoundlabError
from boundlab.simulate import least_squares, quadratic
from boundlab.simulate.rng import RunRNG

Z = 5.0


def test_quadratic_constants_are_exact():
    prob = quadratic(N=6, d=7, L=3.0, mu=0.5, spectrum="geometric", B2=2.5, seed=1, w0=2.0)
    eig = np.linalg.eigvalsh(prob.A)
    np.testing.assert_allclose(eig, np.sort(3.0 * (0.5 / 3.0) ** (np.arange(7) / 6)), rtol=1e-12)
    assert (prob.L, prob.mu) == (3.0, 0.5)                         # the prescribed values, not estimates
    grads = np.array([prob.A @ (prob.w_star - c) for c in prob.centres])
    assert np.max(np.sum(grads ** 2, axis=1)) == pytest.approx(2.5, rel=1e-12)   # B^2 attained exactly
    np.testing.assert_allclose(grads.mean(axis=0), 0, atol=1e-12)                 # w* minimises F
    F = lambda w: np.mean([0.5 * (w - c) @ prob.A @ (w - c) for c in prob.centres])  # noqa: E731
    assert prob.F_star == pytest.approx(F(prob.w_star), rel=1e-12)
    w = np.random.default_rng(0).standard_normal(7)
    assert prob.excess_loss(w) == pytest.approx(F(w) - F(prob.w_star), rel=1e-10)
    assert np.linalg.norm(prob.w0 - prob.w_star) == pytest.approx(2.0)


def test_quadratic_mu_zero_and_homogeneous():
    prob = quadratic(N=3, d=5, L=1.0, mu=0.0, seed=0)
    assert prob.mu == 0.0 and prob.B2 == 0.0 and prob.F_star == 0.0 and prob.homogeneous


@pytest.mark.parametrize("noise", ["gaussian", "sphere"])
def test_additive_noise_has_exact_variance(noise):
    """E[g] = grad F_i and E||g - grad F_i||^2 = sigma^2 / b."""
    sigma, b, d, R = 1.7, 3, 5, 40_000
    prob = quadratic(N=2, d=d, sigma=sigma, b=b, noise=noise, B2=1.0, seed=2)
    x = np.tile(prob.w0, (R, 1))
    g = prob.stochastic_gradients(x, RunRNG(0, 0, R).noise)
    xi = g - prob.local_gradients(x)
    sq = np.sum(xi ** 2, axis=-1)                                   # (R, N)
    if noise == "sphere":
        np.testing.assert_allclose(sq, sigma ** 2 / b, rtol=1e-12)  # surely, up to rounding
    else:
        # ||xi||^2 = (sigma^2/(b d)) chi^2_d: variance 2 d (sigma^2/(b d))^2, exactly
        se = np.sqrt(2 * d) * sigma ** 2 / (b * d) / np.sqrt(R)
        assert np.all(np.abs(sq.mean(axis=0) - sigma ** 2 / b) <= Z * se)
    se_mean = np.sqrt(sigma ** 2 / (b * d) / R)                      # per-coordinate std of xi / sqrt(R)
    assert np.all(np.abs(xi.mean(axis=0)) <= Z * se_mean)


def _per_point_noise(prob, i: int, w: np.ndarray) -> float:
    """sigma_i^2(w) = E_j ||x_j (x_j^T w - y_j) - grad F_i(w)||^2 by brute force."""
    o, n = prob.offsets[i], prob.sizes[i]
    X, y = prob.X[o:o + n], prob.y[o:o + n]
    per = X * (X @ w - y)[:, None]
    return float(np.mean(np.sum((per - per.mean(axis=0)) ** 2, axis=1)))


def test_least_squares_constants_and_sigma_bound():
    prob = least_squares(N=3, n_per_worker=25, d=4, b=3, label_noise=0.3, w0=1.5, seed=5, split="non-iid")
    H = np.mean([prob.X[o:o + n].T @ prob.X[o:o + n] / n for o, n in zip(prob.offsets, prob.sizes)], axis=0)
    eig = np.linalg.eigvalsh(H)
    assert prob.L == pytest.approx(eig[-1], rel=1e-10) and prob.mu == pytest.approx(eig[0], rel=1e-8)
    w = np.random.default_rng(1).standard_normal(4)
    gF = prob.full_gradient(w)
    direct = np.mean([prob.X[o:o + n].T @ (prob.X[o:o + n] @ w - prob.y[o:o + n]) / n
                      for o, n in zip(prob.offsets, prob.sizes)], axis=0)
    np.testing.assert_allclose(gF, direct, rtol=1e-10, atol=1e-12)
    local = prob.local_gradients(prob.w_star[None])[0]
    assert prob.B2 == pytest.approx(np.max(np.sum(local ** 2, axis=1)), rel=1e-10)
    # sigma^2 bounds sigma_i^2(w) everywhere on the ball of radius rho (checked on its sphere,
    # where a convex quadratic is largest along each ray, and inside)
    rng = np.random.default_rng(2)
    rho = prob.sigma2_radius
    assert rho == pytest.approx(1.5 * 2.0)
    for _ in range(300):
        u = rng.standard_normal(4)
        u *= rho / np.linalg.norm(u) * rng.choice([1.0, rng.uniform()])
        for i in range(3):
            assert _per_point_noise(prob, i, prob.w_star + u) <= prob.sigma2 * (1 + 1e-12)
    assert max(_per_point_noise(prob, i, prob.w_star) for i in range(3)) == pytest.approx(prob.sigma2_at_optimum)


def test_least_squares_minibatch_noise_is_sigma_i_over_b():
    """Sampling with replacement: E[g] = grad F_i(w) and E||g - grad F_i(w)||^2 = sigma_i^2(w)/b."""
    prob = least_squares(N=2, n_per_worker=15, d=3, b=4, label_noise=0.5, w0=1.0, seed=3)
    R = 40_000
    x = np.tile(prob.w0, (R, 1))
    g = prob.stochastic_gradients(x, RunRNG(1, 0, R).noise)
    dev = g - prob.local_gradients(x)
    sq = np.sum(dev ** 2, axis=-1)
    for i in range(2):
        se = sq[:, i].std(ddof=1) / np.sqrt(R)
        assert abs(sq[:, i].mean() - _per_point_noise(prob, i, prob.w0) / 4) <= Z * se
        se_g = dev[:, i].std(axis=0, ddof=1) / np.sqrt(R)
        assert np.all(np.abs(dev[:, i].mean(axis=0)) <= Z * se_g)


def test_synthetic_generator_design():
    prob = least_squares(N=10, n_per_worker=400, d=6, seed=0)
    X = prob.X
    assert np.all(X[:, -1] == 1.0)                                  # the constant column
    C = np.corrcoef(X[:, :-1].T)
    # standard error of a sample correlation ~ (1 - rho^2)/sqrt(n) <= 1/sqrt(4000) = 0.016
    target = 0.6 ** np.abs(np.subtract.outer(np.arange(5), np.arange(5)))
    assert np.max(np.abs(C - target)) <= Z * 0.016
    assert prob.F_star < 1e-20                                      # noiseless: interpolation


def test_diabetes_split():
    pytest.importorskip("sklearn")
    prob = least_squares(data="diabetes", N=8, split="non-iid", seed=0)
    assert prob.d == 10 and prob.sizes.sum() == 442
    tops = [prob.y[o:o + n].max() for o, n in zip(prob.offsets, prob.sizes)]
    bottoms = [prob.y[o:o + n].min() for o, n in zip(prob.offsets, prob.sizes)]
    assert all(t <= b for t, b in zip(tops[:-1], bottoms[1:]))      # label quantiles per worker
    assert prob.B2 > 0 and np.isfinite(prob.sigma2)
    iid = least_squares(data="diabetes", N=8, split="iid", seed=0)
    assert iid.B2 < prob.B2


def test_bad_problem_inputs(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,y\n1,2,3\n4,nan,6\n7,8,9\n")
    cases = [
        (lambda: quadratic(N=0), "problem.N (number of workers) must be an integer >= 1"),
        (lambda: quadratic(sigma=-1.0), "problem.sigma must be a finite number >= 0"),
        (lambda: quadratic(L=1.0, mu=2.0), "0 <= mu <= L"),
        (lambda: quadratic(d=3, eigenvalues=[1.0, 2.0]), "d=3 numbers"),
        (lambda: quadratic(N=1, B2=1.0), "B2 must be 0 with N = 1"),
        (lambda: quadratic(mu=0.0, spectrum="geometric"), "mu must be > 0 for a geometric"),
        (lambda: least_squares(data=f"file:{bad}", N=2), "missing or non-finite value"),
        (lambda: least_squares(data="mnist"), "problem.data must be"),
        (lambda: least_squares(N=5, n_per_worker=2, split="random"), "problem.split must be"),
    ]
    for make, message in cases:
        with pytest.raises(BoundlabError) as err:
            make()
        assert message in str(err.value) and "\n" not in str(err.value), str(err.value)


def test_file_data(tmp_path):
    good = tmp_path / "good.csv"
    rng = np.random.default_rng(0)
    arr = rng.standard_normal((30, 4))
    np.savetxt(good, arr, delimiter=",", header="a,b,c,y", comments="")
    prob = least_squares(data=f"file:{good}", N=3, split="iid", seed=0)
    assert prob.d == 3 and prob.sizes.sum() == 30


def test_w0_distance_is_to_the_closest_minimiser_when_mu_is_zero():
    prob = quadratic(N=2, d=6, L=1.0, eigenvalues=[1.0, 0.5, 0.2, 0.0, 0.0, 0.0], seed=3, w0=2.0)
    u = prob.w0 - prob.w_star
    assert np.linalg.norm(u) == pytest.approx(2.0)
    # w0 - w* has no component in ker A: projecting w0 on the minimisers w* + ker A gives w*
    eig, vec = np.linalg.eigh(prob.A)
    np.testing.assert_allclose(vec[:, eig < 1e-9].T @ u, 0.0, atol=1e-12)
