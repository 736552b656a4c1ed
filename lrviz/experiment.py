"""Training the lesson's Wine classifier under real torch schedulers, one trace per run.

The loop is the lesson's, statement for statement: full batch, ``Adam(lr)``,
``CrossEntropyLoss``, validation loss every epoch, ``scheduler.step(val_loss)`` for
ReduceLROnPlateau and ``scheduler.step()`` otherwise, after ``torch.manual_seed(seed)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from lrviz import schedules
from lrviz.config import Experiment
from lrviz.explanation import explain
from lrviz.schedules import ScheduleSpec
from lrviz.trace import Epoch, Trace

if TYPE_CHECKING:
    import torch

    from lrviz.data import Split

MODEL = "Linear(13,10) - ReLU - Linear(10,10) - ReLU - Linear(10,3)"


def build_model() -> torch.nn.Module:
    """The lesson's MLP, initialised from torch's global RNG."""
    from torch import nn

    return nn.Sequential(
        nn.Linear(13, 10), nn.ReLU(), nn.Linear(10, 10), nn.ReLU(), nn.Linear(10, 3)
    )


def run(experiment: Experiment) -> list[Trace]:
    """Train every schedule under every seed; traces in schedule-major order, explained."""
    return list(iter_runs(experiment))


def iter_runs(experiment: Experiment) -> Iterator[Trace]:
    """Like :func:`run`, one trace at a time (for progress reporting)."""
    from lrviz import data

    resolved = [
        schedules.resolve(s, experiment.epochs, experiment.lr) for s in experiment.schedules
    ]
    for spec, params in zip(experiment.schedules, resolved, strict=True):
        schedules.check(spec.kind, params, experiment.lr, experiment.epochs)
    split = data.load(experiment.dataset)
    for spec, params in zip(experiment.schedules, resolved, strict=True):
        for seed in experiment.seeds:
            trace = train(split, spec, params, experiment, seed)
            yield trace.with_events(explain(trace))


def train(
    split: Split, spec: ScheduleSpec, params: dict[str, Any], experiment: Experiment, seed: int
) -> Trace:
    """One run of the lesson's loop under one schedule; the trace without events."""
    import torch

    from lrviz.optim import Adam

    torch.manual_seed(seed)
    model = build_model()
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = Adam(model.parameters(), [experiment.lr])
    scheduler = schedules.build(spec.kind, params, optimizer)
    initial_lr = _rates(optimizer)
    varies_momentum = schedules.varies_momentum(spec.kind, params)
    records = []
    for epoch in range(1, experiment.epochs + 1):
        lr = _rates(optimizer)
        momentum = schedules.momenta(optimizer) if varies_momentum else None
        model.train()
        optimizer.zero_grad()
        loss = criterion(model(split.x_train), split.y_train)
        loss.backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            val_outputs = model(split.x_valid)
            val_loss = criterion(val_outputs, split.y_valid)
            accuracy = (val_outputs.argmax(dim=1) == split.y_valid).double().mean()
        if spec.kind.needs_metric:
            scheduler.step(val_loss)
        else:
            scheduler.step()
        records.append(
            Epoch(
                epoch=epoch,
                lr=lr,
                train_loss=loss.item(),
                val_loss=val_loss.item(),
                val_accuracy=accuracy.item(),
                metric=val_loss.item() if spec.kind.needs_metric else None,
                momentum=momentum,
                state=schedules.state_of(spec.kind, scheduler),
            )
        )
    return run_trace(experiment, spec, params, seed, initial_lr, tuple(records), _rates(optimizer))


def run_trace(
    experiment: Experiment,
    spec: ScheduleSpec,
    params: dict[str, Any],
    seed: int,
    initial_lr: tuple[float, ...],
    epochs: tuple[Epoch, ...],
    final_lr: tuple[float, ...],
    **meta: Any,
) -> Trace:
    """The trace of one run of the lesson's loop (no events): what ran, and its epochs.

    Shared by the exact path and the batched engine (:mod:`lrviz.sweep`), which adds
    ``meta`` keys saying how the run was computed.
    """

    return Trace(
        meta=schedules.provenance("run") | meta,
        experiment={
            "dataset": experiment.dataset,
            "epochs": experiment.epochs,
            "seed": seed,
            "model": MODEL,
            "loss": "CrossEntropyLoss",
            "optimizer": {"name": "Adam", "lr": experiment.lr, "betas": [0.9, 0.999], "eps": 1e-8},
        },
        schedule={"name": spec.kind.name, "label": spec.label, "params": params},
        initial_lr=initial_lr,
        epochs=epochs,
        final_lr=final_lr,
    )


def _rates(optimizer: Any) -> tuple[float, ...]:
    return tuple(float(g["lr"]) for g in optimizer.param_groups)


def run_experiment(
    schedule: str | ScheduleSpec = "plateau",
    *,
    seed: int = 0,
    epochs: int = 100,
    lr: float = 0.1,
    dataset: str = "wine",
) -> Trace:
    """Train the lesson's model under one schedule and return its explained trace.

    Args:
        schedule: A schedule SPEC such as ``"step:step_size=10"``, or a parsed spec.
        seed: ``torch.manual_seed`` before the model is built.
        epochs: Epochs (one scheduler step each).
        lr: Adam's initial learning rate.
        dataset: The data set (``"wine"``).

    Raises:
        ValueError: A bad schedule, parameter, seed, epoch count or rate.
    """
    spec = schedules.parse_spec(schedule) if isinstance(schedule, str) else schedule
    experiment = Experiment(
        dataset=dataset, epochs=epochs, lr=schedules.check_lr(lr), seeds=(seed,), schedules=(spec,)
    )
    return run(experiment)[0]
