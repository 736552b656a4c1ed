"""LinearLR, ConstantLR and PolynomialLR: a factor of the base rate that moves (or is held)
for ``total_iters`` steps, then stays."""

from __future__ import annotations

from typing import Any

from lrviz.schedules.base import (
    EPOCHS,
    Kind,
    Params,
    Part,
    Pitfall,
    Prediction,
    SimpleRule,
    Step,
)
from lrviz.text import number


def _linear_factor(p: Params, t: float) -> float:
    start, end, total = p["start_factor"], p["end_factor"], p["total_iters"]
    return float(start + (end - start) * min(total, t) / total)


def _linear_lr(p: Params, s: Step) -> Prediction:
    start, end, total = p["start_factor"], p["end_factor"], p["total_iters"]
    if s.t > total:
        return Prediction(s.before)
    lr = s.before * (1.0 + (end - start) / (total * start + (s.t - 1) * (end - start)))
    what = "warm-up" if end > start else "decay"
    reason = (
        f"linear {what}, step {s.t} of total_iters {total}: factor "
        f"{number(_linear_factor(p, s.t - 1))} -> {number(_linear_factor(p, s.t))} of the base "
        f"rate (start_factor {number(start)}, end_factor {number(end)})"
    )
    evidence: dict[str, Any] = {
        "phase": f"linear {what}",
        "step": s.t,
        "total_iters": total,
        "factor": _linear_factor(p, s.t),
    }
    if s.t == total:
        evidence["landmark"] = "end"
    return Prediction(lr, reason, evidence)


def _linear_vector(p: Params, group: int, base: float, t: Any, before: Any) -> Any:
    """:func:`_linear_lr`'s rate over arrays."""
    import numpy as np

    start, end, total = p["start_factor"], p["end_factor"], p["total_iters"]
    moved = before * (1.0 + (end - start) / (total * start + (t - 1) * (end - start)))
    return np.where(t > total, before, moved)


def _polynomial_vector(p: Params, group: int, base: float, t: Any, before: Any) -> Any:
    """:func:`_polynomial_lr`'s rate over arrays."""
    import numpy as np

    total, power = p["total_iters"], p["power"]
    moved = before * ((1.0 - t / total) / (1.0 - (t - 1) / total)) ** power
    return np.where(t > total, before, moved)


def _linear_pitfalls(part: Part) -> list[Pitfall]:
    p, n = part.params, part.steps
    if p["total_iters"] <= n:  # shorter than the run is a warm-up, not a pitfall
        return []
    reached = p["start_factor"] + (p["end_factor"] - p["start_factor"]) * n / p["total_iters"]
    return [
        Pitfall(
            f"{part.who} total_iters={p['total_iters']} is longer than the {n} {part.unit}s it "
            f"runs: the factor stops at {reached:.4g} instead of end_factor {p['end_factor']:.4g}"
        )
    ]


def _constant_lr(p: Params, s: Step) -> Prediction:
    factor, total = p["factor"], p["total_iters"]
    if s.t != total:
        return Prediction(s.before)
    reason = (
        f"{s.unit} {s.t} reached total_iters {total}: the factor {number(factor)} ends, "
        "rate x 1/factor"
    )
    return Prediction(s.before * (1.0 / factor), reason, {"factor": factor, "total_iters": total})


def _polynomial_lr(p: Params, s: Step) -> Prediction:
    total, power = p["total_iters"], p["power"]
    if s.t > total:
        return Prediction(s.before)
    lr = s.before * ((1.0 - s.t / total) / (1.0 - (s.t - 1) / total)) ** power
    reason = (
        f"polynomial decay, step {s.t} of total_iters {total}: rate = base x "
        f"(1 - {s.t}/{total})^{number(power)}"
    )
    evidence: dict[str, Any] = {
        "phase": "polynomial decay",
        "step": s.t,
        "total_iters": total,
        "power": power,
    }
    if s.t == total:
        evidence["landmark"] = "end"
    return Prediction(lr, reason, evidence)


def _polynomial_pitfalls(part: Part) -> list[Pitfall]:
    total, power, n = part.params["total_iters"], part.params["power"], part.steps
    if total < n:
        return [
            Pitfall(
                f"{part.who} total_iters={total} is shorter than the {n} {part.unit}s it runs: the "
                f"rate reaches {'0' if power > 0 else 'its end'} at {part.unit} {total} and "
                f"stays there for the last {n - total} {part.unit}s"
            )
        ]
    if total > n:
        left = (1 - n / total) ** power
        return [
            Pitfall(
                f"{part.who} total_iters={total} is longer than the {n} {part.unit}s it runs: the "
                f"rate ends at {left:.0%} of the base rate instead of 0"
            )
        ]
    return []


KINDS = (
    Kind(
        "LinearLR",
        ("linear",),
        continuous=True,
        simple=SimpleRule(
            _linear_lr,
            vector=_linear_vector,
            scale=lambda p, g: float(p["start_factor"]),
            closed=lambda p, g, base, t: base * _linear_factor(p, t),
        ),
        pitfalls=_linear_pitfalls,
    ),
    Kind(
        "ConstantLR",
        ("constant",),
        simple=SimpleRule(
            _constant_lr,
            scale=lambda p, g: float(p["factor"]),
            closed=lambda p, g, base, t: (
                base * (p["factor"] + (t >= p["total_iters"]) * (1 - p["factor"]))
            ),
        ),
    ),
    Kind(
        "PolynomialLR",
        ("poly",),
        presets={"total_iters": EPOCHS},
        continuous=True,
        periods=("total_iters",),
        simple=SimpleRule(
            _polynomial_lr,
            vector=_polynomial_vector,
            closed=lambda p, g, base, t: (
                base * (1.0 - min(p["total_iters"], t) / p["total_iters"]) ** p["power"]
            ),
        ),
        pitfalls=_polynomial_pitfalls,
    ),
)
