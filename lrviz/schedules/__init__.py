"""The schedule registry: every ``torch.optim.lr_scheduler`` class lrviz drives and explains.

One module per family holds everything lrviz knows about its schedules, as one
:class:`~lrviz.schedules.base.Kind` each: names and aliases, lrviz's presets, whether
``step`` takes a metric, the recorded state, the rule that explains the rates, the
pitfall check, and how to read a live scheduler's arguments back. Every question about
a schedule is asked here: ``lookup(name).needs_metric``, never a class-name comparison
elsewhere.

Pure data: importing the registry imports no torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lrviz.schedules import (
    composite,
    cosine,
    cyclic,
    exponential,
    functional,
    hf,
    linear,
    plateau,
    step,
)
from lrviz.schedules.base import Kind

if TYPE_CHECKING:
    from lrviz.trace import Trace

__all__ = [
    "BUILDABLE",
    "KINDS",
    "TORCH",
    "Kind",
    "class_of",
    "find",
    "for_scheduler",
    "kind_of",
    "lookup",
    "recognise",
    "too_many_steps",
]

KINDS: tuple[Kind, ...] = (
    *step.KINDS,
    *exponential.KINDS,
    *plateau.KINDS,
    *cosine.KINDS,
    *cyclic.KINDS,
    *linear.KINDS,
    *composite.KINDS,
    *functional.KINDS,
    *hf.KINDS,
)
"""Every ``torch.optim.lr_scheduler`` class lrviz explains."""

BUILDABLE: tuple[Kind, ...] = tuple(k for k in KINDS if not k.functional)
"""The schedules a SPEC can build: all but those of Python functions (LambdaLR,
MultiplicativeLR), which lrviz explains when recorded."""

TORCH: tuple[Kind, ...] = tuple(k for k in KINDS if k.factory is None)
"""The ``torch.optim.lr_scheduler`` classes (the rest are frameworks' schedules)."""


def _lookup_table() -> dict[str, Kind]:
    table: dict[str, Kind] = {}
    for kind in KINDS:
        for key in (kind.name, *kind.aliases):
            table[key.lower()] = kind
    return table


_BY_NAME = _lookup_table()


def find(name: str) -> Kind | None:
    """The registry entry for a class name (any case) or alias, or None."""
    return _BY_NAME.get(name.strip().lower()) if isinstance(name, str) else None


def lookup(name: str) -> Kind:
    """The registry entry for a class name (any case) or alias.

    Raises:
        ValueError: No such schedule.
    """
    kind = find(name)
    if kind is None:
        known = ", ".join(
            f"{k.name} ({'/'.join(k.aliases)})" if k.aliases else k.name for k in BUILDABLE
        )
        raise ValueError(f"unknown schedule {name!r}; choose one of: {known}")
    return kind


def too_many_steps(kind: Kind, params: Mapping[str, Any], steps: int, how: str) -> str:
    """Why a schedule cannot take ``steps`` steps ("" when it can), before the first one:
    "total_steps=40 is shorter than the 50 steps simulated (5 epochs x 10 steps)".

    Args:
        kind: The schedule.
        params: Its parameters.
        steps: The scheduler steps to be taken.
        how: Where they come from, in words ("5 epochs x 10 steps").
    """
    if kind.limit is None:
        return ""
    most, words = kind.limit(params)
    if steps <= most:
        return ""
    return f"{kind.name} {words} is shorter than the {steps:,} steps simulated ({how})"


def kind_of(trace: Trace) -> Kind | None:
    """The registry entry of a trace's schedule, or None for a scheduler lrviz has no
    rule for (its changes are then reported as they are)."""
    return find(trace.name)


FAMILIES = {
    "hf": "",
    "timm": "timm schedules are not supported yet: timm needs torchvision, which does not "
    "load beside the CPU torch lrviz is tested with",
}
"""Prefixes of framework schedules (``hf:cosine``): "" where supported, else why not."""


def recognise(scheduler: Any) -> tuple[Kind, dict[str, Any]] | None:
    """A framework's schedule that a live scheduler is (a HuggingFace LambdaLR), with its
    arguments, or None."""
    return hf.recognise(scheduler)


def class_of(scheduler: Any) -> type[Any]:
    """A live scheduler's class, as it was built: seen through the subclass a
    :class:`lrviz.Recorder` swaps in to watch it (which marks its base)."""
    cls = type(scheduler)
    base: type[Any] = cls.__dict__.get("_lrviz_base", cls)
    return base


def for_scheduler(scheduler: Any) -> Kind | None:
    """The registry entry of a live scheduler: its class must be torch's class itself, so
    a user's class that shares a torch name, or subclasses one, is not taken for it."""
    cls = class_of(scheduler)
    kind = find(cls.__name__)
    if kind is None:
        return None
    from lrviz.torchbridge import torch_class

    return kind if cls is torch_class(kind) else None
