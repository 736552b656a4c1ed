"""A generic table of logged values: CSV with a header row (``.csv``, ``.tsv``), or JSON
lines (one object per line), as W&B exports and hand-made logs write them.

The step column is found by name (``step``, ``_step``, ``global_step``, ``iteration``,
``iter``) and the rate columns too (``lr``, ``learning_rate``, ``lr-*``,
``*/learning_rate``), unless named: ``read(path, step="it", rates=["my_lr"])``. A W&B
chart export (``Step``, ``<run> - <metric>``, ``<run> - <metric>__MIN``, ...) gives one
trace per run.
Empty cells are values not logged on that row; rows of one step are merged. Steps are
kept as logged, except those of Lightning's ``lr-<Optimizer>`` columns (its
LearningRateMonitor logs at step s the rate of update s + 1).
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lrviz.logs._runs import Run, is_rate, to_traces, writer_shift
from lrviz.trace import Trace

KIND = "csv"
STEP_COLUMNS = ("step", "_step", "global_step", "iteration", "iter")
MAX_BYTES = 1 << 30


def rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a CSV or JSON-lines file as dicts (``.jsonl``/``.ndjson``, or a file
    whose first character is ``{``, is JSON lines).

    Raises:
        ValueError: The file cannot be read, or a JSON line is not an object.
    """
    where = os.fspath(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValueError(f"{where!r}: larger than {MAX_BYTES >> 20} MiB")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{where!r}: cannot read it ({exc})") from None
    if path.suffix in (".jsonl", ".ndjson") or text.lstrip().startswith("{"):
        out = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{where!r}: line {n} is not JSON ({exc})") from None
            if not isinstance(row, dict):
                raise ValueError(f"{where!r}: line {n} is not a JSON object")
            out.append(row)
        return out
    delimiter = "\t" if path.suffix == ".tsv" else ","
    return list(csv.DictReader(text.splitlines(), delimiter=delimiter))


def number(value: Any) -> float | None:
    """A cell as a float, or None when it is empty or not a number."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if not math.isnan(x) else None


def to_run(
    path: Path, table: Sequence[dict[str, Any]], name: str, step: str | None
) -> tuple[Run, str]:
    """The table's values by column and step, and the step column's name.

    Raises:
        ValueError: No step column, or a step that is not a whole number.
    """
    where = os.fspath(path)
    columns = list(dict.fromkeys(key for row in table for key in row))
    if step is None:
        step = next((c for c in columns if c.lower() in STEP_COLUMNS), None)
        if step is None:
            raise ValueError(
                f"{where!r}: no step column (one of {', '.join(STEP_COLUMNS)}); it has "
                f"{columns[:20]}; name it with step="
            )
    elif step not in columns:
        raise ValueError(f"{where!r}: no column {step!r}; it has {columns[:20]}")
    scalars: dict[str, dict[int, float]] = {}
    for n, row in enumerate(table, 1):
        s = number(row.get(step))
        if s is None:
            continue
        if not s.is_integer():
            raise ValueError(f"{where!r}: row {n}: step {row.get(step)!r} is not a whole number")
        for key, value in row.items():
            x = number(value)
            if key != step and x is not None:
                scalars.setdefault(key, {})[int(s)] = x
    return Run(name=name, scalars=scalars), step


def read(
    path: str | os.PathLike[str],
    step: str | None = None,
    rates: Sequence[str] | None = None,
) -> list[Trace]:
    """The traces of a CSV or JSON-lines table: one, named by the file; or, in a W&B
    chart export (columns ``<run> - <metric>``), one per run, named by it.

    Args:
        path: The table.
        step: The step column, when its name is not one of :data:`STEP_COLUMNS`.
        rates: The rate columns, in param-group order, when their names do not say so.

    Raises:
        ValueError: No step or rate column, or a malformed row; the message names the file.
    """
    file = Path(path)
    run, _ = to_run(file, rows(file), file.stem, step)
    runs = _wandb_runs(run) if rates is None else [run]
    traces: list[Trace] = []
    for one in runs:
        if len(runs) > 1 and not any(map(is_rate, one.scalars)):
            continue  # a run of the export without a rate
        shift = writer_shift(rates or one.scalars)
        traces += to_traces(one, KIND, os.fspath(file), shift=shift, rates=rates)
    return traces or to_traces(run, KIND, os.fspath(file))


def _wandb_runs(run: Run) -> list[Run]:
    """A W&B chart export's runs (columns ``<run> - <metric>``, with ``__MIN`` and
    ``__MAX`` bands), each with its metrics by name; else ``[run]``."""
    if not run.scalars or not all(" - " in key for key in run.scalars):
        return [run]
    by_run: dict[str, dict[str, Mapping[int, float]]] = {}
    for key, column in run.scalars.items():
        name, metric = key.split(" - ", 1)
        if not metric.endswith(("__MIN", "__MAX")):
            by_run.setdefault(name, {})[metric] = column
    return [Run(name=name, scalars=scalars) for name, scalars in by_run.items()]
