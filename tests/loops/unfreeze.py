"""Progressive unfreezing (ULMFiT, fine-tuning recipes): the head trains alone, then at
epoch ``unfreeze_at`` the backbone's parameters join through
``optimizer.add_param_group`` at a tenth of the rate; StepLR stepped once an epoch."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

import lrviz
from loops.truth import Truth

EPOCHS, UNFREEZE_AT = 8, 3


@dataclass
class Run:
    trace: lrviz.Trace
    loaded: lrviz.Trace
    truth: Truth


def main() -> Run:
    torch.manual_seed(12)
    x = torch.randn(48, 4)
    y = (x @ torch.tensor([1.0, -2.0, 0.5, 1.5])).tanh()
    backbone = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh())
    head = torch.nn.Linear(8, 1)
    for p in backbone.parameters():
        p.requires_grad = False
    optimizer = torch.optim.SGD(head.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    rec = lrviz.Recorder(optimizer, scheduler, label="unfreeze")
    truth = Truth()
    truth.watch_updates(optimizer)
    truth.watch_scheduler(scheduler, optimizer)
    for epoch in range(EPOCHS):
        if epoch == UNFREEZE_AT:
            for p in backbone.parameters():
                p.requires_grad = True
            optimizer.add_param_group(
                {"params": backbone.parameters(), "lr": optimizer.param_groups[0]["lr"] / 10}
            )
        for i in range(0, 48, 12):
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(
                head(backbone(x[i : i + 12])).squeeze(-1), y[i : i + 12]
            )
            loss.backward()
            optimizer.step()
        scheduler.step()
        rec.log(train_loss=loss)
    trace = rec.trace
    with tempfile.TemporaryDirectory() as tmp:
        trace.save(Path(tmp) / "unfreeze.json")
        loaded = lrviz.Trace.load(Path(tmp) / "unfreeze.json")
    return Run(trace, loaded, truth)


if __name__ == "__main__":
    from loops.words import all_words

    print(*all_words(main().trace), sep="\n")
