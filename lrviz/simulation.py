"""A schedule alone, without training: ``lrviz simulate`` and ``lrviz.simulate``.

The real torch scheduler is driven on the dummy optimizer (``lrviz.optim.Adam`` with
no parameters, one param group per rate), one ``optimizer.step()`` and one
``scheduler.step()`` per epoch, as in a training loop. ReduceLROnPlateau gets the
metric of epoch k at the end of epoch k. The dummy never imports ``torch._dynamo``,
so a simulation costs little more than ``import torch``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path

from lrviz import schedules
from lrviz.explanation import explain
from lrviz.schedules import ScheduleSpec
from lrviz.trace import Epoch, Trace, short_repr


def simulate(
    spec: str | ScheduleSpec,
    epochs: int | None = None,
    lr: float | Sequence[float] = 0.1,
    metrics: Sequence[float] | None = None,
) -> Trace:
    """The explained trace of a schedule driven by torch on a dummy optimizer.

    Args:
        spec: A schedule SPEC such as ``"step:step_size=10"``, or a parsed spec.
        epochs: Scheduler steps (epochs); default: one per metric, else 100.
        lr: The initial rate, or one rate per param group.
        metrics: For ReduceLROnPlateau, one value per epoch (passed to ``step``).

    Raises:
        ValueError: A bad schedule, parameter, rate, epoch count or metric list.
    """

    from lrviz.optim import Adam

    spec = schedules.parse_spec(spec) if isinstance(spec, str) else spec
    kind = spec.kind
    rates = schedules.as_rates(lr)
    epochs = _epochs(epochs, metrics)
    params = schedules.resolve(spec, epochs, rates)
    values = _check_metrics(spec, metrics, epochs)
    optimizer = Adam([], list(rates))
    scheduler = schedules.build(kind, params, optimizer)
    momentum = schedules.varies_momentum(kind, params)
    initial_lr = _rates(optimizer)
    records = []
    for epoch in range(1, epochs + 1):
        schedules.check_rates(kind, optimizer, epoch)
        applied = _rates(optimizer)
        applied_momentum = schedules.momenta(optimizer) if momentum else None
        optimizer.step()
        metric = values[epoch - 1] if values is not None else None
        schedules.advance(kind, scheduler, epoch, metric)
        records.append(
            Epoch(
                epoch=epoch,
                lr=applied,
                metric=metric,
                momentum=applied_momentum,
                state=schedules.state_of(kind, scheduler),
            )
        )
    trace = Trace(
        meta=schedules.provenance("simulate"),
        experiment=None,
        schedule={"name": kind.name, "label": spec.label or kind.name, "params": params},
        initial_lr=initial_lr,
        epochs=tuple(records),
        final_lr=_rates(optimizer),
    )
    return trace.with_events(explain(trace))


def _epochs(epochs: int | None, metrics: Sequence[float] | None) -> int:
    if epochs is None:
        return len(metrics) if metrics else 100
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs <= 0:
        raise ValueError(f"epochs must be a whole number > 0, got {epochs!r}")
    return epochs


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


def _rates(optimizer: object) -> tuple[float, ...]:
    return tuple(float(g["lr"]) for g in optimizer.param_groups)  # type: ignore[attr-defined]


def read_metrics(path: str | os.PathLike[str]) -> list[float]:
    """Metric values from a JSON list or a one-column CSV (an optional header line).

    Non-finite values are allowed (``NaN``, ``Infinity``; in JSON also as strings),
    because torch accepts them and lrviz explains what they do.

    Raises:
        ValueError: Unreadable file, not a list of numbers, or more than one column.
    """
    name = os.fspath(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # a spreadsheet's BOM is no value
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read metrics {name!r}: {exc}") from exc
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


def to_csv(trace: Trace) -> str:
    """A flat table, one row per epoch: epoch, lr per group, momentum, metric."""
    groups = len(trace.initial_lr)
    suffixes = [""] if groups == 1 else [f"_{g}" for g in range(groups)]
    has_momentum = any(e.momentum is not None for e in trace.epochs)
    has_metric = any(e.metric is not None for e in trace.epochs)
    header = ["epoch", *(f"lr{s}" for s in suffixes)]
    header += [f"momentum{s}" for s in suffixes] if has_momentum else []
    header += ["metric"] if has_metric else []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for e in trace.epochs:
        row = [str(e.epoch), *(_cell(v) for v in e.lr)]
        if has_momentum:
            row += [_cell(v) for v in (e.momentum or ())]
        if has_metric:
            row.append("" if e.metric is None else _cell(e.metric))
        writer.writerow(row)
    return out.getvalue()


def _cell(value: float) -> str:
    """Shortest text that reads back as the same float; non-finite as in the trace JSON."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)
