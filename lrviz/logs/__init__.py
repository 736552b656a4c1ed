"""Traces from the logs people already have (SPEC §3, §5): TensorBoard event files and
folders of runs, HuggingFace ``trainer_state.json``, Lightning ``metrics.csv``, MLflow
file stores, and CSV or JSON-lines tables.

Every reader gives one trace per run (and optimizer) that logged a learning rate, with
``meta.source = "import"``, ``meta.log`` the log's kind and ``meta.rates`` saying the
rates are as logged (and float32 where the log narrowed them). What a log does not hold
(the optimizer, the model, the schedule) is absent, never invented: the schedule is
named ``unknown``. Entries are the logged steps (``Steps.at`` when they are not 1, 2,
...), moved to the update that used the rate where the writer is known to log it a
step early (see :mod:`lrviz.logs._runs`). Epochs, with the losses logged last in each,
are there when the log numbers them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from lrviz.trace import Trace

__all__ = [
    "KINDS",
    "TABLES",
    "is_log_file",
    "kind_of",
    "load_traces",
    "provenance",
    "read_log",
]

KINDS = ("tensorboard", "hf-trainer-state", "lightning-csv", "mlflow", "csv")
"""The kinds of log :func:`read_log` reads, as ``meta.log`` names them."""

NAMES = {
    "tensorboard": "TensorBoard",
    "hf-trainer-state": "HuggingFace trainer_state.json",
    "lightning-csv": "Lightning metrics.csv",
    "mlflow": "MLflow",
    "csv": "a table",
}
"""How the page names each kind of log."""

TABLES = (".csv", ".tsv", ".jsonl", ".ndjson")
"""Suffixes of table files (a ``.json`` file is a trace, or HF's ``trainer_state.json``)."""


def kind_of(path: str | os.PathLike[str]) -> str:
    """The kind of log at ``path`` (one of :data:`KINDS`), from its name and layout.

    Raises:
        ValueError: No file or folder there, or none of the kinds.
    """
    from lrviz.logs import hf_trainer_state, lightning_csv, mlflow, tensorboard

    p = Path(path)
    if p.is_file():
        if tensorboard.is_event_file(p):
            return "tensorboard"
        if p.name == hf_trainer_state.NAME:
            return "hf-trainer-state"
        if p.suffix == ".csv" and lightning_csv.is_lightning(p):
            return "lightning-csv"
        if p.suffix in TABLES:
            return "csv"
    elif p.is_dir():
        # An HF output folder may hold TensorBoard runs too (runs/): its
        # trainer_state.json has the rates unrounded, and the epochs.
        if hf_trainer_state.find(p) is not None:
            return "hf-trainer-state"
        if tensorboard.event_files(p):
            return "tensorboard"
        if mlflow.run_folders(p):
            return "mlflow"
        if any(lightning_csv.is_lightning(f) for f in p.glob(f"**/{lightning_csv.NAME}")):
            return "lightning-csv"
    else:
        raise ValueError(f"{os.fspath(path)!r}: no such file or folder")
    raise ValueError(
        f"{os.fspath(path)!r}: not a log lrviz reads (a TensorBoard event file or folder, "
        "trainer_state.json, Lightning metrics.csv, an MLflow run folder, or a CSV/JSON-lines "
        "table)"
    )


def read_log(
    path: str | os.PathLike[str],
    step: str | None = None,
    rates: Sequence[str] | None = None,
) -> list[Trace]:
    """The traces of a log: one per run (and optimizer) that logged a learning rate.

    Args:
        path: A log file or folder (:func:`kind_of` tells which kind).
        step: A table's step column, when its name is unusual (tables only).
        rates: The rate columns, tags or keys, in param-group order, when their names
            do not say so.

    Raises:
        ValueError: Not a log, or a malformed one; one line naming the file and the
            problem.
    """
    from lrviz.logs import hf_trainer_state, lightning_csv, mlflow, table, tensorboard

    kind = kind_of(path)
    if step is not None and kind != "csv":
        raise ValueError(f"step= names a table's column; {os.fspath(path)!r} is a {kind} log")
    if kind == "tensorboard":
        return tensorboard.read(path, rates)
    if kind == "hf-trainer-state":
        return hf_trainer_state.read(path, rates)
    if kind == "mlflow":
        return mlflow.read(path, rates)
    if kind == "lightning-csv":
        p = Path(path)
        files = [p] if p.is_file() else sorted(p.glob(f"**/{lightning_csv.NAME}"))
        return [
            t for f in files if lightning_csv.is_lightning(f) for t in lightning_csv.read(f, rates)
        ]
    return table.read(path, step, rates)


def is_log_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a log file by its name: an event file, ``trainer_state.json``,
    or a table (``.csv``, ``.tsv``, ``.jsonl``, ``.ndjson``)."""
    from lrviz.logs import hf_trainer_state, tensorboard

    p = Path(path)
    return p.is_file() and (
        tensorboard.is_event_file(p) or p.name == hf_trainer_state.NAME or p.suffix in TABLES
    )


def load_traces(path: str | os.PathLike[str]) -> list[Trace]:
    """The traces at ``path``: a log's (a folder, or a file :func:`is_log_file` names),
    else the trace file's one trace (JSON or gzip-compressed JSON).

    Raises:
        ValueError: A malformed log, or not a trace file; one line naming the file.
    """
    if Path(path).is_dir() or is_log_file(path):
        return read_log(path)
    return [Trace.load(path)]


def provenance(trace: Trace) -> str | None:
    """Where an imported trace's data came from, in words ("imported from TensorBoard,
    rates as logged, float32"); None for a trace not imported."""
    if trace.meta.get("source") != "import":
        return None
    log = str(trace.meta.get("log", ""))
    rates = trace.meta.get("rates", "as logged")
    return f"imported from {NAMES.get(log, log or 'a log')}, rates {rates}"
