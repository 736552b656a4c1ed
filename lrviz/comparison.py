"""Comparing two traces: the one check behind ``lrviz check`` and the pytest plugin.

:func:`compare` walks the actual trace beside the golden one and lists every
difference in the order a reader follows a run: the schedule (name, parameters,
number of param groups), then epoch after epoch, then the number of epochs and
``final_lr``. The first entry is the *first divergence*.
A trace imported from a log (``lrviz import``, or a log given as a trace) holds only
the rates logged, at the steps logged: against it, the other trace's schedule and its
rate after the last step are not compared (a log holds neither), and a log written every
N steps is compared with the other trace's rates at the steps it logged
(:func:`_aligned`).

Numbers match when ``|actual - golden| <= atol + rtol * |golden|``: numpy.isclose's
rule, with the golden value as the reference, so the check is the same whichever
trace drifts. A NaN or an infinity matches only the same non-finite value; a value
present in one trace and missing (None) in the other is a difference. Schedule
parameters are compared exactly.

:func:`check_golden` is the golden-file workflow of the pytest plugin (write a
missing golden, compare, write the ``*.obtained.json`` file, regenerate), kept here
so it runs and is tested without pytest.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from lrviz.trace import Epoch, Trace
from lrviz.tracefile import jsonable

FIELDS = ("lr", "val_loss", "train_loss", "val_accuracy", "metric", "momentum")
"""Per-epoch fields :func:`compare` can compare. ``lr`` includes ``final_lr``."""

DEFAULT_FIELDS = ("lr", "val_loss")
"""Compared when no fields are given; ``val_loss`` only when both traces record it."""

RTOL = 1e-6
"""Default relative tolerance."""

ATOL = 0.0
"""Default absolute tolerance."""

_PER_GROUP = ("lr", "momentum")


@dataclass(frozen=True)
class Divergence:
    """One place where the actual trace differs from the golden one.

    Attributes:
        field: A per-epoch field (``lr``, ``val_loss``, ...), ``final_lr``, ``epochs``
            (the number of epochs), ``groups`` (the number of param groups),
            ``schedule.name`` or ``schedule.params``.
        epoch: The 1-based epoch (for ``epochs``: the first epoch only one trace
            has), or None for what belongs to the whole trace.
        group: The param group, for ``lr``, ``momentum`` and ``final_lr``; else None.
        actual: The actual value (None where the actual trace has none).
        golden: The golden value (None where the golden trace has none).
        rel_diff: ``|actual - golden| / |golden|`` for two finite numbers (inf when
            the golden value is 0), else None.
        step: In a step-resolution comparison, the actual trace's 1-based step
            (``steps``: the first step only one trace has); ``epoch`` is then the
            step's epoch.
    """

    field: str
    epoch: int | None
    group: int | None
    actual: Any
    golden: Any
    rel_diff: float | None = None
    step: int | None = None

    def describe(self) -> str:
        """One line for people: where, both values, and how far apart."""
        if self.field == "schedule.params":
            return f"schedule params differ: {_param_diff(self.actual, self.golden)}"
        if self.field == "schedule.name":
            return f"schedule name: actual {self.actual!r}, golden {self.golden!r}"
        if self.field == "groups":
            return f"number of param groups: actual {self.actual}, golden {self.golden}"
        if self.field in ("epochs", "steps"):
            longer = "actual" if self.actual > self.golden else "golden"
            first = self.epoch if self.field == "epochs" else self.step
            last = (first or 0) + abs(self.actual - self.golden) - 1
            return (
                f"number of {self.field}: actual {self.actual}, golden {self.golden} "
                f"({self.field} {first}-{last} only in {longer})"
            )
        where = "final_lr (after the last step)" if self.field == "final_lr" else self.field
        if self.step is not None:
            where = f"step {self.step} (epoch {self.epoch}), {where}"
        elif self.epoch is not None:
            where = f"epoch {self.epoch}, {where}"
        if self.group is not None:
            where += f" of group {self.group}"
        text = f"{where}: actual {_show(self.actual)}, golden {_show(self.golden)}"
        if self.rel_diff is not None:
            text += f" (relative difference {self.rel_diff:.3g})"
        return text


@dataclass(frozen=True, repr=False)
class Comparison:
    """The result of :func:`compare`. True when the traces match.

    Attributes:
        divergences: Every difference, in the order compared (see the module doc).
        differing_epochs: Epochs where a compared field differs, and epochs only one
            trace has.
        epochs: The number of epochs of the longer trace.
        fields: The fields compared.
        rtol: The relative tolerance used.
        atol: The absolute tolerance used.
        unrecorded: Fields asked for that neither trace records, so not compared.
        unit: What ``epochs`` and ``differing_epochs`` count: "epoch", or "step" when
            either trace has step resolution (rates then compared step by step).
        start: The scheduler steps neither trace is compared at: the later of the
            traces' starts (a resumed run's trace is compared with another from the
            step it resumed at; the steps before, which it could not record, are not
            a difference). 0 when both begin at the scheduler's first step.
    """

    divergences: tuple[Divergence, ...]
    differing_epochs: tuple[int, ...]
    epochs: int
    fields: tuple[str, ...]
    rtol: float
    atol: float
    unrecorded: tuple[str, ...] = ()
    unit: str = "epoch"
    start: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing differs."""
        return not self.divergences

    @property
    def first_divergence(self) -> Divergence | None:
        """The first difference, or None when the traces match."""
        return self.divergences[0] if self.divergences else None

    def __bool__(self) -> bool:
        # So that `assert lrviz.compare(a, b)` tests the result, not the object.
        return self.ok

    def report(self) -> str:
        """A readable account: verdict, first divergence, counts, other differences."""
        compared = f"compared {', '.join(self.fields)} with rtol={self.rtol:g}, atol={self.atol:g}"
        if self.unrecorded:
            compared += f"; neither trace records {', '.join(self.unrecorded)}"
        if self.start:
            compared += (
                f"; from the scheduler's step {self.start + 1}, where a resumed trace begins"
            )
        if self.ok:
            return f"traces match: {self.epochs} {self.unit}s, {compared}"
        first = self.divergences[0]
        lines = ["traces differ", f"  first divergence: {first.describe()}"]
        if self.differing_epochs:
            lines[0] += (
                f" in {len(self.differing_epochs)} of {self.epochs} {self.unit}s"
                f" ({_ranges(self.differing_epochs)})"
            )
        # After a schedule difference, the first epoch whose values differ is what one
        # looks for next; whole-trace differences are few, so all of them are listed.
        whole = [d for d in self.divergences if _whole_trace(d)]
        in_epoch = next((d for d in self.divergences if not _whole_trace(d)), None)
        if in_epoch is not None and in_epoch is not first:
            lines.append(f"  first differing epoch: {in_epoch.describe()}")
        lines += [f"  also: {d.describe()}" for d in whole if d is not first]
        lines.append(f"  ({compared})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()

    def __repr__(self) -> str:
        # One line (verdict and first divergence): what `assert compare(a, b)` shows.
        lines = self.report().splitlines()
        return f"<Comparison: {'; '.join(line.strip() for line in lines[:2])}>"


def compare(
    actual: Trace,
    golden: Trace,
    rtol: float = RTOL,
    atol: float = ATOL,
    fields: str | Iterable[str] | None = None,
) -> Comparison:
    """Compare ``actual`` with ``golden``, epoch by epoch; neither is changed.

    Args:
        actual: The trace under test.
        golden: The reference trace.
        rtol: Relative tolerance (finite, >= 0).
        atol: Absolute tolerance (finite, >= 0).
        fields: Per-epoch fields to compare, names from :data:`FIELDS` (a list, or one
            comma-separated string). Default: ``lr`` for every group, and
            ``val_loss`` when both traces record it. ``lr`` includes ``final_lr``.

    Returns:
        The comparison; ``.ok`` and ``.first_divergence`` say whether and where.

    Raises:
        TypeError: ``actual`` or ``golden`` is not a :class:`~lrviz.trace.Trace`.
        ValueError: A tolerance is negative or not finite, a field is unknown, or
            neither trace records any of the fields asked for.
    """
    for role, trace in (("actual", actual), ("golden", golden)):
        if not isinstance(trace, Trace):
            raise TypeError(f"{role} must be an lrviz.Trace, got {type(trace).__name__}")
    chosen = _check_options(rtol, atol, fields) or _default_fields(actual, golden)
    # A field neither trace records is the same in both (absent), but nothing was checked
    # there: the report says so, and a check of such fields alone is refused.
    unrecorded = tuple(n for n in chosen if not (_records(actual, n) or _records(golden, n)))
    if unrecorded == chosen:
        raise ValueError(f"neither trace records {', '.join(unrecorded)}: nothing to compare")
    chosen = tuple(n for n in chosen if n not in unrecorded)

    found = _schedule_divergences(actual, golden)
    if _logged(actual) or _logged(golden):  # a log holds no schedule
        found = [d for d in found if not d.field.startswith("schedule.")]
    if actual.per_step or golden.per_step:
        return _compare_steps(actual, golden, chosen, rtol, atol, unrecorded, found)
    differing: list[int] = []
    for k, (a, g) in enumerate(zip(actual.epochs, golden.epochs, strict=False), start=1):
        at_k = [
            d
            for name in chosen
            for d in _divergences(name, k, _values(a, name), _values(g, name), rtol, atol)
        ]
        if at_k:
            differing.append(k)
            found += at_k
    n_actual, n_golden = len(actual.epochs), len(golden.epochs)
    common = min(n_actual, n_golden)
    if n_actual != n_golden:
        found.append(Divergence("epochs", common + 1, None, n_actual, n_golden))
        differing += range(common + 1, max(n_actual, n_golden) + 1)
    elif "lr" in chosen:
        # The rate after the last step: no epoch applied it, so no epoch above checked it.
        found += _divergences("final_lr", None, actual.final_lr, golden.final_lr, rtol, atol)
    return Comparison(
        divergences=tuple(found),
        differing_epochs=tuple(differing),
        epochs=max(n_actual, n_golden),
        fields=chosen,
        rtol=rtol,
        atol=atol,
        unrecorded=unrecorded,
    )


STEP_FIELDS = ("lr", "momentum")
"""Fields a step-resolution trace has at every step; the others it has per epoch."""


def _compare_steps(
    actual: Trace,
    golden: Trace,
    chosen: tuple[str, ...],
    rtol: float,
    atol: float,
    unrecorded: tuple[str, ...],
    found: list[Divergence],
) -> Comparison:
    """Step by step for the rates (and momenta), epoch by epoch for the rest: the rates of
    a million steps are compared at once (NumPy), their first divergence reported.

    A step is the scheduler's step ``trace.start + k``: a trace of a resumed run is
    compared with the full run from where it resumed, step with step and epoch with
    epoch of the same number."""
    start = max(actual.start, golden.start)
    a_from, g_from = start - actual.start, start - golden.start
    n_actual = max(actual.step_count - a_from, 0)
    n_golden = max(golden.step_count - g_from, 0)
    common = min(n_actual, n_golden)
    aligned = _aligned(actual, golden)
    in_actual, in_golden, beyond = aligned or (
        range(a_from, a_from + common),
        range(g_from, g_from + common),
        False,
    )
    # Steps are numbered as the trace that is not a log numbers them (all of its steps).
    counted, where = (golden, in_golden) if aligned and _logged(actual) else (actual, in_actual)
    epochs = counted.step_epochs()
    differing: set[int] = set()
    at_steps: list[Divergence] = []
    for name in (n for n in chosen if n in STEP_FIELDS):
        for group in range(min(actual.groups, golden.groups)):
            a, g = _step_column(actual, name, group), _step_column(golden, name, group)
            if a is None or g is None:
                if a is not g:  # one trace records it, the other does not
                    shown = ("recorded" if a else None, "recorded" if g else None)
                    at_steps.append(Divergence(name, None, group, *shown))
                continue
            if aligned is None:  # slices: a million steps at C speed
                a, g = a[a_from : a_from + common], g[g_from : g_from + common]
            else:
                a, g = [a[k] for k in in_actual], [g[k] for k in in_golden]
            far = _far(a, g, rtol, atol)
            bad = [where[j] for j in far]
            if bad:
                k, j = bad[0], far[0]
                at_steps.append(
                    Divergence(
                        name, math.floor(epochs[k]), group, a[j], g[j], _rel_diff(a[j], g[j]), k + 1
                    )
                )
                differing.update(k + 1 for k in bad)
    at_epochs = [
        d
        for k, a_epoch, g_epoch in _same_epochs(actual, golden, bool(start))
        for name in chosen
        if name not in STEP_FIELDS
        for d in _divergences(name, k, _values(a_epoch, name), _values(g_epoch, name), rtol, atol)
    ]
    found += sorted(at_steps + at_epochs, key=_in_step_order(epochs))
    if beyond or (aligned is None and n_actual != n_golden):
        first = len(in_actual) + 1 if aligned else a_from + common + 1
        last = max(n_actual, n_golden) if aligned else a_from + max(n_actual, n_golden)
        found.append(Divergence("steps", None, None, n_actual, n_golden, step=first))
        differing.update(range(first, last + 1))
    elif "lr" in chosen and not (_logged(actual) or _logged(golden)):  # a log's is unknown
        found += _divergences("final_lr", None, actual.final_lr, golden.final_lr, rtol, atol)
    return Comparison(
        divergences=tuple(found),
        differing_epochs=tuple(sorted(differing)),
        epochs=max(n_actual, n_golden),
        fields=chosen,
        rtol=rtol,
        atol=atol,
        unrecorded=unrecorded,
        unit="step",
        start=start,
    )


def _same_epochs(
    actual: Trace, golden: Trace, by_number: bool
) -> Iterator[tuple[int, Epoch, Epoch]]:
    """The epochs to compare, with the number a divergence names: the k-th of each trace,
    or (``by_number``, traces beginning at different steps) the epochs of the same number."""
    if not by_number:
        yield from (
            (k, a, g) for k, (a, g) in enumerate(zip(actual.epochs, golden.epochs, strict=False), 1)
        )
        return
    golden_at = {g.epoch: g for g in golden.epochs}
    yield from ((a.epoch, a, golden_at[a.epoch]) for a in actual.epochs if a.epoch in golden_at)


def _in_step_order(epochs: list[float]) -> Callable[[Divergence], tuple[int, int]]:
    """A sort key putting divergences in the order the run met them: a step's at its
    step, an epoch's (a loss) after the epoch's last step; a rate first at equal places."""
    ends: dict[int, int] = {}
    for k, epoch in enumerate(epochs, start=1):
        ends[math.floor(epoch)] = k

    def key(d: Divergence) -> tuple[int, int]:
        if d.step is not None:
            return d.step, 0
        if d.epoch is None:
            return 0, 0
        return max((k for e, k in ends.items() if e <= d.epoch), default=0), 1

    return key


def _step_column(trace: Trace, name: str, group: int) -> list[float] | None:
    if name == "lr":
        return trace.rates(group)[:-1]
    return trace.momenta(group)


def _far(actual: list[float], golden: list[float], rtol: float, atol: float) -> list[int]:
    """The indices where two columns of numbers are not :func:`close`."""
    if actual == golden:  # the usual case, at C speed (NaN is only equal to itself here)
        return []
    import numpy as np

    a, g = np.asarray(actual, dtype=float), np.asarray(golden, dtype=float)
    finite = np.isfinite(a) & np.isfinite(g)
    near = np.abs(a - g) <= atol + rtol * np.abs(g)
    same = (a == g) | (np.isnan(a) & np.isnan(g))
    return [int(k) for k in np.flatnonzero(~np.where(finite, near, same))]


def close(actual: float, golden: float, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """The number rule of :func:`compare`: ``|a - g| <= atol + rtol * |g|``.

    A NaN or an infinity is close only to the same non-finite value.
    """
    if math.isfinite(actual) and math.isfinite(golden):
        return abs(actual - golden) <= atol + rtol * abs(golden)
    return actual == golden or (math.isnan(actual) and math.isnan(golden))


class GoldenFileError(ValueError):
    """A golden file exists but is not a readable lrviz trace."""


GoldenStatus = Literal["match", "mismatch", "missing", "regenerated"]


@dataclass(frozen=True)
class GoldenCheck:
    """What :func:`check_golden` found and did.

    Attributes:
        status: ``match``; ``mismatch`` (the obtained trace was written beside the
            golden); ``missing`` (the golden did not exist and was written);
            ``regenerated`` (in regeneration mode, a missing or differing golden was
            rewritten).
        golden: The golden file.
        obtained: Where the actual trace goes on a mismatch.
        comparison: The comparison, when there was a golden to compare with.
    """

    status: GoldenStatus
    golden: Path
    obtained: Path
    comparison: Comparison | None = None

    @property
    def ok(self) -> bool:
        """True when a test should pass: the traces match, or the golden was regenerated."""
        return self.status in ("match", "regenerated")


def obtained_path(golden: Path) -> Path:
    """``name.lrtrace.json`` -> ``name.lrtrace.obtained.json``, beside the golden."""
    return golden.with_name(golden.name.removesuffix(".json") + ".obtained.json")


def check_golden(
    actual: Trace,
    golden: Path,
    *,
    regen: bool = False,
    rtol: float = RTOL,
    atol: float = ATOL,
    fields: str | Iterable[str] | None = None,
) -> GoldenCheck:
    """Check ``actual`` against the golden trace file, writing files as the workflow says.

    A missing golden is written (status ``missing``). A mismatch writes the actual
    trace to :func:`obtained_path` (``mismatch``). With ``regen``, a missing or
    differing golden is rewritten instead (``regenerated``); a matching one is left
    alone, so regeneration touches only what changed. A stale obtained file is
    removed whenever the check passes.

    Raises:
        GoldenFileError: The golden file exists but is not a readable
            lrviz trace (and ``regen`` is off).
        ValueError: A bad option, as :func:`compare` says.
    """
    # Bad options fail before any file is touched, even when the golden is missing.
    fields = _check_options(rtol, atol, fields)
    obtained = obtained_path(golden)
    expected = None
    if golden.exists():
        try:
            expected = Trace.load(golden)
        except ValueError as exc:
            if not regen:
                raise GoldenFileError(str(exc)) from exc
    comparison = None
    if expected is not None:
        comparison = compare(actual, expected, rtol=rtol, atol=atol, fields=fields)
    if comparison is not None and comparison.ok:
        status: GoldenStatus = "match"
    elif regen:
        actual.save(golden)
        status = "regenerated"
    elif comparison is None:
        actual.save(golden)
        status = "missing"
    else:
        actual.save(obtained)
        return GoldenCheck("mismatch", golden, obtained, comparison)
    obtained.unlink(missing_ok=True)
    return GoldenCheck(status, golden, obtained, comparison)


def _check_options(
    rtol: float, atol: float, fields: str | Iterable[str] | None
) -> tuple[str, ...] | None:
    """Validate the tolerances; the fields asked for, or None for the default."""
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if not (math.isfinite(tol) and tol >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {tol!r}")
    if fields is None:
        return None
    names = fields.split(",") if isinstance(fields, str) else list(fields)
    chosen = tuple(dict.fromkeys(name.strip() for name in names))
    for name in chosen:
        if name not in FIELDS:
            raise ValueError(f"unknown field {name!r}; choose from {', '.join(FIELDS)}")
    if not chosen:
        raise ValueError(f"no fields to compare; choose from {', '.join(FIELDS)}")
    return chosen


def _default_fields(actual: Trace, golden: Trace) -> tuple[str, ...]:
    both = _records(actual, "val_loss") and _records(golden, "val_loss")
    return DEFAULT_FIELDS if both else ("lr",)


def _records(trace: Trace, name: str) -> bool:
    if name == "lr":
        return trace.step_count > 0
    if name == "momentum" and trace.per_step:
        return trace.momenta(0) is not None
    return any(getattr(e, name) is not None for e in trace.epochs)


def _values(epoch: Epoch, name: str) -> tuple[float, ...] | None:
    """A field of one epoch as per-group values (scalars as one value), or None."""
    value = getattr(epoch, name)
    if value is None or isinstance(value, tuple):
        return value
    return (value,)


def _divergences(
    name: str,
    epoch: int | None,
    actual: tuple[float, ...] | None,
    golden: tuple[float, ...] | None,
    rtol: float,
    atol: float,
) -> list[Divergence]:
    per_group = name in _PER_GROUP or name == "final_lr"
    if actual is None or golden is None:
        if actual is golden:
            return []
        return [
            Divergence(name, epoch, None, _unwrap(actual, per_group), _unwrap(golden, per_group))
        ]
    # Differing group counts are reported once, as "groups"; compare the groups both have.
    return [
        Divergence(name, epoch, i if per_group else None, a, g, _rel_diff(a, g))
        for i, (a, g) in enumerate(zip(actual, golden, strict=False))
        if not close(a, g, rtol, atol)
    ]


def _unwrap(values: tuple[float, ...] | None, per_group: bool) -> Any:
    return values[0] if values is not None and not per_group else values


def _rel_diff(actual: float, golden: float) -> float | None:
    if not (math.isfinite(actual) and math.isfinite(golden)):
        return None
    if golden == 0:
        return math.inf
    return abs(actual - golden) / abs(golden)


def _schedule_divergences(actual: Trace, golden: Trace) -> list[Divergence]:
    found = []
    if actual.name != golden.name:
        found.append(Divergence("schedule.name", None, None, actual.name, golden.name))
    # Normalised as in the file, so parameters compare the same in memory and after a
    # round trip (tuples -> lists, NaN -> "NaN").
    params = jsonable(actual.params), jsonable(golden.params)
    if params[0] != params[1]:
        found.append(Divergence("schedule.params", None, None, *params))
    groups = len(actual.initial_lr), len(golden.initial_lr)
    if groups[0] != groups[1]:
        found.append(Divergence("groups", None, None, *groups))
    return found


def _whole_trace(d: Divergence) -> bool:
    """Whether ``d`` is about the trace as a whole rather than the values of one epoch."""
    return (d.epoch is None and d.step is None) or d.field in ("epochs", "steps")


def _param_diff(actual: Mapping[str, Any], golden: Mapping[str, Any]) -> str:
    def value(params: Mapping[str, Any], key: str) -> str:
        return repr(params[key]) if key in params else "(none)"

    return "; ".join(
        f"{key}: actual {value(actual, key)}, golden {value(golden, key)}"
        for key in dict.fromkeys([*golden, *actual])
        if value(actual, key) != value(golden, key)
    )


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, tuple):
        return "[" + ", ".join(map(repr, value)) + "]"
    return repr(value)


def _ranges(epochs: tuple[int, ...], limit: int = 8) -> str:
    """``(3, 4, 5, 9)`` -> ``"3-5, 9"``, the first ``limit`` runs."""
    runs: list[list[int]] = []
    for k in epochs:
        if runs and k == runs[-1][1] + 1:
            runs[-1][1] = k
        else:
            runs.append([k, k])
    text = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs[:limit])
    return text + (", ..." if len(runs) > limit else "")


def _logged(trace: Trace) -> bool:
    """Whether a trace was imported from a log (:mod:`lrviz.logs`)."""
    return trace.meta.get("source") == "import"


def _aligned(actual: Trace, golden: Trace) -> tuple[list[int], list[int], bool] | None:
    """Which step entries of the two traces hold the same step's rate, when one is a
    log that kept its own step numbers (``steps.at``: written every N steps, with gaps)
    and the other is not: the log's entry k is the other's entry ``at[k] - 1`` (the
    rate update ``at[k]`` used), or ``at[k]`` in a log that counts its steps from 0
    (its step 0 is no update's). Returns the entries of each, and whether the log has
    steps beyond the other trace's last; None when entries pair one to one.
    """
    logs = [t for t in (actual, golden) if _logged(t) and t.steps is not None and t.steps.at]
    if len(logs) != 1:
        return None
    log = logs[0]
    other = golden if log is actual else actual
    at = log.steps.at if log.steps is not None else None
    assert at is not None
    shift = 0 if at[0] == 0 else 1
    mine = [k for k, s in enumerate(at) if s - shift < other.step_count]
    theirs = [at[k] - shift for k in mine]
    beyond = len(mine) < len(at)
    return (mine, theirs, beyond) if log is actual else (theirs, mine, beyond)
