"""Near misses of ReduceLROnPlateau, checked against torch's own scheduler stepped by hand."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrviz
from lrviz.near_misses import console_lines, distinct, near_misses, to_json
from lrviz.schedules import lookup
from lrviz.spec import ScheduleSpec

PLATEAU = lookup("plateau")


def _spec(**params: Any) -> ScheduleSpec:
    return ScheduleSpec(PLATEAU, params, "plateau")


def torch_near_misses(
    metrics: list[float], lrs: list[float], **params: Any
) -> tuple[set[tuple[int, str, int | None]], dict[int, tuple[float, int]]]:
    """What torch itself did: its ``_is_better`` against its ``best`` before each step, its
    ``cooldown_counter``, whether it called ``_reduce_lr``, and whether the rate moved.

    Returns the near misses as (epoch, kind, group), and for each epoch torch's best
    before the step and its bad-epoch count after it.
    """
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": r} for r in lrs]
    optimizer = torch.optim.SGD(groups, lr=lrs[0])
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **params)
    reductions: list[int] = []
    reduce_lr = scheduler._reduce_lr

    def spy(epoch: int) -> None:
        reductions.append(epoch)
        reduce_lr(epoch)

    scheduler._reduce_lr = spy  # type: ignore[method-assign]
    found: set[tuple[int, str, int | None]] = set()
    counts: dict[int, tuple[float, int]] = {}
    min_lr = params.get("min_lr", 0.0)
    for epoch, metric in enumerate(metrics, start=1):
        best, cooling = scheduler.best, scheduler.cooldown_counter > 0
        before = [g["lr"] for g in optimizer.param_groups]
        improved = scheduler._is_better(metric, best)
        raw = metric < best if scheduler.mode == "min" else metric > best
        optimizer.step()
        scheduler.step(metric)
        counts[epoch] = (best, scheduler.num_bad_epochs)
        if not improved and cooling:
            found.add((epoch, "cooldown", None))
        elif not improved and raw and math.isfinite(best):
            found.add((epoch, "threshold", None))
        if reductions and reductions[-1] == epoch:
            for g, group in enumerate(optimizer.param_groups):
                if group["lr"] == before[g]:
                    floor = min_lr[g] if isinstance(min_lr, list) else min_lr
                    kind = "min_lr" if before[g] * scheduler.factor < floor else "eps"
                    found.add((epoch, kind, g))
    return found, counts


def _keys(trace: lrviz.Trace) -> set[tuple[int, str, int | None]]:
    return {(m.epoch, m.kind, m.group) for m in near_misses(trace)}


def test_the_issue_example_in_words() -> None:
    metrics = [1.2, 1.08521, 1.08512, 1.3]
    trace = lrviz.simulate(_spec(patience=10), metrics=metrics, lr=0.1)
    (miss,) = near_misses(trace)
    assert miss.kind == "threshold"
    assert miss.epoch == 3
    assert miss.reason == (
        "epoch 3: the metric 1.08512, best 1.08521: better by 9e-05, less than threshold "
        "0.0001 x best = 0.000109, so counted as a bad epoch (1 of patience 10)"
    )
    assert miss.numbers["best"] == 1.08521
    assert miss.numbers["num_bad_epochs"] == 1


def test_the_metric_is_named_when_the_trace_says_which_it_was() -> None:
    metrics = [1.0, 0.99999, 0.99998]
    trace = lrviz.simulate(_spec(patience=10), metrics=metrics, lr=0.1)
    epochs = tuple(replace(e, val_loss=e.metric) for e in trace.epochs)
    named = replace(trace, epochs=epochs)
    assert all(m.reason.split(": ")[1].startswith("val_loss ") for m in near_misses(named))


@pytest.mark.parametrize(
    ("mode", "threshold_mode", "threshold", "metrics", "expected"),
    [
        ("min", "rel", 0.1, [1.0, 0.95, 0.85], {2}),  # 0.95 > 1.0 x 0.9
        ("min", "abs", 0.1, [1.0, 0.95, 0.85], {2}),  # 0.95 > 1.0 - 0.1; 0.85 < 0.9
        ("max", "rel", 0.1, [1.0, 1.05, 1.2], {2}),  # 1.05 < 1.0 x 1.1
        ("max", "abs", 0.1, [1.0, 1.05, 1.2], {2}),  # 1.05 < 1.0 + 0.1
        ("min", "rel", 0.1, [-1.0, -1.05], set()),  # negative best: any drop counts (#47513)
        ("max", "rel", 0.1, [-1.0, -0.95], set()),  # -0.95 > -1.0 x 1.1
        ("min", "rel", 0.0, [1.0, 0.99999999], set()),  # no threshold, no near miss
    ],
    ids=["min-rel", "min-abs", "max-rel", "max-abs", "min-rel-negative", "max-rel-negative", "0"],
)
def test_threshold_near_misses_in_every_mode_as_torch_counts(
    mode: str, threshold_mode: str, threshold: float, metrics: list[float], expected: set[int]
) -> None:
    params = {"mode": mode, "threshold_mode": threshold_mode, "threshold": threshold}
    trace = lrviz.simulate(_spec(patience=10, **params), metrics=metrics, lr=0.1)
    found = {m.epoch for m in near_misses(trace) if m.kind == "threshold"}
    assert found == expected
    assert {e for e, kind, _ in torch_near_misses(metrics, [0.1], **params)[0]} == expected


def test_cooldown_and_min_lr_in_words() -> None:
    metrics = [1.0] * 8
    trace = lrviz.simulate(_spec(patience=1, cooldown=2, min_lr=0.01), metrics=metrics, lr=0.1)
    found = near_misses(trace)
    assert [(m.epoch, m.kind) for m in found] == [
        (4, "cooldown"),
        (5, "cooldown"),
        (7, "min_lr"),
        (8, "cooldown"),
    ]
    assert found[0].reason == (
        "epoch 4: the metric 1 did not improve on best 1, a bad epoch, but cooldown ignores it "
        "(1 more cooldown epoch after this one)"
    )
    assert found[1].reason.endswith("(the last cooldown epoch)")
    assert found[2].reason == (
        "epoch 7: the metric had not improved for more than patience 1 epochs, so "
        "ReduceLROnPlateau reduced, but min_lr 0.01 kept the rate at 0.01 (0.01 x factor 0.1 "
        "= 0.001 is below min_lr)"
    )


def test_eps_and_per_group_floors_name_the_group() -> None:
    metrics = [1.0] * 6
    spec = _spec(patience=0, factor=0.5, min_lr=[0.0, 0.05], eps=0.02)
    trace = lrviz.simulate(spec, metrics=metrics, lr=[0.1, 0.1])
    found = near_misses(trace)
    expected, _ = torch_near_misses(
        metrics, [0.1, 0.1], patience=0, factor=0.5, min_lr=[0.0, 0.05], eps=0.02
    )
    assert {(m.epoch, m.kind, m.group) for m in found} == expected
    assert {m.kind for m in found} == {"eps", "min_lr"}
    assert all(f"(group {m.group})" in m.reason for m in found)
    assert near_misses(trace, group=1) == [m for m in found if m.group == 1]


def test_step_resolution_traces_say_the_step() -> None:
    metrics = [1.0, 0.99999, 1.0]
    trace = lrviz.simulate(_spec(patience=5), metrics=metrics, lr=0.1, steps_per_epoch=4)
    (miss,) = near_misses(trace)
    assert (miss.epoch, miss.step) == (2, 8)
    assert miss.reason.startswith("step 8: ")
    assert to_json([miss])[0]["step"] == 8


def test_other_schedules_and_bare_logs_have_none() -> None:
    assert near_misses(lrviz.simulate("step:step_size=2", epochs=5)) == []
    assert console_lines(lrviz.simulate("step:step_size=2", epochs=5)) == []
    bare = lrviz.Trace.from_rates([0.1, 0.1, 0.01], name="ReduceLROnPlateau")
    assert near_misses(bare) == []


def test_a_bad_group_is_refused() -> None:
    trace = lrviz.simulate(_spec(), metrics=[1.0], lr=0.1)
    with pytest.raises(ValueError, match="group must be 0 to 0, got 1"):
        near_misses(trace, group=1)


def test_console_lines_and_json() -> None:
    trace = lrviz.simulate(_spec(patience=1, cooldown=1), metrics=[1.0, 0.99999, 1.0, 1.0], lr=0.1)
    lines = console_lines(trace)
    assert lines[0] == "near misses (2):"
    assert lines[1].startswith("  threshold  epoch 2: ")
    assert lines[2].startswith("  cooldown   epoch 4: ")
    rows = to_json(near_misses(trace))
    assert [r["kind"] for r in rows] == ["threshold", "cooldown"]
    assert json.loads(json.dumps(rows, allow_nan=False)) == rows
    quiet = lrviz.simulate(_spec(), metrics=[1.0, 0.5], lr=0.1)
    assert console_lines(quiet)[0].startswith("near misses: none")


def test_nan_metrics_are_strict_json() -> None:
    trace = lrviz.simulate(_spec(patience=0, cooldown=2), metrics=[1.0, 2.0, math.nan], lr=0.1)
    rows = to_json(near_misses(trace))
    assert rows[-1]["kind"] == "cooldown"
    assert rows[-1]["numbers"]["metric"] == "NaN"
    json.dumps(rows, allow_nan=False)


def test_a_resumed_trace_starts_from_its_recorded_state() -> None:
    metrics = [1.0, 1.0, 0.99999, 1.0, 0.99999]
    whole = lrviz.simulate(_spec(patience=3), metrics=metrics, lr=0.1)
    tail = replace(whole, epochs=whole.epochs[2:], initial_lr=whole.epochs[2].lr)
    assert [m.epoch for m in near_misses(whole)] == [3, 5]
    # Epoch 3 follows a state the tail did not record: only epoch 5 can be told.
    assert [m.epoch for m in near_misses(tail)] == [5]


def test_distinct_digits() -> None:
    assert distinct(1.08512, 1.08521) == ("1.08512", "1.08521")
    assert distinct(0.5, 0.25) == ("0.5", "0.25")
    assert distinct(1.0, 1.0 + 2**-52) == ("1", "1.0000000000000002")


_MOVES = st.sampled_from([-0.1, -1e-3, -5e-5, 0.0, 5e-5, 1e-3, 0.1])


@st.composite
def _cases(draw: st.DrawFn) -> tuple[list[float], list[float], dict[str, Any]]:
    start = draw(st.sampled_from([1.0, -1.0, 50.0]))
    metrics = [start]
    for move in draw(st.lists(_MOVES, min_size=1, max_size=30)):
        metrics.append(metrics[-1] + move * abs(start))
    lrs = draw(st.sampled_from([[0.1], [0.1, 0.002]]))
    params = {
        "mode": draw(st.sampled_from(["min", "max"])),
        "threshold_mode": draw(st.sampled_from(["rel", "abs"])),
        "threshold": draw(st.sampled_from([0.0, 1e-4, 1e-2])),
        "patience": draw(st.integers(0, 3)),
        "cooldown": draw(st.integers(0, 3)),
        "factor": draw(st.sampled_from([0.1, 0.5])),
        "min_lr": draw(st.sampled_from([0.0, 1e-3, *([[0.0, 0.05]] if len(lrs) == 2 else [])])),
        "eps": draw(st.sampled_from([1e-8, 1e-3])),
    }
    return metrics, lrs, params


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cases())
def test_near_misses_are_what_torch_did(
    case: tuple[list[float], list[float], dict[str, Any]],
) -> None:
    metrics, lrs, params = case
    trace = lrviz.simulate(_spec(**params), metrics=metrics, lr=lrs)
    expected, counts = torch_near_misses(metrics, lrs, **params)
    found = near_misses(trace)
    assert {(m.epoch, m.kind, m.group) for m in found} == expected
    for m in found:
        if m.kind == "threshold":
            best, bad = counts[m.epoch]
            assert m.numbers["best"] == best
            if m.numbers["num_bad_epochs"] <= params["patience"]:
                assert m.numbers["num_bad_epochs"] == bad
    # Without the recorded state (a log that kept only the metric), the same by replay.
    bare = replace(trace, epochs=tuple(replace(e, state={}) for e in trace.epochs))
    assert near_misses(bare) == found
