"""Why the rate changed: events derived from each schedule's rule, checked against the trace.

Pure functions over plain data (no torch). For every epoch a *rule* predicts, from the
schedule's parameters, the rate observed before the step and the metric history, what
the rate after the step should be and why. The prediction is then compared with the
rate the trace actually recorded:

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

import math
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from lrviz.schedules import CONTINUOUS
from lrviz.trace import Event, EventKind, Trace

__all__ = ["CONTINUOUS", "explain", "is_continuous", "milestones", "notable"]

MILESTONES = (0.5, 0.1, 0.01)
"""Fractions of the initial rate reported as milestones."""

REL_TOL = 1e-9
"""Rates closer than this (relative) are the same rate."""

Params = Mapping[str, Any]


@dataclass(frozen=True)
class Prediction:
    """What a rule says about one epoch's step for one group.

    Attributes:
        lr: The rate the rule expects after the step.
        reason: Why it changes (None when the rule keeps the rate).
        evidence: The numbers behind the reason. ``landmark`` marks a turning point
            (peak, trough, restart, end) worth showing among every-epoch changes.
        held: The rule decided to reduce but a floor (min_lr, eps) kept the rate.
    """

    lr: float
    reason: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    held: bool = False


Rule = Callable[[Trace, int], list[Prediction]]
"""A schedule's rule: (trace, group) -> one prediction per epoch."""


@dataclass(frozen=True)
class Step:
    """One scheduler step of one param group, as a metric-free rule sees it.

    Attributes:
        t: torch's ``last_epoch`` after the step (1 for the step at the end of epoch 1).
        before: The rate observed before the step.
        base: The group's base rate (torch's ``initial_lr``, the rate the optimizer had
            before any schedule touched it).
        group: The param group.
        alone: The rate before the step is this schedule's own (False inside
            ChainedScheduler, where the other children scale it too).
    """

    t: int
    before: float
    base: float
    group: int
    alone: bool = True


StepRule = Callable[[Params, Step], Prediction]


def _unit(p: Params, group: int) -> float:
    return 1.0


def _base_rate(p: Params, group: int, base: float) -> float:
    return base


@dataclass(frozen=True)
class SimpleRule:
    """The rule of a metric-free schedule, usable alone or inside a composite.

    Attributes:
        step: The prediction for one step.
        scale: The rate right after construction, as a multiple of the base rate
            (recovers the base rate from a trace's ``initial_lr``).
        reset: The rate SequentialLR sets when it switches to this schedule: torch's
            closed form at step 0 (``(params, group, base) -> rate``).
        chainable: Computes the new rate from the current one (False: from the base).
    """

    step: StepRule
    scale: Callable[[Params, int], float] = _unit
    reset: Callable[[Params, int, float], float] = _base_rate
    chainable: bool = True


# -- the comparison ----------------------------------------------------------------


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
    rule = RULES.get(trace.name)
    if rule is None:
        return None, f"no rule known for {trace.name}"
    try:
        return rule(trace, group), ""
    except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError, OverflowError) as exc:
        # A trace recorded elsewhere may lack a parameter; its changes are still reported.
        return None, f"cannot apply {trace.name}'s rule to these parameters ({exc!r})"


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
                reason = f"{problem}; the rate changed from {_n(before)} to {_n(after)}"
                events.append(Event(epoch, group, "external", before, after, reason))
            continue
        p = predictions[k]
        if not same_rate(p.lr, after):
            reason = (
                f"rate went from {_n(before)} to {_n(after)}, but {trace.name}'s rule gives "
                f"{_n(p.lr)}"
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


def same_rate(a: float, b: float) -> bool:
    """Equal rates, allowing float round-off (and NaN equal to NaN)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=0.0)


def is_continuous(trace: Trace) -> bool:
    """Whether the schedule (or a child of a composite) moves the rate at every step."""
    if trace.name in CONTINUOUS:
        return True
    children = trace.params.get("schedulers")
    return isinstance(children, list) and any(
        isinstance(c, Mapping) and c.get("name") in CONTINUOUS for c in children
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


# -- rules of whole traces -------------------------------------------------------------


def _steps(trace: Trace, group: int, base: float) -> list[Step]:
    """One :class:`Step` per epoch: epoch k's step is torch's ``last_epoch`` k."""
    return [
        Step(t, before, base, group) for t, before in enumerate(trace.rates(group)[:-1], start=1)
    ]


def _base(initial: float, scale: float) -> float:
    """The base rate behind a schedule's first rate (NaN if the first rate hides it)."""
    return initial / scale if scale else math.nan


def _simple(trace: Trace, group: int) -> list[Prediction]:
    rule = SIMPLE[trace.name]
    base = _base(trace.initial_lr[group], rule.scale(trace.params, group))
    return [rule.step(trace.params, s) for s in _steps(trace, group, base)]


def _sequential(trace: Trace, group: int) -> list[Prediction]:
    """SequentialLR: child i runs from milestone i-1; at a milestone torch resets the new
    child to its closed form at step 0 (from the base rate), then steps it."""
    children: list[Mapping[str, Any]] = trace.params["schedulers"]
    marks: list[int] = list(trace.params["milestones"])
    first = children[0]
    base = _base(trace.initial_lr[group], SIMPLE[first["name"]].scale(first["params"], group))
    out = []
    for s in _steps(trace, group, base):
        index = bisect_right(marks, s.t)
        child = children[index]
        name, params, rule = child["name"], child["params"], SIMPLE[child["name"]]
        start = marks[index - 1] if index else 0
        where = {"scheduler": index, "name": name}
        if index and start == s.t:
            lr = rule.reset(params, group, base)
            reason = (
                f"epoch {s.t} is SequentialLR milestone {index} of {marks}: switches to schedule "
                f"{index + 1}, {name}, which starts at {_n(lr)}"
            )
            out.append(Prediction(lr, reason, {**where, "milestone": s.t, "landmark": "switch"}))
            continue
        inner = rule.step(params, Step(s.t - start, s.before, base, group))
        told = None if inner.reason is None else f"{name} (schedule {index + 1}): {inner.reason}"
        out.append(Prediction(inner.lr, told, {**where, **inner.evidence}))
    return out


def _chained(trace: Trace, group: int) -> list[Prediction]:
    """ChainedScheduler: every child steps in turn, each from the rate the previous set."""
    children: list[Mapping[str, Any]] = trace.params["schedulers"]
    scale = 1.0
    for child in children:
        rule = SIMPLE[child["name"]]
        own = rule.scale(child["params"], group)
        scale = scale * own if rule.chainable else own
    base = _base(trace.initial_lr[group], scale)
    out = []
    for s in _steps(trace, group, base):
        lr, reasons, parts = s.before, [], []
        for child in children:
            inner = SIMPLE[child["name"]].step(child["params"], Step(s.t, lr, base, group, False))
            if inner.reason is not None and not same_rate(inner.lr, lr):
                reasons.append(f"{child['name']}: {inner.reason}")
                parts.append({"scheduler": child["name"], **inner.evidence})
            lr = inner.lr
        landmark = next((p["landmark"] for p in parts if "landmark" in p), None)
        evidence: dict[str, Any] = {"parts": parts}
        if landmark:
            evidence["landmark"] = landmark
        out.append(Prediction(lr, "; ".join(reasons) or None, evidence))
    return out


def _reduce_on_plateau(trace: Trace, group: int) -> list[Prediction]:
    p = trace.params
    mode, threshold, threshold_mode = p["mode"], p["threshold"], p["threshold_mode"]
    patience, cooldown, factor, eps = p["patience"], p["cooldown"], p["factor"], p["eps"]
    min_lr = p["min_lr"][group] if isinstance(p["min_lr"], list) else p["min_lr"]
    name = "val_loss" if _metric_is_val_loss(trace) else "the metric"
    better = _is_better(mode, threshold_mode, threshold)
    best, best_epoch, num_bad, cooldown_counter = (
        (math.inf if mode == "min" else -math.inf),
        0,
        0,
        0,
    )
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
            f"{_threshold_text(threshold_mode, threshold)} for {num_bad} epochs > "
            f"patience {patience}"
        )
        evidence = {
            "metric": current,
            "best": best,
            "best_epoch": best_epoch or None,
            "num_bad_epochs": num_bad,
            "patience": patience,
            "mode": mode,
            "threshold": threshold,
            "threshold_mode": threshold_mode,
            "factor": factor,
            "cooldown": cooldown,
            "min_lr": min_lr,
            "eps": eps,
        }
        if cooldown:
            rule += f"; then cooldown of {cooldown} epochs"
        new = max(before * factor, min_lr)
        # A move by round-off only (0.01 x 0.1 floored at 0.001) is no reduction either.
        if before - new > eps and not same_rate(before, new):
            floored = f", floored at min_lr {_n(min_lr)}" if new == min_lr else ""
            out.append(Prediction(new, f"{rule}: rate x factor {_n(factor)}{floored}", evidence))
        else:
            floor = f"min_lr {_n(min_lr)}" if new == min_lr and min_lr > 0 else f"eps {_n(eps)}"
            held = f"{rule}, but {floor} keeps the rate at {_n(before)}"
            out.append(Prediction(before, held, evidence, held=True))
        cooldown_counter, num_bad = cooldown, 0
    return out


def _metric_is_val_loss(trace: Trace) -> bool:
    """The monitored metric was the validation loss (as in ``lrviz run``), not something else."""
    return bool(trace.epochs) and all(
        e.metric is not None and e.metric == e.val_loss for e in trace.epochs
    )


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
    return (
        f"rel. threshold {_n(threshold)}"
        if threshold_mode == "rel"
        else f"abs. threshold {_n(threshold)}"
    )


# -- rules of single steps (metric-free schedules) -----------------------------------


def _step_lr(p: Params, s: Step) -> Prediction:
    step_size, gamma = p["step_size"], p["gamma"]
    if s.t % step_size:
        return Prediction(s.before)
    reason = f"epoch {s.t} is a multiple of step_size {step_size}: rate x gamma {_n(gamma)}"
    return Prediction(s.before * gamma, reason, {"step_size": step_size, "gamma": gamma})


def _multistep_lr(p: Params, s: Step) -> Prediction:
    marks, gamma = list(p["milestones"]), p["gamma"]
    count = marks.count(s.t)
    if not count:
        return Prediction(s.before)
    power = f"^{count} (listed {count} times)" if count > 1 else ""
    reason = f"epoch {s.t} is a milestone of {marks}: rate x gamma {_n(gamma)}{power}"
    return Prediction(s.before * gamma**count, reason, {"milestone": s.t, "gamma": gamma})


def _constant_lr(p: Params, s: Step) -> Prediction:
    factor, total = p["factor"], p["total_iters"]
    if s.t != total:
        return Prediction(s.before)
    reason = (
        f"epoch {s.t} reached total_iters {total}: the factor {_n(factor)} ends, rate x 1/factor"
    )
    return Prediction(s.before * (1.0 / factor), reason, {"factor": factor, "total_iters": total})


def _linear_factor(p: Params, t: int) -> float:
    start, end, total = p["start_factor"], p["end_factor"], p["total_iters"]
    return float(start + (end - start) * min(total, t) / total)


def _linear_lr(p: Params, s: Step) -> Prediction:
    start, end, total = p["start_factor"], p["end_factor"], p["total_iters"]
    if s.t > total:
        return Prediction(s.before)
    lr = s.before * (1.0 + (end - start) / (total * start + (s.t - 1) * (end - start)))
    what = "warm-up" if end > start else "decay"
    reason = (
        f"linear {what}, step {s.t} of total_iters {total}: factor {_n(_linear_factor(p, s.t - 1))}"
        f" -> {_n(_linear_factor(p, s.t))} of the base rate (start_factor {_n(start)}, "
        f"end_factor {_n(end)})"
    )
    evidence: dict[str, Any] = {"step": s.t, "total_iters": total, "factor": _linear_factor(p, s.t)}
    if s.t == total:
        evidence["landmark"] = "end"
    return Prediction(lr, reason, evidence)


def _exponential_lr(p: Params, s: Step) -> Prediction:
    gamma = p["gamma"]
    return Prediction(s.before * gamma, f"every epoch: rate x gamma {_n(gamma)}", {"gamma": gamma})


def _polynomial_lr(p: Params, s: Step) -> Prediction:
    total, power = p["total_iters"], p["power"]
    if s.t > total:
        return Prediction(s.before)
    lr = s.before * ((1.0 - s.t / total) / (1.0 - (s.t - 1) / total)) ** power
    reason = (
        f"polynomial decay, step {s.t} of total_iters {total}: rate = base x "
        f"(1 - {s.t}/{total})^{_n(power)}"
    )
    evidence: dict[str, Any] = {"step": s.t, "total_iters": total, "power": power}
    if s.t == total:
        evidence["landmark"] = "end"
    return Prediction(lr, reason, evidence)


def _cosine_lr(p: Params, s: Step) -> Prediction:
    period, eta_min, t = p["T_max"], p["eta_min"], s.t
    if (t - 1 - period) % (2 * period) == 0:
        lr = s.before + (s.base - eta_min) * (1 - math.cos(math.pi / period)) / 2
    else:
        lr = (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period)) * (
            s.before - eta_min
        ) + eta_min
    evidence: dict[str, Any] = {"T_max": period, "eta_min": eta_min, "position": t}
    formula = f"rate = eta_min + (base - eta_min)(1 + cos(pi x {t}/{period}))/2"
    if t <= period:
        reason = f"cosine annealing, epoch {t} of T_max {period}: {formula}"
    else:
        reason = (
            f"past T_max {period}, the cosine goes on (period 2 x T_max), so the rate "
            f"{'rises' if (t - 1) // period % 2 else 'falls'} again: {formula}"
        )
    if t % (2 * period) == period:
        reason += f"; eta_min {_n(eta_min)} reached"
        evidence["landmark"] = "trough"
    elif t % (2 * period) == 0:
        reason += "; back at the base rate"
        evidence["landmark"] = "peak"
    return Prediction(lr, reason, evidence)


def _closed_form(
    name: str,
    rate: Callable[[Params, int, int, float], float],
    describe: Callable[[Params, int, int], tuple[str, dict[str, Any]]],
    turns: bool,
) -> StepRule:
    """A rule for a schedule that sets the rate from its formula, not the current rate.

    Args:
        name: The class name, for the reason.
        rate: ``(params, t, group, base) -> rate`` after step t (torch's arithmetic).
        describe: ``(params, t, group) -> (reason, evidence)`` for step t.
        turns: Mark peaks and troughs (from the formula's neighbours) as landmarks.
    """

    def rule(p: Params, s: Step) -> Prediction:
        lr = rate(p, s.t, s.group, s.base)
        previous = rate(p, s.t - 1, s.group, s.base)
        reason, evidence = describe(p, s.t, s.group)
        if turns and "landmark" not in evidence:
            following = rate(p, s.t + 1, s.group, s.base)
            if previous < lr > following:
                evidence["landmark"] = "peak"
                reason += f"; peak at {_n(lr)}"
            elif previous > lr < following:
                evidence["landmark"] = "trough"
                reason += f"; lowest point at {_n(lr)}"
        if s.alone and not same_rate(s.before, previous):
            reason += (
                f"; the rate had been changed outside {name}, which sets it from its formula again"
            )
        return Prediction(lr, reason, evidence)

    return rule


def _warm_position(p: Params, t: int) -> tuple[int, int, int]:
    """(cycle number, T_cur, T_i) after step t, as torch's step() counts them."""
    length, mult = p["T_0"], p["T_mult"]
    if not (length >= 1 and mult >= 1):  # else the cycles below never end
        raise ValueError(f"T_0 and T_mult must be >= 1, got {length} and {mult}")
    if mult == 1:
        return t // length + 1, t % length, length
    start, cycle = 0, 1
    while t >= start + length:
        start, length, cycle = start + length, length * mult, cycle + 1
    return cycle, t - start, length


def _warm_rate(p: Params, t: int, group: int, base: float) -> float:
    _, t_cur, t_i = _warm_position(p, max(t, 0))
    eta_min = p["eta_min"]
    return float(eta_min + (base - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2)


def _warm_describe(p: Params, t: int, group: int) -> tuple[str, dict[str, Any]]:
    cycle, t_cur, t_i = _warm_position(p, t)
    evidence: dict[str, Any] = {
        "cycle": cycle,
        "T_cur": t_cur,
        "T_i": t_i,
        "T_0": p["T_0"],
        "T_mult": p["T_mult"],
        "eta_min": p["eta_min"],
    }
    if t_cur == 0:
        evidence["landmark"] = "restart"
        longer = f" (T_i x T_mult {p['T_mult']})" if p["T_mult"] > 1 else ""
        return (
            f"warm restart: cycle {cycle} of {t_i} epochs{longer} begins at the base rate",
            evidence,
        )
    reason = (
        f"cosine annealing in cycle {cycle}, epoch {t_cur} of {t_i}: rate = eta_min + "
        f"(base - eta_min)(1 + cos(pi x {t_cur}/{t_i}))/2"
    )
    return reason, evidence


def _group_value(value: Any, group: int) -> Any:
    """A per-group parameter: one value for all groups, or a list with one per group."""
    return value[group] if isinstance(value, list | tuple) else value


def _cyclic_position(p: Params, t: int) -> tuple[int, float, float, float]:
    """(cycle, x, step_ratio, scale_factor) after step t, as torch's CyclicLR computes them."""
    up = float(p["step_size_up"])
    down = float(p["step_size_down"]) if p["step_size_down"] is not None else up
    total = up + down
    ratio = up / total
    cycle = math.floor(1 + t / total)
    x = 1.0 + t / total - cycle
    scale = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
    return cycle, x, ratio, scale


def _cyclic_amplitude(p: Params, t: int, cycle: int) -> float:
    """torch's scale_fn for the built-in modes (mode decides the scale_mode)."""
    if p["mode"] == "triangular2":
        return float(1 / (2.0 ** (cycle - 1)))
    if p["mode"] == "exp_range":
        return float(p["gamma"] ** t)
    return 1.0


def _cyclic_rate(p: Params, t: int, group: int, base: float) -> float:
    cycle, _, _, scale = _cyclic_position(p, t)
    low, high = _group_value(p["base_lr"], group), _group_value(p["max_lr"], group)
    return float(low + (high - low) * scale * _cyclic_amplitude(p, t, cycle))


def _cyclic_describe(p: Params, t: int, group: int) -> tuple[str, dict[str, Any]]:
    cycle, x, ratio, _ = _cyclic_position(p, t)
    up = p["step_size_up"]
    down = p["step_size_down"] if p["step_size_down"] is not None else up
    low, high = _group_value(p["base_lr"], group), _group_value(p["max_lr"], group)
    into = t - (cycle - 1) * (up + down)
    amplitude = _cyclic_amplitude(p, t, cycle)
    scaled = f", amplitude x {_n(amplitude)}" if amplitude != 1.0 else ""
    if into == 0:
        reason = (
            f"cyclic ({p['mode']}): cycle {cycle - 1} is over, back at base_lr {_n(low)}; "
            f"cycle {cycle} begins"
        )
    else:
        half = (
            f"rising, step {into} of step_size_up {up}"
            if x <= ratio
            else f"falling, step {into - up} of step_size_down {down}"
        )
        reason = (
            f"cyclic ({p['mode']}), cycle {cycle}: {half} between base_lr {_n(low)} and "
            f"max_lr {_n(high)}{scaled}"
        )
    return reason, {
        "cycle": cycle,
        "mode": p["mode"],
        "base_lr": low,
        "max_lr": high,
        "amplitude": amplitude,
    }


def _one_cycle_phases(p: Params, group: int) -> list[tuple[float, float, float, str]]:
    """(end_step, start_lr, end_lr, name) per phase, as torch's OneCycleLR builds them."""
    total = p["total_steps"] if p["total_steps"] is not None else p["epochs"] * p["steps_per_epoch"]
    max_lr = _group_value(p["max_lr"], group)
    initial = max_lr / p["div_factor"]
    low = initial / p["final_div_factor"]
    pct = p["pct_start"]
    if p["three_phase"]:
        return [
            (float(pct * total) - 1, initial, max_lr, "warm-up"),
            (float(2 * pct * total) - 2, max_lr, initial, "cool-down"),
            (total - 1, initial, low, "annihilation"),
        ]
    return [
        (float(pct * total) - 1, initial, max_lr, "warm-up"),
        (total - 1, max_lr, low, "annealing"),
    ]


def _one_cycle_at(p: Params, t: int, group: int) -> tuple[float, float, int]:
    """(rate, pct, phase index) after step t."""
    phases = _one_cycle_phases(p, group)
    start_step = 0.0
    for i, (end_step, start_lr, end_lr, _) in enumerate(phases):
        if t <= end_step or i == len(phases) - 1:
            pct = (t - start_step) / (end_step - start_step)
            if p["anneal_strategy"] == "cos":
                lr = end_lr + (start_lr - end_lr) / 2.0 * (math.cos(math.pi * pct) + 1)
            else:
                lr = (end_lr - start_lr) * pct + start_lr
            return lr, pct, i
        start_step = end_step
    raise ValueError("OneCycleLR has no phases")


def _one_cycle_rate(p: Params, t: int, group: int, base: float) -> float:
    return _one_cycle_at(p, t, group)[0]


def _one_cycle_describe(p: Params, t: int, group: int) -> tuple[str, dict[str, Any]]:
    _, pct, index = _one_cycle_at(p, t, group)
    end_step, start_lr, end_lr, name = _one_cycle_phases(p, group)[index]
    reason = (
        f"one-cycle {name} (phase {index + 1}, to step {_n(end_step)}): {pct:.0%} of the way "
        f"from {_n(start_lr)} to {_n(end_lr)} ({p['anneal_strategy']})"
    )
    if pct > 1:
        reason += "; past the cycle's last step, the formula runs on"
    return reason, {"phase": index + 1, "pct": pct, "from": start_lr, "to": end_lr}


SIMPLE: dict[str, SimpleRule] = {
    "StepLR": SimpleRule(
        _step_lr, reset=lambda p, g, base: base * p["gamma"] ** (0 // p["step_size"])
    ),
    "MultiStepLR": SimpleRule(
        _multistep_lr,
        scale=lambda p, g: float(p["gamma"] ** list(p["milestones"]).count(0)),
        reset=lambda p, g, base: base * p["gamma"] ** bisect_right(sorted(p["milestones"]), 0),
    ),
    "ConstantLR": SimpleRule(
        _constant_lr,
        scale=lambda p, g: float(p["factor"]),
        reset=lambda p, g, base: base * (p["factor"] + (p["total_iters"] <= 0) * (1 - p["factor"])),
    ),
    "LinearLR": SimpleRule(
        _linear_lr,
        scale=lambda p, g: float(p["start_factor"]),
        reset=lambda p, g, base: base * _linear_factor(p, 0),
    ),
    "ExponentialLR": SimpleRule(_exponential_lr, reset=lambda p, g, base: base * p["gamma"] ** 0),
    "PolynomialLR": SimpleRule(
        _polynomial_lr,
        reset=lambda p, g, base: (
            base * (1.0 - min(p["total_iters"], 0) / p["total_iters"]) ** p["power"]
        ),
    ),
    "CosineAnnealingLR": SimpleRule(
        _cosine_lr,
        reset=lambda p, g, base: p["eta_min"] + (base - p["eta_min"]) * (1 + math.cos(0.0)) / 2,
    ),
    "CosineAnnealingWarmRestarts": SimpleRule(
        _closed_form("CosineAnnealingWarmRestarts", _warm_rate, _warm_describe, turns=False),
        reset=lambda p, g, base: _warm_rate(p, 0, g, base),
        chainable=False,
    ),
    "CyclicLR": SimpleRule(
        _closed_form("CyclicLR", _cyclic_rate, _cyclic_describe, turns=True), chainable=False
    ),
    "OneCycleLR": SimpleRule(
        _closed_form("OneCycleLR", _one_cycle_rate, _one_cycle_describe, turns=True),
        chainable=False,
    ),
}
"""The per-step rule of every metric-free schedule."""


RULES: dict[str, Rule] = {
    **{name: _simple for name in SIMPLE},
    "ReduceLROnPlateau": _reduce_on_plateau,
    "SequentialLR": _sequential,
    "ChainedScheduler": _chained,
}
"""The rule of each torch class lrviz can explain."""


def _n(x: float) -> str:
    """A number for a sentence: 4 significant digits."""
    return f"{x:.4g}"
