"""The trace: every epoch of one schedule's run, as plain data, and its JSON form.

A trace file follows schema ``lrviz.trace/1`` (SPEC §3): 1-based epochs, ``lr`` holds
the rates applied during the epoch (one per param group), ``state`` is the
scheduler's state after that epoch's step, ``final_lr`` the rate after the last step.
The JSON is strict (non-finite floats become the strings "NaN", "Infinity",
"-Infinity") and carries no timestamps or paths, so the same inputs give the same
bytes.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from lrviz.__about__ import __version__
from lrviz.text import count, short_repr

SCHEMA = "lrviz.trace/1"

EventKind = Literal["reduce", "increase", "held", "external"]
EVENT_KINDS: tuple[EventKind, ...] = ("reduce", "increase", "held", "external")

_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


@dataclass(frozen=True)
class Epoch:
    """One epoch of a trace.

    Attributes:
        epoch: 1-based epoch number.
        lr: Rates applied during this epoch, one per param group.
        train_loss: Training loss of this epoch (None when nothing was trained).
        val_loss: Validation loss after this epoch's optimizer step.
        val_accuracy: Validation accuracy after this epoch's optimizer step.
        metric: The value passed to ``scheduler.step`` (ReduceLROnPlateau only).
        momentum: Momentum (or Adam's beta1) per group, for schedules that vary it.
        state: The scheduler's state after this epoch's step.
    """

    epoch: int
    lr: tuple[float, ...]
    train_loss: float | None = None
    val_loss: float | None = None
    val_accuracy: float | None = None
    metric: float | None = None
    momentum: tuple[float, ...] | None = None
    state: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    """Why the rate of one param group changed (or was held) at one epoch's step.

    An event at epoch k means epoch k's scheduler step decided it: epoch k+1 (or
    the trace's ``final_lr``) carries ``lr_after``.
    """

    epoch: int
    group: int
    kind: EventKind
    lr_before: float
    lr_after: float
    reason: str
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Trace:
    """Everything recorded about one schedule over one run.

    Attributes:
        meta: ``lrviz`` and ``torch`` versions and ``source`` (run, simulate, record).
        experiment: What was trained (dataset, epochs, seed, optimizer), or None.
        schedule: ``{"name": torch class name, "params": every constructor argument}``.
        initial_lr: The rate of each param group before the first step.
        epochs: One record per epoch, in order.
        final_lr: The rate of each group after the last step.
        events: The explained rate changes (see :mod:`lrviz.explanation`).
    """

    meta: Mapping[str, Any]
    experiment: Mapping[str, Any] | None
    schedule: Mapping[str, Any]
    initial_lr: tuple[float, ...]
    epochs: tuple[Epoch, ...]
    final_lr: tuple[float, ...]
    events: tuple[Event, ...] = ()

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
    def diverged_epoch(self) -> int | None:
        """The first epoch whose training or validation loss is not finite, if any."""
        for e in self.epochs:
            for value in (e.train_loss, e.val_loss):
                if value is not None and not math.isfinite(value):
                    return e.epoch
        return None

    def rates(self, group: int = 0) -> list[float]:
        """Rates of one group: the ones applied in each epoch, then ``final_lr``."""
        return [e.lr[group] for e in self.epochs] + [self.final_lr[group]]

    def with_events(self, events: Sequence[Event]) -> Trace:
        """A copy of this trace carrying ``events``."""
        return replace(self, events=tuple(events))

    def to_dict(self) -> dict[str, Any]:
        """The trace as JSON-ready plain data (non-finite floats as strings)."""
        return {
            "schema": SCHEMA,
            "meta": dict(self.meta),
            "experiment": None if self.experiment is None else dict(self.experiment),
            "schedule": dict(self.schedule),
            "initial_lr": list(self.initial_lr),
            "epochs": [_epoch_to_dict(e) for e in self.epochs],
            "final_lr": list(self.final_lr),
            "events": [_event_to_dict(e) for e in self.events],
        }

    def to_json(self) -> str:
        """Strict, deterministic JSON text: one line per epoch and per event.

        A line per record reads and diffs well, and lets ``json`` use its C encoder
        (indenting every value falls back to pure Python, three times slower).
        """
        parts = []
        for key, value in self.to_dict().items():
            if key in ("epochs", "events") and value:
                rows = ",\n".join(f"  {_compact(row)}" for row in value)
                parts.append(f' "{key}": [\n{rows}\n ]')
            else:
                parts.append(f" {_compact(key)}: {_compact(value)}")
        return "{\n" + ",\n".join(parts) + "\n}\n"

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the trace to ``path`` atomically (all or nothing)."""
        from lrviz.files import write_atomic

        write_atomic(Path(path), self.to_json())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Trace:
        """Build a trace from plain data, as :meth:`to_dict` returns it.

        Every field is checked: epochs numbered 1, 2, ..., n; one rate per param group
        in ``lr``, ``momentum`` and ``final_lr``; numbers where numbers belong.

        Raises:
            ValueError: The data is not an ``lrviz.trace/1`` trace, or a field is
                malformed (the message names it).
        """
        if not isinstance(data, Mapping) or "schema" not in data:
            raise ValueError(f"not an lrviz trace (no 'schema' key; expected {SCHEMA!r})")
        if data["schema"] != SCHEMA:
            raise ValueError(f"unsupported trace schema {data['schema']!r}; expected {SCHEMA!r}")
        try:
            data = _decode(data)
        except RecursionError:
            raise ValueError(f"malformed {SCHEMA} trace: nested too deeply") from None
        try:
            meta = _object(_key(data, "meta"), "meta")
            experiment = _key(data, "experiment")
            if experiment is not None:
                experiment = _object(experiment, "experiment")
            schedule = _schedule(_key(data, "schedule"))
            initial_lr = _floats(_key(data, "initial_lr"), "initial_lr")
            if not initial_lr:
                raise ValueError("initial_lr is empty; it needs one rate per param group")
            epochs = _epochs(_key(data, "epochs"), len(initial_lr))
            final_lr = _rates(_key(data, "final_lr"), "final_lr", len(initial_lr))
            events = _events(data.get("events", []), len(epochs), len(initial_lr))
        except ValueError as exc:
            raise ValueError(f"malformed {SCHEMA} trace: {exc}") from exc
        return cls(
            meta=meta,
            experiment=experiment,
            schedule=schedule,
            initial_lr=initial_lr,
            epochs=epochs,
            final_lr=final_lr,
            events=events,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Trace:
        """Read a trace file.

        Raises:
            ValueError: The file is missing, not strict JSON, or not an ``lrviz.trace/1``
                trace; the message names the file.
        """
        name = os.fspath(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read trace {name!r}: {exc}") from exc
        try:
            data = json.loads(text, parse_constant=_reject_constant)
        except RecursionError:
            raise ValueError(f"{name!r} is nested too deeply to be a trace") from None
        except ValueError as exc:  # JSONDecodeError, a bare NaN, an integer too long to read
            raise ValueError(f"{name!r} is not JSON: {exc}") from exc
        try:
            return cls.from_dict(data)
        except ValueError as exc:
            raise ValueError(f"{name!r}: {exc}") from exc

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


def _epoch_to_dict(e: Epoch) -> dict[str, Any]:
    out: dict[str, Any] = {"epoch": e.epoch, "lr": list(e.lr)}
    for key in ("train_loss", "val_loss", "val_accuracy", "metric"):
        value = getattr(e, key)
        if value is not None:
            out[key] = value
    if e.momentum is not None:
        out["momentum"] = list(e.momentum)
    out["state"] = dict(e.state)
    return out


def _event_to_dict(e: Event) -> dict[str, Any]:
    return {
        "epoch": e.epoch,
        "group": e.group,
        "kind": e.kind,
        "lr_before": e.lr_before,
        "lr_after": e.lr_after,
        "reason": e.reason,
        "evidence": dict(e.evidence),
    }


def _rate_row(value: Any) -> tuple[float, ...]:
    """One entry of :meth:`Trace.from_rates`: a number, or one number per group."""
    if isinstance(value, numbers.Real):
        return (float(value),)
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        row = list(value)
        if all(isinstance(v, numbers.Real) for v in row):
            return tuple(float(v) for v in row)
    raise TypeError(f"a rate must be a number or a list of numbers (one per group), got {value!r}")


def _reject_constant(name: str) -> Any:
    """``parse_constant`` for :func:`json.loads`: strict JSON has no bare NaN or Infinity."""
    raise ValueError(f'bare {name} is not strict JSON; a trace writes it as the string "{name}"')


def _key(d: Mapping[str, Any], key: str, where: str = "") -> Any:
    """``d[key]``, or a ValueError naming the missing key (``where`` prefixes it)."""
    if key not in d:
        raise ValueError(f"{where}missing key {key!r}")
    return d[key]


def _object(value: Any, what: str) -> dict[str, Any]:
    """A copy of ``value`` if it is a JSON object, else a ValueError naming ``what``."""
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} must be an object, got {short_repr(value)}")
    return dict(value)


def _list(value: Any, what: str) -> list[Any]:
    """``value`` as a list if it is a JSON array, else a ValueError naming ``what``."""
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{what} must be a list, got {short_repr(value)}")
    return list(value)


def _int(value: Any, what: str) -> int:
    """``value`` if it is a whole number (not a bool), else a ValueError naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be a whole number, got {short_repr(value)}")
    return value


def _text(value: Any, what: str) -> str:
    """``value`` if it is a non-empty string, else a ValueError naming ``what``."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string, got {short_repr(value)}")
    return value


def _float(value: Any, what: str) -> float:
    """``value`` as a float if it is a real number (not a bool, not a string).

    Non-finite numbers arrive here already decoded from their string names.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{what} must be a number, got {short_repr(value)}")
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"{what} is too large for a float: {short_repr(value)}") from None


def _opt_float(value: Any, what: str) -> float | None:
    """Like :func:`_float`, but None (JSON null) stays None."""
    return None if value is None else _float(value, what)


def _floats(values: Any, what: str) -> tuple[float, ...]:
    """A list of real numbers, each checked by :func:`_float`."""
    return tuple(_float(v, f"{what}[{i}]") for i, v in enumerate(_list(values, what)))


def _rates(values: Any, what: str, groups: int) -> tuple[float, ...]:
    """A list of real numbers with exactly one per param group."""
    rates = _floats(values, what)
    if len(rates) != groups:
        raise ValueError(
            f"{what} has {count(len(rates), 'value')} but the trace has "
            f"{count(groups, 'param group')}"
        )
    return rates


def _schedule(value: Any) -> dict[str, Any]:
    """The schedule: an object with a ``name``, maybe a ``label`` and ``params``."""
    schedule = _object(value, "schedule")
    _text(_key(schedule, "name", "schedule: "), "schedule name")
    if "label" in schedule:
        _text(schedule["label"], "schedule label")
    if "params" in schedule:
        _object(schedule["params"], "schedule params")
    return schedule


def _epochs(value: Any, groups: int) -> tuple[Epoch, ...]:
    """The epochs: a non-empty list of objects numbered 1, 2, ..., n in order."""
    items = _list(value, "epochs")
    if not items:
        raise ValueError("epochs is empty; a trace has at least 1 epoch")
    return tuple(_epoch(item, k, groups) for k, item in enumerate(items, start=1))


def _epoch(value: Any, k: int, groups: int) -> Epoch:
    """Item ``k`` (1-based) of the epochs, which must be epoch ``k``."""
    d = _object(value, f"epochs item {k}")
    number = _int(_key(d, "epoch", f"epochs item {k}: "), f"epochs item {k}: epoch")
    if number != k:
        raise ValueError(
            f"epochs item {k} is epoch {number}; epochs must be numbered 1, 2, 3, ... in order"
        )
    where = f"epoch {k}: "
    momentum = d.get("momentum")
    return Epoch(
        epoch=k,
        lr=_rates(_key(d, "lr", where), f"{where}lr", groups),
        train_loss=_opt_float(d.get("train_loss"), f"{where}train_loss"),
        val_loss=_opt_float(d.get("val_loss"), f"{where}val_loss"),
        val_accuracy=_opt_float(d.get("val_accuracy"), f"{where}val_accuracy"),
        metric=_opt_float(d.get("metric"), f"{where}metric"),
        momentum=None if momentum is None else _rates(momentum, f"{where}momentum", groups),
        state=_object(d.get("state", {}), f"{where}state"),
    )


def _events(value: Any, epochs: int, groups: int) -> tuple[Event, ...]:
    """The events: a list of objects, each at an epoch and a group of the trace."""
    items = _list(value, "events")
    return tuple(_event(item, i, epochs, groups) for i, item in enumerate(items, start=1))


def _event(value: Any, i: int, epochs: int, groups: int) -> Event:
    """Item ``i`` (1-based) of the events."""
    where = f"events item {i}: "
    d = _object(value, f"events item {i}")
    epoch = _int(_key(d, "epoch", where), f"{where}epoch")
    if not 1 <= epoch <= epochs:
        raise ValueError(f"{where}epoch {epoch} is not one of the trace's epochs 1-{epochs}")
    group = _int(_key(d, "group", where), f"{where}group")
    if not 0 <= group < groups:
        raise ValueError(f"{where}group {group} is not one of the trace's groups 0-{groups - 1}")
    kind = _key(d, "kind", where)
    if kind not in EVENT_KINDS:
        raise ValueError(
            f"{where}unknown event kind {short_repr(kind)}; expected one of {EVENT_KINDS}"
        )
    reason = _key(d, "reason", where)
    if not isinstance(reason, str):
        raise ValueError(f"{where}reason must be a string, got {short_repr(reason)}")
    return Event(
        epoch=epoch,
        group=group,
        kind=kind,
        lr_before=_float(_key(d, "lr_before", where), f"{where}lr_before"),
        lr_after=_float(_key(d, "lr_after", where), f"{where}lr_after"),
        reason=reason,
        evidence=_object(d.get("evidence", {}), f"{where}evidence"),
    )


def _compact(value: Any) -> str:
    """One-line strict JSON; NaN and infinities (rare) become their string names."""
    try:
        return json.dumps(value, allow_nan=False, separators=(", ", ": "))
    except ValueError:
        return json.dumps(jsonable(value), allow_nan=False, separators=(", ", ": "))


def jsonable(obj: Any) -> Any:
    """``obj`` as the trace file holds it: tuples as lists, non-finite floats by their
    strict-JSON string names. Equal for equal values, NaN included."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return "NaN" if math.isnan(obj) else ("Infinity" if obj > 0 else "-Infinity")
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    return obj


def _decode(obj: Any) -> Any:
    """Inverse of :func:`jsonable` for the strings it writes."""
    if isinstance(obj, str) and obj in _NON_FINITE:
        return _NON_FINITE[obj]
    if isinstance(obj, Mapping):
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    return obj
