"""A mistake seen in many repositories: OneCycleLR built for ``epochs=5,
steps_per_epoch=10`` (a per-batch schedule of 50 steps) but stepped once an epoch,
after the epoch's 10 updates, as one steps a StepLR: it covers 5 of its 50 steps."""

from __future__ import annotations

from dataclasses import dataclass

import torch

import lrviz
from loops.truth import Truth

EPOCHS, STEPS_PER_EPOCH = 5, 10


@dataclass
class Run:
    trace: lrviz.Trace
    truth: Truth


def main() -> Run:
    torch.manual_seed(9)
    x = torch.randn(STEPS_PER_EPOCH * 8, 4)
    y = x @ torch.tensor([1.0, 1.0, -1.0, 0.0])
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=0.1, epochs=EPOCHS, steps_per_epoch=STEPS_PER_EPOCH
    )
    rec = lrviz.Recorder(optimizer, scheduler, label="one-cycle-per-epoch")
    truth = Truth()
    truth.watch_updates(optimizer)
    truth.watch_scheduler(scheduler, optimizer)
    for _epoch in range(EPOCHS):
        for batch in range(STEPS_PER_EPOCH):
            rows = slice(8 * batch, 8 * batch + 8)
            loss = torch.nn.functional.mse_loss(model(x[rows]).squeeze(-1), y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        rec.log(train_loss=loss)
    return Run(rec.trace, truth)


if __name__ == "__main__":
    from loops.words import all_words

    print(*all_words(main().trace), sep="\n")
