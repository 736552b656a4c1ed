"""Where lrviz meets torch: building the real schedulers, stepping them, and reading
rates and constructor arguments back from live torch objects.

Every other module sees schedules as data (:mod:`lrviz.schedules`, :mod:`lrviz.trace`);
this one imports torch, inside the functions that need it.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from typing import Any

from lrviz import schedules
from lrviz.schedules.base import Kind


def torch_class(kind: Kind) -> type[Any]:
    """The ``torch.optim.lr_scheduler`` class of a registry entry (a framework schedule's
    is the class its builder returns, LambdaLR)."""
    import torch.optim.lr_scheduler as lr_scheduler

    cls: type[Any] = getattr(lr_scheduler, "LambdaLR" if kind.factory else kind.name)
    return cls


def constructor(kind: Kind) -> Any:
    """What builds a schedule from an optimizer and its arguments: the torch class, or a
    framework's function.

    Raises:
        ValueError: The framework is not installed (naming the extra that installs it).
    """
    return kind.factory() if kind.factory is not None else torch_class(kind)


def provenance(source: str) -> dict[str, Any]:
    """The ``meta`` a trace starts from: lrviz's and torch's versions, what made it
    ("run", "simulate", "record") and, in a distributed run, ``world_size`` and this
    process's global ``rank``. Plain values: ``torch.__version__`` is a torch type, and a
    pickled trace holding it would import torch where it is loaded."""
    import torch
    import torch.distributed as dist

    from lrviz.__about__ import __version__

    meta: dict[str, Any] = {"lrviz": __version__, "torch": str(torch.__version__)}
    meta["source"] = source
    if dist.is_available() and dist.is_initialized():
        meta["world_size"] = dist.get_world_size()
        meta["rank"] = dist.get_rank()
    return meta


def rates(optimizer: Any) -> tuple[float, ...]:
    """The current rate of each param group."""
    return tuple(float(g["lr"]) for g in optimizer.param_groups)


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
    make = constructor(kind)
    try:
        return make(optimizer=optimizer, **args)
    except (ValueError, TypeError, KeyError, ZeroDivisionError, OverflowError) as exc:
        raise ValueError(f"{kind.name} rejected {_format_params(params)}: {exc}") from exc


def advance(
    kind: Kind, scheduler: Any, where: str | Callable[[], str], metric: float | None = None
) -> None:
    """One scheduler step (with the metric if ``step`` takes one).

    Args:
        kind: The schedule.
        scheduler: Its torch scheduler.
        where: When, for messages: "the end of epoch 3", "step 25" (or a function
            that says it, called only for a message).
        metric: The value ``step`` takes, if any.

    Raises:
        ValueError: torch failed to step (e.g. OneCycleLR stepped past ``total_steps``).
    """
    try:
        if kind.needs_metric:
            scheduler.step(metric)
        else:
            scheduler.step()
    except (ValueError, TypeError, ZeroDivisionError, OverflowError) as exc:
        raise ValueError(f"{kind.name} failed at {_said(where)}: {exc}") from exc


def check_groups(kind: Kind, optimizer: Any, when: str | Callable[[], str]) -> None:
    """The rates (and momenta) the next update uses must be ones it can use: a rate
    finite and >= 0, Adam's beta1 in [0, 1), SGD's momentum >= 0.

    torch lets a schedule set any value (gamma=-1, eta_min=-1, max_lr=nan,
    base_momentum=1): the optimizer would then train with it, divide by zero, or make
    the rate axis and explanations meaningless.

    Args:
        kind: The schedule.
        optimizer: The optimizer it sets.
        when: When the values were set, for messages ("to start with", "at step 3"; or a
            function that says it, called only for a message).

    Raises:
        ValueError: Naming the schedule, the value and when it was set.
    """
    name = type(optimizer).__name__
    for group in optimizer.param_groups:
        rate = group["lr"]
        # A float first, in one comparison (NaN and infinity fail it): a million steps
        # call this.
        if not (
            0.0 <= rate <= _LARGEST
            if type(rate) is float
            else isinstance(rate, int | float) and math.isfinite(rate) and rate >= 0
        ):
            raise ValueError(
                f"{kind.name} sets the learning rate to {rate!r} {_said(when)}; "
                "a rate must be a finite number >= 0"
            )
        if "betas" in group and not 0 <= group["betas"][0] < 1:
            raise ValueError(
                f"{kind.name} sets {name}'s beta1 to {group['betas'][0]!r} {_said(when)}; "
                f"{name} needs 0 <= beta1 < 1 (base_momentum and max_momentum set it)"
            )
        if "momentum" in group and not (
            math.isfinite(group["momentum"]) and group["momentum"] >= 0
        ):
            raise ValueError(
                f"{kind.name} sets {name}'s momentum to {group['momentum']!r} {_said(when)}; "
                "momentum must be a finite number >= 0"
            )


_LARGEST = sys.float_info.max


def _said(when: str | Callable[[], str]) -> str:
    return when if isinstance(when, str) else when()


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
