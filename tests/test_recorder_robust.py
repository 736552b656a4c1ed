"""Recorder: what real training loops do to it (wrong arguments, two recorders on one
scheduler, checkpoints, warnings, failed steps), with torch's schedulers as the oracle."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from torch.optim.lr_scheduler import MultiStepLR, OneCycleLR, StepLR

import lrviz
from lrviz import export


def sgd(lr: float = 0.1) -> torch.optim.SGD:
    return torch.optim.SGD([torch.nn.Parameter(torch.ones(2))], lr=lr, momentum=0.9)


# -- arguments ----------------------------------------------------------------------------


def test_a_scheduler_of_another_optimizer_is_refused_naming_both() -> None:
    mine, other = sgd(), sgd()
    scheduler = StepLR(other, step_size=2)
    with pytest.raises(ValueError, match=r"scheduler steps the rates of another optimizer") as e:
        lrviz.Recorder(mine, scheduler)
    assert f"{id(other):#x}" in str(e.value) and f"{id(mine):#x}" in str(e.value)


def test_a_wrapper_of_the_schedulers_optimizer_is_its_optimizer() -> None:
    """accelerate's AcceleratedOptimizer in HF's Trainer: the scheduler holds the optimizer
    it wraps, whose param groups it shares."""

    class Wrapper:
        def __init__(self, optimizer: Any) -> None:
            self.optimizer = optimizer

        @property
        def param_groups(self) -> Any:
            return self.optimizer.param_groups

        def step(self) -> None:
            self.optimizer.step()

    optimizer = sgd()
    scheduler = StepLR(optimizer, step_size=1)
    wrapper = Wrapper(optimizer)
    rec = lrviz.Recorder(wrapper, scheduler, every="step")
    wrapper.step()
    scheduler.step()
    assert rec.trace.rates() == [0.1, pytest.approx(0.01)]


@pytest.mark.parametrize("scheduler", ["StepLR", 3, object()], ids=["str", "int", "object"])
def test_a_non_scheduler_is_refused_naming_the_argument(scheduler: Any) -> None:
    with pytest.raises(TypeError, match=r"^scheduler must be a learning-rate scheduler"):
        lrviz.Recorder(sgd(), scheduler)


# -- two recorders on one scheduler -------------------------------------------------------


def test_two_recorders_on_one_scheduler_both_record_it_as_torchs() -> None:
    """A user's recorder and a framework callback's: both see StepLR, every step once."""
    optimizer = sgd()
    scheduler = StepLR(optimizer, step_size=2)
    first = lrviz.Recorder(optimizer, scheduler)
    second = lrviz.Recorder(optimizer, scheduler)
    rates = [optimizer.param_groups[0]["lr"]]
    for _ in range(5):
        optimizer.step()
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
        first.log()
        second.log()
    for rec in (first, second):
        trace = rec.trace
        assert trace.name == "StepLR" and trace.params["step_size"] == 2
        assert not trace.per_step and trace.rates() == rates
        assert [(e.epoch, e.kind) for e in trace.events] == [(2, "reduce"), (4, "reduce")]
    assert type(copy.deepcopy(scheduler)) is StepLR
    assert lrviz.Recorder(optimizer, scheduler).trace.name == "StepLR"  # a third


# -- checkpoints --------------------------------------------------------------------------

LOAD_WITHOUT_LRVIZ = """
import sys
sys.modules["lrviz"] = None  # any import of lrviz now fails
import pickle, torch
kind = sys.argv[2]
if kind == "pickle":
    with open(sys.argv[1], "rb") as f:
        scheduler = pickle.load(f)
else:
    scheduler = torch.load(sys.argv[1], weights_only=kind == "state")
if kind == "state":
    print(scheduler["last_epoch"])
else:
    print(type(scheduler).__qualname__, scheduler.last_epoch, scheduler.get_last_lr())
"""


def loaded_without_lrviz(path: Path, kind: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", LOAD_WITHOUT_LRVIZ, str(path), kind],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def recorded_steplr() -> tuple[Any, lrviz.Recorder]:
    optimizer = sgd()
    scheduler = StepLR(optimizer, step_size=2)
    rec = lrviz.Recorder(optimizer, scheduler)
    for _ in range(3):
        optimizer.step()
        scheduler.step()
        rec.log()
    return scheduler, rec


def test_a_recorded_scheduler_saves_and_loads_where_lrviz_is_not(tmp_path: Path) -> None:
    scheduler, _ = recorded_steplr()
    torch.save(scheduler, tmp_path / "whole.pt")
    assert loaded_without_lrviz(tmp_path / "whole.pt", "torch") == "StepLR 3 [0.010000000000000002]"
    (tmp_path / "whole.pkl").write_bytes(pickle.dumps(scheduler))
    assert loaded_without_lrviz(tmp_path / "whole.pkl", "pickle").startswith("StepLR 3")
    torch.save(scheduler.state_dict(), tmp_path / "state.pt")
    assert loaded_without_lrviz(tmp_path / "state.pt", "state") == "3"
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        copied = pickle.loads(pickle.dumps(scheduler, protocol))
        assert type(copied) is StepLR and copied.state_dict() == scheduler.state_dict()
    assert b"lrviz" not in pickle.dumps(scheduler)
    twin = copy.deepcopy(scheduler)
    assert type(twin) is StepLR and twin.last_epoch == 3


# -- a step that raises -------------------------------------------------------------------


def test_a_step_that_raises_is_a_step_without_a_scheduler_step(tmp_path: Path) -> None:
    """OneCycleLR stepped past total_steps raises; a loop that catches it goes on, its
    updates at the last rate: the trace holds the rate every update used."""
    optimizer = sgd()
    scheduler = OneCycleLR(optimizer, max_lr=0.1, total_steps=4)
    rec = lrviz.Recorder(optimizer, scheduler, every="step")
    failed = 0
    for _ in range(6):
        optimizer.step()
        try:
            scheduler.step()
        except ValueError as exc:
            assert "Tried to step" in str(exc)
            failed += 1
    rec.log(train_loss=1.0)
    assert failed == 2
    trace = rec.trace
    assert trace.step_count == 6 and trace.steps is not None
    assert trace.steps.unscheduled == (5, 6)
    last = optimizer.param_groups[0]["lr"]
    assert trace.rates(0)[4:] == [last, last, last]
    assert trace.state_column("last_epoch") == [1, 2, 3, 4, 5, 6]  # torch counted them
    assert trace.final_lr == (last,)
    assert not [e for e in trace.events if e.kind == "external"]
    trace.save(tmp_path / "t.json")
    assert lrviz.Trace.load(tmp_path / "t.json") == trace
    optimizer.step()
    with pytest.raises(ValueError, match="Tried to step 7 times"):
        scheduler.step()
    assert rec.trace.step_count == 7


# -- log() --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (torch.tensor([1.0, 2.0]), "a tensor of shape (2,)"),
        ("0.5", "'0.5'"),
        ([0.5], "a list"),
        (torch.tensor(True), "a 0-dim tensor holding bool True"),
    ],
    ids=["tensor", "str", "list", "bool"],
)
def test_log_refuses_a_value_that_is_not_one_number(value: Any, shown: str) -> None:
    rec = lrviz.Recorder(sgd())
    with pytest.raises(
        TypeError, match=r"^train_loss must be a number or a 0-dim tensor, got "
    ) as e:
        rec.log(val_loss=1.0, train_loss=value)
    assert shown in str(e.value)
    rec.log(train_loss=float("nan"), val_loss=torch.tensor(float("inf")))  # reported, not refused
    assert rec.trace.diverged_epoch == 1


def test_the_trace_is_computed_once_per_change_of_the_recording() -> None:
    optimizer = sgd()
    scheduler = StepLR(optimizer, step_size=2)
    rec = lrviz.Recorder(optimizer, scheduler)
    first = rec.trace
    assert rec.trace is first
    optimizer.step()
    scheduler.step()
    second = rec.trace
    assert second is not first and second.step_count == 1
    rec.log(train_loss=1.0)
    third = rec.trace
    assert third is not second and third.epochs[0].train_loss == 1.0
    assert rec.trace is third
    optimizer.step()  # an update changes final counts (updates after the last step)
    assert rec.trace is not third
    optimizer.param_groups[0]["lr"] = 0.5  # the final rate is read live
    assert rec.trace.final_lr == (0.5,)


# -- schedulers of one's own ------------------------------------------------------------


def test_a_scheduler_of_ones_own_keeps_its_lists_of_numbers() -> None:
    class Halving(torch.optim.lr_scheduler.LRScheduler):
        def __init__(self, optimizer: Any, milestones: list[int], factors: tuple[float, ...]):
            self.milestones = milestones
            self.factors = factors
            self.mixed = [1, "two"]
            super().__init__(optimizer)

        def get_lr(self) -> list[float]:
            scale = 0.5 if self.last_epoch in self.milestones else 1.0
            return [group["lr"] * scale for group in self.optimizer.param_groups]

    optimizer = sgd()
    rec = lrviz.Recorder(optimizer, Halving(optimizer, [2, 4], (0.5, 0.25)))
    params = rec.trace.params
    assert params["milestones"] == [2, 4] and params["factors"] == [0.5, 0.25]
    assert "mixed" not in params


# -- warnings -----------------------------------------------------------------------------


def test_torchs_warnings_from_inside_step_name_the_users_line() -> None:
    optimizer = sgd()
    scheduler = StepLR(optimizer, step_size=2)
    rec = lrviz.Recorder(optimizer, scheduler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        scheduler.step()  # before optimizer.step(): torch warns
        line = sys._getframe().f_lineno - 1
        for epoch in range(1, 4):
            optimizer.step()
            scheduler.step(epoch)  # torch's deprecated epoch argument, warned once here
    assert [(w.filename, w.lineno) for w in caught] == [(__file__, line), (__file__, line + 4)]
    assert "before `optimizer.step()`" in str(caught[0].message)
    assert "epoch parameter in `scheduler.step()`" in str(caught[1].message)
    assert rec.trace.step_count == 4


def test_a_warning_turned_into_an_error_stops_the_step_where_torch_would() -> None:
    optimizer = sgd()
    scheduler = StepLR(optimizer, step_size=1)
    rec = lrviz.Recorder(optimizer, scheduler)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match=r"before `optimizer\.step") as e:
            scheduler.step()
    assert "lr_scheduler.py" in [entry.path.name for entry in e.traceback]  # inside torch's step
    assert scheduler.last_epoch == 0 and optimizer.param_groups[0]["lr"] == 0.1
    assert rec.trace.step_count == 0


# -- resumed runs ---------------------------------------------------------------------------


def resumed(
    make: Any, tmp_path: Path, done: int, iters: int = 1, recorder_first: bool = False
) -> tuple[Any, Any, lrviz.Recorder]:
    """torchvision's resume: the first run's state dicts, loaded into a new optimizer and
    scheduler after ``done`` epochs of ``iters`` steps, recorded by a Recorder made after
    they were loaded (``recorder_first``: before)."""
    optimizer = sgd()
    scheduler = make(optimizer)
    for _ in range(done * iters):
        optimizer.step()
        scheduler.step()
    checkpoint = {"optimizer": optimizer.state_dict(), "lr_scheduler": scheduler.state_dict()}
    torch.save(checkpoint, tmp_path / "checkpoint.pt")
    optimizer = sgd()
    scheduler = make(optimizer)
    rec = lrviz.Recorder(optimizer, scheduler) if recorder_first else None
    checkpoint = torch.load(tmp_path / "checkpoint.pt")
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["lr_scheduler"])
    return optimizer, scheduler, rec or lrviz.Recorder(optimizer, scheduler)


@pytest.mark.parametrize("recorder_first", [False, True], ids=["recorder-after", "before"])
def test_a_resumed_run_numbers_its_epochs_from_where_it_resumed(
    tmp_path: Path, recorder_first: bool
) -> None:
    optimizer, scheduler, rec = resumed(
        lambda o: StepLR(o, step_size=3), tmp_path, done=5, recorder_first=recorder_first
    )
    for _ in range(5, 10):
        optimizer.step()
        scheduler.step()
        rec.log(train_loss=1.0)
    trace = rec.trace
    assert [e.epoch for e in trace.epochs] == [6, 7, 8, 9, 10]
    assert trace.initial_lr == (pytest.approx(0.01),) and trace.start == 5
    # A step trace: its columns hold the steps from the resume (step k is scheduler step 5+k).
    assert trace.steps is not None and trace.step_epochs() == [6.0, 7.0, 8.0, 9.0, 10.0]
    assert [(e.epoch, e.step, e.kind, e.reason) for e in trace.events] == [
        (6, 1, "reduce", "step 6 is a multiple of step_size 3: rate x gamma 0.1"),
        (9, 4, "reduce", "step 9 is a multiple of step_size 3: rate x gamma 0.1"),
    ]
    trace.save(tmp_path / "t.json")
    assert lrviz.Trace.load(tmp_path / "t.json") == trace
    # What reads traces reads it: a report, and an export with its losses.
    assert lrviz.write_report([trace], tmp_path / "report").exists()
    first = export.rows(trace)[0]
    assert (first["step"], first["epoch"], first["train_loss"]) == (1, 6, 1.0)


@pytest.mark.parametrize("every", ["epoch", "step"])
def test_a_recorder_made_mid_run_numbers_from_the_schedulers_count(every: Any) -> None:
    optimizer = sgd()
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
    for _ in range(4):
        optimizer.step()
        scheduler.step()
    rec = lrviz.Recorder(optimizer, scheduler, every=every)
    for _ in range(4):
        optimizer.step()
        scheduler.step()
        rec.log()
    trace = rec.trace
    assert [e.epoch for e in trace.epochs] == [5, 6, 7, 8]
    assert not [e for e in trace.events if e.kind == "external"], trace.events
    assert trace.events[0].reason.startswith("cosine"), trace.events[0].reason


def test_a_resumed_per_batch_schedule_numbers_epochs_and_steps_from_the_resume(
    tmp_path: Path,
) -> None:
    def make(o: Any) -> Any:
        return OneCycleLR(o, max_lr=0.1, epochs=5, steps_per_epoch=10)

    optimizer, scheduler, rec = resumed(make, tmp_path, done=2, iters=10)
    for _ in range(3):
        for _ in range(10):
            optimizer.step()
            scheduler.step()
        rec.log(train_loss=1.0)
    trace = rec.trace
    assert trace.steps is not None and trace.steps.start == 20 and trace.step_count == 30
    assert [e.epoch for e in trace.epochs] == [3, 4, 5]
    assert trace.step_epochs()[:11] == [3.0] * 10 + [4.0]
    assert not [e for e in trace.events if e.kind == "external"], trace.events
    trace.save(tmp_path / "t.json")
    assert lrviz.Trace.load(tmp_path / "t.json") == trace


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (
            lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda t: 0.5 ** (t // 3)),
            "LambdaLR, step 6: rate = base 0.1 x lr_lambda(6) = 0.25",
        ),
        (
            lambda o: torch.optim.lr_scheduler.MultiplicativeLR(
                o, lambda t: 0.5 if t in (3, 6) else 1.0
            ),
            "MultiplicativeLR, step 6: rate x lr_lambda(6) = 0.5",
        ),
    ],
    ids=["lambda", "multiplicative"],
)
def test_a_function_schedule_recorded_mid_run_names_the_steps_it_was_called_at(
    make: Any, reason: str
) -> None:
    optimizer = sgd()
    scheduler = make(optimizer)
    for _ in range(4):
        optimizer.step()
        scheduler.step()
    rec = lrviz.Recorder(optimizer, scheduler)
    for _ in range(4):
        optimizer.step()
        scheduler.step()
        rec.log()
    [event] = rec.trace.events
    assert (event.epoch, event.kind) == (6, "reduce") and event.reason.startswith(reason)


def test_a_plateau_recorded_mid_run_is_not_said_to_be_changed_outside() -> None:
    """ReduceLROnPlateau's rule needs the metric history before the recording: its
    changes are listed unchecked, never as changed outside the schedule."""
    optimizer = sgd()
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=2)
    metrics = [1.0, 0.9, 0.8, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9, 0.91, 0.92]
    for value in metrics[:4]:
        optimizer.step()
        scheduler.step(value)
    rec = lrviz.Recorder(optimizer, scheduler)
    for value in metrics[4:]:
        optimizer.step()
        scheduler.step(value)
        rec.log(val_loss=value)
    events = rec.trace.events
    assert [(e.epoch, e.kind) for e in events] == [(6, "reduce"), (9, "reduce")]
    assert all(e.evidence == {"unchecked": True} for e in events)
    assert "this recording began at its step 5" in events[0].reason


# -- a recording carried through a checkpoint ---------------------------------------------


def train(model: Any, optimizer: Any, scheduler: Any, rec: Any, epochs: range) -> None:
    """Four batches an epoch under ReduceLROnPlateau, logged every epoch."""
    x = torch.linspace(-1, 1, 32).unsqueeze(1)
    y = 3 * x + 0.5
    for epoch in epochs:
        for batch in range(4):
            rows = slice(8 * batch, 8 * batch + 8)
            loss = torch.nn.functional.mse_loss(model(x[rows]), y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        val_loss = 1.0 if epoch < 3 else 2.0  # stalls: the plateau reduces
        scheduler.step(val_loss)
        rec.log(train_loss=loss, val_loss=val_loss)


def build() -> tuple[Any, Any, Any]:
    torch.manual_seed(0)
    model = torch.nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=1, factor=0.5)
    return model, optimizer, scheduler


def test_a_checkpointed_recording_continues_one_trace(tmp_path: Path) -> None:
    model, optimizer, scheduler = build()
    rec = lrviz.Recorder(optimizer, scheduler, label="plateau")
    train(model, optimizer, scheduler, rec, range(10))
    uninterrupted = rec.trace

    model, optimizer, scheduler = build()
    rec = lrviz.Recorder(optimizer, scheduler, label="plateau")
    train(model, optimizer, scheduler, rec, range(5))
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "lr_scheduler": scheduler.state_dict(),
        "lrviz": rec.state_dict(),
        "epoch": 4,
    }
    torch.save(checkpoint, tmp_path / "checkpoint.pt")
    del model, optimizer, scheduler, rec

    model, optimizer, scheduler = build()
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)  # no classes
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["lr_scheduler"])
    rec = lrviz.Recorder(optimizer, scheduler, label="plateau")
    rec.load_state_dict(checkpoint["lrviz"])
    train(model, optimizer, scheduler, rec, range(checkpoint["epoch"] + 1, 10))
    resumed = rec.trace
    assert [e.epoch for e in resumed.epochs] == list(range(1, 11))
    assert resumed.to_dict() == uninterrupted.to_dict()
    assert {e.kind for e in resumed.events} == {"reduce"}


def test_a_recorders_state_is_checked_when_loaded() -> None:
    optimizer = sgd()
    rec = lrviz.Recorder(optimizer, StepLR(optimizer, step_size=2))
    with pytest.raises(ValueError, match=r"^state must be a Recorder.state_dict\(\)"):
        rec.load_state_dict({"last_epoch": 3})
    other = sgd()
    state = lrviz.Recorder(other, MultiStepLR(other, milestones=[2])).state_dict()
    with pytest.raises(ValueError, match="state is the recording of MultiStepLR over 1 param"):
        rec.load_state_dict(state)
    other.step()
    rec.optimizer.step()
    rec.scheduler.step()
    with pytest.raises(ValueError, match="has recorded 1 steps"):
        rec.load_state_dict(lrviz.Recorder(sgd()).state_dict())


# -- what the loop changes as it goes -------------------------------------------------------


def test_groups_added_mid_run_are_not_recorded_and_the_trace_says_so(tmp_path: Path) -> None:
    """Progressive unfreezing: the backbone's group joins at epoch 3."""
    head, backbone = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    optimizer = torch.optim.SGD([head], lr=0.1)
    scheduler = StepLR(optimizer, step_size=2)
    rec = lrviz.Recorder(optimizer, scheduler, every="step")
    for epoch in range(1, 6):
        if epoch == 3:
            optimizer.add_param_group({"params": [backbone], "lr": 0.01})
        for _ in range(2):
            optimizer.step()
            scheduler.step()
        rec.log(train_loss=1.0)
    trace = rec.trace
    assert trace.groups == 1 and len(trace.final_lr) == 1
    assert all(len(e.lr) == 1 for e in trace.epochs)
    assert trace.meta["omitted"] == (
        "1 param group added to the optimizer at step 5 (optimizer.add_param_group) is not "
        "recorded: the trace holds the 1 group there was when recording began"
    )
    trace.save(tmp_path / "t.json")
    assert lrviz.Trace.load(tmp_path / "t.json") == trace


def test_a_scheduler_stepped_with_its_epoch_at_the_top_records_the_rates_used() -> None:
    """The pre-1.1 idiom: ``scheduler.step(epoch)`` first, then the epoch's updates."""
    optimizer = sgd()
    scheduler = StepLR(optimizer, step_size=3)
    rec = lrviz.Recorder(optimizer, scheduler)
    step = optimizer.step
    used: list[float] = []

    def observed() -> None:
        used.append(optimizer.param_groups[0]["lr"])
        step()

    optimizer.step = observed  # type: ignore[method-assign]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's deprecated epoch argument
        for epoch in range(5):
            scheduler.step(epoch)
            optimizer.step()
            rec.log(train_loss=1.0)
    assert used == [0.1, 0.1, 0.1, pytest.approx(0.01), pytest.approx(0.01)]
    assert [e.lr[0] for e in rec.trace.epochs] == used


def test_warnings_are_filtered_at_the_users_line() -> None:
    optimizer = sgd()
    scheduler = StepLR(optimizer, step_size=2)
    lrviz.Recorder(optimizer, scheduler)
    optimizer.step()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        scheduler.step(1)
        scheduler.step(2)  # another line: shown again
        warnings.filterwarnings("ignore", module=__name__)  # this module's are ignored
        scheduler.step(3)
    assert len(caught) == 2 and caught[0].lineno + 1 == caught[1].lineno


# -- any loop -------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    ops=st.lists(st.sampled_from(["update", "step", "log"]), max_size=30),
    every=st.sampled_from(["epoch", "step"]),
)
@example(ops=["step", "update", "update", "log"], every="epoch")
def test_any_loop_records_what_torch_did_and_saves(ops: list[str], every: Any) -> None:
    """Updates, scheduler steps (those past OneCycleLR's end raise) and logs in any
    order: the trace holds the rate before each step that did not raise or had updates
    before it (they used that rate), each epoch the rate its first update used, and it
    loads back as it was."""
    optimizer = sgd()
    scheduler = OneCycleLR(optimizer, max_lr=0.1, total_steps=6)
    rec = lrviz.Recorder(optimizer, scheduler, every=every)
    before: list[float] = []
    epochs: list[float] = []
    first: float | None = None
    start = optimizer.param_groups[0]["lr"]
    updates = 0  # since the last step recorded
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's order warning
        for op in ops:
            rate = optimizer.param_groups[0]["lr"]
            if op == "update":
                first = rate if first is None else first
                optimizer.step()
                updates += 1
            elif op == "step":
                try:
                    scheduler.step()
                    recorded = True
                except ValueError:  # stepped past total_steps: torch changed no rate
                    assert optimizer.param_groups[0]["lr"] == rate
                    recorded = updates > 0
                if recorded:
                    before.append(rate)
                    updates = 0
            else:
                epochs.append(start if first is None else first)
                rec.log(train_loss=1.0)
                first, start = None, rate
    trace = rec.trace
    assert trace.step_count == len(before)
    if trace.per_step:
        assert trace.rates()[:-1] == before
    assert [e.lr[0] for e in trace.epochs] == epochs
    assert lrviz.Trace.from_dict(trace.to_dict()) == trace
