"""SequentialLR and ChainedScheduler: schedules made of child schedules, one after another
or all at once."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from lrviz import schedules
from lrviz.schedules.base import (
    Kind,
    Params,
    Part,
    Pitfall,
    Prediction,
    SimpleRule,
    Step,
    Timeline,
    base_of,
    same_rate,
    steps_of,
)
from lrviz.text import number

if TYPE_CHECKING:
    pass


def child_rule(name: str) -> SimpleRule:
    """The per-step rule of a child schedule.

    Raises:
        KeyError: Not a schedule that can be a child.
    """
    kind = schedules.find(name)
    if kind is None or kind.simple is None:
        raise KeyError(name)
    return kind.simple


def _sequential(timeline: Timeline) -> list[Prediction]:
    """SequentialLR: child i runs from milestone i-1; at a milestone torch resets the new
    child to its closed form at step 0 (from the base rate), then steps it."""
    children: list[Mapping[str, Any]] = timeline.params["schedulers"]
    marks: list[int] = list(timeline.params["milestones"])
    first, group = children[0], timeline.group
    base = (
        timeline.base
        if timeline.base is not None
        else base_of(timeline.initial, child_rule(first["name"]).scale(first["params"], group))
    )
    out = []
    for s in steps_of(timeline, base):
        index = bisect_right(marks, s.t)
        child = children[index]
        name, params, rule = child["name"], child["params"], child_rule(child["name"])
        start = marks[index - 1] if index else 0
        where = {"scheduler": index, "name": name}
        if index and start == s.t:
            lr = rule.closed(params, group, base, 0)
            reason = (
                f"{s.unit} {s.t} is SequentialLR milestone {index} of {marks}: switches to "
                f"schedule {index + 1}, {name}, which starts at {number(lr)}"
            )
            out.append(Prediction(lr, reason, {**where, "milestone": s.t, "landmark": "switch"}))
            continue
        inner = rule.step(params, Step(s.t - start, s.before, base, group, unit=s.unit))
        told = None if inner.reason is None else f"{name} (schedule {index + 1}): {inner.reason}"
        out.append(Prediction(inner.lr, told, {**where, **inner.evidence}))
    return out


def _chained_step(p: Params, s: Step) -> Prediction:
    """ChainedScheduler: every child steps in turn, each from the rate the previous set."""
    lr, reasons, parts = s.before, [], []
    for child in p["schedulers"]:
        inner = child_rule(child["name"]).step(
            child["params"], Step(s.t, lr, s.base, s.group, False, s.unit)
        )
        if inner.reason is not None and not same_rate(inner.lr, lr):
            reasons.append(f"{child['name']}: {inner.reason}")
            parts.append({"scheduler": child["name"], **inner.evidence})
        lr = inner.lr
    landmark = next((part["landmark"] for part in parts if "landmark" in part), None)
    evidence: dict[str, Any] = {"parts": parts}
    if landmark:
        evidence["landmark"] = landmark
    return Prediction(lr, "; ".join(reasons) or None, evidence)


def _chained_scale(p: Params, group: int) -> float:
    """The first rate over the base rate: each child's start applied in turn."""
    scale = 1.0
    for child in p["schedulers"]:
        rule = child_rule(child["name"])
        own = rule.scale(child["params"], group)
        scale = scale * own if rule.chainable else own
    return scale


def _chained_closed(p: Params, group: int, base: float, t: float) -> float:
    """Each child's closed form applied in turn."""
    lr = base
    for child in p["schedulers"]:
        rule = child_rule(child["name"])
        own = rule.closed(child["params"], group, base, t)
        lr = lr * own / base if rule.chainable and base else own
    return lr


def _sequential_segments(p: Params, steps: int) -> list[int]:
    """Child i of SequentialLR runs from milestone i-1 (or the start) to milestone i."""
    children, milestones = p["schedulers"], list(p["milestones"])
    if len(milestones) != len(children) - 1:
        raise ValueError(
            f"SequentialLR needs one milestone fewer than schedulers: "
            f"{len(children)} schedulers, {len(milestones)} milestones {milestones}"
        )
    bounds = [min(m, steps) for m in (0, *milestones, steps)]
    return [b - a for a, b in pairwise(bounds)]


def _sequential_pitfalls(part: Part) -> list[Pitfall]:
    """Milestones at or after the last step: the schedules after them never run."""
    marks, children, n = list(part.params["milestones"]), part.params["schedulers"], part.steps
    return [
        Pitfall(
            f"SequentialLR milestone {m} is at or after {part.unit} {n}, the last it runs: "
            f"schedule {i + 2} of {len(children)}, {children[i + 1]['name']}, never runs"
        )
        for i, m in enumerate(marks)
        if m >= n
    ]


def _children(scheduler: Any) -> list[dict[str, Any]]:
    from lrviz.torchbridge import params_of

    return [
        {"name": type(child).__name__, "params": params_of(child)}
        for child in scheduler._schedulers
    ]


KINDS = (
    Kind(
        "SequentialLR",
        composite=True,
        child=False,
        milestones=("milestones",),
        rule=_sequential,
        segments=_sequential_segments,
        pitfalls=_sequential_pitfalls,
        reader=lambda s: {"schedulers": _children(s), "milestones": list(s._milestones)},
    ),
    Kind(
        "ChainedScheduler",
        composite=True,
        child=False,
        state_keys=(),
        simple=SimpleRule(_chained_step, scale=_chained_scale, closed=_chained_closed),
        segments=lambda p, steps: [steps] * len(p["schedulers"]),
        reader=lambda s: {"schedulers": _children(s)},
    ),
)
