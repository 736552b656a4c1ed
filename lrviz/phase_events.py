"""Events of a trace whose rates were set by hand (no scheduler): one per phase.

Pure functions over a trace (no torch). With no scheduler there is no rule to check a
change by and nothing outside a schedule: the rates of each param group are joined into
phases from the rates alone (:mod:`lrviz.phases`), and each moving phase is one
``reduce`` or ``increase`` event, each jump between phases (a step drop) one event at
its step. Constant phases change nothing and give no event.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from lrviz.phases import Phase, find_phases, phase_detail, phase_words
from lrviz.text import number
from lrviz.trace import Event, EventKind, Trace

__all__ = ["phase_events"]

BY_HAND = "set by hand, no scheduler; phase found from the rates alone"
AS_LOGGED = "as logged, no scheduler named; phase found from the rates alone"
"""What every reason says about where its phase came from: a recorded loop with no
scheduler, or a log."""


def _origin(trace: Trace) -> str:
    return AS_LOGGED if trace.meta.get("source") == "import" else BY_HAND


def phase_events(trace: Trace, rel_tols: Sequence[float]) -> list[Event]:
    """The events of a trace with no scheduler, ordered by step then group.

    Args:
        trace: The trace (its rates: one per step before the step, then the final).
        rel_tols: How closely each group's phases must reproduce its rates.

    Raises:
        ValueError: Not one tolerance per param group.
    """
    if len(rel_tols) != trace.groups:
        raise ValueError(
            f"rel_tols must hold one tolerance per param group ({trace.groups}), "
            f"got {len(rel_tols)}"
        )
    events = [
        event for group, tol in enumerate(rel_tols) for event in _group_events(trace, group, tol)
    ]
    events.sort(key=lambda e: (e.at, e.group))
    return events


def _group_events(trace: Trace, group: int, rel_tol: float) -> list[Event]:
    rates = trace.rates(group)
    phases = find_phases(rates, rel_tol=rel_tol)
    unit = "step" if trace.per_step else "epoch"
    epochs = trace.step_epochs()
    spans: list[tuple[int, int, Phase]] = []  # first step, last step, phase
    jumps: list[int] = []
    for j, phase in enumerate(phases):
        first = phase.start
        if j and rates[phase.start - 2] != rates[phase.start - 1]:
            if phase.jumped:
                jumps.append(phase.start - 1)
            elif phase.kind != "constant":
                first = phase.start - 1  # the change into it is its own first
            elif spans and spans[-1][1] == phase.start - 2:
                spans[-1] = (spans[-1][0], phase.start - 1, spans[-1][2])
        if phase.kind != "constant" and phase.end > first:
            spans.append((first, phase.end - 1, phase))

    def event(first: int, last: int, reason: str, evidence: dict[str, object]) -> Event:
        before, after = rates[first - 1], rates[last]
        return Event(
            epoch=math.floor(epochs[first - 1]),
            group=group,
            kind=_direction(before, after),
            lr_before=before,
            lr_after=after,
            reason=reason,
            evidence=evidence,
            step=first if trace.per_step else None,
        )

    events = [
        event(
            step,
            step,
            f"step {'drop' if rates[step] < rates[step - 1] else 'rise'} at {unit} {step:,}: "
            f"{number(rates[step - 1])} -> {number(rates[step])} ({_origin(trace)})",
            {"phase": "step", "set_by_hand": True},
        )
        for step in jumps
    ]
    for first, last, phase in spans:
        name = phase_words(phase)
        reason = (
            f"{name}, {unit}s {first:,}-{last:,}: {number(rates[first - 1])} -> "
            f"{number(rates[last])} ({phase_detail(phase, unit)}; {_origin(trace)})"
        )
        evidence: dict[str, object] = {
            "phase": name,
            "last_step": last,
            "steps": last - first + 1,
            "set_by_hand": True,
            **phase.params,
        }
        events.append(event(first, last, reason, evidence))
    return events


def _direction(before: float, after: float) -> EventKind:
    return "reduce" if after < before else "increase"
