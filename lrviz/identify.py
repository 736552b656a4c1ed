"""Which schedule made a logged rate series: a SPEC and a rate that reproduce it.

From the rates alone (logged every N steps, with gaps, perhaps rounded to float32), the
phases (:mod:`lrviz.phases`) suggest candidates, each family's numbers are read off the
phases in closed form, and every candidate is then *verified*: simulated by torch
through :func:`lrviz.simulate` and compared with the logged rates. Only a candidate whose
largest relative error is within the float tolerance is named; otherwise nothing is,
and the phases seen are described instead. Never a wrong family: a name is only said
with the simulation that reproduces the log.

Families read off the phases: constant, StepLR, MultiStepLR (drops by one factor at
irregular steps, told as consistent with ReduceLROnPlateau), ConstantLR, ExponentialLR,
LinearLR, PolynomialLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, OneCycleLR
(cosine or linear), CyclicLR (triangular), HF's linear, cosine, constant and inverse
square root schedules after a warm-up from 0, and SequentialLR of a LinearLR warm-up
then a cosine, an exponential decay or a constant. Logged steps may count from 0 or
from 1; both are tried and the simplest family found is named.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

from lrviz.phases import FLOAT32_REL_TOL, FLOOR, REL_TOL, Phase, describe, find_phases
from lrviz.text import number

__all__ = ["Identification", "identify", "identify_trace"]

ACCEPT = 1e-8
"""The largest relative error a verified candidate may have on rates computed in
double precision (its parameters are read from the rates, so a little above round-off)."""

ACCEPT_FLOAT32 = 2e-6
"""The same for rates logged as float32 (each off by up to 6e-8, and the parameters
read from them by a little more)."""

NEAR = 1e-3
"""A candidate this close has the right shape; its real numbers (read off phases fitted
to rounded rates) are refined against the simulation before it is judged."""

Candidate = tuple[str, float, str]  # SPEC, initial rate, note

REAL = re.compile(r"(?<==)-?\d+\.\d*(?:e-?\d+)?")
"""A real number in a SPEC (``gamma=0.95``, ``eta_min=1e-05`` written as ``1e-05`` has no
dot and stays as it is, as do whole numbers)."""


@dataclass(frozen=True)
class Identification:
    """What :func:`identify` found.

    Attributes:
        spec: The SPEC whose simulation reproduces the rates, or None: no known schedule
            fits.
        lr: The initial rate to simulate it with (``lrviz simulate --lr``).
        max_rel_error: Its largest relative error over the logged rates.
        offset: Logged step ``s`` is the rate before scheduler step ``s - offset + 1``
            (0: steps counted from 0; 1: from 1).
        phases: The phases seen in the rates.
        note: What else the rates are consistent with (ReduceLROnPlateau for drops
            at irregular steps), or "".
    """

    spec: str | None
    lr: float | None
    max_rel_error: float | None
    offset: int
    phases: tuple[Phase, ...]
    note: str = ""

    def text(self) -> str:
        """The finding in words, for the console."""
        if self.spec is None or self.lr is None or self.max_rel_error is None:
            return f"no known schedule fits; phases seen: {describe(self.phases)}"
        out = (
            f"{self.spec} with lr={self.lr!r} reproduces the logged rates (largest "
            f"relative error {self.max_rel_error:.2g})"
        )
        return out + (f"; {self.note}" if self.note else "")


def identify(
    steps: Sequence[int] | npt.ArrayLike,
    rates: Sequence[float] | npt.ArrayLike,
    *,
    float32: bool = False,
    counted_from: int | None = None,
) -> Identification:
    """Find a schedule SPEC and initial rate that reproduce logged rates.

    Args:
        steps: The step of each logged rate, increasing (from 0 or 1; every Nth step,
            with gaps, is fine).
        rates: The rate logged at each step.
        float32: The rates were logged as float32 (TensorBoard, a tensor).
        counted_from: 1 when step ``s`` is known to hold the rate the update of step
            ``s`` used (an imported trace's steps), 0 when the steps count scheduler
            steps from 0; None: both are tried.

    Raises:
        ValueError: Fewer than 2 rates, not one increasing non-negative whole step per
            rate, a rate that is not finite, or ``counted_from`` not 0, 1 or None.
    """
    pos = np.array(steps, dtype=np.float64)
    x = np.array(rates, dtype=np.float64)
    if x.ndim != 1 or x.size < 2 or pos.shape != x.shape:
        raise ValueError(
            f"steps and rates must be two sequences of the same length >= 2, got "
            f"{pos.size} steps and {x.size} rates"
        )
    if not (np.all(np.diff(pos) > 0) and pos[0] >= 0 and np.all(pos == np.round(pos))):
        raise ValueError("steps must be increasing whole numbers >= 0")
    if not np.all(np.isfinite(x)):
        raise ValueError("rates must be finite numbers")
    if counted_from not in (0, 1, None):
        raise ValueError(f"counted_from must be 0, 1 or None, got {counted_from!r}")
    rel_tol = FLOAT32_REL_TOL if float32 else REL_TOL
    accept = ACCEPT_FLOAT32 if float32 else ACCEPT
    found: list[tuple[int, int, Identification]] = []
    refused: Identification | None = None
    offsets = (0, 1) if pos[0] >= 1 else (0,)
    for offset in offsets if counted_from is None else (counted_from,):
        index = (pos - offset).astype(np.int64)
        phases = tuple(find_phases(x, steps=index, rel_tol=rel_tol))
        refused = refused or Identification(None, None, None, offset, phases)
        for spec, lr, note in _candidates(index, x, phases, rel_tol):
            error = _error(spec, lr, index, x, give_up=NEAR)
            if error is not None and accept < error <= NEAR:
                spec, lr = _refine(spec, lr, index, x)
                error = _error(spec, lr, index, x)
            if error is not None and error <= accept:
                found.append(
                    (_rank(spec), offset, Identification(spec, lr, error, offset, phases, note))
                )
                break
    if found:
        return min(found, key=lambda f: f[:2])[2]
    assert refused is not None
    return refused


FAMILIES = ("constant", "step", "exp", "linear", "poly", "cosine", "multistep")
"""Families named before others when several reproduce a log (the step counted from 0
or from 1): the simplest first."""


def _rank(spec: str) -> int:
    name = spec.split(":", 1)[0]
    return FAMILIES.index(name) if name in FAMILIES else len(FAMILIES)


def identify_trace(trace: Any) -> str:
    """``lrviz identify TRACE``: the schedule that reproduces a trace's rates (group 0),
    in words for the console.

    Args:
        trace: A :class:`lrviz.trace.Trace`.
    """
    rates = trace.rates(0)[:-1]
    groups = (trace.optimizer or {}).get("groups", [])
    float32 = "float32" in str(trace.meta.get("rates", "")) or (
        bool(groups) and groups[0].get("lr_dtype") in ("float32", "float16", "bfloat16")
    )
    at = None if trace.steps is None else trace.steps.at
    if at is None:  # entry k: the rate the update of step k + 1 used
        found = identify(range(1, len(rates) + 1), rates, float32=float32, counted_from=1)
    else:  # as logged: a plain SummaryWriter or table says nothing of what a step counts
        found = identify(at, rates, float32=float32)
    return f"{trace.label}: {found.text()}"


def _error(
    spec: str,
    lr: float,
    index: npt.NDArray[np.int64],
    x: npt.NDArray[np.float64],
    give_up: float = math.inf,
) -> float | None:
    """The largest relative error of a candidate's simulation on the logged rates, or
    None when torch refuses the candidate or it is off by more than ``give_up``."""
    errors = _errors(spec, lr, index, x, give_up)
    return None if errors is None else float(np.max(np.abs(errors)))


CHUNK = 1 << 14
"""Scheduler steps simulated between two comparisons with the log."""


def _errors(
    spec: str,
    lr: float,
    index: npt.NDArray[np.int64],
    x: npt.NDArray[np.float64],
    give_up: float = math.inf,
) -> npt.NDArray[np.float64] | None:
    """The relative error of a candidate's simulation at each logged rate: torch's
    scheduler stepped ``index[-1] + 1`` times on the dummy optimizer of
    :func:`lrviz.simulate` (which gives the same rates, but records far more than the
    rate at each step); None when torch refuses the candidate, or when, a chunk of steps
    at a time, a logged rate is off by more than ``give_up``."""
    from lrviz import schedules  # torch, only once a candidate is verified
    from lrviz.resolve import resolve
    from lrviz.simulation import dummy_optimizer
    from lrviz.spec import as_spec
    from lrviz.torchbridge import build

    last = int(index[-1]) + 1  # the steps lrviz simulate --epochs index[-1] + 1 takes
    try:
        parsed = as_spec(spec)
        params = resolve(parsed, last, (lr,))
        if parsed.kind.needs_metric or schedules.too_many_steps(parsed.kind, params, last, ""):
            return None
        optimizer = dummy_optimizer("adam", [lr])
        scheduler = build(parsed.kind, params, optimizer)
    except (ValueError, TypeError):
        return None
    group = optimizer.param_groups[0]
    simulated = np.empty(last + 1)
    scale = np.maximum(np.abs(x), FLOOR * float(np.max(np.abs(x))))
    errors = np.empty_like(x)
    compared = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's "step() before optimizer.step()"
        for begin in range(0, last + 1, CHUNK):
            end = min(begin + CHUNK, last + 1)
            try:
                for t in range(begin, end):
                    simulated[t] = group["lr"]
                    if t < last:
                        scheduler.step()
            except (ValueError, TypeError, ZeroDivisionError, OverflowError):
                return None
            upto = int(np.searchsorted(index, end))
            here = slice(compared, upto)
            errors[here] = (simulated[index[here]] - x[here]) / scale[here]
            if upto > compared and float(np.max(np.abs(errors[here]))) > give_up:
                return None
            compared = upto
    return errors


def _refine(
    spec: str, lr: float, index: npt.NDArray[np.int64], x: npt.NDArray[np.float64]
) -> tuple[str, float]:
    """A near candidate's rate and real parameters (but the 0s and 1s, which are part
    of its shape) refined by Gauss-Newton on the relative errors of its simulation."""
    found = [m for m in REAL.finditer(spec) if float(m.group()) not in (0.0, 1.0)]

    def build(theta: npt.NDArray[np.float64]) -> tuple[str, float]:
        out, at = [], 0
        for m, value in zip(found, theta[1:], strict=True):
            out += [spec[at : m.start()], repr(float(value))]
            at = m.end()
        return "".join([*out, spec[at:]]), float(theta[0])

    theta = np.array([lr, *(float(m.group()) for m in found)])
    for _ in range(3):
        base = _errors(*build(theta), index, x)
        if base is None:
            break
        columns = []
        for j in range(theta.size):
            moved = theta.copy()
            moved[j] += 1e-7 * abs(theta[j]) or 1e-12
            errors = _errors(*build(moved), index, x)
            if errors is None:
                return build(theta)
            columns.append((errors - base) / (moved[j] - theta[j]))
        delta, *_ = np.linalg.lstsq(np.stack(columns, axis=1), -base, rcond=None)
        theta = theta + delta
    return build(theta)


# -- candidates, read off the phases ------------------------------------------------------


def _candidates(
    index: npt.NDArray[np.int64],
    x: npt.NDArray[np.float64],
    phases: Sequence[Phase],
    rel_tol: float,
) -> Iterator[Candidate]:
    """Candidate SPECs, simplest first, with their numbers read off the phases."""
    kinds = [p.kind for p in phases]
    first = phases[0]
    start = float(first.value(0)[()])  # the rate at step 0, logged or not
    if kinds == ["constant"]:
        yield "constant:factor=1.0,total_iters=0", first.start_rate, ""
    if len(phases) > 1 and set(kinds) == {"constant"}:
        yield from _drops(phases)
    if kinds == ["exponential"]:
        yield f"exp:gamma={first.params['ratio']!r}", start, ""
    if kinds[0] == "linear":
        yield from _linear(phases, start, int(index[-1]))
    # A lone rate (a gap next to it, or a turn between logged steps) is no phase of a
    # schedule that moves: the shapes around it are.
    moving = [p for p in phases if p.start != p.end] or list(phases)
    start = float(moving[0].value(0)[()])
    if moving[0].kind == "cosine":
        yield from _cosines(moving, start, rel_tol)
    yield from _warm_up(moving if len(moving) > 1 else phases, start, rel_tol)
    yield from _cycles(moving, start, int(index[-1]))
    yield from _polynomial(index, x)


def _drops(phases: Sequence[Phase]) -> Iterator[Candidate]:
    """Step drops between constants: StepLR, MultiStepLR, or ConstantLR's one rise."""
    levels = [p.start_rate for p in phases]
    windows = [(a.end, b.start) for a, b in pairwise(phases)]
    if len(phases) == 2 and levels[1] > levels[0]:
        factor = levels[0] / levels[1]
        yield f"constant:factor={factor!r},total_iters={windows[0][1]}", levels[1], ""
    ratios = [b / a for a, b in pairwise(levels) if a]
    if len(ratios) != len(windows) or not all(
        math.isclose(r, ratios[0], rel_tol=1e-5) for r in ratios
    ):
        return
    gamma = (levels[-1] / levels[0]) ** (1 / len(ratios))
    # StepLR: drop j (from 1) at j x step_size, somewhere after step a and by step b.
    low = max(a // j + 1 for j, (a, _) in enumerate(windows, start=1))
    high = min(b // j for j, (_, b) in enumerate(windows, start=1))
    if low <= high:
        size = max(low, phases[-1].end // (len(windows) + 1) + 1)
        if size <= high:
            yield f"step:step_size={size},gamma={gamma!r}", levels[0], ""
    milestones = [b for _, b in windows]
    note = (
        f"multiplicative drops by {number(gamma)} at irregular steps: consistent with "
        f"ReduceLROnPlateau(factor={number(gamma)})"
    )
    yield f"multistep:milestones={milestones},gamma={gamma!r}", levels[0], note


def _linear(phases: Sequence[Phase], start: float, last: int) -> Iterator[Candidate]:
    """LinearLR (to a constant or past the log), PolynomialLR of power 1."""
    slope = phases[0].params["slope"]
    if len(phases) > 1 and phases[1].kind == "constant":
        level = phases[1].start_rate
        total = round((level - start) / slope)
    elif len(phases) == 1:
        total = last
        level = start + slope * total
    else:
        return
    if total < 1:
        return
    if slope > 0 and start > 1e-9 * level:  # torch's start_factor > 0 (from 0: HF's)
        spec = f"linear:start_factor={start / level!r},end_factor=1.0,total_iters={total}"
        yield spec, level, ""
    elif slope < 0 and start > 0:
        if abs(level) <= 1e-12 * start:
            yield f"poly:total_iters={total},power=1.0", start, ""
        spec = f"linear:start_factor=1.0,end_factor={max(level, 0.0) / start!r},total_iters={total}"
        yield spec, start, ""


def _floors(low: float, high: float, rel_tol: float) -> list[float]:
    """A cosine's lower level as a torch ``eta_min``: as fitted, and first 0 when it is
    0 within the fit."""
    return [0.0, low] if abs(low) <= 100 * rel_tol * high else [low]


def _cosines(phases: Sequence[Phase], start: float, rel_tol: float) -> Iterator[Candidate]:
    """CosineAnnealingLR from its peak at step 0; CosineAnnealingWarmRestarts."""
    p = phases[0].params
    high, low, half = p["high"], p["low"], p["half_period"]
    if math.isclose(start, low, rel_tol=1e-6):  # eta_min above the rate: a rise
        high, low = low, high
    elif not math.isclose(start, high, rel_tol=1e-6):
        return
    restarts = [q for q in phases[1:] if q.kind == "cosine"]
    for eta_min in _floors(low, high, rel_tol):
        yield f"cosine:T_max={round(half)},eta_min={eta_min!r}", high, ""
        if restarts:
            t_mult = max(1, round(restarts[0].params["half_period"] / half))
            spec = f"warmrestarts:T_0={round(half)},T_mult={t_mult},eta_min={eta_min!r}"
            yield spec, high, ""


def _warm_up(phases: Sequence[Phase], start: float, rel_tol: float) -> Iterator[Candidate]:
    """A linear warm-up, then a decay: HF's schedules (from 0), or SequentialLR of
    LinearLR and another schedule. The warm-up ends where the line meets the next
    phase's peak, or at any step between the last rate on the line and the next."""
    if len(phases) < 2 or phases[0].kind != "linear" or phases[0].params["slope"] <= 0:
        return
    slope = phases[0].params["slope"]
    after = phases[1]
    peak = after.params["high"] if after.kind == "cosine" else after.start_rate
    ends = [round((peak - start) / slope), *range(phases[0].end, after.start + 1)]
    for warm in dict.fromkeys(w for w in ends if w >= 1):
        lr = start + slope * warm
        if abs(start) <= 1e-9 * lr:  # from 0: HF
            yield from _hf(after, lr, warm)
            continue
        warm_spec = f"linear:start_factor={start / lr!r},end_factor=1.0,total_iters={warm}"
        if after.kind == "cosine":
            half = round(after.params["half_period"])
            thens = [
                f"cosine:T_max={half},eta_min={low!r}"
                for low in _floors(after.params["low"], lr, rel_tol)
            ]
        elif after.kind == "exponential":
            thens = [f"exp:gamma={after.params['ratio']!r}"]
        elif after.kind == "constant":
            thens = ["constant:factor=1.0,total_iters=0"]
        else:
            continue
        for then in thens:
            spec = f"SequentialLR:schedulers=['{warm_spec}','{then}'],milestones=[{warm}]"
            yield spec, lr, ""


def _hf(after: Phase, lr: float, warm: int) -> Iterator[Candidate]:
    """HF's schedules after a warm-up from 0 over ``warm`` steps."""
    if after.kind == "constant":
        yield f"hf:constant_with_warmup:num_warmup_steps={warm}", lr, ""
    elif after.kind == "linear" and after.params["slope"] < 0:
        total = warm + round(lr / -after.params["slope"])
        yield f"hf:linear:num_warmup_steps={warm},num_training_steps={total}", lr, ""
    elif after.kind == "cosine":
        total = warm + round(after.params["half_period"])
        yield f"hf:cosine:num_warmup_steps={warm},num_training_steps={total}", lr, ""
    yield f"hf:inverse_sqrt:num_warmup_steps={warm}", lr, ""


def _cycles(phases: Sequence[Phase], start: float, last: int) -> Iterator[Candidate]:
    """OneCycleLR (a rise to the peak and an annealing, cosine or linear, to the end of
    the log) and CyclicLR (triangular)."""
    if len(phases) < 2:
        return
    up, down = phases[0], phases[1]
    if up.kind == down.kind == "cosine" and up.end_rate < down.params["high"] * (1 + 1e-6):
        rise, fall = up.params["half_period"], down.params["half_period"]
        initial, peak, low = up.params["low"], up.params["high"], down.params["low"]
        yield _one_cycle(rise, fall, initial, peak, low, "cos")
    if up.kind == down.kind == "linear" and up.params["slope"] > 0 > down.params["slope"]:
        rising, falling = up.params["slope"], down.params["slope"]
        # where the two lines meet: start + rising t = down's rate at t
        top = (float(down.value(0)[()]) - start) / (rising - falling)
        peak = start + rising * top
        low = float(down.value(last)[()])
        yield _one_cycle(top, last - top, start, peak, low, "linear")
        down_steps = round((peak - start) / -falling)
        yield (
            f"cyclic:base_lr={start!r},max_lr={peak!r},step_size_up={round(top)},"
            f"step_size_down={down_steps},cycle_momentum=False",
            start,
            "",
        )


def _one_cycle(
    rise: float, fall: float, initial: float, peak: float, low: float, strategy: str
) -> Candidate:
    """OneCycleLR whose rise lasts ``rise`` steps and annealing ``fall``: torch ends
    the rise at ``pct_start x total_steps - 1`` and the annealing at ``total_steps - 1``."""
    total = round(rise + fall + 1)
    pct = (rise + 1) / total
    spec = (
        f"onecycle:max_lr={peak!r},total_steps={total},pct_start={pct!r},"
        f"div_factor={peak / initial!r},final_div_factor={initial / low!r},"
        f"anneal_strategy={strategy},cycle_momentum=False"
    )
    return spec, initial, ""


def _polynomial(index: npt.NDArray[np.int64], x: npt.NDArray[np.float64]) -> Iterator[Candidate]:
    """PolynomialLR: ``lr (1 - i/T)^p`` to step T, then 0: T where the rate first
    reaches 0 (or, if it never does, the one whose log-log fit is best), p by least
    squares on the logs."""
    if index[0] != 0 or not np.all(np.diff(x) <= 0) or x[0] <= 0:
        return
    lr = float(x[0])
    zero = np.flatnonzero(x <= 1e-12 * lr)
    moving = (x > 1e-12 * lr) & (index > 0)
    if not np.any(moving):
        return
    i, logs = index[moving].astype(np.float64), np.log(x[moving] / lr)

    def fit(total: float) -> tuple[float, float]:
        basis = np.log1p(-i / total)
        power = float(np.dot(basis, logs) / np.dot(basis, basis))
        return power, float(np.max(np.abs(power * basis - logs)))

    if zero.size:
        totals = [int(index[zero[0]])] if index[zero[0] - 1] + 1 == index[zero[0]] else []
        totals = totals or list(range(int(index[zero[0] - 1]) + 1, int(index[zero[0]]) + 1))
    else:
        last = int(index[-1])
        grid = np.unique(np.round(last + 1 + (np.geomspace(1, 100 * last, 200) - 1)))
        best = min(grid, key=lambda t: fit(float(t))[1])
        totals = list(range(max(last + 1, int(best * 0.9)), int(best * 1.1) + 2))
    total = min(totals, key=lambda t: fit(float(t))[1])
    power = fit(float(total))[0]
    if power > 0:
        yield f"poly:total_iters={total},power={power!r}", lr, ""
