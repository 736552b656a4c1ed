"""Traces of every shape a report must take (issue 11's matrix), built small and fast.

Each builder returns the traces of one report; :data:`SHAPES` names them (the test ids).
Sources: ``lrviz run`` (the golden traces it wrote), ``lrviz.simulate``, the Recorder
around real torch loops, ``Trace.from_rates``, and mixes of these.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from lrviz.trace import Trace

GOLDEN = Path(__file__).parent / "test_golden"


def golden_run() -> list[Trace]:
    """The default ``lrviz run`` (step, exp, plateau; 100 epochs; seed 0)."""
    return [Trace.load(GOLDEN / f"{n}-seed0.lrtrace.json") for n in ("step", "exp", "plateau")]


def simulate(spec: str, **kw: Any) -> Trace:
    from lrviz.simulation import simulate

    return simulate(spec, **kw)


def _sgd(lrs: list[float], momentum: float = 0.9) -> Any:
    import torch

    params = [torch.nn.Parameter(torch.zeros(1)) for _ in lrs]
    return torch.optim.SGD(
        [{"params": [p], "lr": lr} for p, lr in zip(params, lrs, strict=True)],
        lr=lrs[0],
        momentum=momentum,
    )


def record(
    make: Callable[[Any], Any],
    lrs: list[float],
    epochs: int,
    *,
    steps_per_epoch: int = 1,
    metric: Callable[[int], float] | None = None,
    losses: Callable[[int], dict[str, float]] | None = None,
    label: str | None = None,
    experiment: dict[str, Any] | None = None,
) -> Trace:
    """A Recorder around a loop of ``epochs`` epochs of ``steps_per_epoch`` updates each,
    the scheduler stepped after every update (or on ``metric`` at each epoch's end)."""
    import lrviz

    optimizer = _sgd(lrs)
    scheduler = make(optimizer)
    every = "step" if steps_per_epoch > 1 else "epoch"
    rec = lrviz.Recorder(optimizer, scheduler, experiment=experiment, label=label, every=every)
    for epoch in range(1, epochs + 1):
        for _ in range(steps_per_epoch):
            optimizer.step()
            if metric is None:
                scheduler.step()
            if every == "step":
                rec.step()
        if metric is not None:
            scheduler.step(metric(epoch))
        rec.log(**(losses(epoch) if losses else {}))
    return rec.trace


def falling(epoch: int) -> dict[str, float]:
    return {"train_loss": 2.0 / epoch, "val_loss": 2.2 / epoch + 0.1, "val_accuracy": 0.5}


def plateau_max() -> Trace:
    """The issue's loop: SGD with two groups, ReduceLROnPlateau(mode="max") on accuracy."""
    from torch.optim.lr_scheduler import ReduceLROnPlateau

    def accuracy(epoch: int) -> float:
        return min(0.8, 0.5 + 0.05 * epoch)

    return record(
        lambda o: ReduceLROnPlateau(o, mode="max", factor=0.5, patience=2),
        [0.1, 0.01],
        20,
        metric=accuracy,
        losses=lambda e: {
            "train_loss": 1.0 / e,
            "val_loss": 1.1 / e + 0.2,
            "val_accuracy": accuracy(e),
        },
    )


def warmup_lambda() -> Trace:
    """LambdaLR with a lambda: a linear warm-up from 0."""
    from torch.optim.lr_scheduler import LambdaLR

    return record(lambda o: LambdaLR(o, lambda e: min(1.0, e / 5)), [0.1], 15, losses=falling)


def multiplicative() -> Trace:
    from torch.optim.lr_scheduler import MultiplicativeLR

    return record(lambda o: MultiplicativeLR(o, lambda e: 0.9), [0.1, 0.05], 12)


def user_class() -> Trace:
    """A scheduler of the user's own, ``mymod.Decay``, that lrviz has no rule for."""
    from torch.optim.lr_scheduler import LRScheduler

    class Decay(LRScheduler):
        def get_lr(self) -> list[float]:
            drop = self.last_epoch > 0 and self.last_epoch % 4 == 0
            return [g["lr"] * (0.5 if drop else 1.0) for g in self.optimizer.param_groups]

    Decay.__module__ = "mymod"
    Decay.__qualname__ = "Decay"
    return record(Decay, [0.1, 0.1, 0.02], 16, losses=falling)


def eight_groups() -> Trace:
    from torch.optim.lr_scheduler import StepLR

    lrs = [0.1, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001]
    return record(lambda o: StepLR(o, step_size=5, gamma=0.5), lrs, 20, label="8 groups")


def onecycle_steps() -> Trace:
    """OneCycleLR stepped per batch on two groups: a step-resolution trace with losses."""
    from torch.optim.lr_scheduler import OneCycleLR

    return record(
        lambda o: OneCycleLR(o, max_lr=[0.1, 0.02], total_steps=60),
        [0.1, 0.02],
        6,
        steps_per_epoch=10,
        losses=falling,
    )


def with_bad_losses(trace: Trace) -> Trace:
    """Losses partly NaN and infinite (training that diverged for a while)."""
    epochs = list(trace.epochs)
    for k, value in ((10, math.nan), (11, math.inf), (12, math.nan)):
        if k < len(epochs):
            epochs[k] = replace(epochs[k], val_loss=value, train_loss=value)
    return replace(trace, epochs=tuple(epochs))


def twelve() -> list[Trace]:
    specs = [
        "step",
        "exp",
        "cosine",
        "onecycle",
        "warmrestarts",
        "cyclic",
        "linear",
        "constant",
        "poly",
        "multistep",
        "exp:gamma=0.9",
        "step:step_size=10",
    ]
    return [simulate(s, epochs=60) for s in specs]


def seeds_recorded() -> list[Trace]:
    """One schedule recorded under three seeds, two param groups: the multi-seed view."""
    from torch.optim.lr_scheduler import ReduceLROnPlateau

    out = []
    for seed in (0, 1, 2):

        def loss(epoch: int, seed: int = seed) -> float:  # flat from epoch 4 + 2 x seed on
            return max(1.0 / epoch, 1.0 / (4 + 2 * seed))

        out.append(
            record(
                lambda o: ReduceLROnPlateau(o, patience=1),
                [0.1, 0.02],
                15,
                metric=loss,
                losses=lambda e, loss=loss: {"val_loss": loss(e), "train_loss": loss(e) * 0.9},
                experiment={"seed": seed, "dataset": "mine", "loss": "MSELoss"},
                label="plateau",
            )
        )
    return out


SHAPES: dict[str, Callable[[], list[Trace]]] = {
    "run-3-schedules": golden_run,
    "from-rates-1-group": lambda: [Trace.from_rates([[0.1], [0.1], [0.01], [0.01]])],
    "from-rates-3-groups": lambda: [
        Trace.from_rates([[0.1, 0.2, 0.3], [0.05, 0.2, 0.3], [0.0, 0.2, 0.1]], name="Mine")
    ],
    "simulate-rate-reaches-0": lambda: [simulate("cosine", epochs=30)],
    "simulate-steps-onecycle": lambda: [simulate("onecycle", epochs=5, steps_per_epoch=10)],
    "record-2-groups-plateau-max": lambda: [plateau_max()],
    "record-8-groups": lambda: [eight_groups()],
    "record-lambda-warmup-from-0": lambda: [warmup_lambda()],
    "record-multiplicative": lambda: [multiplicative()],
    "record-user-class": lambda: [user_class()],
    "record-steps-2-groups": lambda: [onecycle_steps()],
    "losses-nan-inf": lambda: [with_bad_losses(t) for t in golden_run()],
    "schedules-12": twelve,
    "epochs-10000": lambda: [simulate("step:step_size=2500", epochs=10_000)],
    "seeds-recorded-2-groups": seeds_recorded,
    "mix-all-sources": lambda: [
        golden_run()[2],
        simulate("cosine", epochs=100),
        plateau_max(),
        Trace.from_rates([0.1] * 50 + [0.01] * 51, name="by hand"),
    ],
    "mix-epochs-and-steps": lambda: [
        simulate("onecycle", epochs=5, steps_per_epoch=10),
        simulate("step:step_size=2", epochs=5),
        warmup_lambda(),
    ],
    "mix-groups-1-and-2": lambda: [plateau_max(), user_class(), simulate("exp", epochs=20)],
}
"""Every shape of the matrix, by test id."""
