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
import warnings
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


#: the resolution of NAME.png
PNG_DPI = 130
#: the style :func:`save` applies when none is given (``boundlab figures --style`` sets it for the whole run)
DEFAULT_STYLE = ["screen"]


def save(fig, frame: pd.DataFrame, meta: dict[str, Any], out: str, name: str, style: str | None = None) -> list[str]:
    """Write NAME.png, NAME.pdf, NAME.csv and NAME.meta.json into ``out`` atomically and together
    (``boundlab.simulate.files.write_together``); return the paths. ``style``: see :data:`STYLES`; the caption
    (:func:`caption`) goes to the metadata, not into the image."""
    style = style or DEFAULT_STYLE[0]
    restyle(fig, style)
    crop = "tight"
    if STYLES.get(style):
        fig.set_dpi(PNG_DPI)               # laid out at the PNG's resolution (hinted text is wider at some sizes)
        crop = fit_width(fig, STYLES[style][0] / 72.0)
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
            (base + ".png", lambda fh: fig.savefig(fh, format="png", dpi=PNG_DPI, bbox_inches=crop), True),
            (base + ".pdf", lambda fh: fig.savefig(fh, format="pdf", bbox_inches=crop), True),
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
#: width (487 pt: a two-column paper's figure*), ``column`` for one column of a two-column paper (241 pt; the panels
#: of a multi-panel figure stacked in one column), ``slides`` for a 16:9 slide (720 pt); ``screen`` keeps each
#: figure's own size. The files of a styled figure are exactly that wide (:func:`fit_width`).
STYLES = {"screen": None, "paper": (487.0, 8.0), "column": (241.0, 7.0), "slides": (720.0, 14.0)}
#: ``column``: each stacked panel's height over the width
COLUMN_PANEL_ASPECT = 0.7


def restyle(fig, style: str) -> None:
    """Resize ``fig`` to the style's width (keeping its aspect ratio; ``column``: its panels stacked first, see
    :func:`one_column`; never lower than a figure's ``_boundlab_min_height``, in inches: rows of labels) and set
    every text to the style's sizes: titles and axis labels at the base size, ticks, legends and notes smaller, the
    figure's title one larger."""
    if style not in STYLES:
        raise BoundlabError(f"style must be one of {', '.join(STYLES)}, got {style!r}")
    if STYLES[style] is None:
        return
    width_pt, base = STYLES[style]
    w, h = fig.get_size_inches()
    fig._boundlab_legend_size = base - 1.5
    if style == "column" and one_column(fig) > 1:
        h, w = COLUMN_PANEL_ASPECT * len(fig.axes) + 0.25, 1.0     # (+ a quarter width: the title, a legend below)
    height = width_pt / 72.0 * h / w
    fig.set_size_inches(width_pt / 72.0, max(height, getattr(fig, "_boundlab_min_height", 0.0)))
    for ax in fig.axes:
        ax.title.set_fontsize(base)
        ax.xaxis.label.set_fontsize(base)
        ax.yaxis.label.set_fontsize(base)
        ax.tick_params(which="both", labelsize=base - 1)
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


def one_column(fig) -> int:
    """The figure's panels stacked in one column, in reading order (an empty panel, turned off, is removed), and its
    legends merged into one legend under the panels (a column is too narrow to hold them beside or inside the
    axes; an entry whose label repeats is kept once); returns the number of panels."""
    from matplotlib.gridspec import GridSpec
    panels = [ax for ax in fig.axes if ax.get_subplotspec() is not None]
    for ax in [a for a in panels if not a.axison]:
        fig.delaxes(ax)
    panels = [ax for ax in panels if ax.axison]
    panels.sort(key=lambda a: (a.get_subplotspec().rowspan.start, a.get_subplotspec().colspan.start))
    if len(panels) > 1:
        grid = GridSpec(len(panels), 1, figure=fig)
        for i, ax in enumerate(panels):
            ax.set_subplotspec(grid[i])
            ax.tick_params(labelleft=True, labelbottom=True)    # (a shared axis showed them on the outer panels)
    _merge_legends(fig, [ax.get_legend() for ax in fig.axes] + list(fig.legends))
    return max(len(panels), 1)


def _merge_legends(fig, legends: list) -> None:
    """Move the entries of ``legends`` into the figure's merged legend under the panels (:func:`_bottom_legend`),
    an entry whose label repeats kept once."""
    handles, labels = getattr(fig, "_boundlab_legend", ([], []))
    entries = dict(zip(labels, handles))
    for legend in legends:
        if legend is None:
            continue
        for handle, text in zip(legend.legend_handles, legend.get_texts()):
            entries.setdefault(text.get_text(), handle)
        legend.remove()
        if legend in fig.legends:
            fig.legends.remove(legend)
    if entries:
        fig._boundlab_legend = (list(entries.values()), list(entries))


def _bottom_legend(fig, renderer):
    """The merged legend of :func:`one_column` under the panels: two columns when they fit the width, else one;
    returns its height in inches (0 without one)."""
    handles, labels = getattr(fig, "_boundlab_legend", (None, None))
    if not handles:
        return 0.0
    for legend in list(fig.legends):
        legend.remove()
    fig.legends.clear()
    size = getattr(fig, "_boundlab_legend_size", None)
    for ncol in ((2, 1) if len(handles) > 1 else (1,)):
        legend = fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=ncol,
                            fontsize=size, frameon=False)
        legend.set_in_layout(False)
        if legend.get_window_extent(renderer).width <= fig.bbox.width or ncol == 1:
            break
        legend.remove()
    return legend.get_window_extent(renderer).height / fig.dpi


def _texts(fig) -> list:
    """The titles, axis labels and notes of ``fig``, each with the room it must fit in: ``(text, None)`` the
    figure's width (the figure's title and notes, a single panel's title and x label; centred text: as much on
    either side of its centre), ``(text, (ax, 0))`` the axes' width (a panel's title, x label and notes),
    ``(text, (ax, 1))`` its height (a y label)."""
    out = [(t, None) for t in fig.texts if t.get_text()]
    alone = sum(ax.axison for ax in fig.axes) == 1       # one panel: its title and x label may use the width
    for ax in fig.axes:
        out += [(ax.title, None if alone else (ax, 0)), (ax.xaxis.label, None if alone else (ax, 0)),
                (ax.yaxis.label, (ax, 1))]
        out += [(t, (ax, 0)) for t in ax.texts]
    return [(t, room) for t, room in out if t.get_text()]


def _wrap_to_fit(fig, renderer) -> bool:
    """Wrap every title, axis label and note longer than its room (:func:`_texts`) at word boundaries, from the
    text as written (a text that fits is left as it is: the wrapping only narrows, so the layout settles); True
    when one changed."""
    import textwrap
    changed = False
    for t, room in _texts(fig):
        before = t.get_text()
        length, limit = _extent(fig, t, room, renderer)
        if length <= 0.95 * limit:
            continue
        original = getattr(t, "_boundlab_text", None)
        if original is None:
            original = t._boundlab_text = before
        t.set_text(original)
        length, limit = _extent(fig, t, room, renderer)
        longest = max(len(line) for line in original.splitlines())
        chars = min(int(longest * 0.95 * limit / length),
                    max(len(line) for line in before.splitlines()) - 1)              # narrower than it was
        t.set_text(textwrap.fill(" ".join(original.split()), max(chars, 12)))
        changed |= t.get_text() != before
    return changed


def _extent(fig, t, room, renderer) -> tuple[float, float]:
    """(the text's length, its room) in pixels (:func:`_texts`)."""
    ext = t.get_window_extent(renderer)
    width = fig.bbox.width
    centre = 0.5 * (ext.x0 + ext.x1)
    inside = 2 * max(min(centre, width - centre), 0.3 * width)     # centred text: as much room either side
    if room is None:
        return ext.width, inside
    ax, axis = room
    return (ext.width, min(1.1 * ax.bbox.width, inside)) if axis == 0 else (ext.height, 1.1 * ax.bbox.height)


def _wrap_tick_labels(fig, renderer) -> bool:
    """Text tick labels of a y axis (one row per item, e.g. the tightness figure's checks) wider than 45% of the
    figure wrapped at word boundaries, and the figure made tall enough for their lines; True when one changed."""
    import textwrap

    from matplotlib.ticker import FixedLocator
    changed = False
    for ax in fig.axes:
        labels = ax.get_yticklabels()
        if not isinstance(ax.yaxis.get_major_locator(), FixedLocator) or \
                not any(c.isalpha() for t in labels for c in t.get_text()):      # (rows of names, not numbers)
            continue
        original = getattr(ax, "_boundlab_yticks", None)
        if original is None:
            original = ax._boundlab_yticks = [t.get_text() for t in labels]
        before = [t.get_text() for t in labels]
        size = labels[0].get_fontsize()
        chars = max(12, int(0.45 * fig.get_size_inches()[0] * 72 / (0.6 * size)))   # (a character: ~0.6 em wide)
        now = [textwrap.fill(t, chars) if len(t) > chars else t for t in original]
        if now != before:
            ax.set_yticks(ax.get_yticks(), now)
        lines = max(t.count("\n") + 1 for t in now)
        need = len(now) * (lines * 1.2 * size + 2) / 72                 # inches: the rows of labels, not overlapping
        have = ax.bbox.height / fig.dpi
        if need > have * 1.01:
            w, h = fig.get_size_inches()
            fig.set_size_inches(w, h + need - have)
            changed = True
        changed |= now != before
    return changed


def _overflows(ax, renderer) -> bool:
    """Does the axes' legend, anchored inside it, cover most of it or reach out of it?"""
    legend, box = ax.get_legend(), ax.get_window_extent(renderer)
    ext = legend.get_window_extent(renderer)
    inside = legend.get_bbox_to_anchor().width <= box.width * 1.01    # (anchored to the axes, not outside it)
    return inside and (ext.width > 0.9 * box.width or ext.height > 0.9 * box.height
                       or ext.x1 > box.x1 + 2 or ext.x0 < box.x0 - 2)


def fit_width(fig, width_in: float):
    """Lay ``fig`` out so that everything drawn is ``width_in`` wide: titles, labels and notes longer than their room
    wrapped (:func:`_wrap_to_fit`, :func:`_wrap_tick_labels`), a legend larger than its panel merged into the legend
    under the panels (:func:`_bottom_legend`, which the figure grows to hold), and the figure narrowed (or widened)
    by what its content exceeds (or lacks), fonts unchanged, until it fits within 0.5%, 3 pt of margin left on
    either side (text drawn by another renderer, the PDF's, may be a little wider); returns the bounding box, exactly
    ``width_in`` wide, to save (``savefig(bbox_inches=...)``)."""
    from matplotlib.transforms import Bbox
    margin = 3.0 / 72
    full, width_in = width_in, width_in - 2 * margin
    box = None
    legend_h = 0.0                                 # the merged legend's height (column style), once known
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None:                       # at the very top: tight_layout keeps its height free there
        suptitle.set_y(1.0)
        suptitle.set_va("top")
    attempts = 10
    for attempt in range(attempts):
        renderer = fig.canvas.get_renderer()
        if getattr(fig, "_boundlab_legend", None):
            h = _bottom_legend(fig, renderer)
            if abs(h - legend_h) > 1e-3:            # the figure grows by the legend's height, under the panels
                w, fh = fig.get_size_inches()
                fig.set_size_inches(w, fh + h - legend_h)
                legend_h = h
        with warnings.catch_warnings():          # (the rect keeps the panels off the merged legend)
            warnings.simplefilter("ignore")      # (a layout not applied yet: the next pass, with wrapped text, is)
            try:
                fig.tight_layout(pad=0.3, rect=(0, legend_h / fig.get_size_inches()[1] + 0.005, 1, 1))
            except (ValueError, RuntimeError):  # (tight_layout cannot place some artists: the box below still fits)
                pass
        changed = _wrap_to_fit(fig, renderer)
        changed |= _wrap_tick_labels(fig, renderer)
        crowded = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None and _overflows(ax, renderer)]
        if crowded:                               # a legend larger than its axes: under the panels instead
            _merge_legends(fig, crowded)
            changed = True
        box = fig.get_tightbbox(renderer, bbox_extra_artists=[*fig.get_default_bbox_extra_artists(), *fig.legends])
        excess = box.width - width_in
        if (not changed and abs(excess) <= 0.005 * width_in) or attempt == attempts - 1:
            break
        w, h = fig.get_size_inches()
        fig.set_size_inches(max(w - excess, 0.3 * width_in), h)
    x0 = box.x0 + 0.5 * (box.width - full)
    return Bbox.from_bounds(x0, box.y0 - margin, full, box.height + 2 * margin)
