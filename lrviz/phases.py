"""Phases of a rate series found from the rates alone: constant, linear, exponential,
cosine, and the jumps between them.

Pure functions over numbers (numpy, no torch). A loop that sets its rates by hand
(nanoGPT's ``get_lr``) or a log lrviz did not record has no scheduler to explain its
changes; its rates are joined into phases instead: ``describe(find_phases([0.1,
0.2, 0.3, 0.3, 0.03]))`` is "linear warm-up from 0.1 to 0.3 over steps 1-3 (0.1 a
step), then constant at 0.3 to step 4, then dropped to 0.03 at step 5".

The phases partition the series: phase ``j`` holds steps ``start..end`` (1-based,
inclusive) and the next phase begins at ``end + 1``. Each phase's model (its ``params``)
reproduces every rate it holds within the tolerance: ``|rate - model| <= rel_tol x
max(|rate|, FLOOR x peak)``, peak being the largest rate of the series (so rates of
exactly zero, where a warm-up starts or a cosine ends, compare absolutely).

The segmentation is greedy: from the first step not yet in a phase, the family (in the
order constant, linear, exponential, cosine) whose model fits the longest run of rates
wins, ties going to the simpler family. Each family's longest run is found by doubling
its length and then bisecting, and a family is only tried beyond the run the simpler
ones reached, so the work is O(n log n) numpy operations over the series.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from lrviz.text import number

__all__ = [
    "FLOAT32_REL_TOL",
    "REL_TOL",
    "Phase",
    "describe",
    "find_phases",
    "phase_detail",
    "phase_words",
]

REL_TOL = 1e-9
"""Rates computed in double precision: a phase's model reproduces them this closely."""

FLOAT32_REL_TOL = 1e-6
"""Rates logged as float32 (TensorBoard, torch tensors): each is within 6e-8 of the
double it rounds, and a model fitted to them within a few times that."""

FLOOR = 1e-6
"""Rates below this fraction of the series' largest rate compare absolutely (at this
fraction times ``rel_tol``), so a rate of zero fits a model that gives 1e-20."""

MIN_COSINE = 6
"""The fewest rates a cosine phase holds (its model has 4 numbers: fewer rates would fit
any wiggle, a jump included)."""

HALF_SLACK = 1e-3
"""How far past half a period a cosine phase may reach (its fitted period is a little
off when its rates were rounded)."""

PhaseKind = Literal["constant", "linear", "exponential", "cosine"]
Array = npt.NDArray[np.float64]
Model = Callable[[Array], Array]


@dataclass(frozen=True)
class Phase:
    """One phase of a rate series.

    Attributes:
        kind: ``constant``, ``linear``, ``exponential`` or ``cosine``.
        start: Its first step (1-based).
        end: Its last step (inclusive).
        start_rate: The rate at ``start`` (as given).
        end_rate: The rate at ``end`` (as given).
        params: The model's numbers: ``level`` (constant); ``initial`` (the model at
            ``start``) and ``slope`` per step (linear) or ``ratio`` per step
            (exponential); ``high``, ``low`` (the levels), ``half_period`` (steps from
            high to low) and ``offset`` (radians past ``high`` at ``start``) (cosine).
        jumped: The rate jumped into this phase: neither its model one step back nor
            the previous phase's one step on gives the rate on the other side.
    """

    kind: PhaseKind
    start: int
    end: int
    start_rate: float
    end_rate: float
    params: Mapping[str, float] = field(default_factory=dict)
    jumped: bool = False

    @property
    def steps(self) -> int:
        """How many steps the phase holds."""
        return self.end - self.start + 1

    def value(self, steps: npt.ArrayLike) -> Array:
        """The model's rate at the given steps (also beyond the phase)."""
        k = np.asarray(steps, dtype=np.float64) - self.start
        return _evaluate(self.kind, self.params, k)

    def rates(self) -> Array:
        """The model's rate at each of the phase's steps."""
        return self.value(np.arange(self.start, self.end + 1))


def find_phases(
    rates: Sequence[float] | npt.ArrayLike,
    *,
    steps: Sequence[int] | npt.ArrayLike | None = None,
    rel_tol: float = REL_TOL,
) -> list[Phase]:
    """Join a rate series into phases.

    Args:
        rates: The rate at each step (a non-finite rate is a phase of its own).
        steps: The step of each rate, increasing (a log of every Nth step, with gaps);
            default 1, 2, ...
        rel_tol: How closely each phase's model must reproduce its rates (relative):
            :data:`REL_TOL` for rates computed in double precision,
            :data:`FLOAT32_REL_TOL` for rates logged as float32.

    Raises:
        ValueError: ``rates`` is empty or not one-dimensional, ``steps`` not one
            increasing step per rate, or ``rel_tol`` not a positive number below 1.
    """
    x = np.array(rates, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"rates must be a non-empty sequence of numbers, got shape {x.shape}")
    if not (isinstance(rel_tol, int | float) and 0 < rel_tol < 1):
        raise ValueError(f"rel_tol must be a number between 0 and 1, got {rel_tol!r}")
    finite = np.abs(x[np.isfinite(x)])
    peak = float(finite.max()) if finite.size else 0.0
    scale = np.maximum(np.abs(x), max(FLOOR * peak, 1e-300))
    pos = np.arange(1, x.size + 1, dtype=np.float64)
    if steps is not None:
        pos = np.array(steps, dtype=np.float64)
        if pos.shape != x.shape or not np.all(np.diff(pos) > 0):
            raise ValueError(
                f"steps must hold one increasing step per rate ({x.size}), got "
                f"{pos.size} steps" + ("" if pos.shape != x.shape else " not increasing")
            )
    finder = _Finder(x, pos, scale, float(rel_tol))
    phases: list[Phase] = []
    s = 0
    while s < x.size:
        phase, end = finder.longest(s)
        if phases and not finder.continues(phases[-1], phase, s):
            phase = replace(phase, jumped=True)
        phases.append(phase)
        s = end
    return phases


# -- fitting ----------------------------------------------------------------------------

Fit = Callable[[int, int], "dict[str, float] | None"]


def _evaluate(kind: PhaseKind, p: Mapping[str, float], k: Array) -> Array:
    """A model's rates ``k`` steps after its phase's start."""
    if kind == "constant":
        return np.full_like(k, p["level"])
    if kind == "linear":
        return p["initial"] + p["slope"] * k
    if kind == "exponential":
        return p["initial"] * np.power(p["ratio"], k)
    center, amplitude = (p["high"] + p["low"]) / 2, (p["high"] - p["low"]) / 2
    return center + amplitude * np.cos(math.pi / p["half_period"] * k + p["offset"])


class _Finder:
    """The longest run of rates from a step that each family's model fits."""

    def __init__(self, x: Array, pos: Array, scale: Array, rel_tol: float) -> None:
        self.x = x
        self.pos = pos
        self.omega: float | None = None  # the last cosine's frequency, to start the next fit
        self.scale = scale
        self.rel_tol = rel_tol

    def longest(self, s: int) -> tuple[Phase, int]:
        """The phase from index ``s`` and the index after it: the family reaching
        furthest wins."""
        x = self.x
        if not math.isfinite(x[s]):
            end = s + 1
            while end < x.size and _same_nonfinite(x[end], x[s]):
                end += 1
            return self._phase("constant", s, end, {"level": float(x[s])}), end
        self.omega = None
        best: tuple[PhaseKind, int, dict[str, float]] = ("constant", s + 1, {"level": float(x[s])})
        fitters: list[tuple[PhaseKind, Fit, int]] = [
            ("constant", self._constant, 1),
            ("linear", self._linear, 3),  # two rates apart are a jump
            ("exponential", self._exponential, 3),
            ("cosine", self._cosine, MIN_COSINE),
        ]
        for kind, fit, fewest in fitters:
            found = self._extend(kind, fit, s, max(best[1] + 1, s + fewest))
            if found is not None:
                best = (kind, *found)
        return self._phase(best[0], s, best[1], best[2]), best[1]

    def continues(self, previous: Phase, phase: Phase, i: int) -> bool:
        """Whether ``phase`` (from index ``i``) carries on from ``previous``: the rate
        did not change between them, or one of their models gives the rate on the other
        side (within a few tolerances, as a model one step beyond its rates is a little
        less exact)."""
        slack = 4 * self.rel_tol
        back = float(phase.value(previous.end)[()])
        on = float(previous.value(phase.start)[()])
        return bool(
            abs(self.x[i] - self.x[i - 1]) <= slack * self.scale[i - 1]
            or abs(back - self.x[i - 1]) <= slack * self.scale[i - 1]
            or abs(on - self.x[i]) <= slack * self.scale[i]
        )

    def _phase(self, kind: PhaseKind, s: int, end: int, params: dict[str, float]) -> Phase:
        first, last = int(self.pos[s]), int(self.pos[end - 1])
        return Phase(kind, first, last, float(self.x[s]), float(self.x[end - 1]), params)

    def _extend(
        self, kind: PhaseKind, fit: Fit, s: int, first: int
    ) -> tuple[int, dict[str, float]] | None:
        """The largest end (exclusive) >= ``first`` whose run ``s:end`` the model fits:
        double the run while a refit fits, then carry the last fitted model on as far
        as it fits, refitting where it misses a rate (with growing steps while refits
        fit, as rounded rates let each refit reach a little further)."""
        n = self.x.size
        if first > n:
            return None
        params = fit(s, first)
        if params is None:
            return None
        good, step = first, max(1, first - s)
        while good < n:
            trial = min(good + step, n)
            found = fit(s, trial)
            if found is None:
                break
            good, params, step = trial, found, step * 2
        step = 1
        while good < n:  # the fitted model may fit further than its refits do
            reach = self._reach(kind, params, s, good, min(n, 2 * good - s + 64))
            if reach > good:
                good = reach
                continue
            trial = min(n, good + step)
            found = fit(s, trial)
            if found is None:
                if step == 1:
                    break
                step = 1
                continue
            good, params, step = trial, found, step * 2
        return good, params

    def _reach(
        self, kind: PhaseKind, params: Mapping[str, float], s: int, good: int, stop: int
    ) -> int:
        """Where a model fitted to ``s:good`` first misses a rate before ``stop`` (else
        ``stop``)."""
        if kind == "cosine":  # half a cosine at most, however far its model fits
            reach = self.pos[s] + params["half_period"] * (1 + HALF_SLACK)
            stop = min(stop, int(np.searchsorted(self.pos, reach, side="right")))
            if stop <= good:
                return good
        model = _evaluate(kind, params, self.pos[good:stop] - self.pos[s])
        error = np.abs(self.x[good:stop] - model) / (self.rel_tol * self.scale[good:stop])
        missed = np.flatnonzero(~(error <= 1))
        return good + int(missed[0]) if missed.size else stop

    def _worst(self, s: int, end: int, model: Array) -> float:
        """The largest error of a model, in units of the tolerance."""
        error = np.abs(self.x[s:end] - model) / self.scale[s:end]
        return float(error.max()) / self.rel_tol

    def _fits(self, s: int, end: int, model: Array) -> bool:
        error = np.abs(self.x[s:end] - model) <= self.rel_tol * self.scale[s:end]
        return bool(np.all(error))

    def _constant(self, s: int, end: int) -> dict[str, float] | None:
        window = self.x[s:end]
        level = (float(window.max()) + float(window.min())) / 2
        return {"level": level} if self._fits(s, end, np.full_like(window, level)) else None

    def _linear(self, s: int, end: int) -> dict[str, float] | None:
        k = self.pos[s:end] - self.pos[s]
        coef = self._solve(s, end, [np.ones_like(k), k])
        if coef is None:
            return None
        params = {"initial": float(coef[0]), "slope": float(coef[1])}
        return params if self._fits(s, end, coef[0] + coef[1] * k) else None

    def _exponential(self, s: int, end: int) -> dict[str, float] | None:
        window = self.x[s:end]
        if not (np.all(window > 0) or np.all(window < 0)):
            return None
        k = self.pos[s:end] - self.pos[s]
        logs = np.log(np.abs(window))
        middle = float(k.mean())
        slope = float(np.dot(k - middle, logs) / np.dot(k - middle, k - middle))
        level = float(logs.mean() - slope * middle)
        ratio = math.exp(slope)
        if ratio == 1.0:
            return None  # a constant, which the constant family holds
        params = {"initial": math.copysign(math.exp(level), window[0]), "ratio": ratio}
        return params if self._fits(s, end, _evaluate("exponential", params, k)) else None

    def _cosine(self, s: int, end: int) -> dict[str, float] | None:
        """A sinusoid ``c + p cos(omega u) + q sin(omega u)`` (u: steps from the run's
        middle, which keeps the basis well conditioned) fitted by least squares, its
        frequency refined by Gauss-Newton; at most half a period."""
        length = float(self.pos[end - 1] - self.pos[s])
        middle = length / 2
        u = self.pos[s:end] - self.pos[s] - middle
        omega = self.omega or self._frequency(s, end) or 0.5 / length  # flat: any slow curve
        worst = math.inf
        for _ in range(3 if self.omega else 8):  # a refit starts near its answer
            c, si = np.cos(omega * u), np.sin(omega * u)
            coef = self._solve(s, end, [np.ones_like(u), c - 1, si])
            if coef is None:
                return None
            error = self._worst(s, end, coef[0] + coef[1] * (c - 1) + coef[2] * si)
            if error <= 1:
                break
            if error > min(worst, 1e6):
                return None  # not a sinusoid, or not getting closer to one
            worst = error
            slope = u * (coef[2] * c - coef[1] * si)
            step = self._solve(s, end, [np.ones_like(u), c - 1, si, slope])
            if step is None or not 0 < omega + step[3] <= 2 * math.pi / length:
                return None
            omega += float(step[3])
        else:
            return None
        if omega * length > math.pi * (1 + HALF_SLACK):
            return None  # more than a half cosine: two phases
        self.omega = omega
        center, p, q = float(coef[0] - coef[1]), float(coef[1]), float(coef[2])
        amplitude = math.hypot(p, q)
        # p cos(wu) + q sin(wu) = A cos(wu + phi) with phi = atan2(-q, p); u = k - middle.
        phase = (math.atan2(-q, p) - omega * middle) % (2 * math.pi)
        return {
            "high": center + amplitude,
            "low": center - amplitude,
            "half_period": math.pi / omega,
            "offset": phase,
        }

    def _frequency(self, s: int, end: int) -> float | None:
        """A first guess of a sinusoid's angular frequency per step: its samples h steps
        apart satisfy ``x[k-h] + x[k+h] = 2 cos(omega h) x[k] + b``."""
        window, k = self.x[s:end], self.pos[s:end] - self.pos[s]
        grid = np.linspace(0.0, float(k[-1]), window.size)
        if not np.array_equal(grid, k):  # gaps: resampled, for a guess
            window = np.interp(grid, k, window)
        h = (window.size - 1) // 3
        if h < 1:
            return None
        middle = window[h:-h]
        target = window[: -2 * h] + window[2 * h :]
        dm, dt = middle - middle.mean(), target - target.mean()
        spread = float(np.dot(dm, dm))
        if spread == 0:
            return None
        a = float(np.dot(dm, dt)) / spread
        if not -2 < a < 2:
            return None
        return math.acos(a / 2) / (h * float(grid[1]))

    def _solve(self, s: int, end: int, columns: list[Array]) -> Array | None:
        """Least squares of the relative errors (each row divided by its rate's scale),
        by the normal equations with equilibrated columns and one refinement."""
        weight = 1 / self.scale[s:end]
        design = np.stack(columns, axis=1) * weight[:, None]
        norms = np.sqrt(np.einsum("ij,ij->j", design, design))
        if not np.all(norms > 0):
            return None
        design /= norms
        target = self.x[s:end] * weight
        gram = design.T @ design
        try:
            coef = np.linalg.solve(gram, design.T @ target)
            coef += np.linalg.solve(gram, design.T @ (target - design @ coef))
        except np.linalg.LinAlgError:
            return None
        coef /= norms
        return coef if np.all(np.isfinite(coef)) else None


def _same_nonfinite(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


# -- words ------------------------------------------------------------------------------


def phase_words(phase: Phase) -> str:
    """A moving phase's name: "linear warm-up", "cosine decay", "exponential decay"...
    or "constant"."""
    if phase.kind == "constant":
        return "constant"
    rising = phase.end_rate > phase.start_rate
    if phase.kind == "linear":
        return "linear warm-up" if rising else "linear decay"
    return f"{phase.kind} {'rise' if rising else 'decay'}"


def phase_detail(phase: Phase, unit: str = "step") -> str:
    """A phase's numbers in words: "-0.001 per step", "x0.9 per step", "half cosine between
    6e-05 and 0.0006 over 70 steps", "at 0.1"."""
    p = phase.params
    if phase.kind == "linear":
        return f"{number(p['slope'])} per {unit}"
    if phase.kind == "exponential":
        return f"x{number(p['ratio'])} per {unit}"
    if phase.kind == "cosine":
        return (
            f"half cosine between {number(p['low'])} and {number(p['high'])} over "
            f"{number(p['half_period'])} {unit}s"
        )
    return f"at {number(p['level'])}"


def describe(phases: Sequence[Phase]) -> str:
    """The phases in one sentence, e.g. "linear warm-up from 5.455e-05 to 0.0006 over
    steps 1-11, then cosine decay to 6e-05 over steps 12-81, then constant at 6e-05 to
    step 100".

    Args:
        phases: Phases from :func:`find_phases`.
    """
    parts = []
    for j, phase in enumerate(phases):
        before = phases[j - 1].end_rate if j and phase.jumped else None
        parts.append(_phase_text(phase, first=j == 0, before=before))
    return ", then ".join(parts)


def _phase_text(phase: Phase, first: bool, before: float | None) -> str:
    """One phase in words; ``before``: the rate a jump into it left (None: no jump)."""
    span = f"steps {phase.start:,}-{phase.end:,}"
    if phase.kind == "constant":
        if before is not None:
            moved = "dropped" if phase.start_rate < before else "rose"
            tail = f" (constant to step {phase.end:,})" if phase.steps > 1 else ""
            return f"{moved} to {number(phase.start_rate)} at step {phase.start:,}{tail}"
        if first:
            return f"constant at {number(phase.start_rate)} over {span}"
        return f"constant at {number(phase.start_rate)} to step {phase.end:,}"
    words = f"{phase_words(phase)} from {number(phase.start_rate)} to {number(phase.end_rate)}"
    if before is not None:
        words = f"jumped to {number(phase.start_rate)} at step {phase.start:,}, {words}"
    return f"{words} over {span} ({phase_detail(phase)})"
