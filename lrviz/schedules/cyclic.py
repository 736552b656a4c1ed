"""CyclicLR and OneCycleLR: the rate (and momentum) cycled between two bounds, computed
from the step count alone."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from lrviz.schedules.base import (
    LR,
    Kind,
    Params,
    Part,
    Pitfall,
    Prediction,
    Preset,
    SimpleRule,
    Step,
    closed_form,
    group_value,
    per_group,
)
from lrviz.text import count, number
from lrviz.trace import Trace

# -- CyclicLR ---------------------------------------------------------------------------


def _cyclic_position(p: Params, t: float) -> tuple[int, float, float, float]:
    """(cycle, x, step_ratio, scale_factor) after step t, as torch's CyclicLR computes them."""
    up = float(p["step_size_up"])
    down = float(p["step_size_down"]) if p["step_size_down"] is not None else up
    total = up + down
    ratio = up / total
    cycle = math.floor(1 + t / total)
    x = 1.0 + t / total - cycle
    scale = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
    return cycle, x, ratio, scale


def _cyclic_amplitude(p: Params, t: float, cycle: int) -> float:
    """torch's scale_fn for the built-in modes (mode decides the scale_mode)."""
    if p["mode"] == "triangular2":
        return float(1 / (2.0 ** (cycle - 1)))
    if p["mode"] == "exp_range":
        return float(p["gamma"] ** t)
    return 1.0


def _cyclic_rate(p: Params, t: float, group: int, base: float) -> float:
    cycle, _, _, scale = _cyclic_position(p, t)
    low, high = group_value(p["base_lr"], group), group_value(p["max_lr"], group)
    return float(low + (high - low) * scale * _cyclic_amplitude(p, t, cycle))


def _cyclic_words(
    p: Params, t: float, group: int, amplitude: float, scaled: str
) -> tuple[str, dict[str, Any]]:
    """A step of CyclicLR in words, with the amplitude its scale function gave."""
    cycle, x, ratio, _ = _cyclic_position(p, t)
    up = p["step_size_up"]
    down = p["step_size_down"] if p["step_size_down"] is not None else up
    low, high = group_value(p["base_lr"], group), group_value(p["max_lr"], group)
    into = t - (cycle - 1) * (up + down)
    how = p["mode"] if p.get("scale_fn") is None else f"scale_fn {p['scale_fn']}"
    if into == 0:
        reason = (
            f"cyclic ({how}): cycle {cycle - 1} is over, back at base_lr {number(low)}; "
            f"cycle {cycle} begins"
        )
    else:
        half = (
            f"rising, step {into} of step_size_up {up}"
            if x <= ratio
            else f"falling, step {into - up} of step_size_down {down}"
        )
        reason = (
            f"cyclic ({how}), cycle {cycle}: {half} between base_lr {number(low)} and "
            f"max_lr {number(high)}{scaled}"
        )
    return reason, {
        "phase": f"cycle {cycle}, {'rising' if 0 < x <= ratio else 'falling'}",
        "cycle": cycle,
        "mode": p["mode"] if p.get("scale_fn") is None else p["scale_fn"],
        "base_lr": low,
        "max_lr": high,
        "amplitude": amplitude,
    }


def _cyclic_vector(p: Params, group: int, base: float, t: Any, before: Any) -> Any:
    """:func:`_cyclic_rate` over an array of counts (the built-in modes only)."""
    import numpy as np

    if p.get("scale_fn") is not None:
        return None
    up = float(p["step_size_up"])
    down = float(p["step_size_down"]) if p["step_size_down"] is not None else up
    total = up + down
    ratio = up / total
    cycle = np.floor(1 + t / total)
    x = 1.0 + t / total - cycle
    scale = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
    amplitude: Any = 1.0
    if p["mode"] == "triangular2":
        amplitude = 1 / (2.0 ** (cycle - 1))
    elif p["mode"] == "exp_range":
        amplitude = p["gamma"] ** t
    low, high = group_value(p["base_lr"], group), group_value(p["max_lr"], group)
    return low + (high - low) * scale * amplitude


def _cyclic_describe(p: Params, t: float, group: int, unit: str) -> tuple[str, dict[str, Any]]:
    cycle = _cyclic_position(p, t)[0]
    amplitude = _cyclic_amplitude(p, t, cycle)
    scaled = f", amplitude x {number(amplitude)}" if amplitude != 1.0 else ""
    return _cyclic_words(p, t, group, amplitude, scaled)


_cyclic_formula = closed_form("CyclicLR", _cyclic_rate, _cyclic_describe, turns=True)


def _cyclic_step(p: Params, s: Step) -> Prediction:
    """The built-in modes by their formula; a scale_fn of one's own by the values it
    returned, as recorded (lrviz cannot evaluate the function itself)."""
    name = p.get("scale_fn")
    if name is None:
        return _cyclic_formula(p, s)
    amplitude = s.state.get("scale")
    if not isinstance(amplitude, int | float):
        return Prediction(
            math.nan,
            f"lrviz cannot check CyclicLR's scale_fn {name}: the trace does not hold the "
            "values it returned",
            unchecked=True,
        )
    cycle, _, _, scale = _cyclic_position(p, s.t)
    low, high = group_value(p["base_lr"], s.group), group_value(p["max_lr"], s.group)
    at = f"cycle {cycle}" if p["scale_mode"] == "cycle" else f"{number(s.t)}"
    reason, evidence = _cyclic_words(
        p, s.t, s.group, amplitude, f", amplitude x scale_fn({at}) = {number(amplitude)}"
    )
    return Prediction(float(low + (high - low) * scale * amplitude), reason, evidence)


def scales(scheduler: Any, state: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """What a scale_fn of one's own returned at every recorded step (torch gives it the
    cycle number, or ``last_epoch`` with scale_mode "iterations")."""
    if scheduler._scale_fn_custom is None:
        return {}
    out = []
    for t in state["last_epoch"]:
        x = math.floor(1 + t / scheduler.total_size) if scheduler.scale_mode == "cycle" else t
        out.append(float(scheduler.scale_fn(x)))
    return {"scale": out}


def _cyclic_pitfalls(part: Part) -> list[Pitfall]:
    up = part.params["step_size_up"]
    down = part.params["step_size_down"]
    period = up + (down if down is not None else up)
    if period <= part.steps:
        return []
    return [
        Pitfall(
            f"{part.who} one cycle takes {period:g} steps (step_size_up + step_size_down) "
            f"but it runs {part.steps} {part.unit}s, so no cycle completes (torch counts these in "
            "batches; lrviz steps once per epoch)"
        )
    ]


_CYCLIC_SCALE_MODE = {"triangular": "cycle", "triangular2": "cycle", "exp_range": "iterations"}


def _same_for_all(values: Any) -> float | list[float]:
    """torch expands a single momentum to every group; fold it back when they agree."""
    return values[0] if len(set(values)) == 1 else list(values)


def _round(x: float) -> float:
    return float(f"{x:.12g}")


def _read_cyclic(s: Any) -> dict[str, Any]:
    from lrviz.recorder import describe_function
    from lrviz.resolve import torch_defaults  # the torch defaults of arguments not cycled

    up = _round(s.total_size * s.step_ratio)
    down = _round(s.total_size - up)
    defaults = torch_defaults(CYCLIC)
    custom = s._scale_fn_custom
    # torch ignores mode (and gamma) when given a scale_fn: record the function instead.
    how = {"mode": s.mode, "gamma": s.gamma}
    if custom is not None:
        how = {"mode": None, "gamma": None, "scale_fn": describe_function(custom)}
    return {
        "base_lr": per_group(s.base_lrs),
        "max_lr": per_group(s.max_lrs),
        "step_size_up": int(up) if up.is_integer() else up,
        "step_size_down": None if down == up else (int(down) if down.is_integer() else down),
        **how,
        "scale_mode": s.scale_mode,
        "cycle_momentum": s.cycle_momentum,
        "base_momentum": (
            _same_for_all(s.base_momentums) if s.cycle_momentum else defaults["base_momentum"]
        ),
        "max_momentum": (
            _same_for_all(s.max_momentums) if s.cycle_momentum else defaults["max_momentum"]
        ),
    }


CYCLIC = Kind(
    "CyclicLR",
    ("cyclic",),
    presets={
        "base_lr": Preset("lr/10", lambda epochs, rates: per_group([r / 10 for r in rates])),
        "max_lr": LR,
        "step_size_up": Preset("epochs/10", lambda epochs, rates: max(1, epochs // 10)),
    },
    continuous=True,
    cycles_momentum=True,
    child=False,
    hidden=("scale_fn",),
    per_group=("base_lr", "max_lr", "base_momentum", "max_momentum"),
    per_batch=True,
    simple=SimpleRule(_cyclic_step, chainable=False, vector=_cyclic_vector),
    pitfalls=_cyclic_pitfalls,
    reader=_read_cyclic,
    derived_state=scales,
    # torch sets scale_mode from mode (without a scale_fn): record what it uses.
    derived=lambda p: (
        {"scale_mode": _CYCLIC_SCALE_MODE[p["mode"]]} if p["mode"] in _CYCLIC_SCALE_MODE else {}
    ),
)

# -- OneCycleLR -------------------------------------------------------------------------


def _one_cycle_phases(p: Params, group: int) -> list[tuple[float, float, float, str]]:
    """(end_step, start_lr, end_lr, name) per phase, as torch's OneCycleLR builds them."""
    total = p["total_steps"] if p["total_steps"] is not None else p["epochs"] * p["steps_per_epoch"]
    max_lr = group_value(p["max_lr"], group)
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


_PHASES: dict[tuple[int, int], tuple[Params, list[tuple[float, float, float, str]]]] = {}
"""The phases of the last few parameter sets, by identity: a million steps ask for them a
million times."""


def _phases_of(p: Params, group: int) -> list[tuple[float, float, float, str]]:
    known = _PHASES.get((id(p), group))
    if known is not None and known[0] is p:
        return known[1]
    if len(_PHASES) > 16:
        _PHASES.clear()
    phases = _one_cycle_phases(p, group)
    _PHASES[(id(p), group)] = (p, phases)
    return phases


def _one_cycle_at(p: Params, t: float, group: int) -> tuple[float, float, int]:
    """(rate, pct, phase index) after step t."""
    phases = _phases_of(p, group)
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


def _one_cycle_vector(p: Params, group: int, base: float, t: Any, before: Any) -> Any:
    """:func:`_one_cycle_at`'s rate over an array of counts."""
    import numpy as np

    phases = _phases_of(p, group)
    lr = np.empty_like(t)
    done = np.zeros(t.shape, dtype=bool)
    start_step = 0.0
    for i, (end_step, start_lr, end_lr, _) in enumerate(phases):
        here = ~done & ((t <= end_step) | (i == len(phases) - 1))
        pct = (t[here] - start_step) / (end_step - start_step)
        if p["anneal_strategy"] == "cos":
            lr[here] = end_lr + (start_lr - end_lr) / 2.0 * (np.cos(math.pi * pct) + 1)
        else:
            lr[here] = (end_lr - start_lr) * pct + start_lr
        done |= here
        start_step = end_step
    return lr


def _one_cycle_rate(p: Params, t: float, group: int, base: float) -> float:
    return _one_cycle_at(p, t, group)[0]


def _one_cycle_describe(p: Params, t: float, group: int, unit: str) -> tuple[str, dict[str, Any]]:
    _, pct, index = _one_cycle_at(p, t, group)
    end_step, start_lr, end_lr, name = _phases_of(p, group)[index]
    reason = (
        f"one-cycle {name} (phase {index + 1}, to step {number(end_step)}): {pct:.0%} of the "
        f"way from {number(start_lr)} to {number(end_lr)} ({p['anneal_strategy']})"
    )
    total = total_steps(p)
    if t >= total:  # no update of the cycle uses this rate: the cycle is over
        lr = _one_cycle_rate(p, t, group, 0.0)
        return (
            f"after its last step (total_steps={total}) OneCycleLR left the rate at "
            f"{number(lr)} (torch extrapolates past total_steps): no update of the cycle uses it"
        ), {"landmark": "past the end", "pct": pct, "total_steps": total}
    return reason, {
        "phase": f"one-cycle {name}",
        "pct": pct,
        "from": start_lr,
        "to": end_lr,
    }


def total_steps(p: Params) -> int:
    """OneCycleLR's cycle length: ``total_steps``, else ``epochs * steps_per_epoch``."""
    total: int = p["total_steps"] or p["epochs"] * p["steps_per_epoch"]
    return total


def _one_cycle_limit(p: Params) -> tuple[int, str]:
    """torch's OneCycleLR refuses a step past its cycle: ``total_steps`` of them."""
    if p["total_steps"]:
        return p["total_steps"], f"total_steps={p['total_steps']}"
    total = total_steps(p)
    return total, f"epochs={p['epochs']} x steps_per_epoch={p['steps_per_epoch']} = {total}"


def _one_cycle_pitfalls(part: Part) -> list[Pitfall]:
    total, n = total_steps(part.params), part.steps
    if total <= n:
        return [
            Pitfall(
                f"after its last step (total_steps={total}) OneCycleLR left the rate of group "
                f"{group} at {number(lr)} (torch extrapolates past total_steps), and the loop "
                f"went on: {count(used, 'optimizer update')} used a negative rate"
            )
            for group, lr in enumerate(part.trace.final_lr)
            if lr < 0 and (used := _negative_updates(part.trace, group))
        ]
    covered = f"covering {n} of its {total} steps ({n / total:.0%})"
    busy = any(n > 1 for n in part.trace.updates())  # lrviz.misuse says what that means
    if part.unit == "epoch" and part.trace.meta.get("source") == "record" and not busy:
        # A loop of one's own stepped it per epoch; lrviz run's epochs are one update each.
        return [
            Pitfall(
                f"{part.who} is a per-batch schedule (total_steps={total}) stepped once per "
                f"epoch, {covered}: the cycle is cut short and the rate never anneals to its "
                "minimum; step it after every optimizer step"
            )
        ]
    return [
        Pitfall(
            f"{part.who} total_steps={total} is longer than the {n} {part.unit}s it runs, "
            f"{covered}: "
            "the cycle is cut short and the rate never anneals to its minimum"
        )
    ]


def _negative_updates(trace: Trace, group: int) -> int:
    """The optimizer updates that used a negative rate of ``group``."""
    rates = trace.rates(group)
    return sum(u for r, u in zip(rates, trace.updates(), strict=False) if r < 0)


def _read_one_cycle(s: Any) -> dict[str, Any]:
    from lrviz.resolve import torch_defaults

    groups = s.optimizer.param_groups
    defaults = torch_defaults(ONE_CYCLE)
    first = groups[0]
    return {
        "max_lr": per_group([g["max_lr"] for g in groups]),
        "total_steps": s.total_steps,
        "epochs": None,
        "steps_per_epoch": None,
        "pct_start": _round((s._schedule_phases[0]["end_step"] + 1) / s.total_steps),
        "anneal_strategy": s._anneal_func_type,
        "cycle_momentum": s.cycle_momentum,
        "base_momentum": (
            _same_for_all([g["base_momentum"] for g in groups])
            if s.cycle_momentum
            else defaults["base_momentum"]
        ),
        "max_momentum": (
            _same_for_all([g["max_momentum"] for g in groups])
            if s.cycle_momentum
            else defaults["max_momentum"]
        ),
        "div_factor": _round(first["max_lr"] / first["initial_lr"]),
        "final_div_factor": _round(first["initial_lr"] / first["min_lr"]),
        "three_phase": len(s._schedule_phases) == 3,
    }


ONE_CYCLE = Kind(
    "OneCycleLR",
    ("onecycle",),
    presets={
        "max_lr": LR,
        "total_steps": Preset(
            "epochs", lambda epochs, rates: epochs, unless=("epochs", "steps_per_epoch")
        ),
    },
    continuous=True,
    cycles_momentum=True,
    child=False,
    per_group=("max_lr", "base_momentum", "max_momentum"),
    per_batch=True,
    simple=SimpleRule(
        closed_form("OneCycleLR", _one_cycle_rate, _one_cycle_describe, turns=True),
        chainable=False,
        vector=_one_cycle_vector,
    ),
    pitfalls=_one_cycle_pitfalls,
    reader=_read_one_cycle,
    limit=_one_cycle_limit,
)

KINDS = (CYCLIC, ONE_CYCLE)
