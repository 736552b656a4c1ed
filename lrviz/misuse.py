"""Misuse of a schedule in the training loop, read from a trace: what no parameter check
can see, because it is in how the loop steps the scheduler and the optimizer.

* a per-batch schedule (OneCycleLR, CyclicLR) stepped once per epoch: its horizon counts
  optimizer steps, so the cycle is stretched over as many epochs;
* optimizer updates that did not happen before a scheduler step, told apart by their
  pattern: every one (AMP's GradScaler skipping every update after inf or NaN gradients,
  or no ``optimizer.step()``), one at every n-th step (a scheduler stepped at every
  micro-batch of gradient accumulation: only real updates should count), or some
  (skipped by AMP, or several scheduler steps per update: the message lists both). A
  ``step(0)`` before the first epoch's updates (torch's pre-1.1 idiom of stepping with
  the epoch at the top of each epoch) is none of these;
* the scheduler stepped before the optimizer in each step (what that warning is about):
  every update used the next step's rate, and the first rate was never used;
* a warm-up whose first optimizer update ran at rate 0, which that update wastes.

Pure functions of a trace, like :mod:`lrviz.pitfalls`, which reports them with the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

from lrviz import schedules
from lrviz.schedules.base import Pitfall, position
from lrviz.text import count, number, some
from lrviz.trace import Trace


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
    total = trace.params.get("total_steps")
    covered = (
        f", covering {trace.step_count} of its {total} steps ({trace.step_count / total:.0%}),"
        if isinstance(total, int) and total > 0
        else ""
    )
    if busy:
        return [
            Pitfall(
                f"{trace.name} is a per-batch schedule, but it was stepped once per "
                f"epoch{covered} while "
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


def epochs_passed(trace: Trace) -> set[int]:
    """The steps whose scheduler was given an epoch, as torch's count shows: it did not go
    up by one (a fraction, a jump, or ``step(0)`` first: torch before 1.1 stepped at the top
    of each epoch with the epoch number)."""
    counts = [position(c) for c in trace.state_column("last_epoch")] if trace.step_count else []
    out = set()
    for k, t in enumerate(counts, start=1):
        if t is None:
            continue
        previous = counts[k - 2] if k > 1 else None
        if not float(t).is_integer() or t < 1 or (previous is not None and t != previous + 1):
            out.add(k)
    return out


def _starts_with_epoch_zero(trace: Trace) -> bool:
    """The loop's first scheduler step was ``step(0)``, before any update: the scheduler is
    stepped with the epoch at the top of each epoch, and every epoch's updates use the rate
    torch's closed form gives that epoch."""
    counts = trace.state_column("last_epoch") if trace.step_count else []
    return bool(counts) and position(counts[0]) == 0  # a plain step() counts from 1


def _missing_updates(trace: Trace) -> list[Pitfall]:
    if trace.steps is None or trace.steps.early:
        return []
    updates = trace.updates()
    unscheduled = set(trace.steps.unscheduled)
    scheduled = [k for k in range(1, len(updates) + 1) if k not in unscheduled]
    missing = [k for k in scheduled if updates[k - 1] == 0]
    if missing[:1] == [1] and _starts_with_epoch_zero(trace):
        missing = missing[1:]  # step(0) before the first epoch's updates: torch's old idiom
    if not missing:
        return []
    where = some([f"step {k}" for k in missing], 5, ", ")
    n, of = len(missing), len(scheduled)
    given = len(epochs_passed(trace).intersection(missing))
    passed = f"; an epoch was passed to step() at {given} of them" if given else ""
    if n == of:
        return [
            Pitfall(
                f"none of the {count(of, 'scheduler step')} had an optimizer update before it: "
                "every update was skipped (AMP's GradScaler skips an update whose gradients "
                "hold inf or NaN) or optimizer.step() was never called, and the schedule "
                f"advanced anyway{passed}",
                where,
            )
        ]
    every = _period(updates, scheduled)
    if every is not None:
        return [
            Pitfall(
                f"the scheduler stepped {every} times per optimizer update: {n} of "
                f"{count(of, 'scheduler step')} had no update before them, an update at every "
                f"{_ordinal(every)} step (gradient accumulation over {every} micro-batches?). "
                "Only real updates should count: call scheduler.step() after "
                f"optimizer.step(), not after every micro-batch{passed}",
                where,
            )
        ]
    return [
        Pitfall(
            f"{n} of {count(of, 'scheduler step')} had no optimizer update before them: the "
            "updates were skipped (AMP's GradScaler skips one whose gradients hold inf or "
            "NaN), or the loop steps its scheduler more often than its optimizer; the "
            f"schedule advanced anyway{passed}. With AMP, torch's warning "
            "'lr_scheduler.step() before optimizer.step()' then fires, but the order is right",
            where,
        )
    ]


def _period(updates: Sequence[int], scheduled: Sequence[int]) -> int | None:
    """n when exactly every n-th scheduler step (n >= 2) had one update before it and the
    rest none: a scheduler stepped per micro-batch of gradient accumulation."""
    if any(updates[k - 1] > 1 for k in scheduled):
        return None
    at = [i for i, k in enumerate(scheduled, start=1) if updates[k - 1] == 1]
    gaps = {b - a for a, b in zip([0, *at], at, strict=False)}
    if len(at) < 2 or len(gaps) != 1:
        return None
    (every,) = gaps
    return every if every >= 2 and len(scheduled) - at[-1] < every else None


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _early(trace: Trace) -> list[Pitfall]:
    if trace.steps is None or not trace.steps.early or _starts_with_epoch_zero(trace):
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
    """A warm-up from 0: the first update that ran did so at rate 0, at the schedule's
    start (a run recorded mid-way may start at a trough of a cycle, no warm-up)."""
    updates = trace.updates()
    first = next((k for k, n in enumerate(updates) if n > 0), None)
    counts = trace.state_column("last_epoch") if trace.step_count else []
    if first is None or (counts and position(counts[0]) not in (None, 0, 1)):
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
