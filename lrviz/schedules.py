"""The schedule registry: names, aliases, lrviz's presets, and building real torch schedulers.

A schedule is written ``NAME[:key=value[,key=value...]]`` (SPEC §2): NAME is a
``torch.optim.lr_scheduler`` class name (any case) or an alias, values are JSON or
Python literals (a bare word such as ``mode=max`` is taken as a string). Parsing is
pure; resolving the parameters reads the defaults from the torch class itself.

The composites SequentialLR and ChainedScheduler hold their children in
``schedulers``: a list of SPEC strings or of tables ``{"name": ..., key: value}``.
Resolved, each child is ``{"name": class name, "params": every argument}``, which is
how children appear in a trace's ``schedule.params``.
"""

from __future__ import annotations

import ast
import inspect
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

Rates = tuple[float, ...]
"""The initial rate of each param group."""


@dataclass(frozen=True)
class Preset:
    """lrviz's default for one constructor argument, a function of the run's epochs and rates.

    Attributes:
        text: The rule in words, for ``lrviz schedulers`` (e.g. ``"epochs"``).
        value: ``(epochs, rates) -> value``.
        unless: Arguments that replace this one when the user gives any of them
            (OneCycleLR's ``epochs`` and ``steps_per_epoch`` instead of ``total_steps``).
    """

    text: str
    value: Callable[[int, Rates], Any]
    unless: tuple[str, ...] = ()


def _const(value: Any) -> Preset:
    return Preset(repr(value), lambda epochs, rates: value)


def _per_group(values: Sequence[float]) -> float | list[float]:
    """One number for one param group, else one per group (torch accepts both)."""
    return values[0] if len(values) == 1 else list(values)


_EPOCHS = Preset("epochs", lambda epochs, rates: epochs)
_LR = Preset("lr", lambda epochs, rates: _per_group(rates))


@dataclass(frozen=True)
class Kind:
    """One supported ``torch.optim.lr_scheduler`` class.

    Attributes:
        name: The torch class name.
        aliases: Short names accepted on the command line.
        needs_metric: ``step`` takes the monitored metric (ReduceLROnPlateau).
        presets: lrviz's defaults for arguments torch requires or the lesson sets.
        state_keys: Scheduler attributes recorded as each epoch's ``state``.
        continuous: Moves the rate at every step (summarised by milestones).
        cycles_momentum: Cycles momentum (Adam's beta1) when ``cycle_momentum`` is true.
        composite: Holds child schedules in ``schedulers``.
        child: May be a child of a composite.
        hidden: Constructor arguments lrviz does not offer (callables cannot be
            written as numbers).
        periods: Arguments that must be whole numbers >= 1: torch divides by them, so
            0 would only fail (or loop on a modulo by zero) once stepped.
    """

    name: str
    aliases: tuple[str, ...] = ()
    needs_metric: bool = False
    presets: Mapping[str, Preset] = field(default_factory=dict)
    state_keys: tuple[str, ...] = ("last_epoch",)
    continuous: bool = False
    cycles_momentum: bool = False
    composite: bool = False
    child: bool = True
    hidden: tuple[str, ...] = ()
    periods: tuple[str, ...] = ()


KINDS: tuple[Kind, ...] = (
    Kind(
        "StepLR",
        ("step",),
        presets={"step_size": _const(30), "gamma": _const(0.1)},
        periods=("step_size",),
    ),
    Kind(
        "MultiStepLR",
        ("multistep",),
        presets={
            "milestones": Preset(
                "[epochs/2, 3*epochs/4]",
                lambda epochs, rates: sorted({max(1, epochs // 2), max(1, 3 * epochs // 4)}),
            )
        },
    ),
    Kind("ExponentialLR", ("exp",), presets={"gamma": _const(0.95)}, continuous=True),
    Kind(
        "ReduceLROnPlateau",
        ("plateau",),
        needs_metric=True,
        presets={"mode": _const("min"), "factor": _const(0.1), "patience": _const(10)},
        state_keys=("best", "num_bad_epochs", "cooldown_counter"),
        child=False,
    ),
    Kind(
        "CosineAnnealingLR",
        ("cosine",),
        presets={"T_max": _EPOCHS},
        continuous=True,
        periods=("T_max",),
    ),
    Kind(
        "CosineAnnealingWarmRestarts",
        ("warmrestarts",),
        presets={"T_0": Preset("epochs/4", lambda epochs, rates: max(1, epochs // 4))},
        state_keys=("last_epoch", "T_cur", "T_i"),
        continuous=True,
    ),
    Kind(
        "CyclicLR",
        ("cyclic",),
        presets={
            "base_lr": Preset("lr/10", lambda epochs, rates: _per_group([r / 10 for r in rates])),
            "max_lr": _LR,
            "step_size_up": Preset("epochs/10", lambda epochs, rates: max(1, epochs // 10)),
        },
        continuous=True,
        cycles_momentum=True,
        child=False,
        hidden=("scale_fn",),
    ),
    Kind(
        "OneCycleLR",
        ("onecycle",),
        presets={
            "max_lr": _LR,
            "total_steps": Preset(
                "epochs", lambda epochs, rates: epochs, unless=("epochs", "steps_per_epoch")
            ),
        },
        continuous=True,
        cycles_momentum=True,
        child=False,
    ),
    Kind("LinearLR", ("linear",), continuous=True),
    Kind("ConstantLR", ("constant",)),
    Kind(
        "PolynomialLR",
        ("poly",),
        presets={"total_iters": _EPOCHS},
        continuous=True,
        periods=("total_iters",),
    ),
    Kind("SequentialLR", composite=True, child=False),
    Kind("ChainedScheduler", composite=True, child=False, state_keys=()),
)
"""Every numeric ``torch.optim.lr_scheduler`` class lrviz drives and explains."""

CONTINUOUS = frozenset(k.name for k in KINDS if k.continuous)
"""Schedules that move the rate at every step."""

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
        params: Parameters given explicitly (presets and torch defaults not yet
            applied); a composite's ``schedulers`` is a tuple of child specs.
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
    except (KeyError, AttributeError):
        known = ", ".join(
            f"{k.name} ({'/'.join(k.aliases)})" if k.aliases else k.name for k in KINDS
        )
        raise ValueError(f"unknown schedule {name!r}; choose one of: {known}") from None


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
    return make_spec(kind, params, text.strip())


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
    kind = lookup(table["name"])
    label = table.get("label")
    if label is not None and (not isinstance(label, str) or not label.strip()):
        raise ValueError(f"{where}: label must be a non-empty string, got {label!r}")
    params = {k: v for k, v in table.items() if k not in ("name", "label")}
    spec = make_spec(kind, params, "")
    return ScheduleSpec(spec.kind, spec.params, label or default_label(spec, table["name"]))


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
        allowed = ", ".join(k.name for k in KINDS if k.child)
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


def slug(label: str) -> str:
    """A file-name-safe version of a schedule label (for its trace and figure files)."""
    return re.sub(r"[^A-Za-z0-9.=-]+", "_", label).strip("_") or "schedule"


def parse_value(raw: str) -> Any:
    """A JSON or Python literal; a bare word that is neither is taken as a string."""
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
        shown = raw if len(raw) <= 60 else raw[:57] + "..."
        raise ValueError(f"cannot read value {shown!r}; use a number, a list or a word") from None


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


def provenance(source: str) -> dict[str, str]:
    """The ``meta`` a trace starts from: lrviz's and torch's versions and what made it
    ("run", "simulate", "record"). Plain strings: ``torch.__version__`` is a torch type,
    and a pickled trace holding it would import torch where it is loaded."""
    import torch

    from lrviz.__about__ import __version__

    return {"lrviz": __version__, "torch": str(torch.__version__), "source": source}


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
        if name not in _NOT_PARAMETERS and name not in kind.hidden and p.kind is not p.VAR_KEYWORD
    }


def torch_annotations(kind: Kind) -> dict[str, str]:
    """The type annotations of the torch class's arguments, as text (empty if torch has none)."""
    signature = inspect.signature(torch_class(kind).__init__)
    return {
        name: p.annotation if isinstance(p.annotation, str) else ""
        for name, p in signature.parameters.items()
    }


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


def as_rates(lr: float | Sequence[float]) -> Rates:
    """One initial rate per param group, each checked with :func:`check_lr`.

    Raises:
        ValueError: No rate, or a negative or non-finite one.
    """
    rates = (lr,) if isinstance(lr, int | float) else tuple(lr)
    if not rates:
        raise ValueError("need at least one learning rate (one per param group)")
    return tuple(check_lr(float(r)) for r in rates)


def resolve(spec: ScheduleSpec, epochs: int, lr: float | Sequence[float]) -> dict[str, Any]:
    """Every constructor argument: the user's, else lrviz's preset, else torch's default.

    A composite's ``schedulers`` become ``[{"name": ..., "params": {...}}, ...]``, each
    child resolved for the epochs it runs (its SequentialLR segment, or all of them).

    Raises:
        ValueError: An unknown parameter, or a required one that is missing.
    """
    rates = as_rates(lr)
    kind = spec.kind
    defaults = torch_defaults(kind)
    unknown = sorted(set(spec.params) - set(defaults))
    if unknown:
        raise ValueError(
            f"unknown parameter {unknown[0]!r} for {kind.name}; allowed: {', '.join(defaults)}"
        )
    annotations = torch_annotations(kind)
    for key, value in spec.params.items():
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
    if kind.composite:
        merged["schedulers"] = _resolve_children(kind, merged, epochs, rates)
    if kind.name == "MultiStepLR":
        _check_milestones(kind, merged["milestones"], "milestones", minimum=1)
    if kind.name == "CyclicLR" and merged["mode"] in _CYCLIC_SCALE_MODE:
        # torch sets scale_mode from mode (without a scale_fn): record what it uses.
        merged["scale_mode"] = _CYCLIC_SCALE_MODE[merged["mode"]]
    for key in kind.periods:
        value = merged[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{kind.name} {key} must be a whole number >= 1, got {value!r}")
    return merged


def _resolve_children(
    kind: Kind, params: Mapping[str, Any], epochs: int, rates: Rates
) -> list[dict[str, Any]]:
    children: Sequence[ScheduleSpec] = params["schedulers"]
    if kind.name == "SequentialLR":
        milestones = _check_milestones(kind, params["milestones"], "milestones", minimum=1)
        if len(milestones) != len(children) - 1:
            raise ValueError(
                f"SequentialLR needs one milestone fewer than schedulers: "
                f"{len(children)} schedulers, {len(milestones)} milestones {milestones}"
            )
        lengths = [b - a for a, b in pairwise([0, *milestones, epochs])]
    else:
        lengths = [epochs] * len(children)
    return [
        {"name": child.kind.name, "params": resolve(child, max(1, length), rates)}
        for child, length in zip(children, lengths, strict=True)
    ]


_CYCLIC_SCALE_MODE = {"triangular": "cycle", "triangular2": "cycle", "exp_range": "iterations"}


def _check_milestones(kind: Kind, value: Any, key: str, minimum: int) -> list[int]:
    ok = isinstance(value, list | tuple) and all(
        isinstance(m, int) and not isinstance(m, bool) and m >= minimum for m in value
    )
    if not ok or list(value) != sorted(value):
        raise ValueError(
            f"{kind.name} {key} must be a list of whole epochs >= {minimum} in increasing "
            f"order, got {value!r}"
        )
    return list(value)


def build(kind: Kind, params: Mapping[str, Any], optimizer: Any) -> Any:
    """Construct the real torch scheduler on ``optimizer`` (a composite with its children).

    Raises:
        ValueError: torch rejected a value (its message, with the schedule named).
    """
    args = dict(params)
    if kind.composite:
        args["schedulers"] = [
            build(lookup(child["name"]), child["params"], optimizer)
            for child in params["schedulers"]
        ]
    try:
        return torch_class(kind)(optimizer=optimizer, **args)
    except (ValueError, TypeError, KeyError, ZeroDivisionError, OverflowError) as exc:
        raise ValueError(f"{kind.name} rejected {_format_params(params)}: {exc}") from exc


def advance(kind: Kind, scheduler: Any, epoch: int, metric: float | None = None) -> None:
    """One scheduler step at the end of ``epoch`` (with the metric for ReduceLROnPlateau).

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
    fail before any work. ReduceLROnPlateau steps on a metric that never improves, so it
    reduces as often and as far as it ever can.

    Raises:
        ValueError: torch rejected a value, failed while stepping, or set a rate an epoch
            would train with that is negative or not finite. (The rate after the last
            step trains nothing: a three-phase linear OneCycleLR ends below zero.)
    """
    from lrviz.optim import Adam

    optimizer = Adam([], list(as_rates(lr)))
    scheduler = build(kind, params, optimizer)
    for epoch in range(1, epochs + 1):
        check_rates(kind, optimizer, epoch)
        optimizer.step()
        advance(kind, scheduler, epoch, 1.0 if kind.needs_metric else None)


def varies_momentum(kind: Kind, params: Mapping[str, Any]) -> bool:
    """Whether the schedule sets momentum (Adam's beta1) as it goes."""
    return kind.cycles_momentum and bool(params.get("cycle_momentum"))


def momenta(optimizer: Any) -> tuple[float, ...]:
    """Each group's momentum: Adam's beta1, or SGD's ``momentum``."""
    return tuple(
        float(g["betas"][0]) if "betas" in g else float(g["momentum"])
        for g in optimizer.param_groups
    )


def params_of(scheduler: Any) -> dict[str, Any]:
    """The constructor arguments of a live torch scheduler, as :func:`resolve` gives them.

    For traces recorded from your own loop: torch keeps most arguments as attributes,
    some under other names or only in the optimizer's param groups (OneCycleLR), and
    composites keep their children. Values torch stores derived (OneCycleLR's
    ``pct_start``, ``div_factor``) are rounded to 12 significant digits.

    Raises:
        ValueError: Not a scheduler lrviz knows.
    """
    kind = lookup(type(scheduler).__name__)
    reader = _READERS.get(kind.name)
    if reader is not None:
        return reader(scheduler)
    return {name: _plain(getattr(scheduler, name)) for name in torch_defaults(kind)}


def _same_for_all(values: Sequence[float]) -> float | list[float]:
    """torch expands a single momentum to every group; fold it back when they agree."""
    return values[0] if len(set(values)) == 1 else list(values)


def _round(x: float) -> float:
    return float(f"{x:.12g}")


def _children(scheduler: Any) -> list[dict[str, Any]]:
    return [
        {"name": type(child).__name__, "params": params_of(child)}
        for child in scheduler._schedulers
    ]


def _plateau_params(s: Any) -> dict[str, Any]:
    min_lr = s.default_min_lr if s.default_min_lr is not None else list(s.min_lrs)
    names = ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown")
    return {**{n: _plain(getattr(s, n)) for n in names}, "min_lr": min_lr, "eps": s.eps}


def _cyclic_params(s: Any) -> dict[str, Any]:
    up = _round(s.total_size * s.step_ratio)
    down = _round(s.total_size - up)
    defaults = torch_defaults(lookup("CyclicLR"))
    return {
        "base_lr": _per_group(s.base_lrs),
        "max_lr": _per_group(s.max_lrs),
        "step_size_up": int(up) if up.is_integer() else up,
        "step_size_down": None if down == up else (int(down) if down.is_integer() else down),
        "mode": s.mode,
        "gamma": s.gamma,
        "scale_mode": s.scale_mode,
        "cycle_momentum": s.cycle_momentum,
        "base_momentum": (
            _same_for_all(s.base_momentums) if s.cycle_momentum else defaults["base_momentum"]
        ),
        "max_momentum": _same_for_all(s.max_momentums)
        if s.cycle_momentum
        else defaults["max_momentum"],
    }


def _one_cycle_params(s: Any) -> dict[str, Any]:
    groups = s.optimizer.param_groups
    defaults = torch_defaults(lookup("OneCycleLR"))
    first = groups[0]
    return {
        "max_lr": _per_group([g["max_lr"] for g in groups]),
        "total_steps": s.total_steps,
        "epochs": None,
        "steps_per_epoch": None,
        "pct_start": _round((s._schedule_phases[0]["end_step"] + 1) / s.total_steps),
        "anneal_strategy": s._anneal_func_type,
        "cycle_momentum": s.cycle_momentum,
        "base_momentum": (
            _same_for_all([g["base_momentum"] for g in groups])
            if s.cycle_momentum
            else defaults["base_momentum"]
        ),
        "max_momentum": (
            _same_for_all([g["max_momentum"] for g in groups])
            if s.cycle_momentum
            else defaults["max_momentum"]
        ),
        "div_factor": _round(first["max_lr"] / first["initial_lr"]),
        "final_div_factor": _round(first["initial_lr"] / first["min_lr"]),
        "three_phase": len(s._schedule_phases) == 3,
    }


_READERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "MultiStepLR": lambda s: {"milestones": sorted(s.milestones.elements()), "gamma": s.gamma},
    "ReduceLROnPlateau": _plateau_params,
    "CyclicLR": _cyclic_params,
    "OneCycleLR": _one_cycle_params,
    "SequentialLR": lambda s: {"schedulers": _children(s), "milestones": list(s._milestones)},
    "ChainedScheduler": lambda s: {"schedulers": _children(s)},
}


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
    return ", ".join(
        f"{k}=[{', '.join(c['name'] for c in v)}]" if k == "schedulers" else f"{k}={v!r}"
        for k, v in params.items()
    )


def check_lr(lr: float) -> float:
    """Validate an initial learning rate.

    Raises:
        ValueError: lr is negative or not finite.
    """
    if not math.isfinite(lr) or lr < 0:
        raise ValueError(f"lr must be a finite number >= 0, got {lr}")
    return lr
