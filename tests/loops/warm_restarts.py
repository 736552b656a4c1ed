"""CosineAnnealingWarmRestarts stepped as its docstring shows:
``scheduler.step(epoch + i / iters)`` after every ``optimizer.step()``."""

from __future__ import annotations

from dataclasses import dataclass

import torch

import lrviz
from loops.truth import Truth


@dataclass
class Run:
    trace: lrviz.Trace
    truth: Truth


def main() -> Run:
    torch.manual_seed(4)
    x = torch.randn(40, 3)
    y = x.sum(dim=1)
    net = torch.nn.Linear(3, 1)
    criterion = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        optimizer, T_0=2, T_mult=2, eta_min=1e-4
    )
    rec = lrviz.Recorder(optimizer, scheduler, label="warm-restarts", every="step")
    truth = Truth()
    truth.watch_updates(optimizer)
    truth.watch_scheduler(scheduler, optimizer)
    dataloader = [(x[i : i + 8], y[i : i + 8]) for i in range(0, 40, 8)]
    iters = len(dataloader)
    for epoch in range(6):
        for i, (inputs, labels) in enumerate(dataloader):
            optimizer.zero_grad()
            outputs = net(inputs).squeeze(-1)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            scheduler.step(epoch + i / iters)
        rec.log(train_loss=loss)
    return Run(rec.trace, truth)


if __name__ == "__main__":
    from loops.words import all_words

    print(*all_words(main().trace), sep="\n")
