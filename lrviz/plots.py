"""Figures of traces, as ``matplotlib.figure.Figure`` objects (no pyplot global state).

The x axis counts finished epochs: epoch k's rate spans [k-1, k], its losses sit at k,
and an event at epoch k (its step changed the rate) sits at k, where the new rate
begins. Rates are drawn on a log axis; events are marked with one symbol per kind.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from lrviz import schedules
from lrviz.bands import Band, Group, metric_band, rate_band, reduction_epochs
from lrviz.explanation import notable
from lrviz.trace import Event, Trace

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH = 7.5
"""Figure width in inches (fits a page or a doc column at 100%)."""

PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
)
"""One colour per schedule, in order (matplotlib's tab10, colour-blind friendlier first)."""

MARKERS = {"reduce": "v", "increase": "^", "held": "s", "external": "X"}

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
}


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(_STYLE):  # type: ignore[arg-type]
        yield


def _floats(values: Iterable[Any]) -> list[float]:
    """Values to plot; missing ones (None) become gaps."""
    return [math.nan if v is None else float(v) for v in values]


def _title(ax: Axes, text: str) -> None:
    # A fixed y skips matplotlib's title placement, which measures every tick label.
    ax.set_title(text, loc="left", y=1.0, pad=8)


def color(index: int) -> str:
    """The colour of the index-th schedule."""
    return PALETTE[index % len(PALETTE)]


def _figure(
    height: float, rows: int = 1, twin: bool = False, **gridspec: Any
) -> tuple[Figure, list[Axes]]:
    """A figure with a fixed layout (``tight_layout`` would double the drawing time)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, height))
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False, gridspec_kw=gridspec or None)
    fig.subplots_adjust(left=0.1, right=0.9 if twin else 0.97, top=0.9, bottom=0.13, hspace=0.12)
    return fig, [ax for row in axes for ax in row]


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


def _log_rate_axis(ax: Axes) -> None:
    """A log y axis for rates, major ticks only (minor ones cost more to draw than the data)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(numticks=8))
    ax.yaxis.set_major_formatter(FuncFormatter(power_of_ten))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_ylabel("learning rate (log)")


SETTLE = 0.1
"""Losses of the first tenth of the epochs may spike far above the rest (up to 50 at the
lesson's lr 0.1, then ~1.08): the loss axes fit the later values and say they clip."""


def _log_loss_axis(ax: Axes, label: str) -> str:
    """A log y axis for the losses drawn on ``ax``, fitted to them, plain tick labels.

    Returns:
        A note for the x label when the first epochs' losses are clipped, else "".
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_ylabel(label)
    limits = _loss_limits(ax)
    if limits is None:
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0), numticks=8))
        return ""
    bottom, top, peak = limits
    ax.set_ylim(bottom / 1.04, top * 1.06)
    # Within a factor of ~3 a log axis has no decade ticks left: place plain ones.
    narrow = top / bottom < 3
    ax.yaxis.set_major_locator(
        MaxNLocator(nbins=5) if narrow else LogLocator(subs=(1.0, 2.0, 5.0), numticks=8)
    )
    return f"the first epochs' losses, up to {peak:.3g}, are off the top" if peak > top else ""


def _epoch_label(ax: Axes, note: str) -> None:
    ax.set_xlabel(f"epoch   ({note})" if note else "epoch")


def _loss_limits(ax: Axes) -> tuple[float, float, float] | None:
    """(lowest, highest after the first epochs, highest) of the positive finite losses
    on ``ax``: its lines and filled bands."""
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
    keep = np.isfinite(x) & np.isfinite(y) & (y > 0)
    if not keep.any():
        return None
    x, y = x[keep], y[keep]
    settled = y[x > SETTLE * ax.get_xlim()[1]]
    peak = float(y.max())
    top = float(settled.max()) if settled.size else peak
    # Clip only when it pays: the early values stand well above the rest.
    return float(y.min()), (top if peak > 1.5 * top else peak), peak


def _x_rates(trace: Trace, group: int = 0) -> tuple[list[int], list[float]]:
    rates = trace.rates(group)
    return list(range(len(rates))), [r if r > 0 else math.nan for r in rates]


def marked_events(trace: Trace) -> list[Event]:
    """Events worth a marker: all of them, but for every-epoch schedules only milestones,
    turning points, held and external ones."""
    return notable(trace)


def _mark(ax: Axes, events: Sequence[Event], color_: str, y_of: Any) -> None:
    for kind, marker in MARKERS.items():
        points = [(e.epoch, y_of(e)) for e in events if e.kind == kind]
        if points:
            xs, ys = zip(*points, strict=True)
            ax.scatter(
                xs,
                ys,
                marker=marker,
                s=28,
                color=color_,
                zorder=3,
                edgecolors="white",
                linewidths=0.6,
            )


def _event_handles(traces: Sequence[Trace]) -> list[Artist]:
    """One grey marker per kind of event the figure shows, for its legend."""
    from matplotlib.lines import Line2D

    kinds = {e.kind for t in traces for e in marked_events(t)}
    return [
        Line2D([], [], linestyle="", marker=MARKERS[k], color="#555555", label=f"event: {k}")
        for k in MARKERS
        if k in kinds
    ]


LEGEND_ROW = 0.18
"""Height of a legend row at 8 pt, in inches."""


def legend_columns(labels: Sequence[str]) -> int:
    """Columns for a legend across the figure's width (about 125 characters at 8 pt, each
    entry taking ~9 more for its handle and spacing): as few rows as the longest label
    allows, and the entries spread evenly over them."""
    most = max(1, min(len(labels), 125 // (max(map(len, labels)) + 9)))
    rows = math.ceil(len(labels) / most)
    return math.ceil(len(labels) / rows)


def _legend_below(fig: Figure, ax: Axes, extra: Sequence[Artist] = ()) -> None:
    """The legend under the axes, which keep their size while the figure grows by its
    rows: inside the axes, four or more schedules' labels covered their lines."""
    handles, labels = ax.get_legend_handles_labels()
    handles += extra
    labels += [str(h.get_label()) for h in extra]
    columns = legend_columns(labels)
    below = math.ceil(len(labels) / columns) * LEGEND_ROW + 0.16
    width, height = fig.get_size_inches()
    top, bottom = (1 - fig.subplotpars.top) * height, fig.subplotpars.bottom * height
    fig.set_size_inches(width, height + below)
    fig.subplots_adjust(top=1 - top / (height + below), bottom=(bottom + below) / (height + below))
    fig.legend(
        handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.01), ncol=columns, fontsize=8
    )


def lr_overview(traces: Sequence[Trace]) -> Figure:
    """LR against epoch for every trace on a log axis, events marked."""
    with _style():
        fig, (ax,) = _figure(3.4)
        for i, trace in enumerate(traces):
            xs, ys = _x_rates(trace)
            ax.step(
                xs,
                ys,
                where="post",
                color=color(i),
                linewidth=1.6,
                label=f"{trace.label} ({trace.name})",
            )
            _mark(
                ax, marked_events(trace), color(i), lambda e: e.lr_after if e.lr_after > 0 else None
            )
        _log_rate_axis(ax)
        ax.set_xlim(0, max(len(t.epochs) for t in traces))
        ax.set_xlabel("epoch")
        _title(ax, "Learning rate per epoch")
        _legend_below(fig, ax, _event_handles(traces))
    return fig


def losses(traces: Sequence[Trace]) -> Figure:
    """Training (dashed) and validation (solid) loss per trace, reductions marked."""
    with _style():
        fig, (ax,) = _figure(3.4)
        for i, trace in enumerate(traces):
            xs = [e.epoch for e in trace.epochs]
            ax.plot(
                xs,
                _floats(e.train_loss for e in trace.epochs),
                color=color(i),
                linewidth=1.0,
                linestyle="--",
                alpha=0.8,
            )
            ax.plot(
                xs,
                _floats(e.val_loss for e in trace.epochs),
                color=color(i),
                linewidth=1.5,
                label=f"{trace.label} ({trace.name})",
            )
            val = {e.epoch: e.val_loss for e in trace.epochs}
            reductions = [e for e in marked_events(trace) if e.kind == "reduce"]
            _mark(ax, reductions, color(i), lambda e, val=val: val[e.epoch])
        ax.set_xlim(0, max(len(t.epochs) for t in traces))
        _epoch_label(ax, _log_loss_axis(ax, "cross-entropy loss (log)"))
        _title(ax, "Loss per epoch: validation (solid), training (dashed); ▼ LR reduced")
        _legend_below(fig, ax)
    return fig


def schedule_detail(trace: Trace, index: int = 0) -> Figure:
    """One schedule: LR with the monitored metric; for ReduceLROnPlateau also the
    best-so-far value and the bad-epoch count against patience."""
    kind = schedules.kind_of(trace)
    plateau = kind is not None and kind.needs_metric and not trace.per_step
    with _style():
        if plateau:
            fig, (ax, ax_bad) = _figure(4.2, rows=2, twin=True, height_ratios=[3, 1.2])
        else:
            fig, (ax,) = _figure(3.0, twin=True)
        xs, ys = _x_rates(trace)
        ax.step(xs, ys, where="post", color=color(index), linewidth=1.6, label="learning rate")
        _mark(
            ax, marked_events(trace), color(index), lambda e: e.lr_after if e.lr_after > 0 else None
        )
        _log_rate_axis(ax)
        ax.set_xlim(0, len(trace.epochs))
        _title(ax, f"{trace.label}: learning rate and validation loss")
        metric = ax.twinx()
        metric.grid(False)
        metric.spines["right"].set_visible(True)
        epochs = [e.epoch for e in trace.epochs]
        metric.plot(
            epochs,
            _floats(e.val_loss for e in trace.epochs),
            color="#444444",
            linewidth=1.0,
            label="val loss",
        )
        if plateau:
            metric.plot(
                epochs,
                _floats(e.state.get("best") for e in trace.epochs),
                color="#444444",
                linewidth=1.0,
                linestyle=":",
                label="best so far",
            )
            bad = [e.state["num_bad_epochs"] for e in trace.epochs]
            # epoch k's count spans [k-1, k], like its rate.
            # One stairs artist, not a bar per epoch (100 patches draw slowly).
            ax_bad.stairs(bad, range(len(bad) + 1), fill=True, color=color(index), alpha=0.45)
            patience = trace.params.get("patience")
            if patience is not None:
                ax_bad.axhline(patience, color="#444444", linewidth=0.8, linestyle="--")
                ax_bad.text(1, patience, f" patience {patience}", va="bottom", fontsize=7)
            ax_bad.set_ylabel("bad epochs")
        note = _log_loss_axis(metric, "validation loss (log)")
        _epoch_label(ax_bad if plateau else ax, note)
        lines = ax.get_legend_handles_labels()
        more = metric.get_legend_handles_labels()
        ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper right", fontsize=8)
    return fig


# -- several seeds: medians and 10-90% bands -------------------------------------------

BAND_ALPHA = 0.2
"""Opacity of a 10-90% band: overlapping bands of three schedules stay readable."""


def _positive(values: Sequence[float]) -> list[float]:
    """Rates for a log axis: zero and below become gaps."""
    return [v if v > 0 else math.nan for v in values]


def _rate_band(ax: Axes, band: Band, color_: str, label: str) -> None:
    ax.fill_between(
        band.x,
        _positive(band.low),
        _positive(band.high),
        step="post",
        color=color_,
        alpha=BAND_ALPHA,
        linewidth=0,
    )
    ax.step(band.x, _positive(band.median), where="post", color=color_, linewidth=1.6, label=label)


def _metric_band(ax: Axes, band: Band, color_: str, label: str | None, **line: Any) -> None:
    ax.fill_between(band.x, band.low, band.high, color=color_, alpha=BAND_ALPHA, linewidth=0)
    ax.plot(band.x, band.median, color=color_, label=label, **line)


def _seeds(group: Group) -> str:
    n = len(group.traces)
    return f"{n} seed{'s' if n != 1 else ''}"


def lr_bands(groups: Sequence[Group]) -> Figure:
    """Each schedule's median rate across seeds with its 10-90% band, on a log axis."""
    with _style():
        fig, (ax,) = _figure(3.4)
        for i, group in enumerate(groups):
            label = f"{group.label} ({group.name}, {_seeds(group)})"
            _rate_band(ax, rate_band(group), color(i), label)
        _log_rate_axis(ax)
        ax.set_xlim(0, max(len(g.traces[0].epochs) for g in groups))
        ax.set_xlabel("epoch")
        _title(ax, "Learning rate per epoch: median across seeds, band 10\N{EN DASH}90%")
        _legend_below(fig, ax)
    return fig


def loss_bands(groups: Sequence[Group]) -> Figure:
    """Each schedule's median validation loss (solid, with its 10-90% band) and median
    training loss (dashed) across seeds."""
    with _style():
        fig, (ax,) = _figure(3.4)
        for i, group in enumerate(groups):
            ax.plot(
                *_xy(metric_band(group, "train_loss")),
                color=color(i),
                linewidth=1.0,
                linestyle="--",
                alpha=0.8,
            )
            _metric_band(
                ax,
                metric_band(group, "val_loss"),
                color(i),
                f"{group.label} ({group.name}, {_seeds(group)})",
                linewidth=1.5,
            )
        ax.set_xlim(0, max(len(g.traces[0].epochs) for g in groups))
        _epoch_label(ax, _log_loss_axis(ax, "cross-entropy loss (log)"))
        _title(
            ax,
            "Loss per epoch, medians across seeds: validation (solid, band 10\N{EN DASH}90%), "
            "training (dashed)",
        )
        _legend_below(fig, ax)
    return fig


def _xy(band: Band) -> tuple[list[int], list[float]]:
    return band.x, band.median


def schedule_bands(group: Group, index: int = 0) -> Figure:
    """One schedule across seeds: rate and validation loss (medians, 10-90% bands); when
    the seeds' rates differ, also how many seeds reduced the rate at each epoch."""
    from matplotlib.ticker import MaxNLocator

    varies = not group.same_rates
    with _style():
        if varies:
            fig, (ax, ax_count) = _figure(4.2, rows=2, twin=True, height_ratios=[3, 1.2])
        else:
            fig, (ax,) = _figure(3.0, twin=True)
        _rate_band(ax, rate_band(group), color(index), "learning rate")
        _log_rate_axis(ax)
        epochs = len(group.traces[0].epochs)
        ax.set_xlim(0, epochs)
        _title(
            ax,
            f"{group.label}: learning rate and validation loss, {_seeds(group)} "
            "(median, band 10\N{EN DASH}90%)",
        )
        metric = ax.twinx()
        metric.grid(False)
        metric.spines["right"].set_visible(True)
        _metric_band(metric, metric_band(group, "val_loss"), "#444444", "val loss", linewidth=1.0)
        note = _log_loss_axis(metric, "validation loss (log)")
        if varies:
            counts = [0] * (epochs + 1)
            for trace in group.traces:
                for epoch in reduction_epochs(trace):
                    counts[epoch] += 1
            # An event at epoch k sits at k, where the new rate begins.
            # A column per epoch, centred on it; one stairs artist draws them all.
            edges = [k - 0.5 for k in range(epochs + 2)]
            ax_count.stairs(counts, edges, fill=True, color=color(index), alpha=0.7)
            ax_count.set_ylabel("seeds reducing")
            ax_count.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        _epoch_label(ax_count if varies else ax, note)
        lines = ax.get_legend_handles_labels()
        more = metric.get_legend_handles_labels()
        ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper right", fontsize=8)
    return fig


def warm_up() -> None:
    """Import and load what drawing needs (matplotlib, its fonts, the SVG and PNG
    writers) by drawing a throwaway figure; :mod:`lrviz.figure_worker` does this while
    the main process imports torch."""
    fig, (ax,) = _figure(1.0)
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
