"""Explanations: hand-built traces (pure, no torch), then properties against torch itself."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch_oracle import drive

from lrviz.explanation import explain, is_continuous, milestones, notable, rederive
from lrviz.trace import Epoch, Event, Trace

PLATEAU = {
    "mode": "min",
    "factor": 0.1,
    "patience": 2,
    "threshold": 1e-4,
    "threshold_mode": "rel",
    "cooldown": 0,
    "min_lr": 0,
    "eps": 1e-8,
}


def make_trace(
    name: str,
    params: Mapping[str, Any],
    rates: Sequence[float | Sequence[float]],
    metrics: Sequence[float] | None = None,
) -> Trace:
    """A trace from its rates: the rate of each epoch, then the rate after the last step."""
    rows = [tuple(r) if isinstance(r, Sequence) else (r,) for r in rates]
    epochs = tuple(
        Epoch(k, row, metric=None if metrics is None else metrics[k - 1])
        for k, row in enumerate(rows[:-1], start=1)
    )
    return Trace(
        meta={"source": "record"},
        experiment=None,
        schedule={"name": name, "params": dict(params)},
        initial_lr=rows[0],
        epochs=epochs,
        final_lr=rows[-1],
    )


def kinds(events: Sequence[Event]) -> list[tuple[int, str]]:
    return [(e.epoch, e.kind) for e in events]


# -- hand-built traces: StepLR, ExponentialLR, ReduceLROnPlateau -------------------------


def test_step_lr_reduces_at_multiples_of_step_size() -> None:
    trace = make_trace("StepLR", {"step_size": 2, "gamma": 0.5}, [1, 1, 0.5, 0.5, 0.25])
    events = explain(trace)
    assert kinds(events) == [(2, "reduce"), (4, "reduce")]
    assert events[0].reason == "epoch 2 is a multiple of step_size 2: rate x gamma 0.5"
    assert (events[0].lr_before, events[0].lr_after) == (1, 0.5)
    assert events[0].evidence == {"step_size": 2, "gamma": 0.5}


def test_step_lr_external_change_is_flagged_once_and_later_steps_follow_it() -> None:
    # Someone set the rate to 0.3 after epoch 1; StepLR then halves the observed 0.3.
    trace = make_trace("StepLR", {"step_size": 2, "gamma": 0.5}, [1, 0.3, 0.15, 0.15])
    events = explain(trace)
    assert kinds(events) == [(1, "external"), (2, "reduce")]
    assert "changed outside the schedule" in events[0].reason
    assert events[0].evidence["expected"] == 1


def test_a_change_the_rule_expected_but_did_not_happen_is_external() -> None:
    events = explain(make_trace("StepLR", {"step_size": 1, "gamma": 0.5}, [1, 1]))
    assert kinds(events) == [(1, "external")]
    assert "rule gives 0.5" in events[0].reason


def test_exponential_lr_every_epoch_with_milestones() -> None:
    rates = [0.5**k for k in range(8)]
    trace = make_trace("ExponentialLR", {"gamma": 0.5}, rates).with_events([])
    events = explain(trace)
    assert [e.kind for e in events] == ["reduce"] * 7
    assert events[1].reason == "every epoch: rate x gamma 0.5"
    assert events[0].evidence["milestones"] == [0.5]
    assert events[3].evidence["milestones"] == [0.1]
    assert events[6].evidence["milestones"] == [0.01]
    assert "now at or below 1% of the initial rate" in events[6].reason
    assert milestones(trace) == {0.5: 1, 0.1: 4, 0.01: 7}
    assert [e.epoch for e in notable(trace.with_events(events))] == [1, 4, 7]


def test_plateau_reduces_after_patience_with_evidence() -> None:
    metrics = [1.0, 0.5, 0.6, 0.5, 0.50001, 0.4]
    rates = [1, 1, 1, 1, 1, 0.1, 0.1]
    events = explain(make_trace("ReduceLROnPlateau", PLATEAU, rates, metrics))
    assert kinds(events) == [(5, "reduce")]
    e = events[0]
    assert e.reason == (
        "the metric has not improved on its best 0.5 (epoch 2) by more than rel. threshold "
        "0.0001 for 3 epochs > patience 2: rate x factor 0.1"
    )
    assert (e.evidence["best"], e.evidence["best_epoch"], e.evidence["num_bad_epochs"]) == (
        0.5,
        2,
        3,
    )


def test_plateau_held_by_min_lr_and_by_eps() -> None:
    metrics = [1.0, 1.0, 1.0, 1.0]
    held_min = explain(
        make_trace("ReduceLROnPlateau", {**PLATEAU, "min_lr": 0.5}, [0.5] * 5, metrics)
    )
    assert kinds(held_min) == [(4, "held")]
    assert held_min[0].reason.endswith("but min_lr 0.5 keeps the rate at 0.5")
    eps = {**PLATEAU, "eps": 1e-3}
    held_eps = explain(make_trace("ReduceLROnPlateau", eps, [1e-3] * 5, metrics))
    assert kinds(held_eps) == [(4, "held")]
    assert held_eps[0].reason.endswith("but eps 0.001 keeps the rate at 0.001")
    floored = explain(
        make_trace("ReduceLROnPlateau", {**PLATEAU, "min_lr": 0.2}, [1, 1, 1, 1, 0.2], metrics)
    )
    assert kinds(floored) == [(4, "reduce")] and "floored at min_lr 0.2" in floored[0].reason


def test_plateau_groups_are_explained_one_by_one() -> None:
    params = {**PLATEAU, "min_lr": [0.0, 0.1]}
    trace = make_trace("ReduceLROnPlateau", params, [(1, 0.1)] * 4 + [(0.1, 0.1)], [2.0] * 4)
    assert [(e.epoch, e.group, e.kind) for e in explain(trace)] == [
        (4, 0, "reduce"),
        (4, 1, "held"),
    ]


def test_plateau_cooldown_nan_and_external() -> None:
    params = {**PLATEAU, "patience": 0, "cooldown": 2}
    nan = float("nan")
    # epoch 1 sets the best; 2 is bad -> reduce; 3 and 4 in cooldown; 5 bad -> reduce.
    trace = make_trace(
        "ReduceLROnPlateau", params, [1, 1, 0.1, 0.1, 0.1, 0.01], [1.0, nan, 2, 2, 2]
    )
    events = explain(trace)
    assert kinds(events) == [(2, "reduce"), (5, "reduce")]
    assert "then cooldown of 2 epochs" in events[0].reason
    # NaN is never an improvement, and a change without bad epochs is external.
    external = explain(make_trace("ReduceLROnPlateau", PLATEAU, [1, 0.5, 0.5], [1.0, 0.9]))
    assert kinds(external) == [(1, "external")]


def test_schedules_without_a_rule_list_every_change_unchecked_not_as_failures() -> None:
    events = explain(make_trace("mine.Schedule", {}, [1, 0.5, 0.5, 0.75]))
    assert kinds(events) == [(1, "reduce"), (3, "increase")]
    assert events[0].reason.startswith(
        "mine.Schedule set it (lrviz has no rule for mine.Schedule to check it by): the rate "
        "changed from 1 to 0.5"
    )
    assert all(e.evidence["unchecked"] for e in events)
    # A known schedule whose parameters (or recorded factors) are missing: the same.
    events = explain(make_trace("MultiStepLR", {"gamma": 0.1}, [1, 0.1]))
    assert kinds(events) == [(1, "reduce")] and events[0].evidence["unchecked"]
    assert "lrviz cannot apply its rule to these parameters: KeyError(" in events[0].reason
    events = explain(make_trace("LambdaLR", {}, [1, 0.1]))
    assert kinds(events) == [(1, "reduce")] and events[0].evidence["unchecked"]
    assert events[0].reason == (
        "lrviz cannot check LambdaLR's function: the trace does not hold the values it "
        "returned: the rate changed from 1 to 0.1"
    )


# -- hand-built traces of the other schedules --------------------------------------------


def test_multistep_constant_linear_poly_reasons() -> None:
    events = explain(make_trace("MultiStepLR", {"milestones": [2, 2], "gamma": 0.5}, [1, 1, 0.25]))
    assert (
        events[0].reason == "epoch 2 is a milestone of [2, 2]: rate x gamma 0.5^2 (listed 2 times)"
    )
    constant = {"factor": 0.5, "total_iters": 2}
    events = explain(make_trace("ConstantLR", constant, [0.5, 0.5, 1.0]))
    assert kinds(events) == [(2, "increase")] and "total_iters 2" in events[0].reason
    linear = {"start_factor": 0.5, "end_factor": 1.0, "total_iters": 2}
    events = explain(make_trace("LinearLR", linear, [0.5, 0.75, 1.0, 1.0]))
    assert kinds(events) == [(1, "increase"), (2, "increase")]
    assert "factor 0.75 -> 1 of the base rate" in events[1].reason
    assert events[1].evidence["landmark"] == "end"
    events = explain(
        make_trace("PolynomialLR", {"total_iters": 2, "power": 1.0}, [1, 0.5, 0.0, 0.0])
    )
    assert kinds(events) == [(1, "reduce"), (2, "reduce")]


def test_cosine_past_t_max_rises_again() -> None:
    params = {"T_max": 2, "eta_min": 0.0}
    rates = [1.0, 0.5, 0.0, 0.5, 1.0]
    events = explain(make_trace("CosineAnnealingLR", params, rates))
    assert kinds(events) == [(1, "reduce"), (2, "reduce"), (3, "increase"), (4, "increase")]
    assert events[1].evidence["landmark"] == "trough" and "eta_min 0 reached" in events[1].reason
    assert "past T_max 2" in events[2].reason and "rises" in events[2].reason
    assert events[3].evidence["landmark"] == "peak"


def test_warm_restarts_with_a_t_mult_below_1_are_not_explained_rather_than_hang() -> None:
    # Such a file is not torch's (it requires T_mult >= 1); the cycles would never end.
    trace = make_trace(
        "CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 0, "eta_min": 0.0}, [1.0, 0.5, 1.0]
    )
    events = explain(trace)
    assert [e.evidence["unchecked"] for e in events] == [True, True]
    assert all("T_0 and T_mult must be >= 1, got 2 and 0" in e.reason for e in events)


def test_warm_restarts_name_the_cycle() -> None:
    params = {"T_0": 2, "T_mult": 2, "eta_min": 0.0}
    rates = [1.0, 0.5, 1.0, 0.8535533905932737, 0.5, 0.14644660940672627, 1.0]
    events = explain(make_trace("CosineAnnealingWarmRestarts", params, rates))
    assert kinds(events) == [
        (1, "reduce"),
        (2, "increase"),
        (3, "reduce"),
        (4, "reduce"),
        (5, "reduce"),
        (6, "increase"),
    ]
    assert (
        events[1].reason
        == "warm restart: cycle 2 of 4 epochs (T_i x T_mult 2) begins at the base rate"
    )
    assert events[5].evidence == {
        "phase": "cosine annealing, cycle 3",
        "cycle": 3,
        "T_cur": 0,
        "T_i": 8,
        "T_0": 2,
        "T_mult": 2,
        "eta_min": 0.0,
        "landmark": "restart",
    }


def test_closed_form_schedules_undo_outside_changes() -> None:
    params = {
        "base_lr": 0.1,
        "max_lr": 0.5,
        "step_size_up": 2,
        "step_size_down": None,
        "mode": "triangular",
        "gamma": 1.0,
    }
    # torch: 0.1, 0.3, 0.5, 0.3, 0.1; someone set 0.9 after epoch 1, torch put 0.5 back.
    events = explain(make_trace("CyclicLR", params, [0.1, 0.9, 0.5, 0.3, 0.1]))
    assert kinds(events) == [(1, "external"), (2, "reduce"), (3, "reduce"), (4, "reduce")]
    assert "changed outside CyclicLR, which sets it from its formula again" in events[1].reason
    assert events[1].evidence["landmark"] == "peak"
    assert events[3].evidence["landmark"] == "trough" and "cycle 1 is over" in events[3].reason


def test_sequential_switch_and_chained_reasons() -> None:
    sequential = {
        "milestones": [2],
        "schedulers": [
            {"name": "ConstantLR", "params": {"factor": 0.5, "total_iters": 5}},
            {"name": "ExponentialLR", "params": {"gamma": 0.5}},
        ],
    }
    trace = make_trace("SequentialLR", sequential, [0.5, 0.5, 1.0, 0.5])
    events = explain(trace)
    assert kinds(events) == [(2, "increase"), (3, "reduce")]
    assert events[0].reason == (
        "epoch 2 is SequentialLR milestone 1 of [2]: switches to schedule 2, ExponentialLR, "
        "which starts at 1"
    )
    # The rate rose above its start, so milestones count from the peak: 0.5 is 50% of 1.
    assert events[1].reason == (
        "ExponentialLR (schedule 2): every epoch: rate x gamma 0.5; now at or below 50% of "
        "the peak rate"
    )
    assert is_continuous(trace)
    chained = {
        "schedulers": [
            {"name": "ConstantLR", "params": {"factor": 0.5, "total_iters": 1}},
            {"name": "StepLR", "params": {"step_size": 2, "gamma": 0.1}},
        ]
    }
    trace = make_trace("ChainedScheduler", chained, [0.5, 1.0, 0.1])
    events = explain(trace)
    assert events[0].reason.startswith("ConstantLR: epoch 1 reached total_iters 1")
    assert events[1].reason == "StepLR: epoch 2 is a multiple of step_size 2: rate x gamma 0.1"
    assert not is_continuous(trace) and notable(trace.with_events(events)) == events


# -- properties against torch ----------------------------------------------------------

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

RATES = st.sampled_from([1.0, 0.1, 0.01, 1e-3, 1e-7, 2e-8, 0.0])
METRIC = st.one_of(
    st.sampled_from([0.0, 1.0, 1.0, 0.5, -0.5, -1.0, float("nan"), float("inf"), float("-inf")]),
    st.floats(min_value=-10, max_value=10, allow_nan=False),
)


@st.composite
def plateau_cases(draw: st.DrawFn) -> tuple[dict[str, Any], list[float], list[float]]:
    lrs = draw(st.lists(RATES, min_size=1, max_size=3))
    min_lr: Any = draw(
        st.one_of(
            st.sampled_from([0, 0.0, 1e-3, 0.05]),
            st.lists(
                st.sampled_from([0.0, 1e-6, 1e-3, 0.05, 0.5]), min_size=len(lrs), max_size=len(lrs)
            ),
        )
    )
    params = {
        "mode": draw(st.sampled_from(["min", "max"])),
        "factor": draw(st.sampled_from([0.0, 0.1, 0.5, 0.9])),
        "patience": draw(st.integers(0, 4)),
        "threshold": draw(st.sampled_from([0.0, 1e-4, 0.01, 0.5, -0.1])),
        "threshold_mode": draw(st.sampled_from(["rel", "abs"])),
        "cooldown": draw(st.integers(0, 3)),
        "min_lr": min_lr,
        "eps": draw(st.sampled_from([0.0, 1e-8, 1e-3])),
    }
    # Runs of repeated values make ties; the rest are drawn one by one.
    metrics = draw(st.lists(st.one_of(METRIC, st.just(1.0)), min_size=1, max_size=40))
    return params, lrs, metrics


@PROPERTY
@given(plateau_cases())
def test_plateau_events_are_torchs_decisions(
    case: tuple[dict[str, Any], list[float], list[float]],
) -> None:
    params, lrs, metrics = case
    oracle = drive("ReduceLROnPlateau", params, lrs, len(metrics), metrics)
    trace = make_trace("ReduceLROnPlateau", params, oracle.rates, metrics)
    events = explain(trace)
    assert not [e for e in events if e.kind == "external"], events
    reduced = {(e.epoch, e.group) for e in events if e.kind == "reduce"}
    assert reduced == oracle.changed()
    assert all(oracle.rates[e][g] < oracle.rates[e - 1][g] for e, g in reduced)
    decided = {(epoch, g) for epoch in oracle.decisions for g in range(len(lrs))}
    held = {(e.epoch, e.group) for e in events if e.kind == "held"}
    assert held == decided - oracle.changed()
    assert reduced <= decided
    for e in events:
        best, num_bad = oracle.decisions[e.epoch]
        assert e.evidence["best"] == best and e.evidence["num_bad_epochs"] == num_bad, (
            e,
            best,
            num_bad,
        )


FACTOR = st.sampled_from([0.1, 0.5, 0.9, 1.0])
ETA_MIN = st.sampled_from([0.0, 1e-3, 0.05])


def _linear(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "start_factor": draw(st.sampled_from([0.1, 1 / 3, 1.0])),
        "end_factor": draw(st.sampled_from([0.0, 0.5, 1.0])),
        "total_iters": draw(st.integers(0, 10)),
    }


CHILDREN = {
    "StepLR": lambda d: {
        "step_size": d(st.integers(1, 10)),
        "gamma": d(st.sampled_from([0.1, 0.5, 2.0])),
    },
    "MultiStepLR": lambda d: {
        "milestones": sorted(d(st.lists(st.integers(0, 30), max_size=4))),
        "gamma": d(FACTOR),
    },
    "ExponentialLR": lambda d: {"gamma": d(st.sampled_from([0.5, 0.9, 1.0, 1.1]))},
    "CosineAnnealingLR": lambda d: {"T_max": d(st.integers(1, 30)), "eta_min": d(ETA_MIN)},
    "CosineAnnealingWarmRestarts": lambda d: {
        "T_0": d(st.integers(1, 10)),
        "T_mult": d(st.integers(1, 3)),
        "eta_min": d(ETA_MIN),
    },
    "LinearLR": _linear,
    "ConstantLR": lambda d: {
        "factor": d(st.sampled_from([0.1, 0.5, 1.0])),
        "total_iters": d(st.integers(0, 10)),
    },
    "PolynomialLR": lambda d: {
        "total_iters": d(st.integers(1, 20)),
        "power": d(st.sampled_from([0.5, 1.0, 2.0])),
    },
}


def _cyclic(d: st.DrawFn) -> dict[str, Any]:
    return {
        "base_lr": d(st.sampled_from([0.001, 0.01])),
        "max_lr": d(st.sampled_from([0.01, 0.1, 1.0])),
        "step_size_up": d(st.integers(1, 8)),
        "step_size_down": d(st.one_of(st.none(), st.integers(1, 8))),
        "mode": d(st.sampled_from(["triangular", "triangular2", "exp_range"])),
        "gamma": d(st.sampled_from([0.9, 0.99, 1.0])),
        "scale_mode": "cycle",
        "cycle_momentum": d(st.booleans()),
        "base_momentum": 0.8,
        "max_momentum": 0.9,
    }


def _one_cycle(d: st.DrawFn, epochs: int) -> dict[str, Any]:
    return {
        "max_lr": d(st.sampled_from([0.01, 0.1, 1.0])),
        "total_steps": epochs + d(st.integers(0, 5)),
        "epochs": None,
        "steps_per_epoch": None,
        "pct_start": d(st.sampled_from([0.1, 0.25, 0.3, 0.5, 0.9])),
        "anneal_strategy": d(st.sampled_from(["cos", "linear"])),
        "cycle_momentum": d(st.booleans()),
        "base_momentum": 0.85,
        "max_momentum": 0.95,
        "div_factor": d(st.sampled_from([10.0, 25.0])),
        "final_div_factor": d(st.sampled_from([100.0, 1e4])),
        "three_phase": d(st.booleans()),
    }


@st.composite
def schedule_cases(draw: st.DrawFn) -> tuple[str, dict[str, Any], list[float], int]:
    epochs = draw(st.integers(1, 40))
    lrs = draw(st.lists(st.sampled_from([1.0, 0.1, 0.003]), min_size=1, max_size=2))
    name = draw(
        st.sampled_from([*CHILDREN, "CyclicLR", "OneCycleLR", "SequentialLR", "ChainedScheduler"])
    )
    if name == "CyclicLR":
        params = _cyclic(draw)
    elif name == "OneCycleLR":
        params = _one_cycle(draw, epochs)
    elif name in CHILDREN:
        params = CHILDREN[name](draw)
    else:
        names = draw(st.lists(st.sampled_from(list(CHILDREN)), min_size=1, max_size=3))
        params = {"schedulers": [{"name": n, "params": CHILDREN[n](draw)} for n in names]}
        if name == "SequentialLR":
            marks = draw(
                st.lists(
                    st.integers(1, 40),
                    min_size=len(names) - 1,
                    max_size=len(names) - 1,
                    unique=True,
                )
            )
            params["milestones"] = sorted(marks)
    return name, params, lrs, epochs


def _torch(
    name: str,
    params: Mapping[str, Any],
    lrs: list[float],
    epochs: int,
    perturb: tuple[int, int, float] | None = None,
) -> Any:
    try:
        return drive(name, params, lrs, epochs, perturb=perturb)
    except ZeroDivisionError:
        assume(False)  # torch itself cannot run these values (e.g. a zero-length phase)


@PROPERTY
@given(schedule_cases())
def test_events_are_exactly_torchs_rate_changes(
    case: tuple[str, dict[str, Any], list[float], int],
) -> None:
    name, params, lrs, epochs = case
    oracle = _torch(name, params, lrs, epochs)
    trace = make_trace(name, params, oracle.rates)
    events = explain(trace)
    assert not [e for e in events if e.kind == "external"], [
        e for e in events if e.kind == "external"
    ]
    moved = {(e.epoch, e.group) for e in events if e.kind in ("reduce", "increase")}
    assert moved == oracle.changed()
    for e in events:
        assert (e.kind == "reduce") == (
            oracle.rates[e.epoch][e.group] < oracle.rates[e.epoch - 1][e.group]
        )
        assert e.reason


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedule_cases(), st.data())
def test_a_rate_set_by_hand_is_one_external_event(
    case: tuple[str, dict[str, Any], list[float], int], data: st.DataObject
) -> None:
    name, params, lrs, epochs = case
    epoch = data.draw(st.integers(1, epochs))
    group = data.draw(st.integers(0, len(lrs) - 1))
    clean = _torch(name, params, lrs, epochs)
    by_hand = clean.rates[epoch][group] * 1.5 + 0.01
    oracle = _torch(name, params, lrs, epochs, perturb=(epoch, group, by_hand))
    events = explain(make_trace(name, params, oracle.rates))
    external = [e for e in events if e.kind == "external"]
    assert [(e.epoch, e.group) for e in external] == [(epoch, group)], events
    assert math.isclose(external[0].lr_after, by_hand)


def test_milestones_allow_round_off() -> None:
    """nanoGPT's cosine from 6e-4 to min_lr 6e-5 reaches 10% of its peak, although
    6e-4 x 0.1 rounds to just above 6e-5 (and the last rate may round above min_lr)."""
    from lrviz import series

    peak, low, n = 6e-4, 6e-5, 20
    cosine = [low + (peak - low) * (1 + math.cos(math.pi * k / n)) / 2 for k in range(n)]
    rates = [*cosine, low * (1 + 1e-12)]
    trace = Trace.from_rates(rates, name="unnamed")
    assert milestones(trace)[0.1] == n
    assert series.milestone_steps(trace)[0.1] == n


def test_onecycle_past_total_steps_is_its_own_event_and_a_warning_if_used() -> None:
    """Stepped exactly total_steps times, three-phase linear OneCycleLR leaves a negative
    rate that no update used: the phases end at the last rate used; the rate after is an
    event of its own, and a warning only once updates used it (issue 18)."""
    import torch

    import lrviz
    from lrviz import pitfalls

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=0.1, total_steps=30, three_phase=True, anneal_strategy="linear"
    )
    rec = lrviz.Recorder(optimizer, scheduler, every="step")
    for _ in range(30):
        optimizer.step()
        scheduler.step()
    rec.log()
    trace = rec.trace
    final = trace.final_lr[0]
    assert final < 0
    *phases, last = trace.events
    assert all(e.lr_after >= 0 for e in phases)
    assert phases[-1].reason.startswith("one-cycle annihilation, steps 17-29: 0.004 -> 4e-07")
    expected = (
        f"after its last step (total_steps=30) OneCycleLR left the rate at {final:.4g} (torch "
        "extrapolates past total_steps): no update of the cycle uses it"
    )
    assert (last.at, last.reason) == (30, expected)
    assert pitfalls.find(trace) == []  # the loop stopped there: no update used it
    for _ in range(2):  # the loop goes on without stepping its scheduler
        optimizer.step()
        rec.step()
    assert [p.message for p in pitfalls.find(rec.trace)] == [
        f"after its last step (total_steps=30) OneCycleLR left the rate of group 0 at "
        f"{final:.4g} (torch extrapolates past total_steps), and the loop went on: 2 "
        "optimizer updates used a negative rate"
    ]


def test_rederive_tells_when_stored_events_are_not_the_rates() -> None:
    """A StepLR trace whose rates were edited after its events were stored: the derived
    events follow the rates, and the difference is named."""
    import lrviz

    trace = lrviz.simulate("step:step_size=3,gamma=0.5", epochs=6)
    assert [e.at for e in trace.events] == [3, 6]
    same, difference = rederive(trace)
    assert difference == "" and same.events == trace.events
    data = trace.to_dict()
    for k, epoch in enumerate(data["epochs"]):
        epoch["lr"] = [0.1 * 0.5 ** (k // 2)]  # halved every 2 epochs, not every 3
    data["final_lr"] = [0.1 * 0.5**3]
    edited = Trace.from_dict(data)
    derived, difference = rederive(edited)
    assert [e.at for e in edited.events] == [3, 6]  # what the file stores
    assert [(e.at, e.kind) for e in derived.events][:1] == [(2, "external")]
    assert difference.startswith("it stores 2 events, lrviz derives ")


def test_explain_header_names_a_schedule_once() -> None:
    from lrviz.console import explanation_lines

    trace = Trace.from_rates([0.1, 0.1, 0.01], name="StepLR", params={"step_size": 2})
    assert explanation_lines(trace)[0].startswith("StepLR (record, 2 epochs")
