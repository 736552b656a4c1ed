"""Why the rate changed: events derived from each schedule's rule, checked against the trace.

Pure functions over plain data (no torch). For every epoch a *rule* predicts, from the
schedule's parameters, the rate observed before the step and the metric history, what
the rate after the step should be and why. The prediction is then compared with the
rate the trace actually recorded:

* observed change, predicted  -> ``reduce`` / ``increase`` with the rule's reason;
* no change, rule decided to reduce but min_lr/eps kept the rate -> ``held``;
* anything the rule does not predict -> ``external`` (never dropped).

Rules use the observed rate before each step, as torch's chainable schedulers do, so
one external change does not turn every later epoch into a discrepancy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lrviz.trace import Event, EventKind, Trace

MILESTONES = (0.5, 0.1, 0.01)
"""Fractions of the initial rate reported as milestones."""

REL_TOL = 1e-9
"""Rates closer than this (relative) are the same rate."""


@dataclass(frozen=True)
class Prediction:
    """What a rule says about one epoch's step for one group.

    Attributes:
        lr: The rate the rule expects after the step.
        reason: Why it changes (None when the rule keeps the rate).
        evidence: The numbers behind the reason.
        held: The rule decided to reduce but a floor (min_lr, eps) kept the rate.
    """

    lr: float
    reason: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    held: bool = False


Rule = Callable[[Trace, int], list[Prediction]]
"""A schedule's rule: (trace, group) -> one prediction per epoch."""


def explain(trace: Trace) -> list[Event]:
    """The events of a trace, ordered by epoch then group."""
    rule = RULES.get(trace.name)
    events = []
    for group in range(len(trace.initial_lr)):
        predictions = rule(trace, group) if rule else None
        events.extend(_group_events(trace, group, predictions))
    if trace.name in CONTINUOUS:
        events = _mark_milestones(trace, events)
    return sorted(events, key=lambda e: (e.epoch, e.group))


def _group_events(
    trace: Trace, group: int, predictions: Sequence[Prediction] | None
) -> list[Event]:
    rates = trace.rates(group)
    events = []
    for k, (before, after) in enumerate(zip(rates, rates[1:])):
        epoch = k + 1
        changed = not same_rate(before, after)
        if predictions is None:
            if changed:
                reason = f"no rule known for {trace.name}; the rate changed from {_n(before)} to {_n(after)}"
                events.append(Event(epoch, group, "external", before, after, reason))
            continue
        p = predictions[k]
        if not same_rate(p.lr, after):
            reason = (
                f"rate went from {_n(before)} to {_n(after)}, but {trace.name}'s rule gives "
                f"{_n(p.lr)}" + (f" ({p.reason})" if p.reason else "") + ": changed outside the schedule"
            )
            evidence = {"expected": p.lr, **p.evidence}
            events.append(Event(epoch, group, "external", before, after, reason, evidence))
        elif changed and p.reason:
            kind: EventKind = "reduce" if after < before else "increase"
            events.append(Event(epoch, group, kind, before, after, p.reason, dict(p.evidence)))
        elif p.held and p.reason:
            events.append(Event(epoch, group, "held", before, after, p.reason, dict(p.evidence)))
    return events


def same_rate(a: float, b: float) -> bool:
    """Equal rates, allowing float round-off (and NaN equal to NaN)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=0.0)


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
                e.epoch, e.group, e.kind, e.lr_before, e.lr_after,
                f"{e.reason}; now at or below {note} of the initial rate",
                {**e.evidence, "milestones": fractions},
            )
        out.append(e)
    return out


def milestones(trace: Trace, group: int = 0) -> dict[float, int | None]:
    """Epoch at which the rate first reached 50%, 10% and 1% of its initial value."""
    return {f: first_epoch_at_or_below(trace, f, group) for f in MILESTONES}


# -- rules -----------------------------------------------------------------------


def _step_lr(trace: Trace, group: int) -> list[Prediction]:
    step_size, gamma = trace.params["step_size"], trace.params["gamma"]
    out = []
    for k, before in enumerate(trace.rates(group)[:-1], start=1):
        if k % step_size == 0:
            reason = f"epoch {k} is a multiple of step_size {step_size}: rate x gamma {_n(gamma)}"
            out.append(Prediction(before * gamma, reason, {"step_size": step_size, "gamma": gamma}))
        else:
            out.append(Prediction(before))
    return out


def _exponential_lr(trace: Trace, group: int) -> list[Prediction]:
    gamma = trace.params["gamma"]
    reason = f"every epoch: rate x gamma {_n(gamma)}"
    return [
        Prediction(before * gamma, reason, {"gamma": gamma})
        for before in trace.rates(group)[:-1]
    ]


def _reduce_on_plateau(trace: Trace, group: int) -> list[Prediction]:
    p = trace.params
    mode, threshold, threshold_mode = p["mode"], p["threshold"], p["threshold_mode"]
    patience, cooldown, factor, eps = p["patience"], p["cooldown"], p["factor"], p["eps"]
    min_lr = p["min_lr"][group] if isinstance(p["min_lr"], list) else p["min_lr"]
    name = "val_loss" if trace.experiment is not None else "the metric"
    better = _is_better(mode, threshold_mode, threshold)
    best, best_epoch, num_bad, cooldown_counter = (math.inf if mode == "min" else -math.inf), 0, 0, 0
    out = []
    for k, epoch in enumerate(trace.epochs, start=1):
        before = epoch.lr[group]
        current = math.nan if epoch.metric is None else epoch.metric
        if better(current, best):
            best, best_epoch, num_bad = current, k, 0
        else:
            num_bad += 1
        if cooldown_counter > 0:
            cooldown_counter -= 1
            num_bad = 0
        if num_bad <= patience:
            out.append(Prediction(before))
            continue
        since = f"on its best {_n(best)} (epoch {best_epoch})" if best_epoch else "at all"
        rule = (
            f"{name} has not improved {since} by more than "
            f"{_threshold_text(threshold_mode, threshold)} for {num_bad} epochs > patience {patience}"
        )
        evidence = {
            "metric": current, "best": best, "best_epoch": best_epoch or None,
            "num_bad_epochs": num_bad, "patience": patience, "mode": mode,
            "threshold": threshold, "threshold_mode": threshold_mode, "factor": factor,
            "cooldown": cooldown, "min_lr": min_lr, "eps": eps,
        }
        if cooldown:
            rule += f"; then cooldown of {cooldown} epochs"
        new = max(before * factor, min_lr)
        if before - new > eps:
            out.append(Prediction(new, f"{rule}: rate x factor {_n(factor)}", evidence))
        else:
            floor = f"min_lr {_n(min_lr)}" if new == min_lr and min_lr > 0 else f"eps {_n(eps)}"
            held = f"{rule}, but {floor} keeps the rate at {_n(before)}"
            out.append(Prediction(before, held, evidence, held=True))
        cooldown_counter, num_bad = cooldown, 0
    return out


def _is_better(mode: str, threshold_mode: str, threshold: float) -> Callable[[float, float], bool]:
    """torch's ReduceLROnPlateau comparison, including its NaN behaviour (never better)."""
    if mode == "min" and threshold_mode == "rel":
        return lambda a, best: a < best * (1.0 - threshold)
    if mode == "min":
        return lambda a, best: a < best - threshold
    if threshold_mode == "rel":
        return lambda a, best: a > best * (threshold + 1.0)
    return lambda a, best: a > best + threshold


def _threshold_text(threshold_mode: str, threshold: float) -> str:
    return f"rel. threshold {_n(threshold)}" if threshold_mode == "rel" else f"abs. threshold {_n(threshold)}"


def _n(x: float) -> str:
    """A number for a sentence: 4 significant digits."""
    return f"{x:.4g}"


RULES: dict[str, Rule] = {
    "StepLR": _step_lr,
    "ExponentialLR": _exponential_lr,
    "ReduceLROnPlateau": _reduce_on_plateau,
}
"""The rule of each torch class lrviz can explain."""

CONTINUOUS = frozenset({"ExponentialLR"})
"""Schedules that move the rate every epoch, summarised by milestones."""
