"""StepLR and MultiStepLR: the rate times ``gamma`` at set steps."""

from __future__ import annotations

from bisect import bisect_right

from lrviz.schedules.base import (
    Kind,
    Params,
    Part,
    Pitfall,
    Prediction,
    Preset,
    SimpleRule,
    Step,
    const,
)
from lrviz.text import number


def _step_lr(p: Params, s: Step) -> Prediction:
    step_size, gamma = p["step_size"], p["gamma"]
    if s.t % step_size:
        return Prediction(s.before)
    reason = f"{s.unit} {s.t} is a multiple of step_size {step_size}: rate x gamma {number(gamma)}"
    return Prediction(s.before * gamma, reason, {"step_size": step_size, "gamma": gamma})


def _multistep_lr(p: Params, s: Step) -> Prediction:
    marks, gamma = list(p["milestones"]), p["gamma"]
    count = marks.count(s.t)
    if not count:
        return Prediction(s.before)
    power = f"^{count} (listed {count} times)" if count > 1 else ""
    reason = f"{s.unit} {s.t} is a milestone of {marks}: rate x gamma {number(gamma)}{power}"
    return Prediction(s.before * gamma**count, reason, {"milestone": s.t, "gamma": gamma})


def _step_never_fires(part: Part) -> list[Pitfall]:
    step_size, n = part.params["step_size"], part.steps
    if step_size < n:
        return []
    return [
        Pitfall(
            f"{part.who} never fires: step_size={step_size} but it runs {n} {part.unit}s, so "
            f"no {part.unit} trains at a reduced rate"
        )
    ]


def _milestones_never_fire(part: Part) -> list[Pitfall]:
    marks, n = list(part.params["milestones"]), part.steps
    late = [m for m in marks if m >= n]
    if late and len(late) == len(marks):
        return [
            Pitfall(
                f"{part.who} never fires: every milestone of {marks} is at or after "
                f"{part.unit} {n}, the last it runs"
            )
        ]
    if late:
        return [
            Pitfall(
                f"{part.who} milestones {late} are at or after {part.unit} {n}, the last it "
                "runs, so they never take effect"
            )
        ]
    return []


KINDS = (
    Kind(
        "StepLR",
        ("step",),
        presets={"step_size": const(30), "gamma": const(0.1)},
        periods=("step_size",),
        simple=SimpleRule(
            _step_lr, closed=lambda p, g, base, t: base * p["gamma"] ** (t // p["step_size"])
        ),
        pitfalls=_step_never_fires,
    ),
    Kind(
        "MultiStepLR",
        ("multistep",),
        presets={
            "milestones": Preset(
                "[epochs/2, 3*epochs/4]",
                lambda epochs, rates: sorted({max(1, epochs // 2), max(1, 3 * epochs // 4)}),
            )
        },
        milestones=("milestones",),
        simple=SimpleRule(
            _multistep_lr,
            scale=lambda p, g: float(p["gamma"] ** list(p["milestones"]).count(0)),
            closed=lambda p, g, base, t: (
                base * p["gamma"] ** bisect_right(sorted(p["milestones"]), t)
            ),
        ),
        pitfalls=_milestones_never_fire,
        reader=lambda s: {"milestones": sorted(s.milestones.elements()), "gamma": s.gamma},
    ),
)
