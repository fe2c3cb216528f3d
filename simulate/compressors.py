r"""Compression operators (THEORY.md §5), vectorised over any leading axes, and their registry.

Interface (:class:`Compressor`), small enough to implement in a few lines:

- ``compress(x, rng) -> (y, bits)``: ``x`` has shape ``(..., d)`` (runs first, then workers);
  ``rng`` offers ``random(size)`` / ``standard_normal(size)`` like a numpy ``Generator`` (one
  independent draw per vector: per worker and per run); ``bits`` is the size of each message,
  a float or an array of shape ``x.shape[:-1]``. ``y`` is a new array (``x`` is never modified)
  except that the identity may return ``x`` itself: callers never write into ``y``.
- ``unbiased`` (class flag). Unbiased operators give ``omega(d)`` with
  :math:`\mathbb E\|\mathcal C(x)-x\|^2\le\omega\|x\|^2`; biased ones give ``contraction(d)``,
  the :math:`q<1` of :math:`\|\mathcal C(x)-x\|^2\le q\|x\|^2`, and have no omega.
- ``coord_variance(x)``: the exact :math:`\mathbb E(\mathcal C(x)_j-x_j)^2` where a closed form
  exists (``None`` otherwise); ``variance(x)`` is its sum, :math:`\mathbb E\|\mathcal C(x)-x\|^2`.
- ``tight``: True when :math:`\mathbb E\|\mathcal C(x)-x\|^2=\omega\|x\|^2` for every ``x``.
- ``check_dimension(d)``: raise a one-line error if the operator cannot act on dimension ``d``.

Register a new operator with ``@COMPRESSORS.register("name", examples=("name:a=1",))`` on the
class; its keyword arguments become the spec keys (``name:a=1``). Every registered operator is
picked up by ``tests/test_simulate_compressors.py`` (unbiasedness, omega against the exact
variance, contraction for biased ones) without anyone writing a test.

Bit costs use a stated fixed-length encoding (no entropy coding): a real number is a 32-bit
float, an index among ``d`` takes ``ceil(log2 d)`` bits.
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import ClassVar

import numpy as np

from boundlab.errors import BoundlabError
from boundlab.simulate.kernels import OP_BERNOULLI, OP_IDENTITY, OP_QSGD, OP_RANDK, RANDK_KERNEL_MAX_D
from boundlab.simulate.registry import Registry, parse_spec

FLOAT_BITS = 32


def index_bits(d: int) -> int:
    """Bits of one index among ``d`` coordinates: ``ceil(log2 d)`` (0 when d = 1)."""
    return max(0, math.ceil(math.log2(d))) if d > 1 else 0


@lru_cache(maxsize=None)
def _theory_value(name: str, **kw: float) -> float:
    from boundlab.theory import get
    return float(get(name).evaluate(**kw).value)


class Compressor:
    """Base class of a compression operator (see the module docstring for the interface)."""

    name: ClassVar[str] = ""
    unbiased: ClassVar[bool] = True
    #: the error scales with the input (A1: a class U(omega)); False for an absolute error (subtractive dither)
    relative: ClassVar[bool] = True
    tight: ClassVar[bool] = False
    encoding: ClassVar[str] = ""

    def check_dimension(self, d: int) -> None:
        """Raise :class:`BoundlabError` if the operator is not defined in dimension ``d``."""

    def omega(self, d: int) -> float:
        """omega of A1 in dimension ``d`` (unbiased operators only)."""
        raise BoundlabError(f"compressor '{self.spec}' is biased: it has no omega (use contraction)")

    def contraction(self, d: int) -> float:
        """q with ||C(x) - x||^2 <= q ||x||^2 surely (biased operators)."""
        raise BoundlabError(f"compressor '{self.spec}' has no contraction factor")

    def compress(self, x: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray | float]:
        raise NotImplementedError

    def compress_owned(self, x: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray | float]:
        """:meth:`compress` for a caller that no longer needs ``x``: the operator may overwrite it
        (and return it) to save a pass over memory. Same numbers as :meth:`compress`; the default
        is :meth:`compress` itself."""
        return self.compress(x, rng)

    def coord_variance(self, x: np.ndarray) -> np.ndarray | None:
        """Exact E(C(x)_j - x_j)^2, shape of ``x``; ``None`` if there is no closed form."""
        return None

    def mask_covariance(self, d: int) -> np.ndarray | None:
        r"""For a *random mask* :math:`\mathcal C(z)=Dz` (D random diagonal, drawn independently of z, with
        :math:`\mathbb ED=I`): :math:`\Gamma={\rm Cov}({\rm diag}\,D)`, so that the error's covariance is
        :math:`\Gamma\odot zz^\top` (THEORY-SEEDS.md 3.1). None for operators that are not masks (quantization,
        top-k): ``boundlab.simulate.exact`` cannot propagate them."""
        return None

    def variance(self, x: np.ndarray) -> np.ndarray | None:
        """Exact E||C(x) - x||^2, shape ``x.shape[:-1]``; ``None`` if there is no closed form."""
        cv = self.coord_variance(x)
        return None if cv is None else cv.sum(axis=-1)

    def kernel(self, d: int) -> "tuple[int, tuple[float, ...]] | None":
        """(code, parameters) of this operator in the fused uplink kernel (boundlab.simulate._fused), or None
        (the default: the engine then calls :meth:`compress`). Only an operator whose rule the kernel
        reproduces exactly, draws included, may return one (tests/test_simulate_kernels.py checks each)."""
        return None

    def expected_bits(self, d: int) -> float:
        """Expected bits of one message in dimension ``d`` (the encoding is in ``encoding``)."""
        raise NotImplementedError

    def max_bits(self, d: int) -> float:
        """The longest message in dimension ``d`` (= ``expected_bits`` for a fixed-length encoding)."""
        return self.expected_bits(d)

    @property
    def params(self) -> dict:
        return {}

    @property
    def spec(self) -> str:
        p = ",".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.name}:{p}" if p else self.name

    def __repr__(self) -> str:
        return f"<compressor {self.spec}>"


COMPRESSORS: Registry[Compressor] = Registry("compressor")


def make_compressor(spec: "str | Compressor", what: str = "compressor") -> Compressor:
    """A compressor from a spec string (``"qsgd:s=1"``; ``"randk:k=5+natural"``: a composition, applied left to right)
    or an existing instance."""
    if isinstance(spec, Compressor):
        return spec
    if isinstance(spec, str) and "+" in spec:
        return Composed([make_compressor(part, what) for part in spec.split("+")])
    name, params = parse_spec(spec, what)
    try:
        return COMPRESSORS.create(name, params, what)
    except BoundlabError as err:
        msg = str(err)
        raise BoundlabError(msg if msg.startswith(what) else f"{what}: {msg}") from None


def _positive_int(value: object, what: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise BoundlabError(f"{what} must be an integer >= {low}, got {value!r}")
    return int(value)


@COMPRESSORS.register("identity", aliases=("none",))
class Identity(Compressor):
    r"""No compression: :math:`\mathcal C(x)=x`, :math:`\omega=0`. Encoding: d 32-bit floats."""

    tight = True
    encoding = "d 32-bit floats"

    def omega(self, d: int) -> float:
        return 0.0

    def mask_covariance(self, d: int) -> np.ndarray:
        return np.zeros((d, d))

    def compress(self, x, rng):
        return x, float(FLOAT_BITS * x.shape[-1])

    def kernel(self, d):
        return (OP_IDENTITY, ()) if type(self) is Identity else None       # (a subclass may change the rule)

    def coord_variance(self, x):
        return np.zeros_like(x)

    def expected_bits(self, d: int) -> float:
        return float(FLOAT_BITS * d)


@COMPRESSORS.register("qsgd", aliases=("squant", "s-quantization", "quantization"),
                      examples=("qsgd:s=1", "qsgd:s=3", "qsgd:s=2,norm=linf", "qsgd:s=1,bucket=7"))
class Quantization(Compressor):
    r"""s-quantization (QSGD), per bucket of ``bucket`` consecutive coordinates (0: one bucket).

    .. math:: \mathcal C(x)_j=\|x\|\,{\rm sign}(x_j)\,\big\lfloor s|x_j|/\|x\|+u_j\big\rfloor/s,
              \qquad u_j\sim U[0,1),

    with :math:`\|\cdot\|` the :math:`\ell_2` norm (``norm=l2``) or :math:`\ell_\infty`
    (``norm=linf``) of the bucket. Exact variance (THEORY.md §6): with :math:`\tau_j=s|x_j|/\|x\|`
    and :math:`p_j=\tau_j-\lfloor\tau_j\rfloor`,
    :math:`\mathbb E(\mathcal C(x)_j-x_j)^2=\|x\|^2p_j(1-p_j)/s^2`.

    omega, for buckets of size :math:`q` (:math:`q=d` for one bucket):

    - l2: :math:`\min(q/s^2,\sqrt q/s)` (``boundlab.theory`` ``omega_qsgd``, as printed);
    - linf: :math:`\min(q/(4s^2),\sqrt q/s)`. Derivation: :math:`p(1-p)\le\min(1/4,\tau_j)`
      (if :math:`\tau_j<1` then :math:`p_j=\tau_j`), so the variance is at most
      :math:`\frac{m^2}{s^2}\min(q/4,\sum_j\tau_j)` with :math:`m=\|x\|_\infty\le\|x\|_2`, and
      :math:`\frac{m}{s}\|x\|_1\le\frac{\sqrt q}{s}\|x\|_2^2`.

    Encoding: per bucket one 32-bit norm; per coordinate one sign bit and the level
    :math:`\in\{0..s\}` in :math:`\lceil\log_2(s+1)\rceil` bits.
    """

    encoding = "per bucket a 32-bit norm; per coordinate 1 sign bit + ceil(log2(s+1)) level bits"

    def __init__(self, s: int = 1, norm: str = "l2", bucket: int = 0) -> None:
        self.s = _positive_int(s, "qsgd: s (number of levels)")
        if norm not in ("l2", "linf"):
            raise BoundlabError(f"qsgd: norm must be 'l2' or 'linf', got {norm!r}")
        self.norm = norm
        if isinstance(bucket, bool) or not isinstance(bucket, int) or bucket < 0:
            raise BoundlabError(f"qsgd: bucket must be an integer >= 0 (0 = one bucket), got {bucket!r}")
        self.bucket = bucket

    @property
    def params(self) -> dict:
        p: dict = {"s": self.s}
        if self.norm != "l2":
            p["norm"] = self.norm
        if self.bucket:
            p["bucket"] = self.bucket
        return p

    def _q(self, d: int) -> int:
        return d if self.bucket == 0 else min(self.bucket, d)

    def omega(self, d: int) -> float:
        q, s = self._q(d), self.s
        if self.norm == "l2":
            return _theory_value("omega_qsgd", d=q, s=s)
        return min(q / (4 * s * s), math.sqrt(q) / s)

    def _bucket_norms(self, x: np.ndarray) -> np.ndarray:
        """Norm of each coordinate's bucket, shape of ``x`` (broadcast where possible)."""
        d = x.shape[-1]
        q = self._q(d)
        if q == d:
            if self.norm == "l2":
                return np.sqrt(np.einsum("...i,...i->...", x, x))[..., None]
            return np.abs(x).max(axis=-1, keepdims=True)
        nb = -(-d // q)
        xp = np.zeros(x.shape[:-1] + (nb * q,))
        xp[..., :d] = x
        xb = xp.reshape(x.shape[:-1] + (nb, q))
        if self.norm == "l2":
            nrm = np.sqrt(np.einsum("...i,...i->...", xb, xb))
        else:
            nrm = np.abs(xb).max(axis=-1)
        return np.repeat(nrm, q, axis=-1)[..., :d]

    def _scale(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(s/norm, 0 where norm = 0; norm/s), per coordinate's bucket (broadcastable to x)."""
        nrm = self._bucket_norms(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(nrm > 0, self.s / nrm, 0.0)
        return scale, nrm / self.s

    def compress(self, x, rng):
        return self._quantize(x, rng, np.empty_like(x))

    def compress_owned(self, x, rng):
        return self._quantize(x, rng, x)

    def _quantize(self, x, rng, t):
        # sign(x_j) floor(|t_j| + u_j) with t = s x/||x|| has the law of floor(t_j + u_j): for t_j < 0,
        # -floor(-t_j + u) and floor(t_j + u') both equal floor(t_j) w.p. ceil(t_j) - t_j, else
        # ceil(t_j). So one signed pass replaces abs and copysign (same operator, fewer passes).
        # t is the output array (x itself when the caller gives x away); a StreamRNG adds the
        # uniforms in small pieces (add_random: no array of x's size), another rng draws them whole.
        scale, unit = self._scale(x)
        np.multiply(x, scale, out=t)                   # t_j = s x_j / ||x||, in [-s, s]
        if hasattr(rng, "add_random"):
            rng.add_random(t)                          # t_j += u_j, u_j ~ U[0, 1)
        else:
            t += rng.random(x.shape)
        np.floor(t, out=t)                             # signed level, |level| <= s
        t *= unit
        return t, self.expected_bits(x.shape[-1])

    def coord_variance(self, x):
        scale, unit = self._scale(x)
        tau = np.abs(x) * scale
        p = tau - np.floor(tau)
        return unit ** 2 * p * (1 - p)

    def kernel(self, d):
        if type(self) is not Quantization:
            return None
        return OP_QSGD, (float(self.s), float(self.norm == "linf"), float(self._q(d)), self.expected_bits(d))

    def expected_bits(self, d: int) -> float:
        nb = -(-d // self._q(d))
        return float(FLOAT_BITS * nb + d * (1 + math.ceil(math.log2(self.s + 1))))


class _KeepK(Compressor):
    """Shared part of the k-sparsifiers (rand-k, top-k): the parameter k in [1, d] and the encoding
    k (32-bit value + ceil(log2 d)-bit index) pairs."""

    encoding = "k x (32-bit value + ceil(log2 d)-bit index)"

    def __init__(self, k: int = 1) -> None:
        self.k = _positive_int(k, f"{self.name}: k")

    @property
    def params(self) -> dict:
        return {"k": self.k}

    def check_dimension(self, d: int) -> None:
        if self.k > d:
            raise BoundlabError(f"{self.name}: k must be in [1, d={d}], got k={self.k}")

    def expected_bits(self, d: int) -> float:
        return float(self.k * (FLOAT_BITS + index_bits(d)))


@COMPRESSORS.register("randk", aliases=("rand-k",), examples=("randk:k=1", "randk:k=5"))
class RandK(_KeepK):
    r"""rand-k: keep a uniformly random k-subset of coordinates and scale by d/k.

    :math:`\omega=d/k-1` (``boundlab.theory`` ``omega_randk``), with equality for every x:
    :math:`\mathbb E(\mathcal C(x)_j-x_j)^2=x_j^2(d/k-1)`. A fixed number k of kept
    coordinates (not Bernoulli sparsification). The subset is the k smallest of d uniform keys.
    Encoding: k (32-bit value, index) pairs.
    """

    tight = True

    def omega(self, d: int) -> float:
        self.check_dimension(d)
        return _theory_value("omega_randk", d=d, k=self.k)

    def mask_covariance(self, d: int) -> np.ndarray:
        r""":math:`c(dI-\mathbf 1\mathbf 1^\top)`, :math:`c=\frac{d-k}{k(d-1)}`: a coordinate is kept w.p.
        k/d, a pair w.p. k(k-1)/(d(d-1)) (THEORY.md 7, THEORY-SEEDS.md 3.1)."""
        self.check_dimension(d)
        if d == 1:
            return np.zeros((1, 1))
        c = (d - self.k) / (self.k * (d - 1))
        return c * (d * np.eye(d) - np.ones((d, d)))

    def compress(self, x, rng):
        d = x.shape[-1]
        self.check_dimension(d)
        keys = rng.random(x.shape)
        kth = np.partition(keys, self.k - 1, axis=-1)[..., self.k - 1:self.k]
        y = np.where(keys <= kth, x, 0.0)
        if self.k != d:
            y *= d / self.k
        return y, self.expected_bits(d)

    def coord_variance(self, x):
        return x * x * (x.shape[-1] / self.k - 1)

    def kernel(self, d):
        if type(self) is not RandK or d > RANDK_KERNEL_MAX_D:
            return None
        return OP_RANDK, (float(self.k), self.expected_bits(d))


@COMPRESSORS.register("bernoulli", aliases=("bernoulli-p",), examples=("bernoulli:p=0.5", "bernoulli:p=0.1"))
class Bernoulli(Compressor):
    r"""Bernoulli-p sparsification: keep each coordinate independently w.p. p, scale by 1/p.

    :math:`\omega=(1-p)/p` (``boundlab.theory`` ``omega_bernoulli``) with equality:
    :math:`\mathbb E(\mathcal C(x)_j-x_j)^2=x_j^2(1-p)/p`. The number of kept coordinates is
    random (this is what the paper's code calls "rand-k"). Encoding: a d-bit presence mask and
    one 32-bit float per kept coordinate; the bits are counted per message.
    """

    tight = True
    encoding = "d-bit mask + 32-bit float per kept coordinate"

    def __init__(self, p: float = 0.5) -> None:
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 < p <= 1:
            raise BoundlabError(f"bernoulli: p must be in (0, 1], got {p!r}")
        self.p = float(p)

    @property
    def params(self) -> dict:
        return {"p": self.p}

    def omega(self, d: int) -> float:
        return _theory_value("omega_bernoulli", p=self.p)

    def mask_covariance(self, d: int) -> np.ndarray:
        """:math:`\frac{1-p}p I` (coordinates kept independently)."""
        return (1 - self.p) / self.p * np.eye(d)

    def compress(self, x, rng):
        keep = rng.random(x.shape) < self.p
        y = np.where(keep, x, 0.0)
        if self.p != 1:
            y /= self.p
        bits = x.shape[-1] + FLOAT_BITS * keep.sum(axis=-1).astype(float)
        return y, bits

    def coord_variance(self, x):
        return x * x * ((1 - self.p) / self.p)

    def kernel(self, d):
        return (OP_BERNOULLI, (self.p,)) if type(self) is Bernoulli else None

    def expected_bits(self, d: int) -> float:
        return float(d + FLOAT_BITS * self.p * d)

    def max_bits(self, d: int) -> float:
        return float(d + FLOAT_BITS * d)          # every coordinate kept


@COMPRESSORS.register("topk", aliases=("top-k",), examples=("topk:k=1", "topk:k=5"))
class TopK(_KeepK):
    r"""top-k: keep the k coordinates of largest magnitude. **Biased** (not in U(omega)).

    :math:`\|\mathcal C(x)-x\|^2\le(1-k/d)\|x\|^2` surely (the dropped coordinates are the
    d-k smallest, whose mean square is at most the overall mean square). No omega: use it with
    error feedback (ECQ-SGD, Double-Squeeze). Deterministic: draws nothing.
    Encoding: k (32-bit value, index) pairs.
    """

    unbiased = False

    def contraction(self, d: int) -> float:
        self.check_dimension(d)
        return 1.0 - self.k / d

    def compress(self, x, rng):
        d = x.shape[-1]
        self.check_dimension(d)
        idx = np.argpartition(-np.abs(x), self.k - 1, axis=-1)[..., :self.k]
        y = np.zeros_like(x)
        np.put_along_axis(y, idx, np.take_along_axis(x, idx, axis=-1), axis=-1)
        return y, self.expected_bits(d)


@COMPRESSORS.register("dither", aliases=("subtractive-dither",), examples=("dither:step=0.5",))
class SubtractiveDither(Compressor):
    r"""Subtractive dithered quantization with shared randomness (THEORY-SEEDS.md 3.1): with a dither
    :math:`u\sim U[-\frac12,\frac12]^d` known to sender and receiver (a shared seed) and a step :math:`\delta`,
    :math:`\mathcal C(z)=\delta\big({\rm round}(z/\delta+u)-u\big)`.

    The error is uniform on :math:`[-\frac\delta2,\frac\delta2]^d` and independent of z: unbiased, with
    :math:`\mathbb E\|\mathcal C(z)-z\|^2=d\delta^2/12` for every z (``error_variance``). It is in no class
    :math:`\mathbb U(\omega)` (its error does not shrink with :math:`\|z\|`): ``omega`` raises, and algorithms
    whose theory needs an omega refuse it. ECD-PSGD's estimate error has a closed form with it (D6).
    Encoding: one 32-bit integer level per coordinate; the dither itself is not sent.
    """

    tight = False
    relative = False
    encoding = "one 32-bit integer level per coordinate (shared dither, not sent)"

    def __init__(self, step: float = 0.5) -> None:
        if isinstance(step, bool) or not isinstance(step, (int, float)) or not step > 0 or not math.isfinite(step):
            raise BoundlabError(f"dither: step must be a finite number > 0, got {step!r}")
        self.step = float(step)

    @property
    def params(self) -> dict:
        return {"step": self.step}

    def omega(self, d: int) -> float:
        raise BoundlabError(f"compressor '{self.spec}' has an absolute error (d step^2/12 whatever the input): it "
                            "is in no class U(omega); use it where an error variance is enough (ecd-psgd)")

    def error_variance(self, d: int) -> float:
        """E||C(z) - z||^2 = d step^2 / 12, for every z."""
        return d * self.step**2 / 12.0

    def compress(self, x, rng):
        u = rng.random(x.shape) - 0.5                       # the shared dither
        return self.step * (np.round(x / self.step + u) - u), float(FLOAT_BITS * x.shape[-1])

    def coord_variance(self, x):
        return np.full(np.shape(x), self.step**2 / 12.0)

    def expected_bits(self, d: int) -> float:
        return float(FLOAT_BITS * d)


def _random_round(u: np.ndarray, lo: np.ndarray, hi: np.ndarray, draw: np.ndarray) -> np.ndarray:
    """lo or hi, hi with probability (u - lo)/(hi - lo) (u itself where lo = hi): unbiased rounding of u."""
    width = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        up = draw * width < (u - lo)
    return np.where(width > 0, np.where(up, hi, lo), u)


@COMPRESSORS.register("natural", aliases=("natural-compression",), examples=("natural",))
class NaturalCompression(Compressor):
    r"""Natural compression (Horvath et al. 2019, THEORY-SEEDS.md 6.3 [S2]): each coordinate rounded at random to one
    of the two powers of two around it, unbiasedly: for :math:`2^a\le|x_j|\le2^{a+1}`, :math:`\mathcal C(x)_j={\rm
    sign}(x_j)2^{a+1}` w.p. :math:`(|x_j|-2^a)/2^a`, else :math:`{\rm sign}(x_j)2^a` (0 stays 0).

    Variance per coordinate :math:`(2^{a+1}-|x_j|)(|x_j|-2^a)`; relative to :math:`x_j^2` it is :math:`(2-t)(t-1)/t^2`,
    :math:`t=|x_j|/2^a\in[1,2]`, at most 1/8 (at t = 4/3): :math:`\omega=1/8`, attained when every
    :math:`|x_j|/2^{\lfloor\log_2|x_j|\rfloor}=4/3` (not tight: other x do better).
    Encoding: 9 bits per coordinate (a sign and an 8-bit exponent, float32's range).
    """

    tight = False
    encoding = "per coordinate 1 sign bit + 8 exponent bits"

    def omega(self, d: int) -> float:
        return 0.125

    def _bounds(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a = np.abs(x)
        with np.errstate(divide="ignore"):
            lo = np.where(a > 0, np.exp2(np.floor(np.log2(np.where(a > 0, a, 1.0)))), 0.0)
        return a, lo, 2 * lo

    def compress(self, x, rng):
        a, lo, hi = self._bounds(x)
        y = np.sign(x) * _random_round(a, lo, hi, rng.random(x.shape))
        return y, 9.0 * x.shape[-1]

    def coord_variance(self, x):
        a, lo, hi = self._bounds(np.asarray(x, dtype=float))
        return (hi - a) * (a - lo)

    def expected_bits(self, d: int) -> float:
        return 9.0 * d


@COMPRESSORS.register("natural-dither", aliases=("natural-dithering",), examples=("natural-dither:s=2",
                                                                                   "natural-dither:s=4"))
class NaturalDithering(Compressor):
    r"""Natural dithering (Horvath et al. 2019, THEORY-SEEDS.md 6.3 [S2]) with the l2 norm: :math:`u_j=|x_j|/\|x\|_2`
    is rounded at random, unbiasedly, to one of the two neighbouring levels of :math:`\{0,2^{1-s},\dots,2^{-1},1\}`
    (s levels above 0, in powers of two), and :math:`\mathcal C(x)_j=\|x\|_2{\rm sign}(x_j)\,\ell(u_j)`.

    Variance per coordinate :math:`\|x\|^2(\ell_+-u_j)(u_j-\ell_-)`. ``omega`` is the published bound
    :math:`\frac18+\frac{\sqrt d}{2^{s-1}}\min(1,\frac{\sqrt d}{2^{s-1}})` [S2: NAT, as implemented by FLPT; FLPT's
    own code returns its input unquantized, so it is not a reference]; the contract battery computes the worst case
    numerically and checks it is below. Encoding: a 32-bit norm, per coordinate a sign bit and
    :math:`\lceil\log_2(s+1)\rceil` level bits.
    """

    tight = False
    encoding = "a 32-bit norm; per coordinate 1 sign bit + ceil(log2(s+1)) level bits"

    def __init__(self, s: int = 2) -> None:
        self.s = _positive_int(s, "natural-dither: s (number of levels above 0)")

    @property
    def params(self) -> dict:
        return {"s": self.s}

    def omega(self, d: int) -> float:
        r = math.sqrt(d) / 2 ** (self.s - 1)
        return 0.125 + r * min(1.0, r)

    def _levels(self, x: np.ndarray):
        x = np.asarray(x, dtype=float)
        norm = np.sqrt(np.einsum("...i,...i->...", x, x))[..., None]
        with np.errstate(invalid="ignore", divide="ignore"):
            u = np.where(norm > 0, np.abs(x) / np.where(norm > 0, norm, 1.0), 0.0)
        floor_level = 2.0 ** (1 - self.s)                       # the smallest positive level
        with np.errstate(divide="ignore"):
            lo = np.where(u >= floor_level, np.exp2(np.floor(np.log2(np.maximum(u, floor_level)))), 0.0)
        lo = np.minimum(lo, 1.0)
        hi = np.where(u >= floor_level, np.minimum(2 * lo, 1.0), floor_level)
        hi = np.where(lo >= 1.0, 1.0, hi)
        return norm, u, lo, hi

    def compress(self, x, rng):
        norm, u, lo, hi = self._levels(x)
        y = norm * np.sign(x) * _random_round(u, lo, hi, rng.random(np.shape(x)))
        return y, self.expected_bits(np.shape(x)[-1])

    def coord_variance(self, x):
        norm, u, lo, hi = self._levels(x)
        return norm**2 * (hi - u) * (u - lo)

    def expected_bits(self, d: int) -> float:
        return float(FLOAT_BITS + d * (1 + math.ceil(math.log2(self.s + 1))))


class Composed(Compressor):
    r"""Composition of independent operators, applied left to right: ``"randk:k=5+natural"`` is
    :math:`\mathcal C_2(\mathcal C_1(x))` with :math:`\mathcal C_1` = rand-5, :math:`\mathcal C_2` = natural compression.

    Unbiased if every part is; :math:`\omega\le\prod_i(1+\omega_i)-1` (from
    :math:`\mathbb E\|\mathcal C_2(y)\|^2\le(1+\omega_2)\|y\|^2`, THEORY-SEEDS.md 6.2), with equality when every part
    attains A1 with equality (``tight``). Masks compose into a mask:
    :math:`\Gamma=(\Gamma_1+\mathbf 1\mathbf 1^\top)\odot(\Gamma_2+\mathbf 1\mathbf 1^\top)-\mathbf 1\mathbf 1^\top`.
    Encoding: the first part's support (rand-k: k indices) and the last part's encoding of the values it keeps.
    """

    def __init__(self, parts: list[Compressor]) -> None:
        if len(parts) < 2:
            raise BoundlabError("a composition needs two operators or more, e.g. 'randk:k=5+natural'")
        self.parts = parts
        self.unbiased = all(p.unbiased for p in parts)
        self.relative = all(getattr(p, "relative", True) for p in parts)
        self.tight = all(p.tight for p in parts)
        self.encoding = f"support of {parts[0].spec}; values as {parts[-1].spec}"

    @property
    def spec(self) -> str:
        return "+".join(p.spec for p in self.parts)

    name = "composed"

    def check_dimension(self, d: int) -> None:
        for p in self.parts:
            p.check_dimension(d)

    def omega(self, d: int) -> float:
        out = 1.0
        for p in self.parts:
            out *= 1.0 + p.omega(d)
        return out - 1.0

    def compress(self, x, rng):
        y = x
        for p in self.parts:
            y, _ = p.compress(y, rng)
        return y, self.expected_bits(x.shape[-1])

    def mask_covariance(self, d: int) -> np.ndarray | None:
        out = None
        for p in self.parts:
            g = p.mask_covariance(d)
            if g is None:
                return None
            out = g if out is None else (out + 1.0) * (g + 1.0) - 1.0
        return out

    def coord_variance(self, x):
        g = self.mask_covariance(np.shape(x)[-1])
        return None if g is None else np.diag(g) * np.square(x)

    def _support(self, d: int) -> tuple[int, float]:
        first = self.parts[0]
        if isinstance(first, RandK):
            return first.k, float(first.k * index_bits(d))
        return d, 0.0

    def expected_bits(self, d: int) -> float:
        kept, index = self._support(d)
        return index + self.parts[-1].expected_bits(kept)
