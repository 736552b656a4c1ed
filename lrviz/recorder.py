"""Recording a training loop: ``Recorder(optimizer, scheduler)``, then ``log`` once per epoch.

::

    rec = lrviz.Recorder(optimizer, scheduler)
    for epoch in range(epochs):
        for batch in loader:
            ...                                   # forward, backward
            optimizer.step()
            scheduler.step()                      # per batch, or once per epoch below
        rec.log(train_loss=loss, val_loss=val_loss)   # once per epoch, after its steps
    rec.trace.save("trace.json")

The recorder sees what the scheduler saw: every call of ``scheduler.step(...)`` is
recorded as it happens, with the rates before it (the rates the optimizer's updates
used), the value it was given (the metric of ReduceLROnPlateau, in ``mode`` min or
max, under any name; or the epoch of ``step(epoch)``), the momenta of schedules that
cycle them, and the scheduler's state after it; calls of ``optimizer.step()`` are
counted, so an update skipped by AMP's GradScaler, several updates per scheduler step
(gradient accumulation, or a schedule stepped per epoch) and a scheduler stepped before
its optimizer all show. ``log`` adds the epoch's losses and accuracy, and the rates the
epoch's first update used (after a ``scheduler.step(epoch)`` at the top of the epoch,
the new ones). ``step()`` records a training step at which the scheduler did not step (a
schedule stepped per epoch, seen per batch; a rate set by hand).

What real loops do: a step that raises (OneCycleLR stepped past its end) is not recorded
(torch changed no rate; the updates before it count at the next step); a run resumed
from a checkpoint, or recorded from the middle, numbers its epochs from the scheduler's
``last_epoch`` where recording began, or continues the first run's recording with
``load_state_dict(state_dict())``; param groups added by ``optimizer.add_param_group``
are not recorded, and the trace's ``meta["omitted"]`` says so; two recorders on one
scheduler (a user's and a framework callback's) each record every step.

Neither object changes behaviour: the scheduler's class is swapped for a subclass that
only adds the recording around ``step`` (so ``state_dict()``, pickling, which loads
where lrviz is not installed, and ``isinstance`` are as before), and
``optimizer.step`` is wrapped as torch's own schedulers wrap it. Warnings torch gives
the caller of its ``step`` name the loop's line, not lrviz's. Every trace lrviz makes is
recorded this way, ``lrviz run``'s and ``lrviz simulate``'s included.
"""

from __future__ import annotations

import collections
import copyreg
import functools
import inspect
import numbers
import operator
import sys
import warnings
import weakref
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from types import CodeType, FrameType
from typing import Any, Literal

from lrviz import schedules
from lrviz.text import count, short_repr
from lrviz.torchbridge import params_of, provenance, rates
from lrviz.trace import Epoch, Steps, Trace


class Recorder:
    """Records the rates, losses and scheduler steps of a training loop.

    Args:
        optimizer: The ``torch.optim.Optimizer`` whose rates the scheduler sets.
        scheduler: The scheduler (any class with ``step``: lrviz explains the
            ``torch.optim.lr_scheduler`` classes it knows by their rules, and shows the
            others' changes as they are), or None for rates set by hand.
        experiment: Optional description of the run, stored as the trace's ``experiment``.
        label: Optional name of the schedule in reports (default: the scheduler's class
            name); a report needs one per schedule, e.g. for two StepLR variants.
        every: ``"epoch"``: a trace of one step per epoch when the scheduler stepped once
            an epoch from its start, else of every step (a resumed run's: numbered from
            where it resumed); ``"step"``: a trace of every step in any case.

    Raises:
        TypeError: ``optimizer`` has no ``param_groups``, ``scheduler`` no ``step``
            method, or ``every`` is neither "epoch" nor "step".
        ValueError: ``scheduler`` sets the rates of another optimizer.
    """

    def __init__(
        self,
        optimizer: Any,
        scheduler: Any = None,
        experiment: Mapping[str, Any] | None = None,
        label: str | None = None,
        every: Literal["epoch", "step"] = "epoch",
    ) -> None:
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(
                f"optimizer must be a torch optimizer (with param_groups), got "
                f"{type(optimizer).__name__}"
            )
        _check_scheduler(scheduler, optimizer)
        if every not in ("epoch", "step"):
            raise TypeError(f"every must be 'epoch' or 'step', got {every!r}")
        if label is not None and (not isinstance(label, str) or not label.strip()):
            raise TypeError(f"label must be a non-empty string, got {label!r}")
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.experiment = experiment
        self.label = label
        self.every = every
        self._kind = None if scheduler is None else schedules.for_scheduler(scheduler)
        self._name = "none" if scheduler is None else _class_name(schedules.class_of(scheduler))
        recognised = None if scheduler is None else schedules.recognise(scheduler)
        self._params = None if recognised is None else recognised[1]
        if recognised is not None:  # a framework's schedule, by its own name
            self._kind, self._name = recognised[0], recognised[0].name
        self._state_keys = () if self._kind is None else self._kind.state_keys
        self._momentum = self._kind is not None and (
            self._kind.cycles_momentum and bool(getattr(scheduler, "cycle_momentum", False))
        )
        # The momenta a step records, of a schedule that cycles them: Adam's beta1 or SGD's.
        self._momenta_of = (
            (_beta1s if "betas" in optimizer.param_groups[0] else _sgd_momenta)
            if self._momentum
            else None
        )
        self._argument = _first_argument(scheduler)
        self._settings = _settings(optimizer)
        self._initial = rates(optimizer)
        self._width = len(self._initial)  # groups recorded (any added later are not)
        self._epoch_start = self._initial
        # Kept as cheaply as a step allows: the rates and momenta of step k are items
        # k * width ... of flat arrays of floats (a list per step would make the garbage
        # collector walk a million of them), the rare things (metrics, epochs given to
        # step(), updates other than one) by step number.
        self._count = 0
        self._lr = array("d")
        self._momenta = array("d")
        self._state: list[Any] = []
        self._state_of = operator.attrgetter(*self._state_keys) if self._state_keys else None
        self._metrics: dict[int, Any] = {}
        self._epochs_given: dict[int, float] = {}
        self._updates: dict[int, int] = {}
        self._unscheduled: list[int] = []
        self._epochs: list[Epoch] = []
        self._pending = 0  # optimizer updates since the last step
        self._stepped = False  # a scheduler step since the last call of step()
        self._changes = 0  # calls of log() and step(), for the cached trace
        self._start = 0  # the scheduler's steps before the first recorded
        self._added_at: int | None = None  # the first step that saw a group added
        # The rates the epoch's first update used (after a scheduler step at its top).
        self._epoch_used: tuple[float, ...] | None = None
        self._cached: tuple[tuple[Any, ...], Trace] | None = None
        if scheduler is not None:
            _watch(scheduler, self)
        _count_updates(optimizer, self)

    # -- what the loop calls ------------------------------------------------------------

    def step(self) -> None:
        """Mark the end of a training step: when the scheduler did not step since the
        last call, a step without one is recorded (with ``every="step"``, a schedule
        stepped per epoch is then seen per batch; a rate set by hand, per step)."""
        if not self._stepped:
            self._changes += 1
            self._unscheduled.append(self._count + 1)
            self._before()
            if self._state_of is not None:
                self._state.append(self._state_of(self.scheduler))
        self._stepped = False

    def log(
        self,
        train_loss: Any = None,
        val_loss: Any = None,
        val_accuracy: Any = None,
        metric: Any = None,
    ) -> None:
        """Record the end of an epoch, after its scheduler step(s).

        Values may be numbers or 0-dim tensors (NaN and infinities included: a
        divergence is reported, not refused). ``metric`` is only needed when the
        scheduler is not stepped with it (lrviz sees what ``scheduler.step`` gets).

        Raises:
            TypeError: A value is something else (a tensor of several values, a string),
                naming the argument.
        """
        given = {
            "train_loss": train_loss,
            "val_loss": val_loss,
            "val_accuracy": val_accuracy,
            "metric": metric,
        }
        logged = {name: _logged(value, name) for name, value in given.items()}
        last = self._count
        start = self._epochs[-1].step or 0 if self._epochs else 0
        seen = self._metrics.get(last) if last > start else None
        self._epochs.append(
            Epoch(
                epoch=len(self._epochs) + 1,
                lr=self._epoch_start if self._epoch_used is None else self._epoch_used,
                train_loss=logged["train_loss"],
                val_loss=logged["val_loss"],
                val_accuracy=logged["val_accuracy"],
                metric=logged["metric"] if seen is None else _float(seen),
                step=last,
            )
        )
        self._epoch_start = self._rates()
        self._epoch_used = None
        self._changes += 1

    # -- what the scheduler and optimizer call --------------------------------------------

    def _given(self, k: int, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """What step ``k`` was given: the metric, or torch's old epoch argument."""
        if args:
            value = args[0]
        elif self._argument in kwargs or "metrics" in kwargs:
            value = kwargs.get(self._argument, kwargs.get("metrics"))
        else:  # a scheduler of one's own may name its metric otherwise
            value = next((v for key, v in kwargs.items() if key != "epoch"), None)
        if value is None:
            return
        if self._argument == "metric":
            self._metrics[k] = value
        else:  # torch counts epochs from 0 (``step(epoch + i / iters)``); a trace from 1
            self._epochs_given[k] = float(value) + 1

    def _begin(self) -> None:
        """At the first step, where the run is: the scheduler's ``last_epoch`` (a resumed
        run's), the rates and the optimizer's settings (after a checkpoint was loaded into
        them, if the Recorder was made before)."""
        self._start = _last_epoch(self.scheduler)
        self._initial = self._rates()
        self._settings = _settings(self.optimizer)
        if not self._epochs:
            self._epoch_start = self._initial

    def _failed(self) -> None:
        """End the step :meth:`_before` began as one without a scheduler step: torch's
        ``step`` raised (OneCycleLR stepped past ``total_steps``), having changed no rate;
        the updates before it used the rate recorded, and a loop that catches the error
        goes on at it. Without updates before it, nothing is recorded (torch's step
        raised before counting it: a warning turned into an error)."""
        if self._updates.get(self._count) == 0:
            self._updates.pop(self._count)
            self._count -= 1
            del self._lr[len(self._lr) - self._width :]
            if self._momenta_of is not None:
                del self._momenta[len(self._momenta) - self._width :]
            return
        self._unscheduled.append(self._count)
        if self._state_of is not None:
            self._state.append(self._state_of(self.scheduler))
        self._stepped = True

    def _before(self) -> None:
        """Just before a step: the rates (and momenta) its updates used, as floats now (a
        tensor rate is changed in place by the step). Read from the optimizer's current
        groups: a resumed run's ``load_state_dict`` replaces them."""
        if not self._count:
            self._begin()
        self._count += 1
        if self._pending != 1:
            self._updates[self._count] = self._pending
        self._pending = 0
        groups = self.optimizer.param_groups
        if len(groups) != self._width:  # groups added since: not recorded (the trace says so)
            groups = groups[: self._width]
            if self._added_at is None:
                self._added_at = self._count
        self._lr.extend(map(_LR, groups))
        if self._momenta_of is not None:
            self._momenta.extend(self._momenta_of(groups))

    # -- checkpoints ----------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The recording so far as plain data (dicts, lists, numbers, strings), to keep in
        a checkpoint beside the optimizer's and the scheduler's: ``torch.load`` reads it
        back with ``weights_only=True``, and without lrviz.

        ::

            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                        "lr_scheduler": scheduler.state_dict(), "lrviz": rec.state_dict()},
                       "checkpoint.pt")
        """
        return {
            "format": STATE_FORMAT,
            "schedule": self._name,
            "groups": self._width,
            "initial": list(self._initial),
            "settings": _data(self._settings),
            "start": self._start,
            "count": self._count,
            "lr": self._lr.tolist(),
            "momenta": self._momenta.tolist(),
            "state": [_data(row) for row in self._state],
            "metrics": [[k, _float(v)] for k, v in self._metrics.items()],
            "epochs_given": [[k, v] for k, v in self._epochs_given.items()],
            "updates": [[k, n] for k, n in self._updates.items()],
            "unscheduled": list(self._unscheduled),
            "epochs": [_epoch_state(e) for e in self._epochs],
            "epoch_start": list(self._epoch_start),
            "epoch_used": None if self._epoch_used is None else list(self._epoch_used),
            "added_at": self._added_at,
            "pending": self._pending,
            "stepped": self._stepped,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue the recording of ``state`` (from :meth:`state_dict`): a resumed run,
        with this recorder on its new optimizer and scheduler, records one trace from the
        first run's first epoch. Call it before the resumed run's first step.

        Raises:
            ValueError: ``state`` is not a Recorder's state, or one of another schedule or
                number of param groups; or this recorder has recorded already.
        """
        if not isinstance(state, Mapping) or state.get("format") != STATE_FORMAT:
            raise ValueError(
                f"state must be a Recorder.state_dict() (format {STATE_FORMAT!r}), got "
                f"{short_repr(state)}"
            )
        if self._count or self._epochs or self._unscheduled:
            raise ValueError(
                "load_state_dict() continues a recording on a new Recorder, but this one has "
                f"recorded {self._count} steps and {len(self._epochs)} epochs already"
            )
        if (state["schedule"], state["groups"]) != (self._name, self._width):
            raise ValueError(
                f"state is the recording of {state['schedule']} over {state['groups']} param "
                f"groups, but this Recorder records {self._name} over {self._width}"
            )
        self._initial = tuple(state["initial"])
        self._settings = dict(state["settings"])
        self._start = state["start"]
        self._count = state["count"]
        self._lr = array("d", state["lr"])
        self._momenta = array("d", state["momenta"])
        rows = state["state"]
        self._state = [tuple(row) for row in rows] if len(self._state_keys) > 1 else list(rows)
        self._metrics = dict(state["metrics"])
        self._epochs_given = dict(state["epochs_given"])
        self._updates = dict(state["updates"])
        self._unscheduled = list(state["unscheduled"])
        self._epochs = [_epoch_of(row) for row in state["epochs"]]
        self._epoch_start = tuple(state["epoch_start"])
        used = state["epoch_used"]
        self._epoch_used = None if used is None else tuple(used)
        self._added_at = state["added_at"]
        self._pending += state["pending"]
        self._stepped = state["stepped"]
        self._changes += 1

    # -- the trace ------------------------------------------------------------------------

    def to_trace(
        self,
        *,
        source: str = "record",
        schedule: Mapping[str, Any] | None = None,
        explained: bool = True,
    ) -> Trace:
        """The trace so far.

        Args:
            source: What made it: ``record`` (your loop), ``run`` or ``simulate``.
            schedule: The trace's ``schedule`` (name, label, params); default: read back
                from the scheduler, labelled with ``label``.
            explained: Derive its events (:func:`lrviz.explain`).
        """
        per_epoch = self._one_step_per_epoch()
        epochs = self._numbered()
        trace = Trace(
            meta=provenance(source) | self._omitted(),
            experiment=None if self.experiment is None else dict(self.experiment),
            schedule=self._schedule() if schedule is None else schedule,
            initial_lr=self._initial,
            epochs=self._epoch_rows(epochs) if per_epoch else epochs,
            final_lr=self._rates(),
            steps=None if per_epoch else self._steps(epochs),
            optimizer=self._settings,
        )
        if not explained:
            return trace
        from lrviz.explanation import explain

        return trace.with_events(explain(trace))

    @property
    def trace(self) -> Trace:
        """The trace so far, with its events explained: computed once per change of the
        recording (a scheduler step, an optimizer update, a call of ``log`` or ``step``,
        a rate set by hand)."""
        key = (self._count, self._pending, self._changes, rates(self.optimizer), self.label)
        if self._cached is None or self._cached[0] != key:
            self._cached = (key, self.to_trace())
        return self._cached[1]

    def _rates(self) -> tuple[float, ...]:
        """The current rate of each recorded param group."""
        return rates(self.optimizer)[: self._width]

    def _omitted(self) -> dict[str, str]:
        """What the trace leaves out, in words for its ``meta``: param groups added to
        the optimizer after the recording began."""
        added = len(self.optimizer.param_groups) - self._width
        if added <= 0:
            return {}
        when = "after the last step" if self._added_at is None else f"at step {self._added_at}"
        return {
            "omitted": f"{count(added, 'param group')} added to the optimizer {when} "
            f"(optimizer.add_param_group) {'is' if added == 1 else 'are'} not recorded: the "
            f"trace holds the {count(self._width, 'group')} there "
            f"{'was' if self._width == 1 else 'were'} when recording began"
        }

    def _numbered(self) -> tuple[Epoch, ...]:
        """The logged epochs, numbered from where the scheduler was when the recording
        began: a resumed run's first epoch is the one it resumed at (SPEC §3), when the
        steps before make whole epochs of the first epoch's length."""
        first = self._epochs[0].step if self._epochs else None
        offset = self._start // first if first and self._start % first == 0 else 0
        if not offset:
            return tuple(self._epochs)
        return tuple(replace(e, epoch=e.epoch + offset) for e in self._epochs)

    def _one_step_per_epoch(self) -> bool:
        """Whether every logged epoch had exactly one scheduler step, and nothing else,
        with the epoch's updates before it, from the run's start (a resumed run's trace
        is a step trace: its steps and epochs are numbered from where it resumed,
        ``steps.start``)."""
        return (
            self.every == "epoch"
            and not self._start
            and not self._unscheduled
            and not self._epochs_given
            and not self._early()
            and self._count == len(self._epochs)
            and all(e.step == e.epoch for e in self._epochs)
            # each epoch's updates used the rate before its step (none came after it)
            and all(e.lr == row for e, row in zip(self._epochs, self._rows(self._lr), strict=True))
        )

    def _rows(self, values: array[float]) -> list[tuple[float, ...]]:
        """A flat array of per-group values as one row per step."""
        return list(zip(*self._columns(values), strict=True))

    def _columns(self, values: array[float]) -> tuple[tuple[float, ...], ...]:
        """A flat array of per-group values as one column per group."""
        return tuple(tuple(values[g :: self._width]) for g in range(self._width))

    def _epoch_rows(self, epochs: tuple[Epoch, ...]) -> tuple[Epoch, ...]:
        """The epochs of a trace of one step per epoch: each holds its step."""
        columns = self._state_columns()
        rows = self._rows(self._lr)
        momenta = self._rows(self._momenta) if self._momenta else None
        out = []
        for k, e in enumerate(epochs):
            seen = self._metrics.get(k + 1)
            out.append(
                Epoch(
                    epoch=e.epoch,
                    lr=rows[k],
                    train_loss=e.train_loss,
                    val_loss=e.val_loss,
                    val_accuracy=e.val_accuracy,
                    metric=e.metric if seen is None else _float(seen),
                    momentum=None if momenta is None else momenta[k],
                    state={key: column[k] for key, column in columns.items()},
                    updates=self._updates.get(k + 1),
                )
            )
        return tuple(out)

    def _state_columns(self) -> dict[str, list[Any]]:
        """The scheduler's state after each step, key by key, with what only the live
        scheduler can tell (LambdaLR's factors)."""
        keys = self._state_keys
        # One value per step if one key, else a tuple per step: a column per key.
        raw = [self._state] if len(keys) == 1 else list(zip(*self._state, strict=True))
        columns = {key: _plain_column(raw[i] if raw else []) for i, key in enumerate(keys)}
        if self._kind is not None and self._kind.derived_state is not None and self._state:
            columns.update(self._kind.derived_state(self.scheduler, columns))
        return columns

    def _steps(self, numbered: tuple[Epoch, ...]) -> Steps:
        from lrviz.tracefile import derived_step_epochs

        n = self._count
        epochs = derived_step_epochs(numbered, n)
        for k, epoch in self._epochs_given.items():
            epochs[k - 1] = epoch
        metrics: list[float | None] = [None] * n
        for k, value in self._metrics.items():
            metrics[k - 1] = _float(value)
        return Steps(
            lr=self._columns(self._lr),
            epoch=tuple(epochs),
            momentum=self._columns(self._momenta) if self._momenta else None,
            metric=tuple(metrics) if self._metrics else None,
            state={key: tuple(column) for key, column in self._state_columns().items()},
            updates=self._updates_seen(),
            unscheduled=tuple(self._unscheduled),
            early=tuple(range(1, n + 1)) if self._early() else (),
            start=self._start,
        )

    def _early(self) -> bool:
        """Whether the loop steps its scheduler before its updates: no update before the
        first scheduler step, the same number before each later one, and as many after
        the last (torch's "lr_scheduler.step() before optimizer.step()" per batch, or
        ``scheduler.step(epoch)`` at the top of each epoch; an update skipped by AMP at
        the first step leaves none after the last)."""
        n, every = self._count, self._pending
        if not n or every < 1 or self._unscheduled or self._updates.get(1) != 0:
            return False
        if every == 1:
            return len(self._updates) == 1
        return len(self._updates) == n and all(
            u == every for k, u in self._updates.items() if k != 1
        )

    def _updates_seen(self) -> dict[int, int]:
        """Updates per step; in a loop that steps its scheduler first, each step's updates
        are the ones after it."""
        if not self._early():
            return dict(self._updates)
        return {} if self._pending == 1 else dict.fromkeys(range(1, self._count + 1), self._pending)

    def _schedule(self) -> dict[str, Any]:
        params: Any = {}
        if self._params is not None:
            params = self._params
        elif self._kind is not None:
            try:
                params = params_of(self.scheduler, self._kind)
            except (ValueError, AttributeError, KeyError, TypeError):
                params = {}  # torch moved an attribute: the rule cannot apply, changes show
        else:
            params = _described(self.scheduler)
        return {"name": self._name, "params": params} | (
            {} if self.label is None else {"label": self.label}
        )


STATE_FORMAT = "lrviz.recorder/1"
"""The format of :meth:`Recorder.state_dict`."""


def _data(value: Any) -> Any:
    """Recorded values as plain data: mappings as dicts, tuples as lists, recursively."""
    if isinstance(value, Mapping):
        return {key: _data(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [_data(v) for v in value]
    return _plain(value)


def _epoch_state(e: Epoch) -> dict[str, Any]:
    """A logged epoch as plain data."""
    return {
        "epoch": e.epoch,
        "lr": list(e.lr),
        "train_loss": e.train_loss,
        "val_loss": e.val_loss,
        "val_accuracy": e.val_accuracy,
        "metric": e.metric,
        "step": e.step,
    }


def _epoch_of(row: Mapping[str, Any]) -> Epoch:
    """A logged epoch from :func:`_epoch_state`'s plain data."""
    return Epoch(**{**row, "lr": tuple(row["lr"])})


def _check_scheduler(scheduler: Any, optimizer: Any) -> None:
    """A scheduler (anything with a ``step`` to call) that sets ``optimizer``'s rates.

    Raises:
        TypeError: ``scheduler`` has no ``step`` method.
        ValueError: It steps another optimizer than ``optimizer``.
    """
    if scheduler is None:
        return
    if not callable(getattr(scheduler, "step", None)):
        raise TypeError(
            "scheduler must be a learning-rate scheduler (an object with a step() method, "
            f"such as torch.optim.lr_scheduler.StepLR(optimizer, ...)), got {short_repr(scheduler)}"
        )
    stepped = getattr(scheduler, "optimizer", optimizer)
    # A wrapper of the optimizer (accelerate's, in HF's Trainer) shares its param groups.
    if stepped is not optimizer and getattr(stepped, "param_groups", None) is not (
        optimizer.param_groups
    ):
        raise ValueError(
            "scheduler steps the rates of another optimizer "
            f"({type(stepped).__name__} at {id(stepped):#x}) than optimizer "
            f"({type(optimizer).__name__} at {id(optimizer):#x}): give the Recorder the "
            "optimizer its scheduler was built on"
        )


# -- watching the scheduler and the optimizer ---------------------------------------------

_LR = operator.itemgetter("lr")
_sgd_momenta = functools.partial(map, operator.itemgetter("momentum"))


def _beta1s(groups: list[dict[str, Any]]) -> Iterator[Any]:
    """Each group's beta1, as C-level getters (a million steps call this)."""
    return map(_FIRST, map(_BETAS, groups))


_FIRST = operator.itemgetter(0)
_BETAS = operator.itemgetter("betas")


def _watch(scheduler: Any, recorder: Recorder) -> None:
    """Swap the scheduler's class for a subclass whose ``step`` tells ``recorder`` (and
    every recorder watching it already: a user's and a framework callback's)."""
    watching = type(scheduler).__dict__.get("_lrviz_recorders")
    if watching is not None:
        watching.append(weakref.ref(recorder))
        return
    base = type(scheduler)
    base_step = base.step
    refs = [weakref.ref(recorder)]

    def step(self: Any, *args: Any, **kwargs: Any) -> Any:
        for ref in refs:
            rec = ref()
            if rec is not None:
                rec._before()
        try:  # a warning torch gives to this line is shown at its caller's (_reattribute)
            out = base_step(self, *args, **kwargs)
        except BaseException:
            for ref in refs:  # torch changed no rate (OneCycleLR stepped past its end)
                rec = ref()
                if rec is not None:
                    rec._failed()
            raise
        for ref in refs:
            rec = ref()
            if rec is not None:
                if rec._state_of is not None:
                    rec._state.append(rec._state_of(self))
                if args or kwargs:
                    rec._given(rec._count, args, kwargs)
                rec._stepped = True
        return out

    def __reduce_ex__(self: Any, protocol: Any) -> Any:
        # Pickled and copied as the class it was, without the recording: nothing of
        # lrviz's is referenced, so the pickle loads where lrviz is not installed.
        reduced = base.__reduce_ex__(self, protocol)  # type: ignore[call-arg]
        if not isinstance(reduced, tuple) or not reduced[1] or reduced[1][0] is not type(self):
            return reduced
        func, args, *rest = reduced
        if func is getattr(copyreg, "__newobj__", None):  # which insists on the own class
            func = base.__new__
        return (func, (base, *args[1:]), *rest)

    watched = type(
        base.__name__,
        (base,),
        {
            "step": functools.wraps(base.step)(step),
            "__reduce_ex__": __reduce_ex__,
            "__module__": base.__module__,
            "__qualname__": base.__qualname__,
            "_lrviz_base": base,  # what lrviz looks the scheduler up by
            "_lrviz_recorders": refs,
        },
    )
    scheduler.__class__ = watched
    _reattribute_warnings()
    # A fresh attribute dict: CPython's attribute caches miss on an instance whose class
    # changed, which costs about 2 µs a step; a copy makes them hit again.
    scheduler.__dict__ = dict(scheduler.__dict__)


_STEP_CODE = next(
    c for c in _watch.__code__.co_consts if isinstance(c, CodeType) and c.co_name == "step"
)
"""The code of the watched ``step``: a warning given to a frame of it was meant for its caller."""

_shown_by: list[Callable[[warnings.WarningMessage], None]] = []
"""What showed warnings before :func:`_reattribute` did (``warnings._showwarnmsg``)."""


def _reattribute_warnings() -> None:
    """Show warnings through :func:`_reattribute` from now on (once per process).

    ``warnings._showwarnmsg`` is what every shown warning passes through (after the
    filters; ``catch_warnings`` and ``showwarning`` replace what it calls, not it), so
    watching costs no step anything.
    """
    if not _shown_by:  # once: what replaced it since may call it in turn
        _shown_by.append(warnings._showwarnmsg)  # type: ignore[attr-defined]
        warnings._showwarnmsg = _reattribute  # type: ignore[attr-defined]


def _reattribute(message: warnings.WarningMessage) -> None:
    """Show a warning; one given to the watched ``step`` (torch's ``stacklevel=2`` from
    inside its own ``step``) is issued again at the line that called it, as it would
    have been without the recording, and filtered there (shown once per line, ignored,
    raised as an error inside torch's step as torch's own would be).

    It passed lrviz's line through the filters first: a filter that matches only the
    user's module cannot silence it there (it is re-issued and filtered at the user's
    line), one that ignores by message or category ignores it in both places; a
    DeprecationWarning, which Python ignores outside ``__main__``, stays ignored.
    """
    frame = _caller(message) if message.filename == _STEP_CODE.co_filename else None
    if frame is None:
        _shown_by[0](message)
        return
    registry = globals().get("__warningregistry__", {})
    for line in (message.lineno, 0):  # "default" and "module" filters' marks at lrviz's line
        registry.pop((str(message.message), message.category, line), None)
    f_globals = frame.f_globals
    warnings.warn_explicit(
        message.message,
        message.category,
        frame.f_code.co_filename,
        frame.f_lineno,
        module=f_globals.get("__name__"),
        registry=f_globals.setdefault("__warningregistry__", {}),
        module_globals=f_globals,
        source=message.source,
    )


def _caller(message: warnings.WarningMessage) -> FrameType | None:
    """The frame that called the watched ``step`` a warning was given to, or None when it
    was given to no such step on this stack."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and not (
        frame.f_code is _STEP_CODE and frame.f_lineno == message.lineno
    ):
        frame = frame.f_back
    while frame is not None and frame.f_code is _STEP_CODE:  # two watched steps, nested
        frame = frame.f_back
    return frame


def _count_updates(optimizer: Any, recorder: Recorder) -> None:
    """Wrap ``optimizer.step`` (on the instance, as torch's schedulers do) to count updates."""
    original = optimizer.step
    ref = weakref.ref(recorder)

    @functools.wraps(original)
    def step(*args: Any, **kwargs: Any) -> Any:
        rec = ref()
        if rec is not None:
            rec._pending += 1
            if rec._epoch_used is None:  # the epoch's first update: the rate it uses
                rec._epoch_used = rec._rates()
        return original(*args, **kwargs)

    optimizer.step = step


def _last_epoch(scheduler: Any) -> int:
    """The scheduler's steps so far (torch's ``last_epoch``; 0 for one without it)."""
    steps = getattr(scheduler, "last_epoch", 0)
    return steps if type(steps) is int and steps > 0 else 0


def _first_argument(scheduler: Any) -> Literal["metric", "epoch"]:
    """What the first argument of ``scheduler.step`` is: the metric (ReduceLROnPlateau,
    and schedulers whose ``step`` names it otherwise), or torch's old ``epoch``."""
    if scheduler is None:
        return "epoch"
    kind = schedules.for_scheduler(scheduler)
    if kind is not None:
        return "metric" if kind.needs_metric else "epoch"
    try:
        parameters = list(inspect.signature(schedules.class_of(scheduler).step).parameters)[1:]
    except (TypeError, ValueError):
        return "epoch"
    return "epoch" if not parameters or parameters[0] == "epoch" else "metric"


def _class_name(cls: type) -> str:
    """torch's schedulers by their name; any other class by module and name, so that a
    class of one's own called ``StepLR`` is not taken for torch's."""
    import torch.optim.lr_scheduler as lr_scheduler

    name: str = cls.__name__
    if getattr(lr_scheduler, name, None) is cls:
        return name
    return f"{cls.__module__}.{cls.__qualname__}"


SCHEDULER_KEYS = ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum")
"""Keys torch's schedulers add to param groups: the schedule's, not the optimizer's."""


def _settings(optimizer: Any) -> dict[str, Any]:
    """The optimizer's class and every param group's settings (not its parameters, nor
    what schedulers keep there); ``lr`` is the rate the group had before any schedule."""
    groups = []
    for group in optimizer.param_groups:
        settings = {
            key: _plain(value)
            for key, value in group.items()
            if key != "params" and key not in SCHEDULER_KEYS
        }
        if "initial_lr" in group:
            settings["lr"] = _plain(group["initial_lr"])
        dtype = getattr(group["lr"], "dtype", None)
        if dtype is not None:  # torch computes a tensor rate in its own precision
            settings["lr_dtype"] = str(dtype).removeprefix("torch.")
        groups.append(settings)
    return {"name": type(optimizer).__name__, "groups": groups}


def _described(scheduler: Any) -> dict[str, Any]:
    """What can be said of a scheduler lrviz has no rule for: its functions by name
    (LambdaLR's ``lr_lambda``), its numbers as they are."""
    out: dict[str, Any] = {}
    for key, value in vars(scheduler).items() if hasattr(scheduler, "__dict__") else ():
        if key.startswith("_") or key in ("optimizer", "base_lrs", "last_epoch"):
            continue
        if isinstance(value, bool | str | numbers.Real) or value is None:
            out[key] = _plain(value)
        elif isinstance(value, list | tuple) and all(_is_number(v) for v in value):
            out[key] = [_plain(v) for v in value]  # milestones, one value per group
        elif isinstance(value, collections.Counter) and all(_is_number(v) for v in value):
            out[key] = sorted(_plain(v) for v in value.elements())  # MultiStepLR's milestones
        elif isinstance(value, list | tuple) and all(callable(v) for v in value):
            out[key] = [describe_function(v) for v in value]
        elif callable(value):
            out[key] = describe_function(value)
    return out


def _is_number(value: Any) -> bool:
    """A real number that is not a bool."""
    return type(value) is not bool and isinstance(value, numbers.Real)


def describe_function(fn: Callable[..., Any]) -> str:
    """A function in words: its qualified name, or a ``functools.partial``'s function and
    keywords (``_get_cosine_schedule_with_warmup_lr_lambda(num_warmup_steps=100, ...)``)."""
    if isinstance(fn, functools.partial):
        keywords = ", ".join(f"{k}={v!r}" for k, v in fn.keywords.items())
        arguments = ", ".join([*(repr(a) for a in fn.args), *([keywords] if keywords else [])])
        return f"{describe_function(fn.func)}({arguments})"
    name = str(getattr(fn, "__qualname__", None) or type(fn).__qualname__)
    module = getattr(fn, "__module__", None)
    return f"{module}.{name}" if module and module != "builtins" else name


_PLAIN = {int, float, str, bool, type(None)}


def _plain_column(values: Sequence[Any]) -> list[Any]:
    """:func:`_plain` of each value; a column of plain values (all a million steps
    usually hold) as it is, checked at C speed."""
    if set(map(type, values)) <= _PLAIN:
        return list(values)
    return [_plain(v) for v in values]


def _plain(value: Any) -> Any:
    """A value as JSON holds it: numbers, strings, bools, None, lists; 0-dim tensors as
    numbers; anything else by its ``repr``."""
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return _plain(item())
        except (TypeError, ValueError, RuntimeError):
            pass
    return repr(value)


def _logged(value: Any, name: str) -> float | None:
    """A value ``log`` takes as ``name``: None, a number or a 0-dim tensor (NaN and
    infinities included: a divergence is reported, not refused).

    Raises:
        TypeError: Anything else, naming the argument and what it got.
    """
    if value is None:
        return None
    if _is_number(value):
        return float(value)
    shape, item = getattr(value, "shape", None), getattr(value, "item", None)
    if shape is None or not callable(item):
        got = short_repr(value)
    elif tuple(shape) != ():
        got = f"a tensor of shape {tuple(shape)}"
    else:
        number = item()  # also of a tensor that needs grad
        if _is_number(number):
            return float(number)
        got = f"a 0-dim tensor holding {type(number).__name__} {number!r}"
    raise TypeError(f"{name} must be a number or a 0-dim tensor, got {got}")


def _float(value: Any) -> float | None:
    """A float from a number or a 0-dim tensor (``.item()`` also takes one that needs grad)."""
    if value is None:
        return None
    item = getattr(value, "item", None)
    return float(item() if callable(item) else value)
