"""A schedule alone, without training: ``lrviz simulate``, ``lrviz.simulate``, and the dry
run that checks a schedule before any training.

The real torch scheduler is driven on a dummy optimizer (``lrviz.optim.Adam`` with no
parameters, one param group per rate), one ``optimizer.step()`` and one
``scheduler.step()`` per epoch, as in a training loop; ReduceLROnPlateau gets the
metric of epoch k at the end of epoch k. The dummy never imports ``torch._dynamo``,
so a simulation costs little more than ``import torch``. The batched engine drives
its runs' rates the same way (:class:`Stepper`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections.abc import Sequence
from typing import Any, Literal

from lrviz import checks, schedules
from lrviz.recorder import Recorder
from lrviz.schedules import Kind
from lrviz.spec import ScheduleSpec, as_spec
from lrviz.text import count, short_repr
from lrviz.torchbridge import advance, build, check_groups
from lrviz.trace import Trace

OPTIMIZERS = ("adam", "sgd", "adamw")
"""Optimizers a simulation can drive: lrviz's Adam (torch's arithmetic, without torch's
second-long first import), or torch's SGD (with momentum, for schedules that cycle it)
and AdamW on a parameter that never gets a gradient."""


def dummy_optimizer(name: str, lr: Sequence[float]) -> Any:
    """An optimizer with one param group per rate and nothing to update.

    Raises:
        ValueError: Not one of :data:`OPTIMIZERS`.
    """
    if name == "adam":
        from lrviz.optim import Adam

        return Adam([], list(lr))
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}")
    import torch

    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": r} for r in lr]
    if name == "sgd":
        return torch.optim.SGD(groups, lr=lr[0], momentum=0.9)
    return torch.optim.AdamW(groups, lr=lr[0])


class Stepper:
    """A real scheduler on an optimizer with nothing to update, stepped by hand and
    recorded: the loop of ``lrviz simulate`` and of the batched engine's rates.

    Args:
        kind: The schedule.
        params: Its resolved parameters.
        lr: The initial rate of each param group.
        optimizer: One of :data:`OPTIMIZERS`.
        every: The recorder's resolution (``"step"`` for several steps an epoch).

    Raises:
        ValueError: torch rejected a value.
    """

    def __init__(
        self,
        kind: Kind,
        params: dict[str, Any],
        lr: Sequence[float],
        optimizer: str = "adam",
        every: Literal["epoch", "step"] = "epoch",
    ) -> None:
        self.kind = kind
        self.optimizer = dummy_optimizer(optimizer, lr)
        self.scheduler = build(kind, params, self.optimizer)
        self.recorder = Recorder(self.optimizer, self.scheduler, every=every)
        self.steps = 0
        self.epoch = 1

    def step(self, metric: float | None = None, scheduler: bool = True) -> None:
        """One training step: check the values the update uses, step the optimizer
        (nothing to update), then the scheduler (with ``metric`` if it takes one), or,
        with ``scheduler=False``, only mark the step.

        Raises:
            ValueError: A value no update may use, or torch failed to step.
        """
        # Messages are worded only for an error: a million steps would spend seconds
        # formatting them.
        self.steps += 1
        check_groups(self.kind, self.optimizer, self._set)
        self.optimizer.step()
        if scheduler:
            advance(self.kind, self.scheduler, self._ending, metric)
        self.recorder.step()  # the end of a training step, with or without a scheduler step

    def _set(self) -> str:
        """When the values this step's update uses were set."""
        return "to start with" if self.steps == 1 else f"at the end of {self._at(self.steps - 1)}"

    def _ending(self) -> str:
        return f"the end of {self._at(self.steps)}"

    def _at(self, step: int) -> str:
        # One step per epoch unless every="step".
        return f"{'step' if self.recorder.every == 'step' else 'epoch'} {step}"

    def end_epoch(self) -> None:
        """The end of an epoch."""
        self.recorder.log()
        self.epoch += 1


def check(kind: Kind, params: dict[str, Any], lr: float | Sequence[float], epochs: int = 0) -> None:
    """Build the schedule on a dummy optimizer and step it ``epochs`` times, so bad values
    fail before any work. A schedule that steps on a metric gets one that never improves,
    so it reduces as often and as far as it ever can.

    Raises:
        ValueError: torch rejected a value, failed while stepping, or set a value an
            update cannot use. (The rate after the last step trains nothing: a
            three-phase linear OneCycleLR ends below zero.)
    """
    stepper = Stepper(kind, params, checks.rates(lr))
    for _ in range(epochs):
        stepper.step(1.0 if kind.needs_metric else None)
        stepper.end_epoch()


def simulate(
    spec: str | ScheduleSpec,
    epochs: int | None = None,
    lr: float | Sequence[float] = 0.1,
    metrics: Sequence[float] | None = None,
    steps_per_epoch: int = 1,
    optimizer: str = "adam",
) -> Trace:
    """The explained trace of a schedule driven by torch on an optimizer with nothing to
    update.

    Args:
        spec: A schedule SPEC such as ``"step:step_size=10"``, or a parsed spec.
        epochs: Epochs; default: one per metric, else 100.
        lr: The initial rate, or one rate per param group.
        metrics: For ReduceLROnPlateau, one value per epoch (passed to ``step`` at the
            end of the epoch).
        steps_per_epoch: Optimizer steps per epoch: a schedule that does not step on a
            metric steps after each (presets count these steps: OneCycleLR's
            ``total_steps`` is epochs x steps_per_epoch); 1 gives a trace of one step per
            epoch.
        optimizer: ``adam`` (default), ``sgd`` (momentum 0.9) or ``adamw``.

    Raises:
        TypeError: An argument of the wrong type (the message names it).
        ValueError: A bad schedule, parameter, rate, epoch count, metric list, or a value
            the optimizer cannot take.
    """
    from lrviz.resolve import resolve

    spec = as_spec(spec)
    kind = spec.kind
    initial = checks.rates(lr)
    epochs = (len(metrics) if metrics else 100) if epochs is None else checks.epochs(epochs)
    per_epoch = checks.epochs(steps_per_epoch, "steps_per_epoch")
    checks.steps_fit(epochs * per_epoch, f"{epochs:,} epochs of {count(per_epoch, 'step')}")
    scheduler_steps = epochs if kind.needs_metric else epochs * per_epoch
    params = resolve(spec, scheduler_steps, initial)
    how = f"{epochs:,} epochs x {count(per_epoch, 'step')}"
    if problem := schedules.too_many_steps(kind, params, scheduler_steps, how):
        raise ValueError(problem)  # before the first step, not torch's "Tried to step" after
    values = _check_metrics(spec, metrics, epochs)
    stepper = Stepper(kind, params, initial, optimizer, "step" if per_epoch > 1 else "epoch")
    for epoch in range(epochs):
        for i in range(1, per_epoch + 1):
            at_end = i == per_epoch
            if values is None:
                stepper.step()
            else:  # ReduceLROnPlateau: stepped with the epoch's metric at its end
                stepper.step(values[epoch] if at_end else None, scheduler=at_end)
        stepper.end_epoch()
    schedule = {"name": kind.name, "label": spec.label or kind.name, "params": params}
    return stepper.recorder.to_trace(source="simulate", schedule=schedule)


def _check_metrics(
    spec: ScheduleSpec, metrics: Sequence[float] | None, epochs: int
) -> list[float] | None:
    name = spec.kind.name
    if not spec.kind.needs_metric:
        if metrics is not None:
            raise ValueError(f"{name} takes no metric; metrics only feed ReduceLROnPlateau")
        return None
    if metrics is None:
        raise ValueError(f"{name} steps on a metric: give one value per epoch (--metrics FILE)")
    if len(metrics) != epochs:
        raise ValueError(f"need one metric per epoch: {epochs} epochs but {len(metrics)} metrics")
    return [float(m) for m in metrics]


# -- metrics files ---------------------------------------------------------------------

MAX_METRICS_BYTES = 64 << 20
"""The largest metrics file read (64 MiB: millions of values)."""


def read_metrics(path: str | os.PathLike[str]) -> list[float]:
    """Metric values from a JSON list or a one-column CSV (an optional header line).

    Non-finite values are allowed (``NaN``, ``Infinity``; in JSON also as strings),
    because torch accepts them and lrviz explains what they do.

    Raises:
        ValueError: Unreadable file, not a list of numbers, or more than one column.
    """
    from lrviz.files import read_text

    name = os.fspath(path)
    text = read_text(path, "metrics", MAX_METRICS_BYTES)
    if text.lstrip().startswith("["):
        return _json_metrics(text, name)
    return _csv_metrics(text, name)


def _json_metrics(text: str, name: str) -> list[float]:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"metrics {name!r} is not valid JSON: {exc}") from exc
    if not isinstance(data, list) or not data:
        raise ValueError(f"metrics {name!r} must be a non-empty JSON list of numbers")
    return [_number(v, f"{name!r} item {i}") for i, v in enumerate(data)]


def _csv_metrics(text: str, name: str) -> list[float]:
    try:
        rows = [row for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise ValueError(f"metrics {name!r} is not a readable CSV file: {exc}") from exc
    if rows and len(rows[0]) == 1 and _is_header(rows[0][0]):
        rows = rows[1:]
    if not rows:
        raise ValueError(
            f"metrics {name!r} holds no values; give a JSON list or one value per line"
        )
    out = []
    for line, row in enumerate(rows, start=1):
        if len(row) != 1:
            raise ValueError(f"metrics {name!r}: one column expected, row {line} has {len(row)}")
        out.append(_number(row[0].strip(), f"{name!r} row {line}"))
    return out


def _is_header(cell: str) -> bool:
    """A column name such as ``val_loss``: a word, not a number (nor a mistyped one, such
    as ``0x10``, which would otherwise be dropped as a header)."""
    try:
        float(cell)
    except ValueError:
        return re.fullmatch(r"[A-Za-z_][\w .-]*", cell.strip()) is not None
    return False


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"metrics {where}: expected a number, got {short_repr(value)}")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise ValueError(f"metrics {where}: expected a number, got {short_repr(value)}") from None
    if math.isinf(number) and not (isinstance(value, str) and "inf" in value.lower()):
        raise ValueError(f"metrics {where}: {short_repr(value)} is beyond a float's range")
    return number
