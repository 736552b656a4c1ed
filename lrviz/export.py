"""A trace as one flat table: one row per epoch, the rates of every param group, then the
momenta and the metric when the trace has them (``lrviz simulate --format csv``)."""

from __future__ import annotations

import csv
import io
import math

from lrviz.trace import Trace


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
