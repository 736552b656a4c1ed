"""Why ReduceLROnPlateau did *not* reduce: the near misses of a trace.

Three things keep a plateau schedule from reducing when a reader expects it to:

* ``threshold``: the metric improved on its best, but not by the threshold, so torch's
  ``is_better`` counted the step as a bad one (and a long plateau of tiny improvements
  ends in a reduction all the same);
* ``cooldown``: a bad step inside the cooldown after a reduction, which torch ignores
  (its bad-step count is reset);
* ``min_lr`` / ``eps``: the schedule decided to reduce, but ``new_lr = max(lr x factor,
  min_lr)`` was not more than ``eps`` below the rate, so torch kept the rate.

Pure functions over a trace (no torch): torch's own state machine is stepped with the
recorded metric, synchronised with the scheduler state the trace recorded after each
step wherever it holds one (so a trace recorded from a loop that edited the scheduler
is read as torch saw it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from lrviz import schedules
from lrviz.explanation import metric_name, unit
from lrviz.schedules.base import group_value
from lrviz.schedules.plateau import _is_better
from lrviz.text import number
from lrviz.trace import Trace

__all__ = ["NearMiss", "NearMissKind", "console_lines", "near_misses", "to_json"]

NearMissKind = Literal["threshold", "cooldown", "min_lr", "eps"]

_PARAMS = ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "eps")
_STATE = ("best", "num_bad_epochs", "cooldown_counter")


@dataclass(frozen=True)
class NearMiss:
    """One step at which ReduceLROnPlateau came close to a decision it did not take.

    Attributes:
        epoch: The epoch of the scheduler step.
        kind: ``threshold`` (improved, but by less than the threshold: a bad step),
            ``cooldown`` (a bad step ignored in cooldown), ``min_lr`` or ``eps`` (a
            reduction decided, but the floor kept the rate).
        reason: The near miss in one sentence, with its numbers.
        numbers: The numbers behind the reason (metric, best, margins, counts, rates).
        step: The step, in a step-resolution trace (None otherwise).
        group: The param group whose rate a floor kept (None for ``threshold`` and
            ``cooldown``, which concern every group).
    """

    epoch: int
    kind: NearMissKind
    reason: str
    numbers: Mapping[str, Any] = field(default_factory=dict)
    step: int | None = None
    group: int | None = None

    @property
    def at(self) -> int:
        """The step of the near miss (the epoch, in a trace of one step per epoch)."""
        return self.epoch if self.step is None else self.step


@dataclass
class _State:
    """torch's ReduceLROnPlateau counters before a step."""

    best: float
    num_bad_epochs: int
    cooldown_counter: int


def near_misses(trace: Trace, group: int | None = None) -> list[NearMiss]:
    """The near misses of a ReduceLROnPlateau trace, in step order.

    Args:
        trace: Any trace; schedules that do not step on a metric have none.
        group: Only this param group's floors (``min_lr``/``eps``); None: every group's.
            ``threshold`` and ``cooldown`` near misses concern every group and are
            always listed.

    Returns:
        An empty list for a schedule without a metric, or a trace without the
        parameters torch decides by (a log that did not record them).

    Raises:
        ValueError: ``group`` is not one of the trace's param groups.
    """
    if group is not None and not 0 <= group < trace.groups:
        raise ValueError(f"group must be 0 to {trace.groups - 1}, got {group!r}")
    kind = schedules.kind_of(trace)
    p = trace.params
    if kind is None or not kind.needs_metric or any(k not in p for k in (*_PARAMS, "min_lr")):
        return []
    groups = range(trace.groups) if group is None else (group,)
    return _Walk(trace, groups).run()


class _Walk:
    """One pass over a trace's scheduler steps, as torch's ``step`` makes it."""

    def __init__(self, trace: Trace, groups: Sequence[int]) -> None:
        self.trace, self.groups, self.p = trace, groups, trace.params
        self.better = _is_better(self.p["mode"], self.p["threshold_mode"], self.p["threshold"])
        self.name, self.unit = metric_name(trace), unit(trace)
        self.out: list[NearMiss] = []

    def run(self) -> list[NearMiss]:
        trace = self.trace
        unscheduled = set(trace.steps.unscheduled) if trace.steps is not None else set()
        metrics, epochs = trace.step_metrics(), trace.step_epochs()
        recorded = [trace.state_column(key) for key in _STATE]
        rates = [trace.rates(g) for g in range(trace.groups)]
        # A resumed trace starts from counters it did not record: unknown until a
        # recorded state says them.
        state: _State | None = self._fresh() if trace.start == 0 else None
        for k in range(trace.step_count):
            if k + 1 in unscheduled:
                continue
            if state is not None:
                value = metrics[k]
                metric = math.nan if value is None else float(value)
                epoch = math.floor(epochs[k])
                step = k + 1 if trace.per_step else None
                self._step(state, metric, [r[k] for r in rates], epoch, step)
            after = [column[k] for column in recorded]
            if all(isinstance(v, int | float) for v in after):
                state = _State(float(after[0]), int(after[1]), int(after[2]))
        return self.out

    def _fresh(self) -> _State:
        return _State(math.inf if self.p["mode"] == "min" else -math.inf, 0, 0)

    def _step(
        self, s: _State, metric: float, before: list[float], epoch: int, step: int | None
    ) -> None:
        """torch's ``ReduceLROnPlateau.step``, line by line, noting what nearly happened."""
        best = s.best
        improved = self.better(metric, best)
        if improved:
            s.best, s.num_bad_epochs = metric, 0
        else:
            s.num_bad_epochs += 1
        slight = None if improved else self._slight(metric, best)
        if s.cooldown_counter > 0:
            s.cooldown_counter -= 1
            if not improved:
                self._cooldown(metric, best, s, slight, epoch, step)
            s.num_bad_epochs = 0
        elif slight is not None:
            self._threshold(metric, best, s, slight, epoch, step)
        if s.num_bad_epochs > self.p["patience"]:
            for g in self.groups:
                self._floor(g, before[g], epoch, step)
            s.cooldown_counter, s.num_bad_epochs = self.p["cooldown"], 0

    def _slight(self, metric: float, best: float) -> dict[str, float] | None:
        """The numbers of an improvement too small to count, or None if it was none."""
        p = self.p
        if not math.isfinite(best) or not math.isfinite(metric):
            return None
        by = best - metric if p["mode"] == "min" else metric - best
        if by <= 0:
            return None
        threshold = p["threshold"]
        needed = abs(best) * threshold if p["threshold_mode"] == "rel" else threshold
        return {"improvement": by, "needed": needed}

    def _emit(
        self,
        kind: NearMissKind,
        reason: str,
        numbers: dict[str, Any],
        epoch: int,
        step: int | None,
        group: int | None = None,
    ) -> None:
        where = f"{self.unit} {epoch if step is None else step}"
        if group is not None and self.trace.groups > 1:
            where += f" (group {group})"
        self.out.append(NearMiss(epoch, kind, f"{where}: {reason}", numbers, step, group))

    def _margin(self, best: float, slight: dict[str, float]) -> str:
        p = self.p
        by, needed = slight["improvement"], slight["needed"]
        less = "less than" if by < needed else "not more than"
        if p["threshold_mode"] == "rel":
            return f"better by {by:.3g}, {less} threshold {p['threshold']:g} x best = {needed:.3g}"
        return f"better by {by:.3g}, {less} threshold {p['threshold']:g} (abs)"

    def _threshold(
        self,
        metric: float,
        best: float,
        s: _State,
        slight: dict[str, float],
        epoch: int,
        step: int | None,
    ) -> None:
        a, b = distinct(metric, best)
        patience = self.p["patience"]
        then = (
            f", {s.num_bad_epochs} > patience {patience}: the rate is reduced"
            if s.num_bad_epochs > patience
            else f" ({s.num_bad_epochs} of patience {patience})"
        )
        reason = (
            f"{self.name} {a}, best {b}: {self._margin(best, slight)}, so counted as a bad "
            f"{self.unit}{then}"
        )
        numbers = {
            "metric": metric,
            "best": best,
            **slight,
            "threshold": self.p["threshold"],
            "threshold_mode": self.p["threshold_mode"],
            "num_bad_epochs": s.num_bad_epochs,
            "patience": patience,
        }
        self._emit("threshold", reason, numbers, epoch, step)

    def _cooldown(
        self,
        metric: float,
        best: float,
        s: _State,
        slight: dict[str, float] | None,
        epoch: int,
        step: int | None,
    ) -> None:
        a, b = distinct(metric, best)
        if slight is not None:
            bad = f"{self.name} {a}, best {b}: {self._margin(best, slight)}"
        else:
            bad = f"{self.name} {a} did not improve on best {b}"
        left = s.cooldown_counter
        still = (
            f"{left} more cooldown {self.unit}{'' if left == 1 else 's'} after this one"
            if left
            else f"the last cooldown {self.unit}"
        )
        reason = f"{bad}, a bad {self.unit}, but cooldown ignores it ({still})"
        numbers = {
            "metric": metric,
            "best": best,
            "cooldown_counter": left,
            "cooldown": self.p["cooldown"],
        }
        if slight is not None:
            numbers.update(slight)
        self._emit("cooldown", reason, numbers, epoch, step)

    def _floor(self, group: int, before: float, epoch: int, step: int | None) -> None:
        """torch's ``_reduce_lr`` for one group: note a reduction its floor stopped."""
        factor, eps = self.p["factor"], self.p["eps"]
        min_lr = float(group_value(self.p["min_lr"], group))
        scaled = before * factor
        new = max(scaled, min_lr)
        if before - new > eps:
            return
        decided = (
            f"{self.name} had not improved for more than patience {self.p['patience']} "
            f"{self.unit}s, so ReduceLROnPlateau reduced"
        )
        numbers = {"lr": before, "factor": factor, "scaled": scaled, "min_lr": min_lr, "eps": eps}
        if scaled < min_lr:
            reason = (
                f"{decided}, but min_lr {number(min_lr)} kept the rate at {number(before)} "
                f"({number(before)} x factor {factor:g} = {number(scaled)} is below min_lr)"
            )
            self._emit("min_lr", reason, numbers, epoch, step, group)
        else:
            reason = (
                f"{decided}, but the change {number(before)} -> {number(new)} is not more "
                f"than eps {eps:g}, so the rate stayed {number(before)}"
            )
            self._emit("eps", reason, numbers, epoch, step, group)


def distinct(a: float, b: float) -> tuple[str, str]:
    """Two numbers with as few significant digits (at least 6) as tell them apart."""
    for digits in range(6, 18):
        x, y = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if x != y:
            return x, y
    return f"{a:.6g}", f"{b:.6g}"  # equal


def console_lines(trace: Trace) -> list[str]:
    """``lrviz explain --all``: the near misses under a header, one line each (none for a
    schedule that does not step on a metric)."""
    kind = schedules.kind_of(trace)
    if kind is None or not kind.needs_metric:
        return []
    found = near_misses(trace)
    if not found:
        return [
            "near misses: none (no improvement smaller than the threshold, no bad step in "
            "cooldown, no reduction stopped by min_lr or eps)"
        ]
    return [f"near misses ({len(found)}):", *(f"  {m.kind:<9}  {m.reason}" for m in found)]


def to_json(found: Sequence[NearMiss]) -> list[dict[str, Any]]:
    """Near misses as strict-JSON-ready data (``lrviz explain --json``'s ``near_misses``)."""
    from lrviz.tracefile import jsonable

    out = []
    for m in found:
        row: dict[str, Any] = {"epoch": m.epoch}
        if m.step is not None:
            row["step"] = m.step
        if m.group is not None:
            row["group"] = m.group
        row.update(kind=m.kind, reason=m.reason, numbers=jsonable(m.numbers))
        out.append(row)
    return out
