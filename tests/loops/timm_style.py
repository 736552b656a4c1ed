"""timm's train.py: a scheduler of its own (timm.scheduler.CosineLRScheduler's shape:
``_get_lr(t)`` with a linear warm-up of ``warmup_t`` updates, then cosine to ``lr_min``)
that writes the rate into the param groups itself, through ``step_update(num_updates)``
after every optimizer update and ``step(epoch)`` at every epoch end (a no-op when it
counts updates, ``t_in_epochs=False``). No torch scheduler: rates set by the loop's
own code, recorded with ``Recorder(optimizer, None)`` and ``rec.step()`` per update."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

import lrviz
from loops.truth import Truth


class CosineLRScheduler:
    """timm's cosine schedule, counted in updates (t_in_epochs=False)."""

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        t_initial: int,
        lr_min: float,
        warmup_t: int,
        warmup_lr_init: float,
    ) -> None:
        self.optimizer = optimizer
        self.t_initial = t_initial
        self.lr_min = lr_min
        self.warmup_t = warmup_t
        self.warmup_lr_init = warmup_lr_init
        self.t_in_epochs = False
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_values = [group["initial_lr"] for group in optimizer.param_groups]
        self.warmup_steps = [(v - warmup_lr_init) / warmup_t for v in self.base_values]
        self.update_groups([warmup_lr_init] * len(self.base_values))

    def _get_lr(self, t: int) -> list[float]:
        if t < self.warmup_t:
            return [self.warmup_lr_init + t * s for s in self.warmup_steps]
        t = t - self.warmup_t
        return [
            self.lr_min
            + 0.5 * (lr_max - self.lr_min) * (1 + math.cos(math.pi * t / self.t_initial))
            for lr_max in self.base_values
        ]

    def step(self, epoch: int, metric: float | None = None) -> None:
        if self.t_in_epochs:
            self.update_groups(self._get_lr(epoch))

    def step_update(self, num_updates: int, metric: float | None = None) -> None:
        if not self.t_in_epochs:
            self.update_groups(self._get_lr(num_updates))

    def update_groups(self, values: list[float]) -> None:
        for param_group, value in zip(self.optimizer.param_groups, values, strict=True):
            param_group["lr"] = value


@dataclass
class Run:
    trace: lrviz.Trace
    truth: Truth
    warmup_t: int
    lr: float
    lr_min: float


def main() -> Run:
    torch.manual_seed(42)
    x = torch.randn(64, 6)
    y = x @ torch.randn(6)
    model = torch.nn.Linear(6, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    num_epochs, updates_per_epoch, warmup_t = 5, 8, 5
    lr_scheduler = CosineLRScheduler(
        optimizer,
        t_initial=num_epochs * updates_per_epoch - warmup_t,
        lr_min=1e-5,
        warmup_t=warmup_t,
        warmup_lr_init=1e-5,
    )
    rec = lrviz.Recorder(optimizer, None, label="timm-cosine", every="step")
    truth = Truth()
    truth.watch_updates(optimizer)
    num_updates = 0
    for epoch in range(num_epochs):
        for batch_idx in range(updates_per_epoch):
            rows = slice(8 * batch_idx, 8 * batch_idx + 8)
            loss = torch.nn.functional.mse_loss(model(x[rows]).squeeze(-1), y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            rec.step()
            num_updates += 1
            lr_scheduler.step_update(num_updates=num_updates)
            truth.by_hand.append(num_updates)
        lr_scheduler.step(epoch + 1)
        rec.log(train_loss=loss)
    return Run(rec.trace, truth, warmup_t, 1e-3, 1e-5)


if __name__ == "__main__":
    from loops.words import all_words

    print(*all_words(main().trace), sep="\n")
