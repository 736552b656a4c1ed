"""Gradient accumulation as the HF and timm scripts write it: the loss divided by
``accumulation_steps``, ``optimizer.step()`` every ``accumulation_steps`` micro-batches,
and the per-update scheduler stepped right after it. ``per_micro_batch=True`` is the
common mistake: ``scheduler.step()`` at every micro-batch."""

from __future__ import annotations

from dataclasses import dataclass

import torch

import lrviz
from loops.truth import Truth

accumulation_steps = 4
EPOCHS, MICRO_BATCHES = 6, 16


@dataclass
class Run:
    trace: lrviz.Trace
    truth: Truth
    per_micro_batch: bool


def main(per_micro_batch: bool = False) -> Run:
    torch.manual_seed(7)
    x = torch.randn(MICRO_BATCHES * 4, 4)
    y = x @ torch.tensor([1.0, 0.0, -1.0, 2.0])
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    updates = EPOCHS * MICRO_BATCHES // accumulation_steps
    horizon = updates * accumulation_steps if per_micro_batch else updates
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=horizon, eta_min=1e-5)
    rec = lrviz.Recorder(optimizer, scheduler, label="accumulation", every="step")
    truth = Truth(micro_batches=accumulation_steps)
    truth.watch_updates(optimizer)
    truth.watch_scheduler(scheduler, optimizer)
    for _epoch in range(EPOCHS):
        for step in range(MICRO_BATCHES):
            rows = slice(4 * step, 4 * step + 4)
            loss = torch.nn.functional.mse_loss(model(x[rows]).squeeze(-1), y[rows])
            (loss / accumulation_steps).backward()
            if (step + 1) % accumulation_steps == 0:
                optimizer.step()
                optimizer.zero_grad()
                if not per_micro_batch:
                    scheduler.step()
            if per_micro_batch:
                scheduler.step()
        with torch.no_grad():
            val_loss = torch.nn.functional.mse_loss(model(x).squeeze(-1), y)
        rec.log(train_loss=loss, val_loss=val_loss)
    return Run(rec.trace, truth, per_micro_batch)


if __name__ == "__main__":
    from loops.words import all_words

    print(*all_words(main().trace), sep="\n")
