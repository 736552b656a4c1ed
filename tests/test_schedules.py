"""The schedule registry: every torch scheduler, found by name or alias, and by its class
itself for a live scheduler."""

from __future__ import annotations

import inspect

import pytest
import torch.optim.lr_scheduler as lr_scheduler

from lrviz import schedules
from lrviz.optim import Adam
from lrviz.schedules import BUILDABLE, KINDS, TORCH, for_scheduler, lookup


@pytest.mark.parametrize("kind", TORCH, ids=[k.name for k in TORCH])
def test_every_kind_is_a_torch_scheduler_found_by_any_case(kind: schedules.Kind) -> None:
    assert inspect.isclass(getattr(lr_scheduler, kind.name))
    for name in (kind.name, kind.name.upper(), kind.name.lower(), *kind.aliases):
        assert lookup(f" {name} ") is kind


def test_aliases_are_the_spec_list() -> None:
    aliases = {a for k in KINDS for a in k.aliases}
    assert aliases == {
        "step",
        "multistep",
        "exp",
        "plateau",
        "cosine",
        "warmrestarts",
        "cyclic",
        "onecycle",
        "linear",
        "constant",
        "poly",
    }


def test_every_torch_scheduler_is_known_and_every_numeric_one_buildable() -> None:
    public = {
        name
        for name in lr_scheduler.__all__
        if inspect.isclass(getattr(lr_scheduler, name)) and name != "LRScheduler"
    }
    assert public == {k.name for k in TORCH}
    # LambdaLR and MultiplicativeLR take Python functions, not numbers.
    assert public - {k.name for k in BUILDABLE} == {"LambdaLR", "MultiplicativeLR"}
    assert {k.name for k in KINDS} - public == {
        "hf:" + name
        for name in (
            "linear",
            "cosine",
            "cosine_with_restarts",
            "polynomial",
            "constant",
            "constant_with_warmup",
            "inverse_sqrt",
            "cosine_with_min_lr",
            "cosine_warmup_with_min_lr",
            "warmup_stable_decay",
        )
    }


def test_a_live_scheduler_is_known_by_its_class_not_its_name() -> None:
    optimizer = Adam([], [0.1])

    class StepLR(lr_scheduler.StepLR):  # a subclass of one's own, under torch's name
        pass

    assert for_scheduler(lr_scheduler.StepLR(optimizer, 3)) is lookup("step")
    assert for_scheduler(StepLR(optimizer, 3)) is None

    class Schedule:  # not even a torch scheduler
        def step(self) -> None:
            pass

    assert for_scheduler(Schedule()) is None


def test_a_closed_form_rule_never_reads_rates_of_parameters_freed_before() -> None:
    """Parameter dicts made one after another often reuse one address: a rule's rates
    are those of the parameters given, not of a trace explained before (an order-
    dependent false "outside" event seen in the stepping-idiom tests)."""
    from lrviz.schedules.base import Step, closed_form

    rule = closed_form(
        "Linear", lambda p, t, g, base: p["k"] * t, lambda p, t, g, unit: ("", {}), turns=False
    )
    for k in range(1, 100):
        params = {"k": float(k)}
        assert rule(params, Step(2, float(k), 1.0, 0)).lr == 2.0 * k
