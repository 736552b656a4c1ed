"""Figures of traces, as ``matplotlib.figure.Figure`` objects (no pyplot global state).

The x axis counts finished epochs: epoch k's rate spans [k-1, k], its losses sit at k,
and an event at epoch k (its step changed the rate) sits at k, where the new rate
begins. Rates are drawn on a log axis; events are marked with one symbol per kind.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from lrviz.explain import CONTINUOUS
from lrviz.trace import Event, Trace

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH = 7.5
"""Figure width in inches (fits a page or a doc column at 100%)."""

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#17becf", "#7f7f7f", "#bcbd22")
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
    "svg.fonttype": "path",
}


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(_STYLE):
        yield


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


def _log_rate_axis(ax: Axes) -> None:
    """A log y axis for rates, major ticks only (minor ones cost more to draw than the data)."""
    from matplotlib.ticker import LogLocator, NullLocator

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(numticks=8))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_ylabel("learning rate (log)")


def _log_loss_axis(ax: Axes, label: str) -> None:
    """A log y axis for losses (early spikes would flatten a linear one), plain tick labels."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0), numticks=8))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_ylabel(label)


def _x_rates(trace: Trace, group: int = 0) -> tuple[list[int], list[float]]:
    rates = trace.rates(group)
    return list(range(len(rates))), [r if r > 0 else math.nan for r in rates]


def marked_events(trace: Trace) -> list[Event]:
    """Events worth a marker: all of them, but only milestones for every-epoch schedules."""
    if trace.name in CONTINUOUS:
        return [e for e in trace.events if e.kind != "reduce" or "milestones" in e.evidence]
    return list(trace.events)


def _mark(ax: Axes, events: Sequence[Event], color_: str, y_of: Any) -> None:
    for kind, marker in MARKERS.items():
        points = [(e.epoch, y_of(e)) for e in events if e.kind == kind]
        if points:
            xs, ys = zip(*points)
            ax.scatter(xs, ys, marker=marker, s=28, color=color_, zorder=3,
                       edgecolors="white", linewidths=0.6)


def _event_legend(ax: Axes, traces: Sequence[Trace]) -> None:
    from matplotlib.lines import Line2D

    kinds = {e.kind for t in traces for e in marked_events(t)}
    handles = [
        Line2D([], [], linestyle="", marker=MARKERS[k], color="#555555", label=k)
        for k in MARKERS if k in kinds
    ]
    if handles:
        ax.add_artist(ax.legend(handles=handles, loc="lower left", fontsize=8, title="events",
                                title_fontsize=8))


def lr_overview(traces: Sequence[Trace]) -> Figure:
    """LR against epoch for every trace on a log axis, events marked."""
    with _style():
        fig, (ax,) = _figure(3.4)
        for i, trace in enumerate(traces):
            xs, ys = _x_rates(trace)
            ax.step(xs, ys, where="post", color=color(i), linewidth=1.6, label=f"{trace.label} ({trace.name})")
            _mark(ax, marked_events(trace), color(i), lambda e: e.lr_after if e.lr_after > 0 else None)
        _log_rate_axis(ax)
        ax.set_xlim(0, max(len(t.epochs) for t in traces))
        ax.set_xlabel("epoch")
        ax.set_title("Learning rate per epoch", loc="left", y=1.0, pad=8)
        _event_legend(ax, traces)
        ax.legend(loc="upper right", fontsize=8)
    return fig


def losses(traces: Sequence[Trace]) -> Figure:
    """Training (dashed) and validation (solid) loss per trace, reductions marked."""
    with _style():
        fig, (ax,) = _figure(3.4)
        for i, trace in enumerate(traces):
            xs = [e.epoch for e in trace.epochs]
            ax.plot(xs, [e.train_loss for e in trace.epochs], color=color(i), linewidth=1.0,
                    linestyle="--", alpha=0.8)
            ax.plot(xs, [e.val_loss for e in trace.epochs], color=color(i), linewidth=1.5,
                    label=f"{trace.label} ({trace.name})")
            val = {e.epoch: e.val_loss for e in trace.epochs}
            reductions = [e for e in marked_events(trace) if e.kind == "reduce"]
            _mark(ax, reductions, color(i), lambda e, val=val: val[e.epoch])
        ax.set_xlim(0, max(len(t.epochs) for t in traces))
        ax.set_xlabel("epoch")
        _log_loss_axis(ax, "cross-entropy loss (log)")
        ax.set_title("Loss per epoch: validation (solid), training (dashed); ▼ LR reduced",
                     loc="left", y=1.0, pad=8)
        ax.legend(loc="upper right", fontsize=8)
    return fig


def schedule_detail(trace: Trace, index: int = 0) -> Figure:
    """One schedule: LR with the monitored metric; for ReduceLROnPlateau also the
    best-so-far value and the bad-epoch count against patience."""
    plateau = "num_bad_epochs" in (trace.epochs[0].state if trace.epochs else {})
    with _style():
        if plateau:
            fig, (ax, ax_bad) = _figure(4.2, rows=2, twin=True, height_ratios=[3, 1.2])
        else:
            fig, (ax,) = _figure(3.0, twin=True)
        xs, ys = _x_rates(trace)
        ax.step(xs, ys, where="post", color=color(index), linewidth=1.6, label="learning rate")
        _mark(ax, marked_events(trace), color(index), lambda e: e.lr_after if e.lr_after > 0 else None)
        _log_rate_axis(ax)
        ax.set_xlim(0, len(trace.epochs))
        ax.set_title(f"{trace.label}: learning rate and validation loss", loc="left", y=1.0, pad=8)
        metric = ax.twinx()
        metric.grid(False)
        metric.spines["right"].set_visible(True)
        epochs = [e.epoch for e in trace.epochs]
        metric.plot(epochs, [e.val_loss for e in trace.epochs], color="#444444", linewidth=1.0,
                    label="val loss")
        if plateau:
            metric.plot(epochs, [e.state.get("best") for e in trace.epochs], color="#444444",
                        linewidth=1.0, linestyle=":", label="best so far")
            bad = [e.state["num_bad_epochs"] for e in trace.epochs]
            # epoch k's count spans [k-1, k], like its rate.
            ax_bad.bar([k - 1 for k in epochs], bad, width=1.0, color=color(index), alpha=0.45,
                       align="edge")
            patience = trace.params.get("patience")
            if patience is not None:
                ax_bad.axhline(patience, color="#444444", linewidth=0.8, linestyle="--")
                ax_bad.text(1, patience, f" patience {patience}", va="bottom", fontsize=7)
            ax_bad.set_ylabel("bad epochs")
            ax_bad.set_xlabel("epoch")
        else:
            ax.set_xlabel("epoch")
        _log_loss_axis(metric, "validation loss (log)")
        lines = ax.get_legend_handles_labels()
        more = metric.get_legend_handles_labels()
        ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper right", fontsize=8)
    return fig


def render(fig: Figure, fmt: str, dpi: int = 150) -> bytes:
    """The figure's bytes in ``fmt`` (svg, png or pdf), without dates, so reproducible."""
    buffer = io.BytesIO()
    metadata: dict[str, Any] = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None},
                                "png": {"Software": None}}.get(fmt, {})
    with _style():
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata)
    return buffer.getvalue()
