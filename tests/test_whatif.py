"""What-if replays, checked bit for bit against torch's schedulers stepped by hand."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lrviz
from lrviz.whatif import console_lines, for_traces, parse_changes, summary, to_json, what_if

# val_loss falls for 20 epochs, then wanders within 0.5% of its best: a plateau that
# reduces after patience 10 at different epochs than after patience 5.
METRICS = [1.0 / (1 + k) for k in range(20)] + [
    0.0476 * (1 + 0.005 * math.sin(k)) for k in range(40)
]


def _optimizer(lrs: list[float]) -> torch.optim.Optimizer:
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": r} for r in lrs]
    return torch.optim.SGD(groups, lr=lrs[0])


def by_hand(
    make: Callable[[torch.optim.Optimizer], Any],
    lrs: list[float],
    steps: int,
    metrics: list[float] | None = None,
) -> list[list[float]]:
    """Each group's rates, torch stepping by hand: the initial rate, then after each step."""
    optimizer = _optimizer(lrs)
    scheduler = make(optimizer)
    out = [[g["lr"] for g in optimizer.param_groups]]
    for k in range(steps):
        optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[k])
        out.append([g["lr"] for g in optimizer.param_groups])
    return [list(column) for column in zip(*out, strict=True)]


def _first_difference(a: list[float], b: list[float]) -> int | None:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y), None)


def test_plateau_replay_is_torch_with_patience_5_bit_for_bit() -> None:
    trace = lrviz.simulate("plateau", metrics=METRICS, lr=0.1)
    w = what_if(trace, {"patience": 5})
    (expected,) = by_hand(
        lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, patience=5),
        [0.1],
        len(METRICS),
        METRICS,
    )
    assert w.replay.rates(0) == expected
    first = _first_difference(trace.rates(0), expected)
    assert first is not None
    assert w.first_difference == first
    assert w.metric
    assert w.statement == (
        f"the replay holds only until epoch {first}: after it the rates differ, so the "
        "metric would have been different; the replay past it is what the same metric would "
        "have done, not what training would have done"
    )
    real = [k for k in range(1, 61) if trace.rates(0)[k] != trace.rates(0)[k - 1]]
    replayed = [k for k in range(1, 61) if expected[k] != expected[k - 1]]
    assert (list(w.real_changes[0]), list(w.replay_changes[0])) == (real, replayed)
    assert real and replayed and real[0] != replayed[0]


def test_a_recorded_loop_of_two_groups_replays_as_torch_does() -> None:
    lrs = [0.1, 0.03]
    optimizer = _optimizer(lrs)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=3, min_lr=[0, 0.01])
    recorder = lrviz.Recorder(optimizer, scheduler)
    for metric in METRICS:
        optimizer.step()
        scheduler.step(metric)
        recorder.log(val_loss=metric)
    trace = recorder.trace
    changes = {"patience": 2, "cooldown": 3, "threshold": 1e-3}
    w = what_if(trace, changes)
    expected = by_hand(
        lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, min_lr=[0, 0.01], **changes),
        lrs,
        len(METRICS),
        METRICS,
    )
    assert [w.replay.rates(g) for g in range(2)] == expected
    firsts = [_first_difference(trace.rates(g), expected[g]) for g in range(2)]
    assert w.first_difference == min(f for f in firsts if f is not None)
    lines = console_lines(w)
    assert lines[0] == (
        "what-if patience=2, cooldown=3, threshold=0.001: the recorded metric replayed "
        "through torch's ReduceLROnPlateau"
    )
    assert [line.split(":")[0] for line in lines[1:5]] == [
        "  run (group 0)",
        "  what-if (group 0)",
        "  run (group 1)",
        "  what-if (group 1)",
    ]


def test_settings_that_change_nothing_say_so() -> None:
    trace = lrviz.simulate("plateau", metrics=METRICS, lr=0.1)
    w = what_if(trace, {"eps": 1e-9})
    assert w.first_difference is None
    assert w.replay.rates(0) == trace.rates(0)
    assert w.statement.startswith("the rates are the same at every epoch")


def test_step_lr_what_if_is_torch_step_lr_with_the_other_step_size() -> None:
    trace = lrviz.simulate("step:step_size=10,gamma=0.5", epochs=40, lr=0.2)
    w = what_if(trace, {"step_size": 7})
    (expected,) = by_hand(
        lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.5), [0.2], 40
    )
    assert w.replay.rates(0) == expected
    assert w.first_difference == 7
    assert w.replay_changes == ((7, 14, 21, 28, 35),)
    assert w.real_changes == ((10, 20, 30, 40),)
    assert not w.metric
    assert "StepLR does not read the metric" in w.statement


def test_a_schedule_that_scales_the_rate_when_built_starts_from_the_base_rate() -> None:
    trace = lrviz.simulate("linear:start_factor=0.25,total_iters=4", epochs=6, lr=0.1)
    w = what_if(trace, {"start_factor": 0.5})
    (expected,) = by_hand(
        lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.5, total_iters=4), [0.1], 6
    )
    assert w.replay.rates(0) == expected
    assert w.first_difference == 0
    assert w.statement.startswith("from the start the rates differ")


def test_step_resolution_what_if_lines_up_step_for_step() -> None:
    trace = lrviz.simulate("onecycle:max_lr=0.5", epochs=4, steps_per_epoch=10)
    w = what_if(trace, {"pct_start": 0.5})
    (expected,) = by_hand(
        lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=40, pct_start=0.5),
        [0.1],
        40,
    )
    assert w.replay.rates(0) == expected
    assert w.unit == "step"


def test_plateau_stepped_once_an_epoch_in_a_step_trace() -> None:
    metrics = METRICS[:30]
    trace = lrviz.simulate("plateau", metrics=metrics, lr=0.1, steps_per_epoch=3)
    w = what_if(trace, {"patience": 2})
    (per_epoch,) = by_hand(
        lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, patience=2), [0.1], 30, metrics
    )
    # The rate of step 3k+1 (the first of epoch k+1) is the rate after epoch k's step.
    assert [w.replay.rates(0)[3 * k] for k in range(30)] + [w.replay.rates(0)[-1]] == per_epoch
    assert w.first_difference is not None and w.first_difference % 3 == 0


def test_a_composite_is_replayed_with_its_children() -> None:
    spec = "sequentiallr:schedulers=['linear:total_iters=5','exp:gamma=0.9'],milestones=[5]"
    trace = lrviz.simulate(spec, epochs=12)
    w = what_if(trace, {"milestones": [8]})

    def make(o: torch.optim.Optimizer) -> Any:
        return torch.optim.lr_scheduler.SequentialLR(
            o,
            [
                torch.optim.lr_scheduler.LinearLR(o, start_factor=1 / 3, total_iters=5),
                torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
            ],
            milestones=[8],
        )

    (expected,) = by_hand(make, [0.1], 12)
    assert w.replay.rates(0) == expected
    assert w.first_difference == 6


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({}, "changes is empty"),
        ({"patiense": 5}, "unknown parameter 'patiense' for ReduceLROnPlateau; allowed: mode, "),
        ({"factor": 2.0}, "what-if factor=2.0: ReduceLROnPlateau rejected .*Factor should be"),
        ({"mode": "maxx"}, "mode must be one of 'min', 'max', got 'maxx'"),
        ({"patience": "a"}, "patience must be a whole number, got 'a'"),
    ],
    ids=["empty", "unknown", "torch-rejects", "choice", "type"],
)
def test_bad_changes_name_the_key_and_what_is_allowed(
    changes: dict[str, Any], message: str
) -> None:
    trace = lrviz.simulate("plateau", metrics=METRICS[:5], lr=0.1)
    with pytest.raises(ValueError, match=message):
        what_if(trace, changes)


def test_changes_must_be_a_mapping() -> None:
    trace = lrviz.simulate("plateau", metrics=METRICS[:5], lr=0.1)
    with pytest.raises(TypeError, match="changes must be a mapping"):
        what_if(trace, [("patience", 5)])  # type: ignore[arg-type]


def resumed_plateau() -> lrviz.Trace:
    """A ReduceLROnPlateau run resumed after 5 epochs from its checkpoint, recorded."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer)
    for value in METRICS[:5]:
        optimizer.step()
        scheduler.step(value)
    checkpoint = {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer)
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    rec = lrviz.Recorder(optimizer, scheduler)
    for value in METRICS[5:8]:
        optimizer.step()
        scheduler.step(value)
        rec.log(val_loss=value)
    return rec.trace


def test_traces_a_replay_cannot_follow_are_refused() -> None:
    trace = lrviz.simulate("plateau", metrics=METRICS[:6], lr=0.1)
    with pytest.raises(ValueError, match="from its first step; this trace resumed after 5 steps"):
        what_if(resumed_plateau(), {"patience": 1})
    silent = replace(trace, epochs=tuple(replace(e, metric=None) for e in trace.epochs))
    with pytest.raises(ValueError, match="no metric at epoch 1"):
        what_if(silent, {"patience": 1})
    with pytest.raises(ValueError, match="LambdaLR takes Python functions"):
        what_if(lrviz.Trace.from_rates([0.1, 0.1], name="LambdaLR"), {"lr_lambda": 1})


def test_parse_changes_reads_the_spec_grammar() -> None:
    trace = lrviz.simulate("plateau", metrics=METRICS[:5], lr=0.1)
    assert parse_changes("patience=5,threshold=1e-3,mode=max,min_lr=[0]", trace) == {
        "patience": 5,
        "threshold": 1e-3,
        "mode": "max",
        "min_lr": [0],
    }
    with pytest.raises(ValueError, match="write key=value"):
        parse_changes("patience", trace)
    with pytest.raises(ValueError, match="given twice"):
        parse_changes("patience=1,patience=2", trace)
    with pytest.raises(ValueError, match="--what-if needs key=value pairs"):
        parse_changes(" ", trace)


def test_to_json_is_strict_and_holds_the_replayed_rates() -> None:
    trace = lrviz.simulate("plateau", metrics=METRICS, lr=0.1)
    w = what_if(trace, {"patience": 5})
    data = to_json(w)
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data["first_difference"] == w.first_difference
    assert data["metric_replay"] is True
    assert data["changes"] == {"patience": 5}
    assert data["params"]["patience"] == 5
    (group,) = data["groups"]
    assert group["what_if_lr"] == w.replay.rates(0)
    assert group["run_changes"] == list(w.real_changes[0])
    assert group["what_if_changes"] == list(w.replay_changes[0])


def test_a_report_replays_the_traces_whose_schedule_takes_the_parameters() -> None:
    step = lrviz.simulate("step:step_size=10", epochs=30)
    plateau = lrviz.simulate("plateau", metrics=[1.0] * 30, lr=0.1)
    (w,) = for_traces([step, plateau], "patience=5")
    assert w.trace is plateau
    assert summary(w) == (
        "With patience=5, ReduceLROnPlateau would have changed the rate after epochs 7, 13, "
        "19, 25; in the run it did after epochs 12, 23. The replay holds only until epoch 7: "
        "after it the rates differ, so the metric would have been different; the replay past "
        "it is what the same metric would have done, not what training would have done."
    )
    assert [x.trace for x in for_traces([step, plateau], "gamma=0.5")] == [step]
    with pytest.raises(ValueError, match="no schedule in the report takes those parameters"):
        for_traces([step], "patience=5")
    silent = replace(
        plateau,
        schedule={**plateau.schedule, "label": "quiet"},
        epochs=tuple(replace(e, metric=None) for e in plateau.epochs),
    )
    with pytest.raises(ValueError, match=r"^quiet: what-if patience=5: the trace holds no metric"):
        for_traces([silent], "patience=5")


def test_a_summary_of_a_schedule_that_never_changes_the_rate() -> None:
    trace = lrviz.simulate("step:step_size=50", epochs=20)
    w = what_if(trace, {"step_size": 60})
    assert summary(w) == (
        "With step_size=60, StepLR would have changed the rate at no epoch; in the run it did "
        "at no epoch. The rates are the same at every epoch: these settings would not have "
        "changed this run."
    )
    assert console_lines(w)[1:3] == [
        "  run:     the rate never changed",
        "  what-if: the rate never changed",
    ]


_SETTINGS = st.fixed_dictionaries(
    {},
    optional={
        "patience": st.integers(0, 6),
        "cooldown": st.integers(0, 3),
        "threshold": st.sampled_from([0.0, 1e-4, 1e-2]),
        "threshold_mode": st.sampled_from(["rel", "abs"]),
        "factor": st.sampled_from([0.1, 0.5, 0.9]),
        "min_lr": st.sampled_from([0.0, 1e-3]),
    },
).filter(bool)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from([1.0, 0.99, 0.9999, 0.5, 1.5]), min_size=1, max_size=40),
    _SETTINGS,
)
def test_any_plateau_replay_is_torch_stepped_by_hand(
    metrics: list[float], changes: dict[str, Any]
) -> None:
    trace = lrviz.simulate("plateau:patience=3", metrics=metrics, lr=0.1)
    w = what_if(trace, changes)
    params = {**trace.params, **changes}
    (expected,) = by_hand(
        lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, **params),
        [0.1],
        len(metrics),
        metrics,
    )
    assert w.replay.rates(0) == expected
    assert w.first_difference == _first_difference(trace.rates(0), expected)
