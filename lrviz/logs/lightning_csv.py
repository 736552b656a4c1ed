"""Lightning's ``CSVLogger`` ``metrics.csv``: ``epoch`` and ``step`` columns, then one
column per logged value, a row per ``log_metrics`` call with empty cells for what it did
not log. ``LearningRateMonitor`` writes ``lr-<Optimizer>`` (``/pg<k>`` per param group,
``-momentum`` with ``log_momentum``) per step or per epoch; at step s it logs the rate
before update s + 1, so the trace holds it at step s + 1 (other rate columns stay at
their logged steps). Its ``epoch`` is 0-based.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from lrviz.logs import table
from lrviz.logs._runs import to_traces, writer_shift
from lrviz.trace import Trace

KIND = "lightning-csv"
NAME = "metrics.csv"


def is_lightning(path: Path) -> bool:
    """Whether a CSV file's header is Lightning's: a ``step`` column beside ``epoch``
    (which ``self.log`` adds) or LearningRateMonitor's ``lr-*`` columns."""
    try:
        with path.open(encoding="utf-8") as f:
            header = f.readline().strip().split(",")
    except (OSError, UnicodeDecodeError):
        return False
    return "step" in header and ("epoch" in header or any(h.startswith("lr-") for h in header))


def read(path: str | os.PathLike[str], rates: Sequence[str] | None = None) -> list[Trace]:
    """The trace of a ``metrics.csv``, named by its folder (``version_0``) under the
    logger's name (``lightning_logs/version_0``).

    Raises:
        ValueError: No step or rate column; the message names the file.
    """
    file = Path(path)
    resolved = file.resolve().parent
    run, _ = table.to_run(file, table.rows(file), f"{resolved.parent.name}/{resolved.name}", "step")
    epochs = {s: e + 1 for s, e in run.scalars.get("epoch", {}).items()}
    return to_traces(
        replace(run, epochs=epochs),
        KIND,
        os.fspath(file),
        shift=writer_shift(run.scalars),
        rates=rates,
    )
