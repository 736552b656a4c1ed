"""Where lrviz meets torch: building the real schedulers, stepping them, and reading
rates, momenta, state and arguments back from live torch objects.

Every other module sees schedules as data (:mod:`lrviz.schedules`, :mod:`lrviz.trace`);
this one imports torch, inside the functions that need it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from lrviz import checks, schedules
from lrviz.schedules.base import Kind


def torch_class(kind: Kind) -> type[Any]:
    """The ``torch.optim.lr_scheduler`` class of a registry entry."""
    import torch.optim.lr_scheduler as lr_scheduler

    cls: type[Any] = getattr(lr_scheduler, kind.name)
    return cls


def provenance(source: str) -> dict[str, str]:
    """The ``meta`` a trace starts from: lrviz's and torch's versions and what made it
    ("run", "simulate", "record"). Plain strings: ``torch.__version__`` is a torch type,
    and a pickled trace holding it would import torch where it is loaded."""
    import torch

    from lrviz.__about__ import __version__

    return {"lrviz": __version__, "torch": str(torch.__version__), "source": source}


def rates(optimizer: Any) -> tuple[float, ...]:
    """The current rate of each param group."""
    return tuple(float(g["lr"]) for g in optimizer.param_groups)


def momenta(optimizer: Any) -> tuple[float, ...]:
    """Each group's momentum: Adam's beta1, or SGD's ``momentum``."""
    return tuple(
        float(g["betas"][0]) if "betas" in g else float(g["momentum"])
        for g in optimizer.param_groups
    )


def varies_momentum(kind: Kind, params: Mapping[str, Any]) -> bool:
    """Whether the schedule sets momentum (Adam's beta1) as it goes."""
    return kind.cycles_momentum and bool(params.get("cycle_momentum"))


def build(kind: Kind, params: Mapping[str, Any], optimizer: Any) -> Any:
    """Construct the real torch scheduler on ``optimizer`` (a composite with its children).

    Raises:
        ValueError: torch rejected a value (its message, with the schedule named).
    """
    args = dict(params)
    if kind.composite:
        args["schedulers"] = [
            build(schedules.lookup(child["name"]), child["params"], optimizer)
            for child in params["schedulers"]
        ]
    try:
        return torch_class(kind)(optimizer=optimizer, **args)
    except (ValueError, TypeError, KeyError, ZeroDivisionError, OverflowError) as exc:
        raise ValueError(f"{kind.name} rejected {_format_params(params)}: {exc}") from exc


def advance(kind: Kind, scheduler: Any, epoch: int, metric: float | None = None) -> None:
    """One scheduler step at the end of ``epoch`` (with the metric if ``step`` takes one).

    Raises:
        ValueError: torch failed to step (e.g. OneCycleLR stepped past ``total_steps``).
    """
    try:
        if kind.needs_metric:
            scheduler.step(metric)
        else:
            scheduler.step()
    except (ValueError, TypeError, ZeroDivisionError, OverflowError) as exc:
        raise ValueError(f"{kind.name} failed at the end of epoch {epoch}: {exc}") from exc


def check_rates(kind: Kind, optimizer: Any, epoch: int) -> None:
    """The rates ``epoch`` (1-based) is about to train with must be finite and >= 0.

    torch lets a schedule set any rate (gamma=-1, eta_min=-1, max_lr=nan): Adam would
    then train with it, and the rate axis and explanations would be meaningless.

    Raises:
        ValueError: Naming the schedule, the rate and when it was set.
    """
    when = "to start with" if epoch == 1 else f"at the end of epoch {epoch - 1}"
    for group in optimizer.param_groups:
        rate = group["lr"]
        if not (isinstance(rate, (int, float)) and math.isfinite(rate) and rate >= 0):
            raise ValueError(
                f"{kind.name} sets the learning rate to {rate!r} {when}; "
                "a rate must be a finite number >= 0"
            )


def check(
    kind: Kind, params: Mapping[str, Any], lr: float | Sequence[float], epochs: int = 0
) -> None:
    """Build the schedule on a dummy optimizer, and step it ``epochs`` times, so bad values
    fail before any work. A schedule that steps on a metric gets one that never improves,
    so it reduces as often and as far as it ever can.

    Raises:
        ValueError: torch rejected a value, failed while stepping, or set a rate an epoch
            would train with that is negative or not finite. (The rate after the last
            step trains nothing: a three-phase linear OneCycleLR ends below zero.)
    """
    from lrviz.optim import Adam

    optimizer = Adam([], list(checks.rates(lr)))
    scheduler = build(kind, params, optimizer)
    for epoch in range(1, epochs + 1):
        check_rates(kind, optimizer, epoch)
        optimizer.step()
        advance(kind, scheduler, epoch, 1.0 if kind.needs_metric else None)


def state_of(kind: Kind, scheduler: Any) -> dict[str, Any]:
    """The recorded attributes of a scheduler, as plain JSON-ready values."""
    return {key: _plain(getattr(scheduler, key)) for key in kind.state_keys}


def params_of(scheduler: Any, kind: Kind | None = None) -> dict[str, Any]:
    """The constructor arguments of a live torch scheduler, as :func:`lrviz.resolve.resolve`
    gives them.

    For traces recorded from your own loop: torch keeps most arguments as attributes,
    some under other names or only in the optimizer's param groups (OneCycleLR), and
    composites keep their children. Values torch stores derived (OneCycleLR's
    ``pct_start``, ``div_factor``) are rounded to 12 significant digits.

    Args:
        scheduler: The scheduler.
        kind: Its registry entry, if known (else found from its class).

    Raises:
        ValueError: Not a scheduler lrviz knows.
    """
    from lrviz.resolve import torch_defaults

    kind = kind or schedules.for_scheduler(scheduler)
    if kind is None:
        raise ValueError(f"lrviz has no rule for {type(scheduler).__qualname__}")
    if kind.reader is not None:
        return {key: _plain(value) for key, value in kind.reader(scheduler).items()}
    return {name: _plain(getattr(scheduler, name)) for name in torch_defaults(kind)}


def _plain(value: Any) -> Any:
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return float(value)


def _format_params(params: Mapping[str, Any]) -> str:
    return ", ".join(
        f"{k}=[{', '.join(c['name'] for c in v)}]" if k == "schedulers" else f"{k}={v!r}"
        for k, v in params.items()
    )
