"""Trace files: the JSON form of a :class:`~lrviz.trace.Trace`, schema ``lrviz.trace/2``.

::

    {"schema": "lrviz.trace/2",
     "meta": {...}, "experiment": {...} | null, "schedule": {"name", "label", "params"},
     "optimizer": {"name": "SGD", "groups": [{...}, ...]},       (when recorded)
     "initial_lr": [...],
     "epochs": [{"epoch": 1, "lr": [...], "train_loss": ..., ..., "state": {...}}, ...],
     "steps": {"count": N, "lr": [[...], ...], ...},               (step resolution only)
     "final_lr": [...],
     "logged": {"val/acc": {"at": [...], "value": [...]}, ...},     (when recorded)
     "events": [{"epoch": .., "step": .., "group": .., "kind": .., ...}, ...]}

A trace of one scheduler step per epoch keeps each step in its epoch, one line per
epoch, as ``lrviz.trace/1`` did. A step-resolution trace keeps its epochs for the
epoch-level values (each with ``step``, its last step) and its steps as columns, one
line each: ``lr`` (one list per param group), then what was recorded of ``epoch``
(written only when the epochs' ``step`` cannot tell it: fractional epochs),
``momentum``, ``metric``, ``state`` (one list per key), and sparse lists of the
exceptions: ``updates`` ([step, n] for steps with other than one optimizer update),
``unscheduled`` and ``early`` (step numbers); once there are :data:`columns.PACKED_FROM`
exceptions or more, a column of every step instead (its updates; 1 or 0). ``start`` is the
scheduler's count before the first step (a resumed run's). ``logged`` holds the scalars a
framework logged, by name: the step of each value (``at``) and the values, as columns.
``at`` holds the step numbers of the entries when they are not 1, 2, ..., count (a log
written every N steps).

A column of :data:`columns.PACKED_FROM` values or more is packed rather than listed
(:mod:`lrviz.columns`): floats as ``{"float64": "..."}``, the values as little-endian IEEE
doubles, byte-shuffled (every value's first byte, then every value's second byte, ...),
zlib-compressed and base64-encoded; whole numbers likewise as ``{"int64": ...}``; lists
of one length a column per position; a mix (None and floats) as its parts; repeats as
runs. A million steps of two groups, momenta included, take 20 MB instead of 84 and read
in a tenth of the time; any schedule's steps take at most 20 bytes per step and group
(tested). ``lrviz export`` gives any trace as a flat CSV for tools that want plain
numbers.

The JSON is strict (non-finite floats become the strings "NaN", "Infinity",
"-Infinity") and carries no timestamps or paths, so the same inputs give the same
bytes. A name ending in ``.gz`` is written gzip-compressed (without a date); reading
recognises compression by its first bytes. ``lrviz.trace/1`` files load as traces of
one step per epoch.
"""

from __future__ import annotations

import gzip
import json
import math
import numbers
import os
from collections.abc import Mapping, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

from lrviz import columns
from lrviz.columns import decode, encode
from lrviz.text import count, short_repr
from lrviz.trace import EVENT_KINDS, Epoch, Event, Logged, Steps, Trace

SCHEMA = "lrviz.trace/2"
SCHEMAS = ("lrviz.trace/1", SCHEMA)
"""Schemas this lrviz reads."""

MAX_BYTES = 256 << 20
"""The largest trace text read (256 MiB, after decompression): a million steps of two
param groups, momenta included, take about 20 MB, so anything larger is no trace, or a
mistake (``/dev/zero``)."""


_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


# -- writing -------------------------------------------------------------------------


def to_dict(trace: Trace) -> dict[str, Any]:
    """The trace as JSON-ready plain data (non-finite floats as strings)."""
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "meta": dict(trace.meta),
        "experiment": None if trace.experiment is None else dict(trace.experiment),
        "schedule": dict(trace.schedule),
    }
    if trace.optimizer is not None:
        out["optimizer"] = dict(trace.optimizer)
    out["initial_lr"] = list(trace.initial_lr)
    out["epochs"] = [_epoch_to_dict(e, trace.per_step) for e in trace.epochs]
    if trace.steps is not None:
        out["steps"] = _steps_to_dict(trace.steps, trace.epochs)
    out["final_lr"] = list(trace.final_lr)
    if trace.logged:
        out["logged"] = {
            name: {
                "count": len(series.at),
                "at": encode(list(series.at)),
                "value": encode(list(series.value)),
            }
            for name, series in trace.logged.items()
        }
    out["events"] = [_event_to_dict(e) for e in trace.events]
    return out


def to_json(trace: Trace) -> str:
    """Strict, deterministic JSON text: one line per epoch, per column of steps and per
    event.

    A line per record reads and diffs well, and lets ``json`` use its C encoder
    (indenting every value falls back to pure Python, three times slower).
    """
    parts = []
    for key, value in to_dict(trace).items():
        if key in ("epochs", "events") and value:
            rows = ",\n".join(f"  {_compact(row)}" for row in value)
            parts.append(f' "{key}": [\n{rows}\n ]')
        elif key == "steps":
            rows = ",\n".join(f"  {_compact(k)}: {_compact(v)}" for k, v in value.items())
            parts.append(f' "steps": {{\n{rows}\n }}')
        else:
            parts.append(f" {_compact(key)}: {_compact(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def save(trace: Trace, path: str | os.PathLike[str]) -> None:
    """Write ``trace`` to ``path`` atomically; gzip-compressed when it ends in ``.gz``."""
    from lrviz.files import write_atomic

    target = Path(path)
    text = to_json(trace)
    if target.suffix == ".gz":
        write_atomic(target, gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0))
    else:
        write_atomic(target, text)


def _epoch_to_dict(e: Epoch, per_step: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"epoch": e.epoch}
    if e.step is not None:
        out["step"] = e.step
    out["lr"] = list(e.lr)
    for key in ("train_loss", "val_loss", "val_accuracy", "metric"):
        value = getattr(e, key)
        if value is not None:
            out[key] = value
    if e.momentum is not None:
        out["momentum"] = list(e.momentum)
    if e.updates is not None:
        out["updates"] = e.updates
    if not per_step:
        out["state"] = dict(e.state)
    return out


def _steps_to_dict(steps: Steps, epochs: Sequence[Epoch]) -> dict[str, Any]:
    out: dict[str, Any] = {"count": steps.count, "lr": [encode(c) for c in steps.lr]}
    if list(steps.epoch) != derived_step_epochs(epochs, steps.count):
        out["epoch"] = encode(steps.epoch, _whole)
    if steps.momentum is not None:
        out["momentum"] = [encode(c) for c in steps.momentum]
    if steps.metric is not None:
        out["metric"] = encode(steps.metric)
    if steps.state:
        out["state"] = {key: encode(column) for key, column in steps.state.items()}
    n = steps.count
    # Exceptions by step number while they are few; a column of every step once many.
    if len(steps.updates) >= columns.PACKED_FROM:
        out["updates"] = encode([steps.updates.get(k, 1) for k in range(1, n + 1)])
    elif steps.updates:
        out["updates"] = [[step, k] for step, k in sorted(steps.updates.items())]
    for key in ("unscheduled", "early"):
        numbers = getattr(steps, key)
        if len(numbers) >= columns.PACKED_FROM:
            flagged = set(numbers)
            out[key] = encode([int(k in flagged) for k in range(1, n + 1)])
        elif numbers:
            out[key] = list(numbers)
    if steps.at is not None:
        out["at"] = encode(list(steps.at))
    if steps.start:
        out["start"] = steps.start
    return out


def derived_step_epochs(epochs: Sequence[Epoch], steps: int) -> list[float]:
    """The epoch of each step as the epochs' ``step`` tell it: the steps up to an epoch's
    last step belong to it, later ones to the next epoch."""
    out: list[float] = []
    for e in epochs:
        last = min(steps, e.step if e.step is not None else len(out))
        out.extend([float(e.epoch)] * (last - len(out)))
    following = float(epochs[-1].epoch + 1) if epochs else 1.0
    out.extend([following] * (steps - len(out)))
    return out


def _whole(x: float) -> float | int:
    """Whole epochs as ints, so that ``3`` is written for epoch 3."""
    return int(x) if float(x).is_integer() else x


def _event_to_dict(e: Event) -> dict[str, Any]:
    out: dict[str, Any] = {"epoch": e.epoch}
    if e.step is not None:
        out["step"] = e.step
    out.update(
        {
            "group": e.group,
            "kind": e.kind,
            "lr_before": e.lr_before,
            "lr_after": e.lr_after,
            "reason": e.reason,
            "evidence": dict(e.evidence),
        }
    )
    return out


_ENCODER = json.JSONEncoder(allow_nan=False, separators=(", ", ": "))
"""One encoder for every line (``json.dumps`` with options makes one per call)."""


def _compact(value: Any) -> str:
    """One-line strict JSON; NaN and infinities (rare) become their string names."""
    try:
        return _ENCODER.encode(value)
    except ValueError:
        return _ENCODER.encode(jsonable(value))


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


# -- reading -------------------------------------------------------------------------


def load(path: str | os.PathLike[str]) -> Trace:
    """Read a trace file: JSON, or gzip-compressed JSON, at most :data:`MAX_BYTES`.

    Raises:
        ValueError: The file is missing, too large, not strict JSON, or not an lrviz
            trace; the message names the file.
    """
    from lrviz.files import read_text

    name = os.fspath(path)
    text = read_text(path, "trace", MAX_BYTES, starts="{")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError(f"{name!r} is nested too deeply to be a trace") from None
    except ValueError as exc:  # JSONDecodeError, a bare NaN, an integer too long to read
        raise ValueError(f"{name!r} is not JSON: {exc}") from exc
    try:
        return from_dict(data)
    except ValueError as exc:
        raise ValueError(f"{name!r}: {exc}") from exc


def from_dict(data: Mapping[str, Any]) -> Trace:
    """A trace from plain data, every field checked: epochs numbered 1, 2, ..., n (in a
    step trace, or from the epoch a resumed run started at); one
    rate per param group wherever rates are; steps' columns as long as the steps;
    numbers where numbers belong.

    Raises:
        ValueError: Not an lrviz trace of a schema this lrviz reads, or a malformed field
            (the message names it).
    """
    if not isinstance(data, Mapping) or "schema" not in data:
        raise ValueError(f"not an lrviz trace (no 'schema' key; expected {SCHEMA!r})")
    schema = data["schema"]
    if schema not in SCHEMAS:
        raise ValueError(
            f"unsupported trace schema {short_repr(schema)}; this lrviz reads "
            f"{' and '.join(SCHEMAS)}"
        )
    try:
        return _trace(data, v1=schema == SCHEMAS[0])
    except RecursionError:
        raise ValueError(f"malformed {schema} trace: nested too deeply") from None
    except ValueError as exc:
        raise ValueError(f"malformed {schema} trace: {exc}") from exc


def _trace(data: Mapping[str, Any], v1: bool) -> Trace:
    meta = _decode(_object(_key(data, "meta"), "meta"))
    experiment = _key(data, "experiment")
    if experiment is not None:
        experiment = _decode(_object(experiment, "experiment"))
    schedule = _schedule(_key(data, "schedule"))
    optimizer = None if v1 or data.get("optimizer") is None else _optimizer(data["optimizer"])
    initial_lr = _floats(_key(data, "initial_lr"), "initial_lr")
    if not initial_lr:
        raise ValueError("initial_lr is empty; it needs one rate per param group")
    groups = len(initial_lr)
    raw_steps = None if v1 else data.get("steps")
    epochs = _epochs(_key(data, "epochs"), groups, per_step=raw_steps is not None, v1=v1)
    steps = None if raw_steps is None else _steps(raw_steps, groups, epochs)
    final_lr = _rates(_key(data, "final_lr"), "final_lr", groups)
    count_ = len(epochs) if steps is None else steps.count
    events = _events(data.get("events", []), count_, groups, per_step=steps is not None)
    logged = {} if v1 else _logged(data.get("logged", {}), count_)
    return Trace(
        meta=meta,
        experiment=experiment,
        schedule=schedule,
        initial_lr=initial_lr,
        epochs=epochs,
        final_lr=final_lr,
        events=events,
        steps=steps,
        optimizer=optimizer,
        logged=logged,
    )


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


def _int(value: Any, what: str, low: int | None = None, high: int | None = None) -> int:
    """``value`` if it is a whole number (not a bool) within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be a whole number, got {short_repr(value)}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f">= {low}"
        raise ValueError(f"{what} must be {bounds}, got {value}")
    return value


def _text(value: Any, what: str) -> str:
    """``value`` if it is a non-empty string, else a ValueError naming ``what``."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string, got {short_repr(value)}")
    return value


def _float(value: Any, what: str) -> float:
    """``value`` as a float if it is a real number (not a bool), or the name of a
    non-finite one ("NaN", "Infinity", "-Infinity")."""
    if isinstance(value, str) and value in _NON_FINITE:
        return _NON_FINITE[value]
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
        schedule["params"] = _decode(_object(schedule["params"], "schedule params"))
    return schedule


def _optimizer(value: Any) -> dict[str, Any]:
    """The optimizer: an object with a ``name`` and a list of ``groups`` objects."""
    optimizer = _object(value, "optimizer")
    _text(_key(optimizer, "name", "optimizer: "), "optimizer name")
    groups = _list(_key(optimizer, "groups", "optimizer: "), "optimizer groups")
    optimizer["groups"] = [
        _decode(_object(g, f"optimizer groups item {i}")) for i, g in enumerate(groups, 1)
    ]
    return optimizer


def _epochs(value: Any, groups: int, per_step: bool, v1: bool) -> tuple[Epoch, ...]:
    """The epochs: a list of objects numbered 1, 2, ..., n in order."""
    items = _list(value, "epochs")
    if v1 and not items:
        raise ValueError("epochs is empty; a trace has at least 1 epoch")
    first = 1  # a resumed run's step trace starts at the epoch it resumed at
    if per_step and items and isinstance(items[0], Mapping):
        number = items[0].get("epoch")
        if type(number) is int and number > 1:
            first = number
    epochs = tuple(
        _epoch(item, k, first + k - 1, groups, per_step) for k, item in enumerate(items, start=1)
    )
    last = 0
    for e in epochs:
        if per_step and (e.step is None or e.step < last):
            raise ValueError(
                f"epoch {e.epoch}: step must be the epoch's last step, in increasing order, "
                f"got {short_repr(e.step)}"
            )
        last = e.step or 0
    return epochs


def _epoch(value: Any, k: int, expected: int, groups: int, per_step: bool) -> Epoch:
    """Item ``k`` (1-based) of the epochs, which must be epoch ``expected``."""
    d = _object(value, f"epochs item {k}")
    number = _int(_key(d, "epoch", f"epochs item {k}: "), f"epochs item {k}: epoch")
    if number != expected:
        raise ValueError(
            f"epochs item {k} is epoch {number}; epochs must be numbered in order, one by one "
            f"(1, 2, 3, ..., or in a step trace from the epoch a resumed run started at), so "
            f"it must be {expected}"
        )
    where = f"epoch {number}: "
    momentum = d.get("momentum")
    step = d.get("step")
    updates = d.get("updates")
    return Epoch(
        epoch=number,
        lr=_rates(_key(d, "lr", where), f"{where}lr", groups),
        train_loss=_opt_float(d.get("train_loss"), f"{where}train_loss"),
        val_loss=_opt_float(d.get("val_loss"), f"{where}val_loss"),
        val_accuracy=_opt_float(d.get("val_accuracy"), f"{where}val_accuracy"),
        metric=_opt_float(d.get("metric"), f"{where}metric"),
        momentum=None if momentum is None else _rates(momentum, f"{where}momentum", groups),
        state=_decode(_object(d.get("state", {}), f"{where}state")),
        step=None if step is None or not per_step else _int(step, f"{where}step", 0),
        updates=None if updates is None else _int(updates, f"{where}updates", 0),
    )


def _steps(value: Any, groups: int, epochs: Sequence[Epoch]) -> Steps:
    """The steps: columns of one entry per step."""
    d = _object(value, "steps")
    n = _int(_key(d, "count", "steps: "), "steps count", 0)

    def column(raw: Any, what: str, cell: Any) -> tuple[Any, ...]:
        items = decode(raw, n, what)
        if cell is _state_value and all(type(v) is int or type(v) is float for v in items):
            return tuple(items)  # plain numbers: nothing to decode
        if cell is _float and all(type(v) is float for v in items):
            return tuple(items)  # the usual case, checked at C speed
        return tuple(cell(v, f"{what}[{i}]") for i, v in enumerate(items))

    def per_group(raw: Any, what: str) -> tuple[tuple[float, ...], ...]:
        columns = _list(raw, what)
        if len(columns) != groups:
            raise ValueError(
                f"{what} has {count(len(columns), 'column')} but the trace has "
                f"{count(groups, 'param group')}"
            )
        return tuple(column(c, f"{what}[{g}]", _float) for g, c in enumerate(columns))

    for e in epochs:
        if e.step is not None and e.step > n:
            raise ValueError(f"epoch {e.epoch}: step {e.step} is past the last step {n}")
    epoch = (
        tuple(derived_step_epochs(epochs, n))
        if d.get("epoch") is None
        else column(d["epoch"], "steps epoch", _float)
    )
    momentum = d.get("momentum")
    metric = d.get("metric")
    at = None if d.get("at") is None else column(d["at"], "steps at", _int)
    if at is not None and any(b <= a for a, b in pairwise(at)):
        raise ValueError("steps at must be increasing step numbers")
    state = _object(d.get("state", {}), "steps state")
    return Steps(
        lr=per_group(_key(d, "lr", "steps: "), "steps lr"),
        epoch=epoch,
        momentum=None if momentum is None else per_group(momentum, "steps momentum"),
        metric=None if metric is None else column(metric, "steps metric", _opt_float),
        state={
            key: column(values, f"steps state {key}", _state_value) for key, values in state.items()
        },
        updates=_updates(d.get("updates", []), n),
        unscheduled=_step_numbers(d.get("unscheduled", []), "steps unscheduled", n),
        early=_step_numbers(d.get("early", []), "steps early", n),
        start=_int(d.get("start", 0), "steps start", 0),
        at=at,
    )


def _logged(value: Any, steps: int) -> dict[str, Logged]:
    """The logged scalars: by name, a step from 0 to ``steps`` for each value."""
    out = {}
    for name, raw in _object(value, "logged").items():
        what = f"logged {name!r}"
        d = _object(raw, what)
        raw_at = _key(d, "at", f"{what}: ")
        if "count" in d:
            n = _int(d["count"], f"{what} count", 0)
        elif isinstance(raw_at, Mapping) and "range" in raw_at:
            span = _list(raw_at["range"], f"{what} at range")
            n = _int(span[1] if len(span) == 2 else None, f"{what} at range count", 0)
        else:
            n = len(_list(raw_at, f"{what} at"))
        at = decode(raw_at, n, f"{what} at")
        steps_at = tuple(_int(s, f"{what} at[{i}]", 0, steps) for i, s in enumerate(at))
        raw_values = _key(d, "value", f"{what}: ")
        if isinstance(raw_values, list) and len(raw_values) != n:
            raise ValueError(f"{what} has {count(len(raw_values), 'value')} but {count(n, 'step')}")
        values = _floats(decode(raw_values, n, f"{what} value"), f"{what} value")
        out[name] = Logged(at=steps_at, value=values)
    return out


def _updates(value: Any, n: int) -> dict[int, int]:
    """Updates by step: ``[[step, n], ...]``, or packed: a column of every step's."""
    if isinstance(value, Mapping):
        what = "steps updates"
        counts = decode(value, n, what)
        return {k: _int(v, f"{what}[{k - 1}]", 0) for k, v in enumerate(counts, 1) if v != 1}
    return dict(
        _pair(item, f"steps updates item {i}", n)
        for i, item in enumerate(_list(value, "steps updates"), 1)
    )


def _pair(value: Any, what: str, n: int) -> tuple[int, int]:
    items = _list(value, what)
    if len(items) != 2:
        raise ValueError(f"{what} must be [step, updates], got {short_repr(value)}")
    return _int(items[0], f"{what}: step", 1, n), _int(items[1], f"{what}: updates", 0)


def _step_numbers(value: Any, what: str, n: int) -> tuple[int, ...]:
    """Step numbers, listed or packed (a column flagging every step 1 or 0)."""
    if isinstance(value, Mapping):
        flags = decode(value, n, what)
        if not all(type(v) is int and v in (0, 1) for v in flags):
            raise ValueError(f"{what} must flag each step 0 or 1")
        return tuple(k for k, v in enumerate(flags, 1) if v)
    return tuple(_int(v, f"{what}[{i}]", 1, n) for i, v in enumerate(_list(value, what)))


def _events(value: Any, steps: int, groups: int, per_step: bool) -> tuple[Event, ...]:
    """The events: a list of objects, each at a step and a group of the trace."""
    items = _list(value, "events")
    return tuple(_event(item, i, steps, groups, per_step) for i, item in enumerate(items, start=1))


def _event(value: Any, i: int, steps: int, groups: int, per_step: bool) -> Event:
    """Item ``i`` (1-based) of the events."""
    where = f"events item {i}: "
    d = _object(value, f"events item {i}")
    epoch = _int(_key(d, "epoch", where), f"{where}epoch")
    step = None
    if not steps:
        raise ValueError(f"{where}the trace has no steps for an event to be at")
    if per_step:
        step = _int(_key(d, "step", where), f"{where}step")
        if not 1 <= step <= steps:
            raise ValueError(f"{where}step {step} is not one of the trace's steps 1-{steps}")
    elif not 1 <= epoch <= steps:
        raise ValueError(f"{where}epoch {epoch} is not one of the trace's epochs 1-{steps}")
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
        evidence=_decode(_object(d.get("evidence", {}), f"{where}evidence")),
        step=step,
    )


def _state_value(value: Any, what: str) -> Any:
    """One value of a state column."""
    return _decode(value)


def _decode(obj: Any) -> Any:
    """Inverse of :func:`jsonable` for the strings it writes."""
    if isinstance(obj, str) and obj in _NON_FINITE:
        return _NON_FINITE[obj]
    if isinstance(obj, Mapping):
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    return obj
