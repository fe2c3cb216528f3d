r"""The bits-versus-variance plane of the compression operators (seed 003's question; THEORY-SEEDS.md §6).

For every operator: bits per coordinate under its stated encoding (``Compressor.encoding``; the mean,
``expected_bits``, and the longest message, ``max_bits``, which differ for random-length encodings), its
declared worst-case :math:`\omega` beside a **numerical** worst case (the largest
:math:`\mathbb E\|\mathcal C(x)-x\|^2/\|x\|^2` found by a search over x: random and structured starts, then a local
optimizer, on the closed-form variance), and its average-case error on the unit sphere at the best scaling,
:math:`\min_\lambda\mathbb E\|\lambda\mathcal C(x)-x\|^2=1-(\mathbb E\langle\mathcal C(x),x\rangle)^2/\mathbb E\|\mathcal C(x)\|^2`
(Monte Carlo), which applies to biased operators too.

The **floor** :math:`\omega\ge1/(4^{b/d}-1)` is derived (THEORY-SEEDS.md 6.4) from an *unverified recollection* [M3] (a
lower bound of another paper by two of seed 003's authors): it is **not** seed 003's bound, whose form is unsourced. It
serves as an alarm only: a point below it has a bits or omega accounting error (the contract battery fails it).
Sparse Dithering and Spherical Compression, seed 003's operators, are unsourced and not implemented.
"""
from __future__ import annotations

import math

import numpy as np

#: operators placed on the plane by default (d-dependent sparsity levels are added by :func:`default_specs`)
BASE_SPECS = ("identity", "qsgd:s=1", "qsgd:s=2", "qsgd:s=4", "qsgd:s=16", "natural", "natural-dither:s=2",
              "natural-dither:s=4", "natural-dither:s=8", "bernoulli:p=0.5", "bernoulli:p=0.1")


def default_specs(d: int) -> list[str]:
    from boundlab.simulate.compressors import COMPRESSORS
    ks = sorted({max(1, d // 100), max(1, d // 20), max(1, d // 5), max(1, d // 2)})
    specs = list(BASE_SPECS) + [f"randk:k={k}" for k in ks] + [f"topk:k={k}" for k in ks[1:2]]
    specs += [f"randk:k={ks[-1]}+natural", f"randk:k={ks[-1]}+qsgd:s=4"]        # compositions
    for name in COMPRESSORS.names():            # every registered operator (a plug-in's included) once
        for ex in COMPRESSORS.examples[name][:1]:
            if not any(s.split(":")[0] == name for s in specs) and not name.startswith("test-"):
                specs.append(ex)
    return specs


def bits_floor(bits_per_coordinate: float) -> float:
    """The alarm floor omega >= 1/(4^(b/d) - 1) (THEORY-SEEDS.md 6.4, from the unverified recollection [M3])."""
    return 1.0 / (4.0 ** bits_per_coordinate - 1.0) if bits_per_coordinate > 0 else math.inf


def worst_case_omega(op, d: int, seed: int = 0, starts: int = 400) -> float:
    """The largest E||C(x) - x||^2 / ||x||^2 found over x (needs the closed-form ``variance``; NaN without): random
    Gaussian, sparse and heavy-tailed starts plus structured ones (constant, one-hot, (1, t, ..., t)), then
    Nelder-Mead from the best five. A lower estimate of the supremum: the battery compares it with the declared omega
    (declared >= found, and equal for an operator declared tight)."""
    if op.variance(np.ones((1, d))) is None:
        return math.nan
    gen = np.random.default_rng([seed, d, 3])
    cand = [gen.standard_normal((starts, d)), gen.standard_normal((starts, d)) * (gen.random((starts, d)) < 0.2),
            gen.standard_cauchy((starts, d)), np.ones((1, d)), np.eye(d)[:1]]
    for t in np.geomspace(1e-3, 1.0, 60):
        cand.append(np.concatenate([[1.0], np.full(d - 1, t)])[None])
    for t in np.linspace(1.0, 2.0, 61):                    # magnitudes t 2^a: natural compression's worst case
        cand.append(np.full((1, d), t))
    X = np.vstack(cand)
    X = X[np.sum(X * X, axis=1) > 0]

    def ratio(x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(x)
        return op.variance(x) / np.sum(x * x, axis=1)

    r = ratio(X)
    best = float(np.nanmax(r))
    from scipy.optimize import minimize
    for i in np.argsort(-r)[:5]:
        res = minimize(lambda v: -float(ratio(v)[0]) if np.any(v) else 0.0, X[i], method="Nelder-Mead",
                       options={"maxiter": min(200 * d, 3000), "xatol": 1e-10, "fatol": 1e-12})
        best = max(best, -float(res.fun))
    return best


def average_error(op, d: int, draws: int = 4000, seed: int = 0) -> float:
    """min over lambda of E||lambda C(x) - x||^2 for x uniform on the unit sphere (Monte Carlo; any operator)."""
    gen = np.random.default_rng([seed, d, 5])
    x = gen.standard_normal((draws, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y, _ = op.compress(x.copy(), gen)
    inner = float(np.mean(np.sum(y * x, axis=1)))
    sq = float(np.mean(np.sum(y * y, axis=1)))
    return 1.0 - inner**2 / sq if sq > 0 else 1.0


def place(spec: str, d: int, seed: int = 0) -> dict:
    """One operator's row of the plane."""
    from boundlab.errors import BoundlabError
    from boundlab.simulate.compressors import make_compressor
    op = make_compressor(spec)
    op.check_dimension(d)
    b = op.expected_bits(d) / d
    try:
        declared = op.omega(d) if op.unbiased else math.nan
    except BoundlabError:                                  # an absolute-error operator (subtractive dither)
        declared = math.nan
    found = worst_case_omega(op, d, seed) if op.unbiased and getattr(op, "relative", True) else math.nan
    b_max = op.max_bits(d) / d if hasattr(op, "max_bits") else b
    row = {"operator": spec, "d": d, "bits_per_coordinate": b, "max_bits_per_coordinate": b_max,
           "omega_declared": declared,
           "omega_numerical": found, "tight": bool(op.tight), "unbiased": bool(op.unbiased),
           # the floor at the longest message: a conservative alarm (THEORY-SEEDS.md 6.4)
           "average_error": average_error(op, d, seed=seed), "floor_M3": bits_floor(b_max),
           "encoding": getattr(op, "encoding", "")}
    # (a lossless operator, omega = 0, sends exact 32-bit floats by convention: the floor does not apply to it)
    row["below_floor"] = bool(np.isfinite(declared) and declared > 0 and declared < row["floor_M3"] * (1 - 1e-9))
    return row


def frontier(d: int, specs: list[str] | None = None, seed: int = 0) -> list[dict]:
    return [place(s, d, seed) for s in (specs or default_specs(d))]
