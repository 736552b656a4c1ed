"""Recording a framework's training in one line: a Lightning callback and a HuggingFace
``TrainerCallback`` (:mod:`lrviz.integrations.lightning`,
:mod:`lrviz.integrations.transformers`).

Both do the same, through :class:`Session`: at the start of training a
:class:`lrviz.Recorder` on the optimizer and scheduler the framework steps (every
optimizer step and param group, and the metric a ReduceLROnPlateau is stepped with);
at each epoch's end the losses the framework reports; at the end a trace and a report
in the folder, laid out as ``lrviz run`` writes one (``index.html``, ``figures/``,
``traces/``), and any misuse (:mod:`lrviz.misuse`) as a warning.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from lrviz.recorder import Recorder
from lrviz.trace import Trace

__all__ = ["LRVizWarning", "Session"]


class LRVizWarning(UserWarning):
    """A schedule that will not do what it is set up for, found while training."""


class Session:
    """One training run being recorded.

    Args:
        out: The report folder.
        label: The schedule's name in the report (default: its class or ``hf:`` name).
    """

    def __init__(self, out: str | os.PathLike[str], label: str | None = None) -> None:
        self.out = Path(out)
        self.label = label
        self.recorder: Recorder | None = None
        self._pending: dict[str, float] = {}
        self.trace: Trace | None = None

    def start(
        self,
        optimizer: Any,
        scheduler: Any,
        every: Literal["epoch", "step"],
        experiment: Mapping[str, Any],
    ) -> None:
        """Training starts: record this optimizer and scheduler."""
        from lrviz.report import check_output_folder

        check_output_folder(self.out)  # before training: the report could not go there
        self.recorder = Recorder(
            optimizer, scheduler, experiment=dict(experiment), label=self.label, every=every
        )

    def epoch_values(self, values: Mapping[str, Any]) -> None:
        """An epoch's values as the framework reports them (kept until the epoch's
        scheduler step, which frameworks take after reporting)."""
        for key, value in values.items():
            number = _number(value)
            if number is not None:
                self._pending[key] = number

    def epoch_done(self) -> None:
        """The epoch, and its scheduler step, are over: log what it reported."""
        if self.recorder is None or not self._pending:
            return
        values, self._pending = self._pending, {}
        self.recorder.log(
            train_loss=_first(values, "train_loss", "loss"),
            val_loss=_first(values, "val_loss", "eval_loss"),
            val_accuracy=_first(values, "val_accuracy", "val_acc", "eval_accuracy"),
        )

    def finish(self) -> Path | None:
        """Training ends: the trace, the report, and a warning for each misuse.

        Returns:
            The report's ``index.html``, or None when nothing was recorded.
        """
        from lrviz.pitfalls import messages
        from lrviz.report import write_report

        if self.recorder is None:
            return None
        self.epoch_done()
        self.trace = self.recorder.trace
        for message in messages([self.trace]):
            warnings.warn(message, LRVizWarning, stacklevel=2)
        return write_report([self.trace], self.out)


def _number(value: Any) -> float | None:
    """A reported value as a float (a 0-dim tensor too), or None if it is no number."""
    item = getattr(value, "item", None)
    try:
        return float(item() if callable(item) else value)
    except (TypeError, ValueError, RuntimeError):
        return None


def _first(values: Mapping[str, float], *keys: str) -> float | None:
    return next((values[k] for k in keys if k in values), None)
