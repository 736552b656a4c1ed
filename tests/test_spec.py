"""The SPEC grammar: names, literals, lists and quotes, tables, and bad SPECs named."""

from __future__ import annotations

from typing import Any

import pytest

from lrviz.schedules import BUILDABLE
from lrviz.spec import parse_spec, parse_value, spec_from_table

SIMPLE = [k for k in BUILDABLE if not k.composite]


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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "multistep:milestones=[30,",
            "cannot read value '[30,' for 'milestones' (a bracket is not closed); use a number, "
            "a list or a word",
        ),
        (
            "step:step_size=10,gamma=0.1.2",
            "cannot read value '0.1.2' for 'gamma'; use a number, a list or a word",
        ),
    ],
)
def test_a_value_that_cannot_be_read_names_its_parameter(text: str, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_spec(text)
    assert str(raised.value) == message
