"""Which causes a text names, so that a test can say which of them the loop really had.

The patterns are about causes, not wording: another wording of the same cause still
matches, so a test stays true while the messages are rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

CAUSES = {
    "outside": re.compile(
        r"outside the schedul|without a scheduler step|changed outside|external", re.I
    ),
    "skipped": re.compile(r"skipp|\bAMP\b|GradScaler|inf gradient", re.I),
    "accumulation": re.compile(r"accumulat|micro-?batch", re.I),
    "epoch given": re.compile(r"given to step|step\(epoch|epoch passed|passed an epoch", re.I),
    "early": re.compile(r"stepped before the optimizer|before the optimizer's|never used", re.I),
    "per epoch": re.compile(r"once (per|an|a) epoch|per-batch schedule", re.I),
    "cut short": re.compile(r"cut short|longer than|instead of reaching", re.I),
    "rate 0": re.compile(r"ran at rate 0|starts at 0(?![.\d])|from 0,", re.I),
    "no rule": re.compile(r"no rule|unknown (class|schedul)", re.I),
}
"""A cause and how any text naming it reads."""


def causes(texts: Iterable[str]) -> dict[str, list[str]]:
    """Each cause the texts name, with the texts that name it."""
    found: dict[str, list[str]] = {}
    for text in texts:
        for cause, pattern in CAUSES.items():
            if pattern.search(text):
                found.setdefault(cause, []).append(text)
    return found


def false_causes(texts: Iterable[str], did: Iterable[str]) -> dict[str, list[str]]:
    """The causes the texts name that the loop did not have (``did``), with the texts."""
    allowed = set(did)
    unknown = allowed - set(CAUSES)
    if unknown:
        raise ValueError(f"did names causes {sorted(unknown)}, known: {sorted(CAUSES)}")
    return {c: t for c, t in causes(texts).items() if c not in allowed}


def all_words(trace: Any) -> list[str]:
    """Everything lrviz says of a trace: its misuse and pitfall messages, then the lines
    ``lrviz explain`` prints (the header and every event)."""
    from lrviz.console import explanation_lines
    from lrviz.pitfalls import messages

    return [*messages([trace]), *explanation_lines(trace, show_all=True)[1:]]


def messages(trace: Any) -> list[str]:
    """The misuse and pitfall messages of a trace."""
    from lrviz.pitfalls import messages as pitfall_messages

    return pitfall_messages([trace])


def external_events(trace: Any) -> list[Any]:
    """The events saying the rate changed outside the schedule."""
    return [e for e in trace.events if e.kind == "external" or CAUSES["outside"].search(e.reason)]


def event_steps(trace: Any, group: int = 0) -> list[int]:
    """The steps at which the trace's events say the group's rate changed (a phase
    stands for each step from its first to its ``last_step``)."""
    out: list[int] = []
    for e in trace.events:
        if e.group != group or e.kind == "held":
            continue
        last = int(e.evidence.get("last_step", e.at))
        out.extend(range(e.at, last + 1))
    return sorted(set(out))
