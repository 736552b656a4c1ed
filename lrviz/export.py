"""A trace as one flat table (``lrviz export``, ``lrviz simulate --format csv``).

One row per record: per step in a step-resolution trace (``step``, then ``epoch``),
per epoch otherwise (``epoch``); then ``lr`` (``lr_0``, ``lr_1``, ... with several param
groups), the momenta, and the epoch-level values the trace has (training and
validation loss, accuracy, the metric), in a step trace on the row of the epoch's last
step. Floats are written shortest-exact, non-finite ones as in the trace JSON.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from lrviz.trace import Trace

EPOCH_FIELDS = ("train_loss", "val_loss", "val_accuracy", "metric")


def rows(trace: Trace) -> list[dict[str, Any]]:
    """The table's rows, as dicts in column order (absent values as None)."""
    groups = trace.groups
    suffixes = [""] if groups == 1 else [f"_{g}" for g in range(groups)]
    rates = [trace.rates(g) for g in range(groups)]
    momenta = [trace.momenta(g) for g in range(groups)]
    epoch_rows = {(e.step if e.step is not None else e.epoch): e for e in trace.epochs}
    present = [f for f in EPOCH_FIELDS if any(getattr(e, f) is not None for e in trace.epochs)]
    if trace.steps is not None and trace.steps.metric is not None:
        present = [f for f in present if f != "metric"] + ["metric"]
    step_metrics = trace.step_metrics() if trace.per_step else None
    epochs = trace.step_epochs()
    out = []
    at = trace.steps.at if trace.steps is not None else None  # a log's own step numbers
    for k in range(trace.step_count):
        row: dict[str, Any] = {"step": k + 1 if at is None else at[k]} if trace.per_step else {}
        row["epoch"] = _whole(epochs[k])
        for g, suffix in enumerate(suffixes):
            row[f"lr{suffix}"] = rates[g][k]
        for g, suffix in enumerate(suffixes):
            if momenta[g] is not None:
                row[f"momentum{suffix}"] = momenta[g][k]  # type: ignore[index]
        epoch = epoch_rows.get(k + 1)
        for name in present:
            value = getattr(epoch, name) if epoch is not None else None
            if name == "metric" and step_metrics is not None:
                value = step_metrics[k]
            row[name] = value
        out.append(row)
    return out


def to_csv(trace: Trace) -> str:
    """The table as CSV, with a header line."""
    table = rows(trace)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = list(table[0]) if table else ["epoch", "lr"]
    writer.writerow(header)
    for row in table:
        writer.writerow(["" if row[h] is None else _cell(row[h]) for h in header])
    return out.getvalue()


def to_json(trace: Trace) -> str:
    """The table as a JSON list of objects, one line per row."""
    from lrviz.tracefile import jsonable

    lines = ",\n".join(" " + json.dumps(jsonable(row)) for row in rows(trace))
    return "[\n" + lines + "\n]\n" if lines else "[]\n"


def _whole(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


def _cell(value: Any) -> str:
    """Shortest text that reads back as the same number; non-finite as in the trace JSON."""
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)
