"""HuggingFace ``trainer_state.json``: the ``log_history`` a ``Trainer`` saves with each
checkpoint (``checkpoint-N/``) and with ``save_state()`` (its output folder).

Each entry of ``log_history`` is one ``on_log``: ``learning_rate``, ``loss``,
``grad_norm``, ``epoch`` (progress: 0.5 is half of the first epoch) and ``step`` (the
updates done); evaluations add ``eval_loss``; the last entry sums up the run
(``train_loss`` is its mean, so it is left out). The Trainer of transformers 5 logs, at
step s, the rate update s used (it reads the rate after the optimizer step, before the
scheduler step; ``tests/test_logs_hf.py`` proves it against lrviz's callback on the same
run), so the trace holds it at step s.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Sequence
from numbers import Real
from pathlib import Path

from lrviz.logs._runs import Run, to_traces
from lrviz.trace import Trace

KIND = "hf-trainer-state"
NAME = "trainer_state.json"
_CHECKPOINT = re.compile(r"checkpoint-(\d+)$")


def epoch_number(progress: float) -> int:
    """The 1-based epoch of an update from HF's progress after it (0.25 -> 1, 1.0 -> 1,
    1.25 -> 2); rounded first, as HF rounds what it logs."""
    return max(1, math.ceil(round(progress, 4)))


def find(folder: Path) -> Path | None:
    """The ``trainer_state.json`` of an output folder: its own, else its latest
    checkpoint's (which holds the whole history up to it)."""
    if (folder / NAME).is_file():
        return folder / NAME
    checkpoints = [
        (int(m.group(1)), p)
        for p in folder.iterdir()
        if (m := _CHECKPOINT.match(p.name)) and (p / NAME).is_file()
    ]
    return max(checkpoints)[1] / NAME if checkpoints else None


def read(path: str | os.PathLike[str], rates: Sequence[str] | None = None) -> list[Trace]:
    """The trace of a ``trainer_state.json`` (or of the output or checkpoint folder
    holding one), named by the output folder; ``rates`` names other rate keys than
    ``learning_rate`` (logged by a callback of one's own), in param-group order.

    Raises:
        ValueError: No ``trainer_state.json``, not JSON, no ``log_history``, or no
            learning rate in it; the message names the file.
    """
    given = Path(path)
    file = find(given) if given.is_dir() else given
    if file is None:
        raise ValueError(f"{os.fspath(path)!r}: no {NAME} in it or in a checkpoint-N folder")
    where = os.fspath(file)
    try:
        state = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{where!r}: cannot read it as JSON ({exc})") from None
    history = state.get("log_history") if isinstance(state, dict) else None
    if not isinstance(history, list):
        raise ValueError(f"{where!r}: no log_history list; is it a Trainer's {NAME}?")
    scalars: dict[str, dict[int, float]] = {}
    epochs: dict[int, float] = {}
    for entry in history:
        if not isinstance(entry, dict) or "train_runtime" in entry:
            continue
        step = entry.get("step")
        if not isinstance(step, int):
            continue
        for key, value in entry.items():
            if key not in ("step", "epoch") and isinstance(value, Real):
                scalars.setdefault(key, {})[step] = float(value)
        if isinstance(entry.get("epoch"), Real):
            epochs[step] = epoch_number(float(entry["epoch"]))
    folder = file.parent
    owner = folder.parent if _CHECKPOINT.match(folder.name) else folder
    run = Run(name=owner.resolve().name, scalars=scalars, epochs=epochs)
    if rates is None and "learning_rate" in scalars:
        rates = ["learning_rate"]  # the Trainer's own; other keys may mention lr too
    return to_traces(run, KIND, where, rates=rates)
