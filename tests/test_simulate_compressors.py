"""Contract tests generated for every registered compression operator, plus the spec grammar.

Statistical tests use M independent draws and a z-score bound. Z = 5: a two-sided normal
tail P(|Z| > 5) = 5.7e-7 per tested coordinate; over the < 2,000 coordinates tested in this file
the family-wise false-alarm rate is below 1.2e-3 (Bonferroni). The seeds are fixed, so a pass is
reproducible; the rate says how unlucky a seed would have to be to fail a correct operator.
"""
from __future__ import annotations

import numpy as np
import pytest

from boundlab.errors import BoundlabError
from boundlab.simulate.compressors import COMPRESSORS, Compressor, make_compressor

Z = 5.0
M = 20_000          # draws per Monte-Carlo check
D = 20


# A user's own operator, registered through the public interface: the generated tests below pick
# it up like the built-in ones (this is the documented way to add an operator).
@COMPRESSORS.register("test-whole-vector", examples=("test-whole-vector:p=0.3",))
class WholeVectorBernoulli(Compressor):
    """Keep the whole vector w.p. p (scaled by 1/p), else send nothing. omega = (1-p)/p, tight."""

    tight = True
    encoding = "1 bit + d 32-bit floats when kept"

    def __init__(self, p: float = 0.5) -> None:
        self.p = float(p)

    @property
    def params(self):
        return {"p": self.p}

    def omega(self, d):
        return (1 - self.p) / self.p

    def compress(self, x, rng):
        keep = rng.random(x.shape[:-1] + (1,)) < self.p
        return np.where(keep, x / self.p, 0.0), 1.0 + 32.0 * x.shape[-1] * keep[..., 0]

    def coord_variance(self, x):
        return x * x * (1 - self.p) / self.p

    def expected_bits(self, d):
        return 1.0 + 32.0 * d * self.p


def _vectors(d: int = D) -> list[np.ndarray]:
    """Test points: generic, extreme (a basis vector, a constant vector), multi-scale with zeros."""
    rng = np.random.default_rng(123)
    e1 = np.zeros(d)
    e1[0] = 3.0
    multi = rng.standard_normal(d) * np.logspace(-3, 1, d)
    multi[::5] = 0.0
    return [rng.standard_normal(d), e1, np.full(d, -0.7), multi]


SPECS = [spec for name in COMPRESSORS.names() for spec in COMPRESSORS.examples[name]]
UNBIASED = [s for s in SPECS if make_compressor(s).unbiased]
BIASED = [s for s in SPECS if not make_compressor(s).unbiased]


def _draws(op: Compressor, x: np.ndarray, seed: int = 7) -> np.ndarray:
    y, _ = op.compress(np.tile(x, (M, 1)), np.random.default_rng(seed))
    return y


@pytest.mark.parametrize("spec", UNBIASED)
def test_unbiased(spec):
    """E[C(x)] = x, coordinate by coordinate, within Z standard errors."""
    op = make_compressor(spec)
    for x in _vectors():
        y = _draws(op, x)
        cv = op.coord_variance(x)
        # standard error of the mean of M draws: exact variance when known, else the sample's
        se = np.sqrt((cv if cv is not None else y.var(axis=0, ddof=1)) / M)
        err = np.abs(y.mean(axis=0) - x)
        # coordinates with zero variance must be exact up to rounding of the d/k or 1/p scaling
        assert np.all(err <= Z * se + 1e-12 * (1 + np.abs(x))), (spec, x, err / np.maximum(se, 1e-300))


@pytest.mark.parametrize("spec", UNBIASED)
def test_omega_against_exact_variance(spec):
    """E||C(x) - x||^2 <= omega ||x||^2 from the exact variance, equality for tight operators,
    and the exact variance matches a Monte-Carlo estimate."""
    op = make_compressor(spec)
    omega = op.omega(D)
    assert omega >= 0
    rng = np.random.default_rng(5)
    xs = np.vstack(_vectors() + [rng.standard_normal((300, D)) * rng.exponential(size=(300, 1)),
                                 rng.standard_normal((300, D)) ** 3])
    var = op.variance(xs)
    nrm2 = np.sum(xs ** 2, axis=1)
    if var is None:
        pytest.skip(f"{spec} has no exact variance: covered by the Monte-Carlo bound below")
    # 1e-12 relative: rounding in the closed forms
    assert np.all(var <= omega * nrm2 * (1 + 1e-12) + 1e-300), spec
    if op.tight:
        np.testing.assert_allclose(var, omega * nrm2, rtol=1e-12, err_msg=spec)
    for x in _vectors():
        sq = np.sum((_draws(op, x, seed=11) - x) ** 2, axis=1)
        se = sq.std(ddof=1) / np.sqrt(M)       # standard error of the Monte-Carlo mean
        assert abs(sq.mean() - op.variance(x[None])[0]) <= Z * se + 1e-12, (spec, x)


@pytest.mark.parametrize("spec", UNBIASED)
def test_omega_monte_carlo(spec):
    """Whatever the closed form: the Monte-Carlo E||C(x)-x||^2 is at most omega ||x||^2 (+ Z se)."""
    op = make_compressor(spec)
    for x in _vectors():
        sq = np.sum((_draws(op, x, seed=13) - x) ** 2, axis=1)
        se = sq.std(ddof=1) / np.sqrt(M)
        assert sq.mean() <= op.omega(D) * np.sum(x * x) + Z * se + 1e-12, (spec, x)


@pytest.mark.parametrize("spec", BIASED)
def test_biased_contraction(spec):
    """||C(x) - x||^2 <= q ||x||^2 for every draw; and the operator is indeed biased (no omega)."""
    op = make_compressor(spec)
    q = op.contraction(D)
    assert 0 <= q < 1
    rng = np.random.default_rng(3)
    xs = np.vstack(_vectors() + [rng.standard_normal((500, D))])
    y, _ = op.compress(xs, rng)
    # 1e-12 relative: rounding
    assert np.all(np.sum((y - xs) ** 2, axis=1) <= q * np.sum(xs ** 2, axis=1) * (1 + 1e-12))
    with pytest.raises(BoundlabError):
        op.omega(D)
    # biased: the mean of C(x) misses x on a generic vector (top-k is deterministic: C(x) != x)
    x = _vectors()[0]
    assert np.max(np.abs(_draws(op, x).mean(axis=0) - x)) > 1e-3


@pytest.mark.parametrize("spec", SPECS)
def test_shapes_bits_and_draw_independence(spec):
    """Output shape, non-negative bits, and independent draws for each (run, worker) row."""
    op = make_compressor(spec)
    x = np.tile(_vectors()[0], (3, 4, 1))
    y, bits = op.compress(x, np.random.default_rng(0))
    assert y.shape == x.shape
    assert np.all(np.broadcast_to(bits, x.shape[:-1]) >= 0)
    assert op.expected_bits(D) > 0
    if op.unbiased and op.omega(D) > 0:
        # identical inputs, 12 rows: with independent draws not all rows can agree
        flat = y.reshape(12, D)
        assert not np.all(flat == flat[0])


def test_randk_with_k_equal_d_is_identity():
    x = np.random.default_rng(0).standard_normal((50, 7, D))
    y, _ = make_compressor(f"randk:k={D}").compress(x, np.random.default_rng(1))
    assert np.array_equal(y, x)
    assert make_compressor(f"randk:k={D}").omega(D) == 0


def test_quantization_closed_forms():
    """omega values from their formulas (THEORY.md §5)."""
    assert make_compressor("qsgd:s=1").omega(20) == pytest.approx(np.sqrt(20))          # min(20, sqrt 20)
    assert make_compressor("qsgd:s=10").omega(20) == pytest.approx(0.2)                 # min(20/100, sqrt20/10)
    assert make_compressor("qsgd:s=1,norm=linf").omega(20) == pytest.approx(np.sqrt(20))  # min(5, sqrt 20)
    assert make_compressor("qsgd:s=3,norm=linf").omega(20) == pytest.approx(20 / 36)      # min(20/36, sqrt20/3)
    assert make_compressor("qsgd:s=1,bucket=4").omega(20) == pytest.approx(2.0)          # min(4, sqrt 4)
    assert make_compressor("randk:k=5").omega(20) == 3.0
    assert make_compressor("bernoulli:p=0.25").omega(20) == 3.0
    # bits: one bucket, s = 1: 32 + 20 (1 sign + 1 level bit) = 72
    assert make_compressor("qsgd:s=1").expected_bits(20) == 32 + 20 * 2
    # rand-k, k = 5, d = 20: 5 x (32 + 5)
    assert make_compressor("randk:k=5").expected_bits(20) == 5 * 37


@pytest.mark.parametrize("spec, message", [
    ("qsdg:s=1", "did you mean 'qsgd'"),
    ("randk:q=2", "'q' is not a parameter"),
    ("qsgd:s=0", "s (number of levels) must be an integer >= 1"),
    ("qsgd:s=0.5", "must be an integer >= 1"),
    ("bernoulli:p=0", "p must be in (0, 1]"),
    ("bernoulli:p=1.5", "p must be in (0, 1]"),
    ("qsgd:s=1,norm=l1", "norm must be 'l2' or 'linf'"),
    ("randk:k", "not of the form key=value"),
])
def test_bad_specs(spec, message):
    with pytest.raises(BoundlabError) as err:
        make_compressor(spec, "algorithm.up")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_k_above_d():
    with pytest.raises(BoundlabError, match=r"k must be in \[1, d=20\]"):
        make_compressor("randk:k=21").check_dimension(20)
    with pytest.raises(BoundlabError, match=r"k must be in \[1, d=20\]"):
        make_compressor("topk:k=21").check_dimension(20)
