r"""Figure 2: convergence of the paper's algorithms, excess loss against iterations and against bits.

Two problems: the paper's synthetic least squares (REFERENCE.md: N = 20 workers, 200 points each,
d = 20, correlated Gaussian features plus a constant column; here with per-point label noise,
started at w = 0) and a quadratic (the figure-1 quadratic, started at distance 1 from w_*). Every
algorithm runs R independent runs at the **same step** on a problem (by default the smallest of
their theory bounds, so admissible for all); a curve is the mean over runs of
:math:`F(w_k)-F_*` with the 95% normal interval of that mean (mean +- 1.96 standard errors), at
log-spaced checkpoints. The bits are the cumulative totals over the N worker links, uplink plus
downlink (a broadcast counts once per receiving worker), averaged over runs
(``boundlab.simulate``'s encodings).
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from boundlab.simulate.constants import resolve_constants
from boundlab.simulate.files import progress_map
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from boundlab.errors import BoundlabError
from boundlab.figures import common
from boundlab.figures.problem import LEAST_SQUARES_DEFAULTS, QUADRATIC_DEFAULTS, build_problem, describe
from boundlab.simulate import make_algorithm, simulate
from boundlab.simulate.problems import Problem

NAME = "convergence"
ALGORITHMS = ("sgd", "qsgd", "diana", "artemis", "dore", "double-squeeze", "mcm", "rand-mcm")
PROBLEMS = ("least_squares", "quadratic")
PROBLEM_TITLES = {"least_squares": "synthetic least squares (the paper's design)", "quadratic": "quadratic"}
DEFAULT_ITERATIONS = {"least_squares": 40000, "quadratic": 5000}
DEFAULT_RUNS = {"least_squares": 12, "quadratic": 32}


@dataclass
class Settings:
    """Everything figure 2 depends on (defaults: well under a minute on 2 cores)."""

    algorithms: Sequence[str] = ALGORITHMS
    problems: Sequence[str] = PROBLEMS
    up: str = "qsgd:s=1"
    down: str = "qsgd:s=1"
    runs: int | None = None              # None: DEFAULT_RUNS per problem
    iterations: int | None = None        # None: DEFAULT_ITERATIONS per problem
    gamma: "float | str" = "min"         # "min" (smallest bound, same for all), "theory" (each its own), a number
    allow_large_step: bool = False
    seed: int = 0
    processes: int = 2
    checkpoints: int = 80                # about this many log-spaced checkpoints
    quadratic: dict[str, Any] = field(default_factory=dict)       # {"problem.KEY": value} overrides
    least_squares: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        self.algorithms = common.parse_names(self.algorithms, "algorithms (figure 2)", ALGORITHMS)
        self.problems = common.parse_names(self.problems, "problems (figure 2)", PROBLEMS)
        if self.runs is not None:
            self.runs = common.positive_int(self.runs, "runs (figure 2)", 2)
        if self.iterations is not None:
            self.iterations = common.positive_int(self.iterations, "iterations (figure 2)", 2)
        if self.gamma not in ("min", "theory") and (isinstance(self.gamma, bool)
                                                    or not isinstance(self.gamma, (int, float))
                                                    or not math.isfinite(self.gamma) or self.gamma <= 0):
            raise BoundlabError(f"gamma (figure 2) must be 'min', 'theory' or a number > 0, got {self.gamma!r}")
        self.processes = common.positive_int(self.processes, "processes")
        self.checkpoints = common.positive_int(self.checkpoints, "checkpoints (figure 2)", 2)

    def n_runs(self, kind: str) -> int:
        return self.runs if self.runs is not None else DEFAULT_RUNS[kind]

    def n_iter(self, kind: str) -> int:
        return self.iterations if self.iterations is not None else DEFAULT_ITERATIONS[kind]


def make_problem(kind: str, s: Settings) -> tuple[Problem, dict[str, Any]]:
    """The problem of one row of the figure (the quadratic starts at distance 1 from w_*)."""
    if kind == "least_squares":
        return build_problem(s.least_squares, seed=s.seed, defaults=LEAST_SQUARES_DEFAULTS)
    return build_problem({"problem.w0": 1.0, **s.quadratic}, seed=s.seed, defaults=QUADRATIC_DEFAULTS)


def algorithm_params(name: str, s: Settings, homogeneous: bool) -> dict[str, Any]:
    """Parameters of one algorithm: no downlink for SGD/QSGD/Diana, MCM's uplink plain on a
    homogeneous problem (the theorems' setting) and with memory otherwise (as Diana, Artemis, Dore)."""
    if name == "sgd":
        return {}
    if name in ("qsgd", "diana"):
        return {"up": s.up}
    params = {"up": s.up, "down": s.down}
    if name in ("mcm", "rand-mcm"):
        params["uplink"] = "plain" if homogeneous else "memory"
    return params


def steps(kind: str, problem: Problem, s: Settings) -> tuple[dict[str, float], dict[str, float | None], str]:
    """({algorithm: gamma}, {algorithm: theory bound}, how gamma was chosen) on one problem."""
    homogeneous = bool(getattr(problem, "homogeneous", False))
    bounds = {}
    for name in s.algorithms:
        algo = make_algorithm(name, algorithm_params(name, s, homogeneous))
        bounds[name] = resolve_constants(problem, algo).gamma_bound     # boundlab.simulate.constants
    known = {n: b for n, b in bounds.items() if b is not None}
    if s.gamma == "theory":
        missing = [n for n, b in bounds.items() if b is None]
        if missing:
            raise BoundlabError(f"gamma = 'theory': no theory bound for {', '.join(missing)}; give a number")
        return dict(known), bounds, "each algorithm at its own theory bound"
    if s.gamma == "min":
        if not known:
            raise BoundlabError("gamma (figure 2): no theory bound applies; give a number")
        who = min(known, key=known.get)
        g = known[who]
        return {n: g for n in s.algorithms}, bounds, \
            f"the same for all: the smallest theory bound ({common.display(who)}'s), admissible for every algorithm"
    g = float(s.gamma)
    above = [common.display(n) for n, b in known.items() if g > b * (1 + 1e-12)]
    if above and not s.allow_large_step:
        raise BoundlabError(f"gamma = {g:.6g} is above the theory's bound of {', '.join(above)} on the {kind} "
                            "problem; set --allow-large-step to run it anyway")
    return {n: g for n in s.algorithms}, bounds, "the same for all, given" + (
        f"; ABOVE the theory's bound of {', '.join(above)} (allow_large_step)" if above else ", admissible for all")


def run_job(problem: Problem, name: str, params: dict[str, Any], gamma: float, runs: int, iterations: int,
            seed: int, n_checkpoints: int) -> dict[str, np.ndarray]:
    """One curve's raw material: k, per-run excess loss and total bits at the checkpoints."""
    res = simulate(problem, make_algorithm(name, params), n_runs=runs, n_iter=iterations, gamma=gamma, seed=seed,
                   checkpoints_spec=f"log:{n_checkpoints}", allow_large_step=True, progress=False)
    return {"k": res.k, "excess_loss": res["excess_loss"], "bits": res["bits_up"] + res["bits_down"],
            "diverged": int(res.diverged.sum())}


def compute(s: Settings) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Simulate every (problem, algorithm): (the figure's tidy table, its metadata)."""
    s.validate()
    job_list, meta = [], {"figure": "convergence", "seed": s.seed, "interval": common.BAND_TEXT, "problems": {},
                          "operators": {"up": s.up, "down": s.down}}
    for kind in s.problems:
        problem, keys = make_problem(kind, s)
        gammas, bounds, how = steps(kind, problem, s)
        homogeneous = bool(getattr(problem, "homogeneous", False))
        meta["problems"][kind] = {"keys": keys, "constants": problem.constants(), "line": describe(problem, keys),
                                  "gamma_choice": how, "gammas": gammas, "bounds": bounds,
                                  "runs": s.n_runs(kind), "iterations": s.n_iter(kind),
                                  "mcm_uplink": "plain" if homogeneous else "memory"}
        for name in s.algorithms:
            job_list.append((kind, name, problem, algorithm_params(name, s, homogeneous), gammas[name]))
    args = [(p, n, prm, g, s.n_runs(kind), s.n_iter(kind), s.seed, s.checkpoints) for kind, n, p, prm, g in job_list]
    results = progress_map(run_job, args, s.processes, "convergence")
    frames = []
    for (kind, name, _, params, gamma), r in zip(job_list, results):
        mean, se, low, high = common.mean_interval(r["excess_loss"])
        with warnings.catch_warnings():                 # a checkpoint where every run diverged: NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            bits_mean = np.nanmean(r["bits"], axis=0)
        frames.append(pd.DataFrame({
            "problem": kind, "algorithm": name, "series": common.display(name), "k": r["k"], "bits": bits_mean,
            "value": mean, "se": se, "low": low, "high": high, "gamma": gamma, "runs": r["excess_loss"].shape[0],
            "finite_runs": np.isfinite(r["excess_loss"]).sum(axis=0), "diverged_runs": r["diverged"],
            "up": params.get("up", "identity"), "down": params.get("down", "none (exact broadcast)"),
            "uplink": params.get("uplink", "")}))
    return pd.concat(frames, ignore_index=True), meta


def plot(frame: pd.DataFrame, meta: dict[str, Any] | None = None):
    """2 x P panels: one row per problem, excess loss vs iterations (left) and vs bits (right)."""
    import matplotlib.pyplot as plt
    meta = meta or {}
    kinds = list(dict.fromkeys(frame.problem))
    fig, axes = plt.subplots(len(kinds), 2, figsize=(13, 4.3 * len(kinds)), squeeze=False)
    for row, kind in enumerate(kinds):
        part = frame[frame.problem == kind]
        info = meta.get("problems", {}).get(kind, {})
        for col, (xname, xlabel) in enumerate((("k", "iteration k"),
                                               ("bits", "bits exchanged (uplink + downlink, all N links)"))):
            ax = axes[row, col]
            for name, cur in part.groupby("algorithm", sort=False):
                x = cur[xname].to_numpy(float)
                keep = x > 0                                    # log x: k = 0 / zero bits are not drawn
                low = np.where(cur.low > 0, cur.low, np.nan)    # a non-positive lower end is not drawn (log y)
                ax.fill_between(x[keep], low[keep], cur.high.to_numpy(float)[keep], color=common.colour(name),
                                alpha=0.15, lw=0)
                ax.plot(x[keep], cur.value.to_numpy(float)[keep], color=common.colour(name), lw=1.5,
                        marker=common.marker(name), ms=4, markevery=max(1, int(keep.sum()) // 8),
                        label=cur.series.iloc[0], gid=f"{kind}:{xname}:{name}")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel(xlabel)
            ax.set_ylabel("excess loss  E[F(w_k) \u2212 F*]  (units of F)")
            ax.grid(True, which="major", alpha=0.3)
            gam = ", ".join(sorted({f"{g:.3g}" for g in part.gamma}))
            ax.set_title(f"{PROBLEM_TITLES.get(kind, kind)}: \u03b3 = {gam}", fontsize=10)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9)
    fig.suptitle("Convergence: mean excess loss over runs (lines) with its 95% normal interval (bands)",
                 fontsize=12)
    fig.tight_layout(h_pad=2.0)
    lines = []
    for kind in kinds:
        info = meta.get("problems", {}).get(kind)
        if info:
            lines.append(f"{PROBLEM_TITLES.get(kind, kind).capitalize()}: {info['line']}; {info['runs']} runs, "
                         f"{info['iterations']} iterations. Step: {info['gamma_choice']}.")
    ops = meta.get("operators")
    if ops:
        lines.append(f"Uplink {ops['up']} (QSGD, Diana, Artemis, Dore with uplink memory, Double-Squeeze with error "
                     f"feedback, MCM and Rand-MCM: plain on a homogeneous problem, memory otherwise); downlink "
                     f"{ops['down']} (Artemis, Dore, Double-Squeeze, MCM, Rand-MCM); SGD, QSGD and Diana broadcast the "
                     "model exactly (32-bit floats).")
    lines.append(f"{common.BAND_TEXT}. Same seed for every algorithm (common random numbers).")
    common.caption(fig, "\n".join(lines))
    if "diverged_runs" in frame and (frame.diverged_runs > 0).any():      # on the picture: a reader must see it
        bad = frame[frame.diverged_runs > 0].drop_duplicates(["problem", "algorithm"])
        common.note(fig, "Diverged runs, left out of the means: " + "; ".join(
            f"{r.series} on {r.problem}: {int(r.diverged_runs)} of {int(r.runs)}" for r in bad.itertuples()) + ".")
    return fig


def make(s: Settings, out: str) -> tuple[list[str], pd.DataFrame, dict[str, Any]]:
    """Compute, plot and write figure 2 into ``out``: (paths, table, metadata)."""
    frame, meta = compute(s)
    fig = plot(frame, meta)
    return common.save(fig, frame, meta, out, NAME), frame, meta
