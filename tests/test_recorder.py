"""Recorder: your own loop gives the same trace, and the same explanations, as `lrviz run`."""

from __future__ import annotations

import copy
import functools
import math
import pickle
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from test_lesson import SCHEDULERS
from torch import nn

import lrviz
from lrviz import data
from lrviz.comparison import compare
from lrviz.optim import Adam


def recorded(schedule: str, seed: int = 0, epochs: int = 60) -> lrviz.Trace:
    split = data.load()
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(13, 10), nn.ReLU(), nn.Linear(10, 10), nn.ReLU(), nn.Linear(10, 3)
    )
    criterion = nn.CrossEntropyLoss()
    optimizer = Adam(model.parameters(), [0.1])
    scheduler = SCHEDULERS[schedule](optimizer)
    rec = lrviz.Recorder(optimizer, scheduler)
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = criterion(model(split.x_train), split.y_train)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            val_loss = criterion(model(split.x_valid), split.y_valid)
        if schedule == "plateau":
            scheduler.step(val_loss)
        else:
            scheduler.step()
        rec.log(train_loss=loss, val_loss=val_loss)
    return rec.trace


@pytest.mark.parametrize("schedule", sorted(SCHEDULERS))
def test_recorded_trace_equals_lrviz_run(schedule: str) -> None:
    mine = recorded(schedule)
    theirs = lrviz.run_experiment(schedule, epochs=60)
    result = compare(mine, theirs, fields=("lr", "train_loss", "val_loss", "metric"))
    assert result.ok, result.report()
    assert mine.events == theirs.events
    assert mine.meta["source"] == "record" and mine.experiment is None
    assert [e.state for e in mine.epochs] == [e.state for e in theirs.epochs]


def test_lambdalr_is_explained_by_its_function() -> None:
    optimizer = Adam([], [0.1])
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: 0.5 if k >= 3 else 1.0)
    rec = lrviz.Recorder(optimizer, scheduler)
    for _ in range(5):
        optimizer.step()
        scheduler.step()
        rec.log()
    trace = rec.trace
    assert trace.name == "LambdaLR"
    assert trace.params["lr_lambda"].endswith("<locals>.<lambda>")
    assert [(e.epoch, e.kind) for e in trace.events] == [(3, "reduce")]
    assert trace.events[0].reason.startswith("LambdaLR, epoch 3: rate = base 0.1 x lr_lambda(3)")
    assert trace.rates() == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05]


def two_step_variants(labels: tuple[str | None, str | None]) -> list[lrviz.Trace]:
    traces = []
    for step_size, label in zip((2, 3), labels, strict=True):
        optimizer = Adam([], [0.1])
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size)
        rec = lrviz.Recorder(optimizer, scheduler, label=label)
        for _ in range(6):
            optimizer.step()
            scheduler.step()
            rec.log(train_loss=1.0, val_loss=1.0)
        traces.append(rec.trace)
    return traces


def test_two_variants_of_one_scheduler_need_labels_for_a_report(tmp_path: Path) -> None:
    """Both would be "StepLR": one section, one figure file for two schedules."""
    with pytest.raises(ValueError, match="labelled 'StepLR' but are different schedules"):
        lrviz.write_report(two_step_variants((None, None)), tmp_path / "unlabelled")
    assert not (tmp_path / "unlabelled").exists()
    labelled = two_step_variants(("every 2", "every 3"))
    assert [t.label for t in labelled] == ["every 2", "every 3"]
    assert lrviz.Trace.from_dict(labelled[0].to_dict()).label == "every 2"
    page = lrviz.write_report(labelled, tmp_path / "labelled").read_text()
    assert 'id="schedule-every_2"' in page and 'id="schedule-every_3"' in page


# -- what the scheduler saw --------------------------------------------------------------


def plateau_loop(
    metrics: list[float],
    lrs: list[float],
    recorded: bool = True,
    **params: Any,
) -> tuple[lrviz.Trace | None, list[tuple[int, int]], Any]:
    """An SGD loop of one's own under ReduceLROnPlateau: the trace, the (epoch, group)
    pairs whose rate torch changed, and the scheduler."""
    weights = [torch.nn.Parameter(torch.ones(2)) for _ in lrs]
    optimizer = torch.optim.SGD(
        [{"params": [w], "lr": lr} for w, lr in zip(weights, lrs, strict=True)], momentum=0.9
    )
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **params)
    rec = lrviz.Recorder(optimizer, scheduler) if recorded else None
    changed = []
    for epoch, value in enumerate(metrics, start=1):
        optimizer.zero_grad()
        loss = sum((w**2).sum() for w in weights)
        loss.backward()  # type: ignore[union-attr]
        optimizer.step()
        before = [g["lr"] for g in optimizer.param_groups]
        scheduler.step(value)
        changed += [
            (epoch, g) for g, group in enumerate(optimizer.param_groups) if group["lr"] != before[g]
        ]
        if rec is not None:
            rec.log(train_loss=loss, val_accuracy=value)
    return (None if rec is None else rec.trace), changed, scheduler


def test_the_issues_loop_gets_torchs_reductions_with_true_reasons() -> None:
    """Two groups, mode="max", stepped with the accuracy: lrviz 0.1 saw no metric."""
    accuracy = [round(min(0.9, 0.3 + k * 0.05), 1) if k < 20 else 0.8 for k in range(30)]
    trace, changed, _ = plateau_loop(accuracy, [0.2, 0.05], mode="max", patience=2, factor=0.5)
    assert trace is not None
    assert [e.metric for e in trace.epochs] == accuracy
    assert [(e.epoch, e.group) for e in trace.events if e.kind == "reduce"] == changed
    assert {e.kind for e in trace.events} == {"reduce"}
    first = trace.events[0]
    assert first.reason == (
        "val_accuracy has not improved on its best 0.9 (epoch 12) by more than rel. threshold "
        "0.0001 for 3 epochs > patience 2: rate x factor 0.5"
    )
    assert trace.params["mode"] == "max"
    assert [g["lr"] for g in trace.optimizer["groups"]] == [0.2, 0.05]  # type: ignore[index]
    assert trace.optimizer["name"] == "SGD"  # type: ignore[index]


@settings(max_examples=150, deadline=None)
@given(
    metrics=st.lists(st.integers(0, 6).map(lambda k: k / 4 - 0.5), min_size=1, max_size=40),
    mode=st.sampled_from(["min", "max"]),
    threshold_mode=st.sampled_from(["rel", "abs"]),
    threshold=st.sampled_from([0.0, 1e-4, 0.1, 0.3]),
    patience=st.integers(0, 4),
    cooldown=st.integers(0, 3),
    factor=st.sampled_from([0.1, 0.5, 0.9]),
    lrs=st.lists(st.sampled_from([1.0, 0.1, 1e-3, 1e-7]), min_size=1, max_size=4),
    floors=st.booleans(),
)
def test_plateau_events_are_exactly_torchs_changes(
    metrics: list[float],
    mode: str,
    threshold_mode: str,
    threshold: float,
    patience: int,
    cooldown: int,
    factor: float,
    lrs: list[float],
    floors: bool,
) -> None:
    params: dict[str, Any] = {
        "mode": mode,
        "threshold_mode": threshold_mode,
        "threshold": threshold,
        "patience": patience,
        "cooldown": cooldown,
        "factor": factor,
        "min_lr": [lr / 50 for lr in lrs] if floors else 0.0,
    }
    trace, changed, scheduler = plateau_loop(metrics, lrs, **params)
    assert trace is not None
    assert [(e.epoch, e.group) for e in trace.events if e.kind == "reduce"] == changed
    assert not [e for e in trace.events if e.kind in ("external", "increase")]
    # The recorded state is torch's own, step by step.
    assert trace.epochs[-1].state == {
        "best": scheduler.best,
        "num_bad_epochs": scheduler.num_bad_epochs,
        "cooldown_counter": scheduler.cooldown_counter,
    }
    # The recording changed nothing: a twin without a recorder ends in the same state.
    _, _, twin = plateau_loop(metrics, lrs, recorded=False, **params)
    assert pickle.dumps(scheduler.state_dict()) == pickle.dumps(twin.state_dict())


def test_the_recorded_scheduler_behaves_pickles_and_copies_as_torchs() -> None:
    _, _, scheduler = plateau_loop([1.0, 0.5], [0.1])
    cls = torch.optim.lr_scheduler.ReduceLROnPlateau
    assert isinstance(scheduler, cls) and type(scheduler).__name__ == cls.__name__
    assert type(pickle.loads(pickle.dumps(scheduler))) is cls
    assert type(copy.deepcopy(scheduler)) is cls
    assert "step" not in vars(scheduler)  # nothing added to what state_dict() saves


def test_a_metric_under_another_name_and_by_keyword() -> None:
    optimizer = Adam([], [0.1])
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0)
    rec = lrviz.Recorder(optimizer, scheduler)
    for value in (1.0, 2.0, 3.0):
        optimizer.step()
        scheduler.step(metrics=value)
        rec.log()
    assert [e.metric for e in rec.trace.epochs] == [1.0, 2.0, 3.0]
    assert [e.epoch for e in rec.trace.events] == [2, 3]


# -- step resolution --------------------------------------------------------------------


def batch_loop(
    make: Any, epochs: int = 5, iters: int = 10, every: Literal["epoch", "step"] = "epoch"
) -> lrviz.Trace:
    """Ten optimizer and scheduler steps an epoch, one log an epoch."""
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(4))
    optimizer = torch.optim.SGD([w], lr=0.1, momentum=0.9)
    scheduler = make(optimizer)
    rec = lrviz.Recorder(optimizer, scheduler, every=every)
    for _ in range(epochs):
        for _ in range(iters):
            optimizer.zero_grad()
            loss = (w**2).sum()
            loss.backward()
            optimizer.step()
            scheduler.step()
        rec.log(train_loss=loss)
    return rec.trace


def warmup_cosine(step: int, warmup: int, total: int) -> float:
    """A HuggingFace-style warm-up and cosine, as a function of the optimizer step."""
    if step < warmup:
        return step / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))


def test_a_per_batch_one_cycle_is_recorded_step_by_step() -> None:
    trace = batch_loop(
        lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, epochs=5, steps_per_epoch=10)
    )
    assert trace.per_step and trace.step_count == 50 and len(trace.epochs) == 5
    assert [e.step for e in trace.epochs] == [10, 20, 30, 40, 50]
    assert trace.step_epochs() == [float(1 + k // 10) for k in range(50)]
    assert trace.momenta(0) is not None and min(trace.momenta(0) or []) == 0.85
    phases = [e.evidence.get("phase") for e in trace.events]
    assert phases[0] == "one-cycle warm-up" and trace.events[0].evidence["last_step"] == 13
    assert [e.evidence.get("landmark") for e in trace.events][1] == "peak"
    assert not [e for e in trace.events if e.kind == "external"]
    saved = lrviz.Trace.from_dict(trace.to_dict())
    assert saved == trace


def test_a_warm_up_and_cosine_lambda_reads_as_phases_naming_the_function() -> None:
    schedule = functools.partial(warmup_cosine, warmup=10, total=50)
    trace = batch_loop(lambda o: torch.optim.lr_scheduler.LambdaLR(o, schedule))
    name = "test_recorder.warmup_cosine(warmup=10, total=50)"
    assert trace.params == {"lr_lambda": name, "base_lr": 0.1}
    assert [(e.at, e.kind, e.evidence.get("phase")) for e in trace.events] == [
        (1, "increase", "linear warm-up"),
        (11, "reduce", "cosine decay"),
    ]
    assert trace.events[1].reason.startswith("cosine decay, steps 11-50: 0.1 -> 0 (rate = base")
    assert name in trace.events[0].reason
    # The factors came from the function itself; the rule checked the rates against them.
    assert trace.state_column("factor")[9] == [1.0]
    assert not any(e.evidence.get("unchecked") for e in trace.events)


@pytest.mark.parametrize(
    "make",
    [
        lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, epochs=5, steps_per_epoch=10),
        lambda o: torch.optim.lr_scheduler.LambdaLR(
            o, functools.partial(warmup_cosine, warmup=10, total=50)
        ),
    ],
    ids=["one-cycle", "warm-up-cosine-lambda"],
)
def test_step_traces_report_and_check_at_step_resolution(make: Any, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from lrviz.cli import main

    trace = batch_loop(make)
    index = lrviz.write_report([trace], tmp_path / "report")
    page = index.read_text(encoding="utf-8")
    assert "per step" in page and "steps" in page
    trace.save(tmp_path / "a.json")
    other = batch_loop(make, iters=10)  # the same loop again: the same trace
    other.save(tmp_path / "b.json.gz")
    runner = CliRunner()
    same = runner.invoke(main, ["check", str(tmp_path / "a.json"), str(tmp_path / "b.json.gz")])
    assert same.exit_code == 0 and "50 steps" in same.output, same.output
    # One step's rate changed by hand: check names that step and its epoch.
    lr = [list(trace.rates(0)[:-1])]
    lr[0][23] *= 1.5
    changed = replace(trace, steps=replace(trace.steps, lr=(tuple(lr[0]),)))
    changed.save(tmp_path / "c.json")
    differ = runner.invoke(main, ["check", str(tmp_path / "c.json"), str(tmp_path / "a.json")])
    assert differ.exit_code == 1
    assert "first divergence: step 24 (epoch 3), lr of group 0" in differ.output, differ.output


def test_a_rate_set_by_hand_between_steps_is_external() -> None:
    optimizer = Adam([], [0.1])
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=100)
    rec = lrviz.Recorder(optimizer, scheduler, every="step")
    for k in range(1, 11):
        optimizer.step()
        scheduler.step()
        if k == 7:
            optimizer.param_groups[0]["lr"] = 0.05
    rec.log()
    events = rec.trace.events
    assert [(e.at, e.kind, e.lr_before, e.lr_after) for e in events] == [(7, "external", 0.1, 0.05)]


def test_skipped_updates_and_a_scheduler_stepped_first_are_told_apart() -> None:
    def loop(skip: set[int], scheduler_first: bool) -> lrviz.Trace:
        optimizer = Adam([], [0.1])
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2)
        rec = lrviz.Recorder(optimizer, scheduler, every="step")
        for k in range(1, 7):
            if scheduler_first:
                scheduler.step()
            if k not in skip:  # GradScaler skips optimizer.step() after inf gradients
                optimizer.step()
            if not scheduler_first:
                scheduler.step()
        rec.log()
        return rec.trace

    with pytest.warns(UserWarning, match="before `optimizer.step"):
        amp = loop({1, 4}, scheduler_first=False)
    assert amp.steps is not None and amp.steps.updates == {1: 0, 4: 0}
    assert amp.steps.early == ()
    with pytest.warns(UserWarning, match="before `optimizer.step"):
        first = loop(set(), scheduler_first=True)
    assert first.steps is not None and first.steps.updates == {}
    assert first.steps.early == (1, 2, 3, 4, 5, 6)


def test_accumulated_gradients_count_only_real_updates() -> None:
    optimizer = Adam([], [0.1])
    scheduler = torch.optim.lr_scheduler.LinearLR(optimizer, total_iters=4)
    rec = lrviz.Recorder(optimizer, scheduler, every="step")
    with pytest.warns(UserWarning, match="before `optimizer.step"):
        for micro_batch in range(1, 9):
            if micro_batch % 2 == 0:  # an update every second micro-batch...
                optimizer.step()
            scheduler.step()  # ...but the scheduler stepped at every one
    rec.log()
    trace = rec.trace
    assert trace.steps is not None
    assert trace.steps.updates == {1: 0, 3: 0, 5: 0, 7: 0}


def test_a_step_without_a_scheduler_step_and_rates_set_by_hand() -> None:
    optimizer = Adam([], [0.1])
    rec = lrviz.Recorder(optimizer)  # no scheduler: a warm-up by hand
    for k in range(1, 6):
        optimizer.param_groups[0]["lr"] = 0.02 * k
        optimizer.step()
        rec.step()
    rec.log()
    trace = rec.trace
    assert trace.name == "none" and trace.step_count == 5
    assert trace.rates() == pytest.approx([0.02, 0.04, 0.06, 0.08, 0.1, 0.1])
    # No scheduler, so nothing is outside one: the warm-up is one phase found from the rates.
    assert [(e.kind, e.at, e.evidence["last_step"]) for e in trace.events] == [("increase", 1, 4)]
    assert trace.events[0].reason.startswith("linear warm-up, steps 1-4: 0.02 -> 0.1")


def test_a_schedulers_epoch_argument_is_the_steps_epoch() -> None:
    optimizer = Adam([], [0.1])
    scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=2)
    rec = lrviz.Recorder(optimizer, scheduler)
    for epoch in range(3):
        for i in range(4):
            optimizer.step()
            scheduler.step(epoch + i / 4)
        rec.log()
    trace = rec.trace
    assert trace.per_step
    assert trace.step_epochs()[:5] == [1.0, 1.25, 1.5, 1.75, 2.0]


# -- schedulers of one's own -----------------------------------------------------------


def test_a_class_of_ones_own_called_steplr_is_not_taken_for_torchs() -> None:
    class StepLR(torch.optim.lr_scheduler.StepLR):
        def get_lr(self) -> list[float]:  # halves at every step instead
            return [group["lr"] * 0.5 for group in self.optimizer.param_groups]

    optimizer = Adam([], [0.1])
    scheduler = StepLR(optimizer, step_size=10)
    rec = lrviz.Recorder(optimizer, scheduler)
    for _ in range(3):
        optimizer.step()
        scheduler.step()
        rec.log()
    trace = rec.trace
    assert trace.name.endswith(".StepLR") and trace.name != "StepLR"
    assert [(e.epoch, e.kind, e.evidence.get("unchecked")) for e in trace.events] == [
        (1, "reduce", True),
        (2, "reduce", True),
        (3, "reduce", True),
    ]
    assert "step_size" in trace.params


def test_a_recorder_without_epochs_saves_a_trace_that_loads(tmp_path: Path) -> None:
    optimizer = Adam([], [0.1])
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10)
    trace = lrviz.Recorder(optimizer, scheduler).trace
    trace.save(tmp_path / "empty.json")
    assert lrviz.Trace.load(tmp_path / "empty.json") == trace
    assert trace.rates() == [0.1] and trace.events == ()


def test_a_scheduler_stepped_at_the_top_of_each_epoch_steps_before_its_updates() -> None:
    """``scheduler.step(epoch)`` before each epoch's updates (torch before 1.1): each
    step's updates are the ones after it, all of them."""
    optimizer = Adam([], [0.1])
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2)
    rec = lrviz.Recorder(optimizer, scheduler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's order and epoch warnings
        for epoch in range(4):
            scheduler.step(epoch)
            for _ in range(3):
                optimizer.step()
            rec.log()
    steps = rec.trace.steps
    assert steps is not None and steps.early == (1, 2, 3, 4)
    assert steps.updates == {1: 3, 2: 3, 3: 3, 4: 3}
    assert [e.lr[0] for e in rec.trace.epochs] == pytest.approx([0.1, 0.1, 0.01, 0.01])
