"""Across seeds: per-epoch bands, how consistent the reductions were, spreads of outcomes.

Pure functions over traces (NumPy for the quantiles). A :class:`Group` is every trace
of one schedule label, one per seed. The multi-seed report (SPEC §7.6) draws a group
as its median and a band from the 10th to the 90th percentile instead of one line
per seed, and says when the reductions happened: "first reduction at epoch 23 (IQR
19-28) across 50 seeds; 3 seeds never reduced".

Quantiles interpolate linearly between seeds (NumPy's default). Non-finite losses (a
diverged seed) are left out of an epoch's quantiles; the report warns about them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from lrviz.schedules.base import same_rate
from lrviz.trace import Trace

LOW, HIGH = 0.1, 0.9
"""The band: from the 10th to the 90th percentile across seeds."""


@dataclass(frozen=True)
class Group:
    """The traces of one schedule label, one per seed, in the order given."""

    label: str
    name: str
    traces: tuple[Trace, ...]

    @property
    def seeds(self) -> list[int]:
        """The seeds of the traces (traces without one are left out)."""
        return [t.seed for t in self.traces if t.seed is not None]

    @cached_property
    def same_rates(self) -> bool:
        """Every seed got the same rates (the schedule does not read the loss)."""
        first = self.traces[0].rates()
        return all(
            len(t.rates()) == len(first) and all(map(same_rate, t.rates(), first))
            for t in self.traces[1:]
        )


def groups(traces: Sequence[Trace]) -> list[Group]:
    """The traces grouped by schedule label, labels in order of first appearance."""
    by_label: dict[str, list[Trace]] = {}
    for trace in traces:
        by_label.setdefault(trace.label, []).append(trace)
    return [Group(label, ts[0].name, tuple(ts)) for label, ts in by_label.items()]


def several_seeds(traces: Sequence[Trace]) -> bool:
    """Whether some schedule ran under several distinct seeds (and none twice under one)."""
    found = groups(traces)
    distinct = all(len(set(g.seeds)) == len(g.traces) for g in found)
    return distinct and any(len(g.traces) > 1 for g in found)


@dataclass(frozen=True)
class Band:
    """One quantity per epoch across seeds: its median and its 10-90% band.

    Attributes:
        x: Positions on the epoch axis.
        low: 10th percentile at each position (NaN where no seed has a finite value).
        median: Median at each position.
        high: 90th percentile at each position.
    """

    x: list[int]
    low: list[float]
    median: list[float]
    high: list[float]


def _band(x: list[int], rows: list[list[float | None]]) -> Band:
    import numpy as np

    # Seeds of different lengths (recorded loops stopped early): the missing ends are gaps.
    values = np.full((len(rows), len(x)), math.nan)
    for k, row in enumerate(rows):
        values[k, : len(row)] = [math.nan if v is None else v for v in row[: len(x)]]
    values[~np.isfinite(values)] = math.nan
    if not np.isnan(values).any():  # the usual case, and much faster than nanquantile
        out = np.quantile(values, [LOW, 0.5, HIGH], axis=0)
    else:
        out = np.full((3, values.shape[1]), math.nan)
        finite = ~np.isnan(values).all(axis=0)
        if finite.any():
            out[:, finite] = np.nanquantile(values[:, finite], [LOW, 0.5, HIGH], axis=0)
    low, median, high = (row.tolist() for row in out)
    return Band(x, low, median, high)


def rate_band(group: Group, param_group: int = 0) -> Band:
    """One param group's rate across seeds at x = 0..N (steps): step k's rate spans
    [k-1, k], then the final one. Seeds without that group are left out."""
    rows: list[list[float | None]] = [
        list(t.rates(param_group)) for t in group.traces if t.groups > param_group
    ]
    return _band(list(range(max(map(len, rows)))), rows)


def metric_band(group: Group, key: str) -> Band:
    """An epoch field (``train_loss``, ``val_loss``, ...) across seeds, at x = 1..E."""
    rows = [[getattr(e, key) for e in t.epochs] for t in group.traces]
    longest = max(group.traces, key=lambda t: len(t.epochs))
    return _band([e.epoch for e in longest.epochs], rows)


@dataclass(frozen=True)
class Spread:
    """Median and spread of one number across seeds.

    Attributes:
        n: Seeds with a value.
        missing: Seeds without one (e.g. never reduced, or a non-finite loss).
        median, low, high: Median and the 10th and 90th percentiles.
        q1, q3: The quartiles (the interquartile range).
        min, max: The extremes.
    """

    n: int
    missing: int
    median: float | None = None
    low: float | None = None
    high: float | None = None
    q1: float | None = None
    q3: float | None = None
    min: float | None = None
    max: float | None = None

    @property
    def constant(self) -> bool:
        """Every seed with a value has the same one."""
        return self.n > 0 and self.min == self.max


def spread(values: Sequence[float | None]) -> Spread:
    """Median, percentiles and extremes of the finite values; None and non-finite ones
    are counted as missing."""
    import numpy as np

    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return Spread(0, len(values))
    low, q1, median, q3, high = np.quantile(finite, [LOW, 0.25, 0.5, 0.75, HIGH]).tolist()
    return Spread(
        len(finite), len(values) - len(finite), median, low, high, q1, q3, min(finite), max(finite)
    )


def reduction_epochs(trace: Trace, param_group: int = 0) -> list[int]:
    """The epochs whose step reduced the rate of one param group."""
    return [e.epoch for e in trace.events if e.kind == "reduce" and e.group == param_group]


@dataclass(frozen=True)
class Reduction:
    """The k-th reduction across seeds.

    Attributes:
        order: 1 for the first reduction, 2 for the second, ...
        epochs: When it happened, over the seeds that reduced at least ``order`` times;
            ``epochs.missing`` counts the seeds that did not.
    """

    order: int
    epochs: Spread


def reductions(group: Group) -> list[Reduction]:
    """The first, second, ... reduction of every seed, side by side."""
    per_seed = [reduction_epochs(t) for t in group.traces]
    most = max((len(r) for r in per_seed), default=0)
    return [
        Reduction(k + 1, spread([r[k] if k < len(r) else None for r in per_seed]))
        for k in range(most)
    ]


def consistency(group: Group, continuous: bool) -> str:
    """One sentence on when the rate was reduced across the group's seeds.

    Args:
        group: The traces of one schedule.
        continuous: The schedule moves the rate at every step (then its reductions
            are every epoch, and only whether the seeds agree is worth saying).
    """
    n = len(group.traces)
    seeds = f"{n} seed{'s' if n != 1 else ''}"
    if group.same_rates:
        epochs = reduction_epochs(group.traces[0])
        if continuous or not epochs:
            return (
                f"The rates are the same for all {seeds}: {group.name} does not depend "
                "on the weights."
            )
        return (
            f"The rates are the same for all {seeds}: {group.name} reduced the rate at "
            f"epoch{'s' if len(epochs) > 1 else ''} {_list(epochs)} every time."
        )
    found = reductions(group)
    if not found:
        return f"No seed reduced the rate ({seeds})."
    first = found[0].epochs
    never = first.missing
    text = (
        f"First reduction at epoch {_n(first.median)} (median; IQR {_n(first.q1)}\N{EN DASH}"
        f"{_n(first.q3)}, range {_n(first.min)}\N{EN DASH}{_n(first.max)}) across {seeds}"
    )
    if never:
        text += f"; {never} seed{'s' if never != 1 else ''} never reduced"
    return text + "."


def _list(epochs: Sequence[int]) -> str:
    return (
        ", ".join(str(e) for e in epochs[:-1])
        + (" and " if len(epochs) > 1 else "")
        + str(epochs[-1])
    )


def _n(x: Any) -> str:
    """An epoch statistic: whole numbers as such, else one decimal."""
    return "—" if x is None else f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"
