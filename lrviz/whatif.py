"""What-if replays: the rates a trace's schedule would have set under other parameters.

For a schedule that steps on a metric (ReduceLROnPlateau), the recorded metric series
is replayed through torch's own class, built with the trace's parameters overridden by
the changes. The replay is exact until the first step where its rates differ from the
recorded ones: after that, training (and so the metric) would have been different, and
the rest of the replay is what the *same* metric would have done.

For every other schedule the rates do not depend on training, so a what-if is the
schedule simulated with the other parameters (:func:`lrviz.simulate`), exact at every
step.

Both are torch's own schedulers driven by :mod:`lrviz.simulation`, so the replayed
rates are torch's by construction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lrviz import schedules
from lrviz.explanation import base_rate, rel_tol, unit
from lrviz.schedules.base import Kind, base_of, same_rate
from lrviz.spec import buildable, make_spec, parse_spec
from lrviz.text import count, some
from lrviz.trace import Trace

__all__ = [
    "WhatIf",
    "console_lines",
    "for_traces",
    "parse_changes",
    "summary",
    "to_json",
    "what_if",
]


@dataclass(frozen=True)
class WhatIf:
    """A trace beside the same schedule under other parameters.

    Attributes:
        trace: The recorded trace.
        replay: The trace torch's scheduler gives under the changed parameters (its
            ``rates(group)`` line up with the recorded trace's, step for step).
        changes: The parameters changed, as given.
        metric: The recorded metric was replayed (ReduceLROnPlateau): the replay holds
            only until :attr:`first_difference`.
        first_difference: The first step (the epoch, in a trace of one step per epoch)
            whose scheduler step set other rates than recorded; 0 when the initial rates
            differ already; None when every rate is the same.
        real_changes: Per param group, the steps whose scheduler step changed the
            recorded rate (ReduceLROnPlateau: its reductions).
        replay_changes: The same for the replay.
        statement: How far the replay holds, in one sentence.
    """

    trace: Trace
    replay: Trace
    changes: Mapping[str, Any]
    metric: bool
    first_difference: int | None
    real_changes: tuple[tuple[int, ...], ...]
    replay_changes: tuple[tuple[int, ...], ...]
    statement: str

    @property
    def unit(self) -> str:
        """How the steps are counted in words: "epoch" or "step"."""
        return unit(self.trace)


def parse_changes(text: str, trace: Trace) -> dict[str, Any]:
    """The command line's ``--what-if 'patience=5,threshold=1e-3'`` as parameters, read
    with the SPEC grammar (:func:`lrviz.spec.parse_spec`) of the trace's schedule.

    Raises:
        ValueError: Empty, or not ``key=value,...``.
    """
    if not text.strip():
        raise ValueError("--what-if needs key=value pairs, e.g. 'patience=5,threshold=1e-3'")
    return dict(parse_spec(f"{trace.name}:{text}").params)


def what_if(trace: Trace, changes: Mapping[str, Any]) -> WhatIf:
    """The trace's schedule replayed with some parameters changed.

    Args:
        trace: A trace of a schedule lrviz can build from numbers, from its first step.
        changes: Constructor arguments and their new values, e.g. ``{"patience": 5}``.

    Raises:
        TypeError: ``changes`` is not a mapping.
        ValueError: No changes, an unknown parameter (the message lists the allowed
            ones), a value torch rejects, or a trace the replay cannot follow (resumed,
            no metric recorded, steps not the same in every epoch).
    """
    if not isinstance(changes, Mapping):
        raise TypeError(f"changes must be a mapping such as {{'patience': 5}}, got {changes!r}")
    if not changes:
        raise ValueError("changes is empty; give at least one parameter, e.g. {'patience': 5}")
    kind = buildable(trace.name)
    _check_keys(kind, changes)
    if trace.start:
        raise ValueError(
            f"a what-if replays a schedule from its first step; this trace resumed after "
            f"{count(trace.start, 'step')}"
        )
    shown = ", ".join(f"{k}={v!r}" for k, v in changes.items())
    try:
        replay = _replay(trace, kind, changes, shown)
    except ValueError as exc:
        raise ValueError(f"what-if {shown}: {exc}") from exc
    groups = range(trace.groups)
    first = _first_difference(trace, replay)
    return WhatIf(
        trace=trace,
        replay=replay,
        changes=dict(changes),
        metric=kind.needs_metric,
        first_difference=first,
        real_changes=tuple(_changed_at(trace.rates(g), rel_tol(trace, g)) for g in groups),
        replay_changes=tuple(_changed_at(replay.rates(g), rel_tol(trace, g)) for g in groups),
        statement=_statement(trace, kind.needs_metric, first),
    )


def for_traces(traces: Sequence[Trace], text: str) -> list[WhatIf]:
    """``lrviz report --what-if K=V,...``: the what-if of every trace whose schedule takes
    every parameter named (a report mixing StepLR and ReduceLROnPlateau replays
    ``patience=5`` on the plateau traces only).

    Raises:
        ValueError: Bad ``text``, no trace's schedule takes those parameters, or a trace
            that does take them cannot be replayed (the message names it).
    """
    from lrviz.resolve import torch_defaults

    out = []
    for trace in traces:
        kind = schedules.kind_of(trace)
        if kind is None or kind.functional:
            continue
        changes = parse_changes(text, trace)
        if set(changes) <= set(torch_defaults(kind)):
            try:
                out.append(what_if(trace, changes))
            except ValueError as exc:
                raise ValueError(f"{trace.label}: {exc}") from exc
    if not out:
        names = sorted({t.name for t in traces})
        raise ValueError(
            f"--what-if {text.strip()!r}: no schedule in the report takes those parameters "
            f"(schedules: {', '.join(names)}; 'lrviz schedulers' lists their parameters)"
        )
    return out


def _check_keys(kind: Kind, changes: Mapping[str, Any]) -> None:
    from lrviz.resolve import torch_defaults

    allowed = torch_defaults(kind)
    for key in changes:
        if key not in allowed:
            raise ValueError(
                f"unknown parameter {key!r} for {kind.name}; allowed: {', '.join(allowed)}"
            )


def _replay(trace: Trace, kind: Kind, changes: Mapping[str, Any], shown: str) -> Trace:
    """torch's scheduler under the changed parameters, stepped as the trace was."""
    from lrviz.simulation import OPTIMIZERS, simulate

    params = {**_as_tables(trace.params), **changes}
    spec = make_spec(kind, params, f"{trace.label} with {shown}")
    epochs = len(trace.epochs)
    if not epochs or trace.step_count % epochs:
        raise ValueError(
            f"the trace has {count(trace.step_count, 'step')} in {count(epochs, 'epoch')}; a "
            "what-if needs the same number of steps in every epoch"
        )
    metrics = _metrics(trace) if kind.needs_metric else None
    bases = [_base(trace, kind, g) for g in range(trace.groups)]
    optimizer = str((trace.optimizer or {}).get("name", "")).lower()
    replay = simulate(
        spec,
        epochs=epochs,
        lr=bases,
        metrics=metrics,
        steps_per_epoch=trace.step_count // epochs,
        optimizer=optimizer if optimizer in OPTIMIZERS else "adam",
    )
    if _unscheduled(replay) != _unscheduled(trace):
        raise ValueError(
            "the trace's scheduler did not step where a simulation steps it (once an epoch "
            "for ReduceLROnPlateau, after every step otherwise), so the replay cannot line up"
        )
    return replay


def _as_tables(params: Mapping[str, Any]) -> dict[str, Any]:
    """A trace's parameters as a SPEC table takes them: a composite's children
    (``{"name": ..., "params": {...}}``) as tables with their parameters inline."""
    out = dict(params)
    children = out.get("schedulers")
    if isinstance(children, list):
        out["schedulers"] = [
            {"name": c["name"], **_as_tables(c.get("params", {}))} for c in children
        ]
    return out


def _metrics(trace: Trace) -> list[float]:
    """The value the scheduler was given at each of its steps."""
    skipped = set(trace.steps.unscheduled) if trace.steps is not None else set()
    out = []
    for k, value in enumerate(trace.step_metrics(), start=1):
        if k in skipped:
            continue
        if value is None:
            raise ValueError(
                f"the trace holds no metric at {unit(trace)} {k}, so none can be replayed"
            )
        out.append(value)
    return out


def _base(trace: Trace, kind: Kind, group: int) -> float:
    """The rate the group's optimizer had before the schedule was built."""
    recorded = base_rate(trace, group)
    if recorded is not None:
        return recorded
    initial = trace.initial_lr[group]
    if kind.simple is None:
        return initial
    return base_of(initial, kind.simple.scale(trace.params, group))


def _unscheduled(trace: Trace) -> tuple[int, ...]:
    return tuple(sorted(trace.steps.unscheduled)) if trace.steps is not None else ()


def _first_difference(trace: Trace, replay: Trace) -> int | None:
    firsts = []
    for g in range(trace.groups):
        tol = rel_tol(trace, g)
        pairs = zip(trace.rates(g), replay.rates(g), strict=True)
        firsts += [next((i for i, (a, b) in enumerate(pairs) if not same_rate(a, b, tol)), None)]
    found = [f for f in firsts if f is not None]
    return min(found) if found else None


def _changed_at(rates: Sequence[float], tol: float) -> tuple[int, ...]:
    return tuple(i for i in range(1, len(rates)) if not same_rate(rates[i - 1], rates[i], tol))


def _statement(trace: Trace, metric: bool, first: int | None) -> str:
    words = unit(trace)
    if first is None:
        return (
            f"the rates are the same at every {words}: these settings would not have changed "
            "this run"
        )
    if metric:
        until = f"{words} {first}: after it" if first else "its start: from there"
        return (
            f"the replay holds only until {until} the rates differ, so the metric would have "
            "been different; the replay past it is what the same metric would have done, not "
            "what training would have done"
        )
    where = "from the start" if first == 0 else f"after {words} {first}"
    return (
        f"{where} the rates differ; {trace.name} does not read the metric, so these are the "
        f"rates it would have set at every {words} (training itself would have gone differently)"
    )


def console_lines(w: WhatIf) -> list[str]:
    """``lrviz explain --what-if``: the changes, when the rate changed in the run and in the
    replay (per param group), the first difference, and how far the replay holds."""
    words = w.unit
    changes = ", ".join(f"{k}={v!r}" for k, v in w.changes.items())
    how = "the recorded metric replayed through" if w.metric else "simulated with"
    lines = [f"what-if {changes}: {how} torch's {w.trace.name}"]
    several = w.trace.groups > 1
    for g, (real, replay) in enumerate(zip(w.real_changes, w.replay_changes, strict=True)):
        which = f" (group {g})" if several else ""
        lines.append(f"  run{which}:     {_when(real, words)}")
        lines.append(f"  what-if{which}: {_when(replay, words)}")
    first = w.first_difference
    if first is not None:
        rates = ", ".join(
            f"{w.trace.rates(g)[first]:.4g} run, {w.replay.rates(g)[first]:.4g} what-if"
            for g in range(w.trace.groups)
        )
        at = "initial rate" if first == 0 else f"rate after {words} {first}"
        lines.append(f"  first difference: {at}: {rates}")
    lines.append(f"  {w.statement}")
    return lines


def summary(w: WhatIf) -> str:
    """One paragraph for the report's what-if section: when the rate would have changed,
    beside when it did (the first param group), and how far the replay holds."""
    words = w.unit
    changes = ", ".join(f"{k}={v!r}" for k, v in w.changes.items())
    group = " of param group 0" if w.trace.groups > 1 else ""
    return (
        f"With {changes}, {w.trace.name} would have changed the rate{group} "
        f"{_after(w.replay_changes[0], words)}; in the run it did "
        f"{_after(w.real_changes[0], words)}. {w.statement[0].upper()}{w.statement[1:]}."
    )


def _after(steps: Sequence[int], words: str) -> str:
    """ "after epoch 7", "after epochs 7, 14", "at no epoch"."""
    if not steps:
        return f"at no {words}"
    at = some([str(s) for s in steps], limit=10, sep=", ")
    return f"after {words}{'s' if len(steps) > 1 else ''} {at}"


def _when(steps: Sequence[int], words: str) -> str:
    return f"rate changed {_after(steps, words)}" if steps else "the rate never changed"


def to_json(w: WhatIf) -> dict[str, Any]:
    """A what-if as strict-JSON-ready data (``lrviz explain --json``'s ``what_if``)."""
    from lrviz.tracefile import jsonable

    return {
        "schedule": w.trace.name,
        "changes": jsonable(dict(w.changes)),
        "params": jsonable(dict(w.replay.params)),
        "metric_replay": w.metric,
        "unit": w.unit,
        "first_difference": w.first_difference,
        "statement": w.statement,
        "groups": [
            {
                "group": g,
                "run_changes": list(w.real_changes[g]),
                "what_if_changes": list(w.replay_changes[g]),
                "what_if_lr": jsonable(w.replay.rates(g)),
            }
            for g in range(w.trace.groups)
        ],
    }
