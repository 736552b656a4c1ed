"""LambdaLR and MultiplicativeLR: the rate set by Python functions of the step.

The functions cannot be written as numbers, so these schedules are recorded (by
:class:`lrviz.Recorder`, or built by the frameworks' schedules), never built from a
SPEC. A trace names each function (a ``functools.partial``, as HuggingFace's schedules
are, by its function and keywords) and records what it returned at every step, read
from the live scheduler: the rule is then torch's formula over those factors, checked
against the rates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from lrviz.schedules.base import Kind, Prediction, Timeline, group_value, position
from lrviz.text import number


def factors(scheduler: Any, state: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """Each function's value at every recorded step (torch's ``last_epoch`` then)."""
    functions = scheduler.lr_lambdas
    return {"factor": [[float(f(t)) for f in functions] for t in state["last_epoch"]]}


def _unknown(timeline: Timeline, name: str) -> list[Prediction] | None:
    """Where the trace lacks what the functions returned: lrviz cannot tell."""
    if "factor" in timeline.state:
        return None
    function = timeline.params.get("lr_lambda")
    which = "function" if function is None else f"lr_lambda {group_value(function, timeline.group)}"
    reason = f"lrviz cannot check {name}'s {which}: the trace does not hold the values it returned"
    return [Prediction(math.nan, reason, unchecked=True)] * len(timeline.before)


def _counts(timeline: Timeline) -> list[float]:
    """torch's ``last_epoch`` after each step, the argument its functions were given: as
    recorded, else counted from where the recording began."""
    recorded = timeline.state.get("last_epoch")
    if recorded is None:
        return list(range(timeline.start + 1, timeline.start + len(timeline.before) + 1))
    return [
        t if (t := position(c)) is not None else timeline.start + k
        for k, c in enumerate(recorded, 1)
    ]


def _lambda_rule(timeline: Timeline) -> list[Prediction]:
    """LambdaLR: the rate after step t is base x lr_lambda(t) (torch's ``get_lr``)."""
    unknown = _unknown(timeline, "LambdaLR")
    if unknown is not None:
        return unknown
    p, g = timeline.params, timeline.group
    base = group_value(p["base_lr"], g)
    name = group_value(p["lr_lambda"], g)
    out = []
    for t, factors in zip(_counts(timeline), timeline.state["factor"], strict=True):
        factor = factors[g]
        t = int(t) if float(t).is_integer() else t
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
    unknown = _unknown(timeline, "MultiplicativeLR")
    if unknown is not None:
        return unknown
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
