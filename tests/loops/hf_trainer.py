"""HF's ``Trainer`` as its examples use it (run_glue.py's shape): a model returning its
loss, ``TrainingArguments`` with ``gradient_accumulation_steps=2``, a linear schedule
with warm-up (``lr_scheduler_type="linear"``), evaluation every ``eval_steps``, and
lrviz's callback. A tiny model on synthetic data; no downloads."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import Trainer, TrainerCallback, TrainingArguments

import lrviz
from lrviz.integrations.transformers import LRVizCallback

GRADIENT_ACCUMULATION_STEPS = 2
EVAL_STEPS = 4


class Regressor(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(4, 1)

    def forward(
        self, inputs: torch.Tensor, labels: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        out = self.linear(inputs).squeeze(-1)
        loss = torch.nn.functional.mse_loss(out, labels) if labels is not None else None
        return {"loss": loss, "logits": out}


class Rows(torch.utils.data.Dataset):
    def __init__(self, n: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, 4, generator=g)
        self.y = self.x @ torch.tensor([1.0, -1.0, 2.0, 0.5])

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"inputs": self.x[i], "labels": self.y[i]}


@dataclass
class Truth(TrainerCallback):
    """What the Trainer did: the rate of each optimizer update (read in
    ``on_optimizer_step``, after the update and before the scheduler step) and the
    global step of each evaluation."""

    used: list[float] = field(default_factory=list)
    evals: list[tuple[int, float]] = field(default_factory=list)
    max_steps: int = 0

    def on_optimizer_step(
        self, args: Any, state: Any, control: Any, optimizer: Any = None, **kwargs: Any
    ) -> None:
        self.used.append(float(optimizer.param_groups[0]["lr"]))

    def on_evaluate(
        self, args: Any, state: Any, control: Any, metrics: Any = None, **kwargs: Any
    ) -> None:
        self.evals.append((state.global_step, float(metrics["eval_loss"])))

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.max_steps = state.max_steps


@dataclass
class Run:
    traces: list[lrviz.Trace]
    truth: Truth
    warmup_steps: int


def main() -> Run:
    truth = Truth()
    with tempfile.TemporaryDirectory() as tmp:
        training_args = TrainingArguments(
            output_dir=str(Path(tmp) / "out"),
            per_device_train_batch_size=4,
            per_device_eval_batch_size=8,
            gradient_accumulation_steps=GRADIENT_ACCUMULATION_STEPS,
            learning_rate=1e-2,
            lr_scheduler_type="linear",
            warmup_steps=3,
            num_train_epochs=3,
            eval_strategy="steps",
            eval_steps=EVAL_STEPS,
            logging_steps=1,
            save_strategy="no",
            report_to=[],
            use_cpu=True,
            seed=42,
            dataloader_num_workers=0,
            disable_tqdm=True,
        )
        trainer = Trainer(
            model=Regressor(),
            args=training_args,
            train_dataset=Rows(40, 0),
            eval_dataset=Rows(16, 1),
            callbacks=[LRVizCallback(Path(tmp) / "report"), truth],
        )
        trainer.train()
        traces = [
            lrviz.Trace.load(p) for p in sorted((Path(tmp) / "report" / "traces").glob("*.json*"))
        ]
    return Run(traces, truth, 3)


if __name__ == "__main__":
    from loops.words import all_words

    for trace in main().traces:
        print(*all_words(trace), sep="\n")
