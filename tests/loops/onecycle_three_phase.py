"""OneCycleLR per batch, as its docstring shows, with ``three_phase=True`` and
``anneal_strategy="linear"`` (fastai's schedule), stepped exactly ``total_steps`` times:
torch's last step extrapolates the annihilation phase one step past its end, so the
optimizer holds a negative rate after the loop, which no update used."""

from __future__ import annotations

from dataclasses import dataclass

import torch

import lrviz
from loops.truth import Truth

EPOCHS, STEPS_PER_EPOCH = 4, 8


@dataclass
class Run:
    trace: lrviz.Trace
    truth: Truth
    final: tuple[float, ...]


def main() -> Run:
    torch.manual_seed(8)
    x = torch.randn(STEPS_PER_EPOCH * 8, 4)
    y = x @ torch.tensor([0.3, -0.7, 1.1, 0.2])
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=0.01,
        steps_per_epoch=STEPS_PER_EPOCH,
        epochs=EPOCHS,
        three_phase=True,
        anneal_strategy="linear",
    )
    rec = lrviz.Recorder(optimizer, scheduler, label="one-cycle-3", every="step")
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
    final = tuple(float(g["lr"]) for g in optimizer.param_groups)
    return Run(rec.trace, truth, final)


if __name__ == "__main__":
    from loops.words import all_words

    print(*all_words(main().trace), sep="\n")
