"""Record a HuggingFace ``Trainer`` in one line::

    trainer = Trainer(..., callbacks=[LRVizCallback("reports/run1")])

At the end of ``train``, ``reports/run1`` holds the report and the trace, as ``lrviz
run`` writes them: every optimizer step (the Trainer steps its scheduler per step), each
param group, the schedule by its own name (``hf:linear``, the Trainer's default), the
optimizer by its own class (``AdamW``, not accelerate's wrapper), what governed the run's
length (``max_steps``, or ``num_train_epochs``), and every value the Trainer logs at the
step it logged it (evaluations at their eval steps); values logged at an epoch's end are
the epoch's too (the evaluation loss, the metric it gives ReduceLROnPlateau). Under
``torchrun`` only global rank zero writes. Needs ``pip install 'lrviz[hf]'``.
"""

from __future__ import annotations

import os
from typing import Any

from lrviz.integrations import Schedule, Session

try:
    from transformers import TrainerCallback
except ImportError as exc:  # pragma: no cover - the extra is not installed
    raise ImportError(
        "lrviz.integrations.transformers needs HuggingFace transformers: pip install 'lrviz[hf]'"
    ) from exc

__all__ = ["LRVizCallback"]


class LRVizCallback(TrainerCallback):
    """Records the rates and logs of a ``Trainer.train`` and writes the report at its end.

    Args:
        out: The report folder (``index.html``, ``figures/``, ``traces/``).
        label: The schedule's name in the report.
    """

    def __init__(self, out: str | os.PathLike[str], label: str | None = None) -> None:
        self.session = Session(out, label)
        self._epoch_over = False

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        model = kwargs.get("model")
        length = (
            {"max_steps": args.max_steps}
            if args.max_steps > 0
            else {"num_train_epochs": args.num_train_epochs}
        )
        optimizer = kwargs["optimizer"]
        self.session.start(
            [
                Schedule(
                    None,
                    getattr(optimizer, "optimizer", optimizer),  # accelerate's wrapper
                    kwargs.get("lr_scheduler"),
                    "step",
                    {
                        "framework": "transformers",
                        "model": type(model).__name__ if model is not None else None,
                        **length,
                        "steps": state.max_steps,
                        "gradient_accumulation_steps": args.gradient_accumulation_steps,
                        "lr_scheduler_type": str(getattr(args.lr_scheduler_type, "value", "")),
                    },
                )
            ]
        )

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._epoch_over = False
        self.session.epoch_start()

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._epoch_over = True

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
        values = {k: v for k, v in (logs or {}).items() if k not in ("epoch", "step")}
        if "train_runtime" in values:  # the run's summary: its train_loss is no epoch's
            self.session.values(values, epochs=False)
        elif self._epoch_over:  # after the epoch's end: the epoch's values
            self.session.epoch_values(values)
        else:  # a step's, an evaluation's
            self.session.values(values)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.session.finish()
