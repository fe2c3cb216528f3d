"""Shared helpers of the figures: output files, confidence intervals, colours, input checks.

Every figure is written as ``NAME.png`` and ``NAME.pdf`` with the data it plots in ``NAME.csv``
(one tidy table) and its settings in ``NAME.meta.json``, all in one output folder. Existing files
are never replaced unless ``overwrite`` is set.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
from collections.abc import Iterable, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")               # no screen: files only
matplotlib.rcParams["mathtext.fontset"] = "cm"   # Computer Modern in $...$: its Upsilon is not a Y
import matplotlib.pyplot as plt     # noqa: E402
import numpy as np                  # noqa: E402
import pandas as pd                 # noqa: E402

from boundlab.errors import BoundlabError
from boundlab.jsonutil import jsonable  # noqa: F401  (re-exported)  # noqa: E402

#: two-sided 95% quantile of the standard normal: bands are mean +- Z95 standard errors
Z95 = 1.959963984540054
BAND_TEXT = "band: mean over runs +- 1.96 standard errors (95% normal interval)"
EXTENSIONS = ("png", "pdf", "csv", "meta.json")

#: one colour per algorithm, the same in every figure
COLOURS = {
    "sgd": "#7f7f7f", "qsgd": "#bcbd22", "diana": "#1f77b4", "artemis": "#d62728", "dore": "#ff7f0e",
    "double-squeeze": "#8c564b", "mcm": "#2ca02c", "rand-mcm": "#9467bd", "ghost": "#17becf",
}
#: one marker per algorithm (curves that coincide stay distinguishable)
MARKERS = {"sgd": "x", "qsgd": "+", "diana": "s", "artemis": "o", "dore": "^", "double-squeeze": "v",
           "mcm": "D", "rand-mcm": "*", "ghost": "p"}
#: the names the paper uses
DISPLAY = {"sgd": "SGD", "qsgd": "QSGD", "diana": "Diana", "artemis": "Artemis", "dore": "Dore",
           "double-squeeze": "Double-Squeeze", "mcm": "MCM", "rand-mcm": "Rand-MCM", "ghost": "Ghost",
           "ecq-sgd": "ECQ-SGD"}


def display(name: str) -> str:
    """The paper's name of an algorithm ('mcm' -> 'MCM')."""
    return DISPLAY.get(name, name)


def colour(name: str) -> str:
    """The colour of an algorithm (black for an unknown one)."""
    return COLOURS.get(name, "#000000")


def marker(name: str) -> str:
    """The marker of an algorithm."""
    return MARKERS.get(name, "o")


def mean_interval(values: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(mean, standard error, low, high) over ``axis``: the 95% normal interval mean +- 1.96 s/sqrt(R).

    Non-finite values (diverged runs) are left out; with fewer than two finite values the standard
    error is NaN.
    """
    x = np.asarray(values, dtype=float)
    finite = np.isfinite(x)
    n = finite.sum(axis=axis)
    xs = np.where(finite, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        mean = xs.sum(axis=axis) / n
        dev = np.where(finite, x - np.expand_dims(mean, axis), 0.0)
        var = (dev ** 2).sum(axis=axis) / (n - 1)
        se = np.sqrt(var / n)
    se = np.where(n >= 2, se, np.nan)
    return mean, se, mean - Z95 * se, mean + Z95 * se


def check_out(out: str, names: Iterable[str], overwrite: bool) -> None:
    """The output folder exists (it is created if its parent does) and no file would be replaced."""
    if not out:
        raise BoundlabError("out: give an output folder (--out DIR)")
    parent = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(out):
        if not os.path.isdir(parent):
            raise BoundlabError(f"out: the parent folder {parent} does not exist")
        os.makedirs(out)
    if overwrite:
        return
    taken = [f"{n}.{e}" for n in names for e in EXTENSIONS if os.path.exists(os.path.join(out, f"{n}.{e}"))]
    if taken:
        raise BoundlabError(f"out: {os.path.join(out, taken[0])} exists ({len(taken)} file(s) would be replaced); "
                            "use --overwrite to replace them")


#: the style :func:`save` applies when none is given (``boundlab figures --style`` sets it for the whole run)
DEFAULT_STYLE = ["screen"]


def save(fig, frame: pd.DataFrame, meta: dict[str, Any], out: str, name: str, style: str | None = None) -> list[str]:
    """Write NAME.png, NAME.pdf, NAME.csv and NAME.meta.json into ``out`` atomically and together
    (``boundlab.simulate.files.write_together``); return the paths. ``style``: see :data:`STYLES`; the caption
    (:func:`caption`) goes to the metadata, not into the image."""
    style = style or DEFAULT_STYLE[0]
    restyle(fig, style)
    if STYLES.get(style):
        try:
            fig.tight_layout()             # refit after the new sizes (the files are cropped to their content)
        except (ValueError, RuntimeError):  # e.g. a legend outside the axes: the crop below still holds it
            pass
    text = getattr(fig, "_boundlab_caption", "")
    if text:
        meta = {**meta, "caption": text if not meta.get("caption") or meta["caption"] == text
                else meta["caption"] + "\n" + text}
    meta = {**meta, "style": style, **({"width_pt": STYLES[style][0], "font_pt": STYLES[style][1]}
                                         if STYLES.get(style) else {})}
    from boundlab import __version__
    from boundlab.simulate.files import environment, write_together
    base = os.path.join(out, name)
    full = {"boundlab_version": __version__,
            "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "environment": environment(), **meta}
    try:
        write_together([
            (base + ".png", lambda fh: fig.savefig(fh, format="png", dpi=130, bbox_inches="tight"), True),
            (base + ".pdf", lambda fh: fig.savefig(fh, format="pdf", bbox_inches="tight"), True),
            (base + ".csv", lambda fh: frame.to_csv(fh, index=False), False),
            (base + ".meta.json", lambda fh: json.dump(jsonable(full), fh, indent=2), False)])
    finally:
        plt.close(fig)
    return [base + "." + e for e in EXTENSIONS]


def parse_floats(text: "str | Sequence[float]", what: str, low: float = 0.0) -> list[float]:
    """'0,1,2.5' (or a list) -> [0.0, 1.0, 2.5], each finite and >= low, at least one, sorted, distinct."""
    items = text.split(",") if isinstance(text, str) else list(text)
    try:
        values = [float(v) for v in items if str(v).strip()]
    except ValueError:
        raise BoundlabError(f"{what} must be a comma list of numbers >= {low:g}, got {text!r}") from None
    if not values or any(not math.isfinite(v) or v < low for v in values):
        raise BoundlabError(f"{what} must be a comma list of numbers >= {low:g}, got {text!r}")
    return sorted(set(values))


def parse_names(text: "str | Sequence[str]", what: str, allowed: Sequence[str]) -> list[str]:
    """'mcm,artemis' -> ['mcm', 'artemis'], each in ``allowed``, order kept, at least one."""
    items = [t.strip() for t in (text.split(",") if isinstance(text, str) else text) if t.strip()]
    bad = [t for t in items if t not in allowed]
    if not items or bad:
        raise BoundlabError(f"{what} must be a comma list of {', '.join(allowed)}; got {text!r}")
    return list(dict.fromkeys(items))


def positive_int(value: Any, what: str, low: int = 1) -> int:
    """An integer >= low, else a one-line error naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise BoundlabError(f"{what} must be an integer >= {low}, got {value!r}")
    return int(value)


def load_saved(src: str, name: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The table and metadata that :func:`save` wrote as SRC/NAME.csv and SRC/NAME.meta.json (for a redraw)."""
    try:
        frame = pd.read_csv(os.path.join(src, name + ".csv"))
        with open(os.path.join(src, name + ".meta.json"), encoding="utf-8") as fh:
            meta = json.load(fh)
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise BoundlabError(f"from: cannot read {name} in {src} ({err})") from None
    return frame, meta


def caption(fig, text: str, y: float = -0.02) -> None:
    """The figure's caption: kept out of the image (a paper sets its own), written to NAME.meta.json's
    ``caption`` by :func:`save` and shown in the documentation. (``y``: unused, kept for old callers.)"""
    fig._boundlab_caption = (getattr(fig, "_boundlab_caption", "") + "\n" + text).strip()


def note(fig, text: str) -> None:
    """A note drawn on the figure, under the axes: for what a reader must see in the picture itself (runs that
    diverged and are left out), unlike the caption. It also joins the caption in the metadata."""
    fig.text(0.01, -0.01, text, ha="left", va="top", fontsize=7, color="#a00000", wrap=True, gid="note")
    caption(fig, text)


#: ``--style``: the width of the figure in points and the base font size in points: ``paper`` for a page's text
#: width (487 pt), ``slides`` for a 16:9 slide (720 pt); ``screen`` keeps each figure's own size. (One column of a
#: two-column paper, 241 pt, needs layouts of its own: the two-panel figures do not fit it yet.)
STYLES = {"screen": None, "paper": (487.0, 8.0), "slides": (720.0, 14.0)}


def restyle(fig, style: str) -> None:
    """Resize ``fig`` to the style's width (keeping its aspect ratio) and set every text to the style's sizes:
    titles and axis labels at the base size, ticks, legends and notes one point smaller, the title one larger."""
    if style not in STYLES:
        raise BoundlabError(f"style must be one of {', '.join(STYLES)}, got {style!r}")
    if STYLES[style] is None:
        return
    width_pt, base = STYLES[style]
    w, h = fig.get_size_inches()
    fig.set_size_inches(width_pt / 72.0, width_pt / 72.0 * h / w)
    for ax in fig.axes:
        ax.title.set_fontsize(base)
        ax.xaxis.label.set_fontsize(base)
        ax.yaxis.label.set_fontsize(base)
        ax.tick_params(labelsize=base - 1)
        legend = ax.get_legend()
        if legend is not None:
            for t in legend.get_texts():
                t.set_fontsize(base - 1.5)
        for t in ax.texts:
            t.set_fontsize(base - 1.5)
    for legend in fig.legends:
        for t in legend.get_texts():
            t.set_fontsize(base - 1.5)
    if getattr(fig, "_suptitle", None) is not None:
        fig._suptitle.set_fontsize(base + 1)
    for t in fig.texts:
        if t is not getattr(fig, "_suptitle", None):
            t.set_fontsize(base - 1.5)
