"""Recording a framework's training in one line: a Lightning callback and a HuggingFace
``TrainerCallback`` (:mod:`lrviz.integrations.lightning`,
:mod:`lrviz.integrations.transformers`).

Both do the same, through :class:`Session`: at the start of training a
:class:`lrviz.Recorder` on each optimizer and scheduler the framework steps (every
optimizer step and param group, and the metric a ReduceLROnPlateau is stepped with);
every scalar the framework logs, at the step it belongs to, with each epoch's losses;
at the end one trace per schedule and a report in the folder, laid out as ``lrviz run``
writes one (``index.html``, ``figures/``, ``traces/``), and any misuse
(:mod:`lrviz.misuse`) as a warning. In a distributed run only global rank zero writes
and warns; every rank's traces stay on its :class:`Session`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from lrviz.recorder import Recorder
from lrviz.trace import Logged, Trace

__all__ = ["LRVizWarning", "Schedule", "Session"]


class LRVizWarning(UserWarning):
    """A schedule that will not do what it is set up for, found while training."""


@dataclass(frozen=True)
class Schedule:
    """One optimizer a framework steps, with its scheduler.

    Attributes:
        name: The schedule's name in the report (the framework's own, e.g. ``lr-Adam``).
        optimizer: The torch optimizer (unwrapped from the framework's wrapper).
        scheduler: Its scheduler, or None for rates set otherwise.
        every: ``"step"`` for a schedule stepped per batch, else ``"epoch"``.
        experiment: What is known of the run, for this schedule's trace.
    """

    name: str | None
    optimizer: Any
    scheduler: Any
    every: Literal["epoch", "step"]
    experiment: Mapping[str, Any] = field(default_factory=dict)


class _Series:
    """The logged values of one recorder, by name: steps and values as they come."""

    def __init__(self) -> None:
        self.at: dict[str, list[int]] = {}
        self.value: dict[str, list[float]] = {}

    def add(self, values: Mapping[str, float], at: int) -> None:
        for name, value in values.items():
            self.at.setdefault(name, []).append(at)
            self.value.setdefault(name, []).append(value)

    def logged(self, last: int) -> dict[str, Logged]:
        """Every series, no step past ``last`` (a value logged after the last scheduler
        step belongs to the last one)."""
        return {
            name: Logged(at=tuple(min(a, last) for a in at), value=tuple(self.value[name]))
            for name, at in self.at.items()
        }


class Session:
    """One training run being recorded.

    Args:
        out: The report folder.
        label: The schedule's name in the report (default: the framework's name for it);
            with several schedules, the prefix of each one's name.
    """

    def __init__(self, out: str | os.PathLike[str], label: str | None = None) -> None:
        self.out = Path(out)
        self.label = label
        self.recorders: list[Recorder] = []
        self.traces: list[Trace] = []
        self._series: list[_Series] = []
        self._batch_start: list[int] = []
        self._pending: dict[str, float] = {}
        self._epoch = False  # an epoch is under way
        self._last: tuple[int, dict[str, float]] = (0, {})  # values() at the last step

    def start(self, schedules: Sequence[Schedule]) -> None:
        """Training starts: record each optimizer and its scheduler."""
        from lrviz.report import check_output_folder

        check_output_folder(self.out)  # before training: the report could not go there
        self.recorders = [
            Recorder(
                s.optimizer,
                s.scheduler,
                experiment=dict(s.experiment),
                label=self._label(s.name, len(schedules)),
                every=s.every,
            )
            for s in schedules
        ]
        self._series = [_Series() for _ in self.recorders]
        self._batch_start = [0] * len(self.recorders)

    def batch_start(self) -> None:
        """A training batch starts: values it logs belong to the next scheduler step."""
        self._batch_start = [_steps(r) for r in self.recorders]

    def batch_values(self, values: Mapping[str, Any]) -> None:
        """Values a training batch logged: each recorder's first step from its start."""
        numbers = _numbers(values)
        for series, start in zip(self._series, self._batch_start, strict=True):
            series.add(numbers, start + 1)

    def values(self, values: Mapping[str, Any], epochs: bool = True) -> None:
        """Values logged now (an evaluation, a framework's log): at the last step taken;
        when that is an epoch's last step, the epoch's values too, unless ``epochs`` is
        False (a summary of the run)."""
        numbers = _numbers(values)
        for series, recorder in zip(self._series, self.recorders, strict=True):
            series.add(numbers, _steps(recorder))
        if self.recorders and epochs:
            step, last = self._last
            now = _steps(self.recorders[0])
            self._last = (now, (last if step == now else {}) | numbers)

    def epoch_values(self, values: Mapping[str, Any]) -> None:
        """An epoch's values as the framework reports them (kept until the epoch's
        scheduler step, which frameworks take after reporting)."""
        self._pending.update(_numbers(values))

    def epoch_start(self) -> None:
        """An epoch starts (the one before, and its scheduler step, are over)."""
        self.epoch_done()
        self._epoch = True

    def epoch_done(self) -> None:
        """The epoch, and its scheduler step, are over: log it, with what it reported."""
        if not self._epoch or not self.recorders:
            return
        values, self._pending, self._epoch = self._pending, {}, False
        self.values(values)
        step, last = self._last
        if step == _steps(self.recorders[0]):  # logged at the epoch's last step: its own
            values = last | values
        for recorder in self.recorders:
            recorder.log(
                train_loss=_first(values, "train_loss", "train/loss", "loss"),
                val_loss=_first(values, "val_loss", "val/loss", "eval_loss"),
                val_accuracy=_first(
                    values, "val_accuracy", "val_acc", "val/acc", "val/accuracy", "eval_accuracy"
                ),
            )

    def finish(self) -> Path | None:
        """Training ends: the traces, and on global rank zero the report and a warning
        for each misuse.

        Returns:
            The report's ``index.html``, or None when nothing was recorded or this
            process is not global rank zero.
        """
        from lrviz.pitfalls import messages
        from lrviz.report import write_report

        if not self.recorders:
            return None
        self.epoch_done()
        self.traces = []
        for recorder, series in zip(self.recorders, self._series, strict=True):
            trace = recorder.trace
            self.traces.append(replace(trace, logged=series.logged(trace.step_count)))
        if self.traces[0].meta.get("rank", 0) != 0:
            return None
        for message in messages(self.traces):
            warnings.warn(message, LRVizWarning, stacklevel=2)
        return write_report(self.traces, self.out)

    def _label(self, name: str | None, schedules: int) -> str | None:
        if self.label is None or name is None:
            return self.label or name
        return self.label if schedules == 1 else f"{self.label} {name}"


def _steps(recorder: Recorder) -> int:
    """The steps ``recorder`` has recorded so far."""
    return recorder._count


def _numbers(values: Mapping[str, Any]) -> dict[str, float]:
    """The values that are numbers (0-dim tensors too), as floats."""
    out = {}
    for key, value in values.items():
        number = _number(value)
        if number is not None:
            out[str(key)] = number
    return out


def _number(value: Any) -> float | None:
    """A reported value as a float (a 0-dim tensor too), or None if it is no number."""
    item = getattr(value, "item", None)
    try:
        return float(item() if callable(item) else value)
    except (TypeError, ValueError, RuntimeError):
        return None


def _first(values: Mapping[str, float], *keys: str) -> float | None:
    """The value of the first key logged, as is or as Lightning names the epoch's value of
    one also logged per step (``loss_epoch``)."""
    names = [name for key in keys for name in (key, f"{key}_epoch")]
    return next((values[k] for k in names if k in values), None)
