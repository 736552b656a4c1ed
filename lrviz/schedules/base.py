"""What lrviz knows about a schedule, as types: its registry entry (:class:`Kind`), the
rule that predicts its rates (:class:`SimpleRule`, :data:`Rule`) and the pitfalls it
can fall into (:class:`Part`, :class:`Pitfall`).

Pure data and functions: no torch. Each family module (``step.py``, ``cosine.py``,
...) fills these in for its schedules, so everything about one schedule lives in one
file, as timm keeps one file per scheduler family.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lrviz.text import number

if TYPE_CHECKING:
    from lrviz.trace import Trace

Params = Mapping[str, Any]
Rates = tuple[float, ...]
"""The initial rate of each param group."""

REL_TOL = 1e-9
"""Rates closer than this (relative) are the same rate."""


MILESTONE_REL_TOL = 1e-6
"""A rate within this (relative) of a milestone's target has reached it: 6e-4 x 0.1 rounds
just above nanoGPT's min_lr 6e-5, and a float32 rate rounds further."""


def at_or_below(rate: float, target: float) -> bool:
    """Whether a rate has reached a milestone's target, allowing round-off."""
    return rate <= target or math.isclose(rate, target, rel_tol=MILESTONE_REL_TOL)


FLOAT32_REL_TOL = 2.0**-21
"""Rates torch keeps in float32 tensors (a group whose ``lr`` is a tensor) round to a few
float32 ulps of the double-precision rule."""


def same_rate(a: float, b: float, rel_tol: float = REL_TOL) -> bool:
    """Equal rates, allowing float round-off (and NaN equal to NaN)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=0.0)


def group_value(value: Any, group: int) -> Any:
    """A per-group parameter: one value for all groups, or a list with one per group."""
    return value[group] if isinstance(value, list | tuple) else value


# -- presets -------------------------------------------------------------------------


@dataclass(frozen=True)
class Preset:
    """lrviz's default for one constructor argument, a function of the run's epochs and rates.

    Attributes:
        text: The rule in words, for ``lrviz schedulers`` (e.g. ``"epochs"``).
        value: ``(epochs, rates) -> value``.
        unless: Arguments that replace this one when the user gives any of them
            (OneCycleLR's ``epochs`` and ``steps_per_epoch`` instead of ``total_steps``).
    """

    text: str
    value: Callable[[int, Rates], Any]
    unless: tuple[str, ...] = ()


def const(value: Any) -> Preset:
    """A preset that is always ``value``."""
    return Preset(repr(value), lambda epochs, rates: value)


def per_group(values: Any) -> float | list[float]:
    """One number for one param group, else one per group (torch accepts both)."""
    return values[0] if len(values) == 1 else list(values)


EPOCHS = Preset("epochs", lambda epochs, rates: epochs)
LR = Preset("lr", lambda epochs, rates: per_group(rates))


# -- rules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Prediction:
    """What a rule says about one step for one group.

    Attributes:
        lr: The rate the rule expects after the step.
        reason: Why it changes (None when the rule keeps the rate).
        evidence: The numbers behind the reason. ``landmark`` marks a turning point
            (peak, trough, restart, end) worth showing among every-epoch changes.
        held: The rule decided to reduce but a floor (min_lr, eps) kept the rate.
        unchecked: The rule cannot tell what this step set (a function of the user's it
            cannot evaluate, a state it did not see); ``reason`` says why, and ``lr`` is
            not a prediction.
    """

    lr: float
    reason: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    held: bool = False
    unchecked: bool = False


@dataclass(frozen=True)
class Timeline:
    """One param group's scheduler steps, as a rule sees them: plain data, no torch.

    Attributes:
        params: The schedule's parameters.
        group: The param group.
        initial: The group's rate before the first step.
        before: The rate observed before each scheduler step.
        metrics: The value each scheduler step was given (ReduceLROnPlateau's metric).
        state: The scheduler's recorded state after each step, key by key (a rule that
            needs what only the live scheduler knew, such as LambdaLR's factors).
        unit: How messages count the steps: "epoch" (one step per epoch) or "step".
        metric_name: What the metric was, for messages ("val_loss", "the metric").
        base: The group's base rate (the rate the optimizer had before any schedule),
            where the trace recorded it.
        start: The scheduler's steps before the first of ``before``: 0, or where a
            resumed run's recording began (``initial`` is then the rate there).
        rel_tol: How close two of the group's rates must be to be the same (float32 for
            a rate torch keeps in a float32 tensor).
    """

    params: Params
    group: int
    initial: float
    before: Sequence[float]
    metrics: Sequence[float | None] = ()
    state: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    unit: str = "epoch"
    metric_name: str = "the metric"
    base: float | None = None
    start: int = 0
    rel_tol: float = REL_TOL


Rule = Callable[[Timeline], list[Prediction]]
"""A schedule's rule over its steps: one prediction per scheduler step."""


@dataclass(frozen=True)
class Step:
    """One scheduler step of one param group, as a metric-free rule sees it.

    Attributes:
        t: torch's ``last_epoch`` after the step (1 for the first step; a fraction where
            the loop passed ``epoch + i / iters`` to ``step``).
        before: The rate observed before the step.
        base: The group's base rate (torch's ``initial_lr``, the rate the optimizer had
            before any schedule touched it).
        group: The param group.
        alone: The rate before the step is this schedule's own (False inside
            ChainedScheduler, where the other children scale it too).
        unit: How messages count the steps: "epoch" or "step".
        state: The scheduler's recorded state after the step, if any (torch's own
            ``T_cur`` where a loop passed fractional epochs to ``step``).
        last: torch's ``last_epoch`` before the step, where it is not ``t - 1`` (an
            epoch passed to ``step``).
    """

    t: float
    before: float
    base: float
    group: int
    alone: bool = True
    unit: str = "epoch"
    state: Mapping[str, Any] = field(default_factory=dict)
    last: float | None = None

    @property
    def previous(self) -> float:
        """torch's ``last_epoch`` before the step."""
        return self.t - 1 if self.last is None else self.last


StepRule = Callable[[Params, Step], Prediction]


def _unit(p: Params, group: int) -> float:
    return 1.0


def _base_rate(p: Params, group: int, base: float, t: float) -> float:
    return base


@dataclass(frozen=True)
class SimpleRule:
    """The rule of a metric-free schedule, usable alone or inside a composite.

    Attributes:
        step: The prediction for one step.
        scale: The rate right after construction, as a multiple of the base rate
            (recovers the base rate from a trace's ``initial_lr``).
        closed: torch's closed form, the rate after step t from the base rate
            (``(params, group, base, t) -> rate``): what SequentialLR sets when it
            switches to this schedule (t = 0), and what torch computes when a loop
            passes an epoch to ``step``.
        chainable: Computes the new rate from the current one (False: from the base).
        vector: :attr:`step`'s rate over NumPy arrays, for traces of many steps:
            ``(params, group, base, t, before) -> rates after the steps at counts t``
            (None where the parameters are beyond it, such as a scale_fn of one's own).
            Only for schedules whose phases never recur once left.
    """

    step: StepRule
    scale: Callable[[Params, int], float] = _unit
    closed: Callable[[Params, int, float, float], float] = _base_rate
    chainable: bool = True
    vector: Callable[[Params, int, float, Any, Any], Any] | None = None


def position(value: Any) -> float | None:
    """A recorded ``last_epoch`` as a number (a whole float as an int), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return int(value) if float(value).is_integer() else value


def steps_of(timeline: Timeline, base: float) -> list[Step]:
    """One :class:`Step` per scheduler step: step k is torch's ``last_epoch`` k (counted
    from ``timeline.start``), or the ``last_epoch`` recorded (a loop that passed epochs to
    ``step``, a scheduler that had stepped before it was recorded: resumed from a
    checkpoint, or recorded mid-run)."""
    keys = [key for key in timeline.state if key != "last_epoch"]
    counts = timeline.state.get("last_epoch")
    group, unit = timeline.group, timeline.unit
    out: list[Step] = []
    for k, before in enumerate(timeline.before):
        state = {key: timeline.state[key][k] for key in keys} if keys else {}
        recorded = position(counts[k]) if counts is not None else None
        t = recorded if recorded is not None else (out[-1].t + 1 if out else timeline.start + 1)
        last = out[-1].t if out else None
        if last is not None and t == last + 1:
            last = None
        out.append(Step(t, before, base, group, True, unit, state, last))
    return out


def base_of(initial: float, scale: float) -> float:
    """The base rate behind a schedule's first rate (NaN if the first rate hides it)."""
    return initial / scale if scale else math.nan


def rule_base(rule: SimpleRule, timeline: Timeline) -> float:
    """A group's base rate (torch's ``initial_lr``): as recorded from the optimizer, else
    recovered from the first rate (which, in a run recorded mid-way, is not the base)."""
    if timeline.base is not None:
        return timeline.base
    return base_of(timeline.initial, rule.scale(timeline.params, timeline.group))


def run_simple(rule: SimpleRule, timeline: Timeline) -> list[Prediction]:
    """A per-step rule applied to every scheduler step; where the loop passed an epoch to
    ``step`` (the count jumps, or is a fraction), torch's closed form at that epoch.

    A run recorded from a scheduler that had stepped before (resumed from a checkpoint,
    or recorded mid-run) starts at a later count: its first step is the chainable step
    there, or, where the loop passed that epoch to ``step``, torch's closed form; the
    rate after it tells which when they differ.
    """
    p, group = timeline.params, timeline.group
    base = rule_base(rule, timeline)
    start = base * rule.scale(p, group)
    tolerance = timeline.rel_tol
    if (
        "last_epoch" not in timeline.state
        and not timeline.start
        and not same_rate(timeline.initial, start, tolerance)
    ):
        reason = (
            "lrviz cannot tell where the schedule was when recording began: its first rate "
            f"{number(timeline.initial)} is not the {number(start)} it starts at (resumed, or "
            "recorded mid-run), and the trace holds no step count"
        )
        return [Prediction(math.nan, reason, unchecked=True)] * len(timeline.before)
    out = []
    for k, s in enumerate(steps_of(timeline, base)):
        if not rule.chainable:  # a formula of t handles any t
            out.append(rule.step(p, s))
            continue
        plain = float(s.t).is_integer() and s.t >= 1 and (k == 0 or s.last is None)
        if plain and (k > 0 or s.t == 1):
            out.append(rule.step(p, s))
            continue
        lr = rule.closed(p, group, base, s.t)
        if plain:  # the first step of a scheduler that stepped before it was recorded
            chained = rule.step(p, s)
            after = timeline.before[1] if len(timeline.before) > 1 else None
            if (
                same_rate(chained.lr, lr, tolerance)
                or after is None
                or same_rate(chained.lr, after, tolerance)
            ):
                out.append(chained)
                continue
        jump = f"its count went from {number(s.previous)} to {number(s.t)}, " if k else ""
        reason = (
            f"{jump}an epoch passed to step(): torch's closed form at {s.unit} "
            f"{number(s.t)} gives {number(lr)}"
        )
        out.append(Prediction(lr, reason, {"epoch_given": s.t}))
    return out


def closed_form(
    name: str,
    rate: Callable[[Params, float, int, float], float],
    describe: Callable[[Params, float, int, str], tuple[str, dict[str, Any]]],
    turns: bool,
) -> StepRule:
    """A rule for a schedule that sets the rate from its formula, not the current rate.

    Args:
        name: The class name, for the reason.
        rate: ``(params, t, group, base) -> rate`` after step t (torch's arithmetic; t
            may be a fraction, an epoch passed to ``step``).
        describe: ``(params, t, group, unit) -> (reason, evidence)`` for step t.
        turns: Mark peaks and troughs (from the formula's neighbours) as landmarks.
    """

    # Steps come in order: each rate is needed three times (as the step's, the next
    # step's previous and the one before's following), so the last few are kept, by the
    # parameters' identity: the entry holds them, so that another trace's parameters
    # made at the same address after these were freed never read these rates.
    cache: dict[tuple[int, float, int, float], tuple[Params, float]] = {}

    def at(p: Params, t: float, group: int, base: float) -> float:
        key = (id(p), t, group, base)
        known = cache.get(key)
        if known is not None and known[0] is p:
            return known[1]
        if len(cache) > 16:
            cache.clear()
        lr = rate(p, t, group, base)
        cache[key] = (p, lr)
        return lr

    def rule(p: Params, s: Step) -> Prediction:
        lr = at(p, s.t, s.group, s.base)
        previous = at(p, s.previous, s.group, s.base)
        reason, evidence = describe(p, s.t, s.group, s.unit)
        if turns and "landmark" not in evidence:
            following = at(p, s.t + 1, s.group, s.base)
            if previous < lr > following:
                evidence["landmark"] = "peak"
                reason += f"; peak at {number(lr)}"
            elif previous > lr < following:
                evidence["landmark"] = "trough"
                reason += f"; lowest point at {number(lr)}"
        if s.alone and not same_rate(s.before, previous):
            reason += (
                f"; the rate had been changed outside {name}, which sets it from its formula again"
            )
        return Prediction(lr, reason, evidence)

    return rule


# -- pitfalls ------------------------------------------------------------------------


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
class Part:
    """A schedule, or a composite's child, with the steps it runs.

    Attributes:
        name: The torch class name.
        params: Its parameters.
        steps: The scheduler steps it runs (a SequentialLR child: its segment).
        where: How to name it in a message ("SequentialLR schedule 2 of 2, "), or "".
        trace: The whole trace, for checks of rates and metrics.
        child: A composite's child (checks of the whole trace do not apply to it).
        unit: What the trace counts: "epoch" (one step per epoch) or "step".
    """

    name: str
    params: Params
    steps: int
    where: str
    trace: Trace
    child: bool = False
    unit: str = "epoch"

    @property
    def who(self) -> str:
        """The schedule as messages name it."""
        return f"{self.where}{self.name}"


Check = Callable[[Part], list[Pitfall]]
"""A schedule's pitfall check."""


def no_pitfalls(part: Part) -> list[Pitfall]:
    """The check of a schedule without known pitfalls."""
    return []


# -- the registry entry ----------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One supported ``torch.optim.lr_scheduler`` class: everything lrviz knows about it.

    Attributes:
        name: The torch class name.
        aliases: Short names accepted on the command line.
        needs_metric: ``step`` takes the monitored metric (ReduceLROnPlateau).
        presets: lrviz's defaults for arguments torch requires or the lesson sets.
        state_keys: Scheduler attributes recorded as each step's ``state``.
        continuous: Moves the rate at every step (summarised by milestones); None: it
            depends on the schedule's functions, so the rates tell.
        cycles_momentum: Cycles momentum (Adam's beta1) when ``cycle_momentum`` is true.
        composite: Holds child schedules in ``schedulers``.
        child: May be a child of a composite.
        hidden: Constructor arguments lrviz does not offer (callables cannot be
            written as numbers).
        periods: Arguments that must be whole numbers >= 1: torch divides by them, so
            0 would only fail (or loop on a modulo by zero) once stepped.
        milestones: Arguments that are lists of steps >= 1 in increasing order.
        per_group: Arguments torch also takes as one number per param group, whatever
            its annotation says (CyclicLR's ``base_momentum``).
        per_batch: Meant to be stepped after every batch (its steps count batches).
        simple: The per-step rule of a metric-free schedule (composable).
        rule: The rule over a whole trace, for schedules that need more than one step
            at a time (ReduceLROnPlateau's metric history, composites' children);
            None means :attr:`simple` step by step.
        pitfalls: The schedule's own pitfall check.
        reader: Reads a live scheduler's constructor arguments back, where torch keeps
            them under other names; None reads the attributes named like the arguments.
        factory: What builds it when not a torch class of its own name: ``() -> the
            function or class`` (a framework's; it imports the library, and raises
            ValueError saying which extra to install when the library is missing).
        library: The library and extra it needs, for ``lrviz schedulers`` ("" for torch).
        functional: Takes Python functions (LambdaLR, MultiplicativeLR): recorded and
            explained, not built from a SPEC.
        derived_state: State only the live scheduler can tell, read once the steps are
            recorded: ``(scheduler, state columns) -> more state columns``.
        history: The rule needs the run from its start (ReduceLROnPlateau's metric
            history): a recording begun mid-run (a resumed run's) is not checked by it.
        derived: Arguments torch sets from others (CyclicLR's ``scale_mode`` from
            ``mode``): ``params -> {argument: value}``, recorded as torch uses them.
        segments: A composite's split of the steps: ``(params, steps) -> steps each
            child runs`` (raises ValueError when the parameters do not split them).
        limit: The most steps torch lets it take, and the arguments that set it in
            words: ``params -> (steps, "total_steps=40")`` (OneCycleLR raises past it);
            None: no limit.
    """

    name: str
    aliases: tuple[str, ...] = ()
    needs_metric: bool = False
    presets: Mapping[str, Preset] = field(default_factory=dict)
    state_keys: tuple[str, ...] = ("last_epoch",)
    continuous: bool | None = False
    cycles_momentum: bool = False
    composite: bool = False
    child: bool = True
    hidden: tuple[str, ...] = ()
    periods: tuple[str, ...] = ()
    milestones: tuple[str, ...] = ()
    per_group: tuple[str, ...] = ()
    per_batch: bool = False
    simple: SimpleRule | None = None
    rule: Rule | None = None
    pitfalls: Check = no_pitfalls
    reader: Callable[[Any], dict[str, Any]] | None = None
    derived: Callable[[Params], dict[str, Any]] | None = None
    segments: Callable[[Params, int], list[int]] | None = None
    factory: Callable[[], Callable[..., Any]] | None = None
    library: str = ""
    functional: bool = False
    derived_state: Callable[[Any, Mapping[str, Sequence[Any]]], dict[str, list[Any]]] | None = None
    history: bool = False
    limit: Callable[[Params], tuple[int, str]] | None = None
