"""Why the rate changed: events derived from each schedule's rule, checked against the trace.

Pure functions over plain data (no torch). For every step a *rule* (each schedule's
own, in :mod:`lrviz.schedules`) predicts, from the schedule's parameters, the rate
observed before the step and the metric history, what the rate after the step should
be and why. The prediction is then compared with the rate the trace actually recorded:

* observed change, predicted  -> ``reduce`` / ``increase`` with the rule's reason;
* no change, rule decided to reduce but min_lr/eps kept the rate -> ``held``;
* anything the rule does not predict -> ``external`` (never dropped).

Chainable schedules (torch computes the new rate from the current one: StepLR,
MultiStepLR, ExponentialLR, LinearLR, ConstantLR, PolynomialLR, CosineAnnealingLR,
ReduceLROnPlateau) are predicted from the observed rate before each step, as torch
does, so one outside change is one ``external`` event and later epochs are explained
from the changed rate. CosineAnnealingWarmRestarts, CyclicLR and OneCycleLR compute
the rate from their base rates and the step count alone; they are predicted from that
formula, so an outside change is ``external`` at its epoch, and the next step, which
puts the rate back on the formula, is explained by the rule (and says so).

Rules use torch's own arithmetic, operation for operation, so predictions agree with
torch to the last bit or two.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise

from lrviz import schedules
from lrviz.schedules.base import Prediction, run_simple, same_rate
from lrviz.text import number
from lrviz.trace import Event, EventKind, Trace

__all__ = ["explain", "is_continuous", "milestones", "notable", "same_rate"]

MILESTONES = (0.5, 0.1, 0.01)
"""Fractions of the initial rate reported as milestones."""


def explain(trace: Trace) -> list[Event]:
    """The events of a trace, ordered by epoch then group."""
    events = []
    for group in range(len(trace.initial_lr)):
        predictions, problem = _predict(trace, group)
        events.extend(_group_events(trace, group, predictions, problem))
    if is_continuous(trace):
        events = _mark_milestones(trace, events)
    return sorted(events, key=lambda e: (e.epoch, e.group))


def _predict(trace: Trace, group: int) -> tuple[list[Prediction] | None, str]:
    kind = schedules.kind_of(trace)
    if kind is None:
        return None, f"no rule known for {trace.name}"
    try:
        if kind.rule is not None:
            return kind.rule(trace, group), ""
        if kind.simple is not None:
            return run_simple(kind.simple, trace, group), ""
    except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError, OverflowError) as exc:
        # A trace recorded elsewhere may lack a parameter; its changes are still reported.
        return None, f"cannot apply {trace.name}'s rule to these parameters ({exc!r})"
    return None, f"no rule known for {trace.name}"


def _group_events(
    trace: Trace, group: int, predictions: Sequence[Prediction] | None, problem: str
) -> list[Event]:
    rates = trace.rates(group)
    events = []
    for k, (before, after) in enumerate(pairwise(rates)):
        epoch = k + 1
        changed = not same_rate(before, after)
        if predictions is None:
            if changed:
                reason = f"{problem}; the rate changed from {number(before)} to {number(after)}"
                events.append(Event(epoch, group, "external", before, after, reason))
            continue
        p = predictions[k]
        if not same_rate(p.lr, after):
            reason = (
                f"rate went from {number(before)} to {number(after)}, but {trace.name}'s rule "
                f"gives {number(p.lr)}"
                + (f" ({p.reason})" if p.reason else "")
                + ": changed outside the schedule"
            )
            evidence = {"expected": p.lr, **p.evidence}
            events.append(Event(epoch, group, "external", before, after, reason, evidence))
        elif changed and p.reason:
            kind: EventKind = "reduce" if after < before else "increase"
            events.append(Event(epoch, group, kind, before, after, p.reason, dict(p.evidence)))
        elif p.held and p.reason:
            events.append(Event(epoch, group, "held", before, after, p.reason, dict(p.evidence)))
    return events


def is_continuous(trace: Trace) -> bool:
    """Whether the schedule (or a child of a composite) moves the rate at every step."""
    kind = schedules.kind_of(trace)
    if kind is not None and kind.continuous:
        return True
    children = trace.params.get("schedulers")
    return isinstance(children, list) and any(
        isinstance(c, Mapping)
        and (child := schedules.find(c.get("name", ""))) is not None
        and child.continuous
        for c in children
    )


def notable(trace: Trace) -> list[Event]:
    """The events worth a marker or a table row: all of them, except that for schedules
    that move every epoch only milestones, turning points, ``held`` and ``external``."""
    if not is_continuous(trace):
        return list(trace.events)
    return [
        e
        for e in trace.events
        if e.kind in ("held", "external") or "milestones" in e.evidence or "landmark" in e.evidence
    ]


def first_epoch_at_or_below(trace: Trace, fraction: float, group: int = 0) -> int | None:
    """The epoch whose step first brought the rate to <= fraction x initial, if any."""
    target = fraction * trace.initial_lr[group]
    rates = trace.rates(group)
    for epoch, after in enumerate(rates[1:], start=1):
        if after <= target:
            return epoch
    return None


def _mark_milestones(trace: Trace, events: list[Event]) -> list[Event]:
    """Add the 50/10/1% milestones to the events of schedules that move every epoch."""
    marks: dict[tuple[int, int], list[float]] = {}
    for group in range(len(trace.initial_lr)):
        for fraction in MILESTONES:
            epoch = first_epoch_at_or_below(trace, fraction, group)
            if epoch is not None:
                marks.setdefault((epoch, group), []).append(fraction)
    out = []
    for e in events:
        fractions = marks.get((e.epoch, e.group))
        if fractions and e.kind != "external":
            note = ", ".join(f"{f:.0%}" for f in fractions)
            e = Event(
                e.epoch,
                e.group,
                e.kind,
                e.lr_before,
                e.lr_after,
                f"{e.reason}; now at or below {note} of the initial rate",
                {**e.evidence, "milestones": fractions},
            )
        out.append(e)
    return out


def milestones(trace: Trace, group: int = 0) -> dict[float, int | None]:
    """Epoch at which the rate first reached 50%, 10% and 1% of its initial value."""
    return {f: first_epoch_at_or_below(trace, f, group) for f in MILESTONES}
