r"""The bits-versus-variance plane: (a) declared worst-case omega (and the worst case found numerically) against bits
per coordinate, with the alarm floor 1/(4^(b/d) - 1) drawn and labelled as derived from an unverified recollection
([M3], THEORY-SEEDS.md 6.4; not seed 003's bound); (b) the average-case error on the unit sphere at the best scaling
against bits per coordinate, every operator (biased ones included)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from boundlab.figures import common


def plot(frame: pd.DataFrame, d: int):
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(7.0, 3.4))
    fam = frame.operator.where(~frame.operator.str.contains("+", regex=False), "composed").str.split(":").str[0]
    for i, (name, part) in enumerate(frame.groupby(fam, sort=False)):
        colour = plt.cm.tab10(i % 10)
        ok = part[np.isfinite(part.omega_declared) & (part.omega_declared > 0)]
        a.plot(ok.bits_per_coordinate, ok.omega_declared, "o", color=colour, ms=4, label=name)
        num = part[np.isfinite(part.omega_numerical) & (part.omega_numerical > 0)]
        a.plot(num.bits_per_coordinate, num.omega_numerical, "x", color=colour, ms=4)
        b.plot(part.bits_per_coordinate, part.average_error.clip(lower=1e-6), "o", color=colour, ms=4, label=name)
    bits = np.geomspace(max(frame.bits_per_coordinate.min() / 2, 0.01), 40, 200)
    a.plot(bits, 1 / (4**bits - 1), "k:", lw=1, label="floor 1/(4^{b/d}-1) [from M3, unverified]")
    b.plot(bits, 4.0**-bits, "k:", lw=1, label="4^{-b/d} [M3, unverified]")
    for ax, ylab, title in ((a, "worst-case \u03c9 (o declared, \u00d7 found)", "(a) worst case"),
                            (b, "min_\u03bb E||\u03bbC(x) \u2212 x||\u00b2, x on the sphere", "(b) average case")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("bits per coordinate (stated encodings)", fontsize=8)
        ax.set_ylabel(ylab, fontsize=8)
        ax.set_title(f"{title}, d = {d}", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, which="both", alpha=0.3)
    a.set_ylim(1e-3, None)
    b.set_ylim(1e-4, 2.0)
    a.legend(handles=a.get_lines()[-1:], fontsize=5.5, loc="lower left")      # the floor; the operators in (b)
    b.legend(fontsize=5.5, loc="lower right", ncol=2)
    fig.tight_layout()
    return fig


def make(frame: pd.DataFrame, out: str, d: int):
    meta = {"figure": "operators", "d": d,
            "caption": "Compression operators on the bits/variance plane; the dotted floor is derived from an "
                       "unverified recollection ([M3], THEORY-SEEDS.md 6.4), not seed 003's unsourced bound."}
    return common.save(plot(frame, d), frame, meta, out, "operators")
