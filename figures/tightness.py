"""Figure 3: tightness of every bound, the measured/bound ratio of each ``boundlab verify`` check.

Input: the table of ``boundlab.verify`` (``run_suite(...).to_frame()``, or the CSV written by
``boundlab verify --format csv``), one row per check with the columns :data:`COLUMNS`:
``check`` (name), ``tag`` ("S", "S?", "D", "O"), ``kind`` ("upper" or "equality"),
``ratio`` = measured / bound with its interval ``ratio_low``, ``ratio_high``, and ``verdict``
("holds", "violated", "inconclusive"). For an upper bound a ratio at most 1 is what the theory
claims (the closer to 1, the tighter the bound); for an equality case the ratio should be 1.
The interval is verify's own (see ``boundlab.verify``); this figure only draws it.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from boundlab.errors import BoundlabError
from boundlab.figures import common

NAME = "tightness"
COLUMNS = ("check", "tag", "kind", "ratio", "ratio_low", "ratio_high", "verdict")
KINDS = ("upper", "equality")
VERDICTS = {"holds": "#2ca02c", "violated": "#d62728", "inconclusive": "#ff7f0e"}
KIND_MARKERS = {"upper": "o", "equality": "D"}
CONTROL_COLOUR = "#9467bd"


class VerifyUnavailable(BoundlabError):
    """``boundlab.verify.run_suite`` cannot be imported (issue 4 not done yet)."""


def check_frame(frame: pd.DataFrame, source: str = "the verify table") -> pd.DataFrame:
    """The table with the required columns, ratios as floats (a missing ratio becomes NaN).

    Values outside the documented ones (e.g. a kind "zero" for an unbiasedness test, which has no
    ratio) are kept: such rows stay in the CSV and are drawn only if they have a ratio.
    """
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise BoundlabError(f"{source}: missing column(s) {', '.join(missing)} (needed: {', '.join(COLUMNS)})")
    if frame.empty:
        raise BoundlabError(f"{source}: no checks (the table has no rows)")
    out = frame.copy()
    for col in ("tag", "kind", "verdict", "check"):
        out[col] = out[col].fillna("").astype(str)
    out["tag"] = out["tag"].str.strip("[] ")
    for col in ("ratio", "ratio_low", "ratio_high"):
        out[col] = pd.to_numeric(out[col], errors="coerce")
    return out


def drawable(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows with a finite ratio (the others have nothing to draw), with a label per row."""
    rows = frame[np.isfinite(frame.ratio.to_numpy(float))].copy()
    label = rows.check + "  [" + rows.tag.where(rows.tag != "", "?") + "]"
    if "config" in rows.columns and label.duplicated(keep=False).any():
        dup = label.duplicated(keep=False)
        label = label.where(~dup, label + " (" + rows.config.fillna("").astype(str) + ")")
    rows["label"] = label
    return rows


def load_csv(path: str) -> pd.DataFrame:
    """Read a ``boundlab verify --format csv`` file."""
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise BoundlabError(f"from-csv: file not found: {path}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise BoundlabError(f"from-csv: {path} is not a readable CSV ({str(err).splitlines()[0]})") from None
    return check_frame(frame, f"from-csv {path}")


def from_verify(suite: str = "quick", seed: int = 0, rerun: bool = False) -> tuple[pd.DataFrame, bool]:
    """The table of ``boundlab.verify.run_suite(suite, seed=seed)`` and whether it came from the cache: the
    table of an earlier ``boundlab verify`` run of the same code and options (:mod:`boundlab.verify.cache`),
    unless ``rerun``; else the suite is run (and its table cached)."""
    try:
        from boundlab.verify import cache, run_suite
        from boundlab.verify.suite import ALPHA
    except ImportError:
        raise VerifyUnavailable("tightness: boundlab.verify.run_suite is not available yet (issue 4); "
                                "figure 3 skipped (give --from-csv FILE from 'boundlab verify --format csv')") from None
    k = cache.key(suite, seed, 1.0, ALPHA, "monte-carlo")
    frame = None if rerun else cache.load(k)
    if frame is not None:
        return check_frame(frame, f"verify suite '{suite}' (cached)"), True
    frame = run_suite(suite, seed=seed).to_frame()
    cache.store(k, frame)
    return check_frame(frame, f"verify suite '{suite}'"), False


def plot(frame: pd.DataFrame, meta: dict[str, Any] | None = None):
    """One row per check with a ratio: the ratio (marker: kind; colour: verdict) and its interval, against 1."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    frame = check_frame(frame)
    meta = meta or {}
    rows = drawable(frame)
    n = max(len(rows), 1)
    fig, ax = plt.subplots(figsize=(11, 1.8 + 0.3 * n))
    fig._boundlab_min_height = 1.2 + 11 / 72 * n       # a style keeps the rows 11 pt apart (common.restyle)
    y = np.arange(len(rows))[::-1]              # the first check at the top
    low = rows.ratio_low.to_numpy(float)
    high = rows.ratio_high.to_numpy(float)
    ratio = rows.ratio.to_numpy(float)
    innov = (pd.to_numeric(rows["innovation"], errors="coerce").to_numpy(float) if "innovation" in rows.columns
             else np.full(len(rows), np.nan))
    roles = rows["role"].fillna("").astype(str).to_numpy() if "role" in rows.columns else np.full(len(rows), "")
    for i, row in enumerate(rows.itertuples(index=False)):
        col = VERDICTS.get(row.verdict, "#7f7f7f")
        if roles[i] == "control" and row.verdict == "violated":
            col = CONTROL_COLOUR  # a negative control that fails, as it must
        if math.isfinite(low[i]) and math.isfinite(high[i]):
            ax.plot([low[i], high[i]], [y[i], y[i]], "-", color=col, lw=2, alpha=0.7, gid=f"interval:{i}")
        ax.plot([ratio[i]], [y[i]], KIND_MARKERS.get(row.kind, "s"), color=col, ms=7, mec="black", mew=0.5,
                gid=f"ratio:{i}")
        if math.isfinite(innov[i]) and innov[i] > 0:  # a recursion's non-carried parts (see the caption)
            ax.plot([innov[i]], [y[i]], "^", mfc="none", mec="#1f4e9c", ms=8, mew=1.2, gid=f"innovation:{i}")
    ax.axvline(1.0, color="black", lw=1.0)
    ax.set_yticks(y)
    ax.set_yticklabels(rows.label, fontsize=8)
    shown = innov[np.isfinite(innov) & (innov > 0)]
    ends = np.concatenate([ratio, low[np.isfinite(low)], high[np.isfinite(high)], shown])
    if len(rows) and np.all(ends > 0):
        _log_ticks(ax, float(ends.min()), float(ends.max()))
    ax.set_xlabel("measured / bound  (upper bound: \u2264 1 claimed, 1 = attained; equality case: 1 expected)")
    ax.set_ylim(-0.8, n - 0.2)
    ax.grid(True, axis="x", which="both", alpha=0.3)
    kinds = list(dict.fromkeys([*KINDS, *rows.kind]))
    handles = [Line2D([], [], marker=KIND_MARKERS.get(k, "s"), ls="", color="grey", mec="black", label=f"{k} check")
               for k in kinds]
    handles += [Line2D([], [], marker="s", ls="", color=c, label=v) for v, c in VERDICTS.items()]
    if any(r == "control" for r in roles):
        handles.append(Line2D([], [], marker="s", ls="", color=CONTROL_COLOUR, label="negative control fails (as it must)"))
    if len(shown):
        handles.append(Line2D([], [], marker="^", ls="", mfc="none", mec="#1f4e9c",
                              label="innovation ratio (a recursion's\nratio is near 1 by construction:\nits right side "
                                    "carries the\nprevious left side)"))
    ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    where = meta.get("source", "")
    ax.set_title("Tightness of every bound: measured / bound for each verify check" + (f"\n({where})" if where else ""),
                 fontsize=11)
    fig.tight_layout()
    left_out = len(frame) - len(rows)
    note = (f"\n{left_out} row(s) of the table have no ratio (e.g. unbiasedness tests, or checks that could not run) "
            "and are not drawn; they are in the CSV.") if left_out else ""
    common.caption(fig, "Marker: the measured/bound ratio; bar: verify's interval for it (ratio_low, ratio_high); "
                   "colour: verify's verdict. Tags: [S] printed on the slides, [S?] printed but doubtful, [D] derived, "
                   "[O] order only.\nA ratio far below 1 means the bound holds with room to spare (loose); near 1, "
                   "tight. A recursion's ratio is near 1 by construction (its right side carries the previous left "
                   "side): its open triangle,\nthe innovation ratio E[lhs - carried]/E[rhs - carried], is what the "
                   "constants control (drawn when positive; all values are in the CSV)." + note)
    return fig


def _log_ticks(ax, lo: float, hi: float) -> None:
    """Log x axis with readable 1-2-5 ticks (plain numbers) and no minor labels."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter
    ax.set_xscale("log")
    decades = range(int(math.floor(math.log10(lo))) - 1, int(math.ceil(math.log10(hi))) + 1)
    mantissas = (1, 2, 5) if math.log10(hi / lo) <= 3 else (1,)   # wide ranges: powers of ten only
    ticks = [m * 10.0 ** e for e in decades for m in mantissas]
    ticks = [t for t in ticks if lo / 1.5 <= t <= hi * 1.5] or [1.0]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def data(frame: pd.DataFrame, source: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The figure's table (checked) and metadata from a verify table read from ``source``."""
    return check_frame(frame, source), {"figure": "tightness", "source": source, "columns": list(COLUMNS)}


def make(frame: pd.DataFrame, out: str, source: str) -> tuple[list[str], pd.DataFrame, dict[str, Any]]:
    """Plot and write figure 3 from a verify table into ``out``: (paths, table, metadata)."""
    frame, meta = data(frame, source)
    return common.save(plot(frame, meta), frame, meta, out, NAME), frame, meta
