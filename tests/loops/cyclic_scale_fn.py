"""CyclicLR as torch documents it (``base_lr=0.01, max_lr=0.1, step_size_up=10``,
stepped after every batch), with a custom ``scale_fn`` (the half-sine amplitude of the
CLR paper's Keras code, ``scale_mode="cycle"``); SGD with momentum, which CyclicLR
cycles too."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

import lrviz
from loops.truth import Truth


@dataclass
class Run:
    trace: lrviz.Trace
    truth: Truth


def main() -> Run:
    torch.manual_seed(3)
    x = torch.randn(80, 4)
    y = x @ torch.tensor([1.0, -2.0, 3.0, 0.5])
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scale_fn = lambda x: 0.5 * (1 + math.sin(x * math.pi / 2.0))  # noqa: E731
    scheduler = torch.optim.lr_scheduler.CyclicLR(
        optimizer, base_lr=0.01, max_lr=0.1, step_size_up=10, scale_fn=scale_fn, scale_mode="cycle"
    )
    rec = lrviz.Recorder(optimizer, scheduler, label="cyclic-scale-fn", every="step")
    truth = Truth()
    truth.watch_updates(optimizer)
    truth.watch_scheduler(scheduler, optimizer)
    for _epoch in range(5):
        for batch in range(10):
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
