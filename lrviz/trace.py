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
        write_atomic(Path(path), self.to_json())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Trace:
        """Build a trace from plain data, as :meth:`to_dict` returns it.

        Raises:
            ValueError: The data is not an ``lrviz.trace/1`` trace.
        """
        if not isinstance(data, Mapping) or "schema" not in data:
            raise ValueError(f"not an lrviz trace (no 'schema' key; expected {SCHEMA!r})")
        if data["schema"] != SCHEMA:
            raise ValueError(f"unsupported trace schema {data['schema']!r}; expected {SCHEMA!r}")
        data = _decode(data)
        try:
            return cls(
                meta=dict(data["meta"]),
                experiment=None if data["experiment"] is None else dict(data["experiment"]),
                schedule=dict(data["schedule"]),
                initial_lr=_floats(data["initial_lr"]),
                epochs=tuple(_epoch_from_dict(e) for e in data["epochs"]),
                final_lr=_floats(data["final_lr"]),
                events=tuple(_event_from_dict(e) for e in data.get("events", [])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed {SCHEMA} trace: {exc!r}") from exc

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Trace:
        """Read a trace file.

        Raises:
            ValueError: The file is missing, not JSON, or not an ``lrviz.trace/1`` trace.
        """
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read trace {os.fspath(path)!r}: {exc}") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{os.fspath(path)!r} is not JSON: {exc}") from exc
        try:
            return cls.from_dict(data)
        except ValueError as exc:
            raise ValueError(f"{os.fspath(path)!r}: {exc}") from exc

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


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename, so that a failed
    write leaves the old file whole.

    A symbolic link stays one: its target is replaced. What exists but is not a regular
    file (``/dev/stdout``, ``/dev/null``, a pipe) is written to directly, since a rename
    would replace it (a device node, when run as root) with a regular file.
    """
    import tempfile  # here, not at the top: it costs ``lrviz --help`` 8 ms (shutil, bz2...)

    if path.exists() and not path.is_file():
        with path.open("w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        return
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


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


def _epoch_from_dict(d: Mapping[str, Any]) -> Epoch:
    momentum = d.get("momentum")
    return Epoch(
        epoch=int(d["epoch"]),
        lr=_floats(d["lr"]),
        train_loss=_opt_float(d.get("train_loss")),
        val_loss=_opt_float(d.get("val_loss")),
        val_accuracy=_opt_float(d.get("val_accuracy")),
        metric=_opt_float(d.get("metric")),
        momentum=None if momentum is None else _floats(momentum),
        state=dict(d.get("state", {})),
    )


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


def _event_from_dict(d: Mapping[str, Any]) -> Event:
    kind = d["kind"]
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}; expected one of {EVENT_KINDS}")
    return Event(
        epoch=int(d["epoch"]),
        group=int(d["group"]),
        kind=kind,
        lr_before=float(d["lr_before"]),
        lr_after=float(d["lr_after"]),
        reason=str(d["reason"]),
        evidence=dict(d.get("evidence", {})),
    )


def _floats(values: Sequence[Any]) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def _rate_row(value: Any) -> tuple[float, ...]:
    """One entry of :meth:`Trace.from_rates`: a number, or one number per group."""
    if isinstance(value, numbers.Real):
        return (float(value),)
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        row = list(value)
        if all(isinstance(v, numbers.Real) for v in row):
            return tuple(float(v) for v in row)
    raise TypeError(f"a rate must be a number or a list of numbers (one per group), got {value!r}")


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


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
