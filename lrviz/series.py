"""What the figures draw, as arrays and words: where a trace's steps and epochs sit on
an x axis, which param groups share one line, the points a thinned line must keep, and
what the recorded quantities are called.

Pure functions of traces (NumPy, no matplotlib), so :mod:`lrviz.plots` only draws and
:mod:`lrviz.report` writes captions from the same facts.

The x axis counts finished steps: step k's rate spans [k-1, k] and an event at step k
sits at k, where the new rate begins. In a trace of one step per epoch a step is an
epoch. A figure of step-resolution traces that share their epochs counts steps, with
the epochs on a second axis; any other mix counts epochs, a step-resolution trace's
steps placed between its epochs' ends.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from lrviz import schedules
from lrviz.schedules.base import MILESTONE_REL_TOL
from lrviz.text import count, some
from lrviz.trace import Event, Logged, Trace

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Floats = NDArray[np.float64]
    Ints = NDArray[np.int64]

COLUMNS = 1000
"""Columns a long line is thinned to: more than an axes has pixels at 100% (about 650
in the report, 900 in a 7-inch figure at 150 dpi)."""

MILESTONES = (0.5, 0.1, 0.01)
"""Fractions of the starting rate that :func:`milestone_steps` reports (as
:data:`lrviz.explanation.MILESTONES`)."""


# -- where steps and epochs sit ---------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """How a trace's steps fall into epochs.

    Attributes:
        steps: The number of steps.
        ends: The last step of each epoch with at least one step, in order.
        numbers: The epoch number of each of those.
    """

    steps: int
    ends: tuple[int, ...]
    numbers: tuple[int, ...]

    def epoch_position(self, steps: Floats) -> Floats:
        """Steps (finished) as finished epochs: epoch e ends at e, its steps spread evenly
        before; steps after the last recorded epoch continue at the last epoch's pace."""
        import numpy as np

        xp = [0.0, *map(float, self.ends)]
        fp = [0.0, *map(float, self.numbers)]
        if self.ends and self.steps > self.ends[-1]:
            last = self.ends[-1] - (self.ends[-2] if len(self.ends) > 1 else 0)
            xp.append(float(self.steps))
            fp.append(self.numbers[-1] + (self.steps - self.ends[-1]) / max(1, last))
        if len(xp) < 2:
            return np.asarray(steps, dtype=float)
        out: Floats = np.interp(np.asarray(steps, dtype=float), xp, fp)
        return out


def clock(trace: Trace) -> Clock:
    """The trace's :class:`Clock`: epochs' recorded last steps, or, for a step-resolution
    trace without epochs, the steps' own epoch numbers."""
    if trace.steps is None:
        n = len(trace.epochs)
        return Clock(n, tuple(range(1, n + 1)), tuple(e.epoch for e in trace.epochs))
    n = trace.steps.count
    ends: dict[int, int] = {}  # end step -> epoch (the last epoch ending there)
    for e in trace.epochs:
        if e.step is not None and 0 < e.step <= n:
            ends[e.step] = e.epoch
    if not ends and n:
        import numpy as np

        whole = np.floor(np.asarray(trace.steps.epoch, dtype=float))
        change = np.flatnonzero(whole[1:] != whole[:-1])
        for end in [*(change + 1).tolist(), n]:
            ends[end] = int(whole[end - 1])
    pairs = sorted(ends.items())
    return Clock(n, tuple(s for s, _ in pairs), tuple(e for _, e in pairs))


@dataclass(frozen=True)
class Frame:
    """The x axis of one figure.

    Attributes:
        unit: "step" (every trace is step-resolution with the same epochs) or "epoch".
        clock: In a step frame, the traces' shared clock (for the epoch axis).
    """

    unit: Literal["epoch", "step"]
    clock: Clock | None = None

    def x(self, trace: Trace, steps: Iterable[float]) -> Floats:
        """Positions of finished-step counts of ``trace`` on this axis."""
        import numpy as np

        values = np.fromiter(steps, dtype=float)
        if self.unit == "step" or trace.steps is None:
            return values
        return clock(trace).epoch_position(values)

    def epoch_x(self, trace: Trace, epochs: Iterable[int]) -> Floats:
        """Positions of the ends of the given epochs of ``trace`` (where their losses sit)."""
        import numpy as np

        numbers = np.fromiter(epochs, dtype=float)
        if self.unit == "epoch" or trace.steps is None:
            return numbers
        c = clock(trace)
        out: Floats = np.interp(numbers, [0.0, *map(float, c.numbers)], [0.0, *map(float, c.ends)])
        return out

    def epoch_ends(self) -> dict[int, float]:
        """In a step frame, where each epoch ends (epoch 0: at 0), for the epoch axis;
        empty when the steps span one epoch or none."""
        if self.unit != "step" or self.clock is None or len(self.clock.ends) < 2:
            return {}
        c = self.clock
        return {0: 0.0, **{n: float(end) for n, end in zip(c.numbers, c.ends, strict=True)}}

    @property
    def label(self) -> str:
        """The x axis's label."""
        return self.unit


def frame(traces: Sequence[Trace]) -> Frame:
    """Steps when every trace is step-resolution and they share their epochs, else epochs."""
    if traces and all(t.per_step for t in traces):
        clocks = {clock(t) for t in traces}
        if len(clocks) == 1:
            return Frame("step", clocks.pop())
    return Frame("epoch")


def frame_length(frame_: Frame, traces: Sequence[Trace]) -> float:
    """The x axis's extent: the longest trace, at least 1."""
    import numpy as np

    longest = 0.0
    for t in traces:
        if frame_.unit == "epoch" and t.steps is not None:
            end = clock(t).epoch_position(np.asarray([float(t.step_count)]))
            longest = max(longest, float(end[0]))
        else:
            longest = max(longest, float(t.step_count))
    return max(longest, 1.0)


# -- rates -------------------------------------------------------------------------------


def rates(trace: Trace, group: int = 0) -> Floats:
    """One group's rates: before each step, then ``final_lr`` (``trace.rates``)."""
    from itertools import chain

    import numpy as np

    if trace.steps is None:
        return np.asarray(trace.rates(group), dtype=float)
    column = trace.steps.lr[group]  # a million steps: 2x faster than through a list
    return np.fromiter(chain(column, (trace.final_lr[group],)), float, len(column) + 1)


LARGEST_DRAWN = 1e300
"""The largest rate, in size, that a figure draws: matplotlib's axes overflow near the
largest float (1.8e308) when they add their margins (``--lr 1e308``)."""


def drawable(values: Floats | Sequence[float]) -> Floats:
    """``values`` with a gap (NaN) where a figure cannot draw one: infinite, NaN, or
    larger in size than :data:`LARGEST_DRAWN`."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    return np.where(np.abs(v) <= LARGEST_DRAWN, v, np.nan)


def not_drawn(traces: Sequence[Trace]) -> str:
    """A sentence naming the rates of ``traces`` a figure leaves out (:func:`drawable`),
    per label (the seeds of a schedule together) and how many, or "" when every rate is
    drawn."""
    import numpy as np

    left: dict[str, int] = {}
    for t in traces:
        n = sum(
            int(np.count_nonzero(~(np.abs(rates(t, g)) <= LARGEST_DRAWN))) for g in range(t.groups)
        )
        if n:
            left[t.label] = left.get(t.label, 0) + n
    parts = [f"{label} ({count(n, 'rate')})" for label, n in left.items()]
    if not parts:
        return ""
    return (
        f"Not drawn: rates that are infinite, NaN or beyond {LARGEST_DRAWN:.0e} in size, of "
        f"{some(parts, sep=', ')}."
    )


def _rate_keys(trace: Trace) -> list[tuple[Any, ...]]:
    """Per param group, its rates as one hashable value: groups with equal keys have the
    same rates (the columns are compared and hashed in C: a million steps, or a million
    groups, in well under a second)."""
    if trace.steps is not None:
        columns: Sequence[Sequence[float]] = trace.steps.lr
    else:
        columns = list(zip(*(e.lr for e in trace.epochs), strict=True))
    if not columns:  # no steps: the final rates alone
        return [(final,) for final in trace.final_lr]
    return [(final, tuple(column)) for final, column in zip(trace.final_lr, columns, strict=True)]


MAX_GROUP_LINES = 12
"""Lines of param groups with their own rates that one figure draws (the first ones);
more would be a tangle no reader can follow."""

MAX_PANELS = 6
"""Panels of param groups that one figure of several schedules draws (the first ones)."""


def groups_note(traces: Sequence[Trace]) -> str:
    """ " Drawn: ..." saying which param groups' lines a figure of ``traces`` leaves out
    (past :data:`MAX_GROUP_LINES` lines, or :data:`MAX_PANELS` panels), or ""."""
    if len(traces) > 1:
        panels = len(group_panels(traces)) if any(t.groups > 1 for t in traces) else 1
        if panels <= MAX_PANELS:
            return ""
        return (
            f" Drawn: the panels of the first {MAX_PANELS} of {panels:,} sets of param groups "
            "with their own rates; each trace file has every group's."
        )
    for trace in traces:
        lines = len(same_groups(trace))
        if lines > MAX_GROUP_LINES:
            return (
                f" Drawn: {trace.label}'s first {MAX_GROUP_LINES} of {lines:,} lines, one per "
                "set of param groups with the same rates; its trace file has every group's."
            )
    return ""


def same_groups(trace: Trace) -> list[tuple[int, ...]]:
    """The param groups of a trace, those with identical rates together (one line each),
    in the order of their first groups."""
    found: dict[tuple[Any, ...], list[int]] = {}
    for g, key in enumerate(_rate_keys(trace)):
        found.setdefault(key, []).append(g)
    return [tuple(members) for members in found.values()]


def group_panels(traces: Sequence[Trace]) -> list[tuple[int, ...]]:
    """Param groups to draw in one panel each, across traces: group g joins an earlier
    panel when every trace that has g gives it the same rates as that panel's group."""
    keys = [_rate_keys(t) for t in traces]
    panels: list[list[int]] = []
    index: dict[tuple[Any, ...], list[int]] = {}
    having: list[list[tuple[Any, ...]]] = []
    for g in range(max(t.groups for t in traces)):
        now = [k for k in keys if len(k) > g]
        if len(now) != len(having):  # fewer traces have g: panels compare on those alone
            having = now
            index = {}
            for panel in panels:
                index.setdefault(tuple(k[panel[0]] for k in having), panel)
        key = tuple(k[g] for k in having)
        if key in index:
            index[key].append(g)
        else:
            panels.append(index.setdefault(key, [g]))
    return [tuple(p) for p in panels]


MAX_NAMED_GROUPS = 6
"""Param groups a label names one by one; more are counted."""


def groups_text(groups: Sequence[int]) -> str:
    """ "group 1", "groups 0-3", "groups 0, 2", "groups 0, 2, 4, 6, 8, 10 and 994 more"."""
    if len(groups) == 1:
        return f"group {groups[0]}"
    if groups[-1] - groups[0] == len(groups) - 1 and list(groups) == list(
        range(groups[0], groups[-1] + 1)
    ):
        return f"groups {groups[0]:,}\N{EN DASH}{groups[-1]:,}"
    named = ", ".join(map(str, groups[:MAX_NAMED_GROUPS]))
    more = len(groups) - MAX_NAMED_GROUPS
    return f"groups {named}" + (f" and {more:,} more" if more > 0 else "")


def thin(y: Floats, keep: Iterable[int] = (), columns: int = COLUMNS) -> Ints:
    """The indices of ``y`` worth drawing at ``columns`` columns: all when few; else, in
    every column, its first and last point, its lowest and highest (and its first
    non-finite one, a gap), and every index in ``keep`` (events), in order.

    A line through these points looks, column by column, like the full one: it reaches
    every minimum and maximum and passes through every kept point.
    """
    import numpy as np

    n = len(y)
    extra = np.fromiter((k for k in keep if 0 <= k < n), dtype=np.int64)
    if n <= 4 * columns:
        return np.arange(n, dtype=np.int64)
    size = math.ceil(n / columns)
    cols = math.ceil(n / size)
    padded = np.concatenate([y, np.full(cols * size - n, y[-1])]).reshape(cols, size)
    finite = np.isfinite(padded)
    base = np.arange(cols, dtype=np.int64) * size
    low = np.argmin(np.where(finite, padded, np.inf), axis=1)
    high = np.argmax(np.where(finite, padded, -np.inf), axis=1)
    gaps = ~finite.all(axis=1)
    first_gap = np.argmax(~finite, axis=1)[gaps] + base[gaps]
    found = np.concatenate(
        [
            base,
            np.minimum(base + size - 1, n - 1),
            base + low,
            base + high,
            first_gap,
            extra,
            np.array([0, n - 1], dtype=np.int64),
        ]
    )
    return np.unique(np.clip(found, 0, n - 1))


def event_indices(events: Iterable[Event]) -> list[int]:
    """Rate indices a thinned line keeps for events: the rate before and after each."""
    out: list[int] = []
    for e in events:
        out += [e.at - 1, e.at]
        last = e.evidence.get("last_step")  # a phase: where it ends
        if isinstance(last, int):
            out += [last - 1, last]
    return out


def rate_scale(values: Iterable[Floats]) -> tuple[Literal["log", "symlog", "linear"], float]:
    """How to draw rates: ``log`` when all are positive; ``symlog`` (linear from 0 to the
    smallest positive one, the second value) when some are 0; ``linear`` when none is
    positive."""
    import numpy as np

    smallest, zero = math.inf, False
    for v in values:
        finite = v[np.abs(v) <= LARGEST_DRAWN]  # what a figure draws (drawable)
        positive = finite[finite > 0]
        if positive.size:
            smallest = min(smallest, float(positive.min()))
        zero = zero or bool((finite <= 0).any())
    if smallest == math.inf:
        return "linear", 0.0
    return ("symlog" if zero else "log"), smallest


# -- milestones, fast --------------------------------------------------------------------


def milestone_steps(trace: Trace, group: int = 0) -> dict[float, int | None]:
    """:func:`lrviz.explanation.milestones` in NumPy (a million steps in milliseconds):
    the first step whose rate is at or below 50%, 10% and 1% of the initial rate, or of
    the peak of a warm-up that rises above it first."""
    import numpy as np

    r = rates(trace, group)
    if r.size == 0:
        return dict.fromkeys(MILESTONES)
    peak = int(np.argmax(np.where(np.isnan(r), -np.inf, r)))
    if r[peak] <= r[0] * (1 + 1e-9):
        start, first = float(r[0]), 1
    else:
        start, first = float(r[peak]), peak + 1
    out: dict[float, int | None] = {}
    for fraction in MILESTONES:
        hits = np.flatnonzero(r[first:] <= fraction * start * (1 + MILESTONE_REL_TOL))
        out[fraction] = int(first + hits[0]) if hits.size else None
    return out


# -- what the figures and tables call things ---------------------------------------------


def legend_label(trace: Trace) -> str:
    """The trace's label, with its class when that says more: never "X (X)"."""
    return trace.label if trace.label == trace.name else f"{trace.label} ({trace.name})"


def loss_name(traces: Sequence[Trace]) -> str | None:
    """The loss function the traces with losses recorded (``experiment["loss"]``), when
    every one of them recorded the same (one that named none leaves it unnamed)."""
    names = {
        None
        if t.experiment is None or t.experiment.get("loss") is None
        else str(t.experiment["loss"])
        for t in traces
        if has([t], "train_loss") or has([t], "val_loss")
    }
    return names.pop() if len(names) == 1 else None


def has(traces: Sequence[Trace], field: str) -> bool:
    """Whether some trace recorded ``field`` (train_loss, val_loss, val_accuracy) at an epoch."""
    return any(getattr(e, field) is not None for t in traces for e in t.epochs)


def final_rates(trace: Trace) -> tuple[float, ...]:
    """Each group's final rate: ``final_lr``, the rate after the last step; but where that
    step went past the schedule's end (OneCycleLR's, whose rate torch extrapolates, maybe
    below 0, and no update used: its rule marks it "past the end"), the last rate an
    update used."""
    last = trace.step_count
    past = {
        e.group: e.lr_before
        for e in trace.events
        if e.at == last and e.evidence.get("landmark") == "past the end"
    }
    return tuple(past.get(g, lr) for g, lr in enumerate(trace.final_lr))


def logged_losses(trace: Trace) -> dict[str, Logged]:
    """The losses a trace logged at their steps (its scalars whose names have "loss" in
    them: HF Trainer's ``loss`` and ``eval_loss``, any of Lightning's), by name. The loss
    figure draws these instead of the epochs' losses: every value, at its step (HF's
    evaluations every N steps, not only those at an epoch's end)."""
    return {
        name: values
        for name, values in sorted(trace.logged.items())
        if "loss" in name.lower() and any(math.isfinite(v) for v in values.value)
    }


def has_losses(traces: Sequence[Trace]) -> bool:
    """Whether some trace recorded a loss: in its epochs, or logged at its steps."""
    return (
        has(traces, "val_loss")
        or has(traces, "train_loss")
        or any(logged_losses(t) for t in traces)
    )


QUANTITY = {
    "val_loss": "validation loss",
    "train_loss": "training loss",
    "val_accuracy": "validation accuracy",
    "the metric": "monitored metric",
}


def metric_label(name: str) -> str:
    """Words for :func:`lrviz.explanation.metric_name`'s answer."""
    return QUANTITY.get(name, name)


@dataclass(frozen=True)
class Detail:
    """What a schedule's own figure shows beside its rates.

    Attributes:
        metric: The value given to ``scheduler.step`` (a schedule stepped on a metric
            that recorded it): its name, as :func:`lrviz.explanation.metric_name` says.
        best: The scheduler's best-so-far value is drawn with the metric.
        bad_epochs: The bad-epoch count (against patience) is drawn below.
        loss: The epoch field drawn on the second axis when no metric is: val_loss or
            train_loss.
    """

    metric: str | None
    best: bool
    bad_epochs: bool
    loss: str | None

    def caption(self, label: str, loss: str | None = None) -> str:
        """The figure's caption."""
        parts = ["learning rate"]
        if self.metric is not None:
            parts.append(f"the {metric_label(self.metric)} given to the scheduler")
            if self.best:
                parts.append("its best-so-far value")
        elif self.loss is not None:
            parts.append(f"the {metric_label(self.loss)}" + (f" ({loss})" if loss else ""))
        if self.bad_epochs:
            parts.append("the bad-epoch count against patience")
        text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return f"{label}: {text}."


def detail(trace: Trace) -> Detail:
    """What :func:`lrviz.plots.schedule_detail` shows for ``trace``."""
    from lrviz.explanation import metric_name

    kind = schedules.kind_of(trace)
    on_metric = kind is not None and kind.needs_metric
    metrics = on_metric and any(m is not None for m in trace.step_metrics())
    best = metrics and any(v is not None for v in trace.state_column("best"))
    bad = on_metric and any(v is not None for v in trace.state_column("num_bad_epochs"))
    loss = None
    if not metrics:
        loss = next((f for f in ("val_loss", "train_loss") if has([trace], f)), None)
    return Detail(metric_name(trace) if metrics else None, best, bad, loss)
