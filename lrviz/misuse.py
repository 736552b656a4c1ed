"""Misuse of a schedule in the training loop, read from a trace: what no parameter check
can see, because it is in how the loop steps the scheduler and the optimizer.

* a per-batch schedule (OneCycleLR, CyclicLR) stepped once per epoch: its horizon counts
  optimizer steps, so the cycle is stretched over as many epochs;
* optimizer updates that did not happen before a scheduler step: skipped by AMP's
  GradScaler after inf gradients (the schedule advanced anyway, and torch's
  "lr_scheduler.step() before optimizer.step()" warning then fires, wrongly), or a
  scheduler stepped at every micro-batch of gradient accumulation (only real updates
  should count);
* the scheduler stepped before the optimizer in each step (what that warning is about):
  every update used the next step's rate, and the first rate was never used;
* a warm-up whose first optimizer update ran at rate 0, which that update wastes.

Pure functions of a trace, like :mod:`lrviz.pitfalls`, which reports them with the rest.
"""

from __future__ import annotations

from lrviz import schedules
from lrviz.schedules.base import Pitfall
from lrviz.text import count, number, some
from lrviz.trace import Trace

ACCUMULATION = 0.5
"""When more than this share of scheduler steps had no update before them, the loop steps
its scheduler per micro-batch (gradient accumulation) rather than losing updates to AMP."""


def find(trace: Trace) -> list[Pitfall]:
    """The misuses a trace shows."""
    return [*_per_epoch(trace), *_missing_updates(trace), *_early(trace), *_rate_zero(trace)]


def _per_epoch(trace: Trace) -> list[Pitfall]:
    kind = schedules.kind_of(trace)
    if kind is None or not kind.per_batch or trace.per_step:
        return []
    updates = trace.updates()
    busy = [u for u in updates if u > 1]
    per_epoch = trace.params.get("steps_per_epoch")
    if busy:
        return [
            Pitfall(
                f"{trace.name} is a per-batch schedule, but it was stepped once per epoch while "
                f"each epoch made {some([str(u) for u in sorted(set(busy))], 3, ', ')} optimizer "
                "updates: its steps count batches, so the schedule is stretched over that many "
                "epochs; call scheduler.step() after every optimizer.step() (Lightning: "
                "interval 'step')"
            )
        ]
    if isinstance(per_epoch, int) and per_epoch > 1:
        return [
            Pitfall(
                f"{trace.name} is set for {per_epoch} steps per epoch (steps_per_epoch), but it "
                f"was stepped {count(trace.step_count, 'time')}, once per epoch: step it after "
                "every batch (lrviz simulate --steps-per-epoch)"
            )
        ]
    return []


def _missing_updates(trace: Trace) -> list[Pitfall]:
    if trace.steps is None or trace.steps.early:
        return []
    missing = sorted(step for step, n in trace.steps.updates.items() if n == 0)
    if not missing:
        return []
    where = some([f"step {k}" for k in missing], 5, ", ")
    scheduled = trace.step_count - len(trace.steps.unscheduled)
    if len(missing) > ACCUMULATION * scheduled:
        per_update = scheduled / max(1, scheduled - len(missing))
        return [
            Pitfall(
                f"the scheduler stepped {number(per_update)} times per optimizer update: "
                f"{count(len(missing), 'scheduler step')} had no update before them. With "
                "gradient accumulation only real updates should count: call "
                "scheduler.step() after optimizer.step(), not after every micro-batch",
                where,
            )
        ]
    return [
        Pitfall(
            f"{count(len(missing), 'scheduler step')} had no optimizer update before them: "
            "the updates were skipped (AMP's GradScaler skips one after inf gradients) and "
            "the schedule advanced anyway. Torch's warning 'lr_scheduler.step() before "
            "optimizer.step()' then fires, but the order is right",
            where,
        )
    ]


def _early(trace: Trace) -> list[Pitfall]:
    if trace.steps is None or not trace.steps.early:
        return []
    first = ", ".join(number(r) for r in trace.initial_lr)
    return [
        Pitfall(
            "the scheduler is stepped before the optimizer: every update used the rate of "
            f"the step after it, and the first rate ({first}) was never used; call "
            "optimizer.step() before scheduler.step()"
        )
    ]


def _rate_zero(trace: Trace) -> list[Pitfall]:
    """A warm-up from 0: the first update that ran did so at rate 0."""
    updates = trace.updates()
    first = next((k for k, n in enumerate(updates) if n > 0), None)
    if first is None:
        return []
    shift = 1 if trace.steps is not None and trace.steps.early else 0
    out = []
    for group in range(trace.groups):
        rates = trace.rates(group)
        used = rates[first + shift]
        if used == 0 and any(r > 0 for r in rates):
            which = f" of group {group}" if trace.groups > 1 else ""
            out.append(
                Pitfall(
                    f"the first optimizer update{which} ran at rate 0, so it changed nothing: "
                    "a warm-up that starts at 0 wastes its first step; start it above 0"
                )
            )
    return out
