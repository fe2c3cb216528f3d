"""Compression operators of THEORY.md section 5: the omega of each, as printed.

An unbiased operator C satisfies A1 with the omega below; top-k is biased and exposes its
contraction factor instead (it is *not* in U(omega)). Where the variance is attained with
equality for every input (rand-k, Bernoulli-p) the ``tight`` field says so.
"""
from __future__ import annotations

import sympy as sp

from boundlab.theory.core import Hypothesis, Source, Status, encode, le
from boundlab.theory.symbols import d, k, p, s

KEEP_K = (Hypothesis("k >= 1", "keep at least one coordinate", le(1, k)),
          Hypothesis("k <= d", "keep at most d coordinates", le(k, d)))
OPS = Source("1. Bi-directional compression", 133, "operators listed in THEORY.md section 5")


@encode("omega_identity", "omega of the identity (no compression)", "operator", Status.S, OPS)
def omega_identity():
    r"""\mathcal C(x) = x,\qquad \omega = 0"""
    return sp.Integer(0)


@encode("omega_qsgd", "omega of s-quantization (QSGD, l2 norm, one bucket of size d)", "operator", Status.S, OPS,
        hypotheses=(Hypothesis("s >= 1", "at least one quantization level", le(1, s)),),
        notes="C(x)_j = ||x|| sign(x_j) floor(s|x_j|/||x|| + u_j)/s, u_j ~ U[0,1]. The exact variance is "
              "sum_j ||x||^2 p_j(1-p_j)/s^2 with p_j the fractional part of s|x_j|/||x||; since p(1-p) <= 1/4 "
              "the printed d/s^2 is loose by up to a factor 4 (still a valid omega).")
def omega_qsgd():
    r"""\omega = \min\big(d/s^2,\ \sqrt d/s\big)"""
    return sp.Min(d / s**2, sp.sqrt(d) / s)


@encode("omega_randk", "omega of rand-k sparsification", "operator", Status.S, OPS,
        hypotheses=KEEP_K,
        tight="E||C(x) - x||^2 = omega ||x||^2 with equality for every x",
        notes="Keeps a uniformly random k-subset and scales it by d/k (a fixed number of kept coordinates: "
              "not to be confused with Bernoulli sparsification).")
def omega_randk():
    r"""\omega = d/k - 1"""
    return d / k - 1


@encode("omega_bernoulli", "omega of Bernoulli-p sparsification", "operator", Status.S, OPS,
        tight="E||C(x) - x||^2 = omega ||x||^2 with equality for every x",
        notes="Keeps each coordinate independently with probability p and scales by 1/p.")
def omega_bernoulli():
    r"""\omega = (1 - p)/p"""
    return (1 - p) / p


@encode("topk_contraction", "Contraction factor of top-k (biased: no omega)", "operator", Status.S, OPS,
        hypotheses=KEEP_K,
        notes="Biased: ||C(x) - x||^2 <= (1 - k/d)||x||^2 deterministically, but E[C(x)] != x, so top-k is not "
              "in U(omega) and no omega is defined (the paper's code wrongly gives omega = 1 - k).")
def topk_contraction():
    r"""\|\mathcal C(x) - x\|^2 \le (1 - k/d)\,\|x\|^2 \qquad(\text{biased},\ \mathcal C\notin\mathbb U(\omega))"""
    return 1 - k / d
