"""CosineAnnealingLR and CosineAnnealingWarmRestarts: a half cosine from the base rate down
to ``eta_min``, once or in cycles that restart at the base rate."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from lrviz.schedules.base import (
    EPOCHS,
    Kind,
    Params,
    Part,
    Pitfall,
    Prediction,
    Preset,
    SimpleRule,
    Step,
    closed_form,
)
from lrviz.text import number


def _cosine_lr(p: Params, s: Step) -> Prediction:
    period, eta_min, t = p["T_max"], p["eta_min"], s.t
    if (t - 1 - period) % (2 * period) == 0:
        lr = s.before + (s.base - eta_min) * (1 - math.cos(math.pi / period)) / 2
    else:
        lr = (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period)) * (
            s.before - eta_min
        ) + eta_min
    evidence: dict[str, Any] = {"T_max": period, "eta_min": eta_min, "position": t}
    evidence["phase"] = "cosine annealing" if t <= period else "cosine past T_max"
    formula = f"rate = eta_min + (base - eta_min)(1 + cos(pi x {t}/{period}))/2"
    if t <= period:
        reason = f"cosine annealing, {s.unit} {t} of T_max {period}: {formula}"
    else:
        reason = (
            f"past T_max {period}, the cosine goes on (period 2 x T_max), so the rate "
            f"{'rises' if (t - 1) // period % 2 else 'falls'} again: {formula}"
        )
    if t % (2 * period) == period:
        reason += f"; eta_min {number(eta_min)} reached"
        evidence["landmark"] = "trough"
    elif t % (2 * period) == 0:
        reason += "; back at the base rate"
        evidence["landmark"] = "peak"
    return Prediction(lr, reason, evidence)


def _cosine_vector(p: Params, group: int, base: float, t: Any, before: Any) -> Any:
    """:func:`_cosine_lr`'s rate over arrays."""
    import numpy as np

    period, eta_min = p["T_max"], p["eta_min"]
    again = (t - 1 - period) % (2 * period) == 0
    restarted = before + (base - eta_min) * (1 - math.cos(math.pi / period)) / 2
    ratio = (1 + np.cos(math.pi * t / period)) / (1 + np.cos(math.pi * (t - 1) / period))
    return np.where(again, restarted, ratio * (before - eta_min) + eta_min)


def _warm_vector(p: Params, group: int, base: float, t: Any, before: Any) -> Any:
    """:func:`_warm_rate` over an array of whole counts."""
    import numpy as np

    length, mult, eta_min = p["T_0"], p["T_mult"], p["eta_min"]
    if not (length >= 1 and mult >= 1):
        return None
    t = np.maximum(t, 0)
    if mult == 1:
        t_cur, t_i = t % length, np.full_like(t, length)
    else:
        t_cur, t_i = np.empty_like(t), np.empty_like(t)
        start, top = 0, t.max()
        while start <= top:
            here = (t >= start) & (t < start + length)
            t_cur[here], t_i[here] = t[here] - start, length
            start, length = start + length, length * mult
    return eta_min + (base - eta_min) * (1 + np.cos(math.pi * t_cur / t_i)) / 2


def _warm_position(p: Params, t: float) -> tuple[int, float, int]:
    """(cycle number, T_cur, T_i) after step t, as torch's step() counts them."""
    length, mult = p["T_0"], p["T_mult"]
    if not (length >= 1 and mult >= 1):  # else the cycles below never end
        raise ValueError(f"T_0 and T_mult must be >= 1, got {length} and {mult}")
    if mult == 1:
        return int(t // length) + 1, t % length, length
    start, cycle = 0, 1
    while t >= start + length:
        start, length, cycle = start + length, length * mult, cycle + 1
    return cycle, t - start, length


def _warm_rate(p: Params, t: float, group: int, base: float) -> float:
    _, t_cur, t_i = _warm_position(p, max(t, 0))
    eta_min = p["eta_min"]
    return float(eta_min + (base - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2)


def _warm_describe(p: Params, t: float, group: int, unit: str) -> tuple[str, dict[str, Any]]:
    cycle, t_cur, t_i = _warm_position(p, t)
    evidence: dict[str, Any] = {
        "phase": f"cosine annealing, cycle {cycle}",
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
            f"warm restart: cycle {cycle} of {t_i} {unit}s{longer} begins at the base rate",
            evidence,
        )
    reason = (
        f"cosine annealing in cycle {cycle}, {unit} {t_cur} of {t_i}: rate = eta_min + "
        f"(base - eta_min)(1 + cos(pi x {t_cur}/{t_i}))/2"
    )
    return reason, evidence


_warm_formula = closed_form("CosineAnnealingWarmRestarts", _warm_rate, _warm_describe, turns=False)


def _warm_step(p: Params, s: Step) -> Prediction:
    """The formula at step t; where the loop passed fractional epochs to ``step``, torch's
    own position in the cycle (``T_cur`` of ``T_i``), as recorded."""
    t_cur, t_i = s.state.get("T_cur"), s.state.get("T_i")
    if not isinstance(t_cur, float) or not isinstance(t_i, int):
        return _warm_formula(p, s)
    if t_cur.is_integer():  # a whole epoch passed as a float (epoch + 0 / iters):
        # torch's count is that epoch, but the rate before was the fraction's before it,
        # which lrviz does not count from: not a rate changed outside the schedule.
        return _warm_formula(p, replace(s, alone=False))
    eta_min = p["eta_min"]
    lr = eta_min + (s.base - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2
    reason = (
        f"cosine annealing at T_cur {number(t_cur)} of T_i {t_i} (the epoch passed to step): "
        f"rate = eta_min + (base - eta_min)(1 + cos(pi x {number(t_cur)}/{t_i}))/2"
    )
    return Prediction(lr, reason, {"phase": f"cosine annealing, T_i {t_i}", "T_cur": t_cur})


def _eta_min_floor(part: Part) -> list[Pitfall]:
    """eta_min at or above a group's initial rate: annealing cannot lower it."""
    if part.child:
        return []
    eta_min = part.params["eta_min"]
    return [
        Pitfall(
            f"{part.name} eta_min {eta_min:.4g} is at or above the initial rate {initial:.4g} "
            f"of group {group}: annealing cannot lower that rate"
        )
        for group, initial in enumerate(part.trace.initial_lr)
        if eta_min >= initial
    ]


def _cosine_pitfalls(part: Part) -> list[Pitfall]:
    period, n, unit = part.params["T_max"], part.steps, part.unit
    out = []
    if period < n:
        out.append(
            Pitfall(
                f"{part.who} T_max={period} is shorter than the {n} {unit}s it runs: after {unit} "
                f"{period} the cosine goes on and the rate climbs back up (period 2 x T_max); "
                f"T_max={n} anneals once"
            )
        )
    elif period > n:
        left = (1 + math.cos(math.pi * n / period)) / 2
        out.append(
            Pitfall(
                f"{part.who} T_max={period} is longer than the {n} {unit}s it runs: the rate "
                f"stops {left:.0%} of the way from eta_min to the base rate instead of "
                "reaching eta_min"
            )
        )
    return out + _eta_min_floor(part)


KINDS = (
    Kind(
        "CosineAnnealingLR",
        ("cosine",),
        presets={"T_max": EPOCHS},
        continuous=True,
        periods=("T_max",),
        simple=SimpleRule(
            _cosine_lr,
            vector=_cosine_vector,
            closed=lambda p, g, base, t: (
                p["eta_min"] + (base - p["eta_min"]) * (1 + math.cos(math.pi * t / p["T_max"])) / 2
            ),
        ),
        pitfalls=_cosine_pitfalls,
    ),
    Kind(
        "CosineAnnealingWarmRestarts",
        ("warmrestarts",),
        presets={"T_0": Preset("epochs/4", lambda epochs, rates: max(1, epochs // 4))},
        state_keys=("last_epoch", "T_cur", "T_i"),
        continuous=True,
        simple=SimpleRule(
            _warm_step,
            closed=lambda p, g, base, t: _warm_rate(p, t, g, base),
            chainable=False,
            vector=_warm_vector,
        ),
        pitfalls=_eta_min_floor,
    ),
)
