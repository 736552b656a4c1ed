"""Two Recorders on one scheduler: the user's own, and one a callback library made
(as a Lightning or HF callback does) for the same optimizer and StepLR."""

from __future__ import annotations

from dataclasses import dataclass

import torch

import lrviz
from loops.truth import Truth


@dataclass
class Run:
    mine: lrviz.Trace
    callback: lrviz.Trace
    truth: Truth


def main() -> Run:
    torch.manual_seed(13)
    x = torch.randn(32, 2)
    y = x[:, 0] - x[:, 1]
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    mine = lrviz.Recorder(optimizer, scheduler, label="mine")
    callback = lrviz.Recorder(optimizer, scheduler, label="callback")
    truth = Truth()
    truth.watch_updates(optimizer)
    truth.watch_scheduler(scheduler, optimizer)
    for _epoch in range(6):
        for i in range(0, 32, 8):
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x[i : i + 8]).squeeze(-1), y[i : i + 8])
            loss.backward()
            optimizer.step()
        scheduler.step()
        mine.log(train_loss=loss)
        callback.log(train_loss=loss)
    return Run(mine.trace, callback.trace, truth)


if __name__ == "__main__":
    from loops.words import all_words

    print(*all_words(main().callback), sep="\n")
