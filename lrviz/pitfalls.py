"""Pitfall warnings: schedule settings that quietly do something else than intended.

Pure functions of a trace (its parameters, its length, its rates and metrics). Each
schedule's own checks live with its rule in :mod:`lrviz.schedules` (``Kind.pitfalls``):
steps that never fire, horizons that do not match the steps a schedule runs, floors at
or above the start, ReduceLROnPlateau without room to reduce or driven below ``eps``.
This module applies them: inside SequentialLR a child runs from its milestone to the
next, so its horizon is compared with that segment; inside ChainedScheduler every
child runs every epoch. It also joins the warnings of many seeds into one line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from lrviz import schedules
from lrviz.schedules.base import Part, Pitfall, position
from lrviz.text import labelled, some
from lrviz.trace import Trace

__all__ = ["Pitfall", "find", "messages"]


def find(trace: Trace) -> list[Pitfall]:
    """The pitfalls of one trace (checks whose parameters are missing are skipped), then
    how the loop misused it (:mod:`lrviz.misuse`)."""
    from lrviz import misuse

    out: list[Pitfall] = []
    for part in _parts(trace):
        kind = schedules.find(part.name)
        if kind is None:
            continue
        try:
            out.extend(kind.pitfalls(part))
        except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError):
            # Traces recorded elsewhere may lack a parameter: a check that cannot run is silent.
            continue
    return _per_groups([*out, *misuse.find(trace)])


_GROUP = re.compile(r"\bgroup (\d+)\b")


def _per_groups(found: Sequence[Pitfall]) -> list[Pitfall]:
    """One warning for the groups it is true of ("groups 0 and 1"), not one per group."""
    merged: dict[str, tuple[list[str], list[str]]] = {}
    for pitfall in found:
        numbers = _GROUP.findall(pitfall.message)
        key = _GROUP.sub("group {}", pitfall.message) if len(numbers) == 1 else pitfall.message
        groups, details = merged.setdefault(key, ([], []))
        groups.extend(numbers if len(numbers) == 1 else [])
        if pitfall.detail:
            details.append(pitfall.detail)
    out = []
    for key, (groups, details) in merged.items():
        message = key
        if groups:
            several = len(groups) > 1
            which = f"{', '.join(groups[:-1])} and {groups[-1]}" if several else groups[0]
            message = key.replace("group {}", f"group{'s' if several else ''} {which}")
        out.append(Pitfall(message, "; ".join(details)))
    return out


def messages(traces: Sequence[Trace]) -> list[str]:
    """One line per pitfall and schedule label; the seeds' details are joined."""
    found: dict[tuple[str, str], list[str]] = {}
    for trace in traces:
        for pitfall in find(trace):
            details = found.setdefault((trace.label, pitfall.message), [])
            if pitfall.detail:
                seed = "" if trace.seed is None else f"seed {trace.seed}: "
                details.append(seed + pitfall.detail)
    return [
        labelled(label, message) + (f" ({some(details)})" if details else "")
        for (label, message), details in found.items()
    ]


def reached(trace: Trace) -> int:
    """How far the schedule got: its scheduler steps, or, for a scheduler that had
    stepped before it was recorded (resumed from a checkpoint, recorded mid-run), its
    count (torch's ``last_epoch``) after the last step."""
    steps = trace.step_count - (len(trace.steps.unscheduled) if trace.steps is not None else 0)
    counts = trace.state_column("last_epoch") if trace.step_count else []
    last = position(counts[-1]) if counts else None
    return max(steps, int(last)) if last is not None else steps


def _parts(trace: Trace) -> Iterator[Part]:
    unit = "step" if trace.per_step else "epoch"
    steps = reached(trace)
    yield Part(trace.name, trace.params, steps, "", trace, unit=unit)
    children = trace.params.get("schedulers")
    if not isinstance(children, list):
        return
    kind = schedules.kind_of(trace)
    if kind is None or kind.segments is None:
        return
    try:
        lengths = kind.segments(trace.params, steps)
        for i, (child, length) in enumerate(zip(children, lengths, strict=True), start=1):
            where = f"{trace.name} schedule {i} of {len(children)}, "
            if length > 0:  # a child that never runs has no horizon to check
                yield Part(child["name"], child["params"], length, where, trace, True, unit)
    except (KeyError, TypeError, ValueError):
        return
