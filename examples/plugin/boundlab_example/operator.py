r"""The ternary operator (TernGrad, Wen et al., NeurIPS 2017):
:math:`\mathcal C(x)_i=\|x\|_\infty\,{\rm sign}(x_i)\,b_i`, :math:`b_i\sim{\rm Bernoulli}(|x_i|/\|x\|_\infty)`.

Unbiased; :math:`\mathbb E\|\mathcal C(x)-x\|^2=\|x\|_\infty\|x\|_1-\|x\|^2`, whose largest ratio to
:math:`\|x\|^2` is attained at :math:`x=(1,t,\dots,t)`, :math:`t=1/(\sqrt d+1)`:
:math:`\omega=(\sqrt d-1)/2` (worst case; not attained by every x, so not tight).
Encoding: :math:`\|x\|_\infty` as a 32-bit float and 2 bits per coordinate.

No closed-form variance is declared here on purpose: boundlab's contract battery and ``verify``'s operator check
then compare omega with Monte-Carlo estimates (declare ``coord_variance`` to get exact comparisons).
"""
from __future__ import annotations

import math

import numpy as np

from boundlab.simulate import COMPRESSORS, Compressor


@COMPRESSORS.register("ternary", examples=("ternary",))
class Ternary(Compressor):
    tight = False
    encoding = "||x||_inf as a 32-bit float + 2 bits per coordinate"

    def omega(self, d: int) -> float:
        return (math.sqrt(d) - 1) / 2

    def compress(self, x, rng):
        scale = np.max(np.abs(x), axis=-1, keepdims=True)
        u = rng.random(x.shape)                                    # one draw per (run, worker, coordinate)
        with np.errstate(invalid="ignore", divide="ignore"):
            keep = u * scale < np.abs(x)                           # b_i = 1 w.p. |x_i| / ||x||_inf
        return np.where(keep, np.sign(x) * scale, 0.0), self.expected_bits(x.shape[-1])

    def expected_bits(self, d: int) -> float:
        return 32.0 + 2.0 * d
