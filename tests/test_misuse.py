"""Misuse of a schedule in the loop, caught from what was recorded (or simulated): each
check fires on the loop that makes the mistake and stays silent on the loop that does not."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch

import lrviz
from lrviz import misuse
from lrviz.optim import Adam
from lrviz.pitfalls import find


def messages(trace: lrviz.Trace) -> list[str]:
    return [p.message for p in misuse.find(trace)]


def loop(
    make: Callable[[Any], Any],
    steps: int = 12,
    update: Callable[[int], bool] = lambda k: True,
    scheduler_first: bool = False,
    every: str = "step",
) -> lrviz.Trace:
    """A loop of one's own on a rate holder: ``update(k)`` says whether step k's optimizer
    update happens (AMP skips some; accumulation does only every n-th)."""
    optimizer = Adam([], [0.1, 0.01])
    scheduler = make(optimizer)
    rec = lrviz.Recorder(optimizer, scheduler, every=every)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's order warning, checked apart
        for k in range(1, steps + 1):
            if scheduler_first:
                scheduler.step()
            if update(k):
                optimizer.step()
            if not scheduler_first:
                scheduler.step()
    rec.log()
    return rec.trace


def linear(optimizer: Any) -> Any:
    return torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=8)


def test_a_right_loop_shows_no_misuse() -> None:
    assert messages(loop(linear)) == []


def test_updates_skipped_by_amp() -> None:
    trace = loop(linear, update=lambda k: k not in (1, 2, 7))
    (pitfall,) = misuse.find(trace)
    assert pitfall.message.startswith(
        "3 of 12 scheduler steps had no optimizer update before them: the updates were "
        "skipped (AMP's GradScaler skips one whose gradients hold inf or NaN), or the loop "
        "steps its scheduler more often than its optimizer"
    )
    assert "the order is right" in pitfall.message and "accumulation" not in pitfall.message
    assert pitfall.detail == "step 1, step 2, step 7"


def test_amp_skipping_most_updates_is_not_called_accumulation() -> None:
    """24 of 40 updates skipped at no regular interval (a NaN in some batches)."""
    trace = loop(linear, steps=40, update=lambda k: k % 5 in (1, 3))
    (pitfall,) = misuse.find(trace)
    assert pitfall.message.startswith("24 of 40 scheduler steps had no optimizer update")
    assert "accumulation" not in pitfall.message and "micro-batch" not in pitfall.message


def test_amp_skipping_every_update() -> None:
    """A NaN in the data: GradScaler skips every update, no accumulation anywhere."""
    trace = loop(linear, update=lambda k: False)
    assert messages(trace) == [
        "none of the 12 scheduler steps had an optimizer update before it: every update was "
        "skipped (AMP's GradScaler skips an update whose gradients hold inf or NaN) or "
        "optimizer.step() was never called, and the schedule advanced anyway"
    ]


@pytest.mark.parametrize("updates", [lambda epoch: 1, lambda epoch: 1 + epoch % 2])
def test_an_epoch_passed_to_step_at_the_top_of_each_epoch_is_no_misuse(
    updates: Callable[[int], int],
) -> None:
    """torch < 1.1: ``scheduler.step(epoch)`` before the epoch's updates; nothing skipped,
    and every epoch trains at the rate torch's closed form gives it."""
    optimizer = Adam([], [0.1])
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2)
    rec = lrviz.Recorder(optimizer, scheduler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch deprecates the epoch argument
        for epoch in range(6):
            scheduler.step(epoch)
            for _ in range(updates(epoch)):
                optimizer.step()
            rec.log()
    assert messages(rec.trace) == []


def test_a_scheduler_stepped_per_micro_batch() -> None:
    trace = loop(linear, steps=16, update=lambda k: k % 4 == 0)
    (pitfall,) = misuse.find(trace)
    assert pitfall.message.startswith(
        "the scheduler stepped 4 times per optimizer update: 12 of 16 scheduler steps had no "
        "update before them, an update at every 4th step (gradient accumulation over 4 "
        "micro-batches?)"
    )
    assert "GradScaler" not in pitfall.message


def test_a_scheduler_stepped_before_its_optimizer() -> None:
    trace = loop(linear, scheduler_first=True)
    assert messages(trace) == [
        "the scheduler is stepped before the optimizer: every update used the rate of the step "
        "after it, and the first rate (0.01, 0.001) was never used; call optimizer.step() "
        "before scheduler.step()"
    ]


def warmup(step: int, warmup: int) -> float:
    return min(1.0, step / warmup)


def test_a_warm_up_whose_first_update_runs_at_zero() -> None:
    schedule = functools.partial(warmup, warmup=4)
    trace = loop(lambda o: torch.optim.lr_scheduler.LambdaLR(o, schedule))
    assert messages(trace) == [
        "the first optimizer update of group 0 ran at rate 0, so it changed nothing: a warm-up "
        "that starts at 0 wastes its first step; start it above 0",
        "the first optimizer update of group 1 ran at rate 0, so it changed nothing: a warm-up "
        "that starts at 0 wastes its first step; start it above 0",
    ]
    # Stepped first, the loop never used the 0: no warning about it.
    assert not any(
        "rate 0" in m
        for m in messages(
            loop(lambda o: torch.optim.lr_scheduler.LambdaLR(o, schedule), scheduler_first=True)
        )
    )


def test_a_per_batch_schedule_stepped_per_epoch() -> None:
    optimizer = Adam([], [0.1])
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=40)
    rec = lrviz.Recorder(optimizer, scheduler)
    for _ in range(4):
        for _ in range(10):
            optimizer.step()
        scheduler.step()  # Lightning's default interval: "epoch"
        rec.log()
    trace = rec.trace
    assert not trace.per_step and [e.updates for e in trace.epochs] == [10] * 4
    assert messages(trace)[0].startswith(
        "OneCycleLR is a per-batch schedule, but it was stepped once per epoch, covering 4 of "
        "its 40 steps (10%), while each epoch made 10 optimizer updates"
    )
    # The cut-short cycle is said once, with its share, not the cause a second time.
    assert find(trace)[0].message == (
        "OneCycleLR total_steps=40 is longer than the 4 epochs it runs, covering 4 of its 40 "
        "steps (10%): the cycle is cut short and the rate never anneals to its minimum"
    )


def test_a_one_cycle_of_epochs_and_steps_per_epoch_stepped_once_an_epoch() -> None:
    """Built for 5 epochs of 10 batches, stepped once an epoch: 5 of its 50 steps ran."""
    optimizer = Adam([], [0.1])
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=0.1, epochs=5, steps_per_epoch=10
    )
    rec = lrviz.Recorder(optimizer, scheduler)
    for _ in range(5):
        optimizer.step()
        scheduler.step()
        rec.log()
    assert [p.message for p in find(rec.trace)] == [
        "OneCycleLR is a per-batch schedule (total_steps=50) stepped once per epoch, covering "
        "5 of its 50 steps (10%): the cycle is cut short and the rate never anneals to its "
        "minimum; step it after every optimizer step"
    ]


def test_a_simulated_one_cycle_set_per_batch_but_stepped_per_epoch() -> None:
    flat = lrviz.simulate("onecycle:epochs=10,steps_per_epoch=5", epochs=10)
    assert any("set for 5 steps per epoch" in m for m in messages(flat))
    right = lrviz.simulate("onecycle:epochs=10,steps_per_epoch=5", epochs=10, steps_per_epoch=5)
    assert messages(right) == [] and [p.message for p in find(right)] == []


@pytest.mark.parametrize("milestone", [10, 12])
def test_a_sequential_milestone_at_or_past_the_end(milestone: int) -> None:
    trace = lrviz.simulate(
        f"SequentialLR:schedulers=['linear','cosine'],milestones=[{milestone}]", epochs=10
    )
    assert [p.message for p in find(trace)] == [
        f"SequentialLR milestone {milestone} is at or after epoch 10, the last it runs: "
        "schedule 2 of 2, CosineAnnealingLR, never runs"
    ]


def test_a_sequential_milestone_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="milestones must be a list of whole epochs >= 1"):
        lrviz.simulate("SequentialLR:schedulers=['linear','cosine'],milestones=[0]", epochs=10)


def test_onecycle_past_its_total_steps_is_refused_before_any_work() -> None:
    with pytest.raises(ValueError) as caught:
        lrviz.simulate("onecycle:total_steps=40", epochs=5, steps_per_epoch=10)
    assert str(caught.value) == (
        "OneCycleLR total_steps=40 is shorter than the 50 steps simulated (5 epochs x 10 steps)"
    )
    with pytest.raises(ValueError) as caught:
        lrviz.simulate("onecycle:epochs=4,steps_per_epoch=10", epochs=5, steps_per_epoch=10)
    assert str(caught.value) == (
        "OneCycleLR epochs=4 x steps_per_epoch=10 = 40 is shorter than the 50 steps simulated "
        "(5 epochs x 10 steps)"
    )


def test_a_run_recorded_at_a_trough_is_no_warm_up_from_zero() -> None:
    """CosineAnnealingLR(T_max=1) recorded after 3 steps starts at 0: no warm-up there."""
    optimizer = Adam([], [0.1])
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=1)
    for _ in range(3):
        optimizer.step()
        scheduler.step()
    rec = lrviz.Recorder(optimizer, scheduler)
    for _ in range(4):
        optimizer.step()
        scheduler.step()
        rec.log()
    assert rec.trace.initial_lr == (0.0,)
    assert messages(rec.trace) == []
