"""Every word lrviz says of a loop is checked against what the loop truly did (issue 18).

Each loop in ``tests/loops/`` is written the way a public project trains (nanoGPT,
torchvision's references, timm, fairseq, HF's Trainer, Lightning's docs, torch's
docstrings, DDP). The truth is read from torch while the loop runs
(:mod:`loops.truth`): the rate of every optimizer update that ran, the rates around
every scheduler step, what the loop did by hand. Never from lrviz's output.

Where lrviz's wording is still being rewritten, the tests assert the facts that hold in
any wording (:mod:`loops.words` reads which *cause* a text names): no "outside the
schedule" unless the loop changed the rate outside it, no misuse the loop did not
commit, events at the steps where torch changed the rate, recorded rates equal to the
rates used, resumed epochs numbered from the resume point, nothing dropped.
"""

from __future__ import annotations

import copy
import html
import importlib
import inspect
import json
import math
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import torch
from loops.truth import Truth, changes_between
from loops.words import all_words, event_steps, external_events, false_causes, messages

import lrviz
from lrviz.console import explanation_lines

HERE = Path(__file__).parent
ROOT = HERE.parent


def run(name: str, **kwargs: Any) -> tuple[Any, list[warnings.WarningMessage]]:
    """Run ``tests/loops/<name>.py``'s ``main`` and catch every warning it gave."""
    module = importlib.import_module(f"loops.{name}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = module.main(**kwargs)
    return result, list(caught)


def assert_words_true(trace: lrviz.Trace, did: Sequence[str] = ()) -> None:
    """No text about ``trace`` names a cause the loop did not have."""
    __tracebackhide__ = True
    false = false_causes(all_words(trace), did)
    assert not false, f"lrviz names causes the loop did not have: {false}"


def assert_no_external(trace: lrviz.Trace) -> None:
    __tracebackhide__ = True
    wrong = [f"{e.kind} at {e.at}: {e.reason}" for e in external_events(trace)]
    assert not wrong, f"the loop changed no rate outside its scheduler, yet: {wrong[:4]}"


def assert_rates(recorded: Sequence[float], used: Sequence[float], what: str) -> None:
    __tracebackhide__ = True
    assert len(recorded) == len(used), f"{what}: {len(recorded)} rates recorded, {len(used)} used"
    for k, (a, b) in enumerate(zip(recorded, used, strict=True), start=1):
        assert a == b, f"{what}: rate at step {k} is wrong: used {b}, recorded {a}"


def step_rates(trace: lrviz.Trace, group: int = 0) -> list[float]:
    """The recorded rate before each step (the rate that step's updates used)."""
    return trace.rates(group)[:-1]


def milestone_truth(rates: Sequence[float], fraction: float) -> int | None:
    """The step after which a schedule first stood at or below ``fraction`` of its peak
    (``rates[0]`` the initial rate, ``rates[i]`` the rate after step i), counted after
    the peak, with float tolerance (6e-4 * 0.1 is just above 6e-5)."""
    peak = max(range(len(rates)), key=lambda k: (rates[k], -k))
    target = fraction * rates[peak] * (1 + 1e-9)
    return next((i for i in range(peak, len(rates)) if rates[i] <= target), None)


# -- nanoGPT: hand-set rates, two param groups, no scheduler --------------------------------


@pytest.fixture(scope="module")
def nanogpt() -> Any:
    return run("nanogpt")[0]


def test_nanogpt_rates_set_by_hand_are_recorded_and_not_outside(nanogpt: Any) -> None:
    trace, truth = nanogpt.trace, nanogpt.truth
    for group in (0, 1):
        assert_rates(step_rates(trace, group), [u[group] for u in truth.used], f"group {group}")
    assert_no_external(trace)
    assert_words_true(trace)


def test_nanogpt_rates_set_by_hand_are_phases_with_their_numbers(nanogpt: Any) -> None:
    trace, truth = nanogpt.trace, nanogpt.truth
    changed = changes_between(truth.used, trace.final_lr)
    assert changed == list(range(1, 81))  # the warm-up and the cosine; constant after step 81
    for group in (0, 1):
        assert event_steps(trace, group) == changed
        phases = [e for e in trace.events if e.group == group]
        # nanoGPT's get_lr: a linear warm-up over steps 1-10, a cosine decay to min_lr.
        assert len(phases) == 2, [e.reason for e in phases][:4]
        warm, cosine = phases
        assert (warm.at, warm.evidence.get("last_step")) == (1, 10)
        assert re.search(r"linear", warm.reason) and re.search(r"warm-up", warm.reason)
        assert (cosine.at, cosine.evidence.get("last_step")) == (11, 80)
        assert "cosine" in cosine.reason
        assert re.search(r"6e-0?5|0\.00006\b", cosine.reason), cosine.reason


def test_nanogpt_milestones_with_float_tolerance(nanogpt: Any) -> None:
    trace, truth = nanogpt.trace, nanogpt.truth
    rates = [u[0] for u in truth.used] + [trace.final_lr[0]]
    lines = explanation_lines(trace)
    for fraction in (0.5, 0.1):
        at = milestone_truth(rates, fraction)
        assert at is not None
        assert any(f"{fraction:.0%} at step {at}" in line for line in lines), lines[:3]
    assert not any("no rule" in line for line in lines)


# -- torchvision references: SequentialLR warm-up + cosine, resumed -------------------------


@pytest.fixture(scope="module")
def torchvision() -> Any:
    return run("torchvision_resume")[0]


def epoch_rates(truth: Any, per_epoch: int) -> list[float]:
    """The rate of each epoch's updates."""
    return [u[0] for u in truth.used[::per_epoch]]


def test_torchvision_full_run_is_told_as_torch_ran_it(torchvision: Any) -> None:
    full, truth = torchvision.full, torchvision.full_truth
    assert_rates(step_rates(full), epoch_rates(truth, 4), "full run")
    assert_no_external(full)
    assert_words_true(full)
    assert messages(full) == []
    assert event_steps(full) == truth.changed_steps()


def test_torchvision_resumed_run_is_numbered_from_its_checkpoint(torchvision: Any) -> None:
    resumed, full, start = torchvision.resumed, torchvision.full, torchvision.start_epoch
    assert [e.epoch for e in resumed.epochs] == list(range(start + 1, 11))
    assert_rates(step_rates(resumed), epoch_rates(torchvision.resumed_truth, 4), "resumed")
    assert_rates(step_rates(resumed), step_rates(full)[start:], "resumed against the full run")
    assert_no_external(resumed)
    # The cosine does reach eta_min: no "T_max is longer than the epochs it runs".
    assert_words_true(resumed)
    assert messages(resumed) == []


def test_torchvision_check_compares_a_resumed_run_at_its_own_epochs(torchvision: Any) -> None:
    comparison = lrviz.compare(torchvision.resumed, torchvision.full, fields="lr")
    wrong = [d.describe() for d in comparison.divergences if d.field in ("lr", "final_lr")]
    assert not wrong, f"the resumed run used the full run's rates at epochs 6-10: {wrong[:3]}"


# -- timm: a scheduler of its own, step_update per update -----------------------------------


@pytest.fixture(scope="module")
def timm() -> Any:
    return run("timm_style")[0]


def test_timm_style_step_update_rates_are_recorded_and_not_outside(timm: Any) -> None:
    trace, truth = timm.trace, timm.truth
    assert_rates(step_rates(trace), [u[0] for u in truth.used], "timm")
    assert_no_external(trace)
    assert_words_true(trace)


def test_timm_style_step_update_rates_are_a_warm_up_then_a_cosine(timm: Any) -> None:
    trace, truth = timm.trace, timm.truth
    changed = changes_between(truth.used, trace.final_lr)
    assert event_steps(trace) == changed == list(range(1, 41))
    spans = [(e.at, e.evidence.get("last_step")) for e in trace.events]
    assert spans == [(1, 5), (6, 40)], spans[:4]
    warm, cosine = trace.events
    assert "linear" in warm.reason and "warm-up" in warm.reason
    assert "cosine" in cosine.reason


# -- fairseq: inverse-sqrt warm-up as a LambdaLR closure, --update-freq 2 -------------------


def test_fairseq_inverse_sqrt_lambda_with_update_freq() -> None:
    r, _ = run("fairseq_inverse_sqrt")
    trace, truth = r.trace, r.truth
    assert_rates(step_rates(trace), [u[0] for u in truth.used], "fairseq")
    assert_no_external(trace)
    # The scheduler steps once per update: accumulation done right, nothing to warn about.
    assert_words_true(trace)
    assert messages(trace) == []
    assert event_steps(trace) == truth.changed_steps()


# -- torch docs: CyclicLR with scale_fn; warm restarts stepped with fractional epochs -------


def test_cyclic_lr_with_a_scale_fn_is_torchs_own_rate() -> None:
    r, _ = run("cyclic_scale_fn")
    trace, truth = r.trace, r.truth
    assert_rates(step_rates(trace), [u[0] for u in truth.used], "CyclicLR")
    assert_no_external(trace)
    assert_words_true(trace)
    assert event_steps(trace) == truth.changed_steps()
    # torch ignores mode when scale_fn is given: the words must not say triangular.
    said = [w for w in all_words(trace) if "triangular" in w]
    assert not said, said[:3]
    assert trace.params.get("scale_fn"), dict(trace.params)


def test_warm_restarts_stepped_with_fractional_epochs() -> None:
    r, _ = run("warm_restarts")
    trace, truth = r.trace, r.truth
    assert_rates(step_rates(trace), [u[0] for u in truth.used], "warm restarts")
    assert_no_external(trace)
    assert_words_true(trace, did=["epoch given"])
    assert event_steps(trace) == truth.changed_steps()


# -- the pre-1.1 idiom: scheduler.step(epoch) at the top of each epoch ----------------------


def test_step_epoch_at_the_top_of_each_epoch() -> None:
    r, _ = run("step_epoch_legacy")
    trace, truth = r.trace, r.truth
    used = epoch_rates(truth, r.batches)
    assert used == pytest.approx([0.1] * 3 + [0.01] * 3 + [1e-3] * 3 + [1e-4], rel=1e-12)
    recorded = [e.lr[0] for e in trace.epochs]
    assert_rates(recorded, used, "per-epoch rates")
    assert_no_external(trace)
    # It passes an epoch, and steps its scheduler before the epoch's updates; no AMP.
    assert_words_true(trace, did=["epoch given", "early"])
    # Each scheduler step comes before its epoch's updates (trace.Steps.early): the
    # events are at the scheduler steps that changed the rate, as in every loop here,
    # and the epoch of each is the first whose updates used the new rate.
    assert trace.steps is not None and trace.steps.early == tuple(range(1, 11))
    assert event_steps(trace) == truth.changed_steps() == [4, 7, 10]
    assert [used[e.epoch - 1] for e in trace.events] == pytest.approx(
        [e.lr_after for e in trace.events], rel=1e-12
    )
    assert changes_between([(u,) for u in used[:-1]], (used[-1],)) == [3, 6, 9]


# -- AMP: GradScaler skips the updates whose gradients are not finite -----------------------


@pytest.mark.parametrize(
    ("nan_every", "of", "skipped"), [((0, 1, 2), 5, 24), ((0,), 1, 40)], ids=["24-of-40", "all-40"]
)
def test_amp_skipped_updates_are_told_as_skipped(
    nan_every: tuple[int, ...], of: int, skipped: int
) -> None:
    r, _ = run("amp_skip", nan_every=nan_every, of=of)
    trace, truth = r.trace, r.truth
    assert truth.skipped == skipped == len(r.nan_batches)
    ran = [k for k in range(40) if k not in r.nan_batches]
    assert_rates([step_rates(trace)[k] for k in ran], [u[0] for u in truth.used], "updates")
    assert_no_external(trace)
    assert_words_true(trace, did=["skipped"])
    said = [m for m in messages(trace) if "skip" in m.lower()]
    assert len(said) == 1, messages(trace)
    assert re.search(rf"\b{skipped}\b", said[0]), said[0]


def test_torchs_order_warning_names_the_users_line() -> None:
    # The first update is skipped: torch warns "lr_scheduler.step() before
    # optimizer.step()" with stacklevel=2, at the line that called the scheduler's step.
    # Here that caller is the Truth harness, which wraps scheduler.step (after the
    # Recorder) and calls it at one line of truth.py: torch names that line without
    # lrviz, and so must lrviz with it (never lrviz's own source).
    _, caught = run("amp_skip")
    order = [w for w in caught if "lr_scheduler.step()" in str(w.message)]
    assert order, [str(w.message) for w in caught]
    lines, first = inspect.getsourcelines(Truth.watch_scheduler)
    call = first + next(i for i, line in enumerate(lines) if "return original(" in line)
    assert all((Path(w.filename).name, w.lineno) == ("truth.py", call) for w in order), [
        f"{w.filename}:{w.lineno}" for w in order
    ]


# -- gradient accumulation ------------------------------------------------------------------


def test_gradient_accumulation_stepped_per_update_is_not_misuse() -> None:
    r, _ = run("grad_accumulation", per_micro_batch=False)
    trace, truth = r.trace, r.truth
    assert_rates(step_rates(trace), [u[0] for u in truth.used], "updates")
    assert_no_external(trace)
    assert_words_true(trace)
    assert messages(trace) == []
    assert event_steps(trace) == truth.changed_steps()


def test_gradient_accumulation_stepped_per_micro_batch_is_named() -> None:
    r, _ = run("grad_accumulation", per_micro_batch=True)
    trace, truth = r.trace, r.truth
    assert len(truth.stepped) == 4 * len(truth.used)
    assert_no_external(trace)
    assert_words_true(trace, did=["accumulation"])
    said = [m for m in messages(trace) if "accumulat" in m.lower()]
    assert len(said) == 1 and re.search(r"\b4\b", said[0]), messages(trace)


def test_check_names_the_first_differing_rate_step() -> None:
    right, _ = run("grad_accumulation", per_micro_batch=False)
    wrong, _ = run("grad_accumulation", per_micro_batch=True)
    a, b = step_rates(right.trace), step_rates(wrong.trace)
    first = next(k for k in range(1, min(len(a), len(b)) + 1) if a[k - 1] != b[k - 1])
    comparison = lrviz.compare(wrong.trace, right.trace)
    rate = next((d for d in comparison.divergences if d.field == "lr"), None)
    assert rate is not None and rate.step == first, comparison.report()
    # The report names it: the schedules' parameters may differ first, but the rate
    # step comes before any epoch's loss.
    lines = comparison.report().splitlines()
    at = next((i for i, line in enumerate(lines) if f"step {first}" in line and "lr" in line), None)
    loss = next((i for i, line in enumerate(lines) if "val_loss" in line), len(lines))
    assert at is not None and at < loss, comparison.report()


# -- OneCycleLR ------------------------------------------------------------------------------

NEGATIVE = re.compile(r"(?:^|[\s(=,:>])-\d")


def test_one_cycle_three_phase_linear_uses_no_negative_rate() -> None:
    r, _ = run("onecycle_three_phase")
    trace, truth = r.trace, r.truth
    assert len(truth.stepped) == 32  # exactly total_steps
    assert min(u[0] for u in truth.used) > 0
    assert r.final[0] < 0  # what torch leaves in the optimizer after its last step
    assert_rates(step_rates(trace), [u[0] for u in truth.used], "updates")
    assert_no_external(trace)
    assert_words_true(trace)
    # A phase is what the updates used: none ends below 0, and the summary says none.
    phases = [e for e in trace.events if e.evidence.get("steps", 1) > 1]
    negative = [e.reason for e in phases if e.lr_after < 0 or NEGATIVE.search(e.reason)]
    assert not negative, f"no update used a negative rate, yet: {negative[:3]}"
    shown = [line for line in explanation_lines(trace) if NEGATIVE.search(line)]
    assert all("no update" in line for line in shown), shown


def test_one_cycle_stepped_once_an_epoch_names_the_cause_and_the_fraction() -> None:
    r, _ = run("onecycle_per_epoch")
    trace, truth = r.trace, r.truth
    assert len(truth.stepped) == 5 and len(truth.used) == 50
    assert_rates([e.lr[0] for e in trace.epochs], epoch_rates(truth, 10), "per-epoch rates")
    assert_no_external(trace)
    assert_words_true(trace, did=["per epoch", "cut short"])
    said = [m for m in messages(trace) if re.search(r"once (per|an|a) epoch", m)]
    assert said, messages(trace)
    # The fraction it ran: 5 of its 50 steps; and the fix.
    assert any(re.search(r"\b5\b.*\b50\b", m) for m in said), said
    assert any("after every" in m for m in said), said


def test_one_cycle_stepped_past_total_steps_and_caught() -> None:
    r, _ = run("onecycle_overstep_caught")
    truth = r.truth
    assert truth.raised == [21, 22, 23, 24, 25]
    assert len(r.errors) == 5 and "Tried to step 21 times" in r.errors[0]
    trace = r.recorder.trace
    assert_rates(step_rates(trace), [u[0] for u in truth.used], "updates")
    assert_no_external(trace)
    assert_words_true(trace)
    assert event_steps(trace) == truth.changed_steps()
    again = lrviz.Trace.from_dict(json.loads(trace.to_json()))
    assert again.to_dict() == trace.to_dict()


# -- ReduceLROnPlateau on the validation loss ------------------------------------------------


def test_plateau_reductions_at_the_epochs_torch_reduced() -> None:
    r, _ = run("plateau")
    trace, truth = r.trace, r.truth
    assert_rates(step_rates(trace), epoch_rates(truth, 4), "per-epoch rates")
    changed = truth.changed_steps()
    assert changed  # the loop does plateau
    assert event_steps(trace) == changed
    assert all(e.kind == "reduce" and "val_loss" in e.reason for e in trace.events)
    assert_no_external(trace)
    assert_words_true(trace)
    assert messages(trace) == []


# -- what a real loop does to a Recorder ----------------------------------------------------


def test_progressive_unfreezing_adds_a_param_group_mid_run() -> None:
    r, _ = run("unfreeze")
    trace, truth = r.trace, r.truth
    assert r.loaded.to_dict() == trace.to_dict()
    assert_rates(step_rates(trace), epoch_rates(truth, 4), "group 0")
    assert_no_external(trace)
    assert_words_true(trace)
    assert event_steps(trace, 0) == truth.changed_steps(0)


def test_two_recorders_on_one_scheduler_both_know_it() -> None:
    r, _ = run("two_recorders")
    for trace in (r.mine, r.callback):
        assert trace.name == "StepLR"
        assert_no_external(trace)
        assert_words_true(trace)
        assert event_steps(trace) == r.truth.changed_steps() == [2, 4, 6]
    assert [(e.kind, e.at, e.reason) for e in r.mine.events] == [
        (e.kind, e.at, e.reason) for e in r.callback.events
    ]


def test_recorder_made_mid_run_numbers_epochs_from_the_scheduler() -> None:
    r, _ = run("recorder_mid_run")
    trace, truth = r.trace, r.truth
    assert [e.epoch for e in trace.epochs] == list(range(5, 11))
    assert_rates(step_rates(trace), epoch_rates(truth, 4), "per-epoch rates")
    assert_no_external(trace)
    # No epoch was passed to step(), and milestones 6 and 8 did take effect.
    assert_words_true(trace)
    assert not [m for m in messages(trace) if "never" in m], messages(trace)
    # Steps count the recorded steps (trace.Steps: 1 to count); epochs are torch's
    # last_epoch after the step, numbered from where the recording began.
    assert event_steps(trace) == truth.changed_steps() == [2, 4]
    assert [e.epoch for e in trace.events] == [4 + k for k in truth.changed_steps()] == [6, 8]


def test_a_recorded_scheduler_loads_where_lrviz_is_not_installed(tmp_path: Path) -> None:
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2)
    lrviz.Recorder(optimizer, scheduler)
    optimizer.step()
    scheduler.step()
    torch.save(scheduler, tmp_path / "scheduler.pt")
    code = (
        "import sys; sys.modules['lrviz'] = None; import torch; "
        f"s = torch.load({str(tmp_path / 'scheduler.pt')!r}, weights_only=False); "
        "print(type(s).__module__, type(s).__name__, s.last_epoch)"
    )
    env = {**os.environ, "PYTHONPATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["torch.optim.lr_scheduler", "StepLR", "1"]


def test_a_scheduler_of_another_optimizer_is_refused_naming_both() -> None:
    a = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    b = torch.optim.Adam(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"(?s)SGD.*Adam|Adam.*SGD"):
        lrviz.Recorder(a, torch.optim.lr_scheduler.StepLR(b, step_size=2))


def test_a_scheduler_name_instead_of_a_scheduler_is_a_type_error() -> None:
    optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    with pytest.raises(TypeError, match="scheduler"):
        lrviz.Recorder(optimizer, "StepLR")


def small_loop(scheduler_of: Any, epochs: int = 6, **recorder: Any) -> tuple[Any, Any]:
    """A few epochs of SGD on one layer with ``scheduler_of(optimizer)`` stepped per epoch."""
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = scheduler_of(optimizer)
    rec = lrviz.Recorder(optimizer, scheduler, **recorder)
    x = torch.randn(8, 2)
    for _ in range(epochs):
        optimizer.zero_grad()
        model(x).pow(2).mean().backward()
        optimizer.step()
        scheduler.step()
        rec.log(train_loss=0.5)
    return rec, scheduler


def test_a_recorded_scheduler_copies_and_saves_as_torchs_class(tmp_path: Path) -> None:
    rec, scheduler = small_loop(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2))
    copied = copy.deepcopy(scheduler)
    torch.save(scheduler, tmp_path / "s.pt")
    loaded = torch.load(tmp_path / "s.pt", weights_only=False)
    for other in (copied, loaded):
        assert type(other) is torch.optim.lr_scheduler.StepLR
        assert other.state_dict() == scheduler.state_dict()
    steps = rec.trace.step_count
    copied.optimizer.step()
    copied.step()  # a copy steps on its own: the recording is the original's
    assert rec.trace.step_count == steps


def test_a_class_of_ones_own_keeps_its_list_parameters() -> None:
    class WarmMultiStep(torch.optim.lr_scheduler.MultiStepLR):
        """A scheduler of one's own, as repositories subclass torch's."""

    rec, _ = small_loop(lambda o: WarmMultiStep(o, milestones=[2, 4], gamma=0.5))
    assert rec.trace.params.get("milestones") == [2, 4], dict(rec.trace.params)


def test_an_unlabelled_trace_is_not_named_twice() -> None:
    rec, _ = small_loop(
        lambda o: torch.optim.lr_scheduler.SequentialLR(
            o,
            [
                torch.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=2),
                torch.optim.lr_scheduler.StepLR(o, step_size=2),
            ],
            milestones=[2],
        )
    )
    header = explanation_lines(rec.trace)[0]
    assert "SequentialLR: SequentialLR" not in header, header
    assert not [m for m in messages(rec.trace) if "SequentialLR: SequentialLR" in m]


# -- the report page ----------------------------------------------------------------------


def page_text(index: Path) -> str:
    """The words of a report page, tags dropped, spaces joined."""
    text = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", index.read_text(), flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)))


@pytest.mark.slow
def test_report_page_of_hand_set_rates_and_a_three_phase_cycle(tmp_path: Path) -> None:
    cycle, _ = run("onecycle_three_phase")
    gpt, _ = run("nanogpt")
    text = page_text(lrviz.write_report([cycle.trace, gpt.trace], tmp_path / "report"))
    assert not re.search(r"outside the schedule|no rule for none", text), text[:2000]
    row = re.search(r"one-cycle-3 (\d+) (\S+) step", text)
    assert row is not None, text[:2000]
    assert not row.group(2).startswith("-"), f"final LR {row.group(2)}: no update used it"
    row = re.search(r"nanogpt (\d+) (\S+), (\S+) (never|step \d+)", text)
    assert row is not None, text[:2000]
    # A tenfold decay to min_lr is a reduction, and reaches 10% at step 80 (float tolerance).
    assert row.group(1) != "0" and row.group(4) == "step 80", row.group(0)


@pytest.mark.slow
def test_report_page_of_a_trace_whose_rates_were_edited(tmp_path: Path) -> None:
    r, _ = run("two_recorders")
    data = r.mine.to_dict()
    data["epochs"][2]["lr"] = data["epochs"][1]["lr"]  # no drop after epoch 2 any more
    edited = lrviz.Trace.from_dict(data)
    rates = edited.rates(0)
    drops = [k for k in range(1, len(rates)) if rates[k] < rates[k - 1]]
    assert 2 not in drops and edited.events[0].at == 2  # the stored event is stale
    text = page_text(lrviz.write_report([edited], tmp_path / "report"))
    stale = re.search(r"\b2 reduce 0\.1 → 0\.05\b", text)
    assert stale is None, "the page lists a reduction at epoch 2 that its rates do not show"


# -- frameworks: HF Trainer, Lightning, DDP ---------------------------------------------------


def numbers_in(trace: lrviz.Trace) -> list[float]:
    """Every number a trace file holds."""
    out: list[float] = []

    def walk(value: Any) -> None:
        if isinstance(value, float):
            out.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(json.loads(trace.to_json()))
    return out


def holds(trace: lrviz.Trace, value: float) -> bool:
    return any(math.isclose(value, n, rel_tol=1e-6) for n in numbers_in(trace))


@pytest.fixture(scope="module")
def hf() -> Any:
    return run("hf_trainer")[0]


@pytest.mark.slow
def test_hf_trainer_with_gradient_accumulation_rates_and_words(hf: Any) -> None:
    assert len(hf.traces) == 1
    trace, truth = hf.traces[0], hf.truth
    assert len(truth.used) == truth.max_steps == 15
    assert_rates(step_rates(trace), truth.used, "updates")
    assert_no_external(trace)
    # HF's linear warm-up starts at 0: its first update did run at rate 0; nothing else
    # (the Trainer steps its scheduler once per update: no accumulation misuse).
    assert_words_true(trace, did=["rate 0"])


@pytest.mark.slow
def test_hf_trainer_rate_zero_is_said_once_not_per_param_group(hf: Any) -> None:
    said = [m for m in messages(hf.traces[0]) if "rate 0" in m]
    assert len(said) == 1, said


@pytest.mark.slow
def test_hf_trainer_optimizer_is_named_as_torchs_class(hf: Any) -> None:
    assert (hf.traces[0].optimizer or {}).get("name") == "AdamW"


@pytest.mark.slow
def test_hf_trainer_every_evaluation_is_kept(hf: Any) -> None:
    trace = hf.traces[0]
    lost = [(step, loss) for step, loss in hf.truth.evals if not holds(trace, loss)]
    assert not lost, f"eval losses (step, value) not in the trace: {lost}"


@pytest.fixture(scope="module")
def gan() -> Any:
    return run("lightning_gan")[0]


@pytest.mark.slow
def test_lightning_gan_records_both_optimizers_and_both_schedulers(gan: Any) -> None:
    names = sorted(t.name for t in gan.traces)
    assert names == ["ExponentialLR", "StepLR"], names
    by_name = {t.name: t for t in gan.traces}
    for name, key in (("StepLR", "g"), ("ExponentialLR", "d")):
        trace = by_name[name]
        assert_rates(step_rates(trace), epoch_rates(gan.truths[key], 4), name)
        assert trace.final_lr[0] == gan.final[key]
        assert_no_external(trace)
        assert_words_true(trace)
    assert len({t.label for t in gan.traces}) == 2


@pytest.mark.slow
def test_lightning_gan_keeps_the_losses_it_logged(gan: Any) -> None:
    text = " ".join(t.to_json() for t in gan.traces)
    assert '"g_loss"' in text and '"d_loss"' in text


def launch(args: list[str], out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}
    done = subprocess.run(
        [sys.executable, *args, str(out)], capture_output=True, text=True, env=env, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def rank_truth(out: Path) -> dict[int, dict[str, Any]]:
    found = [json.loads(p.read_text()) for p in out.glob("truth-rank*.json")]
    return {t["rank"]: t for t in found}


def assert_rank_zero_wrote(trace: lrviz.Trace, truth: dict[int, dict[str, Any]]) -> None:
    __tracebackhide__ = True
    assert sorted(truth) == [0, 1]
    assert truth[0]["train_loss"] != truth[1]["train_loss"]
    losses = [e.train_loss for e in trace.epochs]
    assert losses == pytest.approx(truth[0]["train_loss"], rel=1e-6), (
        f"the trace holds {losses}; rank 0 logged {truth[0]['train_loss']}, "
        f"rank 1 {truth[1]['train_loss']}"
    )
    where = {**dict(trace.meta), **dict(trace.experiment or {})}
    assert where.get("world_size") == 2 and where.get("rank") == 0, where


@pytest.mark.slow
def test_ddp_under_torchrun_only_rank_zero_writes(tmp_path: Path) -> None:
    launch(
        [
            "-m",
            "torch.distributed.run",
            "--nproc_per_node",
            "2",
            str(HERE / "loops" / "ddp_torchrun.py"),
        ],
        tmp_path,
    )
    truth = rank_truth(tmp_path)
    assert_rank_zero_wrote(lrviz.Trace.load(tmp_path / "ddp.json"), truth)
    copies = sorted((tmp_path / "report" / "traces").glob("*.json*"))
    assert len(copies) == 1
    assert_rank_zero_wrote(lrviz.Trace.load(copies[0]), truth)


@pytest.mark.slow
def test_lightning_ddp_on_two_processes_only_rank_zero_writes(tmp_path: Path) -> None:
    launch([str(HERE / "loops" / "lightning_ddp.py")], tmp_path)
    copies = sorted((tmp_path / "report" / "traces").glob("*.json*"))
    assert len(copies) == 1
    assert_rank_zero_wrote(lrviz.Trace.load(copies[0]), rank_truth(tmp_path))
