"""Torch's own scheduler test cases (tests/torch_cases.py), run on the torch installed here.

Each case builds the real scheduler on the optimizer torch's test builds and checks the
rates (and momenta) at the moments torch's helper checks them, with torch's tolerance
(atol 1e-5, rtol 0). Unlike torch's ``_test`` helpers, ``optimizer.step()`` comes before
every ``scheduler.step()``, as in a training loop: the optimizer has no gradients, so it
changes no rate, and torch does not warn of a scheduler stepped first.
"""

from __future__ import annotations

import math
import pickle
import warnings
from collections.abc import Mapping
from typing import Any

import pytest
import torch
import torch.optim.lr_scheduler as lr_scheduler
from torch_cases import CASES, COMPOUND, TorchCase

ATOL = 1e-5
"""Torch's tolerance: ``assertEqual(..., atol=1e-5, rtol=0)``."""


def build_optimizer(spec: Mapping[str, Any]) -> torch.optim.Optimizer:
    """The optimizer of ``spec``: one ``Conv2d(1, 1, 1)``'s parameters per group."""
    groups = []
    for group in spec["groups"]:
        lr = group["lr"]
        conv = torch.nn.Conv2d(1, 1, 1)
        groups.append(
            {
                "params": conv.parameters(),
                "lr": torch.tensor(lr) if group.get("tensor_lr") else lr,
            }
        )
    options = {k: v for k, v in spec.items() if k not in ("name", "groups")}
    optimizer: torch.optim.Optimizer = getattr(torch.optim, spec["name"])(groups, **options)
    return optimizer


def build_scheduler(optimizer: torch.optim.Optimizer, name: str, kwargs: Mapping[str, Any]) -> Any:
    """Torch's scheduler ``name``; children (``{"name", "kwargs"}``) are built first, in order."""
    args = dict(kwargs)
    if "schedulers" in args:
        args["schedulers"] = [
            build_scheduler(optimizer, c["name"], c["kwargs"]) for c in args["schedulers"]
        ]
    if name == COMPOUND:
        return args["schedulers"]
    if name == "ChainedScheduler":
        return lr_scheduler.ChainedScheduler(**args)
    return getattr(lr_scheduler, name)(optimizer, **args)


def warns_when_built(case: TorchCase) -> bool:
    """SequentialLR re-runs its first child's initial step when built; a ChainedScheduler
    there steps its own children, which warn of a scheduler stepped before the optimizer
    before any training loop could step it (torch's test lets the warning pass)."""
    children = case.kwargs.get("schedulers", [])
    return case.scheduler == "SequentialLR" and children[0]["name"] == "ChainedScheduler"


def momentum_of(group: Mapping[str, Any]) -> Any:
    """SGD's momentum, or Adam's beta1."""
    return group["momentum"] if "momentum" in group else group["betas"][0]


def check(kind: str, targets: list[list[float]], k: int, got: list[Any], when: str) -> None:
    for g, target in enumerate(targets):
        expected, value = target[k], float(got[g])
        assert abs(expected - value) <= ATOL, (
            f"{kind} is wrong in epoch {k} ({when}), group {g}: expected {expected}, got {value}"
        )


def step(case: TorchCase, optimizer: torch.optim.Optimizer, scheduler: Any, n: int) -> None:
    """The n-th (0-based) ``scheduler.step`` call of the case, after ``optimizer.step()``."""
    optimizer.step()
    if case.metrics is not None:
        scheduler.step(case.metrics[n])
    elif case.step_epochs is not None:
        # Torch's _test_with_epoch checks that each call warns once of the deprecated
        # epoch argument; CosineAnnealingWarmRestarts takes the epoch without a warning.
        expected = (
            []
            if case.scheduler == "CosineAnnealingWarmRestarts"
            else [lr_scheduler.EPOCH_DEPRECATION_WARNING]
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scheduler.step(case.step_epochs[n])
        assert [str(w.message) for w in caught] == expected
    elif isinstance(scheduler, list):
        for child in scheduler:
            child.step()
    else:
        scheduler.step()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_torch_case(case: TorchCase) -> None:
    optimizer = build_optimizer(case.optimizer)
    if warns_when_built(case):
        with pytest.warns(UserWarning, match=r"lr_scheduler.step\(\)` before `optimizer.step"):
            scheduler = build_scheduler(optimizer, case.scheduler, case.kwargs)
    else:
        scheduler = build_scheduler(optimizer, case.scheduler, case.kwargs)
    checks = len(case.targets[0])
    assert all(len(t) == checks for t in case.targets)
    assert case.offset + checks - 1 <= case.epochs
    for taken in range(case.epochs + 1):
        k = taken - case.offset
        if 0 <= k < checks:
            when = f"after {taken} steps"
            groups = optimizer.param_groups
            check("LR", case.targets, k, [g["lr"] for g in groups], when)
            if case.momentum_targets is not None:
                check("Momentum", case.momentum_targets, k, [momentum_of(g) for g in groups], when)
            if case.source.startswith("test_get_last_lr"):
                check("get_last_lr()", case.targets, k, scheduler.get_last_lr(), when)
        if taken < case.epochs:
            step(case, optimizer, scheduler, taken)


def test_cases_are_unique_and_cover_every_class() -> None:
    assert len({c.id for c in CASES}) == len(CASES)
    assert {c.scheduler for c in CASES} == {
        "StepLR",
        "MultiStepLR",
        "ConstantLR",
        "LinearLR",
        "ExponentialLR",
        "PolynomialLR",
        "CosineAnnealingLR",
        "CosineAnnealingWarmRestarts",
        "CyclicLR",
        "OneCycleLR",
        "ReduceLROnPlateau",
        "SequentialLR",
        "ChainedScheduler",
        "LambdaLR",
        "MultiplicativeLR",
        COMPOUND,
    }


def test_cases_pickle() -> None:
    """Plain data: the cases, lambdas included, survive a pickle round trip."""
    again = pickle.loads(pickle.dumps(CASES))
    assert [c.id for c in again] == [c.id for c in CASES]
    lambdas = [c.kwargs["lr_lambda"] for c in again if "lr_lambda" in c.kwargs]
    assert [[f(3) for f in fs] for fs in lambdas] == [
        [0.9**3, 0.8**3],
        [0.9, 0.8],
    ]


def test_warm_restart_epochs_are_torchs() -> None:
    """test_CosineAnnealingWarmRestarts_lr2's epochs, spelled with torch as torch spells them."""
    steps = [round(e.item(), 1) for e in torch.arange(0, 30, 0.1)]
    targets = len(torch.arange(0.1, 30, 0.1)) + 1
    cases = [c for c in CASES if c.source == "test_CosineAnnealingWarmRestarts_lr2"]
    assert len(cases) == 3
    for case in cases:
        assert case.step_epochs == steps
        assert all(len(t) == targets for t in case.targets)
        assert all(math.isfinite(x) for t in case.targets for x in t)
