"""From a schedule as the user wrote it to every constructor argument torch gets.

Each argument is the user's, else lrviz's preset (a function of the run's epochs and
rates), else torch's default, read from the torch class's signature (never retyped).
Values are checked against torch's own annotations where those are plain, and the
whole numbers torch divides by are checked up front.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lrviz import checks
from lrviz.schedules.base import Kind, Rates
from lrviz.spec import ScheduleSpec

# Arguments lrviz owns: the optimizer it builds, and a fresh start.
_NOT_PARAMETERS = frozenset({"self", "optimizer", "last_epoch", "verbose"})


def torch_defaults(kind: Kind) -> dict[str, Any]:
    """Constructor arguments of the torch class and their defaults (``inspect.Parameter.empty``
    for required ones), in signature order."""
    signature = _signature(kind)
    return {
        name: p.default
        for name, p in signature.parameters.items()
        if name not in _NOT_PARAMETERS and name not in kind.hidden and p.kind is not p.VAR_KEYWORD
    }


def torch_annotations(kind: Kind) -> dict[str, str]:
    """The type annotations of the torch class's arguments, as text (empty if torch has none)."""
    signature = _signature(kind)
    return {
        name: p.annotation if isinstance(p.annotation, str) else ""
        for name, p in signature.parameters.items()
    }


def _signature(kind: Kind) -> inspect.Signature:
    from lrviz.torchbridge import constructor

    return inspect.signature(constructor(kind))


def resolve(spec: ScheduleSpec, epochs: int, lr: float | Sequence[float]) -> dict[str, Any]:
    """Every constructor argument: the user's, else lrviz's preset, else torch's default.

    A composite's ``schedulers`` become ``[{"name": ..., "params": {...}}, ...]``, each
    child resolved for the epochs it runs (its SequentialLR segment, or all of them).

    Raises:
        ValueError: An unknown parameter, a required one that is missing, or a value
            of the wrong type.
    """
    rates = checks.rates(lr)
    kind = spec.kind
    defaults = torch_defaults(kind)
    unknown = sorted(set(spec.params) - set(defaults))
    if unknown:
        raise ValueError(
            f"unknown parameter {unknown[0]!r} for {kind.name}; allowed: {', '.join(defaults)}"
        )
    annotations = torch_annotations(kind)
    for key, value in spec.params.items():
        if key in kind.per_group and _is_list_of(_is_number)(value):
            continue  # one per param group: torch checks the count when it is built
        _check_type(kind, key, value, annotations.get(key, ""))
    presets = {
        key: preset.value(epochs, rates)
        for key, preset in kind.presets.items()
        if not any(spec.params.get(other) is not None for other in preset.unless)
    }
    merged = {**defaults, **presets, **spec.params}
    missing = [k for k, v in merged.items() if v is inspect.Parameter.empty]
    if missing:
        example = f"{kind.aliases[0] if kind.aliases else kind.name}:{missing[0]}=..."
        raise ValueError(f"{kind.name} needs {', '.join(missing)} (e.g. {example})")
    for key in kind.milestones:
        _check_milestones(kind, merged[key], key)
    if kind.composite:
        merged["schedulers"] = _resolve_children(kind, merged, epochs, rates)
    if kind.derived is not None:
        merged.update(kind.derived(merged))
    for key in kind.periods:
        value = merged[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{kind.name} {key} must be a whole number >= 1, got {value!r}")
    return merged


def _resolve_children(
    kind: Kind, params: Mapping[str, Any], epochs: int, rates: Rates
) -> list[dict[str, Any]]:
    children: Sequence[ScheduleSpec] = params["schedulers"]
    lengths = kind.segments(params, epochs) if kind.segments else [epochs] * len(children)
    return [
        {"name": child.kind.name, "params": resolve(child, max(1, length), rates)}
        for child, length in zip(children, lengths, strict=True)
    ]


def _check_milestones(kind: Kind, value: Any, key: str) -> None:
    ok = isinstance(value, list | tuple) and all(
        isinstance(m, int) and not isinstance(m, bool) and m >= 1 for m in value
    )
    if not ok or list(value) != sorted(value):
        raise ValueError(
            f"{kind.name} {key} must be a list of whole epochs >= 1 in increasing "
            f"order, got {value!r}"
        )


def _check_type(kind: Kind, key: str, value: Any, annotation: str) -> None:
    """Check a value against torch's annotation where it is plain (numbers, bools, Literal
    choices, lists of numbers); torch itself would fail later with a less direct message."""
    options = [a.strip() for a in annotation.split("|")] if annotation else []
    wanted = [w for w in (_WANTED.get(o) or _literal(o) for o in options) if w is not None]
    if not options or len(wanted) < len(options):
        return  # an annotation lrviz does not read: torch decides
    if any(fits(value) for fits, _ in wanted):
        return
    words = " or ".join(text for _, text in wanted)
    raise ValueError(f"{kind.name} {key} must be {words}, got {value!r}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_list_of(fits: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, list | tuple) and all(fits(v) for v in value)


_Wanted = tuple[Callable[[Any], bool], str]

_WANTED: dict[str, _Wanted] = {
    "float": (_is_number, "a number"),
    "int": (_is_whole, "a whole number"),
    "bool": (lambda value: isinstance(value, bool), "true or false"),
    "None": (lambda value: value is None, "null"),
    "list[float]": (_is_list_of(_is_number), "a list of numbers (one per param group)"),
    "Iterable[int]": (_is_list_of(_is_whole), "a list of whole numbers"),
    "list[int]": (_is_list_of(_is_whole), "a list of whole numbers"),
}


def _literal(annotation: str) -> _Wanted | None:
    """``Literal['a', 'b']`` -> a check for one of those values."""
    if not (annotation.startswith("Literal[") and annotation.endswith("]")):
        return None
    try:
        choices = ast.literal_eval(f"({annotation[len('Literal[') : -1]},)")
    except (ValueError, SyntaxError):
        return None
    return (lambda value: value in choices, "one of " + ", ".join(repr(c) for c in choices))
