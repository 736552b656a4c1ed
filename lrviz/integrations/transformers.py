"""Record a HuggingFace ``Trainer`` in one line::

    trainer = Trainer(..., callbacks=[LRVizCallback("reports/run1")])

At the end of ``train``, ``reports/run1`` holds the report and the trace, as ``lrviz
run`` writes them: every optimizer step (the Trainer steps its scheduler per step), each
param group, the schedule by its own name (``hf:linear``, the Trainer's default), the
training loss it logs and the evaluation loss (the metric it gives ReduceLROnPlateau).
Needs ``pip install 'lrviz[hf]'``.
"""

from __future__ import annotations

import os
from typing import Any

from lrviz.integrations import Session

try:
    from transformers import TrainerCallback
except ImportError as exc:  # pragma: no cover - the extra is not installed
    raise ImportError(
        "lrviz.integrations.transformers needs HuggingFace transformers: pip install 'lrviz[hf]'"
    ) from exc

__all__ = ["LRVizCallback"]


class LRVizCallback(TrainerCallback):
    """Records the rates of a ``Trainer.train`` and writes the report at its end.

    Args:
        out: The report folder (``index.html``, ``figures/``, ``traces/``).
        label: The schedule's name in the report.
    """

    def __init__(self, out: str | os.PathLike[str], label: str | None = None) -> None:
        self.session = Session(out, label)

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        model = kwargs.get("model")
        self.session.start(
            kwargs["optimizer"],
            kwargs.get("lr_scheduler"),
            "step",
            {
                "framework": "transformers",
                "model": type(model).__name__ if model is not None else None,
                "num_train_epochs": args.num_train_epochs,
                "max_steps": state.max_steps,
                "gradient_accumulation_steps": args.gradient_accumulation_steps,
                "lr_scheduler_type": str(getattr(args.lr_scheduler_type, "value", "")),
            },
        )

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.session.epoch_done()

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
        self.session.epoch_values({k: v for k, v in (logs or {}).items() if k == "loss"})

    def on_evaluate(
        self, args: Any, state: Any, control: Any, metrics: Any = None, **kwargs: Any
    ) -> None:
        self.session.epoch_values(
            {k: v for k, v in (metrics or {}).items() if k in ("eval_loss", "eval_accuracy")}
        )

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.session.finish()
