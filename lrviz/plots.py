"""Figures of traces, as ``matplotlib.figure.Figure`` objects (no pyplot global state).

The x axis counts finished steps (epochs, in a trace of one step per epoch): step k's
rate spans [k-1, k], an epoch's losses sit at its end, and an event at step k sits at k,
where the new rate begins (:mod:`lrviz.series` says where each trace's steps go, and
which param groups share one line). Every line has its own colour and marker shape,
so it reads in greyscale too; events are marked with one symbol per kind on their own
group's line. Rates are drawn on a log axis, linear from 0 up to the smallest positive
rate when some rate is 0. Long lines are thinned column by column, keeping every
minimum, maximum and event.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from lrviz import series
from lrviz.bands import Band, Group, metric_band, rate_band, reduction_epochs
from lrviz.explanation import notable
from lrviz.trace import Event, Trace

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from lrviz.series import Floats, Frame

WIDTH = 7.5
"""Figure width in inches (fits a page or a doc column at 100%)."""

PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#882255",
    "#7F7F7F",
)
"""One colour per line, in order: Okabe and Ito's colour-blind-safe set (without its
yellow and black, too faint on white and too like the text), then wine and grey."""

SHAPES = ("o", "D", "P", "h", "*", "p", "d", "8", "H")
"""One marker shape per line, along it: tells lines apart without colour. None is an
event's shape."""

MARKERS = {"reduce": "v", "increase": "^", "held": "s", "external": "X"}
"""The marker of each kind of event."""

MAX_LINES = 12
"""Schedules drawn in one overview figure; a report of more lists the rest in tables."""

INK = "#222222"
"""The colour of quantities that are not a schedule's own (a metric, a loss)."""

_STYLE = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e6e6e6",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "svg.hashsalt": "lrviz",
    # SVG text stays text (selectable, searchable, smaller; the font list ends in
    # sans-serif) and draws in a fifth of the time of glyph outlines.
    "svg.fonttype": "none",
    # Labels are text, not TeX: "budget $5 to $10" stays as typed, and "$\\foo$" is no
    # parse error, whatever a matplotlibrc says. Tick labels are plain Unicode anyway
    # (power_of_ten).
    "text.parse_math": False,
    "text.usetex": False,
}


FALLBACK_FONTS = (
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "Hiragino Sans",
    "PingFang SC",
    "Microsoft YaHei",
    "Noto Sans",
    "Noto Sans Symbols2",
    "Noto Emoji",
    "Symbola",
    "Segoe UI Symbol",
    "Arial Unicode MS",
)
"""Fonts that labels in other scripts fall back to, those installed, in this order (no
colour emoji font: matplotlib cannot draw one)."""

LAST_RESORT = "Last Resort High-Efficiency"
"""matplotlib's own font of last resort: a box naming the Unicode block of a character no
other font has, drawn without a warning."""


@cache
def _fonts() -> list[str]:
    """The font list: matplotlib's sans-serif, the installed fallbacks, the last resort."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return ["sans-serif", *(f for f in FALLBACK_FONTS if f in installed), LAST_RESORT]


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context({**_STYLE, "font.family": _fonts()}):  # type: ignore[dict-item]
        yield


@dataclass(frozen=True)
class Look:
    """How one line is drawn: its colour and its marker shape (filled or hollow)."""

    color: str
    marker: str
    hollow: bool = False

    def line(self, phase: int = 0, points: int = 2) -> dict[str, Any]:
        """Keyword arguments of ``Axes.plot`` for this line of ``points`` finite points;
        ``phase`` shifts its markers so that lines lying on each other show both."""
        if not self.marker:  # a line of one point would draw nothing: a dot instead
            return {"color": self.color, **({"marker": "o"} if points < 2 else {})}
        return {
            "color": self.color,
            "marker": self.marker,
            "markersize": 4.5,
            "markerfacecolor": "white" if self.hollow else self.color,
            "markeredgecolor": self.color,
            "markeredgewidth": 0.9,
            # Spaced along the line; matplotlib cannot space them on a line of one point.
            "markevery": (0.017 * (phase % 6), 0.1) if points > 1 else None,
        }


def look(index: int) -> Look:
    """The look of the index-th line: colour and shape cycle at different lengths, so
    no two of the first 72 lines look alike."""
    return Look(
        PALETTE[index % len(PALETTE)],
        SHAPES[index % len(SHAPES)],
        hollow=(index // len(SHAPES)) % 2 == 1,
    )


def _polygon(
    points: int, radius: float, turn: float, inner: float = 0.0
) -> list[tuple[float, float]]:
    """A regular polygon (a star with ``inner`` > 0) around (0, 0), y upwards."""
    out = []
    for k in range(points * (2 if inner else 1)):
        r = inner if inner and k % 2 else radius
        a = math.radians(turn + k * 360 / (points * (2 if inner else 1)))
        out.append((r * math.cos(a), r * math.sin(a)))
    return out


_SWATCH_SHAPES: dict[str, list[tuple[float, float]]] = {
    "D": [(0, 3.6), (3.6, 0), (0, -3.6), (-3.6, 0)],
    "P": [
        (-1.1, 3.4),
        (1.1, 3.4),
        (1.1, 1.1),
        (3.4, 1.1),
        (3.4, -1.1),
        (1.1, -1.1),
        (1.1, -3.4),
        (-1.1, -3.4),
        (-1.1, -1.1),
        (-3.4, -1.1),
        (-3.4, 1.1),
        (-1.1, 1.1),
    ],
    "h": _polygon(6, 3.4, 90),
    "*": _polygon(5, 4.0, 90, inner=1.7),
    "p": _polygon(5, 3.4, 90),
    "d": [(0, 3.8), (2.3, 0), (0, -3.8), (-2.3, 0)],
    "8": _polygon(8, 3.3, 22.5),
    "H": _polygon(6, 3.4, 0),
}


def swatch(index: int) -> str:
    """The index-th line's colour and marker as a small inline SVG (for the page's
    tables, beside each schedule's name); decorative, so hidden from screen readers."""
    look_ = look(index)
    fill = "white" if look_.hollow else look_.color
    if look_.marker == "o":
        shape = f'<circle cx="12" cy="5" r="3" fill="{fill}" stroke="{look_.color}"/>'
    else:
        points = " ".join(f"{12 + x:.2f},{5 - y:.2f}" for x, y in _SWATCH_SHAPES[look_.marker])
        shape = f'<polygon points="{points}" fill="{fill}" stroke="{look_.color}"/>'
    return (
        '<svg class="swatch" width="24" height="10" viewBox="0 0 24 10" aria-hidden="true">'
        f'<line x1="0" y1="5" x2="24" y2="5" stroke="{look_.color}" stroke-width="2"/>'
        f"{shape}</svg>"
    )


def color(index: int) -> str:
    """The colour of the index-th schedule."""
    return look(index).color


def _finite(values: Any) -> int:
    """How many of ``values`` are finite numbers."""
    import numpy as np

    return int(np.isfinite(np.asarray(values, dtype=float)).sum())


def _floats(values: Iterable[Any]) -> list[float]:
    """Values to plot; missing ones (None), and those no figure can draw (beyond
    :data:`series.LARGEST_DRAWN`, e.g. the loss of a diverged run), become gaps."""
    top = series.LARGEST_DRAWN
    return [math.nan if v is None or not abs(v) <= top else float(v) for v in values]


def _title(ax: Axes, text: str, above_axis: bool = False) -> None:
    # A fixed y skips matplotlib's title placement, which measures every tick label.
    ax.set_title(text, loc="left", y=1.0, pad=36 if above_axis else 8)


# -- layout: fixed sizes in inches (tight_layout would double the drawing time) ----------

LEGEND_ROW = 0.18
"""Height of a legend row at 8 pt, in inches."""

EPOCH_AXIS = 0.42
"""Room for an epoch axis above a step axis, in inches."""


def _figure(
    rows: int = 1,
    cols: int = 1,
    panel: float = 2.6,
    *,
    width: float = WIDTH,
    twin: bool = False,
    top_axis: bool = False,
    height_ratios: Sequence[float] | None = None,
    sharex: bool = True,
    sharey: bool = False,
    headline: bool = False,
) -> tuple[Figure, list[Axes]]:
    """A figure of ``rows`` x ``cols`` panels, each ``panel`` inches high (the first row's
    height when ``height_ratios`` are given), with room for titles, labels and ticks."""
    from matplotlib.figure import Figure

    ratios = list(height_ratios or [1.0] * rows)
    heights = [panel * r / ratios[0] for r in ratios]
    top = 0.32 + (EPOCH_AXIS if top_axis else 0.0) + (0.3 if headline else 0.0)
    gap = 0.3 + (0.25 if cols > 1 or rows > 2 else 0.0)
    bottom = 0.48
    height = top + bottom + sum(heights) + gap * (rows - 1)
    fig = Figure(figsize=(width, height))
    axes = fig.subplots(
        rows,
        cols,
        sharex=sharex,
        sharey=sharey,
        squeeze=False,
        gridspec_kw={"height_ratios": ratios} if height_ratios else None,
    )
    right = 0.75 if twin else 0.2
    fig.subplots_adjust(
        left=0.78 / width,
        right=1 - right / width,
        top=1 - top / height,
        bottom=bottom / height,
        hspace=gap / (sum(heights) / rows),
        wspace=0.9 / ((width - 1) / cols),
    )
    return fig, [ax for row in axes for ax in row]


def legend_columns(labels: Sequence[str], width: float = WIDTH) -> int:
    """Columns for a legend across the figure's width (about 125 characters at 8 pt in
    7.5 inches, each entry taking ~9 more for its handle and spacing): as few rows as the
    longest label allows, and the entries spread evenly over them."""
    chars = int(125 * width / WIDTH)
    most = max(1, min(len(labels), chars // (max(map(len, labels)) + 9)))
    rows = math.ceil(len(labels) / most)
    return math.ceil(len(labels) / rows)


def _legend_below(fig: Figure, handles: Sequence[Artist], labels: Sequence[str]) -> None:
    """The legend under the axes, which keep their size while the figure grows by its
    rows: inside the axes, four or more schedules' labels covered their lines."""
    if not labels:
        return
    width, height = fig.get_size_inches()
    columns = legend_columns(labels, width)
    below = math.ceil(len(labels) / columns) * LEGEND_ROW + 0.16
    top, bottom = (1 - fig.subplotpars.top) * height, fig.subplotpars.bottom * height
    fig.set_size_inches(width, height + below)
    fig.subplots_adjust(top=1 - top / (height + below), bottom=(bottom + below) / (height + below))
    fig.legend(
        handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.01), ncol=columns, fontsize=8
    )


def _legend_entries(
    axes: Sequence[Axes], extra: Sequence[Artist] = ()
) -> tuple[list[Any], list[str]]:
    """Handles and labels of the axes' labelled artists (each label once), then ``extra``."""
    handles: list[Any] = []
    labels: list[str] = []
    for ax in axes:
        for h, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(h)
                labels.append(label)
    handles += extra
    labels += [str(h.get_label()) for h in extra]
    return handles, labels


# -- axes --------------------------------------------------------------------------------

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(value: float, _pos: Any = None) -> str:
    """A log-axis tick label, "10⁻³", in plain Unicode: matplotlib's default, mathtext
    "$10^{-3}$", costs a parse per label, a third of the time it takes to draw a figure."""
    if value <= 0 or not math.isfinite(value):
        return ""
    exponent = round(math.log10(value))
    if math.isclose(value, 10.0**exponent, rel_tol=1e-9):
        return "10" + str(exponent).translate(_SUPERSCRIPT)
    return f"{value:g}"


def _one_two_five(value: float, _pos: Any = None) -> str:
    """A tick label of an axis with ticks at 1, 2 and 5 times powers of ten, all in one
    style: plain decimals ("0.05", "0.1") down to 0.0001, else a multiple of a power of
    ten ("5", the multiplication sign, "10⁻⁵")."""
    if value <= 0 or not math.isfinite(value):
        return ""
    if 1e-4 <= value < 1e5:
        return f"{value:g}"
    exponent = math.floor(math.log10(value) + 1e-9)
    mantissa = round(value / 10.0**exponent)
    power = "10" + str(exponent).translate(_SUPERSCRIPT)
    return power if mantissa == 1 else f"{mantissa}\N{MULTIPLICATION SIGN}{power}"


def _zero_or_power(value: float, _pos: Any = None) -> str:
    return "0" if value == 0 else power_of_ten(value)


def _decades(low: float, high: float, most: int = 8) -> list[float]:
    """Powers of ten from below ``low`` to above ``high``, every k-th so at most ``most``."""
    first, last = math.ceil(math.log10(low) - 1e-9), math.ceil(math.log10(high) - 1e-9)
    every = max(1, math.ceil((last - first + 1) / most))
    return [10.0**e for e in range(last, first - 1, -every)][::-1]


def _rate_axis(ax: Axes, values: Sequence[Floats], label: str = "learning rate") -> None:
    """The y axis for the rates drawn on ``ax`` (:func:`lrviz.series.rate_scale`): log,
    or log with a linear stretch from 0 when a rate is 0, or linear; major ticks only
    (minor ones cost more to draw than the data)."""
    import numpy as np
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullLocator

    scale, smallest = series.rate_scale(values)
    if scale == "linear":
        ax.set_ylabel(label)
        return
    ax.yaxis.set_minor_locator(NullLocator())
    if scale == "log":
        ax.set_yscale("log")
        finite = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in values])
        # Within a decade or two, ticks at 1, 2 and 5 times a power of ten too.
        narrow = finite.max() / finite.min() < 30
        ax.yaxis.set_major_locator(
            LogLocator(subs=(1.0, 2.0, 5.0) if narrow else (1.0,), numticks=8)
        )
        ax.yaxis.set_major_formatter(FuncFormatter(_one_two_five if narrow else power_of_ten))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_ylabel(f"{label} (log)")
        return
    finite = np.concatenate([v[np.isfinite(v)] for v in values])
    highest = float(finite.max())
    ax.set_yscale("symlog", linthresh=smallest, linscale=0.5)
    ax.yaxis.set_major_locator(FixedLocator([0.0, *_decades(smallest, highest)]))
    ax.yaxis.set_major_formatter(FuncFormatter(_zero_or_power))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_ylim(-0.25 * smallest, highest * 1.6)
    ax.set_ylabel(f"{label} (log; linear 0\N{EN DASH}{smallest:.2g})")


SETTLE = 0.1
"""Losses of the first tenth of the epochs may spike far above the rest (up to 50 at the
lesson's lr 0.1, then ~1.08): the loss axes fit the later values and say they clip."""


def _loss_axis(ax: Axes, label: str, qualifier: str | None = None) -> str:
    """A y axis for the losses drawn on ``ax``, fitted to them, plain tick labels: log when
    they are all positive, else linear; labelled "label (qualifier, log)".

    Returns:
        A note for the x label when the first epochs' losses are clipped, else "".
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

    limits = _loss_limits(ax)
    if limits is None or limits[0] <= 0:
        ax.set_ylabel(f"{label} ({qualifier})" if qualifier else label)
        if limits is None and not _has_data(ax):
            ax.text(0.5, 0.5, "no finite values", transform=ax.transAxes, ha="center")
        return ""
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_ylabel(f"{label} ({qualifier}, log)" if qualifier else f"{label} (log)")
    bottom, top, peak = limits
    ax.set_ylim(bottom / 1.04, top * 1.06)
    # Within a factor of ~3 a log axis has no decade ticks left: place plain ones.
    narrow = top / bottom < 3
    ax.yaxis.set_major_locator(
        MaxNLocator(nbins=5) if narrow else LogLocator(subs=(1.0, 2.0, 5.0), numticks=8)
    )
    return f"the first epochs' losses, up to {peak:.3g}, are off the top" if peak > top else ""


def _has_data(ax: Axes) -> bool:
    import numpy as np

    return any(
        np.isfinite(np.asarray(line.get_ydata(), dtype=float)).any() for line in ax.get_lines()
    )


def _x_label(ax: Axes, frame: Frame, note: str = "") -> None:
    ax.set_xlabel(f"{frame.label}   ({note})" if note else frame.label)


def _loss_limits(ax: Axes) -> tuple[float, float, float] | None:
    """(lowest, highest after the first epochs, highest) of the finite values on ``ax``
    (its lines and filled bands), or None when there are none."""
    import numpy as np
    from matplotlib.collections import PolyCollection

    points = [np.column_stack([line.get_xdata(), line.get_ydata()]) for line in ax.get_lines()]
    points += [
        np.asarray(path.vertices)
        for band in ax.collections
        if isinstance(band, PolyCollection)
        for path in band.get_paths()
    ]
    if not points:
        return None
    xy = np.concatenate(points).astype(float)
    x, y = xy[:, 0], xy[:, 1]
    keep = np.isfinite(x) & np.isfinite(y)
    if not keep.any():
        return None
    x, y = x[keep], y[keep]
    if (y <= 0).any():
        return float(y.min()), float(y.max()), float(y.max())
    settled = y[x > SETTLE * ax.get_xlim()[1]]
    peak = float(y.max())
    top = float(settled.max()) if settled.size else peak
    # Clip only when it pays: the early values stand well above the rest.
    return float(y.min()), (top if peak > 1.5 * top else peak), peak


def _epoch_axis(ax: Axes, frame: Frame) -> bool:
    """Epochs on a second x axis above a step axis, at round numbers; whether drawn."""
    from matplotlib.ticker import MaxNLocator

    ends = frame.epoch_ends()
    if not ends:
        return False
    last = max(ends)
    chosen = MaxNLocator(nbins=7, steps=[1, 2, 5, 10], integer=True).tick_values(0, last)
    ticks = [
        (ends[int(v)], count_label(v, last)) for v in chosen if int(v) in ends and 0 <= v <= last
    ]
    top = ax.secondary_xaxis("top")
    top.set_xticks([p for p, _ in ticks], [t for _, t in ticks])
    top.tick_params(labelsize=8)
    top.set_xlabel("epoch", fontsize=8, labelpad=3)
    return True


def _x_extent(ax: Axes, frame: Frame, traces: Sequence[Trace]) -> None:
    """The x axis from 0 to the longest trace, ticks at whole steps or epochs."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.set_xlim(0, series.frame_length(frame, traces))
    ax.xaxis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 5, 10], integer=True))
    top = ax.get_xlim()[1]
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: count_label(v, top)))


def count_label(value: float, top: float = 0.0) -> str:
    """A step or epoch tick on an axis up to ``top``: "900", "1,500"; "250k", "1.5M" when
    the axis reaches 100,000, every tick alike (never an offset like "1e6")."""
    top = max(top, abs(value))
    if top >= 1e6 and value:
        return f"{value / 1e6:g}M"
    if top >= 1e5 and value:
        return f"{value / 1e3:g}k"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


# -- lines -------------------------------------------------------------------------------


def marked_events(trace: Trace) -> list[Event]:
    """Events worth a marker: all of them, but for every-epoch schedules only milestones,
    turning points, held and external ones."""
    return notable(trace)


def _events_of(trace: Trace, groups: Sequence[int]) -> list[Event]:
    """The marked events of these groups, one per step and rate (groups drawn as one
    line share their markers)."""
    seen: set[tuple[int, str, float]] = set()
    out = []
    for e in marked_events(trace):
        key = (e.at, e.kind, e.lr_after)
        if e.group in groups and key not in seen:
            seen.add(key)
            out.append(e)
    return out


def _rate_line(
    ax: Axes,
    frame: Frame,
    trace: Trace,
    groups: Sequence[int],
    look_: Look,
    label: str | None,
    phase: int,
    gid: str,
) -> Floats:
    """One line of rates (of the first of ``groups``; the others have the same), its
    events marked on it. Returns the rates, for the axis."""
    import numpy as np

    events = _events_of(trace, groups)
    r = series.drawable(series.rates(trace, groups[0]))
    keep = series.thin(r, series.event_indices(events))
    (line,) = ax.step(
        frame.x(trace, keep.astype(float)),
        r[keep],
        where="post",
        linewidth=1.5,
        label=label,
        **look_.line(phase, _finite(r[keep])),
    )
    line.set_gid(gid)
    # At its step, on the line: a phase's marker where it begins.
    steps = [e.at for e in events]
    _mark(ax, events, frame.x(trace, steps).tolist(), r[steps].tolist(), look_.color)
    return np.asarray(r, dtype=float)


def _mark(
    ax: Axes, events: Sequence[Event], x: Sequence[float], y: Sequence[float], color_: str
) -> None:
    """Each event's kind marker at (x[i], y[i]); none where y[i] is not finite."""
    for kind, marker in MARKERS.items():
        points = [
            (x[i], y[i]) for i, e in enumerate(events) if e.kind == kind and math.isfinite(y[i])
        ]
        if points:
            xs, ys = zip(*points, strict=True)
            ax.scatter(
                xs,
                ys,
                marker=marker,
                s=30,
                color=color_,
                zorder=3,
                edgecolors="white",
                linewidths=0.6,
            )


def _event_handles(events: Iterable[Event]) -> list[Artist]:
    """One grey marker per kind of event the figure shows, for its legend."""
    from matplotlib.lines import Line2D

    kinds = {e.kind for e in events}
    return [
        Line2D([], [], linestyle="", marker=MARKERS[k], color="#555555", label=f"event: {k}")
        for k in MARKERS
        if k in kinds
    ]


def _group_label(trace: Trace, groups: Sequence[int]) -> str:
    """A schedule's legend entry, saying which groups its line is when it has several."""
    label = series.legend_label(trace)
    if trace.groups == 1:
        return label
    if len(groups) == trace.groups:
        return f"{label}, all {trace.groups} groups (same rates)"
    return f"{label}, {series.groups_text(groups)}"


# -- the rate overview -------------------------------------------------------------------


def lr_overview(traces: Sequence[Trace]) -> Figure:
    """The rate of every trace (the first :data:`MAX_LINES`) against epoch or step,
    events marked: one line per schedule; a line per param group for one schedule; a
    panel per param group when several schedules have several."""
    shown = list(traces[:MAX_LINES])
    frame = series.frame(shown)
    sets = [series.same_groups(t)[: series.MAX_GROUP_LINES] for t in shown]
    panels: list[tuple[int, ...]] | None = None
    if len(shown) > 1 and any(len(s) > 1 for s in sets):
        panels = series.group_panels(shown)[: series.MAX_PANELS]
    with _style():
        if panels is None:
            fig, axes = _figure(panel=2.6, top_axis=bool(frame.epoch_ends()))
            (ax,) = axes
            values = []
            if len(shown) == 1 and len(sets[0]) > 1:
                trace = shown[0]
                for j, groups in enumerate(sets[0]):
                    label = series.groups_text(groups) + (
                        " (same rates)" if len(groups) > 1 else ""
                    )
                    values.append(
                        _rate_line(
                            ax, frame, trace, groups, look(j), label, j, f"rate-0-g{groups[0]}"
                        )
                    )
            else:
                for i, (trace, (groups,)) in enumerate(zip(shown, sets, strict=True)):
                    values.append(
                        _rate_line(
                            ax,
                            frame,
                            trace,
                            groups,
                            look(i),
                            _group_label(trace, groups),
                            i,
                            f"rate-{i}-g{groups[0]}",
                        )
                    )
            _rate_axis(ax, values)
            _x_extent(ax, frame, shown)
            _x_label(ax, frame)
            above = _epoch_axis(ax, frame)
            _title(ax, f"Learning rate per {frame.unit}", above)
        else:
            fig, axes = _panels(frame, len(panels))
            for ax, groups in zip(axes, panels, strict=True):
                values = []
                for i, trace in enumerate(shown):
                    if trace.groups > groups[0]:
                        mine = tuple(g for g in groups if g < trace.groups)
                        values.append(
                            _rate_line(
                                ax,
                                frame,
                                trace,
                                mine,
                                look(i),
                                series.legend_label(trace),
                                i,
                                f"rate-{i}-g{groups[0]}",
                            )
                        )
                _rate_axis(ax, values, "rate")
                _x_extent(ax, frame, shown)
            _panel_axes(
                fig,
                axes,
                frame,
                [series.groups_text(g) + (" (same rates)" if len(g) > 1 else "") for g in panels],
                f"Learning rate per {frame.unit}, by param group",
            )
        events = [e for t in shown for e in marked_events(t)]
        _legend_below(fig, *_legend_entries(axes, _event_handles(events)))
    return fig


def _panels(frame: Frame, n: int) -> tuple[Figure, list[Axes]]:
    """Small multiples: one column up to 3 panels, else two; room for a headline."""
    cols = 1 if n <= 3 else 2
    rows = math.ceil(n / cols)
    fig, axes = _figure(
        rows,
        cols,
        panel=1.9 if cols == 1 else 1.6,
        top_axis=bool(frame.epoch_ends()),
        headline=True,
    )
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _panel_axes(
    fig: Figure, axes: Sequence[Axes], frame: Frame, titles: Sequence[str], headline: str
) -> None:
    """Labels of small multiples: x labels under the lowest panel of each column, the
    epoch axis over the top row, a title over each panel and a headline over all."""
    cols = 1 if len(axes) <= 3 else 2
    for k, ax in enumerate(axes):
        if k + cols >= len(axes):
            _x_label(ax, frame)
            ax.xaxis.set_tick_params(labelbottom=True)
        above = k < cols and _epoch_axis(ax, frame)
        _title(ax, titles[k], above)
    fig.text(
        0.1 / fig.get_figwidth(), 1 - 0.08 / fig.get_figheight(), headline, va="top", fontsize=10
    )


# -- losses ------------------------------------------------------------------------------


def losses(traces: Sequence[Trace]) -> Figure:
    """Training (dashed) and validation (solid) loss per trace, as recorded, reductions
    marked; the axis is named after the loss the traces recorded. A trace that logged
    losses at their steps has those drawn there instead
    (:func:`lrviz.series.logged_losses`): a line per name, solid then dashed."""
    shown = list(traces[:MAX_LINES])
    frame = series.frame(shown)
    by_epoch = [t for t in shown if not series.logged_losses(t)]
    val = series.has(by_epoch, "val_loss")
    train = series.has(by_epoch, "train_loss")
    with _style():
        fig, (ax,) = _figure(panel=2.6, top_axis=bool(frame.epoch_ends()))
        reduced = False
        for i, trace in enumerate(shown):
            if series.logged_losses(trace):
                _logged_lines(ax, frame, trace, i)
                continue
            if not series.has([trace], "val_loss") and not series.has([trace], "train_loss"):
                continue  # nothing recorded: not drawn (the caption says so)
            main = "val_loss" if series.has([trace], "val_loss") else "train_loss"
            if series.has([trace], "train_loss") and main == "val_loss":
                _loss_line(
                    ax,
                    frame,
                    trace,
                    "train_loss",
                    replace(look(i), marker=""),  # the solid line beside it carries them
                    None,
                    i,
                    linestyle="--",
                    linewidth=1.0,
                    alpha=0.8,
                )
            values = _loss_line(
                ax, frame, trace, main, look(i), series.legend_label(trace), i, linewidth=1.5
            )
            if main == "train_loss":
                ax.get_lines()[-1].set_linestyle("--")
            at = {e.epoch: v for e, v in zip(trace.epochs, values, strict=True)}
            reductions = [e for e in marked_events(trace) if e.kind == "reduce"]
            reduced = reduced or bool(reductions)
            _mark(
                ax,
                reductions,
                frame.epoch_x(trace, (e.epoch for e in reductions)).tolist(),
                [at.get(e.epoch, math.nan) for e in reductions],
                look(i).color,
            )
        _x_extent(ax, frame, shown)
        name = series.loss_name(shown)
        _x_label(ax, frame, _loss_axis(ax, name or "loss"))
        above = _epoch_axis(ax, frame)
        what = (
            "Loss per epoch: validation (solid), training (dashed)"
            if val and train
            else "Validation loss per epoch"
            if val
            else "Training loss per epoch (dashed)"
            if train
            else "Losses as logged, at their steps"
        )
        _title(ax, what + ("; ▼ LR reduced" if reduced else ""), above)
        _legend_below(fig, *_legend_entries([ax]))
    return fig


def _logged_lines(ax: Axes, frame: Frame, trace: Trace, phase: int) -> None:
    """The losses ``trace`` logged, each at its steps, labelled "<trace>: <name>"."""
    import numpy as np

    for k, (name, logged) in enumerate(series.logged_losses(trace).items()):
        y = np.asarray(_floats(logged.value), dtype=float)
        keep = series.thin(y)
        x = frame.x(trace, (logged.at[j] for j in keep))
        (line,) = ax.plot(
            x,
            y[keep],
            label=f"{series.legend_label(trace)}: {name}",
            linestyle="-" if k == 0 else "--",
            linewidth=1.5 if k == 0 else 1.0,
            **look(phase).line(phase, _finite(y)),
        )
        line.set_gid(f"logged-{phase}-{k}")


def _loss_line(
    ax: Axes,
    frame: Frame,
    trace: Trace,
    field: str,
    look_: Look,
    label: str | None,
    phase: int,
    **style: Any,
) -> list[float]:
    """One epoch field of a trace against its epochs' ends; returns its values."""
    import numpy as np

    values = _floats(getattr(e, field) for e in trace.epochs)
    y = np.asarray(values, dtype=float)
    keep = series.thin(y)
    x = frame.epoch_x(trace, (trace.epochs[k].epoch for k in keep))
    (line,) = ax.plot(x, y[keep], label=label, **{**look_.line(phase, _finite(y)), **style})
    line.set_gid(f"{field}-{phase}")
    return values


# -- one schedule ------------------------------------------------------------------------


def schedule_detail(trace: Trace, index: int = 0) -> Figure:
    """One schedule: its rates (a line per param group whose rates differ), events marked,
    with what it was stepped on (the metric and its best-so-far value, for
    ReduceLROnPlateau; else the validation or training loss, when recorded); for
    ReduceLROnPlateau also the bad-epoch count against patience."""
    import numpy as np

    shown = series.detail(trace)
    frame = series.frame([trace])
    twin = shown.metric is not None or shown.loss is not None
    with _style():
        if shown.bad_epochs:
            fig, (ax, ax_bad) = _figure(
                2, panel=2.4, twin=twin, top_axis=bool(frame.epoch_ends()), height_ratios=[3, 1.2]
            )
        else:
            fig, (ax,) = _figure(panel=2.2, twin=twin, top_axis=bool(frame.epoch_ends()))
        sets = series.same_groups(trace)[: series.MAX_GROUP_LINES]
        values = []
        for j, groups in enumerate(sets):
            if len(sets) == 1:
                label = (
                    "learning rate"
                    if trace.groups == 1
                    else f"learning rate, all {trace.groups} groups"
                )
                # One line of rates: its colour is the schedule's, markers would only clutter.
                bare = replace(look(index), marker="")
                values.append(_rate_line(ax, frame, trace, groups, bare, label, 0, "rate-g0"))
            else:
                values.append(
                    _rate_line(
                        ax,
                        frame,
                        trace,
                        groups,
                        look(j),
                        series.groups_text(groups),
                        j,
                        f"rate-g{groups[0]}",
                    )
                )
        _rate_axis(ax, values)
        _x_extent(ax, frame, [trace])
        above = _epoch_axis(ax, frame)
        note = ""
        title = f"{trace.label}: learning rate"
        if twin:
            other = ax.twinx()
            other.grid(False)
            other.spines["right"].set_visible(True)
            if shown.metric is not None:
                name = series.metric_label(shown.metric)
                steps = [k for k, m in enumerate(trace.step_metrics(), start=1) if m is not None]
                metric = _floats(m for m in trace.step_metrics() if m is not None)
                other.plot(frame.x(trace, steps), metric, color=INK, linewidth=1.0, label=name)
                if shown.best:
                    best = trace.state_column("best")
                    other.plot(
                        frame.x(trace, steps),
                        _floats(best[k - 1] for k in steps),
                        color=INK,
                        linewidth=1.0,
                        linestyle=":",
                        label="best so far",
                    )
                note = _metric_axis(other, shown.metric, name)
                title += f" and the {name} it was stepped on"
            else:
                assert shown.loss is not None
                y = np.asarray(_floats(getattr(e, shown.loss) for e in trace.epochs), dtype=float)
                keep = series.thin(y)
                name = series.metric_label(shown.loss)
                other.plot(
                    frame.epoch_x(trace, (trace.epochs[k].epoch for k in keep)),
                    y[keep],
                    color=INK,
                    linewidth=1.0,
                    label=name,
                )
                note = _loss_axis(other, name, series.loss_name([trace]))
                title += f" and {name}"
        if shown.bad_epochs:
            bad = np.asarray(_floats(trace.state_column("num_bad_epochs")), dtype=float)
            keep = series.thin(bad)
            edges = frame.x(trace, [*keep.tolist(), trace.step_count])
            ax_bad.stairs(
                np.nan_to_num(bad[keep]), edges, fill=True, color=look(index).color, alpha=0.45
            )
            patience = trace.params.get("patience")
            if isinstance(patience, (int, float)):
                ax_bad.axhline(patience, color="#444444", linewidth=0.8, linestyle="--")
                ax_bad.text(0, patience, f" patience {patience}", va="bottom", fontsize=7)
            ax_bad.set_ylabel("bad epochs")
            _x_label(ax_bad, frame, note)
        else:
            _x_label(ax, frame, note)
        _title(ax, title, above)
        handles, labels = _legend_entries(
            [ax, *([other] if twin else [])], _event_handles(marked_events(trace))
        )
        _legend_below(fig, handles, labels)
    return fig


def _metric_axis(ax: Axes, field: str, name: str) -> str:
    """The metric's axis: a loss's (log, fitted) for a loss, else linear."""
    if field in ("val_loss", "train_loss"):
        return _loss_axis(ax, name)
    ax.set_ylabel(name)
    return ""


# -- several seeds: medians and 10-90% bands -------------------------------------------

BAND_ALPHA = 0.2
"""Opacity of a 10-90% band: overlapping bands of three schedules stay readable."""


def _positive(values: Sequence[float], scale: str) -> list[float]:
    """Rates for the axis: those no figure draws become gaps (:func:`series.drawable`), and
    on a log axis zero and below too (a symlog axis keeps them)."""
    drawn: list[float] = series.drawable(values).tolist()
    if scale != "log":
        return drawn
    return [v if v > 0 else math.nan for v in drawn]


def _rate_band(
    ax: Axes,
    frame: Frame,
    trace: Trace,
    band: Band,
    look_: Look,
    label: str | None,
    phase: int,
    scale: str,
) -> None:
    import numpy as np

    x = frame.x(trace, band.x)
    ax.fill_between(
        x,
        _positive(band.low, scale),
        _positive(band.high, scale),
        step="post",
        color=look_.color,
        alpha=BAND_ALPHA,
        linewidth=0,
    )
    median = np.asarray(_positive(band.median, scale), dtype=float)
    keep = series.thin(median)
    ax.step(
        x[keep],
        median[keep],
        where="post",
        linewidth=1.6,
        label=label,
        **look_.line(phase, _finite(median[keep])),
    )


def _metric_band(
    ax: Axes, x: Floats, band: Band, look_: Look | None, label: str | None, **line: Any
) -> None:
    low, high, median = (series.drawable(v) for v in (band.low, band.high, band.median))
    ax.fill_between(
        x, low, high, color=look_.color if look_ else INK, alpha=BAND_ALPHA, linewidth=0
    )
    style = look_.line(0, _finite(median)) if look_ else {"color": INK}
    ax.plot(x, median, label=label, **{**style, **line})


def _seeds(group: Group) -> str:
    n = len(group.traces)
    return f"{n} seed{'s' if n != 1 else ''}"


def _band_label(group: Group) -> str:
    name = "" if group.label == group.name else f"{group.name}, "
    return f"{group.label} ({name}{_seeds(group)})"


def _rate_values(groups: Sequence[Group], param_groups: Sequence[int]) -> list[Floats]:
    return [
        series.drawable(series.rates(t, g))
        for group in groups
        for t in group.traces
        for g in param_groups
        if g < t.groups
    ]


def lr_bands(groups: Sequence[Group]) -> Figure:
    """Each schedule's median rate across seeds with its 10-90% band: a band per param
    group for one schedule; a panel per param group when several schedules have several."""
    shown = list(groups[:MAX_LINES])
    traces = [t for g in shown for t in g.traces]
    frame = series.frame(traces)
    firsts = [g.traces[0] for g in shown]
    sets = series.same_groups(firsts[0])[: series.MAX_GROUP_LINES] if len(shown) == 1 else []
    panels = (
        series.group_panels(firsts)[: series.MAX_PANELS]
        if len(shown) > 1
        else [tuple(range(firsts[0].groups))]
    )
    title = f"Learning rate per {frame.unit}: median across seeds, band 10\N{EN DASH}90%"
    with _style():
        if len(panels) == 1:
            fig, axes = _figure(panel=2.6, top_axis=bool(frame.epoch_ends()))
        else:
            fig, axes = _panels(frame, len(panels))
        for ax, pgroups in zip(axes, panels, strict=True):
            values = _rate_values(shown, [m[0] for m in sets] if sets else pgroups)
            scale, _ = series.rate_scale(values)
            if sets and len(sets) > 1:  # one schedule, groups of different rates
                for j, members in enumerate(sets):
                    band = rate_band(shown[0], members[0])
                    label = series.groups_text(members)
                    _rate_band(ax, frame, firsts[0], band, look(j), label, j, scale)
            else:
                for i, group in enumerate(shown):
                    if group.traces[0].groups > pgroups[0]:
                        band = rate_band(group, pgroups[0])
                        first = group.traces[0]
                        _rate_band(ax, frame, first, band, look(i), _band_label(group), i, scale)
            _rate_axis(ax, values, "learning rate" if len(panels) == 1 else "rate")
            _x_extent(ax, frame, traces)
        if len(panels) == 1:
            _x_label(axes[0], frame)
            _title(axes[0], title, _epoch_axis(axes[0], frame))
        else:
            titles = [series.groups_text(p) for p in panels]
            _panel_axes(fig, axes, frame, titles, title + ", by param group")
        _legend_below(fig, *_legend_entries(axes))
    return fig


def loss_bands(groups: Sequence[Group]) -> Figure:
    """Each schedule's median validation loss (solid, with its 10-90% band) and median
    training loss (dashed) across seeds, as recorded."""
    shown = list(groups[:MAX_LINES])
    traces = [t for g in shown for t in g.traces]
    frame = series.frame(traces)
    val = series.has(traces, "val_loss")
    train = series.has(traces, "train_loss")
    with _style():
        fig, (ax,) = _figure(panel=2.6, top_axis=bool(frame.epoch_ends()))
        for i, group in enumerate(shown):
            first = group.traces[0]
            if series.has(list(group.traces), "train_loss"):
                band = metric_band(group, "train_loss")
                ax.plot(
                    frame.epoch_x(first, band.x),
                    series.drawable(band.median),
                    linestyle="--",
                    linewidth=1.0,
                    alpha=0.8,
                    label=None if val else _band_label(group),
                    **look(i).line(i, _finite(series.drawable(band.median))),
                )
            if series.has(list(group.traces), "val_loss"):
                band = metric_band(group, "val_loss")
                _metric_band(
                    ax,
                    frame.epoch_x(first, band.x),
                    band,
                    look(i),
                    _band_label(group),
                    linewidth=1.5,
                    # matplotlib cannot space markers on a line of fewer than two points
                    markevery=(0.017 * (i % 6), 0.1)
                    if _finite(series.drawable(band.median)) > 1
                    else None,
                )
        _x_extent(ax, frame, traces)
        name = series.loss_name(traces)
        _x_label(ax, frame, _loss_axis(ax, name or "loss"))
        what = (
            "Loss per epoch, medians across seeds: validation (solid, band "
            "10\N{EN DASH}90%), training (dashed)"
            if val and train
            else "Validation loss per epoch: median across seeds, band 10\N{EN DASH}90%"
            if val
            else "Training loss per epoch (dashed): median across seeds"
        )
        _title(ax, what, _epoch_axis(ax, frame))
        _legend_below(fig, *_legend_entries([ax]))
    return fig


def schedule_bands(group: Group, index: int = 0) -> Figure:
    """One schedule across seeds: rates (a line per param group whose rates differ) and
    the validation loss, medians with 10-90% bands; when the seeds' rates differ, also
    how many seeds reduced the rate at each epoch."""
    from matplotlib.ticker import MaxNLocator

    varies = not group.same_rates
    first = group.traces[0]
    frame = series.frame(list(group.traces))
    loss = next((f for f in ("val_loss", "train_loss") if series.has(list(group.traces), f)), None)
    with _style():
        if varies:
            fig, (ax, ax_count) = _figure(
                2,
                panel=2.4,
                twin=loss is not None,
                top_axis=bool(frame.epoch_ends()),
                height_ratios=[3, 1.2],
            )
        else:
            fig, (ax,) = _figure(
                panel=2.2, twin=loss is not None, top_axis=bool(frame.epoch_ends())
            )
        sets = series.same_groups(first)[: series.MAX_GROUP_LINES]
        values = _rate_values([group], [g for members in sets for g in members[:1]])
        scale, _ = series.rate_scale(values)
        for j, groups in enumerate(sets):
            label = "learning rate" if len(sets) == 1 else series.groups_text(groups)
            _rate_band(
                ax,
                frame,
                first,
                rate_band(group, groups[0]),
                look(index if len(sets) == 1 else j),
                label,
                j,
                scale,
            )
        _rate_axis(ax, values)
        _x_extent(ax, frame, list(group.traces))
        above = _epoch_axis(ax, frame)
        title = f"{group.label}: learning rate"
        note = ""
        if loss is not None:
            metric = ax.twinx()
            metric.grid(False)
            metric.spines["right"].set_visible(True)
            band = metric_band(group, loss)
            name = series.metric_label(loss)
            _metric_band(metric, frame.epoch_x(first, band.x), band, None, name, linewidth=1.0)
            note = _loss_axis(metric, name, series.loss_name(list(group.traces)))
            title += f" and {name}"
        _title(ax, f"{title}, {_seeds(group)} (median, band 10\N{EN DASH}90%)", above)
        if varies:
            epochs = max(len(t.epochs) for t in group.traces)
            counts = [0] * (epochs + 1)
            for trace in group.traces:
                for epoch in reduction_epochs(trace):
                    if epoch < len(counts):
                        counts[epoch] += 1
            # An event at epoch k sits at k, where the new rate begins.
            # A column per epoch, centred on it; one stairs artist draws them all.
            edges = [k - 0.5 for k in range(epochs + 2)]
            if frame.unit == "step":
                edges = frame.epoch_x(first, range(epochs + 1)).tolist()
                edges = [edges[0], *edges]
            ax_count.stairs(counts, edges, fill=True, color=look(index).color, alpha=0.7)
            ax_count.set_ylabel("seeds reducing")
            ax_count.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        _x_label(ax_count if varies else ax, frame, note)
        _legend_below(fig, *_legend_entries([ax, *([metric] if loss is not None else [])]))
    return fig


# -- one figure for documentation (lrviz plot) -------------------------------------------

Metric = Literal["lr", "loss", "both"]


def _doc_labels(traces: Sequence[Trace]) -> list[str]:
    """Legend labels of traces, with the seed where several share a label."""
    labels = [series.legend_label(t) for t in traces]
    return [
        f"{label}, seed {t.seed}" if labels.count(label) > 1 and t.seed is not None else label
        for t, label in zip(traces, labels, strict=True)
    ]


def document(
    traces: Sequence[Trace], metric: Metric = "lr", size: tuple[float, float] = (7.0, 3.5)
) -> Figure:
    """One figure of ``size`` inches for documentation (``lrviz plot``): the rates of every
    trace and param group (``lr``), their recorded losses (``loss``), or both, one above
    the other; every line its own colour and marker shape (readable in greyscale),
    events marked, the legend below, nothing outside ``size``.

    Raises:
        ValueError: ``loss`` or ``both`` and no trace recorded a loss; more lines than the
            figure's height leaves room to name in the legend.
    """
    if metric in ("loss", "both") and not (
        series.has(traces, "val_loss") or series.has(traces, "train_loss")
    ):
        raise ValueError(
            f"--metric {metric}: no trace recorded a loss (simulated and rates-only traces "
            "have none); use --metric lr"
        )
    from matplotlib.figure import Figure

    width, height = size
    frame = series.frame(traces)
    names = _doc_labels(traces)
    lines: list[tuple[Trace, tuple[int, ...], str]] = []
    for trace, name in zip(traces, names, strict=True):
        sets = series.same_groups(trace)[: series.MAX_GROUP_LINES]
        for groups in sets:
            suffix = "" if len(sets) == 1 else f", {series.groups_text(groups)}"
            lines.append((trace, groups, name + suffix))
    rows = 2 if metric == "both" else 1
    kinds = {e.kind for t in traces for e in marked_events(t)} if metric != "loss" else set()
    entries = (len(lines) if metric != "loss" else len(traces)) + len(kinds)
    columns = legend_columns(
        [label for _, _, label in lines] + ["event: increase"] * len(kinds), width
    )
    legend = math.ceil(entries / columns) * LEGEND_ROW + 0.1
    top = 0.3 + (EPOCH_AXIS if frame.unit == "step" and frame.epoch_ends() else 0.0)
    bottom = 0.45 + legend
    room = height - top - bottom - (0.45 if rows > 1 else 0.0)
    if room < 0.9 * rows:
        raise ValueError(
            f"a {width:g} x {height:g} inch figure has no room for {entries} legend entries "
            f"and {rows} panel{'s' if rows > 1 else ''}; give a taller --size "
            f"(e.g. {width:g},{math.ceil(height - room + 1.2 * rows)})"
        )
    with _style():
        fig = Figure(figsize=(width, height))
        axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0].tolist()
        note = ""
        if metric in ("lr", "both"):
            ax = axes[0]
            values = [
                _rate_line(ax, frame, trace, groups, look(k), label, k, f"rate-{k}")
                for k, (trace, groups, label) in enumerate(lines)
            ]
            _rate_axis(ax, values)
        if metric in ("loss", "both"):
            ax = axes[-1]
            for trace, name in zip(traces, names, strict=True):
                k = next(j for j, line in enumerate(lines) if line[0] is trace)
                label: str | None = name if metric == "loss" else None
                if series.has([trace], "val_loss"):
                    _loss_line(ax, frame, trace, "val_loss", look(k), label, k, linewidth=1.4)
                    label = None
                if series.has([trace], "train_loss"):
                    style = look(k) if label else replace(look(k), marker="")
                    _loss_line(
                        ax,
                        frame,
                        trace,
                        "train_loss",
                        style,
                        label,
                        k,
                        linestyle="--",
                        linewidth=1.0,
                    )
            name = series.loss_name(traces) or "loss"
            val, train = series.has(traces, "val_loss"), series.has(traces, "train_loss")
            which = (
                "validation (solid), training (dashed)"
                if val and train
                else "validation"
                if val
                else "training (dashed)"
            )
            note = _loss_axis(ax, name)
            heading = name[:1].upper() + name[1:]
            _title(ax, f"{heading} per epoch: {which}", metric == "loss" and top > 0.3)
        for ax in axes:
            _x_extent(ax, frame, traces)
        _x_label(axes[-1], frame, note)
        above = _epoch_axis(axes[0], frame)
        if metric in ("lr", "both"):
            _title(axes[0], f"Learning rate per {frame.unit}", above)
        handles, labels = _legend_entries(
            axes,
            _event_handles(e for t in traces for e in marked_events(t)) if metric != "loss" else (),
        )
        fig.subplots_adjust(
            left=0.8 / width,
            right=1 - 0.2 / width,
            top=1 - top / height,
            bottom=bottom / height,
            hspace=0.45 / ((height - top - bottom - 0.45) / 2) if rows > 1 else 0.2,
        )
        fig.legend(
            handles,
            labels,
            loc="lower center",
            bbox_to_anchor=(0.5, 0.02 / height),
            ncol=legend_columns(labels, width),
            fontsize=8,
        )
    return fig


def warm_up() -> None:
    """Import and load what drawing needs (matplotlib, its fonts, the SVG and PNG
    writers) by drawing a throwaway figure; :mod:`lrviz.figure_worker` does this while
    the main process imports torch."""
    fig, (ax,) = _figure(panel=1.0)
    ax.semilogy([1, 2], [1e-3, 1e-1], label="warm-up")
    _title(ax, "warm-up")
    ax.legend()
    render(fig, "svg")
    render(fig, "png")


def render(fig: Figure, fmt: str, dpi: int = 120) -> bytes:
    """The figure's bytes in ``fmt`` (svg, png or pdf), without dates, so reproducible."""
    buffer = io.BytesIO()
    metadata: dict[str, Any] = {
        "svg": {"Date": None},
        "pdf": {"CreationDate": None, "ModDate": None},
        "png": {"Software": None},
    }.get(fmt, {})
    # zlib level 1 instead of 6: a fifth of a PNG's drawing time for 15% more bytes.
    extra: dict[str, Any] = {"pil_kwargs": {"compress_level": 1}} if fmt == "png" else {}
    with _style():
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata, **extra)
    return buffer.getvalue()
