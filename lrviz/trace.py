"""The trace: every scheduler step of one schedule's run, as plain data.

A trace (SPEC §3) holds, for each scheduler step, the rate of every param group
before the step (the rate the optimizer updates before it used), the epoch it belongs
to, momenta of schedules that cycle them, the metric ``step`` was given, and the
scheduler's state after it; and, for each epoch, its losses and accuracy. A trace of
one scheduler step per epoch (every trace ``lrviz run`` makes) keeps everything in
its epochs; a step-resolution trace (schedules stepped per batch) keeps its steps in
:class:`Steps`, column by column. The file format is :mod:`lrviz.tracefile`'s.
"""

from __future__ import annotations

import math
import numbers
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from lrviz.__about__ import __version__

EventKind = Literal["reduce", "increase", "held", "external"]
EVENT_KINDS: tuple[EventKind, ...] = ("reduce", "increase", "held", "external")


@dataclass(frozen=True)
class Epoch:
    """One epoch of a trace.

    Attributes:
        epoch: 1-based epoch number (in a resumed run's step trace, the first is the epoch
            it resumed at).
        lr: Rates applied during this epoch, one per param group (in a step-resolution
            trace: the rates of its first step).
        train_loss: Training loss of this epoch (None when nothing was trained).
        val_loss: Validation loss after this epoch's optimizer step.
        val_accuracy: Validation accuracy after this epoch's optimizer step.
        metric: The value passed to ``scheduler.step`` at the epoch's end, if any.
        momentum: Momentum (or Adam's beta1) per group, for schedules that vary it.
        state: The scheduler's state after this epoch's step.
        step: In a step-resolution trace, the epoch's last step (None otherwise).
        updates: Optimizer updates in this epoch, when not one (a per-epoch trace of a
            loop that updates per batch).
    """

    epoch: int
    lr: tuple[float, ...]
    train_loss: float | None = None
    val_loss: float | None = None
    val_accuracy: float | None = None
    metric: float | None = None
    momentum: tuple[float, ...] | None = None
    state: Mapping[str, Any] = field(default_factory=dict)
    step: int | None = None
    updates: int | None = None


@dataclass(frozen=True)
class Steps:
    """Every step of a step-resolution trace, column by column (one entry per step).

    A step is one scheduler step, with the optimizer updates made since the one before;
    a loop whose scheduler did not step at a recorded step (``Recorder.step()``) has a
    step without one.

    Attributes:
        lr: ``lr[g][k]``: the rate of param group g before step k+1's scheduler step,
            the rate its optimizer updates used.
        epoch: The epoch step k+1 belongs to: whole epochs from 1, or what the loop
            passed to ``scheduler.step(epoch)`` (``epoch + i/iters``).
        momentum: ``momentum[g][k]``, for schedules that cycle it.
        metric: The value ``scheduler.step`` was given at step k+1, if any.
        state: The scheduler's state after step k+1, key by key.
        updates: Steps with other than one optimizer update before them (0: the update
            was skipped, e.g. by AMP's GradScaler; 2+: several, e.g. a schedule stepped
            per epoch): step -> updates.
        unscheduled: Steps at which the scheduler did not step (recorded by hand), or
            whose scheduler step raised, changing no rate.
        early: Steps whose scheduler step came before their optimizer update, which then
            used the new rate (torch's "lr_scheduler.step() before optimizer.step()").
        start: The scheduler's steps before the trace's first (its ``last_epoch`` there):
            a resumed run's recording begins at scheduler step ``start + 1``, which is
            step 1 of the columns (step numbers here count the recorded steps).
        at: The step number of each entry, increasing, when they are not 1, 2, ...,
            count: an imported log written every N steps keeps the steps it logged
            (:mod:`lrviz.logs`). Entry k then holds the rate the update of step
            ``at[k]`` used; the epochs' ``step``, events' ``step`` and the other
            columns' step numbers still count entries (1 to count).
    """

    lr: tuple[tuple[float, ...], ...]
    epoch: tuple[float, ...]
    momentum: tuple[tuple[float, ...], ...] | None = None
    metric: tuple[float | None, ...] | None = None
    state: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    updates: Mapping[int, int] = field(default_factory=dict)
    unscheduled: tuple[int, ...] = ()
    early: tuple[int, ...] = ()
    start: int = 0
    at: tuple[int, ...] | None = None

    @property
    def count(self) -> int:
        """The number of steps."""
        return len(self.epoch)


@dataclass(frozen=True)
class Logged:
    """One scalar the training logged (a framework's ``self.log`` or ``logs``), value by
    value, under the name it was logged with.

    Attributes:
        at: The step each value belongs to (the epoch, in a trace of one step per epoch):
            a value logged during a training step, at that step; a value logged at an
            epoch's end or by an evaluation, at the last step taken before it; 0 before
            the first step.
        value: The values, in the order logged.
    """

    at: tuple[int, ...]
    value: tuple[float, ...]


@dataclass(frozen=True)
class Event:
    """Why the rate of one param group changed (or was held) at one step.

    An event at step k means step k's scheduler step decided it: step k+1 (or the
    trace's ``final_lr``) carries ``lr_after``. In a trace of one step per epoch the
    step is the epoch.

    Attributes:
        epoch: The epoch of the step.
        group: The param group.
        kind: reduce, increase, held or external.
        lr_before: The rate before the step.
        lr_after: The rate after it.
        reason: Why, in words.
        evidence: The numbers behind the reason.
        step: The step, in a step-resolution trace (None otherwise).
    """

    epoch: int
    group: int
    kind: EventKind
    lr_before: float
    lr_after: float
    reason: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    step: int | None = None

    @property
    def at(self) -> int:
        """The step of the event (the epoch in a trace of one step per epoch)."""
        return self.epoch if self.step is None else self.step


@dataclass(frozen=True)
class Trace:
    """Everything recorded about one schedule over one run.

    Attributes:
        meta: ``lrviz`` and ``torch`` versions and ``source`` (run, simulate, record,
            import; an imported trace says which ``log`` it came from).
        experiment: What was trained (dataset, epochs, seed, model), or None.
        schedule: ``{"name": torch class name, "params": every constructor argument}``.
        initial_lr: The rate of each param group before the first step.
        epochs: One record per epoch, in order.
        final_lr: The rate of each group after the last step.
        events: The explained rate changes (see :mod:`lrviz.explanation`).
        steps: The steps of a step-resolution trace; None when there was one scheduler
            step per epoch, which the epochs then hold.
        optimizer: The optimizer's class and every param group's settings, when known:
            ``{"name": "SGD", "groups": [{"lr": 0.1, "momentum": 0.9, ...}, ...]}``.
        logged: Every scalar the training logged, by name (a framework's metrics beyond
            the epochs' losses), each at its steps.
    """

    meta: Mapping[str, Any]
    experiment: Mapping[str, Any] | None
    schedule: Mapping[str, Any]
    initial_lr: tuple[float, ...]
    epochs: tuple[Epoch, ...]
    final_lr: tuple[float, ...]
    events: tuple[Event, ...] = ()
    steps: Steps | None = None
    optimizer: Mapping[str, Any] | None = None
    logged: Mapping[str, Logged] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The torch class name of the schedule."""
        return str(self.schedule["name"])

    @property
    def params(self) -> Mapping[str, Any]:
        """The schedule's constructor arguments."""
        params: Mapping[str, Any] = self.schedule.get("params", {})
        return params

    @property
    def seed(self) -> int | None:
        """The seed of the run, or None for a trace without an experiment."""
        return None if self.experiment is None else self.experiment.get("seed")

    @property
    def label(self) -> str:
        """A short human name: the schedule's label, or its class name."""
        return str(self.schedule.get("label", self.name))

    @property
    def groups(self) -> int:
        """The number of param groups."""
        return len(self.initial_lr)

    @property
    def per_step(self) -> bool:
        """Whether the trace holds its steps apart from its epochs (step resolution)."""
        return self.steps is not None

    @property
    def start(self) -> int:
        """The scheduler's steps before the trace's first: 0, or where a resumed run (or
        a recording begun mid-run) started, whose trace is a step trace (``steps.start``)
        with its epochs numbered from there."""
        return 0 if self.steps is None else self.steps.start

    @property
    def step_count(self) -> int:
        """The number of steps (of epochs, in a trace of one step per epoch)."""
        return len(self.epochs) if self.steps is None else self.steps.count

    @property
    def diverged_epoch(self) -> int | None:
        """The first epoch whose training or validation loss is not finite, if any."""
        for e in self.epochs:
            for value in (e.train_loss, e.val_loss):
                if value is not None and not math.isfinite(value):
                    return e.epoch
        return None

    def rates(self, group: int = 0) -> list[float]:
        """Rates of one group: before each step, then ``final_lr``."""
        if self.steps is not None:
            return [*self.steps.lr[group], self.final_lr[group]]
        return [e.lr[group] for e in self.epochs] + [self.final_lr[group]]

    def step_epochs(self) -> list[float]:
        """The epoch each step belongs to."""
        if self.steps is not None:
            return list(self.steps.epoch)
        return [float(e.epoch) for e in self.epochs]

    def step_metrics(self) -> list[float | None]:
        """The value ``scheduler.step`` was given at each step (None where none)."""
        if self.steps is None:
            return [e.metric for e in self.epochs]
        if self.steps.metric is None:
            return [None] * self.steps.count
        return list(self.steps.metric)

    def momenta(self, group: int = 0) -> list[float] | None:
        """Momentum of one group before each step, for schedules that cycle it."""
        if self.steps is not None:
            return None if self.steps.momentum is None else list(self.steps.momentum[group])
        if not self.epochs or any(e.momentum is None for e in self.epochs):
            return None
        return [e.momentum[group] for e in self.epochs if e.momentum is not None]

    def state_column(self, key: str) -> list[Any]:
        """One key of the scheduler's state after each step (None where not recorded)."""
        if self.steps is not None:
            return list(self.steps.state.get(key, (None,) * self.steps.count))
        return [e.state.get(key) for e in self.epochs]

    def updates(self) -> list[int]:
        """Optimizer updates before each step (1 each unless recorded otherwise)."""
        if self.steps is not None:
            out = [1] * self.steps.count
            for step, n in self.steps.updates.items():
                out[step - 1] = n
            return out
        return [1 if e.updates is None else e.updates for e in self.epochs]

    def with_events(self, events: Sequence[Event]) -> Trace:
        """A copy of this trace carrying ``events``."""
        return replace(self, events=tuple(events))

    def to_dict(self) -> dict[str, Any]:
        """The trace as JSON-ready plain data (non-finite floats as strings)."""
        from lrviz.tracefile import to_dict

        return to_dict(self)

    def to_json(self) -> str:
        """Strict, deterministic JSON text (:mod:`lrviz.tracefile`)."""
        from lrviz.tracefile import to_json

        return to_json(self)

    def save(self, path: str | os.PathLike[str]) -> bool:
        """Write the trace to ``path`` atomically (all or nothing); gzip-compressed when
        the name ends in ``.gz``.

        In a distributed run (``torch.distributed`` initialised) only global rank zero
        writes, so that every rank can call ``save`` with the same path; a path with
        ``{rank}`` in it (``trace-{rank}.json``) is written by every rank, each to its
        own: ``{rank}`` is the rank the trace was recorded on (``meta["rank"]``), else
        this process's.

        Returns:
            Whether this process wrote the file.
        """
        from lrviz.tracefile import save

        target = os.fspath(path)
        rank = process_rank()
        if "{rank}" in target:
            target = target.replace("{rank}", str(self.meta.get("rank", rank)))
        elif rank != 0:
            return False
        save(self, target)
        return True

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Trace:
        """Build a trace from plain data, as :meth:`to_dict` returns it (or a
        ``lrviz.trace/1`` file's), every field checked.

        Raises:
            ValueError: The data is not an lrviz trace, or a field is malformed (the
                message names it).
        """
        from lrviz.tracefile import from_dict

        return from_dict(data)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Trace:
        """Read a trace file (JSON, or gzip-compressed JSON).

        Raises:
            ValueError: The file is missing, too large, not strict JSON, or not an
                lrviz trace; the message names the file.
        """
        from lrviz.tracefile import load

        return load(path)

    @classmethod
    def from_rates(
        cls,
        rates: Iterable[float | Iterable[float]],
        name: str = "unnamed",
        params: Mapping[str, Any] | None = None,
    ) -> Trace:
        """A trace holding only learning rates, e.g. to check a schedule in a test.

        ``rates`` reads like :meth:`rates`: the rate before the first step, then the
        rate after each step, so ``n + 1`` values make ``n`` epochs (the last one is
        ``final_lr``). Each value is one number (one param group) or one number per
        group, as ``scheduler.get_last_lr()`` returns them::

            rates = [scheduler.get_last_lr()]
            for _ in range(epochs):
                optimizer.step()
                scheduler.step()
                rates.append(scheduler.get_last_lr())
            trace = Trace.from_rates(rates, name="StepLR", params={"step_size": 30})

        Args:
            rates: At least two values: the initial rate and the rate after each step.
            name: The schedule's name; :func:`lrviz.compare` compares it.
            params: The schedule's parameters; compared too.

        Raises:
            ValueError: Fewer than two values, or values with different numbers of groups.
            TypeError: A value is not a number or a list of numbers.
        """
        rows = [_rate_row(value) for value in rates]
        if len(rows) < 2:
            raise ValueError(
                "need at least 2 rates (the initial rate and the rate after each step), "
                f"got {len(rows)}"
            )
        groups = sorted({len(row) for row in rows})
        if groups[0] == 0 or len(groups) > 1:
            raise ValueError(
                f"every value needs the same number of param groups (at least 1), got {groups}"
            )
        return cls(
            meta={"lrviz": __version__, "source": "record"},
            experiment=None,
            schedule={"name": name, "params": dict(params or {})},
            initial_lr=rows[0],
            epochs=tuple(Epoch(epoch=k, lr=row) for k, row in enumerate(rows[:-1], start=1)),
            final_lr=rows[-1],
        )


def process_rank() -> int:
    """This process's global rank when ``torch.distributed`` is initialised, else 0. Read
    only where the program imported it: a trace needs no torch."""
    dist = sys.modules.get("torch.distributed")
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return 0
    return int(dist.get_rank())


def _rate_row(value: Any) -> tuple[float, ...]:
    """One entry of :meth:`Trace.from_rates`: a number, or one number per group."""
    if isinstance(value, numbers.Real):
        return (float(value),)
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        row = list(value)
        if all(isinstance(v, numbers.Real) for v in row):
            return tuple(float(v) for v in row)
    raise TypeError(f"a rate must be a number or a list of numbers (one per group), got {value!r}")
