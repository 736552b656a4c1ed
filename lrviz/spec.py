"""The SPEC grammar: how a user writes a schedule, ``NAME[:key=value[,key=value...]]``.

NAME is a ``torch.optim.lr_scheduler`` class name (any case) or an alias; values are
JSON or Python literals (a bare word such as ``mode=max`` is taken as a string). The
same schedule can be a table (a TOML ``[[schedule]]``): ``name``, an optional
``label``, and every other key a parameter.

The composites SequentialLR and ChainedScheduler hold their children in
``schedulers``: a list of SPEC strings or of tables. Parsing is pure: what the
parameters resolve to is :mod:`lrviz.resolve`'s business.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lrviz import schedules
from lrviz.schedules import Kind
from lrviz.text import short_repr, shorten


@dataclass(frozen=True)
class ScheduleSpec:
    """A schedule as the user asked for it: a kind and the parameters they gave.

    Attributes:
        kind: The registry entry.
        params: Parameters given explicitly (presets and torch defaults not yet
            applied); a composite's ``schedulers`` is a tuple of child specs.
        label: How the user wrote it, for headings and file names.
    """

    kind: Kind
    params: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""


def parse_spec(text: str) -> ScheduleSpec:
    """Parse ``NAME[:key=value,...]`` into a :class:`ScheduleSpec`.

    Raises:
        TypeError: ``text`` is not a string.
        ValueError: Unknown name, or a parameter that is not ``key=value``.
    """
    if not isinstance(text, str):
        raise TypeError(f"a schedule SPEC must be a string such as 'step', got {short_repr(text)}")
    name, _, rest = text.partition(":")
    if name.strip().lower() in schedules.FAMILIES:  # hf:cosine:num_warmup_steps=100
        sub, _, rest = rest.partition(":")
        name = f"{name}:{sub}"
    kind = buildable(name)
    params: dict[str, Any] = {}
    for item in _split_top_level(rest):
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise ValueError(f"bad parameter {item.strip()!r} in {text!r}; write key=value")
        if key in params:
            raise ValueError(f"parameter {key!r} given twice in {text!r}")
        params[key] = parse_value(raw, key)
    return make_spec(kind, params, text.strip())


def as_spec(schedule: str | ScheduleSpec) -> ScheduleSpec:
    """A SPEC string parsed, or a spec as it is.

    Raises:
        TypeError: Neither.
        ValueError: A bad SPEC string.
    """
    return schedule if isinstance(schedule, ScheduleSpec) else parse_spec(schedule)


def spec_from_table(table: Mapping[str, Any], where: str = "schedule") -> ScheduleSpec:
    """A :class:`ScheduleSpec` from a table such as a TOML ``[[schedule]]``.

    ``name`` is the class name or alias, ``label`` (optional) names the schedule in
    headings and file names, every other key is a constructor argument.

    Raises:
        ValueError: No ``name``, or a bad name, label or child.
    """
    if not isinstance(table, Mapping):
        raise ValueError(f"{where} must be a table with a 'name', got {table!r}")
    if "name" not in table:
        raise ValueError(f"{where} has no 'name'; give a schedule class name or alias")
    if not isinstance(table["name"], str):
        raise ValueError(f"{where}: name must be a string, got {table['name']!r}")
    kind = buildable(table["name"])
    label = table.get("label")
    if label is not None and (not isinstance(label, str) or not label.strip()):
        raise ValueError(f"{where}: label must be a non-empty string, got {label!r}")
    params = {k: v for k, v in table.items() if k not in ("name", "label")}
    spec = make_spec(kind, params, "")
    return ScheduleSpec(spec.kind, spec.params, label or default_label(spec, table["name"]))


def buildable(name: str) -> Kind:
    """The registry entry of a schedule a SPEC can build.

    Raises:
        ValueError: No such schedule, or one that takes Python functions.
    """
    family, colon, _ = name.strip().partition(":")
    why = schedules.FAMILIES.get(family.lower()) if colon else None
    if why:
        raise ValueError(why)
    kind = schedules.lookup(name)
    if kind.functional:
        raise ValueError(
            f"{kind.name} takes Python functions, which a SPEC cannot hold; record your loop "
            "with lrviz.Recorder to see it explained"
        )
    return kind


def make_spec(kind: Kind, params: Mapping[str, Any], label: str) -> ScheduleSpec:
    """A spec whose composite children (SPEC strings or tables) are parsed into specs.

    Raises:
        ValueError: A composite's ``schedulers`` is not a list of schedules, or holds
            a schedule that cannot be a child.
    """
    params = dict(params)
    if kind.composite and "schedulers" in params:
        children = params["schedulers"]
        if isinstance(children, str | bytes) or not isinstance(children, Sequence) or not children:
            raise ValueError(
                f"{kind.name} schedulers must be a non-empty list of schedules "
                f"(SPEC strings or tables with a name), got {children!r}"
            )
        params["schedulers"] = tuple(
            _child_spec(kind, child, f"{kind.name} schedulers[{i}]")
            for i, child in enumerate(children)
        )
    elif not kind.composite and "schedulers" in params:
        raise ValueError(f"unknown parameter 'schedulers' for {kind.name}")
    return ScheduleSpec(kind, params, label)


def _child_spec(parent: Kind, child: Any, where: str) -> ScheduleSpec:
    spec = parse_spec(child) if isinstance(child, str) else spec_from_table(child, where)
    if not spec.kind.child:
        allowed = ", ".join(k.name for k in schedules.KINDS if k.child)
        raise ValueError(
            f"{where}: {parent.name} cannot hold {spec.kind.name} (it sets the rate from its own "
            f"state, so torch does not compose it); children may be: {allowed}"
        )
    return spec


def default_label(spec: ScheduleSpec, name: str = "") -> str:
    """A label for a schedule written as a table: its name as written (else the class name)
    and the parameters given; a composite's children by class name."""
    name = name.strip() or spec.kind.name
    if spec.kind.composite:
        children = spec.params.get("schedulers", ())
        return f"{name}({','.join(c.kind.name for c in children)})"
    given = ",".join(
        f"{k}={json.dumps(v, separators=(',', ':'), default=str)}" for k, v in spec.params.items()
    )
    return f"{name}:{given}" if given else name


def parse_value(raw: str, key: str = "") -> Any:
    """A JSON or Python literal; a bare word that is neither is taken as a string.

    Raises:
        ValueError: None of these, naming the parameter ``key`` when given.
    """
    raw = raw.strip()
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        pass
    try:
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError, RecursionError, MemoryError):
        if raw.replace("_", "").isalnum() and not raw[0].isdigit():
            return raw
        shown = shorten(raw, 60)
        of = f" for {key!r}" if key else ""
        unclosed = " (a bracket is not closed)" if _unclosed(raw) else ""
        raise ValueError(
            f"cannot read value {shown!r}{of}{unclosed}; use a number, a list or a word"
        ) from None


def _unclosed(raw: str) -> bool:
    return any(raw.count(a) > raw.count(b) for a, b in ("[]", "()", "{}"))


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
