r"""Figure 4: the largest step sizes the theory allows, MCM against the degraded algorithms.

MCM's :math:`\gamma_{\max}=\min(\gamma^{\rm up},\gamma^{\rm down},\gamma^{\Upsilon})` [S] with
:math:`\gamma^{\rm up}=(2L(1+\omega_{\rm up}/N))^{-1}`, :math:`\gamma^{\rm down}=(8L\omega_{\rm dwn})^{-1}`,
:math:`\gamma^{\Upsilon}=(8\sqrt2L\omega_{\rm dwn}\sqrt{8\omega_{\rm dwn}+\omega_{\rm up}/N})^{-1}`; the
degraded algorithms' (Artemis, Dore) :math:`(8L(1+\omega_{\rm dwn})(1+\omega_{\rm up}/N))^{-1}` [S];
Diana's :math:`\propto\gamma^{\rm up}` [O]. Plotted as :math:`L\gamma` (dimensionless), evaluated
by ``boundlab.theory``: (a) against :math:`\omega=\omega_{\rm up}=\omega_{\rm dwn}` (the rate table's
setting), (b) against :math:`\omega_{\rm dwn}` at a fixed :math:`\omega_{\rm up}`. No simulation.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from boundlab.errors import BoundlabError
from boundlab.figures import common
from boundlab.theory import get

NAME = "step_sizes"
#: (result name, legend label, colour, line style, width)
CURVES = (
    ("gamma_up", "\u03b3_up = 1/(2L(1+\u03c9_up/N))", "#1f77b4", "--", 1.2),
    ("gamma_down", "\u03b3_down = 1/(8L\u03c9_dwn)", "#9467bd", "--", 1.2),
    ("gamma_upsilon", "$\\gamma_\\Upsilon$ = 1/(8\u221a2 L\u03c9_dwn\u221a(8\u03c9_dwn+\u03c9_up/N))", "#17becf", "--", 1.2),
    ("gamma_max", "MCM \u03b3_max = min of the three", "#2ca02c", "-", 2.6),
    ("gamma_max_artemis_dore", "Artemis, Dore (degraded): 1/(8L(1+\u03c9_dwn)(1+\u03c9_up/N))", "#d62728", "-", 2.6),
    ("gamma_max_diana", "Diana \u221d \u03b3_up (constant unknown; squares: on the \u03b3_up line)", "#7f7f7f", ":", 1.6),
)


@dataclass
class Settings:
    """Figure 4's parameters (L only scales the axis: L gamma is plotted)."""

    N: int = 20
    omega_up: float = math.sqrt(20.0)     # panel (b): s-quantization s = 1 on d = 20
    omega_min: float = 0.1
    omega_max: float = 100.0
    points: int = 241

    def validate(self) -> None:
        self.N = common.positive_int(self.N, "N (figure 4)")
        for what, v in (("omega_up (figure 4)", self.omega_up), ("omega_min", self.omega_min),
                        ("omega_max", self.omega_max)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise BoundlabError(f"{what} must be a finite number >= 0, got {v!r}")
        if not 0 < self.omega_min < self.omega_max:
            raise BoundlabError(f"omega range: need 0 < omega_min < omega_max, got [{self.omega_min}, {self.omega_max}]")
        self.points = common.positive_int(self.points, "points (figure 4)", 2)


def compute(s: Settings) -> tuple[pd.DataFrame, dict[str, Any]]:
    """L gamma for every curve on both panels: (tidy table, metadata)."""
    s.validate()
    omega = np.geomspace(s.omega_min, s.omega_max, s.points)
    panels = {"a": (omega, omega), "b": (np.full_like(omega, s.omega_up), omega)}
    rows = []
    for panel, (w_up, w_dwn) in panels.items():
        for name, label, *_ in CURVES:
            r = get(name)
            kw = {"L": 1.0, "N": s.N, "omega_up": w_up}
            if name not in ("gamma_up", "gamma_max_diana"):
                kw["omega_dwn"] = w_dwn
            with np.errstate(divide="ignore"):
                value = np.asarray(r.evaluate(**kw).value, float) * np.ones_like(omega)
            rows.append(pd.DataFrame({"panel": panel, "curve": name, "label": label, "tag": r.status.tag,
                                      "omega_up": w_up, "omega_dwn": w_dwn, "x": w_dwn, "L_gamma": value}))
    meta = {"figure": "step sizes", "N": s.N, "omega_up_panel_b": s.omega_up, "L": "L gamma is plotted (any L)",
            "source": "boundlab.theory: " + ", ".join(c[0] for c in CURVES)}
    return pd.concat(rows, ignore_index=True), meta


def plot(frame: pd.DataFrame, meta: dict[str, Any] | None = None):
    """Two log-log panels of L gamma against omega."""
    import matplotlib.pyplot as plt
    meta = meta or {}
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.2), sharey=True)
    style = {c[0]: c[2:] for c in CURVES}
    titles = {"a": "(a) \u03c9_up = \u03c9_dwn = \u03c9",
              "b": f"(b) \u03c9_dwn varies, \u03c9_up = {meta.get('omega_up_panel_b', float('nan')):.3g} fixed"}
    for ax, (panel, part) in zip(axes, frame.groupby("panel", sort=True)):
        for name, cur in part.groupby("curve", sort=False):
            col, ls, lw = style.get(name, ("black", "-", 1.0))
            y = cur.L_gamma.to_numpy(float)
            y = np.where(np.isfinite(y), y, np.nan)
            mark = dict(marker="s", markevery=6, ms=4, mfc="none") if name == "gamma_max_diana" else {}
            ax.plot(cur.x, y, ls, color=col, lw=lw, label=f"{cur.label.iloc[0]}  {cur.tag.iloc[0]}",
                    gid=f"{panel}:{name}", zorder=3 if name == "gamma_max_diana" else 2, **mark)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(1e-5, 1.0)
        ax.set_xlabel("\u03c9 (panel a) / \u03c9_dwn (panel b): compression variance factor")
        ax.set_title(titles.get(panel, panel), fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("L \u00d7 largest step size allowed by the theory (dimensionless)")
    axes[0].legend(fontsize=7.5, loc="lower left")
    fig.suptitle(f"Largest step sizes: MCM against the degraded algorithms (N = {meta.get('N', '?')} workers)",
                 fontsize=12)
    fig.tight_layout()
    common.caption(fig, "[S]: exact constants as printed on the slides; [O]: order only (Diana's own constant is not "
                   "on the slides: its curve is \u03b3_up, up to an unknown factor). MCM's \u03b3_max is the minimum of "
                   "the three dashed pieces; \u03b3_down never binds (for every \u03c9 it is above \u03b3_\u03a5 "
                   "or above \u03b3_up).\n"
                   "Each curve is a step-size upper limit of a theorem: a larger step may work in practice but is "
                   "not covered by the theory. Curves above the top of the axes (\u03c9 \u2192 0) are cut.")
    return fig


def make(s: Settings, out: str) -> tuple[list[str], pd.DataFrame, dict[str, Any]]:
    """Compute, plot and write figure 4 into ``out``: (paths, table, metadata)."""
    frame, meta = compute(s)
    return common.save(plot(frame, meta), frame, meta, out, NAME), frame, meta
