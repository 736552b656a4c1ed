"""ExponentialLR: the rate times ``gamma`` at every step."""

from __future__ import annotations

from lrviz.schedules.base import Kind, Params, Prediction, SimpleRule, Step, const
from lrviz.text import number


def _exponential_lr(p: Params, s: Step) -> Prediction:
    gamma = p["gamma"]
    return Prediction(
        s.before * gamma,
        f"every {s.unit}: rate x gamma {number(gamma)}",
        {"phase": "exponential decay", "gamma": gamma},
    )


KINDS = (
    Kind(
        "ExponentialLR",
        ("exp",),
        presets={"gamma": const(0.95)},
        continuous=True,
        simple=SimpleRule(
            _exponential_lr,
            closed=lambda p, g, base, t: base * p["gamma"] ** t,
            vector=lambda p, g, base, t, before: before * p["gamma"],
        ),
    ),
)
