"""A Recorder made mid-run: the loop trained 4 epochs with its MultiStepLR before the
recording started (a callback attached late, a notebook cell run again), then goes on."""

from __future__ import annotations

from dataclasses import dataclass

import torch

import lrviz
from loops.truth import Truth

BEFORE, AFTER = 4, 6


@dataclass
class Run:
    trace: lrviz.Trace
    truth: Truth


def main() -> Run:
    torch.manual_seed(14)
    x = torch.randn(32, 3)
    y = x.sum(dim=1)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[3, 6, 8], gamma=0.1)

    def one_epoch() -> float:
        for i in range(0, 32, 8):
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x[i : i + 8]).squeeze(-1), y[i : i + 8])
            loss.backward()
            optimizer.step()
        return loss.item()

    for _epoch in range(BEFORE):
        one_epoch()
        scheduler.step()
    rec = lrviz.Recorder(optimizer, scheduler, label="mid-run")
    truth = Truth()
    truth.watch_updates(optimizer)
    truth.watch_scheduler(scheduler, optimizer)
    for _epoch in range(BEFORE, BEFORE + AFTER):
        train_loss = one_epoch()
        scheduler.step()
        rec.log(train_loss=train_loss)
    return Run(rec.trace, truth)


if __name__ == "__main__":
    from loops.words import all_words

    print(*all_words(main().trace), sep="\n")
