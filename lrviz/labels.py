"""The one rule for the labels that name traces, in a report and in a figure's legend."""

from __future__ import annotations

from collections.abc import Sequence

from lrviz.files import same_file_name, slug
from lrviz.trace import Trace
from lrviz.tracefile import jsonable


def check_labels(traces: Sequence[Trace]) -> None:
    """Refuse ``traces`` that their labels do not tell apart, as a report's sections and a
    figure's legend name them: traces that share a label must be the same schedule under
    distinct seeds, and different labels need different file names (a report's traces/).

    Raises:
        ValueError: Saying which label, and how to fix it.
    """
    seen: dict[str, Trace] = {}
    seeds: dict[str, set[int | None]] = {}
    for trace in traces:
        first = seen.setdefault(trace.label, trace)
        same = (first.name, jsonable(first.params)) == (trace.name, jsonable(trace.params))
        if not same or trace.seed in seeds.setdefault(trace.label, set()):
            raise ValueError(
                f"two traces are labelled {trace.label!r} but are "
                + ("different schedules" if not same else "the same seed")
                + "; give each schedule its own label (e.g. Recorder(..., label=...))"
            )
        seeds[trace.label].add(trace.seed)
    files: dict[str, str] = {}
    for label in seen:
        other = files.setdefault(slug(label).lower(), label)
        if other != label and same_file_name(other, label):
            raise ValueError(
                f"labels {other!r} and {label!r} give the same file name {slug(label)!r}; "
                "rename one"
            )
