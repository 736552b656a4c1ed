"""What lrviz prints on a terminal, as lines of text: pure functions of traces, so they
are tested without click (:mod:`lrviz.cli` only echoes them)."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from pathlib import Path

from lrviz import bands, series
from lrviz.explanation import (
    events_difference as events_difference,  # lrviz explain (cli) warns with it
)
from lrviz.explanation import (
    explain,
    is_continuous,
    milestones,
    notable,
    unit,
)
from lrviz.text import count, labelled
from lrviz.trace import Event, Trace


def rate_lines(traces: Sequence[Trace], every: int) -> list[str]:
    """The lesson's lines, 'Epoch [10/100], LR: 0.100000', schedule by schedule, each
    under a header naming it."""
    lines = []
    for trace in traces:
        lines.append(f"{labelled(trace.label, trace.name)}, seed {trace.seed}")
        after = trace.rates()[1:]
        n = len(trace.epochs)
        lines += [
            f"Epoch [{epoch}/{n}], LR: {after[epoch - 1]:.6f}"
            for epoch in range(every, n + 1, every)
        ]
    return lines


def summary_lines(traces: Sequence[Trace], index: Path) -> list[str]:
    """One line per schedule after a run (per seed group with several seeds), then where
    the report is."""
    if bands.several_seeds(traces):
        lines = [_seeds_line(group) for group in bands.groups(traces)]
    else:
        lines = [_trace_line(trace) for trace in traces]
    return [*lines, f"Report: {index}"]


def _trace_line(trace: Trace) -> str:
    counts: dict[str, int] = {}
    for e in trace.events:
        counts[e.kind] = counts.get(e.kind, 0) + 1
    events = ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "no rate changes"
    last = trace.epochs[-1]
    line = (
        f"{trace.label:<10} {trace.name:<18} final LR {series.final_rates(trace)[0]:.3g}, "
        f"val loss {last.val_loss:.4f}, {events}"
    )
    diverged = trace.diverged_epoch
    if diverged is not None:
        line += f"; DIVERGED at epoch {diverged}"
    return line


def _seeds_line(group: bands.Group) -> str:
    """A schedule over its seeds: the final validation loss, and when it reduced."""
    final = bands.spread([t.epochs[-1].val_loss for t in group.traces])
    loss = "no finite final val loss"
    if final.median is not None:
        loss = f"final val loss {final.median:.4f} (10-90%: {final.low:.4f}-{final.high:.4f})"
    diverged = sum(t.diverged_epoch is not None for t in group.traces)
    line = (
        f"{group.label:<10} {group.name:<18} {len(group.traces)} seeds, {loss}; "
        f"{bands.consistency(group, is_continuous(group.traces[0]))}"
    )
    if diverged:
        line += f" DIVERGED in {diverged} seeds."
    return line


def explanation_lines(trace: Trace, show_all: bool = False) -> list[str]:
    """``lrviz explain``: a header, the milestones of schedules that move every step, one
    line per event (only the notable ones unless ``show_all``), and a count of the rest.

    In a step-resolution trace, events are at steps, and the every-step changes of a
    schedule that moves every step are phases; ``show_all`` lists every step.
    """
    groups = trace.groups
    words = unit(trace)
    seed = "" if trace.seed is None else f", seed {trace.seed}"
    size = count(len(trace.epochs), "epoch")
    if trace.per_step:
        size = f"{count(trace.step_count, 'step')} in {size}"
    lines = [
        f"{labelled(trace.label, trace.name)} ({trace.meta.get('source', '?')}{seed}, {size}, "
        f"{count(groups, 'param group')})"
    ]
    continuous = is_continuous(trace)
    if continuous:
        for group in range(groups):
            marks = "; ".join(
                f"{fraction:.0%} at {words} {at}" if at else f"{fraction:.0%} not reached"
                for fraction, at in milestones(trace, group).items()
            )
            lines.append(f"milestones{f' (group {group})' if groups > 1 else ''}: {marks}")
    every = explain(trace, phases=False) if show_all and trace.per_step else list(trace.events)
    shown = every if show_all or not continuous else notable(trace)
    lines += [_event_line(e, groups, words) for e in shown]
    if not trace.events:
        lines.append(f"the rate never changed in {count(trace.step_count, words)}")
    elif len(shown) < len(every):
        lines.append(f"... {len(every) - len(shown)} more every-{words} changes (--all lists them)")
    return lines


def _event_line(e: Event, groups: int, words: str) -> str:
    which = f" group {e.group}" if groups > 1 else ""
    return (
        f"{words} {e.at:>4}{which}  {e.kind:<8}  {e.lr_before:.4g} -> {e.lr_after:.4g}  {e.reason}"
    )


def schedulers_lines() -> list[str]:
    """``lrviz schedulers``: every supported schedule, its aliases and traits, and every
    constructor parameter with torch's default or lrviz's preset."""
    from lrviz.resolve import torch_defaults
    from lrviz.schedules import BUILDABLE

    lines = []
    for kind in BUILDABLE:
        traits = [
            "steps on the metric" if kind.needs_metric else "",
            "moves every step" if kind.continuous else "",
            "cycles momentum" if kind.cycles_momentum else "",
            "stepped per batch" if kind.per_batch else "",
            "children in schedulers=[...]; not inside another composite" if kind.composite else "",
            f"needs {kind.library}" if kind.library else "",
        ]
        aliases = f"  aliases: {', '.join(kind.aliases)}" if kind.aliases else ""
        notes = "; ".join(t for t in traits if t)
        lines.append(f"{kind.name}{aliases}" + (f"  [{notes}]" if notes else ""))
        owner = "library" if kind.library else "torch"
        try:
            defaults = torch_defaults(kind)
        except ValueError:  # the framework is not installed: its parameters are its own
            lines.append("    (install the library to see its parameters)")
            continue
        for name, default in defaults.items():
            preset = kind.presets.get(name)
            their = "required" if default is inspect.Parameter.empty else repr(default)
            if preset is not None:
                source = f"lrviz preset ({owner}: {their})"
                value = preset.text
            else:
                source = (
                    f"{owner} default" if default is not inspect.Parameter.empty else "required"
                )
                value = "" if default is inspect.Parameter.empty else repr(default)
            lines.append(f"    {name:<18} {value:<24} {source}")
    return lines
