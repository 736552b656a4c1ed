"""Resolving a schedule: every constructor argument, presets, torch's defaults and
annotations, composites' children."""

from __future__ import annotations

import inspect

import pytest
import torch.optim.lr_scheduler as lr_scheduler

from lrviz import schedules
from lrviz.resolve import resolve
from lrviz.schedules import TORCH
from lrviz.simulation import check
from lrviz.spec import ScheduleSpec, parse_spec

SIMPLE = [k for k in TORCH if not k.functional and not k.composite]


@pytest.mark.parametrize("kind", SIMPLE, ids=[k.name for k in SIMPLE])
def test_resolve_gives_every_constructor_argument(kind: schedules.Kind) -> None:
    params = resolve(ScheduleSpec(kind), epochs=100, lr=0.1)
    signature = inspect.signature(getattr(lr_scheduler, kind.name).__init__).parameters
    expected = [n for n in signature if n not in ("self", "optimizer", "last_epoch", "scale_fn")]
    assert list(params) == expected
    assert all(v is not inspect.Parameter.empty for v in params.values())
    check(kind, params, 0.1, epochs=100)


def test_presets_follow_epochs_and_lr_and_the_user_wins() -> None:
    assert resolve(parse_spec("cosine"), 40, 0.1)["T_max"] == 40
    assert resolve(parse_spec("cosine:T_max=7"), 40, 0.1)["T_max"] == 7
    assert resolve(parse_spec("poly"), 40, 0.1)["total_iters"] == 40
    assert resolve(parse_spec("multistep"), 100, 0.1)["milestones"] == [50, 75]
    assert resolve(parse_spec("warmrestarts"), 100, 0.1)["T_0"] == 25
    onecycle = resolve(parse_spec("onecycle"), 50, 0.2)
    assert (onecycle["max_lr"], onecycle["total_steps"]) == (0.2, 50)
    cyclic = resolve(parse_spec("cyclic"), 100, [0.1, 0.01])
    assert cyclic["base_lr"] == [0.01, 0.001] and cyclic["max_lr"] == [0.1, 0.01]
    assert cyclic["step_size_up"] == 10
    # torch's defaults where it has them: LinearLR/ConstantLR are warm-ups of 5 steps.
    assert resolve(parse_spec("linear"), 100, 0.1)["total_iters"] == 5
    assert resolve(parse_spec("plateau"), 100, 0.1)["threshold"] == 1e-4


def test_onecycle_total_steps_preset_yields_to_epochs_and_steps_per_epoch() -> None:
    params = resolve(parse_spec("onecycle:epochs=10,steps_per_epoch=3"), 30, 0.1)
    assert params["total_steps"] is None
    check(schedules.lookup("onecycle"), params, 0.1, epochs=30)


def test_unknown_and_missing_parameters() -> None:
    with pytest.raises(
        ValueError, match="unknown parameter 'gama' for StepLR; allowed: step_size, gamma"
    ):
        resolve(parse_spec("step:gama=0.1"), 100, 0.1)
    with pytest.raises(ValueError, match=r"SequentialLR needs milestones"):
        resolve(parse_spec('SequentialLR:schedulers=["exp"]'), 100, 0.1)
    with pytest.raises(ValueError, match="unknown parameter 'scale_fn' for CyclicLR"):
        resolve(parse_spec("cyclic:scale_fn=1"), 100, 0.1)


def test_composite_children_as_specs_and_tables() -> None:
    spec = parse_spec(
        'SequentialLR:schedulers=["linear:start_factor=0.1,total_iters=5",'
        '{"name":"cosine","eta_min":0.001}],milestones=[5]'
    )
    params = resolve(spec, 50, 0.1)
    assert params["schedulers"] == [
        {"name": "LinearLR", "params": {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 5}},
        # the cosine child's T_max preset is its own segment: epochs 5..50.
        {"name": "CosineAnnealingLR", "params": {"T_max": 45, "eta_min": 0.001}},
    ]
    assert params["milestones"] == [5]
    chained = resolve(parse_spec('ChainedScheduler:schedulers=["constant","cosine"]'), 30, 0.1)
    assert chained["schedulers"][1]["params"]["T_max"] == 30
    assert list(chained) == ["schedulers"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'SequentialLR:schedulers=["plateau"],milestones=[]',
            "SequentialLR cannot hold ReduceLROnPlateau",
        ),
        ('ChainedScheduler:schedulers=["onecycle"]', "ChainedScheduler cannot hold OneCycleLR"),
        (
            "ChainedScheduler:schedulers=[\"ChainedScheduler:schedulers=['exp']\"]",
            "cannot hold ChainedScheduler",
        ),
        ("ChainedScheduler:schedulers=[]", "schedulers must be a non-empty list"),
        ('ChainedScheduler:schedulers="exp"', "schedulers must be a non-empty list"),
        (
            'SequentialLR:schedulers=["exp","exp"],milestones=[3,6]',
            "one milestone fewer than schedulers",
        ),
        (
            'SequentialLR:schedulers=["exp","exp"],milestones=[0]',
            "milestones must be a list of whole epochs",
        ),
        ('SequentialLR:schedulers=[{"gamma":0.5}],milestones=[]', r"schedulers\[0\] has no 'name'"),
    ],
    ids=[
        "plateau-child",
        "onecycle-child",
        "nested",
        "empty",
        "not-a-list",
        "milestone-count",
        "milestone-zero",
        "child-without-name",
    ],
)
def test_bad_composites(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resolve(parse_spec(text), 20, 0.1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('exp:gamma="x"', "ExponentialLR gamma must be a number, got 'x'"),
        ("exp:gamma=nan", "ExponentialLR gamma must be a number, got 'nan'"),
        ("plateau:mode=foo", "ReduceLROnPlateau mode must be one of 'min', 'max', got 'foo'"),
        ("cosine:eta_min=null", "CosineAnnealingLR eta_min must be a number, got None"),
        ("cyclic:cycle_momentum=1", "CyclicLR cycle_momentum must be true or false, got 1"),
        ("onecycle:total_steps=50.0", "OneCycleLR total_steps must be a whole number or null"),
        ('cyclic:base_lr=[0.1,"a"]', "CyclicLR base_lr must be a number or a list of numbers"),
        ("multistep:milestones=[1.5]", "MultiStepLR milestones must be a list of whole numbers"),
        (
            'SequentialLR:schedulers=["step:gamma=true"],milestones=[]',
            "StepLR gamma must be a number",
        ),
    ],
    ids=[
        "string",
        "nan-word",
        "literal",
        "null",
        "bool",
        "float-for-int",
        "list",
        "milestones",
        "child",
    ],
)
def test_values_are_checked_against_torchs_annotations(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("[", r"\[").replace("(", r"\(")):
        resolve(parse_spec(text), 20, 0.1)
