"""The schedule registry: every numeric torch scheduler, found by name or alias."""

from __future__ import annotations

import inspect

import pytest
import torch.optim.lr_scheduler as lr_scheduler

from lrviz import schedules
from lrviz.schedules import KINDS, lookup

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
