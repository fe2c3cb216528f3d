r"""Figure 7: the mean-square edge gamma*(tau, omega) of compressed gradient descent with stale gradients (seed 002's
model), exact (the spectral radius of K2's second-moment map reaching 1, ``boundlab.simulate.exact_delayed``),
against the delay tau for three omegas and fixed, i.i.d. and Markov delays, with the measured divergence onset of the
typical run beside it (median of ||x_K - x*||^2/||x_0 - x*||^2 above 1 at K = 300, 64 runs, steps gamma* x 2^(j/8)).
f = ||x||^2/2 (L = 1) with a Bernoulli operator per coordinate; a diagonal A reduces to its largest eigenvalue."""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from boundlab.figures import common

TAUS = tuple(range(9))
OMEGAS = (0.25, 1.0, 4.0)
STYLES = {"fixed": "-", "iid": "--", "markov": ":"}


def _row(delays: str, w: float, tau: int, seed: int, runs: int) -> dict[str, Any]:
    from boundlab.simulate.delayed import divergence_onset
    from boundlab.simulate.exact_delayed import stability_edge
    star = stability_edge(w, tau, delays)
    return {"delays": delays, "omega": w, "tau": tau, "gamma_star": star,
            "onset": divergence_onset(tau, w, delays, star, seed, runs) if delays == "fixed" else math.nan}


def compute(seed: int = 0, runs: int = 64, jobs: int = 1) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One row per (delay law, omega, tau): the exact edge and, for fixed delays, the measured onset; the rows are
    independent jobs (``jobs`` processes; the same numbers)."""
    from boundlab.simulate.files import progress_map
    cells = [(delays, w, tau, seed, runs) for delays in STYLES for w in OMEGAS for tau in TAUS
             if not (delays != "fixed" and tau == 0)]
    rows = progress_map(_row, cells, jobs, "stale-gradient edges")
    frame = pd.DataFrame(rows)
    meta = {"figure": "stale_edge", "seed": seed, "runs": runs,
            "caption": "Exact mean-square edge of compressed GD with stale gradients against the delay, for three "
                       "omegas and three delay laws; dots: the measured onset of divergence of the typical run "
                       "(fixed delays)."}
    return frame, meta


def plot(frame: pd.DataFrame, meta: dict[str, Any]):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7.0, 4.2))
    for i, w in enumerate(OMEGAS):
        colour = plt.cm.tab10(i)
        for delays, ls in STYLES.items():
            part = frame[(frame.omega == w) & (frame.delays == delays)]
            ax.plot(part.tau, part.gamma_star, ls, color=colour, lw=1.2,
                    label=f"\u03c9={w:g}, {delays} delays (exact \u03b3*)")
        fixed = frame[(frame.omega == w) & (frame.delays == "fixed")]
        ax.plot(fixed.tau, fixed.onset, "o", color=colour, ms=4, label=f"\u03c9={w:g}: typical run diverges")
    ax.set_yscale("log")
    ax.set_xlabel("delay \u03c4 (fixed) or largest delay (i.i.d., Markov)", fontsize=8)
    ax.set_ylabel("step size \u03b3 (L = 1)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=5.5, ncol=2)
    ax.set_title("Mean-square edge \u03b3*(\u03c4, \u03c9) of compressed GD with stale gradients", fontsize=9)
    fig.tight_layout()
    return fig


def make(out: str, seed: int = 0, runs: int = 64, jobs: int = 1):
    frame, meta = compute(seed, runs, jobs)
    return common.save(plot(frame, meta), frame, meta, out, "stale_edge"), frame, meta
