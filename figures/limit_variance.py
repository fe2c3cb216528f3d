r"""Figure 1: the limit variance against :math:`\omega_{\rm dwn}`, measured, with the theory over it.

For every algorithm and every :math:`\omega_{\rm dwn}` of a grid, R independent runs at **one
fixed step** :math:`\gamma` (the same for every algorithm and every :math:`\omega_{\rm dwn}`); the
measured *stationary excess loss* of a run is the mean of :math:`F(w_k)-F_*` over the tail window
:math:`k_0\le k\le K` (checkpoints), and the point is the mean over runs with its 95% normal
interval (mean +- 1.96 standard errors over the R independent runs).

The downlink operator has an :math:`\omega` one can set exactly: Bernoulli-p with
:math:`p=1/(1+\omega)` (:math:`\omega=(1-p)/p`, equality) or rand-k with :math:`k=d/(1+\omega)`;
:math:`\omega_{\rm dwn}=0` is the identity.

Theory drawn over the data:

* **MCM and Rand-MCM [S]** (Theorems 6 and 8). Summing Theorem 6's one-step inequality
  :math:`\gamma\,\mathbb E[F(w_{k-1})-F_*]\le V_{k-1}-V_k+\gamma^2\sigma^2\Phi(\gamma)/(Nb)` over a
  window of T steps gives :math:`\frac1T\sum\mathbb E[F(w_{k-1})-F_*]\le\frac{V_{k_0}-V_{k_0+T}}{\gamma T}
  +\frac{\gamma\sigma^2\Phi(\gamma)}{Nb}`; in the stationary regime the first term vanishes (and
  it is <= 0 from :math:`w_0=w_*`, where :math:`V_0=0`), so the stationary level is **at most**
  :math:`\gamma\sigma^2\Phi(\gamma)/(Nb)` = ``limit_variance_mcm`` / :math:`\gamma`, with
  :math:`\Phi(\gamma)=(1+\omega_{\rm up})(1+64\gamma L\omega_{\rm dwn}^2)`. Drawn only where its
  hypotheses hold: :math:`\gamma\le\gamma_{\max}(\omega_{\rm dwn})`, homogeneous workers
  (:math:`B^2=0`) and a plain uplink.
* **Diana, Artemis and Dore [O]** (``limit_variance_diana``, ``limit_variance_artemis_dore``, also
  divided by :math:`\gamma`): order only, the constant is unknown; each curve is scaled to equal
  the measured level at the smallest :math:`\omega_{\rm dwn}` of the grid.
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
from boundlab.figures.problem import build_problem, describe
from boundlab.simulate import make_algorithm, simulate
from boundlab.simulate.problems import Problem
from boundlab.theory import get

NAME = "limit_variance"
ALGORITHMS = ("diana", "artemis", "dore", "double-squeeze", "mcm", "rand-mcm")
DEFAULT_ALGORITHMS = ("diana", "artemis", "dore", "mcm", "rand-mcm")
DEFAULT_OMEGAS = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0)
#: algorithms whose simulation does not depend on omega_dwn (no downlink compression)
NO_DOWNLINK = ("diana",)
#: the MCM family: Theorem 6's bound (Theorem 8 for Rand-MCM) applies with a plain uplink
MCM_FAMILY = ("mcm", "rand-mcm")


@dataclass
class Settings:
    """Everything figure 1 depends on (defaults: a few minutes on 2 cores)."""

    omegas: Sequence[float] = DEFAULT_OMEGAS
    algorithms: Sequence[str] = DEFAULT_ALGORITHMS
    up: str = "qsgd:s=1"
    down: str = "bernoulli"              # "bernoulli" (p = 1/(1+omega)) or "randk" (k = d/(1+omega))
    runs: int = 64
    iterations: int = 12000
    tail: float = 0.5                    # the window is the last `tail` fraction of the iterations
    gamma: "float | str" = "min"         # "min": the smallest theory bound over algorithms and omegas
    allow_large_step: bool = False
    seed: int = 0
    processes: int = 2
    problem: dict[str, Any] = field(default_factory=dict)   # {"problem.KEY": value} overrides

    def validate(self) -> None:
        self.omegas = common.parse_floats(self.omegas, "omegas (omega_dwn grid)")
        self.algorithms = common.parse_names(self.algorithms, "algorithms (figure 1)", ALGORITHMS)
        if self.down not in ("bernoulli", "randk"):
            raise BoundlabError(f"down must be 'bernoulli' or 'randk' (an operator with a settable omega), "
                                f"got {self.down!r}")
        self.runs = common.positive_int(self.runs, "runs (figure 1)", 2)
        self.iterations = common.positive_int(self.iterations, "iterations (figure 1)", 2)
        if isinstance(self.tail, bool) or not isinstance(self.tail, (int, float)) or not 0 < self.tail <= 1:
            raise BoundlabError(f"tail (fraction of the iterations in the window) must be in (0, 1], got {self.tail!r}")
        if self.gamma != "min" and (isinstance(self.gamma, bool) or not isinstance(self.gamma, (int, float))
                                    or not math.isfinite(self.gamma) or self.gamma <= 0):
            raise BoundlabError(f"gamma must be 'min' or a number > 0, got {self.gamma!r}")
        self.processes = common.positive_int(self.processes, "processes")

    @property
    def tail_start(self) -> int:
        """First iteration k0 of the window [k0, K]."""
        return self.iterations - max(1, int(round(self.tail * self.iterations)))

    @property
    def checkpoints(self) -> np.ndarray:
        """Recorded iterations: the window on a grid of at most about 400 points."""
        step = max(1, (self.iterations - self.tail_start) // 400)
        return np.arange(self.tail_start, self.iterations + 1, step)


def down_spec(omega: float, family: str, d: int) -> str:
    """The downlink operator of variance factor ``omega`` exactly (identity for 0)."""
    if omega == 0:
        return "identity"
    if family == "bernoulli":
        return f"bernoulli:p={1.0 / (1.0 + omega)!r}"
    k = d / (1.0 + omega)
    if abs(k - round(k)) > 1e-9 or round(k) < 1:
        valid = ", ".join(f"{d / kk - 1:g}" for kk in range(d, 0, -1) if d % kk == 0)
        raise BoundlabError(f"omegas: rand-k on d = {d} coordinates gives omega = d/k - 1 in {{{valid}}} "
                            f"(k dividing d); got {omega:g} (use --down bernoulli for any omega)")
    return f"randk:k={int(round(k))}"


def algorithm_params(name: str, up: str, down: str) -> dict[str, Any]:
    """The parameters of one algorithm in this figure (MCM family: plain uplink, Theorem 6's setting)."""
    if name in NO_DOWNLINK:
        return {"up": up}
    params = {"up": up, "down": down}
    if name in MCM_FAMILY:
        params["uplink"] = "plain"
    return params


def jobs(s: Settings, problem: Problem) -> list[dict[str, Any]]:
    """One job per (algorithm, omega_dwn); algorithms without downlink compression run once."""
    out = []
    for name in s.algorithms:
        grid = s.omegas[:1] if name in NO_DOWNLINK else s.omegas
        for omega in grid:
            down = down_spec(omega, s.down, problem.d)
            params = algorithm_params(name, s.up, down)
            algo = make_algorithm(name, params)
            consts = resolve_constants(problem, algo)          # boundlab.simulate.constants: one source of truth
            out.append({"algorithm": name, "omega_dwn": omega, "params": params, "down": down,
                        "omega_dwn_exact": consts["omega_dwn"] if name not in NO_DOWNLINK else None,
                        "omega_up": consts["omega_up"], "bound": consts.gamma_bound})
    return out


def choose_gamma(s: Settings, job_list: list[dict[str, Any]]) -> tuple[float, str]:
    """(gamma, how it was chosen): 'min' is the smallest theory bound over every job."""
    bounds = [j["bound"] for j in job_list if j["bound"] is not None]
    if s.gamma == "min":
        if not bounds:
            raise BoundlabError("gamma: no theory bound applies to these algorithms; give gamma explicitly")
        i = int(np.argmin(bounds))
        j = [j for j in job_list if j["bound"] is not None][i]
        return float(bounds[i]), (f"the smallest theory bound: {common.display(j['algorithm'])}'s at "
                                  f"\u03c9_dwn = {j['omega_dwn']:g}, so admissible for every point")
    gamma = float(s.gamma)
    above = sorted({common.display(j["algorithm"]) for j in job_list if j["bound"] is not None
                    and gamma > j["bound"] * (1 + 1e-12)})
    if above and not s.allow_large_step:
        raise BoundlabError(f"gamma = {gamma:.6g} is above the theory's bound of {', '.join(above)} for some "
                            "omega_dwn; set --allow-large-step to run it anyway")
    how = "given" + (f"; ABOVE the theory's bound of {', '.join(above)} for some \u03c9_dwn "
                     "(allow_large_step)" if above else ", admissible for every point")
    return gamma, how


def tail_means(excess_loss: np.ndarray, k: np.ndarray, k0: int) -> np.ndarray:
    """Per run: the mean of F(w_k) - F_* over the recorded k >= k0 (NaN for a run that diverged)."""
    window = k >= k0
    return excess_loss[:, window].mean(axis=1)


def run_job(problem: Problem, job: dict[str, Any], s: Settings, gamma: float) -> dict[str, np.ndarray]:
    """One (algorithm, omega_dwn): the R per-run tail means (``tail``) and, for the stationarity
    diagnostic, the per-run means over the first and the second half of the window."""
    res = simulate(problem, make_algorithm(job["algorithm"], job["params"]), n_runs=s.runs, n_iter=s.iterations,
                   gamma=gamma, seed=s.seed, checkpoints_spec=[int(c) for c in s.checkpoints],
                   allow_large_step=True, progress=False)
    middle = (s.tail_start + s.iterations) / 2
    return {"tail": tail_means(res["excess_loss"], res.k, s.tail_start),
            "first_half": res["excess_loss"][:, (res.k >= s.tail_start) & (res.k < middle)].mean(axis=1),
            "second_half": res["excess_loss"][:, res.k >= middle].mean(axis=1)}


def compute(s: Settings) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Simulate every job and evaluate the theory: (the figure's tidy table, its metadata)."""
    s.validate()
    problem, pkeys = build_problem(s.problem, seed=s.seed)
    job_list = jobs(s, problem)
    gamma, how = choose_gamma(s, job_list)
    outcome = progress_map(run_job, [(problem, j, s, gamma) for j in job_list], s.processes, "limit variance")
    per_run = [o["tail"] for o in outcome]
    rows = []
    first = {job["algorithm"]: values for job, values in zip(job_list, per_run) if job["omega_dwn"] == s.omegas[0]}
    for job, values, o in zip(job_list, per_run, outcome):
        mean, se, low, high = common.mean_interval(values)
        with warnings.catch_warnings(), np.errstate(all="ignore"):   # all runs diverged: NaN, said in the caption
            warnings.simplefilter("ignore", RuntimeWarning)
            drift = float(np.nanmean(o["second_half"]) / np.nanmean(o["first_half"]) - 1)
        growth, g_low, g_high = paired_ratio(values, first[job["algorithm"]])
        grid = s.omegas if job["algorithm"] in NO_DOWNLINK else [job["omega_dwn"]]
        for omega in grid:        # no downlink compression: one simulation, the same value at every omega
            rows.append({"series": common.display(job["algorithm"]), "kind": "measured",
                         "algorithm": job["algorithm"], "tag": "", "omega_dwn": omega, "down": job["down"],
                         "value": float(mean), "se": float(se), "low": float(low), "high": float(high),
                         "growth": growth, "growth_low": g_low, "growth_high": g_high,
                         "window_drift": drift, "runs": s.runs, "finite_runs": int(np.isfinite(values).sum()),
                         "gamma": gamma, "gamma_bound": job["bound"], "tail_start": s.tail_start, "iterations": s.iterations})
    measured = pd.DataFrame(rows)
    theory, notes = theory_rows(s, problem, measured, gamma, job_list)
    frame = pd.concat([measured, theory], ignore_index=True)
    meta = {"figure": "limit variance vs omega_dwn", "seed": s.seed, "gamma": gamma, "gamma_choice": how,
            "settings": {k: v for k, v in vars(s).items() if k != "problem"}, "problem_keys": pkeys,
            "problem": problem.constants(), "omega_up": job_list[0]["omega_up"], "tail_start": s.tail_start,
            "theory_notes": notes, "interval": common.BAND_TEXT, "problem_line": describe(problem, pkeys),
            "measured": "per run: mean of F(w_k) - F_* over the recorded k in [tail_start, iterations]",
            "window_drift": "mean over the second half of the window / mean over the first half - 1 "
                            "(near 0 when the window is stationary)",
            "growth": "value / the same algorithm's value at the smallest omega_dwn, 95% paired delta-method interval",
            "per_run": {f"{j['algorithm']}@{j['omega_dwn']:g}": v for j, v in zip(job_list, per_run)}}
    return frame, meta


def paired_ratio(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    r"""(mean(a)/mean(b), low, high): 95% interval by the delta method on **paired** runs.

    Run r of every job uses the same seed, so :math:`a_r` and :math:`b_r` are dependent; the
    linearisation :math:`z_r=(a_r-\hat\rho\,b_r)/\bar b` has mean about 0 and
    :math:`{\rm se}(\hat\rho)=s_z/\sqrt R`, which accounts for the pairing. Runs where either is
    not finite are left out.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    if a.size < 2 or not b.mean() > 0:
        return float("nan"), float("nan"), float("nan")
    rho = a.mean() / b.mean()
    z = (a - rho * b) / b.mean()
    se = z.std(ddof=1) / math.sqrt(a.size)
    return float(rho), float(rho - common.Z95 * se), float(rho + common.Z95 * se)


def theory_rows(s: Settings, problem: Problem, measured: pd.DataFrame, gamma: float,
                job_list: list[dict[str, Any]]) -> tuple[pd.DataFrame, list[str]]:
    """The theory curves on a fine omega grid (see the module docstring), and notes on what was left out."""
    c = problem.constants()
    omega_up = job_list[0]["omega_up"]
    grid = np.linspace(min(s.omegas), max(s.omegas), 201)
    base = {"gamma": gamma, "sigma": math.sqrt(c["sigma2"]), "N": c["N"], "b": c["b"], "omega_up": omega_up}
    rows, notes = [], []

    def add(series: str, algos: str, tag: str, values: np.ndarray) -> None:
        for w, v in zip(grid, values):
            rows.append({"series": series, "kind": "theory", "algorithm": algos, "tag": tag, "omega_dwn": float(w),
                         "value": float(v), "gamma": gamma})

    mcm = [a for a in s.algorithms if a in MCM_FAMILY]
    if mcm:
        if not getattr(problem, "homogeneous", c["B2"] == 0):
            notes.append("MCM bound not drawn: Theorem 6 assumes homogeneous workers (B\u00b2 = 0)")
        else:
            lv = get("limit_variance_mcm")
            level = np.asarray(lv.evaluate(**base, L=c["L"], omega_dwn=grid).value, float) / gamma
            gmax = np.asarray(get("gamma_max").evaluate(L=c["L"], N=c["N"], omega_up=omega_up,
                                                        omega_dwn=grid).value, float)
            ok = gamma <= gmax * (1 + 1e-9)
            if not ok.all():
                notes.append(f"MCM bound not drawn where \u03b3 > \u03b3_max(\u03c9_dwn) "
                             f"(\u03c9_dwn > {grid[ok].max() if ok.any() else 0:.3g})")
            add(f"{' & '.join(common.display(a) for a in mcm)} bound {lv.status.tag}: "
                "\u03b3\u03c3\u00b2\u03a6(\u03b3)/(Nb)", ",".join(mcm), lv.status.tag, np.where(ok, level, np.nan))
    for names, result in ((("diana",), "limit_variance_diana"), (("artemis", "dore"), "limit_variance_artemis_dore")):
        present = [a for a in names if a in s.algorithms]
        if not present:
            continue
        r = get(result)
        shape = np.asarray(r.evaluate(**base, omega_dwn=grid).value, float) * np.ones_like(grid) / gamma
        at_min = measured[(measured.algorithm.isin(present)) & (measured.omega_dwn == min(s.omegas))]["value"]
        anchor = float(at_min.mean())
        add(f"{'/'.join(common.display(a) for a in present)} {r.status.tag} order only, arbitrary constant",
            ",".join(present), r.status.tag, shape * anchor / shape[0])
    return pd.DataFrame(rows), notes


def plot(frame: pd.DataFrame, meta: dict[str, Any] | None = None):
    """The figure from the table of :func:`compute` (or its CSV).

    Left: the measured levels (points, 95% bands) and the theory lines, log scale. Right: the
    same measurements relative to each algorithm's level at the smallest omega_dwn (linear zoom
    near 1, where the curves that barely grow are told apart); an algorithm that leaves the zoom
    says by how much in its legend entry.
    """
    import matplotlib.pyplot as plt
    meta = meta or {}
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5.4), gridspec_kw={"width_ratios": [1.25, 1]})
    measured = frame[frame.kind == "measured"]
    for name, part in measured.groupby("algorithm", sort=False):
        part = part.sort_values("omega_dwn")
        label = part.series.iloc[0] + (" (no downlink compression)" if name in NO_DOWNLINK else "")
        style = dict(color=common.colour(name), marker=common.marker(name), ms=5, ls="--" if name in NO_DOWNLINK else "-")
        ax.fill_between(part.omega_dwn, part.low, part.high, color=common.colour(name), alpha=0.15, lw=0)
        ax.plot(part.omega_dwn, part.value, label=label, gid=f"measured:{name}", **style)
    for series, part in frame[frame.kind == "theory"].groupby("series", sort=False):
        first = part.algorithm.iloc[0].split(",")[0]
        exact = part.tag.iloc[0] in ("[S]", "[D]")
        ax.plot(part.omega_dwn, part.value, "-" if exact else ":", lw=2.2 if exact else 1.8,
                color="black" if exact else common.colour(first), alpha=0.85, label=series,
                gid=f"theory:{part.algorithm.iloc[0]}")
    ax.set_yscale("log")
    ax.set_xlabel("\u03c9_dwn: variance factor of the downlink compression (0 = none)")
    ax.set_ylabel("stationary excess loss  E[F(w_k) \u2212 F*]  (units of F)")
    ax.set_title("(a) measured level (points, 95% bands) and theory (lines)", fontsize=10)
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=7.5, loc="upper left")
    if "dore" in set(measured.algorithm):      # a note where a curve needs one: Dore's measured level and its [O] line
        ax.text(0.99, 0.02, "Dore: the measured level stays flat in \u03c9_dwn; its (1+\u03c9_dwn) line is an order-level "
                "upper bound [O]\n(constants unknown), not a prediction of the level", transform=ax.transAxes,
                ha="right", va="bottom", fontsize=6.5, color=common.colour("dore"), gid="note:dore")
    _plot_growth(bx, measured)
    gamma = meta.get("gamma", measured.gamma.iloc[0] if len(measured) else float("nan"))
    fig.suptitle(f"Limit variance against downlink compression: one step \u03b3 = {gamma:.3g} for every "
                 "algorithm and \u03c9_dwn", fontsize=12)
    fig.tight_layout()
    if diverged_text(frame):
        common.note(fig, diverged_text(frame))
    text = caption_text(frame, meta)
    if text:
        common.caption(fig, text)
    return fig


def _plot_growth(bx, measured: pd.DataFrame) -> None:
    """Panel (b): value / value at the smallest omega_dwn, linear, zoomed on the curves that stay below 3."""
    top = 1.0
    for name, part in measured.groupby("algorithm", sort=False):
        part = part.sort_values("omega_dwn")
        peak = float(part.growth.max())
        label = part.series.iloc[0]
        if peak > 3:
            label += f" (off scale: \u00d7{peak:.3g} at \u03c9_dwn = {part.omega_dwn.iloc[-1]:g}, see (a))"
        elif np.isfinite(part.growth_high).any():          # (every run diverged: nothing to scale on)
            top = max(top, float(np.nanmax(part.growth_high)))
        bx.fill_between(part.omega_dwn, part.growth_low, part.growth_high, color=common.colour(name), alpha=0.15, lw=0)
        bx.plot(part.omega_dwn, part.growth, color=common.colour(name), marker=common.marker(name), ms=5,
                ls="--" if name in NO_DOWNLINK else "-", label=label, gid=f"growth:{name}")
    bx.axhline(1.0, color="grey", lw=0.8)
    shown = measured.growth_low[measured.growth < 3].to_numpy(float)
    low = min(1.0, float(np.nanmin(shown))) if np.isfinite(shown).any() else 0.9
    pad = 0.1 * (top - low) + 0.02
    bx.set_ylim(low - pad, top + pad)
    bx.set_xlabel("\u03c9_dwn: variance factor of the downlink compression (0 = none)")
    bx.set_ylabel("level / the same algorithm's level at the smallest \u03c9_dwn")
    bx.set_title("(b) growth with \u03c9_dwn (linear zoom; 95% paired intervals)", fontsize=10)
    bx.grid(True, alpha=0.25)
    bx.legend(fontsize=7.5, loc="upper left")


def caption_text(frame: pd.DataFrame, meta: dict[str, Any]) -> str:
    """What a reader needs to read figure 1 without the code."""
    if not meta:
        return ""
    s = meta["settings"]
    notes = meta.get("theory_notes") or []
    lines = [
        f"Problem: {meta.get('problem_line', '')}. Uplink {s['up']} (\u03c9_up = {meta['omega_up']:.3g}); downlink "
        + ("Bernoulli-p, p = 1/(1+\u03c9_dwn)" if s["down"] == "bernoulli" else "rand-k, k = d/(1+\u03c9_dwn)")
        + " (exact \u03c9_dwn); MCM and Rand-MCM with a plain uplink, the others with uplink memory.",
        f"Step \u03b3 = {meta['gamma']:.4g} for every algorithm and \u03c9_dwn ({meta['gamma_choice']}).",
        f"Points: per run, mean of F(w_k) \u2212 F* over k in [{meta['tail_start']}, {s['iterations']}]; then mean "
        f"over {s['runs']} independent runs (same seed {meta['seed']} for every point). Bands: mean \u00b1 1.96 "
        "standard errors over runs (95% normal interval).",
        "Black line [S]: Theorem 6 (Theorem 8 for Rand-MCM) gives the stationary level "
        "\u2264 \u03b3\u03c3\u00b2\u03a6(\u03b3)/(Nb), "
        "\u03a6 = (1+\u03c9_up)(1+64\u03b3L\u03c9_dwn\u00b2): an UPPER BOUND, not a prediction.",
        "Dotted lines [O]: order only (constants unknown): Diana \u221d (1+\u03c9_up), Artemis/Dore \u221d "
        "(1+\u03c9_up)(1+\u03c9_dwn), each scaled to equal the measured level at the smallest \u03c9_dwn.",
    ]
    measured = frame[frame.kind == "measured"]
    drifts = measured.window_drift.abs().dropna() if "window_drift" in measured else measured.iloc[:0]
    if len(drifts):
        worst = measured.loc[drifts.idxmax()]
        lines.append(f"Stationarity check: the mean over the second half of the window differs from the first half's "
                     f"by at most {100 * abs(worst.window_drift):.1f}% ({worst.series}, \u03c9_dwn = {worst.omega_dwn:g}; "
                     "column window_drift of the CSV).")
    lines += [n + "." for n in notes]
    return "\n".join(lines)


def diverged_text(frame: pd.DataFrame) -> str:
    """The runs that diverged and are left out (drawn on the figure as a note), or ''."""
    measured = frame[frame.kind == "measured"]
    left_out = measured[measured.finite_runs < measured.runs] if "finite_runs" in measured else measured.iloc[:0]
    return " ".join(f"{row.series}: {int(row.runs - row.finite_runs)} of {int(row.runs)} runs diverged at some "
                    "\u03c9_dwn and are left out of the mean." for row in left_out.drop_duplicates("algorithm").itertuples())


def make(s: Settings, out: str) -> tuple[list[str], pd.DataFrame, dict[str, Any]]:
    """Compute, plot and write figure 1 into ``out``: (paths, table, metadata)."""
    frame, meta = compute(s)
    fig = plot(frame, meta)
    return common.save(fig, frame, meta, out, NAME), frame, meta


def ratio_at_largest(meta: dict[str, Any], num: str = "mcm", den: str = "artemis") -> dict[str, float]:
    """Measured ratio num/den of the limit variance at the largest omega_dwn with its 95% paired
    interval (:func:`paired_ratio` on the per-run values kept in the metadata)."""
    w = max(meta["settings"]["omegas"])
    runs = meta["per_run"]
    r, low, high = paired_ratio(runs[f"{num}@{w:g}"], runs[f"{den}@{w:g}"])
    return {"omega_dwn": float(w), "ratio": r, "low": low, "high": high}
