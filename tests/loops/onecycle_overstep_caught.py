"""A loop that runs longer than its OneCycleLR (``total_steps=20``, 25 batches) and
catches torch's "Tried to step N times" ValueError to go on at the last rate, as some
repositories do instead of sizing the schedule."""

from __future__ import annotations

from dataclasses import dataclass

import torch

import lrviz
from loops.truth import Truth

TOTAL_STEPS, BATCHES = 20, 25


@dataclass
class Run:
    recorder: lrviz.Recorder
    truth: Truth
    errors: list[str]


def main() -> Run:
    torch.manual_seed(11)
    x = torch.randn(BATCHES * 4, 3)
    y = x @ torch.tensor([1.0, -1.0, 2.0])
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=TOTAL_STEPS)
    rec = lrviz.Recorder(optimizer, scheduler, label="one-cycle-caught", every="step")
    truth = Truth()
    truth.watch_updates(optimizer)
    truth.watch_scheduler(scheduler, optimizer)
    errors = []
    for i in range(BATCHES):
        loss = torch.nn.functional.mse_loss(
            model(x[4 * i : 4 * i + 4]).squeeze(-1), y[4 * i : 4 * i + 4]
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        try:
            scheduler.step()
        except (
            ValueError
        ) as exc:  # "Tried to step 21 times. The specified number of total steps is 20"
            errors.append(str(exc))
        if (i + 1) % 5 == 0:
            rec.log(train_loss=loss)
    return Run(rec, truth, errors)


if __name__ == "__main__":
    from loops.words import all_words

    print(*all_words(main().recorder.trace), sep="\n")
