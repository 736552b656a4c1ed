"""Pitfall warnings: schedule settings that quietly do something else than intended.

Pure functions of a trace (its parameters, its length, its rates and metrics). Each
check names the schedule, the numbers and what happens instead:

* StepLR / MultiStepLR that never fire within the epochs they run;
* ReduceLROnPlateau whose patience (and cooldown) leave no room to reduce in time;
* ``threshold_mode='rel'`` on a metric that goes negative (pytorch issue #47513);
* horizons (T_max, total_iters, total_steps, the cyclic period) that do not match
  the epochs the schedule runs;
* a floor (min_lr, eta_min) at or above the initial rate;
* a ReduceLROnPlateau rate driven to or below ``eps`` (within float round-off: 0.1
  reduced seven times by 0.1 is 1.0000000000000005e-08, which is eps for any reader).

Inside SequentialLR a child runs from its milestone to the next, so its horizon is
compared with that segment; inside ChainedScheduler every child runs every epoch.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from lrviz.explanation import same_rate
from lrviz.trace import Trace

MAX_DETAILS = 5
"""Per-seed details listed with one warning; the rest are counted."""


@dataclass(frozen=True)
class Pitfall:
    """One warning about one trace.

    Attributes:
        message: What is wrong, the same for every seed of a schedule.
        detail: What this trace showed (an epoch, a value), or "".
    """

    message: str
    detail: str = ""


@dataclass(frozen=True)
class _Part:
    """A schedule, or a composite's child, with the steps it runs."""

    name: str
    params: Mapping[str, Any]
    steps: int
    where: str


def find(trace: Trace) -> list[Pitfall]:
    """The pitfalls of one trace (checks whose parameters are missing are skipped)."""
    out: list[Pitfall] = []
    for part in _parts(trace):
        for check in (_never_fires, _horizon):
            out.extend(_safely(check, part))
    if trace.name == "ReduceLROnPlateau":
        out.extend(_safely(_plateau, trace))
    if trace.name in ("CosineAnnealingLR", "CosineAnnealingWarmRestarts"):
        out.extend(_safely(_eta_min, trace))
    return out


def messages(traces: Sequence[Trace]) -> list[str]:
    """One line per pitfall and schedule label; the seeds' details are joined."""
    found: dict[tuple[str, str], list[str]] = {}
    for trace in traces:
        for pitfall in find(trace):
            details = found.setdefault((trace.label, pitfall.message), [])
            if pitfall.detail:
                seed = "" if trace.seed is None else f"seed {trace.seed}: "
                details.append(seed + pitfall.detail)
    out = []
    for (label, message), details in found.items():
        if details:
            more = len(details) - MAX_DETAILS
            shown = "; ".join(details[:MAX_DETAILS]) + (f"; and {more} more" if more > 0 else "")
            message = f"{message} ({shown})"
        out.append(f"{label}: {message}")
    return out


def _safely(check: Any, subject: Any) -> list[Pitfall]:
    # Traces recorded elsewhere may lack a parameter; a check that cannot run says nothing.
    try:
        result: list[Pitfall] = check(subject)
    except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError):
        return []
    return result


def _parts(trace: Trace) -> Iterator[_Part]:
    epochs = len(trace.epochs)
    children = trace.params.get("schedulers")
    if not isinstance(children, list):
        yield _Part(trace.name, trace.params, epochs, "")
        return
    if trace.name == "SequentialLR":
        marks = list(trace.params["milestones"])
        lengths = [b - a for a, b in pairwise([0, *marks, epochs])]
    else:
        lengths = [epochs] * len(children)
    for i, (child, length) in enumerate(zip(children, lengths, strict=True), start=1):
        where = f"{trace.name} schedule {i} of {len(children)}, "
        yield _Part(child["name"], child["params"], max(length, 0), where)


def _never_fires(part: _Part) -> list[Pitfall]:
    p, n, who = part.params, part.steps, f"{part.where}{part.name}"
    if part.name == "StepLR" and p["step_size"] >= n:
        return [
            Pitfall(
                f"{who} never fires: step_size={p['step_size']} but it runs {n} epochs, so no "
                "epoch trains at a reduced rate"
            )
        ]
    if part.name == "MultiStepLR":
        marks = list(p["milestones"])
        late = [m for m in marks if m >= n]
        if late and len(late) == len(marks):
            return [
                Pitfall(
                    f"{who} never fires: every milestone of {marks} is at or after epoch {n}, the "
                    "last it runs"
                )
            ]
        if late:
            return [
                Pitfall(
                    f"{who} milestones {late} are at or after epoch {n}, the last it runs, so they "
                    "never take effect"
                )
            ]
    return []


def _horizon(part: _Part) -> list[Pitfall]:
    p, n, who = part.params, part.steps, f"{part.where}{part.name}"
    if part.name == "CosineAnnealingLR":
        period = p["T_max"]
        if period < n:
            return [
                Pitfall(
                    f"{who} T_max={period} is shorter than the {n} epochs it runs: after epoch "
                    f"{period} the cosine goes on and the rate climbs back up (period 2 x T_max); "
                    f"T_max={n} anneals once"
                )
            ]
        if period > n:
            left = (1 + math.cos(math.pi * n / period)) / 2
            return [
                Pitfall(
                    f"{who} T_max={period} is longer than the {n} epochs it runs: the rate "
                    f"stops {left:.0%} of the way from eta_min to the base rate instead of "
                    "reaching eta_min"
                )
            ]
    if part.name == "PolynomialLR":
        total = p["total_iters"]
        if total < n:
            return [
                Pitfall(
                    f"{who} total_iters={total} is shorter than the {n} epochs it runs: the rate "
                    f"reaches {'0' if p['power'] > 0 else 'its end'} at epoch {total} and stays "
                    f"there for the last {n - total} epochs"
                )
            ]
        if total > n:
            left = (1 - n / total) ** p["power"]
            return [
                Pitfall(
                    f"{who} total_iters={total} is longer than the {n} epochs it runs: the rate "
                    f"ends at {left:.0%} of the base rate instead of 0"
                )
            ]
    if part.name == "LinearLR" and p["total_iters"] > n:
        reached = p["start_factor"] + (p["end_factor"] - p["start_factor"]) * n / p["total_iters"]
        return [
            Pitfall(
                f"{who} total_iters={p['total_iters']} is longer than the {n} epochs it runs: the "
                f"factor stops at {reached:.4g} instead of end_factor {p['end_factor']:.4g}"
            )
        ]
    if part.name == "OneCycleLR":
        total = p["total_steps"] or p["epochs"] * p["steps_per_epoch"]
        if total > n:
            return [
                Pitfall(
                    f"{who} total_steps={total} is longer than the {n} epochs it runs: the "
                    "cycle is cut short and the rate never anneals to its minimum"
                )
            ]
    if part.name == "CyclicLR":
        up = p["step_size_up"]
        period = up + (p["step_size_down"] if p["step_size_down"] is not None else up)
        if period > n:
            return [
                Pitfall(
                    f"{who} one cycle takes {period:g} steps (step_size_up + step_size_down) "
                    f"but it runs {n} epochs, so no cycle completes (torch counts these in "
                    "batches; lrviz steps once per epoch)"
                )
            ]
    return []


def _plateau(trace: Trace) -> list[Pitfall]:
    p, n = trace.params, len(trace.epochs)
    patience, cooldown = p["patience"], p["cooldown"]
    out = []
    earliest = patience + 2
    if earliest >= n:
        out.append(
            Pitfall(
                f"ReduceLROnPlateau cannot reduce the rate in time: with patience={patience} "
                f"the earliest reduction comes at the end of epoch {earliest}, and the run has "
                f"{n} epochs"
            )
        )
    elif cooldown and earliest + cooldown + patience + 1 >= n:
        out.append(
            Pitfall(
                "ReduceLROnPlateau can reduce the rate at most once: after a reduction, "
                f"cooldown={cooldown} + patience={patience} mean the next comes "
                f"{cooldown + patience + 1} epochs later at the earliest (epoch "
                f"{earliest + cooldown + patience + 1}), after the {n} epochs run"
            )
        )
    for group, initial in enumerate(trace.initial_lr):
        floor = p["min_lr"][group] if isinstance(p["min_lr"], list) else p["min_lr"]
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


def _eta_min(trace: Trace) -> list[Pitfall]:
    eta_min = trace.params["eta_min"]
    return [
        Pitfall(
            f"{trace.name} eta_min {eta_min:.4g} is at or above the initial rate {initial:.4g} "
            f"of group {group}: annealing cannot lower that rate"
        )
        for group, initial in enumerate(trace.initial_lr)
        if eta_min >= initial
    ]
