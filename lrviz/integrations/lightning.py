"""Record a PyTorch Lightning ``fit`` in one line::

    trainer = lightning.Trainer(callbacks=[LRVizCallback("reports/run1")])

At the end of ``fit``, ``reports/run1`` holds the report and one trace per scheduler
``configure_optimizers`` returns, and one per optimizer without one, each named as
Lightning's ``LearningRateMonitor`` names it (``lr-Adam``, ``lr-Adam-1``, a scheduler's
``name``; the monitor's ``/pg1`` suffixes are the trace's param groups). With
``interval: "step"`` a trace has every optimizer step, with ``"epoch"`` one step per
epoch (and a per-batch schedule stepped so is reported as a misuse); under manual
optimization, each scheduler step the module takes. Every scalar the module logs is kept
under the name loggers see, at the step it belongs to. Under DDP only global rank zero
writes. Needs ``pip install 'lrviz[lightning]'``.
"""

from __future__ import annotations

import os
import warnings
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from lrviz.integrations import LRVizWarning, Schedule, Session

try:
    from lightning.pytorch.callbacks import Callback
except ImportError as exc:  # pragma: no cover - the extra is not installed
    raise ImportError(
        "lrviz.integrations.lightning needs PyTorch Lightning: pip install 'lrviz[lightning]'"
    ) from exc

__all__ = ["LRVizCallback", "monitor_names"]


class LRVizCallback(Callback):
    """Records the rates and logged values of a Lightning ``fit`` and writes the report
    at its end.

    Args:
        out: The report folder (``index.html``, ``figures/``, ``traces/``).
        label: The schedule's name in the report; with several, each one's prefix.
    """

    def __init__(self, out: str | os.PathLike[str], label: str | None = None) -> None:
        self.session = Session(out, label)
        self._seen: dict[str, Any] = {}

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        common = {
            "framework": "lightning",
            "model": type(pl_module).__name__,
            "max_epochs": trainer.max_epochs,
            "accumulate_grad_batches": trainer.accumulate_grad_batches,
        }
        manual = not pl_module.automatic_optimization
        configs = trainer.lr_scheduler_configs
        names = monitor_names(configs, trainer.optimizers)
        schedules = []
        for config, name in zip(configs, names, strict=False):  # then the unscheduled
            interval = "manual" if manual else config.interval
            schedules.append(
                Schedule(
                    name,
                    config.scheduler.optimizer,
                    config.scheduler,
                    "step" if interval == "step" else "epoch",
                    common | {"interval": interval},
                )
            )
            if interval == "step":
                _warn_if_too_short(config.scheduler, trainer.estimated_stepping_batches)
        scheduled = [s.optimizer for s in schedules]
        unscheduled = [o for o in map(_unwrapped, trainer.optimizers) if o not in scheduled]
        for optimizer, name in zip(unscheduled, names[len(configs) :], strict=True):
            schedules.append(Schedule(name, optimizer, None, "step", common))
        self.session.start(schedules)

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, index: int) -> None:
        self.session.batch_start()

    def on_train_batch_end(
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, index: int
    ) -> None:
        for recorder in self.session.recorders:
            if recorder.scheduler is None:  # rates set otherwise: one step a batch
                recorder.step()
        self.session.batch_values(self._fresh(trainer))

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if trainer.sanity_checking:
            return
        if trainer.is_last_batch:  # validation at the epoch's end: its values
            self.session.epoch_values(self._fresh(trainer))
        else:  # validation within the epoch (val_check_interval): at its step
            self.session.values(self._fresh(trainer))

    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        self.session.epoch_values(self._fresh(trainer))  # the module's on_train_epoch_end
        self.session.epoch_start()

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        self.session.epoch_values(self._fresh(trainer))

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        self.session.epoch_values(self._fresh(trainer))
        self.session.finish()

    def _fresh(self, trainer: Any) -> dict[str, Any]:
        """The values logged since the last look, under the names loggers see. Lightning
        keeps every value it was given, each a new tensor when logged (a clone, or an
        epoch's computed value) and read as views of it: a value is new when its memory
        is (the last one seen of each name is held, so no new one can have its address)."""
        logged: Mapping[str, Any] = trainer.logged_metrics
        fresh = {}
        for key, value in logged.items():
            if _address(self._seen.get(key)) != _address(value):
                fresh[key] = value
        self._seen.update(fresh)
        return fresh


def _address(value: Any) -> int:
    """Where a tensor's data is (any other value: the object itself)."""
    data_ptr = getattr(value, "data_ptr", None)
    return int(data_ptr()) if callable(data_ptr) else id(value)


def monitor_names(configs: Any, optimizers: Any) -> list[str]:
    """The names Lightning's ``LearningRateMonitor`` gives: one per scheduler config (its
    ``name``, or ``lr-`` and the optimizer's class), then one per optimizer without a
    scheduler; a class seen again numbered from ``-1``. The monitor adds ``/pg1``, ... (or
    the groups' ``name``) per param group; here those are the trace's groups.
    """
    seen: list[Any] = []
    types: defaultdict[type, int] = defaultdict(int)
    names = []
    for config in configs:
        optimizer = config.scheduler.optimizer
        seen.append(optimizer)
        if config.name is None:
            types[type(optimizer)] += 1
        names.append(_named(config.name or f"lr-{type(optimizer).__name__}", optimizer, types))
    for optimizer in map(_unwrapped, optimizers):
        if optimizer not in seen:
            seen.append(optimizer)
            types[type(optimizer)] += 1
            names.append(_named(f"lr-{type(optimizer).__name__}", optimizer, types))
    return names


def _named(name: str, optimizer: Any, types: Mapping[type, int]) -> str:
    """The monitor's prefix rule: the second optimizer of a class gets ``-1``, and so on."""
    count = types.get(type(optimizer), 0)
    return f"{name}-{count - 1}" if count > 1 else name


def _unwrapped(optimizer: Any) -> Any:
    """The torch optimizer inside a wrapper (DeepSpeed's, Lightning's)."""
    return getattr(optimizer, "optimizer", optimizer)


def _warn_if_too_short(scheduler: Any, steps: Any) -> None:
    """A OneCycleLR shorter than the fit fails mid-training ("Tried to step N times"):
    say so before the first step."""
    total = getattr(scheduler, "total_steps", None)
    if isinstance(total, int) and isinstance(steps, int | float) and steps > total:
        warnings.warn(
            f"{type(scheduler).__name__} total_steps={total} is fewer than the {int(steps)} "
            f"optimizer steps this fit takes: torch will stop it at step {total + 1} with "
            "'Tried to step ... times'",
            LRVizWarning,
            stacklevel=3,
        )
