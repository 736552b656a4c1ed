"""The schedule registry: names, aliases, lrviz's presets, and building real torch schedulers.

A schedule is written ``NAME[:key=value[,key=value...]]`` (SPEC §2): NAME is a
``torch.optim.lr_scheduler`` class name (any case) or an alias, values are JSON or
Python literals (a bare word such as ``mode=max`` is taken as a string). Parsing is
pure; resolving the parameters reads the defaults from the torch class itself.
"""

from __future__ import annotations

import ast
import inspect
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Presets = Callable[[int, float], dict[str, Any]]
"""lrviz's own defaults for a schedule, as a function of (epochs, lr)."""


def _no_presets(epochs: int, lr: float) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Kind:
    """One supported ``torch.optim.lr_scheduler`` class.

    Attributes:
        name: The torch class name.
        aliases: Short names accepted on the command line.
        needs_metric: ``step`` takes the monitored metric (ReduceLROnPlateau).
        presets: lrviz's defaults for arguments torch requires or the lesson sets.
        state_keys: Scheduler attributes recorded as each epoch's ``state``.
    """

    name: str
    aliases: tuple[str, ...] = ()
    needs_metric: bool = False
    presets: Presets = _no_presets
    state_keys: tuple[str, ...] = ("last_epoch",)


KINDS: tuple[Kind, ...] = (
    Kind("StepLR", ("step",), presets=lambda epochs, lr: {"step_size": 30, "gamma": 0.1}),
    Kind("ExponentialLR", ("exp",), presets=lambda epochs, lr: {"gamma": 0.95}),
    Kind(
        "ReduceLROnPlateau",
        ("plateau",),
        needs_metric=True,
        presets=lambda epochs, lr: {"mode": "min", "factor": 0.1, "patience": 10},
        state_keys=("best", "num_bad_epochs", "cooldown_counter"),
    ),
)

# Arguments lrviz owns: the optimizer it builds, and a fresh start.
_NOT_PARAMETERS = frozenset({"self", "optimizer", "last_epoch", "verbose"})


def _lookup_table() -> dict[str, Kind]:
    table: dict[str, Kind] = {}
    for kind in KINDS:
        for key in (kind.name, *kind.aliases):
            table[key.lower()] = kind
    return table


_BY_NAME = _lookup_table()


@dataclass(frozen=True)
class ScheduleSpec:
    """A schedule as the user asked for it: a kind and the parameters they gave.

    Attributes:
        kind: The registry entry.
        params: Parameters given explicitly (presets and torch defaults not yet applied).
        label: How the user wrote it, for headings and file names.
    """

    kind: Kind
    params: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""


def lookup(name: str) -> Kind:
    """The registry entry for a class name (any case) or alias.

    Raises:
        ValueError: No such schedule.
    """
    try:
        return _BY_NAME[name.strip().lower()]
    except KeyError:
        known = ", ".join(f"{k.name} ({'/'.join(k.aliases)})" if k.aliases else k.name for k in KINDS)
        raise ValueError(f"unknown schedule {name.strip()!r}; choose one of: {known}") from None


def parse_spec(text: str) -> ScheduleSpec:
    """Parse ``NAME[:key=value,...]`` into a :class:`ScheduleSpec`.

    Raises:
        ValueError: Unknown name, or a parameter that is not ``key=value``.
    """
    name, _, rest = text.partition(":")
    kind = lookup(name)
    params: dict[str, Any] = {}
    for item in _split_top_level(rest):
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise ValueError(f"bad parameter {item.strip()!r} in {text!r}; write key=value")
        if key in params:
            raise ValueError(f"parameter {key!r} given twice in {text!r}")
        params[key] = parse_value(raw)
    return ScheduleSpec(kind=kind, params=params, label=text.strip())


def parse_value(raw: str) -> Any:
    """A JSON or Python literal; a bare word that is neither is taken as a string."""
    raw = raw.strip()
    try:
        return json.loads(raw)
    except ValueError:
        pass
    try:
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        if raw.replace("_", "").isalnum() and not raw[0].isdigit():
            return raw
        raise ValueError(f"cannot read value {raw!r}; use a number, a list or a word") from None


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside brackets or quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[({":
            depth += 1
        elif ch in "])}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


def torch_class(kind: Kind) -> type[Any]:
    """The ``torch.optim.lr_scheduler`` class of a registry entry."""
    import torch.optim.lr_scheduler as lr_scheduler

    cls: type[Any] = getattr(lr_scheduler, kind.name)
    return cls


def torch_defaults(kind: Kind) -> dict[str, Any]:
    """Constructor arguments of the torch class and their defaults (``inspect.Parameter.empty``
    for required ones), in signature order."""
    signature = inspect.signature(torch_class(kind).__init__)
    return {
        name: p.default
        for name, p in signature.parameters.items()
        if name not in _NOT_PARAMETERS and p.kind is not p.VAR_KEYWORD
    }


def resolve(spec: ScheduleSpec, epochs: int, lr: float) -> dict[str, Any]:
    """Every constructor argument: the user's, else lrviz's preset, else torch's default.

    Raises:
        ValueError: An unknown parameter, or a required one that is missing.
    """
    defaults = torch_defaults(spec.kind)
    unknown = sorted(set(spec.params) - set(defaults))
    if unknown:
        raise ValueError(
            f"unknown parameter {unknown[0]!r} for {spec.kind.name}; "
            f"allowed: {', '.join(defaults)}"
        )
    merged = {**defaults, **spec.kind.presets(epochs, lr), **spec.params}
    missing = [k for k, v in merged.items() if v is inspect.Parameter.empty]
    if missing:
        raise ValueError(f"{spec.kind.name} needs {', '.join(missing)} (e.g. {spec.kind.name.lower()}"
                         f":{missing[0]}=...)")
    return merged


def build(kind: Kind, params: Mapping[str, Any], optimizer: Any) -> Any:
    """Construct the real torch scheduler on ``optimizer``.

    Raises:
        ValueError: torch rejected a value (its message, with the schedule named).
    """
    try:
        return torch_class(kind)(optimizer, **params)
    except (ValueError, TypeError, KeyError, ZeroDivisionError) as exc:
        raise ValueError(f"{kind.name} rejected {_format_params(params)}: {exc}") from exc


def check(kind: Kind, params: Mapping[str, Any], lr: float) -> None:
    """Build the schedule once on a dummy optimizer so bad values fail before any work."""
    from lrviz.optim import Adam

    build(kind, params, Adam([], [lr]))


def state_of(kind: Kind, scheduler: Any) -> dict[str, Any]:
    """The recorded attributes of a scheduler, as plain JSON-ready values."""
    return {key: _plain(getattr(scheduler, key)) for key in kind.state_keys}


def _plain(value: Any) -> Any:
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return float(value)


def _format_params(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items())


def check_lr(lr: float) -> float:
    """Validate an initial learning rate.

    Raises:
        ValueError: lr is negative or not finite.
    """
    if not math.isfinite(lr) or lr < 0:
        raise ValueError(f"lr must be a finite number >= 0, got {lr}")
    return lr
