"""Contract tests generated for every registered compression operator (boundlab.testing's battery), plus the
spec grammar.

Statistical tests use M independent draws and boundlab.testing's z-score bound Z = 5: a two-sided normal
tail P(|Z| > 5) = 5.7e-7 per tested coordinate; over the < 2,000 coordinates tested in this file
the family-wise false-alarm rate is below 1.2e-3 (Bonferroni). The seeds are fixed, so a pass is
reproducible; the rate says how unlucky a seed would have to be to fail a correct operator.
"""
from __future__ import annotations

import numpy as np
import pytest

from boundlab.errors import BoundlabError
from boundlab.simulate.compressors import COMPRESSORS, Compressor, index_bits, make_compressor
from boundlab.testing import operator_contract

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


SPECS = [spec for name in COMPRESSORS.names() for spec in COMPRESSORS.examples[name]]
BIASED = [s for s in SPECS if not make_compressor(s).unbiased]

# The contract battery of boundlab.testing (the one a plug-in's operators get): unbiasedness, omega against the
# closed form and Monte Carlo, bits, determinism and batch invariance, shapes; contraction for biased operators.
# compositions (THEORY-SEEDS.md 6.2): a sparsifier then a quantizer, and two masks (tight: omega is then exact)
COMPOSED = ["randk:k=10+natural", "bernoulli:p=0.5+randk:k=10"]
test_operator_contract = operator_contract(*SPECS, *COMPOSED, d=D, draws=M)


def test_composition_omega_and_mask():
    op = make_compressor("bernoulli:p=0.5+randk:k=10")
    # (1 + 1)(1 + (20/10 - 1)) - 1 = 3, attained: both parts attain A1 with equality
    assert op.omega(D) == pytest.approx(3.0) and op.tight and op.unbiased
    x = np.random.default_rng(4).standard_normal(D)
    assert op.variance(x[None])[0] == pytest.approx(3.0 * x @ x, rel=1e-12)
    nat = make_compressor("randk:k=10+natural")
    assert nat.omega(D) == pytest.approx(2 * 1.125 - 1) and not nat.tight
    assert nat.expected_bits(D) == 10 * index_bits(D) + 9 * 10       # k indices + 9 bits per kept value


@pytest.mark.parametrize("spec", BIASED)
def test_biased_operators_are_biased(spec):
    """The mean of C(x) misses x on a generic vector (top-k is deterministic: C(x) != x)."""
    op = make_compressor(spec)
    x = np.random.default_rng(123).standard_normal(D)
    y, _ = op.compress(np.tile(x, (M, 1)), np.random.default_rng(7))
    assert np.max(np.abs(y.mean(axis=0) - x)) > 1e-3


def test_the_battery_sees_a_misstated_omega():
    """Negative control of the battery: an operator declaring half its omega fails the omega item."""
    from boundlab.testing import operator_omega
    op = make_compressor("randk:k=5")
    op.omega = lambda d: 0.5 * (d / 5 - 1)
    with pytest.raises(AssertionError):
        operator_omega(op, D)


def test_the_battery_sees_a_biased_operator_and_wrong_bits():
    from boundlab.testing import operator_bits, operator_unbiased
    op = make_compressor("bernoulli:p=0.5")
    op.compress = (lambda f: (lambda x, rng: (f(x, rng)[0] * 1.1, 0.0)))(op.compress)
    with pytest.raises(AssertionError):
        operator_unbiased(op, D)
    op = make_compressor("randk:k=5")   # counts no bits for its messages, against expected_bits = 5 x 37
    op.compress = (lambda f: (lambda x, rng: (f(x, rng)[0], 0.0)))(op.compress)
    with pytest.raises(AssertionError):
        operator_bits(op, D)


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


def test_the_battery_sees_a_worst_case_above_the_declared_omega_and_bits_below_the_floor():
    from boundlab.testing import operator_floor, operator_worst_case
    op = make_compressor("randk:k=5")
    op.omega = lambda d: 0.5 * (d / 5 - 1)                  # half the truth: the search finds d/k - 1
    with pytest.raises(AssertionError, match="worst case found above"):
        operator_worst_case(op, D)
    op = make_compressor("qsgd:s=1")
    op.max_bits = lambda d: 1.0                            # 1 bit for 20 coordinates: floor 1/(4^0.05 - 1) = 13.9
    with pytest.raises(AssertionError, match="below the bits floor"):
        operator_floor(op, D)


def test_natural_operators_quantize():
    """Natural compression sends signed powers of two; natural dithering levels of the norm in {0, 2^(1-s)..1}
    (a public implementation returns its input unquantized: THEORY-SEEDS.md 6.3)."""
    x = np.random.default_rng(2).standard_normal((64, D))
    y, _ = make_compressor("natural").compress(x, np.random.default_rng(3))
    mags = np.abs(y[y != 0])
    assert np.allclose(np.log2(mags), np.round(np.log2(mags)))
    y, _ = make_compressor("natural-dither:s=3").compress(x, np.random.default_rng(3))
    levels = np.abs(y) / np.linalg.norm(x, axis=1, keepdims=True)
    assert set(np.round(np.unique(levels), 12)) <= {0.0, 0.25, 0.5, 1.0}
    assert not np.allclose(y, x)
