"""The schedule registry: SPEC grammar, presets, torch defaults, composites, building."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest
import torch.optim.lr_scheduler as lr_scheduler

from lrviz import schedules
from lrviz.schedules import KINDS, lookup, parse_spec, parse_value, resolve, spec_from_table

SIMPLE = [k for k in KINDS if not k.composite]


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
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


def test_every_numeric_torch_scheduler_is_supported() -> None:
    public = {
        name
        for name in lr_scheduler.__all__
        if inspect.isclass(getattr(lr_scheduler, name)) and name != "LRScheduler"
    }
    # LambdaLR and MultiplicativeLR take Python functions, not numbers.
    assert public - {k.name for k in KINDS} == {"LambdaLR", "MultiplicativeLR"}


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("30", 30),
        ("0.5", 0.5),
        ("1e-3", 1e-3),
        ("[30,80]", [30, 80]),
        ("[30, 80]", [30, 80]),
        ("true", True),
        ("True", True),
        ("null", None),
        ("None", None),
        ("max", "max"),
        ("'abs'", "abs"),
        ('"exp_range"', "exp_range"),
        ("(0.1, 0.2)", (0.1, 0.2)),
    ],
    ids=lambda x: repr(x),
)
def test_values_are_json_or_python_literals(raw: str, value: Any) -> None:
    assert parse_value(raw) == value


def test_spec_parses_lists_and_quotes() -> None:
    spec = parse_spec("MultiStepLR:milestones=[30, 80],gamma=0.5")
    assert (spec.kind.name, dict(spec.params)) == (
        "MultiStepLR",
        {"milestones": [30, 80], "gamma": 0.5},
    )
    assert spec.label == "MultiStepLR:milestones=[30, 80],gamma=0.5"
    spec = parse_spec("plateau:mode='max',threshold_mode=abs")
    assert dict(spec.params) == {"mode": "max", "threshold_mode": "abs"}
    assert dict(parse_spec("exp").params) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nosuch", "unknown schedule 'nosuch'; choose one of: StepLR (step)"),
        ("step:step_size", "bad parameter 'step_size'"),
        ("step:=3", "bad parameter '=3'"),
        ("step:gamma=0.1,gamma=0.2", "parameter 'gamma' given twice"),
        ("step:gamma=1.2.3", "cannot read value '1.2.3'"),
        ("exp:schedulers=[1]", "unknown parameter 'schedulers' for ExponentialLR"),
        ("step:gamma=" + "[" * 5000 + "]" * 5000, "cannot read value '[[[[[[[[[["),
        ("step:gamma=" + "-" * 100_000 + "1", "cannot read value '---"),
    ],
    ids=[
        "unknown",
        "no-equals",
        "no-key",
        "twice",
        "bad-value",
        "schedulers-not-composite",
        "deeply-nested",
        "minus-signs",
    ],
)
def test_bad_specs_name_the_culprit(text: str, message: str) -> None:
    with pytest.raises(
        ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
    ):
        parse_spec(text)


@pytest.mark.parametrize("kind", SIMPLE, ids=[k.name for k in SIMPLE])
def test_resolve_gives_every_constructor_argument(kind: schedules.Kind) -> None:
    params = resolve(schedules.ScheduleSpec(kind), epochs=100, lr=0.1)
    signature = inspect.signature(getattr(lr_scheduler, kind.name).__init__).parameters
    expected = [n for n in signature if n not in ("self", "optimizer", "last_epoch", "scale_fn")]
    assert list(params) == expected
    assert all(v is not inspect.Parameter.empty for v in params.values())
    schedules.check(kind, params, 0.1, epochs=100)


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
    schedules.check(schedules.lookup("onecycle"), params, 0.1, epochs=30)


def test_unknown_and_missing_parameters() -> None:
    with pytest.raises(
        ValueError, match="unknown parameter 'gama' for StepLR; allowed: step_size, gamma"
    ):
        resolve(parse_spec("step:gama=0.1"), 100, 0.1)
    with pytest.raises(ValueError, match=r"SequentialLR needs milestones"):
        resolve(parse_spec('SequentialLR:schedulers=["exp"]'), 100, 0.1)
    with pytest.raises(ValueError, match="unknown parameter 'scale_fn' for CyclicLR"):
        resolve(parse_spec("cyclic:scale_fn=1"), 100, 0.1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("step:step_size=0", "StepLR step_size must be a whole number >= 1, got 0"),
        ("constant:factor=2", "ConstantLR rejected factor=2"),
        ("plateau:factor=1.5", "ReduceLROnPlateau rejected"),
        ("onecycle:total_steps=10", "OneCycleLR failed at the end of epoch 11: Tried to step 11"),
        ("poly:total_iters=0", "PolynomialLR total_iters must be a whole number >= 1"),
        ("cosine:T_max=0", "CosineAnnealingLR T_max must be a whole number >= 1, got 0"),
        ("constant:factor=0", "ConstantLR failed at the end of epoch 5: float division by zero"),
        (
            "multistep:milestones=[0,5]",
            "MultiStepLR milestones must be a list of whole epochs >= 1",
        ),
        ("multistep:milestones=[50,20]", "in increasing order"),
    ],
    ids=[
        "step-size-0",
        "constant-factor",
        "plateau-factor",
        "onecycle-short",
        "poly-zero",
        "cosine-zero",
        "constant-zero",
        "milestone-0",
        "milestones-unsorted",
    ],
)
def test_values_torch_rejects_fail_before_any_work(text: str, message: str) -> None:
    spec = parse_spec(text)
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        schedules.check(spec.kind, resolve(spec, 20, 0.1), 0.1, epochs=20)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "step:step_size=1,gamma=-1",
            "StepLR sets the learning rate to -0.1 at the end of epoch",
        ),
        (
            "step:step_size=1,gamma=NaN",
            "StepLR sets the learning rate to nan at the end of epoch",
        ),
        ("cosine:eta_min=-1", "CosineAnnealingLR sets the learning rate to -0.0"),
        ("onecycle:max_lr=-1", "OneCycleLR sets the learning rate to -0.04"),
        ("cyclic:mode=exp_range,gamma=-1", "CyclicLR sets the learning rate to -0.035 at the end"),
        # A metric that never improves drives the plateau down to its (negative) floor.
        ("plateau:factor=-0.5,min_lr=-1", "ReduceLROnPlateau sets the learning rate to -0.05"),
    ],
    ids=["step-negative", "step-nan", "cosine-floor", "onecycle-peak", "cyclic-exp", "plateau"],
)
def test_a_schedule_that_sets_a_bad_rate_fails_before_any_work(text: str, message: str) -> None:
    """torch accepts these; Adam would then train at a negative or NaN rate."""
    spec = parse_spec(text)
    with pytest.raises(ValueError, match=re.escape(message)):
        schedules.check(spec.kind, resolve(spec, 20, 0.1), 0.1, epochs=20)


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


def test_spec_from_table_labels_and_errors() -> None:
    spec = spec_from_table({"name": "StepLR", "step_size": 10, "gamma": 0.5})
    assert spec.label == "StepLR:step_size=10,gamma=0.5"
    assert spec_from_table({"name": "exp", "gamma": 0.99}).label == "exp:gamma=0.99"
    assert (
        spec_from_table({"name": "exp", "label": "slow decay", "gamma": 0.99}).label == "slow decay"
    )
    composite = spec_from_table(
        {"name": "ChainedScheduler", "schedulers": ["exp", {"name": "constant"}]}
    )
    assert composite.label == "ChainedScheduler(ExponentialLR,ConstantLR)"
    for table, message in [
        ({"step_size": 3}, "schedule has no 'name'"),
        ({"name": 3}, "name must be a string"),
        ({"name": "exp", "label": ""}, "label must be a non-empty string"),
        ("exp", "must be a table"),
    ]:
        with pytest.raises(ValueError, match=message):
            spec_from_table(table)  # type: ignore[arg-type]


def test_as_rates_checks_every_rate() -> None:
    assert schedules.as_rates(0.1) == (0.1,)
    assert schedules.as_rates([0.1, 0]) == (0.1, 0.0)
    for bad in ([], [0.1, -1.0], float("nan"), [float("inf")]):
        with pytest.raises(ValueError):
            schedules.as_rates(bad)


def test_build_composites_on_one_optimizer() -> None:
    from lrviz.optim import Adam

    spec = parse_spec(
        'SequentialLR:schedulers=["constant:factor=0.5","exp:gamma=0.9"],milestones=[3]'
    )
    optimizer = Adam([], [0.1, 0.2])
    scheduler = schedules.build(spec.kind, resolve(spec, 10, [0.1, 0.2]), optimizer)
    assert isinstance(scheduler, lr_scheduler.SequentialLR)
    assert [g["lr"] for g in optimizer.param_groups] == [0.05, 0.1]


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
