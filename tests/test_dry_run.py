"""The dry run: values torch rejects, or rates no epoch may train with, fail before any work."""

from __future__ import annotations

import re

import pytest

from lrviz.resolve import resolve
from lrviz.schedules import BUILDABLE
from lrviz.simulation import check
from lrviz.spec import parse_spec

SIMPLE = [k for k in BUILDABLE if not k.composite]


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
        check(spec.kind, resolve(spec, 20, 0.1), 0.1, epochs=20)


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
        check(spec.kind, resolve(spec, 20, 0.1), 0.1, epochs=20)
