"""ReduceLROnPlateau: the rate times ``factor`` when the metric it is stepped with stops
improving for more than ``patience`` steps."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lrviz.schedules.base import (
    Kind,
    Part,
    Pitfall,
    Prediction,
    Timeline,
    const,
    group_value,
    same_rate,
)
from lrviz.text import number

if TYPE_CHECKING:
    from lrviz.trace import Trace


def _reduce_on_plateau(timeline: Timeline) -> list[Prediction]:
    p = timeline.params
    mode, threshold, threshold_mode = p["mode"], p["threshold"], p["threshold_mode"]
    patience, cooldown, factor, eps = p["patience"], p["cooldown"], p["factor"], p["eps"]
    min_lr = group_value(p["min_lr"], timeline.group)
    name, unit = timeline.metric_name, timeline.unit
    better = _is_better(mode, threshold_mode, threshold)
    best, best_epoch, num_bad, cooldown_counter = (
        (math.inf if mode == "min" else -math.inf),
        0,
        0,
        0,
    )
    out: list[Prediction] = []
    seen = _resumed(timeline, better)
    steps = zip(timeline.before, timeline.metrics, strict=True)
    for k, (before, metric) in enumerate(steps, start=1):
        current = math.nan if metric is None else metric
        if k == 1 and seen is not None:  # a scheduler with a history lrviz did not see
            best, num_bad, cooldown_counter = seen
            out.append(
                Prediction(
                    math.nan,
                    "lrviz cannot check ReduceLROnPlateau's first recorded step: the scheduler "
                    "had stepped before recording began (resumed, or recorded mid-run) and "
                    "its best value and counts then are not in the trace",
                    unchecked=True,
                )
            )
            continue
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
        since = f"on its best {number(best)} ({unit} {best_epoch})" if best_epoch else "at all"
        rule = (
            f"{name} has not improved {since} by more than "
            f"{_threshold_text(threshold_mode, threshold)} for {num_bad} {unit}s > "
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
            rule += f"; then cooldown of {cooldown} {unit}s"
        new = max(before * factor, min_lr)
        # A move by round-off only (0.01 x 0.1 floored at 0.001) is no reduction either.
        if before - new > eps and not same_rate(before, new):
            floored = f", floored at min_lr {number(min_lr)}" if new == min_lr else ""
            out.append(
                Prediction(new, f"{rule}: rate x factor {number(factor)}{floored}", evidence)
            )
        else:
            floor = (
                f"min_lr {number(min_lr)}" if new == min_lr and min_lr > 0 else f"eps {number(eps)}"
            )
            held = f"{rule}, but {floor} keeps the rate at {number(before)}"
            out.append(Prediction(before, held, evidence, held=True))
        cooldown_counter, num_bad = cooldown, 0
    return out


def _resumed(
    timeline: Timeline, better: Callable[[float, float], bool]
) -> tuple[float, int, int] | None:
    """The recorded (best, num_bad_epochs, cooldown_counter) after the first step, where
    they are not those of a fresh scheduler's first step (it had stepped before)."""
    columns = [timeline.state.get(key) for key in ("best", "num_bad_epochs", "cooldown_counter")]
    if not timeline.metrics or any(not column for column in columns):
        return None
    best, num_bad, cooldown = (column[0] for column in columns)  # type: ignore[index]
    p, metric = timeline.params, timeline.metrics[0]
    fresh = math.inf if p["mode"] == "min" else -math.inf
    improved = metric is not None and better(metric, fresh)
    fresh_bad = 0 if improved else 1
    reduced = fresh_bad > p["patience"]
    expected = (
        metric if improved else fresh,
        0 if reduced else fresh_bad,
        p["cooldown"] if reduced else 0,
    )
    if (best, num_bad, cooldown) == expected:
        return None
    return float(best), int(num_bad), int(cooldown)


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
        f"rel. threshold {number(threshold)}"
        if threshold_mode == "rel"
        else f"abs. threshold {number(threshold)}"
    )


# -- pitfalls -------------------------------------------------------------------------


def _pitfalls(part: Part) -> list[Pitfall]:
    trace, p, n, unit = part.trace, part.params, part.steps, part.unit
    patience, cooldown = p["patience"], p["cooldown"]
    out = []
    earliest = patience + 2
    if earliest >= n:
        out.append(
            Pitfall(
                f"ReduceLROnPlateau cannot reduce the rate in time: with patience={patience} "
                f"the earliest reduction comes at the end of {unit} {earliest}, and the run has "
                f"{n} {unit}s"
            )
        )
    elif cooldown and earliest + cooldown + patience + 1 >= n:
        out.append(
            Pitfall(
                "ReduceLROnPlateau can reduce the rate at most once: after a reduction, "
                f"cooldown={cooldown} + patience={patience} mean the next comes "
                f"{cooldown + patience + 1} {unit}s later at the earliest ({unit} "
                f"{earliest + cooldown + patience + 1}), after the {n} {unit}s run"
            )
        )
    for group, initial in enumerate(trace.initial_lr):
        floor = group_value(p["min_lr"], group)
        if floor >= initial:
            out.append(
                Pitfall(
                    f"ReduceLROnPlateau min_lr {floor:.4g} is at or above the initial rate "
                    f"{initial:.4g} of group {group}: it can never reduce that rate"
                )
            )
    out.extend(_below_eps(trace, p["eps"]))
    out.extend(_negative_rel(trace))
    return out


def _below_eps(trace: Trace, eps: float) -> list[Pitfall]:
    out = []
    for group in range(len(trace.initial_lr)):
        rates = trace.rates(group)
        first = next((i for i, r in enumerate(rates) if r <= eps or same_rate(r, eps)), None)
        if first is not None:
            when = "from the start" if first == 0 else f"epoch {first}"
            out.append(
                Pitfall(
                    f"the rate of group {group} fell to or below eps={eps:.4g}: "
                    "ReduceLROnPlateau ignores any further reduction (smaller than eps), so the "
                    "rate is held there, and steps this small barely train",
                    f"{when}, rate {rates[first]:.4g}",
                )
            )
    return out


def _negative_rel(trace: Trace) -> list[Pitfall]:
    p = trace.params
    if p["threshold_mode"] != "rel" or p["threshold"] == 0:
        return []
    for e in trace.epochs:
        if e.metric is not None and e.metric < 0:
            return [
                Pitfall(
                    "threshold_mode='rel' on a metric that goes negative: torch compares with "
                    "best x (1 - threshold) (mode min) or best x (1 + threshold) (mode max), "
                    "which for a negative best counts slightly worse values as improvements "
                    "(pytorch issue #47513); use threshold_mode='abs'",
                    f"first at epoch {e.epoch}: {e.metric:.4g}",
                )
            ]
    return []


def _read(s: Any) -> dict[str, Any]:
    min_lr = s.default_min_lr if s.default_min_lr is not None else list(s.min_lrs)
    names = ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown")
    return {**{n: getattr(s, n) for n in names}, "min_lr": min_lr, "eps": s.eps}


KINDS = (
    Kind(
        "ReduceLROnPlateau",
        ("plateau",),
        needs_metric=True,
        presets={"mode": const("min"), "factor": const(0.1), "patience": const(10)},
        state_keys=("best", "num_bad_epochs", "cooldown_counter"),
        per_group=("min_lr",),
        child=False,
        rule=_reduce_on_plateau,
        history=True,
        pitfalls=_pitfalls,
        reader=_read,
    ),
)
