"""The pre-1.1 idiom still in many repositories: ``scheduler.step(epoch)`` at the top of
each epoch, before that epoch's training (StepLR, step_size 3, gamma 0.1)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

import lrviz
from loops.truth import Truth


@dataclass
class Run:
    trace: lrviz.Trace
    truth: Truth
    batches: int


def train(
    model: torch.nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor
) -> float:
    for i in range(0, len(x), 10):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x[i : i + 10]).squeeze(-1), y[i : i + 10])
        loss.backward()
        optimizer.step()
    return loss.item()


def main() -> Run:
    torch.manual_seed(5)
    x = torch.randn(40, 3)
    y = x @ torch.tensor([0.5, -1.0, 2.0])
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.1)
    rec = lrviz.Recorder(optimizer, scheduler, label="legacy")
    truth = Truth()
    truth.watch_updates(optimizer)
    truth.watch_scheduler(scheduler, optimizer)
    for epoch in range(10):
        scheduler.step(epoch)
        train_loss = train(model, optimizer, x, y)
        rec.log(train_loss=train_loss)
    return Run(rec.trace, truth, 4)


if __name__ == "__main__":
    from loops.words import all_words

    print(*all_words(main().trace), sep="\n")
