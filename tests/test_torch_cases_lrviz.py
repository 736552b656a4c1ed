"""lrviz against torch's own scheduler test cases (tests/torch_cases.py).

For every case: the Recorder, around torch's own loop, records the rates torch's test
expects; lrviz's rule for the schedule explains every change of them, with nothing left
``external`` or unchecked; and, for every schedule a SPEC can build, ``lrviz.simulate``
on the same optimizer gives the same rates (and momenta).
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from test_torch_cases import ATOL, build_optimizer, build_scheduler, step, warns_when_built
from torch_cases import CASES, COMPOUND, TorchCase

import lrviz
from lrviz.schedules import lookup

RECORDED = [c for c in CASES if c.scheduler != COMPOUND]
"""Every case of one scheduler (torch's compound tests step several on one optimizer)."""


def record(case: TorchCase) -> lrviz.Trace:
    optimizer = build_optimizer(case.optimizer)
    with warnings.catch_warnings():
        if warns_when_built(case):
            warnings.simplefilter("ignore", UserWarning)
        scheduler = build_scheduler(optimizer, case.scheduler, case.kwargs)
    rec = lrviz.Recorder(optimizer, scheduler)
    for n in range(case.epochs):
        step(case, optimizer, scheduler, n)
        rec.log()
    return rec.trace


def assert_rates(case: TorchCase, trace: lrviz.Trace) -> None:
    for g, targets in enumerate(case.targets):
        rates = trace.rates(g)
        for k, expected in enumerate(targets):
            got = rates[case.offset + k]
            assert abs(got - expected) <= ATOL, (
                f"LR is wrong in epoch {k}, group {g}: expected {expected}, got {got}"
            )
    for g, targets in enumerate(case.momentum_targets or []):
        recorded = trace.momenta(g)
        if recorded is None:  # not cycled: the optimizer's own setting throughout
            settings = trace.optimizer["groups"][g]  # type: ignore[index]
            own = settings["momentum"] if "momentum" in settings else settings["betas"][0]
            recorded = [own] * trace.step_count
        for k, expected in enumerate(targets):
            if case.offset + k < len(recorded):  # momenta are recorded before each step
                got = recorded[case.offset + k]
                assert abs(got - expected) <= ATOL, (
                    f"momentum is wrong in epoch {k}, group {g}: expected {expected}, got {got}"
                )


@pytest.mark.parametrize("case", RECORDED, ids=[c.id for c in RECORDED])
def test_recorded_rates_are_torchs_and_every_change_is_explained(case: TorchCase) -> None:
    trace = record(case)
    assert_rates(case, trace)
    unexplained = [
        (e.at, e.group, e.kind, e.reason)
        for e in trace.events
        if e.kind == "external" or e.evidence.get("unchecked")
    ]
    assert unexplained == []


BETA1_ABOVE_1 = "OneCycleLR-linear-max25-steps10-Adam-beta1"
"""Torch's test cycles Adam's beta1 up to 22 (it checks numbers only); a simulation refuses
what no update could use."""

SIMULATED = [
    c
    for c in RECORDED
    if not lookup(c.scheduler).functional
    and c.step_epochs is None  # a simulation passes no epochs to step()
    and c.epochs > 0
    and c.id != BETA1_ABOVE_1
    and not any(g.get("tensor_lr") for g in c.optimizer["groups"])
]


def simulated(case: TorchCase) -> lrviz.Trace:
    from lrviz.spec import spec_from_table

    optimizer = case.optimizer["name"].lower()
    return lrviz.simulate(
        spec_from_table(spec_of(case.scheduler, case.kwargs)),
        epochs=case.epochs,
        lr=[g["lr"] for g in case.optimizer["groups"]],
        metrics=case.metrics,
        optimizer="sgd" if optimizer == "sgd" else "adam",
    )


def spec_of(name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    table = {"name": name, **kwargs}
    if "schedulers" in kwargs:
        table["schedulers"] = [spec_of(c["name"], c["kwargs"]) for c in kwargs["schedulers"]]
    return table


@pytest.mark.parametrize("case", SIMULATED, ids=[c.id for c in SIMULATED])
def test_simulate_gives_torchs_rates(case: TorchCase) -> None:
    assert_rates(case, simulated(case))


def test_simulate_refuses_a_beta1_no_update_could_use() -> None:
    (case,) = [c for c in CASES if c.id == BETA1_ABOVE_1]
    with pytest.raises(ValueError, match=r"OneCycleLR sets Adam's beta1 to 22\.0 to start with"):
        simulated(case)
