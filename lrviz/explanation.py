"""Why the rate changed: events derived from each schedule's rule, checked against the trace.

Pure functions over plain data (no torch). For every scheduler step a *rule* (each
schedule's own, in :mod:`lrviz.schedules`) predicts, from the schedule's parameters,
the rate observed before the step and the metric history, what the rate after the step
should be and why. The prediction is then compared with the rate the trace actually
recorded:

* observed change, predicted  -> ``reduce`` / ``increase`` with the rule's reason;
* no change, rule decided to reduce but min_lr/eps kept the rate -> ``held``;
* anything the rule does not predict, and any change at a step where the scheduler did
  not step -> ``external`` (never dropped).

A scheduler lrviz has no rule for (a class of one's own) still has every change listed,
as ``reduce`` or ``increase`` saying that no rule checked it.

Chainable schedules (torch computes the new rate from the current one: StepLR,
MultiStepLR, ExponentialLR, LinearLR, ConstantLR, PolynomialLR, CosineAnnealingLR,
ReduceLROnPlateau, MultiplicativeLR) are predicted from the observed rate before each
step, as torch does, so one outside change is one ``external`` event and later steps
are explained from the changed rate. CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
and LambdaLR compute the rate from their base rates and the step count alone; they are
predicted from that formula, so an outside change is ``external`` at its step, and the
next step, which puts the rate back on the formula, is explained by the rule.

In a step-resolution trace, the every-step changes of a schedule that moves the rate at
every step are joined into phases ("linear warm-up, steps 1-500: 0 -> 0.001"); turning
points (restarts, switches, peaks), ``held`` and ``external`` events stay on their own.

Rules use torch's own arithmetic, operation for operation, so predictions agree with
torch to the last bit or two.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise
from typing import Any

from lrviz import schedules
from lrviz.phase_events import phase_events
from lrviz.schedules.base import (
    FLOAT32_REL_TOL,
    REL_TOL,
    Kind,
    Prediction,
    Timeline,
    run_simple,
    same_rate,
)
from lrviz.text import number
from lrviz.trace import Event, EventKind, Trace

__all__ = ["explain", "is_continuous", "milestones", "notable", "same_rate"]

MILESTONES = (0.5, 0.1, 0.01)
"""Fractions of the initial rate reported as milestones."""

METRIC_FIELDS = ("val_loss", "val_accuracy", "train_loss")
"""Epoch fields a scheduler's metric may be: reasons name the one it was."""

LANDMARKS = ("held", "external")
"""Kinds of event always shown on their own."""


def explain(trace: Trace, phases: bool = True) -> list[Event]:
    """The events of a trace, ordered by step then group.

    Args:
        trace: The trace.
        phases: In a step-resolution trace of a schedule that moves every step, join the
            every-step changes into phases (False: one event per step).
    """
    if trace.name == "none":  # rates set by hand: no rule, nothing outside a schedule
        return phase_events(trace, [rel_tol(trace, g) for g in range(trace.groups)])
    kind = schedules.kind_of(trace)
    events = []
    for group in range(trace.groups):
        events.extend(_group_events(trace, kind, group))
    continuous = is_continuous(trace)
    if continuous:
        events = _mark_milestones(trace, events)
    events.sort(key=lambda e: (e.at, e.group))
    if phases and continuous and trace.per_step:
        events = _phases(trace, events)
    return events


def unit(trace: Trace) -> str:
    """How a trace counts its steps in words: "epoch" or "step"."""
    return "step" if trace.per_step else "epoch"


def metric_name(trace: Trace) -> str:
    """What the monitored metric was: the epoch field it equals every epoch (``val_loss``
    in ``lrviz run``), else "the metric"."""
    given = [e for e in trace.epochs if e.metric is not None]
    for field in METRIC_FIELDS:
        if given and all(e.metric == getattr(e, field) for e in given):
            return field
    return "the metric"


def _group_events(trace: Trace, kind: Kind | None, group: int) -> list[Event]:
    rates = trace.rates(group)
    unscheduled = set(trace.steps.unscheduled) if trace.steps is not None else set()
    scheduled = [k for k in range(trace.step_count) if k + 1 not in unscheduled]
    predictions, problem = _predict(trace, kind, group, scheduled)
    epochs = trace.step_epochs()
    tolerance = rel_tol(trace, group)
    events: list[Event] = []
    j = 0
    for k, (before, after) in enumerate(pairwise(rates)):

        def event(kind: EventKind, reason: str, evidence: dict[str, Any] | None = None) -> None:
            events.append(
                Event(
                    epoch=math.floor(epochs[k]),  # noqa: B023 - called within this iteration
                    group=group,
                    kind=kind,
                    lr_before=before,  # noqa: B023
                    lr_after=after,  # noqa: B023
                    reason=reason,
                    evidence=evidence or {},
                    step=k + 1 if trace.per_step else None,  # noqa: B023
                )
            )

        changed = not same_rate(before, after, tolerance)
        if k + 1 in unscheduled:
            if changed:
                event(
                    "external",
                    f"the rate changed from {number(before)} to {number(after)} without a "
                    "scheduler step: set outside the schedule",
                )
            continue
        p = None if predictions is None else predictions[j]
        j += 1
        if p is None:
            if changed:
                event(
                    _direction(before, after),
                    f"{problem}: the rate changed from {number(before)} to {number(after)}",
                    {"unchecked": True},
                )
        elif not same_rate(p.lr, after, tolerance):
            reason = (
                f"rate went from {number(before)} to {number(after)}, but {trace.name}'s rule "
                f"gives {number(p.lr)}"
                + (f" ({p.reason})" if p.reason else "")
                + ": changed outside the schedule"
            )
            event("external", reason, {"expected": p.lr, **p.evidence})
        elif changed and p.reason:
            event(_direction(before, after), p.reason, dict(p.evidence))
        elif p.held and p.reason:
            event("held", p.reason, dict(p.evidence))
    return events


def rel_tol(trace: Trace, group: int) -> float:
    """How close a rule's rate must be to the one recorded: double precision, or float32
    for a group whose rate torch kept in a float32 tensor."""
    groups = (trace.optimizer or {}).get("groups", [])
    dtype = groups[group].get("lr_dtype") if group < len(groups) else None
    return FLOAT32_REL_TOL if dtype in ("float32", "float16", "bfloat16") else REL_TOL


def _direction(before: float, after: float) -> EventKind:
    return "reduce" if after < before else "increase"


def _predict(
    trace: Trace, kind: Kind | None, group: int, scheduled: Sequence[int]
) -> tuple[list[Prediction] | None, str]:
    """The rule's prediction for each scheduler step, or None and why not."""
    if kind is None or (kind.rule is None and kind.simple is None):
        return None, f"{trace.name} set it (lrviz has no rule for {trace.name} to check it by)"
    rates = trace.rates(group)
    metrics = trace.step_metrics()
    state = {key: trace.state_column(key) for key in _state_keys(trace)}
    timeline = Timeline(
        params=trace.params,
        group=group,
        initial=trace.initial_lr[group],
        before=[rates[k] for k in scheduled],
        metrics=[metrics[k] for k in scheduled],
        state={key: [column[k] for k in scheduled] for key, column in state.items()},
        unit=unit(trace),
        metric_name=metric_name(trace),
        base=base_rate(trace, group),
    )
    try:
        if kind.rule is not None:
            predictions = kind.rule(timeline)
        else:
            assert kind.simple is not None
            predictions = run_simple(kind.simple, timeline)
    except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError, OverflowError) as exc:
        # A trace recorded elsewhere may lack a parameter; its changes are still reported.
        return (
            None,
            f"{trace.name} set it (lrviz cannot apply its rule to these parameters: {exc!r})",
        )
    return predictions, ""


def base_rate(trace: Trace, group: int) -> float | None:
    """A group's base rate, the rate its optimizer had before any schedule, if recorded."""
    groups = (trace.optimizer or {}).get("groups", [])
    rate = groups[group].get("lr") if group < len(groups) else None
    return float(rate) if isinstance(rate, int | float) and not isinstance(rate, bool) else None


def _state_keys(trace: Trace) -> list[str]:
    if trace.steps is not None:
        return list(trace.steps.state)
    return list(trace.epochs[0].state) if trace.epochs else []


def is_continuous(trace: Trace) -> bool:
    """Whether the schedule (or a child of a composite) moves the rate at every step;
    for schedules of Python functions (LambdaLR) or of one's own, whether the rates of
    most steps moved."""
    kind = schedules.kind_of(trace)
    if kind is not None and kind.continuous:
        return True
    children = trace.params.get("schedulers")
    if isinstance(children, list) and any(
        isinstance(c, dict) and (child := schedules.find(c.get("name", ""))) and child.continuous
        for c in children
    ):
        return True
    if kind is not None and kind.continuous is False:
        return False
    moved = sum(not same_rate(a, b) for a, b in pairwise(trace.rates(0)))
    return trace.step_count > 2 and moved * 2 > trace.step_count


def notable(trace: Trace) -> list[Event]:
    """The events worth a marker or a table row: all of them, except that for schedules
    that move every step only milestones, turning points, phases, ``held`` and
    ``external``."""
    if trace.per_step or not is_continuous(trace):  # a step trace's events are phases
        return list(trace.events)
    return [
        e
        for e in trace.events
        if e.kind in LANDMARKS
        or "milestones" in e.evidence
        or "landmark" in e.evidence
        or "last_step" in e.evidence
    ]


def first_step_at_or_below(trace: Trace, fraction: float, group: int = 0) -> int | None:
    """The step (the epoch, in a trace of one step per epoch) whose scheduler step first
    brought the rate to <= fraction x its start, if any.

    The start is the initial rate; for a schedule that first warms up above it (from 0,
    say), the peak of that warm-up, and only steps after the peak count.
    """
    rates = trace.rates(group)
    start, first, _ = milestone_start(rates)
    target = fraction * start
    for step in range(first, len(rates)):
        if rates[step] <= target:
            return step
    return None


def milestone_start(rates: Sequence[float]) -> tuple[float, int, str]:
    """What milestones count from: (rate, first step that counts, its name). The initial
    rate; or, when the schedule rises above it first (a warm-up), its peak."""
    peak = max(range(len(rates)), key=lambda k: (rates[k], -k))
    if rates[peak] <= rates[0] * (1 + 1e-9):
        return rates[0], 1, "the initial rate"
    return rates[peak], peak + 1, "the peak rate"


first_epoch_at_or_below = first_step_at_or_below


def _mark_milestones(trace: Trace, events: list[Event]) -> list[Event]:
    """Add the 50/10/1% milestones to the events of schedules that move every step."""
    marks: dict[tuple[int, int], list[float]] = {}
    names = {g: milestone_start(trace.rates(g))[2] for g in range(trace.groups)}
    for group in range(trace.groups):
        for fraction in MILESTONES:
            step = first_step_at_or_below(trace, fraction, group)
            if step is not None:
                marks.setdefault((step, group), []).append(fraction)
    out = []
    for e in events:
        fractions = marks.get((e.at, e.group))
        if fractions and e.kind != "external":
            note = ", ".join(f"{f:.0%}" for f in fractions)
            e = replace(
                e,
                reason=f"{e.reason}; now at or below {note} of {names[e.group]}",
                evidence={**e.evidence, "milestones": fractions},
            )
        out.append(e)
    return out


def milestones(trace: Trace, group: int = 0) -> dict[float, int | None]:
    """Step (epoch) at which the rate first reached 50%, 10% and 1% of its initial value."""
    return {f: first_step_at_or_below(trace, f, group) for f in MILESTONES}


# -- phases of step-resolution traces ---------------------------------------------------


def _phases(trace: Trace, events: list[Event]) -> list[Event]:
    """Runs of every-step changes of one group, one phase each; turning points, held and
    external events stay on their own."""
    out: list[Event] = []
    runs: dict[int, list[Event]] = {}
    for e in events:
        run = runs.get(e.group, [])
        if _routine(e) and run and _continues(run, e):
            run.append(e)
            continue
        if run:
            out.append(_phase(trace, run))
        if _routine(e):
            runs[e.group] = [e]
        else:
            runs[e.group] = []
            out.append(e)
    out.extend(_phase(trace, run) for run in runs.values() if run)
    out.sort(key=lambda e: (e.at, e.group))
    return out


def _routine(e: Event) -> bool:
    return e.kind in ("reduce", "increase") and "landmark" not in e.evidence


def _continues(run: list[Event], e: Event) -> bool:
    last = run[-1]
    return (
        e.at == last.at + 1
        and e.kind == last.kind
        and e.evidence.get("phase") == last.evidence.get("phase")
    )


def _phase(trace: Trace, run: list[Event]) -> Event:
    first, last = run[0], run[-1]
    if len(run) == 1:
        return first
    name = first.evidence.get("phase") or _shape(run)
    words = unit(trace)
    reason = (
        f"{name}, {words}s {first.at:,}-{last.at:,}: {number(first.lr_before)} -> "
        f"{number(last.lr_after)}"
    )
    detail = first.evidence.get("rule")
    if detail:
        reason += f" ({detail})"
    marks = [m for e in run for m in e.evidence.get("milestones", [])]
    evidence: dict[str, Any] = {"phase": name, "last_step": last.at, "steps": len(run)}
    if marks:
        evidence["milestones"] = marks
    if any(e.evidence.get("unchecked") for e in run):
        evidence["unchecked"] = True
    return replace(first, lr_after=last.lr_after, reason=reason, evidence=evidence, kind=first.kind)


def _shape(run: list[Event]) -> str:
    """A phase's name from its rates: linear, exponential, a half cosine, or just rising
    or falling."""
    rates = [run[0].lr_before, *(e.lr_after for e in run)]
    rising = run[0].kind == "increase"
    close = math.isclose
    deltas = [b - a for a, b in pairwise(rates)]
    if all(close(d, deltas[0], rel_tol=1e-6) for d in deltas):
        return "linear warm-up" if rising else "linear decay"
    if 0 not in rates and all(
        close(b / a, rates[1] / rates[0], rel_tol=1e-6) for a, b in pairwise(rates)
    ):
        return "exponential warm-up" if rising else "exponential decay"
    low, high, n = rates[-1], rates[0], len(rates) - 1
    if not rising and all(
        close(
            r,
            low + (high - low) * (1 + math.cos(math.pi * k / n)) / 2,
            rel_tol=1e-6,
            abs_tol=1e-12 * high,
        )
        for k, r in enumerate(rates)
    ):
        return "cosine decay"
    return "warm-up" if rising else "decay"
