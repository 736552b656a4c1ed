"""LambdaLR and MultiplicativeLR: the rate set by Python functions of the step.

The functions cannot be written as numbers, so these schedules are recorded (by
:class:`lrviz.Recorder`, or built by the frameworks' schedules), never built from a
SPEC. A trace names each function (a ``functools.partial``, as HuggingFace's schedules
are, by its function and keywords) and records what it returned at every step, read
from the live scheduler: the rule is then torch's formula over those factors, checked
against the rates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lrviz.schedules.base import Kind, Prediction, Timeline, group_value
from lrviz.text import number


def factors(scheduler: Any, state: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """Each function's value at every recorded step (torch's ``last_epoch`` then)."""
    functions = scheduler.lr_lambdas
    return {"factor": [[float(f(t)) for f in functions] for t in state["last_epoch"]]}


def _lambda_rule(timeline: Timeline) -> list[Prediction]:
    """LambdaLR: the rate after step t is base x lr_lambda(t) (torch's ``get_lr``)."""
    p, g = timeline.params, timeline.group
    base = group_value(p["base_lr"], g)
    name = group_value(p["lr_lambda"], g)
    out = []
    for t, factors in zip(_counts(timeline), timeline.state["factor"], strict=True):
        factor = factors[g]
        lr = base * factor
        reason = (
            f"LambdaLR, {timeline.unit} {t}: rate = base {number(base)} x lr_lambda({t}) = "
            f"{number(factor)}, lr_lambda = {name}"
        )
        rule = f"rate = base x lr_lambda(t), lr_lambda = {name}"
        out.append(Prediction(lr, reason, {"factor": factor, "base": base, "rule": rule}))
    return out


def _multiplicative_rule(timeline: Timeline) -> list[Prediction]:
    """MultiplicativeLR: the rate after step t is the rate before it x lr_lambda(t)."""
    p, g = timeline.params, timeline.group
    name = group_value(p["lr_lambda"], g)
    out = []
    steps = zip(_counts(timeline), timeline.before, timeline.state["factor"], strict=True)
    for t, before, factors in steps:
        factor = factors[g]
        reason = (
            f"MultiplicativeLR, {timeline.unit} {t}: rate x lr_lambda({t}) = {number(factor)}, "
            f"lr_lambda = {name}"
        )
        rule = f"rate x lr_lambda(t) every step, lr_lambda = {name}"
        out.append(Prediction(before * factor, reason, {"factor": factor, "rule": rule}))
    return out


def _counts(timeline: Timeline) -> Sequence[Any]:
    """torch's ``last_epoch`` after each step, the argument its functions were given
    (counted from where the recording began, when not recorded)."""
    n = len(timeline.before)
    return timeline.state.get("last_epoch") or range(timeline.start + 1, timeline.start + n + 1)


def _read(scheduler: Any) -> dict[str, Any]:
    from lrviz.recorder import describe_function

    names = [describe_function(f) for f in scheduler.lr_lambdas]
    bases = list(scheduler.base_lrs)
    return {
        "lr_lambda": names[0] if len(set(names)) == 1 else names,
        "base_lr": bases[0] if len(set(bases)) == 1 else bases,
    }


KINDS = (
    Kind(
        "LambdaLR",
        continuous=None,
        child=False,
        functional=True,
        rule=_lambda_rule,
        reader=_read,
        derived_state=factors,
    ),
    Kind(
        "MultiplicativeLR",
        continuous=None,
        child=False,
        functional=True,
        rule=_multiplicative_rule,
        reader=_read,
        derived_state=factors,
    ),
)
