"""Recording a training loop: ``Recorder(optimizer, scheduler)``, one ``log`` per epoch.

::

    rec = lrviz.Recorder(optimizer, scheduler)
    for epoch in range(epochs):
        ...                                   # train, validate
        scheduler.step()                      # or scheduler.step(val_loss)
        rec.log(train_loss=loss, val_loss=val_loss)
    rec.trace.save("trace.json")

Every trace lrviz makes is recorded this way, ``lrviz run``'s and ``lrviz simulate``'s
included: the recorder reads the rates from ``optimizer.param_groups`` (the rates
current at construction are epoch 1's, and the rates after each ``log``'s step are the
next epoch's, SPEC §3), the momenta of schedules that cycle them, and the scheduler's
state. It does no work beyond reading a few floats, so it costs nothing measurable in a
real loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrviz import schedules
from lrviz.torchbridge import momenta, params_of, provenance, rates, state_of
from lrviz.trace import Epoch, Trace


class Recorder:
    """Records the rates, losses and scheduler state of a training loop.

    Args:
        optimizer: The ``torch.optim.Optimizer`` whose rates the scheduler sets.
        scheduler: The ``torch.optim.lr_scheduler`` instance (any class; lrviz explains
            the ones it knows and reports the rest's changes as they are).
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
        self.scheduler = scheduler
        self.experiment = experiment
        self.label = label
        self._kind = schedules.for_scheduler(scheduler)
        self._momentum = bool(getattr(scheduler, "cycle_momentum", False)) and bool(
            self._kind and self._kind.cycles_momentum
        )
        self._initial = rates(optimizer)
        self._current = self._initial
        self._current_momentum = momenta(optimizer) if self._momentum else None
        # Per log call, Epoch's fields after ``epoch``; the Epochs are built when the trace
        # is asked for, which halves what a call adds to the training loop.
        self._rows: list[tuple[Any, ...]] = []

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
        if metric is None and self._kind is not None and self._kind.needs_metric:
            metric_value = val
        else:
            metric_value = _float(metric)
        self._rows.append(
            (
                self._current,
                _float(train_loss),
                val,
                _float(val_accuracy),
                metric_value,
                self._current_momentum,
                {} if self._kind is None else state_of(self._kind, self.scheduler),
            )
        )
        self._current = rates(self.optimizer)
        if self._momentum:
            self._current_momentum = momenta(self.optimizer)

    def epochs(self) -> tuple[Epoch, ...]:
        """The epochs recorded so far."""
        return tuple(Epoch(k, *row) for k, row in enumerate(self._rows, start=1))

    def to_trace(
        self,
        *,
        source: str = "record",
        schedule: Mapping[str, Any] | None = None,
        explained: bool = True,
    ) -> Trace:
        """The trace so far.

        Args:
            source: What made it: ``record`` (your loop), ``run`` or ``simulate``.
            schedule: The trace's ``schedule`` (name, label, params); default: read back
                from the scheduler, labelled with ``label``.
            explained: Derive its events (:func:`lrviz.explain`).
        """
        trace = Trace(
            meta=provenance(source),
            experiment=self.experiment,
            schedule=self._schedule() if schedule is None else schedule,
            initial_lr=self._initial,
            epochs=self.epochs(),
            final_lr=self._current,
        )
        if not explained:
            return trace
        from lrviz.explanation import explain

        return trace.with_events(explain(trace))

    @property
    def trace(self) -> Trace:
        """The trace so far, with its events explained."""
        return self.to_trace()

    def _schedule(self) -> dict[str, Any]:
        name = type(self.scheduler).__name__
        try:
            params = params_of(self.scheduler)
        except ValueError:  # a scheduler lrviz has no rule for: its changes are external
            params = {}
        return {"name": name, "params": params} | (
            {} if self.label is None else {"label": self.label}
        )


def _float(value: Any) -> float | None:
    """A float from a number or a 0-dim tensor (``.item()`` also takes one that needs grad)."""
    if value is None:
        return None
    item = getattr(value, "item", None)
    return float(item() if callable(item) else value)
