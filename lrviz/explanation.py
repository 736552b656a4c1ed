"""Why the rate changed: events derived from each schedule's rule, checked against the trace.

Pure functions over plain data (no torch). For every scheduler step a *rule* (each
schedule's own, in :mod:`lrviz.schedules`) predicts, from the schedule's parameters,
the rate observed before the step and the metric history, what the rate after the step
should be and why. The prediction is then compared with the rate the trace actually
recorded:

* observed change, predicted  -> ``reduce`` / ``increase`` with the rule's reason;
* no change, rule decided to reduce but min_lr/eps kept the rate -> ``held``;
* anything the rule does not predict, and any change at a step where the scheduler did
  not step -> ``external`` (never dropped);
* a step the rule cannot tell about (a function of the user's whose values the trace
  lacks, a scheduler whose history before recording began the trace does not hold) ->
  ``reduce`` / ``increase`` marked unchecked, saying why: never ``external``.

Rules follow torch's own count (``last_epoch``, as recorded): a loop that passes an epoch
to ``step`` (whole or fractional) gets torch's closed form there, and a scheduler resumed
from a checkpoint or recorded mid-run continues its count.

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
torch to the last bit or two. A long step-resolution trace (:data:`BULK` steps or more)
of a schedule whose rule has an array form is checked in bulk, with the same events.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from itertools import pairwise
from typing import Any

from lrviz import schedules
from lrviz.phase_events import phase_events
from lrviz.schedules.base import (
    FLOAT32_REL_TOL,
    MILESTONE_REL_TOL,
    REL_TOL,
    Kind,
    Prediction,
    Step,
    Timeline,
    at_or_below,
    rule_base,
    run_simple,
    same_rate,
)
from lrviz.text import number
from lrviz.trace import Event, EventKind, Trace

__all__ = [
    "events_difference",
    "explain",
    "is_continuous",
    "milestones",
    "notable",
    "rederive",
    "same_rate",
]

MILESTONES = (0.5, 0.1, 0.01)
"""Fractions of the initial rate reported as milestones."""

METRIC_FIELDS = ("val_loss", "val_accuracy", "train_loss")
"""Epoch fields a scheduler's metric may be: reasons name the one it was."""

LANDMARKS = ("held", "external")
"""Kinds of event always shown on their own."""

BULK = 10_000
"""Steps from which a step-resolution trace of a schedule with a rule over arrays
(:attr:`~lrviz.schedules.base.SimpleRule.vector`) is explained in bulk: its rates checked
all at once, its rule asked in words only where a phase starts or something happens."""


def explain(trace: Trace, phases: bool = True) -> list[Event]:
    """The events of a trace, ordered by step then group.

    Args:
        trace: The trace.
        phases: In a step-resolution trace of a schedule that moves every step, join the
            every-step changes into phases (False: one event per step).
    """
    kind = schedules.kind_of(trace)
    if by_hand(trace):  # no rule to check by, and nothing outside a schedule
        return phase_events(trace, [rel_tol(trace, g) for g in range(trace.groups)])
    continuous = is_continuous(trace)
    bulk = phases and continuous and trace.per_step and trace.step_count >= BULK
    events = []
    for group in range(trace.groups):
        found = _bulk_events(trace, kind, group) if bulk else None
        events.extend(_group_events(trace, kind, group) if found is None else found)
    if continuous:
        events = _mark_milestones(trace, events)
    events.sort(key=lambda e: (e.at, e.group))
    if phases and continuous and trace.per_step:
        events = _phases(trace, events)
    return events


def rederive(trace: Trace) -> tuple[Trace, str]:
    """A trace with its events derived now from its rates and schedule, and how the events
    it stores differ from those ("" when they agree): what a page or a listing of the
    trace may call checked. A trace that stores events an edited file, or an older lrviz,
    left there is shown with the derived ones.

    Returns:
        (the trace with the derived events, the difference in a few words or "").
    """
    derived = trace.with_events(explain(trace))
    return derived, events_difference(trace.events, derived.events)


def events_difference(stored: Sequence[Event], derived: Sequence[Event]) -> str:
    """How a trace's stored events differ from those derived now, in a few words ("" when
    they do not): the counts, or the first event that differs."""
    from lrviz.tracefile import jsonable

    if len(stored) != len(derived):
        return f"it stores {len(stored)} events, lrviz derives {len(derived)}"
    for s, d in zip(stored, derived, strict=True):
        if jsonable(vars(s)) != jsonable(vars(d)):
            where = f"step {d.at}" if d.step is not None else f"epoch {d.at}"
            return (
                f"at {where}, group {d.group}: it stores {s.kind} {s.lr_before:.4g} -> "
                f"{s.lr_after:.4g} ({s.reason[:60]}), lrviz derives {d.kind} ({d.reason[:60]})"
            )
    return ""


def by_hand(trace: Trace) -> bool:
    """Whether no scheduler lrviz knows set the rates: set by hand (schedule "none") or
    imported from a log that names no scheduler. Such rates are told by their phases."""
    return trace.name == "none" or (
        trace.meta.get("source") == "import" and schedules.kind_of(trace) is None
    )


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
        if k + 1 in unscheduled:
            p = None
            why = "without a scheduler step"
        else:
            p = None if predictions is None else predictions[j]
            j += 1
            why = problem
        e = _step_event(trace, group, k, epochs[k], before, after, p, why, tolerance)
        if e is not None:
            events.append(e)
    return events


def _step_event(
    trace: Trace,
    group: int,
    k: int,
    epoch: float,
    before: float,
    after: float,
    p: Prediction | None,
    problem: str,
    tolerance: float,
) -> Event | None:
    """The event of step k+1 of one group, if any: its rates, and the rule's prediction
    (None: no scheduler step, or no rule, and ``problem`` says which)."""

    def event(kind: EventKind, reason: str, evidence: Mapping[str, Any] | None = None) -> Event:
        return Event(
            epoch=math.floor(epoch),
            group=group,
            kind=kind,
            lr_before=before,
            lr_after=after,
            reason=reason,
            evidence=dict(evidence or {}),
            step=k + 1 if trace.per_step else None,
        )

    changed = not same_rate(before, after, tolerance)
    if p is None and problem == "without a scheduler step":
        if not changed:
            return None
        return event(
            "external",
            f"the rate changed from {number(before)} to {number(after)} without a "
            "scheduler step: set outside the schedule",
        )
    if p is None or p.unchecked:
        if not changed:
            return None
        return event(
            _direction(before, after),
            f"{problem if p is None else p.reason}: the rate changed from "
            f"{number(before)} to {number(after)}",
            {"unchecked": True},
        )
    if not same_rate(p.lr, after, tolerance):
        reason = (
            f"rate went from {number(before)} to {number(after)}, but {trace.name}'s rule "
            f"gives {number(p.lr)}"
            + (f" ({p.reason})" if p.reason else "")
            + ": changed outside the schedule"
        )
        return event("external", reason, {"expected": p.lr, **p.evidence})
    if changed and p.reason:
        return event(_direction(before, after), p.reason, p.evidence)
    if p.held and p.reason:
        return event("held", p.reason, p.evidence)
    return None


def _bulk_events(trace: Trace, kind: Kind | None, group: int) -> list[Event] | None:
    """The events of one group, phases joined, as :func:`_group_events` then
    :func:`_phases` give them, or None when the trace is not one for the bulk path (no
    rule over arrays, steps without a scheduler step, epochs passed to ``step``).

    The rule's rates over arrays are compared with the recorded ones at once; runs of
    steps that changed the rate as the rule says, in one direction, are then split where
    the rule's phase changes (found by bisection, as phases never recur), and the rule
    is asked in words for the first step of each run and for every other step.
    """
    import numpy as np

    rule = None if kind is None else kind.simple
    steps = trace.steps
    if rule is None or rule.vector is None or steps is None or steps.unscheduled:
        return None
    n = steps.count
    counts = steps.state.get("last_epoch")
    try:
        t = np.arange(1.0, n + 1) if counts is None else np.asarray(counts, dtype=float)
    except (TypeError, ValueError):
        return None
    if t.shape != (n,) or t[0] < 1 or not (np.diff(t) == 1).all() or t[0] != int(t[0]):
        return None  # epochs passed to step(): the closed form, step by step
    timeline = Timeline(
        params=trace.params,
        group=group,
        initial=trace.initial_lr[group],
        before=(),
        base=base_rate(trace, group),
        unit=unit(trace),
    )
    base = rule_base(rule, timeline)
    if counts is None and not same_rate(
        timeline.initial, base * rule.scale(trace.params, group), rel_tol(trace, group)
    ):
        return None  # where the schedule was is unknown: said step by step
    rates = np.append(np.asarray(steps.lr[group], dtype=float), trace.final_lr[group])
    before, after = rates[:-1], rates[1:]
    try:
        with np.errstate(all="ignore"):
            predicted = rule.vector(trace.params, group, base, t, before)
    except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError, OverflowError):
        return None
    if predicted is None:
        return None
    tolerance = rel_tol(trace, group)
    changed = ~_same(before, after, tolerance)
    routine = changed & _same(predicted, after, tolerance)
    # Runs: steps the rule explains, moving the rate one way; the rest step by step.
    key = np.where(routine, np.where(after < before, -1, 1), 0)
    starts = [0, *(np.flatnonzero(np.diff(key)) + 1).tolist()]
    ends = [*(s - 1 for s in starts[1:]), n - 1]
    epochs = steps.epoch
    state = {name: column for name, column in steps.state.items() if name != "last_epoch"}
    told: dict[int, Prediction] = {}

    def prediction(k: int) -> Prediction:
        if k not in told:
            at = {name: column[k] for name, column in state.items()}
            step = Step(int(t[k]), float(before[k]), base, group, True, timeline.unit, at)
            if k == 0 and rule.chainable and t[0] != 1:  # recorded mid-run: run_simple decides
                first = Timeline(**{**vars(timeline), "before": tuple(before[:2])})
                told[k] = run_simple(
                    rule, replace(first, state={"last_epoch": [int(t[0]), int(t[0]) + 1]})
                )[0]
            else:
                told[k] = rule.step(trace.params, step)
        return told[k]

    def event(k: int) -> Event | None:
        return _step_event(
            trace,
            group,
            k,
            epochs[k],
            float(before[k]),
            float(after[k]),
            prediction(k),
            "",
            tolerance,
        )

    def phase_of(k: int) -> tuple[Any, ...]:
        p = prediction(k)
        return (p.evidence.get("phase"), "landmark" in p.evidence, p.reason is None)

    marks = _milestone_steps(rates)
    out: list[Event] = []
    for a, b in zip(starts, ends, strict=True):
        if not key[a]:
            out.extend(e for k in range(a, b + 1) if (e := event(k)) is not None)
            continue
        for first, last in _runs(a, b, phase_of):
            e = event(first)
            if e is None:
                continue
            if first == last or "landmark" in e.evidence:
                out.append(e)
                continue
            within = [f for step, fs in marks if first + 1 <= step <= last + 1 for f in fs]
            shape = None if e.evidence.get("phase") else _shape([*rates[first : last + 2]])
            out.append(
                _joined(trace, e, last + 1, float(after[last]), last - first + 1, within, shape)
            )
    return out


def _same(a: Any, b: Any, tolerance: float) -> Any:
    """:func:`same_rate` over arrays."""
    import numpy as np

    both_nan = np.isnan(a) & np.isnan(b)
    with np.errstate(invalid="ignore"):
        near = np.abs(a - b) <= tolerance * np.maximum(np.abs(a), np.abs(b))
    return both_nan | (a == b) | near


def _runs(a: int, b: int, phase_of: Callable[[int], tuple[Any, ...]]) -> list[tuple[int, int]]:
    """Steps a..b split where ``phase_of`` changes (bisection: phases never recur); a
    landmark is a run of its own."""
    out = []
    while a <= b:
        here = phase_of(a)
        if here[1] or phase_of(b) == here:
            end = a if here[1] else b
        else:
            low, high = a, b
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if phase_of(middle) == here else (low, middle)
            end = low
        out.append((a, end))
        a = end + 1
    return out


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
    if kind.history and trace.start:
        return None, (
            f"{trace.name} set it (its rule needs the run from its start, and this recording "
            f"began at its step {trace.start + 1}: lrviz does not check it)"
        )
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
        start=trace.start,
        rel_tol=rel_tol(trace, group),
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
    return _reached(trace.rates(group), (fraction,))[fraction]


def _reached(rates: Sequence[float] | Any, fractions: Sequence[float]) -> dict[float, int | None]:
    """:func:`first_step_at_or_below` of several fractions over one group's rates (a
    million steps in NumPy, the rates read once)."""
    start, first, _ = milestone_start(rates)
    if len(rates) <= BULK:
        return {
            f: next((k for k in range(first, len(rates)) if at_or_below(rates[k], f * start)), None)
            for f in fractions
        }
    import numpy as np

    r = np.asarray(rates[first:], dtype=float)
    out: dict[float, int | None] = {}
    for f in fractions:
        target = f * start
        with np.errstate(invalid="ignore"):
            near = (r <= target) | _same(r, np.full_like(r, target), MILESTONE_REL_TOL)
        hits = np.flatnonzero(near)
        out[f] = first + int(hits[0]) if hits.size else None
    return out


def milestone_start(rates: Sequence[float]) -> tuple[float, int, str]:
    """What milestones count from: (rate, first step that counts, its name). The initial
    rate; or, when the schedule rises above it first (a warm-up), its peak (rates may be a
    NumPy array)."""
    if len(rates) > BULK:
        import numpy as np

        r = np.asarray(rates, dtype=float)
        peak = int(np.argmax(np.where(np.isnan(r), -np.inf, r)))
    else:
        peak = max(range(len(rates)), key=lambda k: (rates[k], -k))
    if rates[peak] <= rates[0] * (1 + 1e-9):
        return rates[0], 1, "the initial rate"
    return rates[peak], peak + 1, "the peak rate"


first_epoch_at_or_below = first_step_at_or_below


def _mark_milestones(trace: Trace, events: list[Event]) -> list[Event]:
    """Add the 50/10/1% milestones to the events of schedules that move every step."""
    marks: dict[tuple[int, int], list[float]] = {}
    names = {}
    for group in range(trace.groups):
        rates = trace.rates(group)
        names[group] = milestone_start(rates)[2]
        for step, reached in _milestone_steps(rates):
            marks[(step, group)] = reached
    out = []
    for e in events:
        fractions = marks.get((e.at, e.group))
        if fractions and e.kind != "external" and "last_step" not in e.evidence:
            note = ", ".join(f"{f:.0%}" for f in fractions)
            e = replace(
                e,
                reason=f"{e.reason}; now at or below {note} of {names[e.group]}",
                evidence={**e.evidence, "milestones": fractions},
            )
        out.append(e)
    return out


def _milestone_steps(rates: Sequence[float] | Any) -> list[tuple[int, list[float]]]:
    """(step, fractions first reached there), by step, of one group's rates."""
    at: dict[int, list[float]] = {}
    for fraction, step in _reached(rates, MILESTONES).items():
        if step is not None:
            at.setdefault(step, []).append(fraction)
    return sorted(at.items())


def milestones(trace: Trace, group: int = 0) -> dict[float, int | None]:
    """Step (epoch) at which the rate first reached 50%, 10% and 1% of its initial value."""
    return _reached(trace.rates(group), MILESTONES)


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
    return (
        e.kind in ("reduce", "increase")
        and "landmark" not in e.evidence
        and "last_step" not in e.evidence  # joined already (in bulk)
    )


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
    marks = [m for e in run for m in e.evidence.get("milestones", [])]
    shape = (
        None
        if first.evidence.get("phase")
        else _shape([run[0].lr_before, *(e.lr_after for e in run)])
    )
    joined = _joined(trace, first, last.at, last.lr_after, len(run), marks, shape)
    if any(e.evidence.get("unchecked") for e in run):
        joined = replace(joined, evidence={**joined.evidence, "unchecked": True})
    return joined


def _joined(
    trace: Trace,
    first: Event,
    last_at: int,
    last_after: float,
    steps: int,
    marks: Sequence[float],
    shape: str | None,
) -> Event:
    """The phase of a run of every-step changes, from its first event and where it ends."""
    name = first.evidence.get("phase") or shape
    words = unit(trace)
    reason = (
        f"{name}, {words}s {first.at:,}-{last_at:,}: {number(first.lr_before)} -> "
        f"{number(last_after)}"
    )
    detail = first.evidence.get("rule")
    if detail:
        reason += f" ({detail})"
    evidence: dict[str, Any] = {"phase": name, "last_step": last_at, "steps": steps}
    if marks:
        evidence["milestones"] = list(marks)
    if first.evidence.get("unchecked"):
        evidence["unchecked"] = True
    return replace(first, lr_after=last_after, reason=reason, evidence=evidence, kind=first.kind)


def _shape(rates: Sequence[float]) -> str:
    """A phase's name from its rates: linear, exponential, a half cosine, or just rising
    or falling."""
    rising = rates[-1] > rates[0]
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
