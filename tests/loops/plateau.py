"""ReduceLROnPlateau on the validation loss, stepped once an epoch after evaluation
with ``scheduler.step(val_loss)`` (the torch docs' example)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

import lrviz
from loops.truth import Truth


@dataclass
class Run:
    trace: lrviz.Trace
    truth: Truth
    val_losses: list[float]


def main() -> Run:
    torch.manual_seed(10)
    x = torch.randn(64, 4)
    y = x @ torch.tensor([1.0, -1.0, 0.5, 0.0]) + 0.5 * torch.randn(64)
    x_val = torch.randn(32, 4)
    y_val = x_val @ torch.tensor([1.0, -1.0, 0.5, 0.0]) + 0.5 * torch.randn(32)
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.3)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="min", factor=0.5, patience=1
    )
    rec = lrviz.Recorder(optimizer, scheduler, label="plateau")
    truth = Truth()
    truth.watch_updates(optimizer)
    truth.watch_scheduler(scheduler, optimizer)
    val_losses = []
    for _epoch in range(15):
        for i in range(0, 64, 16):
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x[i : i + 16]).squeeze(-1), y[i : i + 16])
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            val_loss = torch.nn.functional.mse_loss(model(x_val).squeeze(-1), y_val)
        scheduler.step(val_loss)
        val_losses.append(val_loss.item())
        rec.log(train_loss=loss, val_loss=val_loss)
    return Run(rec.trace, truth, val_losses)


if __name__ == "__main__":
    from loops.words import all_words

    print(*all_words(main().trace), sep="\n")
