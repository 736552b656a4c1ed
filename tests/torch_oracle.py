"""Torch alone, as the oracle: a real scheduler on a plain torch optimizer, stepped per epoch.

Used by the tests that compare lrviz with torch. Nothing here imports lrviz.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.optim.lr_scheduler as lr_scheduler


@dataclass
class Oracle:
    """What torch did.

    Attributes:
        rates: The rates of each epoch, then the rates after the last step.
        betas: Adam's beta1 of each epoch (momentum, for CyclicLR and OneCycleLR).
        decisions: For ReduceLROnPlateau, the epochs at which torch decided to reduce,
            with its ``best`` and ``num_bad_epochs`` at that moment.
    """

    rates: list[list[float]] = field(default_factory=list)
    betas: list[list[float]] = field(default_factory=list)
    decisions: dict[int, tuple[float, int]] = field(default_factory=dict)

    def changed(self, rel_tol: float = 1e-9) -> set[tuple[int, int]]:
        """(epoch, group) of every step that changed a rate."""
        return {
            (k, g)
            for k in range(1, len(self.rates))
            for g in range(len(self.rates[0]))
            if not math.isclose(self.rates[k - 1][g], self.rates[k][g], rel_tol=rel_tol)
        }


def make_scheduler(optimizer: Any, name: str, params: Mapping[str, Any]) -> Any:
    """The torch scheduler ``name`` with resolved ``params`` (children as {"name", "params"})."""
    args = dict(params)
    if "schedulers" in args:
        args["schedulers"] = [
            make_scheduler(optimizer, c["name"], c["params"]) for c in args["schedulers"]
        ]
    return getattr(lr_scheduler, name)(optimizer=optimizer, **args)


def drive(
    name: str,
    params: Mapping[str, Any],
    lrs: Sequence[float],
    epochs: int,
    metrics: Sequence[float] | None = None,
    perturb: tuple[int, int, float] | None = None,
) -> Oracle:
    """Step torch's scheduler once per epoch after ``optimizer.step()``.

    Args:
        perturb: ``(epoch, group, rate)``: set that group's rate by hand after that
            epoch's step, as a user's own code might.
    """
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    optimizer = torch.optim.Adam(groups)
    scheduler = make_scheduler(optimizer, name, params)
    oracle = Oracle()
    if metrics is not None:
        reduce = scheduler._reduce_lr

        def spy(epoch: int) -> None:
            oracle.decisions[epoch] = (scheduler.best, scheduler.num_bad_epochs)
            reduce(epoch)

        scheduler._reduce_lr = spy
    for epoch in range(1, epochs + 1):
        oracle.rates.append([g["lr"] for g in optimizer.param_groups])
        oracle.betas.append([g["betas"][0] for g in optimizer.param_groups])
        optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[epoch - 1])
        if perturb is not None and perturb[0] == epoch:
            optimizer.param_groups[perturb[1]]["lr"] = perturb[2]
    oracle.rates.append([g["lr"] for g in optimizer.param_groups])
    return oracle
