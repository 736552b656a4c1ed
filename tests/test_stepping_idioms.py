"""Every torch scheduler, stepped every way loops step it, is explained without a false
"external" event, and without a misuse message about something the loop did not do.

The loops are written as projects write them: per epoch, per batch, ``step(epoch)`` at the
end or the top of an epoch (torch's pre-1.1 idiom), fractional epochs
(``step(epoch + i / iters)``, CosineAnnealingWarmRestarts' docstring), a scheduler resumed
from ``load_state_dict``, and a Recorder made after the scheduler already stepped.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.optim import SGD
from torch.optim import lr_scheduler as L

import lrviz
from lrviz import misuse, pitfalls
from lrviz.trace import Trace


def _halving(t: float, every: int) -> float:
    return 0.5 ** (t // every)


MAKERS: dict[str, Callable[[Any], Any]] = {
    "StepLR": lambda o: L.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda o: L.MultiStepLR(o, milestones=[2, 5], gamma=0.5),
    "ExponentialLR": lambda o: L.ExponentialLR(o, gamma=0.8),
    "CosineAnnealingLR": lambda o: L.CosineAnnealingLR(o, T_max=6, eta_min=0.001),
    "LinearLR": lambda o: L.LinearLR(o, start_factor=0.25, total_iters=4),
    "ConstantLR": lambda o: L.ConstantLR(o, factor=0.5, total_iters=3),
    "PolynomialLR": lambda o: L.PolynomialLR(o, total_iters=6, power=2.0),
    "CosineAnnealingWarmRestarts": lambda o: L.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.001
    ),
    "CyclicLR": lambda o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2),
    "CyclicLR-triangular2": lambda o: L.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=2, mode="triangular2"
    ),
    "CyclicLR-exp_range": lambda o: L.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=2, mode="exp_range", gamma=0.9
    ),
    # torch's docstring example of a scale_fn of one's own
    "CyclicLR-scale_fn": lambda o: L.CyclicLR(
        o,
        base_lr=0.01,
        max_lr=0.1,
        step_size_up=2,
        scale_fn=lambda x: 0.5 * (1 + np.sin(x * np.pi / 2)),
        scale_mode="cycle",
    ),
    "CyclicLR-scale_fn-iterations": lambda o: L.CyclicLR(
        o,
        base_lr=0.01,
        max_lr=0.1,
        step_size_up=2,
        scale_fn=lambda x: 0.9**x,
        scale_mode="iterations",
    ),
    "OneCycleLR": lambda o: L.OneCycleLR(o, max_lr=0.1, total_steps=40),
    "OneCycleLR-three-phase": lambda o: L.OneCycleLR(
        o, max_lr=0.1, total_steps=40, three_phase=True, anneal_strategy="linear"
    ),
    "LambdaLR-closure": lambda o: L.LambdaLR(o, lambda t: 0.9**t),
    "LambdaLR-partial": lambda o: L.LambdaLR(o, functools.partial(_halving, every=2)),
    "MultiplicativeLR": lambda o: L.MultiplicativeLR(o, lambda t: 0.9),
    "ChainedScheduler": lambda o: L.ChainedScheduler(
        [L.ConstantLR(o, factor=0.5, total_iters=2), L.ExponentialLR(o, gamma=0.9)]
    ),
    "SequentialLR": lambda o: L.SequentialLR(
        o,
        [L.LinearLR(o, start_factor=0.1, total_iters=2), L.CosineAnnealingLR(o, T_max=4)],
        milestones=[2],
    ),
    "ReduceLROnPlateau": lambda o: L.ReduceLROnPlateau(o, patience=1, factor=0.5),
}

TAKES_NO_EPOCH = {"ChainedScheduler", "SequentialLR", "ReduceLROnPlateau"}
"""torch's step() of these takes no epoch (ReduceLROnPlateau's takes the metric)."""


def _optimizer() -> SGD:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.1 * (g + 1)} for g in (0, 1)]
    return SGD(groups, lr=0.1, momentum=0.9)


def _step(scheduler: Any, *epoch: float) -> None:
    if isinstance(scheduler, L.ReduceLROnPlateau):
        scheduler.step(1.0)  # a metric that never improves: the scheduler reduces
    else:
        scheduler.step(*epoch)


def _per_epoch(name: str) -> Trace:
    o = _optimizer()
    s = MAKERS[name](o)
    rec = lrviz.Recorder(o, s)
    for _ in range(8):
        o.step()
        _step(s)
        rec.log(train_loss=1.0)
    return rec.trace


def _per_batch(name: str) -> Trace:
    o = _optimizer()
    s = MAKERS[name](o)
    rec = lrviz.Recorder(o, s, every="step")
    for _ in range(4):
        for _ in range(4):
            o.step()
            _step(s)
        rec.log(train_loss=1.0)
    return rec.trace


def _epoch_at_end(name: str) -> Trace:
    o = _optimizer()
    s = MAKERS[name](o)
    rec = lrviz.Recorder(o, s)
    for epoch in range(8):
        o.step()
        _step(s, epoch + 1)
        rec.log(train_loss=1.0)
    return rec.trace


def _epoch_at_top(name: str) -> Trace:
    """torch < 1.1's idiom: ``scheduler.step(epoch)`` first, then the epoch's batches."""
    o = _optimizer()
    s = MAKERS[name](o)
    rec = lrviz.Recorder(o, s)
    for epoch in range(8):
        _step(s, epoch)
        for _ in range(3):
            o.step()
        rec.log(train_loss=1.0)
    return rec.trace


def _fractional(name: str) -> Trace:
    o = _optimizer()
    s = MAKERS[name](o)
    rec = lrviz.Recorder(o, s, every="step")
    iters = 4
    for epoch in range(4):
        for i in range(iters):
            o.step()
            _step(s, epoch + i / iters)
        rec.log(train_loss=1.0)
    return rec.trace


def _recorded_mid_run(name: str) -> Trace:
    o = _optimizer()
    s = MAKERS[name](o)
    for _ in range(3):
        o.step()
        _step(s)
    rec = lrviz.Recorder(o, s)
    for _ in range(5):
        o.step()
        _step(s)
        rec.log(train_loss=1.0)
    return rec.trace


def _resumed(name: str) -> Trace:
    """torchvision's references: build, load the optimizer's and scheduler's state, go on."""
    o = _optimizer()
    s = MAKERS[name](o)
    for _ in range(3):
        o.step()
        _step(s)
    checkpoint = {"optimizer": o.state_dict(), "lr_scheduler": s.state_dict()}
    o = _optimizer()
    s = MAKERS[name](o)
    o.load_state_dict(checkpoint["optimizer"])
    s.load_state_dict(checkpoint["lr_scheduler"])
    rec = lrviz.Recorder(o, s)
    for _ in range(5):
        o.step()
        _step(s)
        rec.log(train_loss=1.0)
    return rec.trace


IDIOMS: dict[str, Callable[[str], Trace]] = {
    "per_epoch": _per_epoch,
    "per_batch": _per_batch,
    "epoch_at_end": _epoch_at_end,
    "epoch_at_top": _epoch_at_top,
    "fractional": _fractional,
    "recorded_mid_run": _recorded_mid_run,
    "resumed": _resumed,
}

CASES = [
    (name, idiom)
    for idiom in IDIOMS
    for name in MAKERS
    if not (idiom in ("epoch_at_end", "epoch_at_top", "fractional") and name in TAKES_NO_EPOCH)
]


def _record(name: str, idiom: str) -> Trace:
    with warnings.catch_warnings():
        # torch's own warnings about the epoch argument and the order of step() calls
        warnings.simplefilter("ignore", UserWarning)
        return IDIOMS[idiom](name)


@pytest.mark.parametrize(("name", "idiom"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_no_false_external_event(name: str, idiom: str) -> None:
    trace = _record(name, idiom)
    external = [(e.at, e.group, e.reason) for e in trace.events if e.kind == "external"]
    assert external == []


@pytest.mark.parametrize(("name", "idiom"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_no_misuse_the_loop_did_not_commit(name: str, idiom: str) -> None:
    trace = _record(name, idiom)
    assert [p.message for p in misuse.find(trace)] == []


def test_a_rate_set_outside_the_schedule_is_still_external() -> None:
    """The rules still catch what really happened outside: a rate set by hand."""
    o = _optimizer()
    s = L.StepLR(o, step_size=3, gamma=0.5)
    rec = lrviz.Recorder(o, s)
    for epoch in range(6):
        o.step()
        s.step()
        if epoch == 3:
            o.param_groups[0]["lr"] = 0.123
        rec.log(train_loss=1.0)
    external = [(e.at, e.group) for e in rec.trace.events if e.kind == "external"]
    assert external == [(4, 0)]


def test_cyclic_scale_fn_is_recorded_as_torch_uses_it() -> None:
    """torch ignores mode when given a scale_fn: the parameters name the function."""
    trace = _record("CyclicLR-scale_fn", "per_batch")
    assert trace.params["mode"] is None
    assert trace.params["scale_fn"].endswith("<lambda>")
    assert trace.params["scale_mode"] == "cycle"
    assert all(not e.evidence.get("unchecked") for e in trace.events)
    assert any("scale_fn(cycle 2)" in e.reason for e in lrviz.explain(trace, phases=False))


def test_cyclic_scale_fn_without_its_values_cannot_be_checked() -> None:
    """A trace that lost the values of a scale_fn says lrviz cannot check it."""
    trace = _record("CyclicLR-scale_fn", "per_batch")
    assert trace.steps is not None
    state = {k: v for k, v in trace.steps.state.items() if k != "scale"}
    bare = Trace.from_dict(
        {**trace.to_dict(), "steps": {**trace.to_dict()["steps"], "state": state}}
    )
    events = lrviz.explain(bare, phases=False)
    assert events and all(e.kind != "external" for e in events)
    assert all(e.evidence.get("unchecked") for e in events)
    name = trace.params["scale_fn"]
    assert events[0].reason.startswith(f"lrviz cannot check CyclicLR's scale_fn {name}: ")


def test_a_resumed_cosine_that_reached_eta_min_has_no_horizon_pitfall() -> None:
    """T_max=7 over a run resumed at epoch 5: the scheduler reached T_max, eta_min with it."""
    o = _optimizer()
    s = L.CosineAnnealingLR(o, T_max=7)
    for _ in range(5):
        o.step()
        s.step()
    state = s.state_dict()
    o2 = _optimizer()
    o2.load_state_dict(o.state_dict())
    s2 = L.CosineAnnealingLR(o2, T_max=7)
    s2.load_state_dict(state)
    rec = lrviz.Recorder(o2, s2)
    for _ in range(2):
        o2.step()
        s2.step()
        rec.log(train_loss=1.0)
    trace = rec.trace
    assert math.isclose(trace.final_lr[0], 0.0, abs_tol=1e-12)
    assert [p.message for p in pitfalls.find(trace)] == []


@pytest.mark.parametrize("name", ["LambdaLR-closure", "MultiplicativeLR"])
def test_a_function_whose_values_are_not_recorded_cannot_be_checked(name: str) -> None:
    """A trace that lost what lr_lambda returned says lrviz cannot check the function."""
    trace = _record(name, "per_batch")
    assert trace.steps is not None
    state = {k: v for k, v in trace.steps.state.items() if k != "factor"}
    bare = Trace.from_dict(
        {**trace.to_dict(), "steps": {**trace.to_dict()["steps"], "state": state}}
    )
    events = lrviz.explain(bare, phases=False)
    assert events and all(e.kind != "external" for e in events)
    kind = "MultiplicativeLR" if name == "MultiplicativeLR" else "LambdaLR"
    assert events[0].reason.startswith(
        f"lrviz cannot check {kind}'s lr_lambda {trace.params['lr_lambda']}: the trace does "
        "not hold the values it returned"
    )


SCHEDULES = st.one_of(
    st.builds(
        lambda size, gamma: lambda o: L.StepLR(o, step_size=size, gamma=gamma),
        st.integers(1, 6),
        st.floats(0.05, 0.95),
    ),
    st.builds(
        lambda period, floor: lambda o: L.CosineAnnealingLR(o, T_max=period, eta_min=floor),
        st.integers(1, 12),
        st.sampled_from([0.0, 1e-4]),
    ),
    st.builds(
        lambda t0, mult: lambda o: L.CosineAnnealingWarmRestarts(o, T_0=t0, T_mult=mult),
        st.integers(1, 5),
        st.integers(1, 3),
    ),
    st.builds(
        lambda start, total: lambda o: L.LinearLR(o, start_factor=start, total_iters=total),
        st.floats(0.01, 1.0),
        st.integers(1, 10),
    ),
    st.builds(
        lambda up, mode: (
            lambda o: L.CyclicLR(
                o, base_lr=0.01, max_lr=0.1, step_size_up=up, mode=mode, gamma=0.97
            )
        ),
        st.integers(1, 6),
        st.sampled_from(["triangular", "triangular2", "exp_range"]),
    ),
    st.builds(
        lambda pct, three: (
            lambda o: L.OneCycleLR(o, max_lr=0.1, total_steps=40, pct_start=pct, three_phase=three)
        ),
        st.floats(0.1, 0.45),
        st.booleans(),
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(make=SCHEDULES, idiom=st.sampled_from(sorted(IDIOMS)))
def test_any_schedule_stepped_any_way_has_no_false_words(
    make: Callable[[Any], Any], idiom: str
) -> None:
    """Drawn schedules x stepping idioms: no external event, no misuse message."""
    MAKERS["drawn"] = make
    try:
        trace = _record("drawn", idiom)
    finally:
        del MAKERS["drawn"]
    assert [(e.at, e.reason) for e in trace.events if e.kind == "external"] == []
    assert [p.message for p in misuse.find(trace)] == []
