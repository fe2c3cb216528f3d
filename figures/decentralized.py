r"""Figure 6: decentralized compressed training (seed 001), in four panels.

(a) consensus error :math:`\|X_tQ\|_F^2` and (b) excess loss :math:`f(\bar x_t)-f^*` against iterations, (c) the
excess loss against the bits each node sent, for D-PSGD, naive compressed gossip, DCD-PSGD, ECD-PSGD and CHOCO-SGD on
one heterogeneous quadratic and one graph, the same operator for all (bands: mean over runs +- 1.96 standard
errors); (d) the exact spectral radius of compressed gossip's consensus moment map against omega for several graphs
(``boundlab.simulate.exact_decentralized``), crossing 1 at the threshold omega* (dots), with the sufficient
condition (1 - rho_c^2)/beta^2 (crosses on the axis) far below it; (e) the [O] rate O(1/sqrt(nT)): the time average
of :math:`\|\nabla f(\bar x_t)\|^2` at the step :math:`\gamma=c\sqrt{n/T}` against :math:`nT`, over T (n = 8) and over n
(complete graph, T = 2000), with the fitted exponents of ``boundlab verify``'s order checks (the same checks).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from boundlab.errors import BoundlabError
from boundlab.figures import common

NAME = "decentralized"
ALGORITHMS = ("d-psgd", "naive-gossip", "dcd-psgd", "ecd-psgd", "choco-sgd")
COLOURS = {"d-psgd": "#1f77b4", "naive-gossip": "#d62728", "dcd-psgd": "#2ca02c", "ecd-psgd": "#ff7f0e",
           "choco-sgd": "#9467bd"}
GRAPHS = (("ring", 8), ("ring", 16), ("torus", 9), ("torus", 16), ("star", 8), ("complete", 8))


@dataclass
class Settings:
    runs: int = 200
    iterations: int = 300
    graph: str = "ring"
    n: int = 8
    compressor: str = "randk:k=3"
    gamma: float = 0.05
    seed: int = 0

    def validate(self) -> None:
        common.positive_int(self.runs, "dec-runs", 2)
        common.positive_int(self.iterations, "dec-iterations", 2)
        common.positive_int(self.n, "dec-n", 3)
        if not (isinstance(self.gamma, (int, float)) and self.gamma > 0):
            raise BoundlabError(f"dec-gamma must be a number > 0, got {self.gamma!r}")
        from boundlab.simulate import make_compressor
        from boundlab.simulate.graphs import make_graph
        make_compressor(self.compressor, "dec-compressor").check_dimension(4)
        make_graph(self.graph, self.n)


def compute(s: Settings) -> tuple[pd.DataFrame, dict[str, Any]]:
    from boundlab.simulate import make_algorithm, quadratic, simulate
    from boundlab.simulate.exact_decentralized import gossip_rate, threshold_table
    from boundlab.simulate.graphs import make_graph

    problem = quadratic(N=s.n, d=4, L=2.0, mu=0.5, B2=1.0, sigma=0.4, rotate=False, w0=1.0, seed=s.seed)
    rows = []
    for name in ALGORITHMS:
        params = {"graph": s.graph} if name == "d-psgd" else {"graph": s.graph, "compressor": s.compressor}
        res = simulate(problem, make_algorithm(name, params), n_runs=s.runs, n_iter=s.iterations, gamma=s.gamma,
                       seed=s.seed, checkpoints_spec=max(1, s.iterations // 60), progress=False)
        ok = ~res.diverged
        for j, k in enumerate(res.k):
            row = {"panel": "runs", "algorithm": name, "k": int(k), "diverged": int((~ok).sum())}
            for rec in ("consensus2", "excess_loss", "bits_up"):
                mean, _, low, high = (float(v) for v in common.mean_interval(res[rec][ok, j]))
                row.update({rec: mean, f"{rec}_low": low, f"{rec}_high": high})
            row["bits_per_node"] = row["bits_up"] / s.n
            rows.append(row)
    for spec, n in GRAPHS:
        W = make_graph(spec, n).W
        for w in np.linspace(0.0, 2.0, 41):
            rows.append({"panel": "gossip", "graph": f"{spec} n={n}", "omega": float(w),
                         "spectral_radius": gossip_rate(W, float(w))})
    from boundlab.verify.decentralized import rate_checks
    for check in rate_checks(s.runs):
        m = check.measure(s.seed)[0].measurements[0].values
        for x, mean, se in zip(m["x"], m["mean"], m["se"]):
            n_, T = (check.fixed, x) if check.over == "T" else (x, check.fixed)
            rows.append({"panel": "rate", "series": f"{check.algorithm} over {check.over}", "n": n_, "T": T,
                         "nT": n_ * T, "grad2_avg": mean, "grad2_avg_se": se})
    thresholds = threshold_table(list(GRAPHS))
    for t in thresholds:
        rows.append({"panel": "threshold", "graph": f"{t['graph']} n={t['n']}", "omega": t["omega_star"],
                     "sufficient": t["sufficient_D"], "rho_contraction": t["rho_contraction"], "beta": t["beta"]})
    meta = {"figure": NAME, "settings": vars(s), "problem": problem.constants(),
            "caption": "Decentralized compressed training: consensus error and excess loss against iterations and "
                       "bits per node (mean over runs, 95% band), the exact mean-square threshold of compressed "
                       "gossip (spectral radius = 1) against the sufficient condition, and the rate against nT. "
                       "Naive gossip does not converge (seed 001's claim); ECD with a relative operator (rand-k) does "
                       "not either (THEORY-SEEDS.md D6(ii): its estimate error grows with t; with a subtractive "
                       "dither it converges, panel e).",
            "thresholds": thresholds}
    return pd.DataFrame(rows), meta


def plot(frame: pd.DataFrame, meta: dict[str, Any]):
    import matplotlib.pyplot as plt
    s = meta["settings"]
    fig, axes = plt.subplots(3, 2, figsize=(7.0, 8.2))
    runs = frame[frame.panel == "runs"]
    for name, part in runs.groupby("algorithm", sort=False):
        c = COLOURS.get(name, "grey")
        for ax, x, y in ((axes[0, 0], "k", "consensus2"), (axes[0, 1], "k", "excess_loss"),
                         (axes[1, 0], "bits_per_node", "excess_loss")):
            if y == "consensus2":          # the nodes start at consensus (0 at t = 0, which a log axis cannot show)
                part = part[part.k > 0]
            ax.plot(part[x], part[y], color=c, lw=1.2, label=name)
            low = part[f"{y}_low"].to_numpy(float)
            ax.fill_between(part[x], np.where(low > 0, low, np.nan), part[f"{y}_high"], color=c, alpha=0.2,
                            lw=0)            # (a band reaching 0 is cut where the log axis cannot show it)
    for ax, title, xlab in ((axes[0, 0], "(a) consensus error ||X Q||\u00b2", "iteration t"),
                            (axes[0, 1], "(b) f(x\u0304) \u2212 f*", "iteration t"),
                            (axes[1, 0], "(c) f(x\u0304) \u2212 f* against bits", "bits sent per node")):
        ax.set_yscale("log")
        ax.set_title(title, fontsize=8)
        ax.set_xlabel(xlab, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, which="both", alpha=0.3)
    axes[1, 0].set_xscale("log")
    axes[0, 0].legend(fontsize=6, loc="best")
    ax = axes[1, 1]
    gossip = frame[frame.panel == "gossip"]
    thr = frame[frame.panel == "threshold"].set_index("graph")
    for i, (g, part) in enumerate(gossip.groupby("graph", sort=False)):
        line, = ax.plot(part.omega, part.spectral_radius, lw=1.1, label=f"{g}: \u03c9*={thr.loc[g, 'omega']:.3g}")
        ax.plot([thr.loc[g, "omega"]], [1.0], "o", color=line.get_color(), ms=4)
        ax.plot([thr.loc[g, "sufficient"]], [0.0], "x", color=line.get_color(), ms=5, clip_on=False)
    ax.axhline(1.0, color="black", lw=0.7, ls=":")
    ax.set_ylim(0.0, 1.6)
    ax.set_title("(d) compressed gossip: spectral radius of its moment map", fontsize=8)
    ax.set_xlabel("\u03c9 (Bernoulli per coordinate); \u00d7: sufficient (1\u2212\u03c1c\u00b2)/\u03b2\u00b2",
                  fontsize=7)
    ax.tick_params(labelsize=7)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=5.5, loc="upper left")
    ax = axes[2, 0]
    rate = frame[frame.panel == "rate"]
    for series, part in rate.groupby("series", sort=False):
        x, y = part.nT.to_numpy(float), part.grad2_avg.to_numpy(float)
        slope = float(np.polyfit(np.log(x), np.log(y), 1)[0])
        ax.errorbar(x, y, yerr=1.96 * part.grad2_avg_se.to_numpy(float), fmt="o-", ms=3, lw=1,
                    label=f"{series}: slope {slope:.2f}")
    if len(rate):
        x0, y0 = float(rate.nT.min()), float(rate.grad2_avg.max())
        xs = np.array([x0, float(rate.nT.max())])
        ax.plot(xs, y0 * (xs / x0) ** -0.5, "k:", lw=0.8, label="slope −1/2 (the claim)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_title("(e) rate: (1/T) Σ ||∇f(x̄_t)||² at γ = 0.2 √(n/T)", fontsize=8)
    ax.set_xlabel("n T", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=6)
    axes[2, 1].axis("off")
    fig.suptitle(f"{s['graph']} n={s['n']}, {s['compressor']}, \u03b3={s['gamma']:g}, R={s['runs']} "
                 f"(no step-size rule of the papers is sourced: a fixed \u03b3)", fontsize=8)
    fig.tight_layout()
    return fig


def make(s: Settings, out: str):
    frame, meta = compute(s)
    return common.save(plot(frame, meta), frame, meta, out, NAME), frame, meta
