"""Record a PyTorch Lightning ``fit`` in one line::

    trainer = lightning.Trainer(callbacks=[LRVizCallback("reports/run1")])

At the end of ``fit``, ``reports/run1`` holds the report and the trace, as ``lrviz run``
writes them. The scheduler is the first one ``configure_optimizers`` returns; with
``interval: "step"`` the trace has every optimizer step, with ``"epoch"`` one step per
epoch (and a per-batch schedule stepped so is reported as a misuse). Needs
``pip install 'lrviz[lightning]'``.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from lrviz.integrations import LRVizWarning, Session

try:
    from lightning.pytorch.callbacks import Callback
except ImportError as exc:  # pragma: no cover - the extra is not installed
    raise ImportError(
        "lrviz.integrations.lightning needs PyTorch Lightning: pip install 'lrviz[lightning]'"
    ) from exc

__all__ = ["LRVizCallback"]


class LRVizCallback(Callback):
    """Records the rates of a Lightning ``fit`` and writes the report at its end.

    Args:
        out: The report folder (``index.html``, ``figures/``, ``traces/``).
        label: The schedule's name in the report.
    """

    def __init__(self, out: str | os.PathLike[str], label: str | None = None) -> None:
        self.session = Session(out, label)

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        optimizer = trainer.optimizers[0]
        configs = trainer.lr_scheduler_configs
        config = configs[0] if configs else None
        scheduler = None if config is None else config.scheduler
        interval = "epoch" if config is None else config.interval
        self.session.start(
            optimizer,
            scheduler,
            "step" if interval == "step" else "epoch",
            {
                "framework": "lightning",
                "model": type(pl_module).__name__,
                "max_epochs": trainer.max_epochs,
                "accumulate_grad_batches": trainer.accumulate_grad_batches,
                "interval": interval,
            },
        )
        if config is not None and interval == "step":
            _warn_if_too_short(scheduler, trainer.estimated_stepping_batches)

    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        self.session.epoch_done()

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        self.session.epoch_values(trainer.callback_metrics)

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        self.session.finish()


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
