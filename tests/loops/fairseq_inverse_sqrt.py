"""fairseq's inverse_sqrt schedule (fairseq/optim/lr_scheduler/inverse_square_root_schedule.py)
as a LambdaLR closure: a linear warm-up from ``warmup_init_lr`` to ``lr`` over
``warmup_updates``, then ``lr * sqrt(warmup_updates) / sqrt(num_updates)``; Adam, and
``--update-freq 2`` (two micro-batches accumulated per update, the scheduler stepped
once per update, as fairseq's ``step_update``)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

import lrviz
from loops.truth import Truth

lr = 5e-4
warmup_updates = 8
warmup_init_lr = 1e-7
update_freq = 2
max_update = 40


@dataclass
class Run:
    trace: lrviz.Trace
    truth: Truth


def main() -> Run:
    torch.manual_seed(1)
    x = torch.randn(2 * max_update * update_freq, 5)
    y = x @ torch.randn(5)
    model = torch.nn.Linear(5, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-8)

    lr_step = (lr - warmup_init_lr) / warmup_updates
    decay_factor = lr * warmup_updates**0.5

    def inverse_sqrt(num_updates: int) -> float:
        if num_updates < warmup_updates:
            return (warmup_init_lr + num_updates * lr_step) / lr
        return decay_factor * num_updates**-0.5 / lr

    lr_scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=inverse_sqrt)
    rec = lrviz.Recorder(optimizer, lr_scheduler, label="inverse-sqrt", every="step")
    truth = Truth(micro_batches=update_freq)
    truth.watch_updates(optimizer)
    truth.watch_scheduler(lr_scheduler, optimizer)
    num_updates = 0
    for i in range(max_update * update_freq):
        loss = torch.nn.functional.mse_loss(
            model(x[2 * i : 2 * i + 2]).squeeze(-1), y[2 * i : 2 * i + 2]
        )
        (loss / update_freq).backward()
        if (i + 1) % update_freq == 0:
            optimizer.step()
            optimizer.zero_grad()
            num_updates += 1
            lr_scheduler.step()
        if (i + 1) % (10 * update_freq) == 0:
            rec.log(train_loss=loss)
    return Run(rec.trace, truth)


if __name__ == "__main__":
    from loops.words import all_words

    print(*all_words(main().trace), sep="\n")
