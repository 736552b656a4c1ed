"""A long step-resolution trace is explained in bulk (its rates checked as arrays): the
events are exactly those of the step-by-step path, whatever the trace holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from torch.optim import lr_scheduler as L

import lrviz
from lrviz import explanation, schedules
from lrviz.optim import Adam
from lrviz.trace import Trace

STEPS = 240

MAKERS: dict[str, Callable[[Any], Any]] = {
    "OneCycleLR-cos": lambda o: L.OneCycleLR(o, max_lr=[0.1, 0.05], total_steps=STEPS),
    "OneCycleLR-three-phase-linear": lambda o: L.OneCycleLR(
        o, max_lr=0.1, total_steps=STEPS, three_phase=True, anneal_strategy="linear"
    ),
    "CyclicLR": lambda o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=30),
    "CyclicLR-triangular2": lambda o: L.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=20, step_size_down=40, mode="triangular2"
    ),
    "CyclicLR-exp_range": lambda o: L.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=25, mode="exp_range", gamma=0.999
    ),
    "CosineAnnealingLR": lambda o: L.CosineAnnealingLR(o, T_max=90, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda o: L.CosineAnnealingWarmRestarts(o, T_0=20, T_mult=2),
    "CosineAnnealingWarmRestarts-T_mult-1": lambda o: L.CosineAnnealingWarmRestarts(o, T_0=50),
    "LinearLR": lambda o: L.LinearLR(o, start_factor=0.01, total_iters=100),
    "PolynomialLR": lambda o: L.PolynomialLR(o, total_iters=200, power=2.0),
    "ExponentialLR": lambda o: L.ExponentialLR(o, gamma=0.99),
    "CyclicLR-scale_fn": lambda o: L.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=25, scale_fn=lambda x: 1 / x
    ),
}


def record(name: str, outside: int | None = None, skip: int = 0) -> Trace:
    """``skip`` steps before the Recorder starts; the rate set by hand after ``outside``."""
    optimizer = Adam([], [0.1, 0.05])
    scheduler = MAKERS[name](optimizer)
    for _ in range(skip):
        optimizer.step()
        scheduler.step()
    rec = lrviz.Recorder(optimizer, scheduler, every="step")
    for k in range(STEPS - skip):
        optimizer.step()
        scheduler.step()
        if k == outside:
            optimizer.param_groups[0]["lr"] = 0.0123
        if (k + 1) % 40 == 0:
            rec.log()
    return rec.to_trace(explained=False)


CASES = [
    *((name, None, 0) for name in MAKERS),
    ("OneCycleLR-cos", 100, 0),
    ("CyclicLR", 44, 0),
    ("OneCycleLR-three-phase-linear", None, 17),
    ("CyclicLR-triangular2", None, 33),
    ("CosineAnnealingLR", 150, 0),
    ("CosineAnnealingWarmRestarts", 70, 9),
    ("LinearLR", None, 30),
    ("PolynomialLR", 20, 0),
]


@pytest.mark.parametrize(
    ("name", "outside", "skip"), CASES, ids=[f"{n}-{o}-{s}" for n, o, s in CASES]
)
def test_bulk_events_are_the_step_by_step_ones(
    name: str, outside: int | None, skip: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    trace = record(name, outside, skip)
    monkeypatch.setattr(explanation, "BULK", 10**9)
    slow = explanation.explain(trace)
    monkeypatch.setattr(explanation, "BULK", 10)
    fast = explanation.explain(trace)
    assert fast == slow
    bulk = explanation._bulk_events(trace, schedules.kind_of(trace), 0)
    assert (bulk is None) == (name == "CyclicLR-scale_fn")  # a function lrviz cannot array
    assert any("last_step" in e.evidence for e in fast)  # phases were joined
    if outside is not None:
        assert [e.at for e in fast if e.kind == "external"][:1] == [outside + 1]
