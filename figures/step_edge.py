r"""Figure 5: the step-size edge against omega = omega_up = omega_dwn, measured, beside the theory's step.

For MCM, Artemis and Dore (Bernoulli operators both ways, one noiseless quadratic; see
``boundlab.verify.edge`` for the protocol): the theory's largest step (MCM's gamma_max [S], the
degraded algorithms' (8L(1 + omega_dwn)(1 + omega_up/N))^-1 [S]), the step where MCM's Theorem 7
recursion first fails, the exact mean-square stability edge (spectral radius of the second-moment map
= 1, ``boundlab.simulate.exact``) and the step where the typical run diverges. Each legend entry gives the fitted
exponent of omega with its standard error; the rate table claims -3/2 for MCM's step and -2 for
the degraded algorithms' (large omega). The data are the ``step-size edge`` checks of ``boundlab
verify --suite full``.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from boundlab.figures import common

NAME = "step_edge"
COLOURS = {"mcm": "#2ca02c", "artemis": "#d62728", "dore": "#ff7f0e"}
STYLES = {"theory": ("-", "o", "theory's step"), "recursion": (":", "s", "Theorem 7 recursion fails"),
          "mean_square": ("-.", "v", "mean-square edge (exact)"), "divergence": ("--", "^", "runs diverge (median)")}


def compute(seed: int = 0, runs: int = 100, jobs: int | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Scan the three algorithms (boundlab.verify.edge): (one row per algorithm and omega, metadata)."""
    from boundlab.simulate.files import progress_map
    from boundlab.verify.edge import CLAIMED, OMEGAS, EdgeCheck, fit_exponent, scan
    from boundlab.verify.suite import check_seed, seed_name

    runs = common.positive_int(runs, "runs (figure 5)", 2)
    # the scans of the step-size edge checks of `boundlab verify --suite full` (their seed, their numbers), one job
    # per (algorithm, omega) so that the processes share the work evenly
    check = EdgeCheck("step-size edge mcm", "mcm", runs=runs)
    pairs = [(a, w) for a in ("mcm", "artemis", "dore") for w in OMEGAS]
    s = check_seed(seed, seed_name(check))
    rows = progress_map(scan, [(a, w, s, runs, check.iterations) for a, w in pairs], jobs or 1, "step-size edges")
    frame = pd.DataFrame(rows)
    fits = {}
    for alg, part in frame.groupby("algorithm", sort=False):
        for what in STYLES:
            a, se = fit_exponent(part.omega, part[f"gamma_{what}"])
            if math.isfinite(a):
                fits[f"{alg}:{what}"] = {"exponent": a, "se": se}
    meta = {"figure": "step_edge", "seed": seed, "runs": runs, "claimed_exponents": CLAIMED, "fits": fits,
            "caption": "Step-size edge against omega = omega_up = omega_dwn: theory's step, recursion failure (MCM), "
                       "divergence of the typical run; fitted exponents in the legend."}
    return frame, meta


def plot(frame: pd.DataFrame, meta: dict[str, Any]):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7.0, 4.6))
    for alg, part in frame.groupby("algorithm", sort=False):
        for what, (ls, marker, label) in STYLES.items():
            y = part[f"gamma_{what}"].to_numpy(float)
            if not np.isfinite(y).any():
                continue
            fit = meta["fits"].get(f"{alg}:{what}")
            tail = f" (slope {fit['exponent']:.2f} \u00b1 {fit['se']:.2f})" if fit else ""
            ax.plot(part.omega, y, ls=ls, marker=marker, color=COLOURS.get(alg, "grey"), ms=5,
                    label=f"{alg}: {label}{tail}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("\u03c9 = \u03c9_up = \u03c9_dwn (Bernoulli operators)")
    ax.set_ylabel("step size \u03b3 (L = 1)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title("Step-size edge: theory, recursion failure, divergence (claimed slopes: MCM -3/2, degraded -2)",
                 fontsize=9)
    fig.tight_layout()
    return fig


def make(out: str, seed: int = 0, runs: int = 100, jobs: int | None = None):
    frame, meta = compute(seed, runs, jobs)
    return common.save(plot(frame, meta), frame, meta, out, NAME), frame, meta
