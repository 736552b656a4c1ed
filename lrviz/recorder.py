"""Recording your own training loop: ``Recorder(optimizer, scheduler)``, one ``log`` per epoch.

::

    rec = lrviz.Recorder(optimizer, scheduler)
    for epoch in range(epochs):
        ...                                   # train, validate
        scheduler.step()                      # or scheduler.step(val_loss)
        rec.log(train_loss=loss, val_loss=val_loss)
    rec.trace.save("trace.json")

The recorder reads the rates from ``optimizer.param_groups``: the rates current at
construction are epoch 1's, and the rates after each ``log``'s step are the next
epoch's, so the trace means what a ``lrviz run`` trace means (SPEC §3). It does no
work beyond reading a few floats, so it costs nothing measurable in a real loop.
"""

from __future__ import annotations

from typing import Any

from lrviz.explanation import explain
from lrviz.schedules import Kind, lookup, params_of, provenance, state_of
from lrviz.trace import Epoch, Trace


class Recorder:
    """Records the rates, losses and scheduler state of a training loop you own.

    Args:
        optimizer: The ``torch.optim.Optimizer`` whose rates the scheduler sets.
        scheduler: The ``torch.optim.lr_scheduler`` instance (any class; lrviz explains
            the ones it knows and reports the rest's changes as ``external``).
        experiment: Optional description of the run, stored as the trace's ``experiment``.
        label: Optional name of the schedule in reports (default: the scheduler's class
            name); a report needs one per schedule, e.g. for two StepLR variants.
    """

    def __init__(
        self,
        optimizer: Any,
        scheduler: Any,
        experiment: dict[str, Any] | None = None,
        label: str | None = None,
    ) -> None:
        self.optimizer = optimizer
        self.label = label
        try:
            self._kind: Kind | None = lookup(type(scheduler).__name__)
        except ValueError:  # a scheduler lrviz has no rule for: rates only, no state
            self._kind = None
        self.scheduler = scheduler
        self.experiment = experiment
        self._initial = self._rates()
        self._current = self._initial
        # Per log call, Epoch's fields after ``epoch``; the Epochs are built when the trace
        # is asked for, which halves what a call adds to the training loop.
        self._rows: list[tuple[Any, ...]] = []

    def _rates(self) -> tuple[float, ...]:
        return tuple(float(g["lr"]) for g in self.optimizer.param_groups)

    def log(
        self,
        train_loss: Any = None,
        val_loss: Any = None,
        val_accuracy: Any = None,
        metric: Any = None,
    ) -> None:
        """Record one epoch; call it once per epoch, after ``scheduler.step``.

        Values may be floats or 0-dim tensors. ``metric`` is what you passed to
        ``scheduler.step`` (defaults to ``val_loss`` for ReduceLROnPlateau).
        """
        val = _float(val_loss)
        if metric is None and hasattr(self.scheduler, "num_bad_epochs"):
            metric_value = val
        else:
            metric_value = _float(metric)
        after = self._rates()
        self._rows.append(
            (
                self._current,
                _float(train_loss),
                val,
                _float(val_accuracy),
                metric_value,
                None,  # momentum: the Recorder does not record it
                {} if self._kind is None else state_of(self._kind, self.scheduler),
            )
        )
        self._current = after

    @property
    def trace(self) -> Trace:
        """The trace so far, with its events explained."""
        name = type(self.scheduler).__name__
        try:
            params = params_of(self.scheduler)
        except ValueError:  # a scheduler lrviz has no rule for: its changes are external
            params = {}
        trace = Trace(
            meta=provenance("record"),
            experiment=self.experiment,
            schedule={"name": name, "params": params}
            | ({} if self.label is None else {"label": self.label}),
            initial_lr=self._initial,
            epochs=tuple(Epoch(k, *row) for k, row in enumerate(self._rows, start=1)),
            final_lr=self._current,
        )
        return trace.with_events(explain(trace))


def _float(value: Any) -> float | None:
    """A float from a number or a 0-dim tensor (``.item()`` also takes one that needs grad)."""
    if value is None:
        return None
    item = getattr(value, "item", None)
    return float(item() if callable(item) else value)
