"""Mixed precision as torch's AMP recipe writes it (``autocast`` + ``GradScaler``: scale,
backward, ``scaler.step(optimizer)``, ``scaler.update()``), with NaN in some batches:
GradScaler finds non-finite gradients and skips ``optimizer.step()`` for those batches,
while the loop steps its per-batch scheduler anyway. No gradient accumulation."""

from __future__ import annotations

from dataclasses import dataclass

import torch

import lrviz
from loops.truth import Truth

EPOCHS, BATCHES = 4, 10


@dataclass
class Run:
    trace: lrviz.Trace
    truth: Truth
    nan_batches: list[int]


def main(nan_every: tuple[int, ...] = (0, 1, 2), of: int = 5) -> Run:
    """Batches ``i`` with ``i % of in nan_every`` hold a NaN (default: 24 of 40)."""
    torch.manual_seed(6)
    x = torch.randn(EPOCHS * BATCHES * 4, 4)
    y = x @ torch.tensor([1.0, 2.0, -1.0, 0.5])
    nan_batches = [i for i in range(EPOCHS * BATCHES) if i % of in nan_every]
    for i in nan_batches:
        x[4 * i, 0] = float("nan")
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS * BATCHES)
    scaler = torch.amp.GradScaler("cpu")
    rec = lrviz.Recorder(optimizer, scheduler, label="amp", every="step")
    truth = Truth()
    truth.watch_updates(optimizer)
    truth.watch_scheduler(scheduler, optimizer)
    i = 0
    for _epoch in range(EPOCHS):
        for _batch in range(BATCHES):
            rows = slice(4 * i, 4 * i + 4)
            optimizer.zero_grad()
            with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
                output = model(x[rows]).squeeze(-1)
                loss = torch.nn.functional.mse_loss(output.float(), y[rows])
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            i += 1
        rec.log(train_loss=loss)
    truth.skipped = EPOCHS * BATCHES - len(truth.used)
    return Run(rec.trace, truth, nan_batches)


if __name__ == "__main__":
    from loops.words import all_words

    print(*all_words(main().trace), sep="\n")
