"""An MLflow file store (``mlruns/``), read without MLflow: a run folder
``mlruns/<experiment>/<run>/`` holds ``metrics/<key>`` files (a key with ``/`` is a
folder path) of lines ``<timestamp ms> <value> <step>``, and its name in
``tags/mlflow.runName``. A folder of runs (an experiment, or ``mlruns`` itself) gives
one trace per run that logged a rate. Steps are kept as logged, except Lightning's
``lr-<Optimizer>`` (LearningRateMonitor: the rate of update s + 1 at step s).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from lrviz.logs._runs import Run, is_rate, to_traces, writer_shift
from lrviz.trace import Trace

KIND = "mlflow"


def run_folders(path: Path) -> list[Path]:
    """The run folders at or below ``path`` (folders with ``metrics/`` and
    ``meta.yaml``), sorted."""
    if (path / "metrics").is_dir():
        return [path]
    return sorted(p.parent for p in path.glob("**/metrics") if (p.parent / "meta.yaml").is_file())


def read(path: str | os.PathLike[str], rates: Sequence[str] | None = None) -> list[Trace]:
    """The traces of an MLflow run folder or a folder of runs, named by each run's
    ``mlflow.runName`` (else its id); ``rates`` names the rate metrics, in param-group
    order, when their names do not say so.

    Raises:
        ValueError: No run folder, a malformed metric line, or a run without a rate;
            the message names the file.
    """
    root = Path(path)
    folders = run_folders(root)
    if not folders:
        raise ValueError(f"{os.fspath(path)!r}: no MLflow run folder (with metrics/) in it")
    traces: list[Trace] = []
    for folder in folders:
        run = Run(name=_name(folder), scalars=_metrics(folder / "metrics"))
        if len(folders) > 1 and not any(map(is_rate, rates or run.scalars)):
            continue  # a folder of runs: the runs without a rate are not ours
        traces += to_traces(
            run, KIND, os.fspath(folder), shift=writer_shift(rates or run.scalars), rates=rates
        )
    if not traces:
        raise ValueError(f"{os.fspath(path)!r}: no MLflow run in it logged a learning rate")
    return traces


def _name(folder: Path) -> str:
    tag = folder / "tags" / "mlflow.runName"
    return tag.read_text(encoding="utf-8").strip() if tag.is_file() else folder.name


def _metrics(folder: Path) -> dict[str, dict[int, float]]:
    """Every metric file: ``key -> {step: value}``, the last line of a step winning."""
    out: dict[str, dict[int, float]] = {}
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        column = out.setdefault(file.relative_to(folder).as_posix(), {})
        for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            parts = line.split()
            if not parts:
                continue
            try:
                _, value, step = parts if len(parts) == 3 else (*parts, "0")
                column[int(step)] = float(value)
            except ValueError:
                raise ValueError(
                    f"{os.fspath(file)!r}: line {n} is not 'timestamp value step': {line!r}"
                ) from None
    return out
